"""Speaker phrases next to a verb of saying: a name, a pronoun, a role or an organisation."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from qa.text.quotes.lexicon import (
    AUX,
    CALENDAR,
    CONNECTOR,
    CUE,
    GROUPS,
    INSTITUTIONS,
    INTRO,
    LEADING,
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
    aux = re.search(rf"{AUX}\s*$", window)
    assert aux is not None  # AUX is a starred group: it matches, empty, at the end of any window
    window = window[: aux.start()]
    dashes = re.search(r"\s[-–—]\s[^-–—]{1,200}\s[-–—]$", window)
    if dashes:  # "Mr Herron - who is running his own campaign - said"
        window = window[: dashes.start()]
    relative = list(re.finditer(r",\s+(?:who|whose|which)\b", window))
    if relative and window.endswith(","):
        # "The actor, whose films include Schindler's List, Michael Collins ..., said".
        window = window[: relative[-1].start()]
    m = re.search(r"(?<![\w'’-])(?:he|she|they|it|He|She|They|It)$", window)
    if m:
        return Speaker("pronoun", base + m.start(), base + m.end(), m.group())
    place = re.search(rf"(?<=[a-z])\s+(?:in|at)\s+{RUN}$", window)
    if place and re.search(rf"\b{VOICE}$", window[: place.start()]):
        window = window[: place.start()]  # "A JAL spokesman in Tokyo said"
    # The phrases below end in a known noun: look at the last word before searching backwards.
    last = window.rsplit(None, 1)[-1] if window.strip() else ""
    m = re.search(rf"(?<![\w'’-])(?:[a-z][\w-]*\s+){{0,2}}(?:{'|'.join(GROUPS)})$", window) if last in GROUPS else None
    if m and not re.search(r"\b(?:by|of|from|with|to|for|at|about|against)\s+$", window[: m.start()]):
        words = m.group().split()
        if len(words) > 1 and words[-2] in ORG_ROLES:  # "bank officials said": the bank's words
            return Speaker("role", base + m.start(), base + m.start() + len(" ".join(words[:-1])), " ".join(words[:-1]))
        org = re.search(rf"(?<![\w'’-])(?P<org>{RUN})\s+{re.escape(m.group())}$", window)
        if org and (len(org.group("org").split()) > 1 or is_org(org.group("org"))):
            voice = _voice(masked, base, org)
            if voice:  # "NY Fed researchers wrote": the organisation's words
                return voice
        return Speaker("group", base + m.start(), base + m.end(), m.group())  # "analysts said"
    if re.search(r"\b(?:and|but)$", window):
        # "Mr Wallace agreed and said ...": the subject of the sentence.
        return sentence_subject(masked, floor, base + len(window))
    # "a spokesman for the Foreign Office said", "The Queensland Press Ltd board said": the
    # organisation. ("The official said" names none: a role, below.)
    org_role = (
        re.search(
            rf"(?<![\w'’-])(?P<org>{RUN})(?:['’]s)?\s+(?:board|management|directors|{'|'.join(ORG_ROLES)})$", window
        )
        if last in ORG_ROLES or last in ("board", "management", "directors")
        else None
    )
    if org_role and re.search(
        r"\b(?:by|of|from|in|with|to|for|at|on|about|against|into)\s+(?:the\s+)?$", window[: org_role.start()]
    ):
        org_role = None
    m = (
        re.search(rf"(?<![\w'’-])[Tt]he\s+(?:{RUN}(?:['’]s)?\s+)?spokes(?:man|woman|person)$", window)
        if last.startswith("spokes")
        else None
    )
    if m:  # "The Toyota spokesman said": maybe the spokesman named before, resolved later
        return Speaker("role", base + m.start(), base + m.end(), m.group())
    for m in (ORG_VOICE_END.search(window), org_role):
        voice = m and _voice(masked, base, m)
        if voice:
            return voice
    m = re.search(
        r"(?<![\w'’-])[Aa]n?\s+(?:(?P<org>[a-z]+)\s+)?(?:spokes(?:man|woman|person)|official|source)$", window
    )
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
            or (m.group("head").lower() in ROLES and not re.search(r"\s[A-Z]", window[m.start() + 3 : m.start("head")]))
        )
    ):
        return Speaker("role", base + m.start(), base + m.end(), m.group())
    window = re.sub(r",\s*who$", "", window)  # "Jay-Z, who said ..."
    if window.endswith(","):
        # "Khaled Al-Maeena, editor at large at the Saudi Gazette, said": skip the apposition.
        inner = window[:-1].rfind(",")
        if inner < 0:
            # "Lydia Buchtmann for Food Standards Australia, says": a subject opening the sentence.
            m = RUN_END.search(window[:-1])
            return name_speaker(masked, base + m.start(), base + m.end()) if m and m.start() == 0 else None
        apposition = window[inner + 1 : -1]
        if len(apposition.split()) > 15 or re.search(r"[.!?]", apposition):
            return None
        head = window[:inner].rstrip()
        name = re.fullmatch(rf"\s*(?:the\s+)?({RUN})\s*", apposition)
        head_run = RUN_END.search(head)
        # The head describes an office: a role word in it, an organisation, or titles only.
        office = head.split() and (
            any(w.lower() in ROLES for w in head.split())
            or head.split()[-1].lower() in ORG_WORDS
            or (head_run and (is_org(head_run.group()) or not clean_name(head_run.group())[0]))
        )
        if name and head.split() and (head.split()[-1].lower() in ROLES or (office and len(name.group(1).split()) > 1)):
            # "Director, David Caldwell, said", "the co-chairman of the Conservative Party, Liam
            # Fox, said": the apposition is the name.
            return name_speaker(masked, base + inner + 1 + name.start(1), base + inner + 1 + name.end(1))
        window = head
        m = re.search(r"(?<![\w'’-])(?:he|she|He|She)$", window)
        if m:
            return Speaker("pronoun", base + m.start(), base + m.end(), m.group())
    m = re.search(
        rf"(?<![\w'’-])(?P<name>{RUN}),\s+(?:the\s+|an?\s+)?(?:[\w-]+\s+){{0,3}}?(?:{ROLES_RE})\s+"
        r"(?:of|at|for|with)\s+[^,]{1,80}$",
        window,
    )
    if m:  # "Dharyono Kertosastro, chairman of the Association of Coffee Exporters told Reuters"
        return name_speaker(masked, base + m.start("name"), base + m.end("name"))
    m = RUN_END.search(window)
    # "a letter seen by Sky News says": a name after a preposition is not the subject.
    if not m or re.search(r"\b(?:by|of|from|in|with|to|for|at|on|about|against|into)\s+$", window[: m.start()]):
        return None
    return name_speaker(masked, base + m.start(), base + m.end())


def speaker_after(masked: str, cue_end: int) -> Speaker | None:
    """The speaker phrase just after a verb of saying: `said Paul Sheard, economist at ...`."""
    m = re.match(r"\s+([^,.;:!?“”\"\n]{1,100})", masked[cue_end : cue_end + 120])
    if not m:
        return None
    seg, base = m.group(1), cue_end + m.start(1)
    p = re.match(r"(?:he|she|they)\b", seg)
    if p:
        return Speaker("pronoun", base, base + p.end(), p.group())
    p = ORG_VOICE_END.search(masked[base : base + len(seg.rstrip())])
    if p and p.start() == 0:
        return _voice(masked, base, p)
    p = re.match(rf"{RUN}['’]s\s+(?:[a-z][\w-]*\s+){{1,3}}(?P<name>{RUN})", seg)
    if p:  # "said Cosby’s spokesperson Andrew Wyatt"
        return name_speaker(masked, base + p.start("name"), base + p.end("name"))
    p = re.match(RUN, seg)
    if p:  # "said Bolden to the gathered crowd"
        return name_speaker(masked, base, base + p.end())
    # "said former New Zealand coach John Bracewell": the last name, ending the phrase.
    runs = list(re.finditer(RUN, seg))
    trailing = seg[runs[-1].end() :] if runs else ""
    # After the name, a few words or where it was said: "in the news release", "at a briefing".
    if (
        runs
        and len(seg[: runs[-1].start()].split()) <= 10
        and (
            len(trailing.split()) <= 3
            or (re.match(r"\s+(?:in|on|at|during|after|to)\s", trailing) and len(trailing.split()) <= 7)
        )
        and not re.match(r"(?:his|her|its|their|our|my)\b", seg)
        and not re.search(r"\b(?:of|to|in|on|at|from|with|by|into|for)\b", seg[: runs[-1].start()])
    ):
        return name_speaker(masked, base + runs[-1].start(), base + runs[-1].end())
    # "said the prime minister on Monday": the role phrase ends at its last role word.
    words = list(re.finditer(r"[\w'’-]+", seg))[:5]
    if not words or words[0].group() != "the":
        return None
    for i, word in enumerate(words[1:], start=1):
        if _is_role(word.group()) and not (i + 1 < len(words) and _is_role(words[i + 1].group())):
            return Speaker("role", base, base + word.end(), seg[: word.end()])
    return None


def speaker_in(masked: str, start: int, end: int) -> Speaker | None:
    """The source in `according to SOURCE`: a name ending it ("figures from the Health
    Ministry", not "a report on labour standards in Brazil"), or a role noun."""
    seg = re.sub(r"\s*\([^()]*\)$", "", masked[start:end].rstrip())  # "Equatorial Launch Australia (ELA)"
    # "according to Labor Department figures", "the agency's latest data": who published them.
    seg = re.sub(
        r"(?<=[A-Za-z])(?:['’]s)?(?:\s+[a-z]+){0,2}?\s+(?:figures|data|statistics|estimates|numbers|"
        r"calculations|research|records|survey|analysis|forecasts?|projections?)$",
        "",
        seg,
    )
    m = re.fullmatch(r"the\s+(?:[\w-]+\s+){0,3}?(?P<head>[A-Za-z][\w-]*)", seg)
    if m and _is_role(m.group("head")):  # "according to the Bishop"
        return Speaker("role", start, start + len(seg), seg)
    m = RUN_END.search(seg)
    if m:
        if re.search(r"\b(?:in|on|at|to|for|about|across|near|into|over)\s+(?:the\s+)?$", seg[: m.start()]):
            return None
        return name_speaker(masked, start + m.start(), start + m.end())
    m = re.fullmatch(r"the\s+(?:[\w-]+\s+){0,3}?(?P<head>[a-z][\w-]*)", seg)
    return Speaker("role", start, start + len(seg), seg) if m else None


def sentence_subject(masked: str, start: int, limit: int) -> Speaker | None:
    """The subject opening a sentence: "UKIP leader Roger Knapman said ..., adding"."""
    lead = re.match(r"(?:But|And|However|Meanwhile|Yet|So|Also|Then)\b,?\s+", masked[start:limit])
    if lead:
        start += lead.end()
    if INTRO.match(masked, start):
        # "During a meeting in Tel Aviv, Netanyahu conveyed ...": skip the opening phrase.
        comma = masked.find(",", start, limit)
        if comma < 0:
            return None
        start = comma + 1 + len(masked[comma + 1 : limit]) - len(masked[comma + 1 : limit].lstrip())
    head = masked[start:limit]
    m = re.match(r"(?:he|she|He|She)\b", head)
    if m:
        return Speaker("pronoun", start, start + m.end(), m.group())
    m = re.match(r"[Tt]he\s+(?:[\w-]+\s+){0,3}?(?P<head>[a-z][\w-]*)(?=\s+[a-z])", head)
    if m and _is_role(m.group("head")):
        return Speaker("role", start, start + m.end(), m.group())
    # Followed by its verb, not by a noun it modifies ("Saudi Arabian government officials").
    follows = (
        rf"(?=(?:,[^,]{{1,120}},|\s[-–—]\s[^-–—]{{1,200}}\s[-–—])?"
        rf"\s+(?!(?:{'|'.join(GROUPS)}|government)\b)[a-z])"
    )
    # "The government candidate, Mr. Yanukovich, vowed": the name in apposition.
    m = re.match(rf"[Tt]he\s+(?:[\w'’-]+\s+){{0,3}}?[a-z][\w-]*,\s+(?P<name>{RUN}),\s+[a-z]", head)
    if m:
        return name_speaker(masked, start + m.start("name"), start + m.end("name"))
    m = re.match(
        rf"(?:{RUN}\s+)?(?:[a-z][\w-]*\s+){{0,2}}?(?:[a-z]+-)?(?:{ROLES_RE})\s+"
        rf"(?P<name>{RUN}){follows}",
        head,
    )
    if m:
        return name_speaker(masked, start + m.start("name"), start + m.end("name"))
    m = re.match(rf"{RUN}{follows}", head)
    return name_speaker(masked, start, start + m.end()) if m else None


def participle_speaker(masked: str, cue_start: int, floor: int) -> Speaker | None:
    """Who is `saying`: `with Boswell stating:`, the speaker of the attribution just before
    (`said Dr Nielsen, adding`), or else the sentence's subject."""
    before = masked[floor:cue_start].rstrip()
    if re.search(r"\bas$", before):
        return quoted_as(masked, floor, floor + len(before))
    if not before.endswith(","):
        m = RUN_END.search(before)
        return name_speaker(masked, floor + m.start(), floor + m.end()) if m else None
    clause = before[:-1].rstrip()
    m = re.search(rf"{CUE}$", clause)
    if m:
        return speaker_before(masked, floor + m.start(), floor)
    m = re.search(rf"{CUE}(?=\s+[^,.;:!?“”\"]{{1,60}}(?:,[^,.;:!?“”\"]{{1,80}})?$)", clause)
    if m:
        return speaker_after(masked, floor + m.end())
    return sentence_subject(masked, floor, cue_start)


def quoted_as(masked: str, start: int, end: int) -> Speaker | None:
    """Who is quoted in `the paper quoted Geoff Dixon as` and `Dixon was quoted by the paper as`
    (`masked[start:end]`, just before "saying")."""
    window = masked[start:end]
    m = re.search(r"\bquot(?:ed|es|ing)\s+(?!by\b)(?P<who>[^,.;:!?“”\"]{1,80}?)\s+as$", window)
    if m:  # the one quoted is the object
        who = m.group("who")
        if re.fullmatch(r"him|her", who):
            return Speaker("pronoun", start + m.start("who"), start + m.end("who"), who)
        name = RUN_END.search(who)
        return name and name_speaker(masked, start + m.start("who") + name.start(), start + m.start("who") + name.end())
    m = re.search(
        r"\s+(?:was|were|is|are|has\s+been|had\s+been)\s+quoted\s+(?:by\s+[^,.;:!?“”\"]{1,60}?\s+)?as$", window
    )
    return speaker_before(masked, start + m.start(), start) if m else None


def _voice(masked: str, base: int, m: re.Match) -> Speaker | None:
    """The organisation of "a spokesman for X": a name, marked as one speaking through a person."""
    group = "org" if m.groupdict().get("org") else "org2"
    name = name_speaker(masked, base + m.start(group), base + m.end(group))
    if name and re.fullmatch(r"U[._]?[SK][._]?|[A-Z][a-z]+(?:ian|ese|ish|can)|[A-Z][a-z]{4,}i", name.text):
        # "a U.S. official", "an Israeli official": a country's, not one named body's
        return Speaker("group", base + m.start(), base + m.end(), masked[base + m.start() : base + m.end()])
    return Speaker("voice", name.start, name.end, name.text) if name and name.kind == "name" else None


def name_speaker(masked: str, start: int, end: int) -> Speaker | None:
    """A capitalised run as a speaker, unless it is a sentence opener or a group noun."""
    words = list(re.finditer(r"\S+", masked[start:end]))
    while words and words[0].group() in LEADING:
        words.pop(0)
    opens_sentence = re.search(r"(?:^|[.!?\n][”\"’]?)\s*$", masked[max(0, start - 3) : start]) is not None
    # "Bowler Shane Warne said": a common noun capitalised only because it opens the sentence.
    while (
        len(words) > 1
        and opens_sentence
        and _lower_elsewhere(masked, words[0].group())
        and not re.fullmatch(CONNECTOR, words[1].group())
    ):  # but "Bank of America said"
        words.pop(0)
    if not words:
        return None
    start = start + words[0].start()
    first = re.sub(r"['’]s$", "", words[0].group())
    if len(words) == 1 and first.lower() in GROUPS:
        # "Diplomats said": a statement with no one named, kept so that it is not given to
        # someone else and so that a following "they added" stays unattributed.
        return Speaker("group", start, end, masked[start:end])
    if len(words) == 1 and (
        first.lower() in TITLES
        or first in CALENDAR
        or re.fullmatch(r"[A-Z][a-z]{4,}(?:ers|ists|ians|ents|ants|ors)", first)
        or _lower_elsewhere(masked, first)
    ):
        # A lone capitalised word that is a common noun: "Police said", "Commentators said".
        return None
    return Speaker("name", start, end, masked[start:end])


def _lower_elsewhere(masked: str, word: str) -> bool:
    return word[:1].isupper() and word.lower() in _lowercase_words(masked)


@lru_cache(maxsize=8)
def _lowercase_words(masked: str) -> frozenset[str]:
    return frozenset(re.findall(r"(?<![\w.])[a-z][\w'’-]*", masked))


def _is_role(head: str) -> bool:
    head = head.lower()  # "the minister", "the Bishop"
    return head in ROLES or head in ORG_ROLES or head in INSTITUTIONS or head.endswith("year-old")
