"""Reported speech ("X said that ...", "..., X said") and "according to" attributions."""

from __future__ import annotations

import re

from qa.text.quotes.claims import Claim
from qa.text.quotes.lexicon import (
    ADVERBIAL,
    AUX,
    BARE_CUES,
    CALENDAR,
    CLAUSE_STOP,
    CUE,
    CUE_VERB,
    INTRO,
    NAME_TITLES,
    NOT_CLAUSE_START,
    PARTICIPLE,
    PARTICIPLE_VERB,
    QUOTE_CHARS,
    RUN,
    VOICE,
    WHEN,
)
from qa.text.quotes.marks import Mark, inside_marks, trim_clause
from qa.text.quotes.speakers import Speaker, participle_speaker, speaker_after, speaker_before, speaker_in

CUE_OR_PARTICIPLE = re.compile(rf"{CUE}|{PARTICIPLE}")
CLOSING_MARK = re.compile(r"[”\"]")
TOLD_WHOM_WORDS = 6  # "told the Commons foreign affairs committee:"; more words hold a clause of their own
QUOTATION_AFTER_COLON = re.compile(r":\s*[“\"]")
CIRCUMSTANCE_NEXT = re.compile(r"\s+(?:in|on|at|during|after|before|ahead|from|while|when)\b")
QUOTATION_END = re.compile(r"(?:[,!?][”\"]|[”\"],)\s*$")  # `"...," he said`
# "what he said was", "as Smith said": a verb after these does not introduce a clause.
NOT_INTRODUCING_END = re.compile(r"\b(?:[Ww]hat|[Ww]hich|[Ww]ho|[Ww]hom|[Aa]s|than|to|[Ii]f|whether)\s+$")
# Between a verb of saying and its clause: " reporters that", " on Friday (Mar 22) that",
# " in its latest monthly report on the economy ", " on Wednesday ".
TOLD_WHOM_THAT = re.compile(r"\s+[^.;:!?“”\"\n,]{1,60}?\s+that\s+")
TOLD_WHOM_CLAUSE = re.compile(
    rf"\s+(?:the\s+)?(?:{RUN}|reporters|journalists|the\s+press|(?:an?|the)\s+(?:[a-z][\w-]*\s+)"
    rf"{{0,3}}?(?:conference|briefing|meeting|rally|audience|hearing|committee|forum|seminar))"
    rf"\s+(?=[a-z]|{RUN}\s+[a-z])([\w'’-]+)"
)
ADVERBIAL_THEN_THAT = re.compile(rf"(?:\s+{ADVERBIAL}[^.;:!?“”\"\n]{{0,70}}?)?\s+that\b[\s,]*")
IN_SOURCE_THEN_SUBJECT = re.compile(
    r"\s+in\s+(?:a|an|its|his|her|their|the)\s[^.;:!?“”\"\n,]{0,80}?\s(?=(?:it|he|she|they|we|there)\s)"
)
WHEN_THEN_WORD = re.compile(rf"{WHEN}\s+([\w'’-]+)")
CONTRACTION_END = re.compile(r"['’](?:s|d|ll|re|ve|m)$")
LEADING_COMMA = re.compile(r"\s*,")
# Where an attribution after a clause may begin: `..., White said`, `...,” said Smith`.
CLAUSE_COMMA = re.compile(r",[”\"]?\s+|[”\"],\s+")
STOP_OR_QUOTE = re.compile(r"[;:“”\"]")
LEADING_VOICE = re.compile(rf"^\s*{VOICE}\b")
# After the verb, a few words ("said on Friday"), more after "told" (whom and where).
CUE_ENDING_ATTRIBUTION = re.compile(
    rf"{AUX}\s+(?:(?P<cue>{CUE})(?:\s+[^\s,.;!?]+){{0,6}}|"
    rf"(?P<told>told|tells)(?:\s+[^\s,.;!?]+){{1,10}})$"
)
# Words that only introduce a speaker: "a spokesman for the ", "co-lead manager ".
VOICE_INTRODUCTION = re.compile(
    rf"(?:(?:an?|the)\s+)?(?:[a-z]+\s+){{0,2}}?(?:{VOICE}\s+(?:for|from|at|of|by|with)(?:\s+the)?\s+)?"
)
ROLE_VOICE_FOR = re.compile(rf"(?:an?|the)\s+(?:[a-z]+\s+)?{VOICE}\s+(?:for|from|at|of)")
DESCRIPTION_BEFORE_NAME = re.compile(rf"(?:(?:an?|the)\s+)?(?:{RUN}(?:['’]s)?\s+)?(?:[a-z][\w-]*\s+){{0,2}}[a-z][\w-]*")
ACCORDING_TO_OPENING = re.compile(r"(?P<cue>According to)\s+(?P<src>[^,“”\"]{1,100}?),\s+")
NAME_THEN_COMMA = re.compile(rf"(?P<name>{RUN}),\s+")
ACCORDING_TO_CLOSING = re.compile(
    r"(?<!which)(?<!that)(?<!who)(?<!whom),\s+(?P<cue>according to)\s+"
    r"(?P<src>[^,;“”\"]{1,100}?)(?:,\s+(?:the|a|an)\s[^;“”\"]{1,100})?\s*[.!?]?$"
)


