"""Speaker phrases next to a verb of saying: a name, a pronoun, a role or an organisation."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from qa.text.quotes.lexicon import (
    APOSTROPHE_S_END,
    AUX,
    CALENDAR,
    CONNECTOR,
    CUE,
    GROUPS,
    INSTITUTIONS,
    INTRO,
    KIN,
    LEADING,
    NAME_RUN,
    ORG_ROLES,
    ORG_VOICE_END,
    ORG_WORDS,
    ROLE_END,
    ROLES,
    ROLES_RE,
    RUN,
    RUN_END,
    TITLES,
    VOICE,
)
from qa.text.quotes.names import clean_name, is_org

# The ends of the words before a verb of saying, for `speaker_before`.
AUX_AT_END = re.compile(rf"{AUX}\s*$")
DASHED_ASIDE_AT_END = re.compile(r"\s[-–—]\s[^-–—]{1,200}\s[-–—]$")
RELATIVE_CLAUSE = re.compile(r",\s+(?:who|whose|which)\b")
PRONOUN_AT_END = re.compile(r"(?<![\w'’-])(?:he|she|they|it|He|She|They|It)$")
HE_OR_SHE_AT_END = re.compile(r"(?<![\w'’-])(?:he|she|He|She)$")
PLACE_AT_END = re.compile(rf"(?<=[a-z])\s+(?:in|at)\s+{RUN}$")
VOICE_AT_END = re.compile(rf"\b{VOICE}$")
GROUP_AT_END = re.compile(rf"(?<![\w'’-])(?:[a-z][\w-]*\s+){{0,2}}(?:{'|'.join(GROUPS)})$")
AND_OR_BUT_AT_END = re.compile(r"\b(?:and|but)$")
ORG_ROLE_AT_END = re.compile(
    rf"(?<![\w'’-])(?P<org>{RUN})(?:['’]s)?\s+(?:board|management|directors|{'|'.join(ORG_ROLES)})$"
)
THE_SPOKESMAN_AT_END = re.compile(rf"(?<![\w'’-])[Tt]he\s+(?:{RUN}(?:['’]s)?\s+)?spokes(?:man|woman|person)$")
A_SPOKESMAN_AT_END = re.compile(
    r"(?<![\w'’-])[Aa]n?\s+(?:(?P<org>[a-z]+)\s+)?(?:spokes(?:man|woman|person)|official|source)$"
)
NAME_COMMA_ROLE_OF_AT_END = re.compile(
    rf"(?<![\w'’-])(?P<name>{RUN}),\s+(?:the\s+|an?\s+)?(?:[\w-]+\s+){{0,3}}?(?:{ROLES_RE})\s+"
    r"(?:of|at|for|with)\s+[^,]{1,80}$"
)
COMMA_WHO_AT_END = re.compile(r",\s*who$")
# A preposition just before a phrase: then the phrase is its object, not who is speaking.
PREPOSITION_BEFORE_GROUP = re.compile(r"\b(?:by|of|from|with|to|for|at|about|against)\s+$")
PREPOSITION_BEFORE_ORG = re.compile(r"\b(?:by|of|from|in|with|to|for|at|on|about|against|into)\s+(?:the\s+)?$")
PREPOSITION_BEFORE_NAME = re.compile(r"\b(?:by|of|from|in|with|to|for|at|on|about|against|into)\s+$")
PREPOSITION_BEFORE_SOURCE = re.compile(r"\b(?:in|on|at|to|for|about|across|near|into|over)\s+(?:the\s+)?$")
SPACE_THEN_CAPITAL = re.compile(r"\s[A-Z]")
SENTENCE_MARK = re.compile(r"[.!?]")
APPOSITION_NAME = re.compile(rf"\s*(?:the\s+)?({RUN})\s*")
# The words after a verb of saying, for `speaker_after`.
PHRASE_AFTER = re.compile(r"\s+([^,.;:!?“”\"\n]{1,100})")
PRONOUN_OPENING = re.compile(r"(?:he|she|they)\b")
# "Cosby’s spokesperson Andrew Wyatt", "ONGC chairman Subir Raha": whose role, then the name.
WHOSE_ROLE_NAME = re.compile(
    rf"{RUN}(?:['’]s\s+(?:[a-z][\w-]*\s+){{1,3}}|\s+(?:[a-z][\w-]*\s+){{0,2}}(?:{ROLES_RE})\s+)(?P<name>{RUN})"
)
PLACE_OR_TIME_OPENING = re.compile(r"\s+(?:in|on|at|during|after|to)\s")
POSSESSIVE_OPENING = re.compile(r"(?:his|her|its|their|our|my)\b")
PREPOSITION = re.compile(r"\b(?:of|to|in|on|at|from|with|by|into|for)\b")
WORD = re.compile(r"[\w'’-]+")
# The source of `according to`, for `speaker_in`.
PARENTHESES_AT_END = re.compile(r"\s*\([^()]*\)$")
PUBLISHED_FIGURES_AT_END = re.compile(
    r"(?<=[A-Za-z])(?:['’]s)?(?:\s+[a-z]+){0,2}?\s+(?:figures|data|statistics|estimates|numbers|"
    r"calculations|research|records|survey|analysis|forecasts?|projections?)$"
)
THE_HEAD = re.compile(r"the\s+(?:[\w-]+\s+){0,3}?(?P<head>[A-Za-z][\w-]*)")
THE_LOWERCASE_HEAD = re.compile(r"the\s+(?:[\w-]+\s+){0,3}?(?P<head>[a-z][\w-]*)")
# The subject opening a sentence, for `sentence_subject`; a name must be followed by its verb,
# not by a noun it modifies ("Saudi Arabian government officials").
_FOLLOWED_BY_VERB = (
    rf"(?=(?:,[^,]{{1,120}},|\s[-–—]\s[^-–—]{{1,200}}\s[-–—])?"
    rf"\s+(?!(?:{'|'.join(GROUPS)}|government)\b)[a-z])"
)
CONJUNCTION_OPENING = re.compile(r"(?:But|And|However|Meanwhile|Yet|So|Also|Then)\b,?\s+")
HE_OR_SHE_OPENING = re.compile(r"(?:he|she|He|She)\b")
THE_ROLE_OPENING = re.compile(r"[Tt]he\s+(?:[\w-]+\s+){0,3}?(?P<head>[a-z][\w-]*)(?=\s+[a-z])")
THE_ROLE_COMMA_NAME_OPENING = re.compile(rf"[Tt]he\s+(?:[\w'’-]+\s+){{0,3}}?[a-z][\w-]*,\s+(?P<name>{RUN}),\s+[a-z]")
ROLE_NAME_OPENING = re.compile(
    rf"(?:{RUN}\s+)?(?:[a-z][\w-]*\s+){{0,2}}?(?:[a-z]+-)?(?:{ROLES_RE})\s+"
    rf"(?P<name>{RUN}){_FOLLOWED_BY_VERB}"
)
NAME_OPENING = re.compile(rf"{RUN}{_FOLLOWED_BY_VERB}")
# For `participle_speaker` and `quoted_as`.
AS_AT_END = re.compile(r"\bas$")
CUE_AT_END = re.compile(rf"{CUE}$")
CUE_THEN_SPEAKER_AT_END = re.compile(rf"{CUE}(?=\s+[^,.;:!?“”\"]{{1,60}}(?:,[^,.;:!?“”\"]{{1,80}})?$)")
QUOTED_WHO_AS_AT_END = re.compile(r"\bquot(?:ed|es|ing)\s+(?!by\b)(?P<who>[^,.;:!?“”\"]{1,80}?)\s+as$")
HIM_OR_HER = re.compile(r"him|her")
WAS_QUOTED_AS_AT_END = re.compile(
    r"\s+(?:was|were|is|are|has\s+been|had\s+been)\s+quoted\s+(?:by\s+[^,.;:!?“”\"]{1,60}?\s+)?as$"
)
# For `_voice` and `name_speaker`.
COUNTRY_WORD = re.compile(r"U[._]?[SK][._]?|[A-Z][a-z]+(?:ian|ese|ish|can)|[A-Z][a-z]{4,}i")
NON_SPACE = re.compile(r"\S+")
SENTENCE_BREAK_AT_END = re.compile(r"(?:^|[.!?\n][”\"’]?)\s*$")
CONNECTOR_WORD = re.compile(CONNECTOR)
PLURAL_AGENT_NOUN = re.compile(r"[A-Z][a-z]{4,}(?:ers|ists|ians|ents|ants|ors)")
LOWERCASE_WORD = re.compile(r"(?<![\w.])[a-z][\w'’-]*")


@lru_cache(maxsize=256)
def _org_before(group: str) -> re.Pattern[str]:
    """A name just before the group phrase `group`: "NY Fed researchers"."""
    # Built from a phrase found in the text, so not a constant; the phrases recur ("analysts",
    # "bank officials"), so each is compiled once and kept.
    return re.compile(rf"(?<![\w'’-])(?P<org>{RUN})\s+{re.escape(group)}$")


@dataclass(frozen=True, slots=True)
class Speaker:
    """A speaker phrase as written: a name, a pronoun or a role noun ("the minister")."""

    kind: str
    start: int
    end: int
    text: str


def speaker_before(masked: str, cue_start: int, floor: int) -> Speaker | None:
    """The speaker phrase that ends just before a verb of saying."""
    window = masked[max(floor, cue_start - 200) : cue_start]
    base = cue_start - len(window)
    aux = AUX_AT_END.search(window)
    assert aux is not None  # AUX is a starred group: it matches, empty, at the end of any window
    window = window[: aux.start()]
    dashes = DASHED_ASIDE_AT_END.search(window)
    if dashes:  # "Mr Herron - who is running his own campaign - said"
        window = window[: dashes.start()]
    relative = list(RELATIVE_CLAUSE.finditer(window))
    if relative and window.endswith(","):
        # "The actor, whose films include Schindler's List, Michael Collins ..., said".
        window = window[: relative[-1].start()]
    m = PRONOUN_AT_END.search(window)
    if m:
        return Speaker("pronoun", base + m.start(), base + m.end(), m.group())
    place = PLACE_AT_END.search(window)
    if place and VOICE_AT_END.search(window[: place.start()]):
        window = window[: place.start()]  # "A JAL spokesman in Tokyo said"
    # The phrases below end in a known noun: look at the last word before searching backwards.
    last = window.rsplit(None, 1)[-1] if window.strip() else ""
    m = GROUP_AT_END.search(window) if last in GROUPS else None
    if m and not PREPOSITION_BEFORE_GROUP.search(window[: m.start()]):
        words = m.group().split()
        if len(words) > 1 and words[-2] in ORG_ROLES:  # "bank officials said": the bank's words
            return Speaker("role", base + m.start(), base + m.start() + len(" ".join(words[:-1])), " ".join(words[:-1]))
        org = _org_before(m.group()).search(window)
        if org and (len(org.group("org").split()) > 1 or is_org(org.group("org"))):
            voice = _voice(masked, base, org)
            if voice:  # "NY Fed researchers wrote": the organisation's words
                return voice
        return Speaker("group", base + m.start(), base + m.end(), m.group())  # "analysts said"
    if AND_OR_BUT_AT_END.search(window):
        # "Mr Wallace agreed and said ...": the subject of the sentence.
        return sentence_subject(masked, floor, base + len(window))
    # "a spokesman for the Foreign Office said", "The Queensland Press Ltd board said": the
    # organisation. ("The official said" names none: a role, below.)
    org_role = (
        ORG_ROLE_AT_END.search(window) if last in ORG_ROLES or last in ("board", "management", "directors") else None
    )
    if org_role and PREPOSITION_BEFORE_ORG.search(window[: org_role.start()]):
        org_role = None
    m = THE_SPOKESMAN_AT_END.search(window) if last.startswith("spokes") else None
    if m:  # "The Toyota spokesman said": maybe the spokesman named before, resolved later
        return Speaker("role", base + m.start(), base + m.end(), m.group())
    for m in (ORG_VOICE_END.search(window), org_role):
        voice = m and _voice(masked, base, m)
        if voice:
            return voice
    m = A_SPOKESMAN_AT_END.search(window)
    if m and m.group("org") in ORG_ROLES:  # "A company spokesman said": the company's words
        return Speaker("role", base + m.start("org"), base + m.end("org"), m.group("org"))
    if m:  # "A spokesman said", for no one named
        return Speaker("group", base + m.start(), base + m.end(), m.group())
    m = ROLE_END.search(window)
    # "the Bishop said" is a role; "the Environmental Protection Agency says" is a name.
    if (
        m
        and _is_role(m.group("head"))
        and (
            m.group("head").islower()
            or (
                m.group("head").lower() in ROLES
                and not SPACE_THEN_CAPITAL.search(window[m.start() + 3 : m.start("head")])
            )
        )
    ):
        return Speaker("role", base + m.start(), base + m.end(), m.group())
    window = COMMA_WHO_AT_END.sub("", window)  # "Jay-Z, who said ..."
    if window.endswith(","):
        # "Khaled Al-Maeena, editor at large at the Saudi Gazette, said": skip the apposition.
        inner = window[:-1].rfind(",")
        if inner < 0:
            # "Lydia Buchtmann for Food Standards Australia, says": a subject opening the sentence.
            m = RUN_END.search(window[:-1])
            return name_speaker(masked, base + m.start(), base + m.end()) if m and m.start() == 0 else None
        apposition = window[inner + 1 : -1]
        if len(apposition.split()) > 15 or SENTENCE_MARK.search(apposition):
            return None
        head = window[:inner].rstrip()
        name = APPOSITION_NAME.fullmatch(apposition)
        head_run = RUN_END.search(head)
        # The head describes an office: a role word in it, an organisation, or titles only.
        office = head.split() and (
            any(w.lower() in ROLES for w in head.split())
            or head.split()[-1].lower() in ORG_WORDS
            or (head_run and (is_org(head_run.group()) or not clean_name(head_run.group())[0]))
        )
        last_word = head.split()[-1].lower() if head.split() else ""
        if name and (last_word in ROLES or last_word in KIN or (office and len(name.group(1).split()) > 1)):
            # "Director, David Caldwell, said", "the co-chairman of the Conservative Party, Liam
            # Fox, said", "Kim's sister, Kim Yo Jong, said": the apposition is the name.
            return name_speaker(masked, base + inner + 1 + name.start(1), base + inner + 1 + name.end(1))
        window = head
        m = HE_OR_SHE_AT_END.search(window)
        if m:
            return Speaker("pronoun", base + m.start(), base + m.end(), m.group())
    m = NAME_COMMA_ROLE_OF_AT_END.search(window)
    if m:  # "Dharyono Kertosastro, chairman of the Association of Coffee Exporters told Reuters"
        return name_speaker(masked, base + m.start("name"), base + m.end("name"))
    m = RUN_END.search(window)
    # "a letter seen by Sky News says": a name after a preposition is not the subject.
    if not m or PREPOSITION_BEFORE_NAME.search(window[: m.start()]):
        return None
    return name_speaker(masked, base + m.start(), base + m.end())


def speaker_after(masked: str, cue_end: int) -> Speaker | None:
    """The speaker phrase just after a verb of saying: `said Paul Sheard, economist at ...`."""
    m = PHRASE_AFTER.match(masked[cue_end : cue_end + 120])
    if not m:
        return None
    seg, base = m.group(1), cue_end + m.start(1)
    p = PRONOUN_OPENING.match(seg)
    if p:
        return Speaker("pronoun", base, base + p.end(), p.group())
    p = ORG_VOICE_END.search(masked[base : base + len(seg.rstrip())])
    if p and p.start() == 0:
        return _voice(masked, base, p)
    p = WHOSE_ROLE_NAME.match(seg)
    if p:  # "said Cosby’s spokesperson Andrew Wyatt", "said ONGC chairman Subir Raha"
        return name_speaker(masked, base + p.start("name"), base + p.end("name"))
    p = NAME_RUN.match(seg)
    if p:  # "said Bolden to the gathered crowd"
        return name_speaker(masked, base, base + p.end())
    # "said former New Zealand coach John Bracewell": the last name, ending the phrase.
    runs = list(NAME_RUN.finditer(seg))
    trailing = seg[runs[-1].end() :] if runs else ""
    # After the name, a few words or where it was said: "in the news release", "at a briefing".
    if (
        runs
        and len(seg[: runs[-1].start()].split()) <= 10
        and (len(trailing.split()) <= 3 or (PLACE_OR_TIME_OPENING.match(trailing) and len(trailing.split()) <= 7))
        and not POSSESSIVE_OPENING.match(seg)
        and not PREPOSITION.search(seg[: runs[-1].start()])
    ):
        return name_speaker(masked, base + runs[-1].start(), base + runs[-1].end())
    # "said the prime minister on Monday": the role phrase ends at its last role word.
    words = list(WORD.finditer(seg))[:5]
    if not words or words[0].group() != "the":
        return None
    for i, word in enumerate(words[1:], start=1):
        if _is_role(word.group()) and not (i + 1 < len(words) and _is_role(words[i + 1].group())):
            return Speaker("role", base, base + word.end(), seg[: word.end()])
    return None


def speaker_in(masked: str, start: int, end: int) -> Speaker | None:
    """The source in `according to SOURCE`: a name ending it ("figures from the Health
    Ministry", not "a report on labour standards in Brazil"), or a role noun."""
    seg = PARENTHESES_AT_END.sub("", masked[start:end].rstrip())  # "Equatorial Launch Australia (ELA)"
    # "according to Labor Department figures", "the agency's latest data": who published them.
    seg = PUBLISHED_FIGURES_AT_END.sub("", seg)
    m = THE_HEAD.fullmatch(seg)
    if m and _is_role(m.group("head")):  # "according to the Bishop"
        return Speaker("role", start, start + len(seg), seg)
    m = RUN_END.search(seg)
    if m:
        if PREPOSITION_BEFORE_SOURCE.search(seg[: m.start()]):
            return None
        return name_speaker(masked, start + m.start(), start + m.end())
    m = THE_LOWERCASE_HEAD.fullmatch(seg)
    return Speaker("role", start, start + len(seg), seg) if m else None


def sentence_subject(masked: str, start: int, limit: int) -> Speaker | None:
    """The subject opening a sentence: "UKIP leader Roger Knapman said ..., adding"."""
    lead = CONJUNCTION_OPENING.match(masked[start:limit])
    if lead:
        start += lead.end()
    if INTRO.match(masked, start):
        # "During a meeting in Tel Aviv, Netanyahu conveyed ...": skip the opening phrase.
        comma = masked.find(",", start, limit)
        if comma < 0:
            return None
        start = comma + 1 + len(masked[comma + 1 : limit]) - len(masked[comma + 1 : limit].lstrip())
    head = masked[start:limit]
    m = HE_OR_SHE_OPENING.match(head)
    if m:
        return Speaker("pronoun", start, start + m.end(), m.group())
    m = THE_ROLE_OPENING.match(head)
    if m and _is_role(m.group("head")):
        return Speaker("role", start, start + m.end(), m.group())
    # "The government candidate, Mr. Yanukovich, vowed": the name in apposition.
    m = THE_ROLE_COMMA_NAME_OPENING.match(head)
    if m:
        return name_speaker(masked, start + m.start("name"), start + m.end("name"))
    m = ROLE_NAME_OPENING.match(head)
    if m:
        return name_speaker(masked, start + m.start("name"), start + m.end("name"))
    m = NAME_OPENING.match(head)
    return name_speaker(masked, start, start + m.end()) if m else None


def participle_speaker(masked: str, cue_start: int, floor: int) -> Speaker | None:
    """Who is `saying`: `with Boswell stating:`, the speaker of the attribution just before
    (`said Dr Nielsen, adding`), or else the sentence's subject."""
    before = masked[floor:cue_start].rstrip()
    if AS_AT_END.search(before):
        return quoted_as(masked, floor, floor + len(before))
    if not before.endswith(","):
        m = RUN_END.search(before)
        return name_speaker(masked, floor + m.start(), floor + m.end()) if m else None
    clause = before[:-1].rstrip()
    m = CUE_AT_END.search(clause)
    if m:
        return speaker_before(masked, floor + m.start(), floor)
    m = CUE_THEN_SPEAKER_AT_END.search(clause)
    if m:
        return speaker_after(masked, floor + m.end())
    return sentence_subject(masked, floor, cue_start)


def quoted_as(masked: str, start: int, end: int) -> Speaker | None:
    """Who is quoted in `the paper quoted Geoff Dixon as` and `Dixon was quoted by the paper as`
    (`masked[start:end]`, just before "saying")."""
    window = masked[start:end]
    m = QUOTED_WHO_AS_AT_END.search(window)
    if m:  # the one quoted is the object
        who = m.group("who")
        if HIM_OR_HER.fullmatch(who):
            return Speaker("pronoun", start + m.start("who"), start + m.end("who"), who)
        name = RUN_END.search(who)
        return name and name_speaker(masked, start + m.start("who") + name.start(), start + m.start("who") + name.end())
    m = WAS_QUOTED_AS_AT_END.search(window)
    return speaker_before(masked, start + m.start(), start) if m else None


def _voice(masked: str, base: int, m: re.Match) -> Speaker | None:
    """The organisation of "a spokesman for X": a name, marked as one speaking through a person."""
    group = "org" if m.groupdict().get("org") else "org2"
    name = name_speaker(masked, base + m.start(group), base + m.end(group))
    if name and COUNTRY_WORD.fullmatch(name.text):
        # "a U.S. official", "an Israeli official": a country's, not one named body's
        return Speaker("group", base + m.start(), base + m.end(), masked[base + m.start() : base + m.end()])
    return Speaker("voice", name.start, name.end, name.text) if name and name.kind == "name" else None


def name_speaker(masked: str, start: int, end: int) -> Speaker | None:
    """A capitalised run as a speaker, unless it is a sentence opener or a group noun."""
    words = list(NON_SPACE.finditer(masked[start:end]))
    while words and words[0].group() in LEADING:
        words.pop(0)
    opens_sentence = SENTENCE_BREAK_AT_END.search(masked[max(0, start - 3) : start]) is not None
    # "Bowler Shane Warne said": a common noun capitalised only because it opens the sentence.
    while (
        len(words) > 1
        and opens_sentence
        and _lower_elsewhere(masked, words[0].group())
        and not CONNECTOR_WORD.fullmatch(words[1].group())
    ):  # but "Bank of America said"
        words.pop(0)
    if not words:
        return None
    start = start + words[0].start()
    first = APOSTROPHE_S_END.sub("", words[0].group())
    if len(words) == 1 and first.lower() in GROUPS:
        # "Diplomats said": a statement with no one named, kept so that it is not given to
        # someone else and so that a following "they added" stays unattributed.
        return Speaker("group", start, end, masked[start:end])
    if len(words) == 1 and (
        first.lower() in TITLES
        or first in CALENDAR
        or PLURAL_AGENT_NOUN.fullmatch(first)
        or _lower_elsewhere(masked, first)
    ):
        # A lone capitalised word that is a common noun: "Police said", "Commentators said".
        return None
    return Speaker("name", start, end, masked[start:end])


def _lower_elsewhere(masked: str, word: str) -> bool:
    return word[:1].isupper() and word.lower() in _lowercase_words(masked)


@lru_cache(maxsize=8)
def _lowercase_words(masked: str) -> frozenset[str]:
    return frozenset(LOWERCASE_WORD.findall(masked))


def _is_role(head: str) -> bool:
    head = head.lower()  # "the minister", "the Bishop"
    return head in ROLES or head in ORG_ROLES or head in INSTITUTIONS or head.endswith("year-old")
