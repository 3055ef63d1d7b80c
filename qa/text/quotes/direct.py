"""Direct quotations: words in quotation marks with a verb of saying and a speaker beside them."""

from __future__ import annotations

import re
from bisect import bisect_right

from qa.text.quotes.claims import Claim
from qa.text.quotes.lexicon import AUX, CHARACTERISE, CUE, CUE_VERB, PARTICIPLE, PARTICIPLE_VERB, RUN, RUN_END
from qa.text.quotes.marks import Mark, inner, sentence_at
from qa.text.quotes.speakers import (
    name_speaker,
    participle_speaker,
    quoted_as,
    speaker_after,
    speaker_before,
    speaker_in,
)

# Attributions before a quotation: "Said Wales coach Scott Johnson: ", "Netanyahu said, ",
# "Smith told the BBC: ", "According to Smith: ".
SAID_WHO_LEAD_IN = re.compile(r"\s*(?P<cue>Said|Says|Added|Adds)\s+(?P<who>[^“”\"\n.;!?:,]{1,80}?)\s*[:,]\s*")
CUE_LEAD_IN = re.compile(
    rf"(?P<cue>{CUE}|{PARTICIPLE})(?:\s+that|(?:\s+[^“”\"\n.;!?,]{{1,80}}?)?\s*[,:]"
    r"|\s*)\s*$"
)
ACCORDING_TO_LEAD_IN = re.compile(r"\b(?P<cue>[Aa]ccording to)\s+(?P<src>[^“”\"\n.;!?:,]{1,80}?)\s*[,:]?\s*$")
# Attributions after a quotation: ", he said", " the newspaper quoted Geoff Dixon as saying",
# " Smith told".
SPACES_AND_COMMA = re.compile(r"\s*,?\s*")
AS_SAYING = re.compile(r"[^.;:!?“”\"\n]{1,140}?\bas\s+(?P<cue>saying)\b")
QUOTED_OR_QUOTES = re.compile(r"\bquot(?:ed|es)\b")
WORDS_THEN_CUE = re.compile(rf"[^.;:!?“”\"\n]{{1,100}}?{AUX}\s+(?P<cue>{CUE})")
CUE_AHEAD = re.compile(rf"[^.;:!?“”\"\n]{{0,100}}?\s{CUE}")
CAPITAL_OR_PUNCTUATION = re.compile(r"[A-Z]|[^\w\s,'’-]")
NAME_THEN_DESCRIPTION = re.compile(
    rf"{RUN}(?:['’]s)?\s+(?:[a-z][\w-]*\s+){{0,2}}?(?!(?:of|for|to|in|at|by|with|and)\s)[a-z][\w-]*\s+"
)
UP_TO_SENTENCE_END = re.compile(r"[^.;!?\n]*")
# What may stand between an attribution and a quotation that goes on from it.
SAME_LINE_GAP = re.compile(r"[\s,.;:—–-]{0,4}")
PARAGRAPH_GAP = re.compile(r"[\s,.;:]*\n\s*")
QUOTE_OR_COMMA = re.compile(r"[“”\",]")
LOWER_WORD_AFTER = re.compile(r" [a-z]")
CIRCUMSTANCE = re.compile(r"\s+(?:in|on|at|during|after|before|ahead|from|to|while|when)\b")


def direct_quotations(
    text: str, masked: str, marks: list[Mark], sentences: list[tuple[int, int]], reported: list[Claim]
) -> list[Claim]:
    """Quotations with a verb of saying and a speaker just before or just after the marks, and
    quotations that go on from one (after `“A,” he said.` or `B, he said.`)."""
    claims: list[Claim] = []
    lead_ins = sorted((c for c in reported if c.attr_end >= 0), key=lambda c: c.attr_end)
    lead_ends = [c.attr_end for c in lead_ins]
    run_on = {mark.close for mark in marks if not mark.closed}  # where a quotation left open ends
    for mark in marks:
        s, e = inner(text, mark)
        if s >= e:
            continue
        sent_start, _ = sentence_at(sentences, mark.open)
        # A quotation opening its sentence may have its speaker after it; so may one that
        # follows a quotation left open, whose sentence ends cannot be told.
        opens = sent_start == mark.open or mark.open in run_on
        claim = _cue_before(masked, mark, sent_start) or (
            _cue_after(masked, mark, text[e - 1]) if mark.closed and opens else None
        )
        if claim:
            claim.start, claim.end, claim.mark = s, e, mark
            claims.append(claim)
        elif (
            (prev := _lead_in(claims, lead_ins, lead_ends, mark))
            and _continues(masked, prev, mark)
            and not (mark.closed and masked[mark.close - 1] == "," and CUE_AHEAD.match(masked[mark.close + 1 :]))
            # A title the sentence goes on about is no speech: "“Cheer” follows the cheer team"
            # (but `"... love," he complained` is).
            and not (
                mark.closed and masked[mark.close - 1] not in ",.!?" and LOWER_WORD_AFTER.match(masked, mark.close + 1)
            )
        ):
            # "“A,” he said. “B.”": the next quotation is the same speaker going on (unless a
            # speaker of its own follows that could not be told).
            claims.append(Claim(s, e, prev.cue, prev.speaker, 0, _after(mark), mark))
        else:
            partial = _partial(masked, mark, sent_start)
            if partial:
                partial.start, partial.end = s, e
                claims.append(partial)
    return claims


def _lead_in(claims: list[Claim], lead_ins: list[Claim], lead_ends: list[int], mark: Mark) -> Claim | None:
    """The attribution that ends last before a quotation opens: a direct quotation's, or a
    reported statement's (`lead_ins`, sorted by where their attributions end)."""
    direct = next((c for c in reversed(claims) if 0 <= c.attr_end <= mark.open), None)
    i = bisect_right(lead_ends, mark.open)
    reported = lead_ins[i - 1] if i else None
    if direct and reported:
        return direct if direct.attr_end >= reported.attr_end else reported
    return direct or reported