def reported_speech(text: str, masked: str, marks: list[Mark], sentences: list[tuple[int, int]]) -> list[Claim]:
    """Reported speech: `X said (on Friday) that CLAUSE.`, `CLAUSE, X said.`, `A, he said, B.`"""
    claims = []
    inside = inside_marks(marks, len(masked))
    for sent_start, sent_end in sentences:
        if sent_end - sent_start > 3000:
            continue  # not a sentence of prose: a list or a table flattened into one line
        cues = [
            m for m in CUE_OR_PARTICIPLE.finditer(masked[sent_start:sent_end]) if not inside[sent_start + m.start()]
        ]
        forward = {}
        for m in cues:
            claim = _forward(
                text, masked, m.group(), sent_start + m.start(), sent_start + m.end(), sent_start, sent_end
            )
            if claim:
                forward[sent_start + m.start()] = claim
        inverted = _inverted(text, masked, sent_start, sent_end, set(forward))
        claims += list(forward.values()) + ([inverted] if inverted else [])
        for m in cues:
            cue_start, cue_end = sent_start + m.start(), sent_start + m.end()
            if cue_start in forward or (inverted and cue_start >= inverted.end) or not CUE_VERB.fullmatch(m.group()):
                continue
            claim = _parenthetical(text, masked, m.group(), cue_start, cue_end, sent_start, sent_end)
            if claim:
                claims.append(claim)
    return claims


def _forward(
    text: str, masked: str, cue: str, cue_start: int, cue_end: int, sent_start: int, sent_end: int
) -> Claim | None:
    """`X said (that) CLAUSE`: the clause after the verb, up to the sentence's end."""
    clause_start = _clause_start(masked, cue, cue_end, sent_end)
    if clause_start is None:
        return None
    nested = CLAUSE_STOP.search(masked, clause_start, sent_end)
    if (
        cue in ("told", "tells", "telling")
        and nested
        and QUOTATION_AFTER_COLON.match(masked, nested.start())
        and len(masked[cue_end : nested.start()].split()) <= TOLD_WHOM_WORDS
    ):
        return None  # `told the Commons foreign affairs committee: "Our position ..."`: whom, then the words
    s, e = trim_clause(text, clause_start, nested.start() if nested else sent_end)
    if len(text[s:e].split()) < 3:
        return None
    if text[s] in QUOTE_CHARS:
        # A quotation that is the whole clause is direct speech, found there; one that only
        # opens it is a quoted phrase in reported speech: 'told CNN that "Squid Game" was ...'.
        closing = CLOSING_MARK.search(text[s + 1 : e])
        if not closing or len(text[s + 1 + closing.end() : e].split()) < 2:
            return None
    if PARTICIPLE_VERB.fullmatch(cue):
        speaker = participle_speaker(masked, cue_start, sent_start)
    else:
        speaker = speaker_before(masked, cue_start, sent_start)
    if not speaker or NOT_INTRODUCING_END.search(masked[sent_start : speaker.start]):
        return None
    if (
        not PARTICIPLE_VERB.fullmatch(cue)
        and QUOTATION_END.search(masked[sent_start : speaker.start])
        and CIRCUMSTANCE_NEXT.match(masked, cue_end)
    ):
        # `"...," O'Leary said on Thursday ahead of signing`: the cue attributes the quotation
        # before it; what follows says when or where ("in a statement shared to her site"). A
        # clause may still follow a quoted title: `"Meet the Press," the senator said the ...`.
        return None
    return Claim(s, e, cue, speaker, 1, sent_end)


def _clause_start(masked: str, cue: str, cue_end: int, sent_end: int) -> int | None:
    """Where the reported clause after a verb of saying begins, or None if none follows."""
    rest = masked[cue_end:sent_end]
    if cue in ("told", "tells", "telling"):
        m = TOLD_WHOM_THAT.match(rest)
        if m:
            return cue_end + m.end()
        # "told Sky News there was ...", "told reporters the plan had failed", "told a weekend
        # marketing conference Thai would finance".
        m = TOLD_WHOM_CLAUSE.match(rest)
        if m and m.group(1) not in NOT_CLAUSE_START:
            return cue_end + m.start(1)
        return None
    m = ADVERBIAL_THEN_THAT.match(rest)
    if m:
        return cue_end + m.end()
    m = IN_SOURCE_THEN_SUBJECT.match(rest)
    if m and cue in BARE_CUES:  # "said in its latest monthly report on the economy it expected"
        return cue_end + m.end()
    m = WHEN_THEN_WORD.match(rest)
    if cue in BARE_CUES and m and m.group(1).lower() not in NOT_CLAUSE_START and m.group(1) not in CALENDAR:
        return cue_end + m.start(1)
    # Other verbs take a clause without "that" when a subject pronoun follows: "admitted he would".
    if m and CONTRACTION_END.sub("", m.group(1)) in ("he", "she", "it", "they", "we", "I", "there"):
        return cue_end + m.start(1)
    return None


def _parenthetical(
    text: str, masked: str, cue: str, cue_start: int, cue_end: int, sent_start: int, sent_end: int
) -> Claim | None:
    """`Currently, he said, sites do badly.` and `But, says Dr Nielsen, some things stayed.`"""
    if masked[sent_start] in QUOTE_CHARS:
        return None  # `“A,” he said, “B.”` is direct speech
    before = masked[sent_start:cue_start].rstrip()
    if before.endswith(","):  # ", says Dr Nielsen, ..."
        speaker = speaker_after(masked, cue_end)
        open_comma = sent_start + before.rfind(",")
    else:  # ", he said, ..."
        speaker = speaker_before(masked, cue_start, sent_start)
        if not speaker:
            return None
        open_comma = masked.rfind(",", sent_start, speaker.start)
        if open_comma < 0 or masked[open_comma + 1 : speaker.start].strip():
            return None
    if not speaker:
        return None
    close = LEADING_COMMA.match(masked[max(speaker.end, cue_end) : sent_end])
    if not close:
        return None
    pre = trim_clause(text, sent_start, open_comma)
    post = trim_clause(text, max(speaker.end, cue_end) + close.end(), sent_end)
    if post[0] < post[1] and text[post[0]] in QUOTE_CHARS:
        return None  # "In Egypt, Blinken stated, “...”" is direct speech
    # The words said are after the attribution when only "But" or an opening phrase is before it.
    short = len(text[pre[0] : pre[1]].split()) <= 2 or INTRO.match(text, pre[0])
    s, e = post if short else pre
    if len(text[s:e].split()) < 3:
        return None
    return Claim(s, e, cue, speaker, 1, sent_end, across=False)