def _after(mark: Mark) -> int:
    return mark.close + 1 if mark.closed else mark.close


def _cue_before(masked: str, mark: Mark, floor: int) -> Claim | None:
    """`Netanyahu said, “...”`, `Smith told the BBC: "..."`, `According to Smith: "..."`."""
    window = masked[floor : mark.open]
    m = SAID_WHO_LEAD_IN.fullmatch(window)
    if m and (name := RUN_END.search(m.group("who"))):  # "Said Wales assistant coach Scott Johnson: “...”"
        start = floor + m.start("who") + name.start()
        speaker = name_speaker(masked, start, start + len(name.group()))
        return Claim(0, 0, m.group("cue"), speaker, 0, _after(mark)) if speaker else None
    m = CUE_LEAD_IN.search(window)
    if m:
        cue_start = floor + m.start("cue")
        if PARTICIPLE_VERB.fullmatch(m.group("cue")):
            speaker = participle_speaker(masked, cue_start, floor)
        else:
            speaker = speaker_before(masked, cue_start, floor)
        return Claim(0, 0, m.group("cue"), speaker, 0, _after(mark)) if speaker else None
    m = ACCORDING_TO_LEAD_IN.search(window)
    if m:
        speaker = speaker_in(masked, floor + m.start("src"), floor + m.end("src"))
        return Claim(0, 0, m.group("cue"), speaker, 0, _after(mark)) if speaker else None
    return None


def _cue_after(masked: str, mark: Mark, last_char: str) -> Claim | None:
    """`“...,” he said`, `“...,” said the minister`, `“...” Smith told reporters`."""
    after = mark.close + 1
    line_end = masked.find("\n", after)
    rest = masked[after : line_end if line_end >= 0 else len(masked)]
    spaces = SPACES_AND_COMMA.match(rest)
    assert spaces is not None  # every part is optional: it matches, empty if need be
    lead = spaces.end()
    m = CUE_VERB.match(rest[lead:])
    quoted = AS_SAYING.match(rest[lead:])
    if m:
        cue_start, cue_end = after + lead, after + lead + m.end()
        speaker = speaker_after(masked, cue_end)
    elif quoted and QUOTED_OR_QUOTES.search(quoted.group()):
        # "“...,” the newspaper quoted Geoff Dixon as saying."
        cue_start, cue_end = after + lead + quoted.start("cue"), after + lead + quoted.end("cue")
        speaker = quoted_as(masked, after + lead, cue_start - 1)
    else:
        m = WORDS_THEN_CUE.match(rest[lead:])
        if not m:
            return None
        cue_start, cue_end = after + lead + m.start("cue"), after + lead + m.end("cue")
        speaker = speaker_before(masked, cue_start, after + lead)
        # Only descriptive words may come before the name: "director and producer Hwang said",
        # "BA chairman Martin Broughton said".
        described = masked[after + lead : speaker.start] if speaker else ""
        if (
            speaker and CAPITAL_OR_PUNCTUATION.search(described) and not NAME_THEN_DESCRIPTION.fullmatch(described)
        ):  # "Dartmouth alumna Ellie Loughlin said"
            speaker = None
    if not speaker:
        return None
    attr_end = max(cue_end, speaker.end)
    # After a quotation that ends its own sentence, "Smith said" must end the next one quickly;
    # otherwise it starts new reported speech ("“We won.” Smith said the team ...").
    following = UP_TO_SENTENCE_END.match(masked[attr_end:])
    assert following is not None  # * matches, empty if need be
    tail = following.group()
    if last_char == "." and len(tail.split()) > 4:
        return None
    # "Mr Wong told the BBC News website." and ", vice president of SpeechWorks, a division of
    # ScanSoft." end the attribution.
    # So does where or when it was said: "Johnson said in a statement shared to her site on Sunday."
    if (
        len(tail.split()) <= 8
        or (tail.lstrip().startswith(",") and len(tail.split()) <= 25)
        or (last_char != "." and CIRCUMSTANCE.match(tail) and len(tail.split()) <= 25)
    ):
        attr_end += len(tail)
    return Claim(0, 0, masked[cue_start:cue_end], speaker, 0, attr_end)


def _continues(masked: str, prev: Claim, mark: Mark) -> bool:
    """Whether a quotation with no cue of its own directly follows an attribution: in the same
    line (`“A,” he said. “B.”`, `He said X. “B.”`), or opening the paragraph after one that
    ended with a quotation or `..., he said.`"""
    between = masked[prev.attr_end : mark.open]
    if SAME_LINE_GAP.fullmatch(between) and "\n" not in between:
        return True
    return prev.across and PARAGRAPH_GAP.fullmatch(between) is not None


def _partial(masked: str, mark: Mark, floor: int) -> Claim | None:
    """`Mr Fox called him "a disappointment"`: a quoted phrase in a sentence whose speaker
    characterises something in their own words."""
    window = masked[floor : mark.open]
    verbs = list(CHARACTERISE.finditer(window))
    between = window[verbs[-1].end() :] if verbs else ""
    # The quotation must be the verb's own object: not after a comma ("who he described as an
    # activist, and that he was \"willing ...\"").
    if not verbs or len(between.split()) > 15 or QUOTE_OR_COMMA.search(between):
        return None
    speaker = speaker_before(masked, floor + verbs[-1].start(), floor)
    return Claim(0, 0, verbs[-1].group(), speaker, 3, _after(mark)) if speaker else None