def _inverted(text: str, masked: str, sent_start: int, sent_end: int, taken: set[int]) -> Claim | None:
    """`Police found a grenade, White said.`, `..., said Mike Short, chairman of the MDA.`

    A verb in `taken` already introduces a clause after it and does not close this one.
    """
    sentence = masked[sent_start:sent_end]
    if sentence[0] in QUOTE_CHARS:
        return None  # a quotation opening the sentence is direct speech, handled there
    end = sent_start + len(sentence.rstrip(".!? "))
    commas = list(CLAUSE_COMMA.finditer(sentence))[-3:]
    for comma in reversed(commas):
        att_start = sent_start + comma.end()
        att = masked[att_start:end]
        cue = CUE_VERB.match(att)
        if any(cue_start < sent_start + comma.start() for cue_start in taken):
            return None  # "X announced it would ..., the university said": X's clause
        if cue and att_start not in taken:
            speaker = speaker_after(masked, att_start + cue.end())
            cue_text = cue.group()
            # After the name only an apposition or a few words: ", chairman of the MDA", "on Friday".
            rest = LEADING_VOICE.sub("", masked[speaker.end : end]) if speaker else ""
            if speaker and (
                STOP_OR_QUOTE.search(masked[att_start : speaker.end])
                or (len(rest.split()) > 4 and not rest.startswith(","))
            ):
                speaker = None
        else:
            if STOP_OR_QUOTE.search(att):
                continue
            cue = CUE_ENDING_ATTRIBUTION.search(att)
            # The group that holds the verb; without a match it is never read.
            verb = "cue" if cue and cue.group("cue") else "told"
            if cue and att_start + cue.start(verb) in taken:
                continue
            speaker = cue and speaker_before(masked, att_start + cue.start(verb), att_start)
            cue_text = cue.group(verb) if cue else ""
            if speaker and not _describes(masked[att_start : speaker.start], speaker):
                speaker = None
            # "In opening remarks to welcome Zelenska, Biden recalled that visit.": an opening
            # phrase, not a clause, stands before the comma.
            if (
                speaker
                and INTRO.match(masked, sent_start)
                and "," not in masked[sent_start : sent_start + comma.start()]
            ):
                speaker = None
        if speaker:
            s, e = trim_clause(text, sent_start, sent_start + comma.start())
            if len(text[s:e].split()) < 4:
                return None
            return Claim(s, e, cue_text, speaker, 1, sent_end)
    return None


def _describes(words: str, speaker: Speaker) -> bool:
    """Whether `words`, between a comma and the speaker of `..., X said.`, only introduce the
    speaker: "the", "a spokesman for the" (before an organisation speaking through one), or a
    description ending in a title ("co-lead manager Bankers Trust Co said")."""
    words = words.strip()
    if words in ("", "the") or (speaker.kind == "voice" and VOICE_INTRODUCTION.fullmatch(words + " ")):
        return True
    if speaker.kind == "role" and ROLE_VOICE_FOR.fullmatch(words):
        return True  # "a spokesman for the airplane manufacturer"
    # "co-lead manager Bankers Trust Co", "Storehouse Plc corporate treasurer Lance Moir"
    return (
        speaker.kind == "name"
        and DESCRIPTION_BEFORE_NAME.fullmatch(words) is not None
        and words.split()[-1].split("-")[-1] in NAME_TITLES
    )


def according_to(text: str, masked: str, sentences: list[tuple[int, int]]) -> list[Claim]:
    """`According to X, CLAUSE.` and `CLAUSE, according to X.`"""
    claims = []
    for sent_start, sent_end in sentences:
        sentence = masked[sent_start:sent_end]
        m = ACCORDING_TO_OPENING.match(sentence)
        if m:
            src_start, src_end = sent_start + m.start("src"), sent_start + m.end("src")
            clause_start = sent_start + m.end()
            speaker = speaker_in(masked, src_start, src_end)
            name = NAME_THEN_COMMA.match(sentence[m.end() :])
            if not (speaker and speaker.end == src_end) and name:
                # "According to the team's coach, Alireza Mehraban, ...": the name that follows.
                speaker = speaker_in(masked, clause_start, clause_start + name.end("name"))
                clause_start += name.end()
        else:
            # The source may be followed by its description: "..., according to ELA, the developer".
            m = ACCORDING_TO_CLOSING.search(sentence)
            if not m:
                continue
            speaker = speaker_in(masked, sent_start + m.start("src"), sent_start + m.end("src"))
            clause_start, sent_end = sent_start, sent_start + m.start()
        s, e = trim_clause(text, clause_start, sent_end)
        if speaker and len(text[s:e].split()) >= 3 and text[s] not in QUOTE_CHARS:
            claims.append(Claim(s, e, m.group("cue"), speaker, 2))
    return claims
