"""Who said what: quotations, reported speech and "according to" attributions, found by rules."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from bisect import bisect_left, bisect_right, insort
from functools import lru_cache

from qa.types import Quote

# Verbs of saying. A direct quotation needs one right next to it; reported speech needs one
# between a speaker and a clause.
_CUE_WORDS = """said says say stated states added adds told tells explained explains warned warns
insisted insists argued argues claimed claims noted notes wrote writes announced announces asked
asks replied replies continued continues admitted admits declared declares suggested suggests
commented comments remarked remarks acknowledged acknowledges confirmed confirms maintained
maintains stressed stresses emphasised emphasises emphasized emphasizes urged urges predicted
predicts conceded concedes recalled recalls observed observes responded responds revealed reveals
reiterated reiterates countered counters cautioned cautions concluded concludes joked jokes
tweeted tweets posted vowed vows reported reports alleged alleges estimated estimates forecast
forecasts""".split()
_CUE = r"\b(?:went on to say|goes on to say|pointed out|points out|went on|goes on|" + "|".join(
    _CUE_WORDS) + r")\b"
_PARTICIPLE = r"\b(?:saying|stating|adding|telling|warning|noting|insisting|arguing|explaining|claiming)\b"
# Verbs that put someone's words in quotation marks without a clause: `called him "a disappointment"`.
_CHARACTERISE = re.compile(r"\b(?:called|calls|described|describes|labelled|labeled|branded|dubbed|"
                           r"accused|accuses|praised|criticised|criticized|hailed|condemned|questioned|"
                           r"credited|promised|pledged|hoped|hopes|denied|welcomed|attacked|blamed)\b")
# Reported speech without "that" ("He said the plan failed") is trusted only after these verbs;
# the others too often take a plain object ("warned the government", "confirmed the deal").
_BARE_CUES = {"said", "says", "say", "added", "adds", "saying", "adding"}
# Words that may stand between a subject and its verb: "Smith has also said", "he did say".
_AUX = (r"(?:\s+(?:has|have|had|did|does|do|also|later|earlier|previously|then|again|once|would|"
        r"will|further|yesterday|today|in\s+an?\s+(?:statement|interview)|"
        r"on\s+(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)|[a-z]+ly))*")
# A clause after a bare "said" cannot start with these ("said in a statement", "said it was").
_NOT_CLAUSE_START = set("""in on at to of for with by from about after before during when while as if
so and but or yes nothing goodbye hello thanks sorry was is were are had has have would will
could should can may might did does do been being this last earlier later yesterday today tonight
previously recently also again once then now repeatedly so-called that""".split())
_DAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
# Openers of "said on Friday (Mar 22) that" and the like: only these may come between verb and "that".
_ADVERBIAL = (rf"(?:on|in|at|during|after|before|to|from|via|through|last|this|earlier|later|"
              rf"yesterday|today|tonight|late|early|recently|previously|also|again|separately|"
              rf"publicly|privately|repeatedly|then|now|when|while|{_DAY})\b")
# When a bare "said" is followed by a time before its clause: "said on Wednesday it had bought".
_WHEN = (rf"(?:\s+(?:on\s+{_DAY}|{_DAY}|yesterday|today|earlier|later|last\s+(?:week|month|year|night)|"
         rf"this\s+(?:week|month|year|morning)|in\s+a\s+statement|in\s+an\s+interview|"
         rf"in\s+(?:{_MONTH}|\d{{4}})(?:\s+\d{{4}})?|on\s+{_MONTH}\s+\d{{1,2}})\b)?")

_TITLES = set("""mr mrs ms miss dr prof professor sir dame lord lady baroness baron rev reverend
president vice prime minister secretary chancellor senator sen rep representative congressman
congresswoman governor gov mayor judge justice gen general lt lieutenant col colonel capt captain
sgt sergeant officer chief executive director chairman chairwoman chairperson chair ceo cfo
spokesman spokeswoman spokesperson ambassador envoy commissioner deputy undersecretary assistant
asst shadow attorney king queen prince princess pope sheikh emir coach manager boss leader
inspector detective det supt superintendent constable mp mep premier speaker archbishop bishop
cardinal rabbi imam special adviser advisor administrator comptroller""".split())
# Role nouns that refer back to a named person: "said the minister", "the 45-year-old said".
_ROLES = _TITLES - {"mr", "mrs", "ms", "miss", "dr", "sir", "dame", "lord", "lady", "sen", "rep",
                    "gov", "gen", "lt", "col", "capt", "sgt", "det", "supt", "asst", "vice", "prime",
                    "special", "shadow", "assistant", "deputy"} | set(
    """official economist analyst lawyer prosecutor founder striker player actor actress singer
    star winner champion author writer producer designer head guru icon pundit campaigner activist
    dancer presenter host musician rapper comedian veteran winger defender midfielder goalkeeper
    critic""".split())
_ROLES_RE = "|".join(sorted(_ROLES))
# Words that, capitalised before a name, describe rather than name: "Striker Marco Vidal".
_NAME_TITLES = _TITLES | set("""striker player actor actress singer economist analyst lawyer
prosecutor founder author writer producer designer guru bowler batsman""".split())
# Nouns that refer back to an organisation: "the company said".
_ORG_ROLES = set("""company firm group bank club institute organisation organization network
retailer carrier airline manufacturer broadcaster regulator union agency studio label newspaper
paper magazine channel website spokesman spokeswoman spokesperson release report statement
bulletin maker lender insurer supplier subsidiary""".split())
# Nouns for one particular institution: "the commission said" is the Electoral Commission named
# before, never merely the latest organisation quoted.
_INSTITUTIONS = set("""government ministry department commission council committee authority
watchdog university college school court parliament board""".split())
_ORG_WORDS = set("""ministry agency office council department bank company co corp corporation inc ltd
plc llc spa ag sa nv gmbh group party association union commission authority committee police
service news times post court government university universities college academy institute
foundation board federation league club team network organisation organization programme program
movement reuters bbc cnn alliance army forces force museum centre center hospital school society
trust fund guard house parliament congress senate assembly airlines airline motors industries
holdings community campaign bureau administration exchange reserve treasury division institution
unit""".split())
# Capitalised words that start sentences without naming anyone.
_LEADING = set("""The A An But And Or So Yet However Meanwhile Also In On At For From With By After
Before During When While As If Although Though Since Still Instead Then Now Earlier Later Last
This That These Those Today Yesterday Speaking Asked According Following Despite Under Over It
There Here We I You He She They His Her Their Our My Its Even Only Some Many Most Both Currently
Finally Similarly Recently Separately Additionally Ultimately Initially Eventually Clearly Obviously
Unfortunately Fortunately Interestingly Importantly Previously Originally Apparently Reportedly
Nevertheless Nonetheless Elsewhere Overall""".split())
_GROUPS = set("""police officials analysts experts critics authorities witnesses residents
researchers scientists sources others reports prosecutors investigators doctors observers
economists campaigners fans organisers organizers staff officers lawyers protesters supporters
opponents democrats republicans diplomats traders dealers bankers insiders aides negotiators
delegates ministers""".split())
_INTRO = re.compile(r"(?:In|On|At|During|After|Before|Following|Speaking|When|While|As|Since|"
                    r"Despite|Asked|Last|Earlier|Later|Separately|Today|Yesterday|Addressing)\b")

_TOKEN = (r"(?<![\w'’\-])(?:[A-Z][\w'’\-]*|[a-z]{1,2}[A-Z][\w'’\-]*|(?:al|el|bin|ibn)-[A-Z][\w'’\-]*"
          r"|(?<=\s)['‘][A-Z][\w-]*['’](?=\s+[A-Z]))")  # eBay, al-Assad, Ahmed 'Mido' Hossam
_CONNECTOR = r"(?:(?:of|for)(?:\s+the)?|de|da|di|dos|das|du|del|della|van|von|der|den|le|la|bin|ibn|al)"
# A run of capitalised words, the shape of a name: "Benjamin Netanyahu", "Luiz Inácio Lula da
# Silva", "US Secretary of State Antony Blinken", "Ambassador to the United States Hamdullah Mohib".
_RUN = (rf"{_TOKEN}(?:(?:\s+{_CONNECTOR})?\s+{_TOKEN}|"
        rf"(?:(?<=Ambassador)|(?<=Envoy))\s+to(?:\s+the)?\s+{_TOKEN})*")
_RUN_END = re.compile(rf"(?<![\w'’\-]){_RUN}$")
_ROLE_END = re.compile(
    r"\b(?:[Tt]he|[Hh]is|[Hh]er|[Tt]heir)\s+(?:[\w'’-]+\s+){0,3}?(?P<head>[A-Za-z0-9][\w-]*)$")
# Who speaks for an organisation, or what it publishes.
_VOICE = (r"(?:spokes(?:man|woman|person)|official|statement|bulletin|jury|panel|report|tweet|post|letter|"
          r"memo|release|magazine|newspaper|paper|website|channel|agency)")
# "a spokesman for the Foreign Office said", "a Downing Street spokesman said", "Broadcast
# magazine said": the organisation.
_ORG_VOICE_END = re.compile(
    rf"\b(?:[Aa]n?|[Tt]he)\s+(?:[a-z]+\s+){{0,2}}?{_VOICE}\s+(?:for|from|at|of|by|with)\s+(?:the\s+)?"
    rf"(?P<org>{_RUN})$|(?:\b(?:[Aa]n?|[Tt]he)\s+(?:[a-z][\w-]*\s+)?)?(?<![\w'’-])(?P<org2>{_RUN})\s+{_VOICE}$")
_QUOTE_CHARS = "\"“”"
# A reported clause ends at a semicolon, a quotation it introduces, or another attribution.
_CLAUSE_STOP = re.compile(
    rf";|[,:]\s*[\"“]|,\s+{_PARTICIPLE}|,\s+according to\b|,\s+{_RUN}{_AUX}\s+{_CUE}"
    rf"|,\s+the\s+(?:[\w-]+\s+){{0,2}}?[a-z]+{_AUX}\s+{_CUE}(?=(?:\s+[^\s,.;]+){{0,6}}[\s.]*$)")
_CALENDAR = set("""Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March
April May June July August September October November December""".split())


@dataclass(frozen=True, slots=True)
class _Mark:
    """A pair of quote marks. `close` is where the words end: the closing mark, or, for a
    quotation left open, the next opening mark or the end of the line."""

    open: int
    close: int
    closed: bool


@dataclass(frozen=True, slots=True)
class _Speaker:
    """A speaker phrase as written: a name, a pronoun or a role noun ("the minister")."""

    kind: str
    start: int
    end: int
    text: str


@dataclass(slots=True)
class _Claim:
    """An attributed span before its speaker is resolved."""

    start: int
    end: int
    cue: str
    speaker: _Speaker
    rank: int            # 0 direct, 1 reported, 2 according to, 3 partial: wins overlaps in this order
    attr_end: int = -1   # where the attribution ends, for quotations that continue it
    mark: _Mark | None = None
    across: bool = True  # whether a quotation opening the next paragraph may continue it


def find_quotes(article_id: str, text: str) -> list[Quote]:
    """Find who said what in an article, with exact character offsets.

    Args:
        article_id: id stored on every Quote.
        text: the canonical article text; every offset points into it.

    Returns:
        Quotes in text order, non-overlapping, each with `text[q.start:q.end] == q.text`.
        A quotation with no speaker next to it (a scare quote, a title) is left out.
    """
    masked = _mask(text)
    marks = _marks(masked)
    sentences = _sentences(masked, marks)
    reported = _reported(text, masked, marks, sentences)
    claims = _direct(text, masked, marks, sentences, reported) + reported
    claims += _according(text, masked, sentences)
    claims = _without_overlaps(claims)
    resolve = _Resolver(text, masked, marks, sentences, claims)
    quotes = []
    for claim in claims:
        # The words of a quotation tell who is not speaking ("I had a word with Olof").
        speaker = resolve(claim.speaker, claim.start, text[claim.start:claim.end] if claim.rank == 0 else "")
        if speaker:
            quotes.append(Quote(article_id=article_id, start=claim.start, end=claim.end,
                                text=text[claim.start:claim.end], speaker=speaker,
                                speaker_key=speaker_key(speaker), cue=claim.cue))
    return quotes


@lru_cache(maxsize=4096)
def speaker_key(name: str) -> str:
    """Normalise a speaker name for matching.

    Args:
        name: a name as written, e.g. "Prime Minister Benjamin Netanyahu’s".

    Returns:
        Casefolded words without accents, titles or possessives: "benjamin netanyahu".
    """
    plain = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in plain if not unicodedata.combining(c)).casefold()
    words = [w.strip("'-") for w in re.findall(r"[\w'-]+", re.sub(r"'s\b", "", plain.replace("’", "'")))]
    return " ".join(w for w in words if w and w not in _TITLES and w != "the")  # "Ahmed 'Mido' Hossam"


def speaker_matches(query_name: str, speaker: str) -> bool:
    """Whether a name asked about refers to a quote's speaker.

    Args:
        query_name: the name in a question: "Netanyahu", "prime minister benjamin netanyahu".
        speaker: a Quote's speaker, e.g. "Benjamin Netanyahu".

    Returns:
        True when the words of one name are all among the words of the other, so a last name
        or a first name alone matches the full name, and a different surname does not.
    """
    query, said = set(speaker_key(query_name).split()), set(speaker_key(speaker).split())
    return bool(query and said) and (query <= said or said <= query)


_QUESTION_PATTERNS = [re.compile(p, re.IGNORECASE) for p in (
    r"^what\s+(?:did|does|do|has|have|had)\s+(?P<x>.+?)\s+(?:say|said|tell|told|state|stated|"
    r"claim|claimed|announce|announced|comment|commented|write|written)\b"
    r"(?:\s+(?!about\b|on\b|regarding\b)[\w'’]+){0,2}?"
    r"(?:\s+(?:about|on|regarding|concerning|of|over|in)\s+(?P<y>.+?))?$",
    r"^what\s+(?:was|is)\s+said\s+by\s+(?P<x>.+?)(?:\s+(?:about|on|regarding)\s+(?P<y>.+?))?$",
    r"^(?P<x>.+?)['’]s?\s+(?:comments?|remarks?|statements?|quotes?|words|views)"
    r"(?:\s+(?:on|about|regarding|concerning)\s+(?P<y>.+?))?$",
    r"^(?:quotes?|statements?|comments?|remarks?)\s+(?:from|by)\s+(?P<x>.+?)"
    r"(?:\s+(?:on|about|regarding|concerning)\s+(?P<y>.+?))?$",
)]


def parse_speaker_question(question: str) -> tuple[str, str] | None:
    """Recognise a question about what someone said.

    Args:
        question: e.g. "What did Netanyahu say about Rafah?".

    Returns:
        (speaker, topic), topic "" when none is asked about; None for any other question.
    """
    q = question.strip().rstrip("?.! ").strip()
    for pattern in _QUESTION_PATTERNS:
        m = pattern.match(q)
        if not m:
            continue
        who = m.group("x").strip(" ,")
        topic = (m.group("y") or "").strip(" ,")
        # "what did it say", "who said ..." are not questions about a person's words.
        if not who or len(who.split()) > 6 or re.match(r"(?i)(?:who|what|which|it|this|that)\b", who):
            return None
        return who, topic
    return None


# Text structure: quotation marks and sentences.

def _mask(text: str) -> str:
    """Hide abbreviation dots ("Mr.", "U.S.", "George W. Bush") from sentence splitting."""
    def hide(m: re.Match) -> str:
        return m.group().replace(".", "_")
    # Same length as `text`, so every offset found in it is an offset into `text`.
    # Markup around names is not part of them: Reuters' "<Queensland Press Ltd>", tickers and
    # short forms after a name ("Plc <GLYN.L> said", "Tyson (TSN) said", "The Queensland Press
    # Ltd (QPL) board").
    masked = re.sub(r"(?<=[\w.]) <[A-Z0-9.]{1,10}>", lambda m: " " * len(m.group()), text)
    masked = re.sub(r"<(?=[A-Z])([^<>\n]{1,60})>", lambda m: f" {m.group(1)} ", masked)
    masked = re.sub(r"\b(?:Mr|Mrs|Ms|Dr|Prof|Sen|Rep|Gov|Gen|Col|Lt|Sgt|Capt|Rev|St|Jr|Sr|Mt|No|"
                    r"Asst|Det|Supt|Insp|vs|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.",
                    hide, masked)
    masked = re.sub(r"\b(?:[A-Z]\.){2,}|\b[A-Z]\.(?=\s+[A-Z])", hide, masked)
    masked = re.sub(r"\b(?:Co|Corp|Inc|Ltd)\.(?=,|\s+[a-z(])", hide, masked)
    # Wire copy is hard-wrapped at about 65 columns: a newline inside a paragraph (not after a
    # sentence's end, not before an indent or a blank line) is a space.
    masked = re.sub(r"(?<![.!?:;][”\"’')\]])(?<![.!?:;\s])\n(?=\S)", " ", masked)
    return re.sub(r"(?<=[\w ]) \([A-Z][A-Z.&-]{0,9}\)(?=[\s,])", lambda m: " " * len(m.group()), masked)


def _marks(text: str) -> list[_Mark]:
    """Pair quotation marks within each line.

    A straight mark opens when a space is before it and a word after it, and closes the other
    way round. An opening mark while a quotation is open starts a new one: news texts often
    join paragraphs and lose the closing mark of a quotation that runs on.
    """
    marks = []
    for line in re.finditer(r"[^\n]+", text):
        s, opened = line.group(), None
        for q in re.finditer(r"[\"“”]", s):
            i, pos = q.start(), line.start() + q.start()
            before = s[i - 1] if i else " "
            after = s[i + 1] if i + 1 < len(s) else " "
            if q.group() != '"':
                opens = q.group() == "“"
            elif opened is None:
                opens = True  # even a closing-looking mark opens when nothing is open: `said," A`
            else:
                opens = (before.isspace() or before in "([—–-") and not after.isspace()
            if opens:
                if opened is not None:
                    marks.append(_Mark(opened, pos, False))
                opened = pos
            elif opened is not None:
                marks.append(_Mark(opened, pos, True))
                opened = None
        if opened is not None:
            marks.append(_Mark(opened, line.end(), False))
    return marks


def _inside(marks: list[_Mark], size: int) -> bytearray:
    inside = bytearray(size)
    for mark in marks:
        inside[mark.open + 1:mark.close] = b"\x01" * (mark.close - mark.open - 1)
    return inside


def _sentences(masked: str, marks: list[_Mark]) -> list[tuple[int, int]]:
    """Sentence spans that never split inside a quotation."""
    inside = _inside(marks, len(masked))
    spans, start = [], 0
    for m in re.finditer(r"\n|[.!?]+[”\"’')\]]*(?=\s+[A-Z0-9“\"‘'(\[]|\s*$)", masked):
        if m.group() != "\n" and inside[m.end() - 1]:
            continue
        spans.append((start, m.end()))
        start = m.end()
    spans.append((start, len(masked)))
    trimmed = []
    for s, e in spans:
        while s < e and masked[s].isspace():
            s += 1
        while e > s and masked[e - 1].isspace():
            e -= 1
        if s < e:
            trimmed.append((s, e))
    return trimmed


def _sentence_at(sentences: list[tuple[int, int]], pos: int) -> tuple[int, int]:
    i = bisect_left(sentences, (pos + 1,)) - 1  # the last sentence starting at or before pos
    if i >= 0 and sentences[i][0] <= pos < sentences[i][1]:
        return sentences[i]
    return pos, pos


def _inner(text: str, mark: _Mark) -> tuple[int, int]:
    """The words inside a pair of marks, without the comma that ends a quote before "he said"."""
    s, e = mark.open + 1, mark.close
    while s < e and text[s].isspace():
        s += 1
    while e > s and (text[e - 1].isspace() or text[e - 1] in ",;:"):
        e -= 1
    return s, e


def _clause(text: str, s: int, e: int) -> tuple[int, int]:
    """Trim a reported clause: no surrounding spaces, no final full stop."""
    while s < e and (text[s].isspace() or text[s] in ",:"):
        s += 1
    while e > s and (text[e - 1].isspace() or text[e - 1] in ".,;:!"):
        e -= 1
    return s, e


# Direct quotations.

def _direct(text: str, masked: str, marks: list[_Mark], sentences: list[tuple[int, int]],
            reported: list[_Claim]) -> list[_Claim]:
    """Quotations with a verb of saying and a speaker just before or just after the marks, and
    quotations that go on from one (after `“A,” he said.` or `B, he said.`)."""
    claims: list[_Claim] = []
    lead_ins = sorted((c for c in reported if c.attr_end >= 0), key=lambda c: c.attr_end)
    lead_ends = [c.attr_end for c in lead_ins]
    run_on = {mark.close for mark in marks if not mark.closed}  # where a quotation left open ends
    for mark in marks:
        s, e = _inner(text, mark)
        if s >= e:
            continue
        sent_start, _ = _sentence_at(sentences, mark.open)
        # A quotation opening its sentence may have its speaker after it; so may one that
        # follows a quotation left open, whose sentence ends cannot be told.
        opens = sent_start == mark.open or mark.open in run_on
        claim = _cue_before(masked, mark, sent_start) or (
            _cue_after(masked, mark, text[e - 1]) if mark.closed and opens else None)
        if claim:
            claim.start, claim.end, claim.mark = s, e, mark
            claims.append(claim)
        elif ((prev := _lead_in(claims, lead_ins, lead_ends, mark)) and _continues(masked, prev, mark)
              and not (mark.closed and masked[mark.close - 1] == ","
                       and re.match(rf"[^.;:!?“”\"\n]{{0,100}}?\s{_CUE}", masked[mark.close + 1:]))):
            # "“A,” he said. “B.”": the next quotation is the same speaker going on (unless a
            # speaker of its own follows that could not be told).
            claims.append(_Claim(s, e, prev.cue, prev.speaker, 0, _after(mark), mark))
        else:
            partial = _partial(masked, mark, sent_start)
            if partial:
                partial.start, partial.end = s, e
                claims.append(partial)
    return claims


def _lead_in(claims: list[_Claim], lead_ins: list[_Claim], lead_ends: list[int],
             mark: _Mark) -> _Claim | None:
    """The attribution that ends last before a quotation opens: a direct quotation's, or a
    reported statement's (`lead_ins`, sorted by where their attributions end)."""
    direct = next((c for c in reversed(claims) if 0 <= c.attr_end <= mark.open), None)
    i = bisect_right(lead_ends, mark.open)
    reported = lead_ins[i - 1] if i else None
    if direct and reported:
        return direct if direct.attr_end >= reported.attr_end else reported
    return direct or reported


def _after(mark: _Mark) -> int:
    return mark.close + 1 if mark.closed else mark.close


def _cue_before(masked: str, mark: _Mark, floor: int) -> _Claim | None:
    """`Netanyahu said, “...”`, `Smith told the BBC: "..."`, `According to Smith: "..."`."""
    window = masked[floor:mark.open]
    m = re.fullmatch(rf"\s*(?P<cue>Said|Says|Added|Adds)\s+(?P<who>[^“”\"\n.;!?:,]{{1,80}}?)\s*[:,]\s*", window)
    name = m and _RUN_END.search(m.group("who"))
    if name:  # "Said Wales assistant coach Scott Johnson: “...”"
        start = floor + m.start("who") + name.start()
        speaker = _name(masked, start, start + len(name.group()))
        return speaker and _Claim(0, 0, m.group("cue"), speaker, 0, _after(mark))
    m = re.search(rf"(?P<cue>{_CUE}|{_PARTICIPLE})(?:\s+that|(?:\s+[^“”\"\n.;!?,]{{1,80}}?)?\s*[,:]"
                  r"|\s*)\s*$", window)
    if m:
        cue_start = floor + m.start("cue")
        if re.fullmatch(_PARTICIPLE, m.group("cue")):
            speaker = _participle_speaker(masked, cue_start, floor)
        else:
            speaker = _speaker_before(masked, cue_start, floor)
        return speaker and _Claim(0, 0, m.group("cue"), speaker, 0, _after(mark))
    m = re.search(r"\b(?P<cue>[Aa]ccording to)\s+(?P<src>[^“”\"\n.;!?:,]{1,80}?)\s*[,:]?\s*$", window)
    if m:
        speaker = _speaker_in(masked, floor + m.start("src"), floor + m.end("src"))
        return speaker and _Claim(0, 0, m.group("cue"), speaker, 0, _after(mark))
    return None


def _cue_after(masked: str, mark: _Mark, last_char: str) -> _Claim | None:
    """`“...,” he said`, `“...,” said the minister`, `“...” Smith told reporters`."""
    after = mark.close + 1
    line_end = masked.find("\n", after)
    rest = masked[after:line_end if line_end >= 0 else len(masked)]
    lead = re.match(r"\s*,?\s*", rest).end()
    m = re.match(_CUE, rest[lead:])
    quoted = re.match(r"[^.;:!?“”\"\n]{1,140}?\bas\s+(?P<cue>saying)\b", rest[lead:])
    if m:
        cue_start, cue_end = after + lead, after + lead + m.end()
        speaker = _speaker_after(masked, cue_end)
    elif quoted and re.search(r"\bquot(?:ed|es)\b", quoted.group()):
        # "“...,” the newspaper quoted Geoff Dixon as saying."
        cue_start, cue_end = after + lead + quoted.start("cue"), after + lead + quoted.end("cue")
        speaker = _quoted_as(masked, after + lead, cue_start - 1)
    else:
        m = re.match(rf"[^.;:!?“”\"\n]{{1,100}}?{_AUX}\s+(?P<cue>{_CUE})", rest[lead:])
        if not m:
            return None
        cue_start, cue_end = after + lead + m.start("cue"), after + lead + m.end("cue")
        speaker = _speaker_before(masked, cue_start, after + lead)
        # Only descriptive words may come before the name: "director and producer Hwang said",
        # "BA chairman Martin Broughton said".
        described = masked[after + lead:speaker.start] if speaker else ""
        if speaker and re.search(r"[A-Z]|[^\w\s,'’-]", described) and not re.fullmatch(
                rf"{_RUN}(?:['’]s)?\s+(?:[a-z][\w-]*\s+){{0,2}}?(?!(?:of|for|to|in|at|by|with|and)\s)[a-z][\w-]*\s+",
                described):  # "Dartmouth alumna Ellie Loughlin said"
            speaker = None
    if not speaker:
        return None
    attr_end = max(cue_end, speaker.end)
    # After a quotation that ends its own sentence, "Smith said" must end the next one quickly;
    # otherwise it starts new reported speech ("“We won.” Smith said the team ...").
    tail = re.match(r"[^.;!?\n]*", masked[attr_end:]).group()
    if last_char == "." and len(tail.split()) > 4:
        return None
    # "Mr Wong told the BBC News website." and ", vice president of SpeechWorks, a division of
    # ScanSoft." end the attribution.
    if len(tail.split()) <= 8 or tail.lstrip().startswith(",") and len(tail.split()) <= 25:
        attr_end += len(tail)
    return _Claim(0, 0, masked[cue_start:cue_end], speaker, 0, attr_end)


def _continues(masked: str, prev: _Claim, mark: _Mark) -> bool:
    """Whether a quotation with no cue of its own directly follows an attribution: in the same
    line (`“A,” he said. “B.”`, `He said X. “B.”`), or opening the paragraph after one that
    ended with a quotation or `..., he said.`"""
    between = masked[prev.attr_end:mark.open]
    if re.fullmatch(r"[\s,.;:—–-]{0,4}", between) and "\n" not in between:
        return True
    return prev.across and re.fullmatch(r"[\s,.;:]*\n\s*", between) is not None


def _partial(masked: str, mark: _Mark, floor: int) -> _Claim | None:
    """`Mr Fox called him "a disappointment"`: a quoted phrase in a sentence whose speaker
    characterises something in their own words."""
    window = masked[floor:mark.open]
    verbs = list(_CHARACTERISE.finditer(window))
    between = window[verbs[-1].end():] if verbs else ""
    # The quotation must be the verb's own object: not after a comma ("who he described as an
    # activist, and that he was \"willing ...\"").
    if not verbs or len(between.split()) > 15 or re.search(r"[“”\",]", between):
        return None
    speaker = _speaker_before(masked, floor + verbs[-1].start(), floor)
    return speaker and _Claim(0, 0, verbs[-1].group(), speaker, 3, _after(mark))


# Reported speech and "according to".

def _reported(text: str, masked: str, marks: list[_Mark],
              sentences: list[tuple[int, int]]) -> list[_Claim]:
    """Reported speech: `X said (on Friday) that CLAUSE.`, `CLAUSE, X said.`, `A, he said, B.`"""
    claims = []
    inside = _inside(marks, len(masked))
    for sent_start, sent_end in sentences:
        if sent_end - sent_start > 3000:
            continue  # not a sentence of prose: a list or a table flattened into one line
        cues = [m for m in re.finditer(rf"{_CUE}|{_PARTICIPLE}", masked[sent_start:sent_end])
                if not inside[sent_start + m.start()]]
        forward = {}
        for m in cues:
            claim = _forward(text, masked, m.group(), sent_start + m.start(), sent_start + m.end(),
                             sent_start, sent_end)
            if claim:
                forward[sent_start + m.start()] = claim
        inverted = _inverted(text, masked, sent_start, sent_end, set(forward))
        claims += list(forward.values()) + ([inverted] if inverted else [])
        for m in cues:
            cue_start, cue_end = sent_start + m.start(), sent_start + m.end()
            if (cue_start in forward or (inverted and cue_start >= inverted.end)
                    or not re.fullmatch(_CUE, m.group())):
                continue
            claim = _parenthetical(text, masked, m.group(), cue_start, cue_end, sent_start, sent_end)
            if claim:
                claims.append(claim)
    return claims


def _forward(text: str, masked: str, cue: str, cue_start: int, cue_end: int,
             sent_start: int, sent_end: int) -> _Claim | None:
    """`X said (that) CLAUSE`: the clause after the verb, up to the sentence's end."""
    clause_start = _clause_start(masked, cue, cue_end, sent_end)
    if clause_start is None:
        return None
    nested = _CLAUSE_STOP.search(masked, clause_start, sent_end)
    s, e = _clause(text, clause_start, nested.start() if nested else sent_end)
    if len(text[s:e].split()) < 3:
        return None
    if text[s] in _QUOTE_CHARS:
        # A quotation that is the whole clause is direct speech, found there; one that only
        # opens it is a quoted phrase in reported speech: 'told CNN that "Squid Game" was ...'.
        closing = re.search(r"[”\"]", text[s + 1:e])
        if not closing or len(text[s + 1 + closing.end():e].split()) < 2:
            return None
    if re.fullmatch(_PARTICIPLE, cue):
        speaker = _participle_speaker(masked, cue_start, sent_start)
    else:
        speaker = _speaker_before(masked, cue_start, sent_start)
    # "what he said was", "as Smith said": the verb does not introduce a clause here.
    if not speaker or re.search(r"\b(?:[Ww]hat|[Ww]hich|[Ww]ho|[Ww]hom|[Aa]s|than|to|[Ii]f|whether)\s+$",
                                masked[sent_start:speaker.start]):
        return None
    return _Claim(s, e, cue, speaker, 1, sent_end)


def _clause_start(masked: str, cue: str, cue_end: int, sent_end: int) -> int | None:
    """Where the reported clause after a verb of saying begins, or None if none follows."""
    rest = masked[cue_end:sent_end]
    if cue in ("told", "tells", "telling"):
        m = re.match(r"\s+[^.;:!?“”\"\n,]{1,60}?\s+that\s+", rest)
        if m:
            return cue_end + m.end()
        # "told Sky News there was ...", "told reporters the plan had failed", "told a weekend
        # marketing conference Thai would finance".
        m = re.match(rf"\s+(?:the\s+)?(?:{_RUN}|reporters|journalists|the\s+press|(?:an?|the)\s+(?:[a-z][\w-]*\s+)"
                     rf"{{0,3}}?(?:conference|briefing|meeting|rally|audience|hearing|committee|forum|seminar))"
                     rf"\s+(?=[a-z]|{_RUN}\s+[a-z])([\w'’-]+)", rest)
        if m and m.group(1) not in _NOT_CLAUSE_START:
            return cue_end + m.start(1)
        return None
    m = re.match(rf"(?:\s+{_ADVERBIAL}[^.;:!?“”\"\n]{{0,70}}?)?\s+that\b[\s,]*", rest)
    if m:
        return cue_end + m.end()
    m = re.match(r"\s+in\s+(?:a|an|its|his|her|their|the)\s[^.;:!?“”\"\n,]{0,80}?\s(?=(?:it|he|she|they|we|there)\s)",
                 rest)
    if m and cue in _BARE_CUES:  # "said in its latest monthly report on the economy it expected"
        return cue_end + m.end()
    m = re.match(rf"{_WHEN}\s+([\w'’-]+)", rest)
    if (cue in _BARE_CUES and m and m.group(1).lower() not in _NOT_CLAUSE_START
            and m.group(1) not in _CALENDAR):
        return cue_end + m.start(1)
    # Other verbs take a clause without "that" when a subject pronoun follows: "admitted he would".
    if m and re.sub(r"['’](?:s|d|ll|re|ve|m)$", "", m.group(1)) in ("he", "she", "it", "they", "we", "I", "there"):
        return cue_end + m.start(1)
    return None


def _parenthetical(text: str, masked: str, cue: str, cue_start: int, cue_end: int,
                   sent_start: int, sent_end: int) -> _Claim | None:
    """`Currently, he said, sites do badly.` and `But, says Dr Nielsen, some things stayed.`"""
    if masked[sent_start] in _QUOTE_CHARS:
        return None  # `“A,” he said, “B.”` is direct speech
    before = masked[sent_start:cue_start].rstrip()
    if before.endswith(","):  # ", says Dr Nielsen, ..."
        speaker = _speaker_after(masked, cue_end)
        open_comma = sent_start + before.rfind(",")
    else:  # ", he said, ..."
        speaker = _speaker_before(masked, cue_start, sent_start)
        open_comma = masked.rfind(",", sent_start, speaker.start) if speaker else -1
        if open_comma < 0 or masked[open_comma + 1:speaker.start].strip():
            return None
    close = speaker and re.match(r"\s*,", masked[max(speaker.end, cue_end):sent_end])
    if not close:
        return None
    pre = _clause(text, sent_start, open_comma)
    post = _clause(text, max(speaker.end, cue_end) + close.end(), sent_end)
    if post[0] < post[1] and text[post[0]] in _QUOTE_CHARS:
        return None  # "In Egypt, Blinken stated, “...”" is direct speech
    # The words said are after the attribution when only "But" or an opening phrase is before it.
    short = len(text[pre[0]:pre[1]].split()) <= 2 or _INTRO.match(text, pre[0])
    s, e = post if short else pre
    if len(text[s:e].split()) < 3:
        return None
    return _Claim(s, e, cue, speaker, 1, sent_end, across=False)


def _inverted(text: str, masked: str, sent_start: int, sent_end: int, taken: set[int]) -> _Claim | None:
    """`Police found a grenade, White said.`, `..., said Mike Short, chairman of the MDA.`

    A verb in `taken` already introduces a clause after it and does not close this one.
    """
    sentence = masked[sent_start:sent_end]
    if sentence[0] in _QUOTE_CHARS:
        return None  # a quotation opening the sentence is direct speech, handled there
    end = sent_start + len(sentence.rstrip(".!? "))
    commas = [m for m in re.finditer(r",[”\"]?\s+|[”\"],\s+", sentence)][-3:]
    for comma in reversed(commas):
        att_start = sent_start + comma.end()
        att = masked[att_start:end]
        cue = re.match(_CUE, att)
        if any(cue_start < sent_start + comma.start() for cue_start in taken):
            return None  # "X announced it would ..., the university said": X's clause
        if cue and att_start not in taken:
            speaker = _speaker_after(masked, att_start + cue.end())
            cue_text = cue.group()
            # After the name only an apposition or a few words: ", chairman of the MDA", "on Friday".
            rest = re.sub(rf"^\s*{_VOICE}\b", "", masked[speaker.end:end]) if speaker else ""
            if speaker and (re.search(r"[;:“”\"]", masked[att_start:speaker.end])
                            or len(rest.split()) > 4 and not rest.startswith(",")):
                speaker = None
        else:
            if re.search(r"[;:“”\"]", att):
                continue
            # After the verb, a few words ("said on Friday"), more after "told" (whom and where).
            cue = re.search(rf"{_AUX}\s+(?:(?P<cue>{_CUE})(?:\s+[^\s,.;!?]+){{0,6}}|"
                            rf"(?P<told>told|tells)(?:\s+[^\s,.;!?]+){{1,10}})$", att)
            verb = cue and ("cue" if cue.group("cue") else "told")
            if cue and att_start + cue.start(verb) in taken:
                continue
            speaker = cue and _speaker_before(masked, att_start + cue.start(verb), att_start)
            cue_text = cue.group(verb) if cue else ""
            if speaker and not _describes(masked[att_start:speaker.start], speaker):
                speaker = None
            # "In opening remarks to welcome Zelenska, Biden recalled that visit.": an opening
            # phrase, not a clause, stands before the comma.
            if speaker and _INTRO.match(masked, sent_start) and "," not in masked[sent_start:sent_start + comma.start()]:
                speaker = None
        if speaker:
            s, e = _clause(text, sent_start, sent_start + comma.start())
            if len(text[s:e].split()) < 4:
                return None
            return _Claim(s, e, cue_text, speaker, 1, sent_end)
    return None


def _describes(words: str, speaker: _Speaker) -> bool:
    """Whether `words`, between a comma and the speaker of `..., X said.`, only introduce the
    speaker: "the", "a spokesman for the" (before an organisation speaking through one), or a
    description ending in a title ("co-lead manager Bankers Trust Co said")."""
    words = words.strip()
    if words in ("", "the") or speaker.kind == "voice" and re.fullmatch(
            rf"(?:(?:an?|the)\s+)?(?:[a-z]+\s+){{0,2}}?(?:{_VOICE}\s+(?:for|from|at|of|by|with)(?:\s+the)?\s+)?",
            words + " "):
        return True
    if speaker.kind == "role" and re.fullmatch(rf"(?:an?|the)\s+(?:[a-z]+\s+)?{_VOICE}\s+(?:for|from|at|of)", words):
        return True  # "a spokesman for the airplane manufacturer"
    # "co-lead manager Bankers Trust Co", "Storehouse Plc corporate treasurer Lance Moir"
    return speaker.kind == "name" and re.fullmatch(
        rf"(?:(?:an?|the)\s+)?(?:{_RUN}(?:['’]s)?\s+)?(?:[a-z][\w-]*\s+){{0,2}}[a-z][\w-]*", words) \
        is not None and words.split()[-1].split("-")[-1] in _NAME_TITLES


def _according(text: str, masked: str, sentences: list[tuple[int, int]]) -> list[_Claim]:
    """`According to X, CLAUSE.` and `CLAUSE, according to X.`"""
    claims = []
    for sent_start, sent_end in sentences:
        sentence = masked[sent_start:sent_end]
        m = re.match(r"(?P<cue>According to)\s+(?P<src>[^,“”\"]{1,100}?),\s+", sentence)
        if m:
            src_start, src_end = sent_start + m.start("src"), sent_start + m.end("src")
            clause_start = sent_start + m.end()
            speaker = _speaker_in(masked, src_start, src_end)
            name = re.match(rf"(?P<name>{_RUN}),\s+", sentence[m.end():])
            if not (speaker and speaker.end == src_end) and name:
                # "According to the team's coach, Alireza Mehraban, ...": the name that follows.
                speaker = _speaker_in(masked, clause_start, clause_start + name.end("name"))
                clause_start += name.end()
        else:
            # The source may be followed by its description: "..., according to ELA, the developer".
            m = re.search(r"(?<!which)(?<!that)(?<!who)(?<!whom),\s+(?P<cue>according to)\s+"
                          r"(?P<src>[^,;“”\"]{1,100}?)(?:,\s+(?:the|a|an)\s[^;“”\"]{1,100})?\s*[.!?]?$",
                          sentence)
            if not m:
                continue
            speaker = _speaker_in(masked, sent_start + m.start("src"), sent_start + m.end("src"))
            clause_start, sent_end = sent_start, sent_start + m.start()
        s, e = _clause(text, clause_start, sent_end)
        if speaker and len(text[s:e].split()) >= 3 and text[s] not in _QUOTE_CHARS:
            claims.append(_Claim(s, e, m.group("cue"), speaker, 2))
    return claims


# Speaker phrases.

def _speaker_before(masked: str, cue_start: int, floor: int) -> _Speaker | None:
    """The speaker phrase that ends just before a verb of saying."""
    window = masked[max(floor, cue_start - 200):cue_start]
    base = cue_start - len(window)
    window = window[:re.search(rf"{_AUX}\s*$", window).start()]
    dashes = re.search(r"\s[-–—]\s[^-–—]{1,200}\s[-–—]$", window)
    if dashes:  # "Mr Herron - who is running his own campaign - said"
        window = window[:dashes.start()]
    relative = list(re.finditer(r",\s+(?:who|whose|which)\b", window))
    if relative and window.endswith(","):
        # "The actor, whose films include Schindler's List, Michael Collins ..., said".
        window = window[:relative[-1].start()]
    m = re.search(r"(?<![\w'’-])(?:he|she|they|it|He|She|They|It)$", window)
    if m:
        return _Speaker("pronoun", base + m.start(), base + m.end(), m.group())
    place = re.search(rf"(?<=[a-z])\s+(?:in|at)\s+{_RUN}$", window)
    if place and re.search(rf"\b{_VOICE}$", window[:place.start()]):
        window = window[:place.start()]  # "A JAL spokesman in Tokyo said"
    # The phrases below end in a known noun: look at the last word before searching backwards.
    last = window.rsplit(None, 1)[-1] if window.strip() else ""
    m = last in _GROUPS and re.search(rf"(?<![\w'’-])(?:[a-z][\w-]*\s+){{0,2}}(?:{'|'.join(_GROUPS)})$", window)
    if m and not re.search(r"\b(?:by|of|from|with|to|for|at|about|against)\s+$", window[:m.start()]):
        words = m.group().split()
        if len(words) > 1 and words[-2] in _ORG_ROLES:  # "bank officials said": the bank's words
            return _Speaker("role", base + m.start(), base + m.start() + len(" ".join(words[:-1])),
                            " ".join(words[:-1]))
        org = re.search(rf"(?<![\w'’-])(?P<org>{_RUN})\s+{re.escape(m.group())}$", window)
        if org and (len(org.group("org").split()) > 1 or _is_org(org.group("org"))):
            voice = _voice(masked, base, org)
            if voice:  # "NY Fed researchers wrote": the organisation's words
                return voice
        return _Speaker("group", base + m.start(), base + m.end(), m.group())  # "analysts said"
    if re.search(r"\b(?:and|but)$", window):
        # "Mr Wallace agreed and said ...": the subject of the sentence.
        return _subject(masked, floor, base + len(window))
    # "a spokesman for the Foreign Office said", "The Queensland Press Ltd board said": the
    # organisation. ("The official said" names none: a role, below.)
    org_role = (last in _ORG_ROLES or last in ("board", "management", "directors")) and re.search(
        rf"(?<![\w'’-])(?P<org>{_RUN})(?:['’]s)?\s+(?:board|management|directors|{'|'.join(_ORG_ROLES)})$", window)
    if org_role and re.search(r"\b(?:by|of|from|in|with|to|for|at|on|about|against|into)\s+(?:the\s+)?$",
                              window[:org_role.start()]):
        org_role = None
    m = last.startswith("spokes") and re.search(
        rf"(?<![\w'’-])[Tt]he\s+(?:{_RUN}(?:['’]s)?\s+)?spokes(?:man|woman|person)$", window)
    if m:  # "The Toyota spokesman said": maybe the spokesman named before, resolved later
        return _Speaker("role", base + m.start(), base + m.end(), m.group())
    for m in (_ORG_VOICE_END.search(window), org_role):
        voice = m and _voice(masked, base, m)
        if voice:
            return voice
    m = re.search(r"(?<![\w'’-])[Aa]n?\s+(?:(?P<org>[a-z]+)\s+)?(?:spokes(?:man|woman|person)|official|source)$",
                  window)
    if m and m.group("org") in _ORG_ROLES:  # "A company spokesman said": the company's words
        return _Speaker("role", base + m.start("org"), base + m.end("org"), m.group("org"))
    if m:  # "A spokesman said", for no one named
        return _Speaker("group", base + m.start(), base + m.end(), m.group())
    m = _ROLE_END.search(window)
    # "the Bishop said" is a role; "the Environmental Protection Agency says" is a name.
    if m and _is_role(m.group("head")) and (m.group("head").islower() or (
            m.group("head").lower() in _ROLES and not re.search(r"\s[A-Z]", window[m.start() + 3:m.start("head")]))):
        return _Speaker("role", base + m.start(), base + m.end(), m.group())
    window = re.sub(r",\s*who$", "", window)  # "Jay-Z, who said ..."
    if window.endswith(","):
        # "Khaled Al-Maeena, editor at large at the Saudi Gazette, said": skip the apposition.
        inner = window[:-1].rfind(",")
        if inner < 0:
            # "Lydia Buchtmann for Food Standards Australia, says": a subject opening the sentence.
            m = _RUN_END.search(window[:-1])
            return _name(masked, base + m.start(), base + m.end()) if m and m.start() == 0 else None
        apposition = window[inner + 1:-1]
        if len(apposition.split()) > 15 or re.search(r"[.!?]", apposition):
            return None
        head = window[:inner].rstrip()
        name = re.fullmatch(rf"\s*(?:the\s+)?({_RUN})\s*", apposition)
        head_run = _RUN_END.search(head)
        # The head describes an office: a role word in it, an organisation, or titles only.
        office = head.split() and (any(w.lower() in _ROLES for w in head.split())
                                   or head.split()[-1].lower() in _ORG_WORDS or head_run and (
                                       _is_org(head_run.group()) or not _clean_name(head_run.group())[0]))
        if name and head.split() and (head.split()[-1].lower() in _ROLES
                                      or office and len(name.group(1).split()) > 1):
            # "Director, David Caldwell, said", "the co-chairman of the Conservative Party, Liam
            # Fox, said": the apposition is the name.
            return _name(masked, base + inner + 1 + name.start(1), base + inner + 1 + name.end(1))
        window = head
        m = re.search(r"(?<![\w'’-])(?:he|she|He|She)$", window)
        if m:
            return _Speaker("pronoun", base + m.start(), base + m.end(), m.group())
    m = re.search(rf"(?<![\w'’-])(?P<name>{_RUN}),\s+(?:the\s+|an?\s+)?(?:[\w-]+\s+){{0,3}}?(?:{_ROLES_RE})\s+"
                  r"(?:of|at|for|with)\s+[^,]{1,80}$", window)
    if m:  # "Dharyono Kertosastro, chairman of the Association of Coffee Exporters told Reuters"
        return _name(masked, base + m.start("name"), base + m.end("name"))
    m = _RUN_END.search(window)
    # "a letter seen by Sky News says": a name after a preposition is not the subject.
    if not m or re.search(r"\b(?:by|of|from|in|with|to|for|at|on|about|against|into)\s+$",
                          window[:m.start()]):
        return None
    return _name(masked, base + m.start(), base + m.end())


def _speaker_after(masked: str, cue_end: int) -> _Speaker | None:
    """The speaker phrase just after a verb of saying: `said Paul Sheard, economist at ...`."""
    m = re.match(r"\s+([^,.;:!?“”\"\n]{1,100})", masked[cue_end:cue_end + 120])
    if not m:
        return None
    seg, base = m.group(1), cue_end + m.start(1)
    p = re.match(r"(?:he|she|they)\b", seg)
    if p:
        return _Speaker("pronoun", base, base + p.end(), p.group())
    p = _ORG_VOICE_END.search(masked[base:base + len(seg.rstrip())])
    if p and p.start() == 0:
        return _voice(masked, base, p)
    p = re.match(rf"{_RUN}['’]s\s+(?:[a-z][\w-]*\s+){{1,3}}(?P<name>{_RUN})", seg)
    if p:  # "said Cosby’s spokesperson Andrew Wyatt"
        return _name(masked, base + p.start("name"), base + p.end("name"))
    p = re.match(_RUN, seg)
    if p:  # "said Bolden to the gathered crowd"
        return _name(masked, base, base + p.end())
    # "said former New Zealand coach John Bracewell": the last name, ending the phrase.
    runs = list(re.finditer(_RUN, seg))
    trailing = seg[runs[-1].end():] if runs else ""
    # After the name, a few words or where it was said: "in the news release", "at a briefing".
    if (runs and len(seg[:runs[-1].start()].split()) <= 10
            and (len(trailing.split()) <= 3 or re.match(r"\s+(?:in|on|at|during|after|to)\s", trailing)
                 and len(trailing.split()) <= 7)
            and not re.match(r"(?:his|her|its|their|our|my)\b", seg)
            and not re.search(r"\b(?:of|to|in|on|at|from|with|by|into|for)\b", seg[:runs[-1].start()])):
        return _name(masked, base + runs[-1].start(), base + runs[-1].end())
    # "said the prime minister on Monday": the role phrase ends at its last role word.
    words = list(re.finditer(r"[\w'’-]+", seg))[:5]
    if not words or words[0].group() != "the":
        return None
    for i, word in enumerate(words[1:], start=1):
        if _is_role(word.group()) and not (i + 1 < len(words) and _is_role(words[i + 1].group())):
            return _Speaker("role", base, base + word.end(), seg[:word.end()])
    return None


def _speaker_in(masked: str, start: int, end: int) -> _Speaker | None:
    """The source in `according to SOURCE`: a name ending it ("figures from the Health
    Ministry", not "a report on labour standards in Brazil"), or a role noun."""
    seg = re.sub(r"\s*\([^()]*\)$", "", masked[start:end].rstrip())  # "Equatorial Launch Australia (ELA)"
    # "according to Labor Department figures", "the agency's latest data": who published them.
    seg = re.sub(r"(?<=[A-Za-z])(?:['’]s)?(?:\s+[a-z]+){0,2}?\s+(?:figures|data|statistics|estimates|numbers|"
                 r"calculations|research|records|survey|analysis|forecasts?|projections?)$", "", seg)
    m = re.fullmatch(r"the\s+(?:[\w-]+\s+){0,3}?(?P<head>[A-Za-z][\w-]*)", seg)
    if m and _is_role(m.group("head")):  # "according to the Bishop"
        return _Speaker("role", start, start + len(seg), seg)
    m = _RUN_END.search(seg)
    if m:
        if re.search(r"\b(?:in|on|at|to|for|about|across|near|into|over)\s+(?:the\s+)?$", seg[:m.start()]):
            return None
        return _name(masked, start + m.start(), start + m.end())
    m = re.fullmatch(r"the\s+(?:[\w-]+\s+){0,3}?(?P<head>[a-z][\w-]*)", seg)
    return _Speaker("role", start, start + len(seg), seg) if m else None


def _subject(masked: str, start: int, limit: int) -> _Speaker | None:
    """The subject opening a sentence: "UKIP leader Roger Knapman said ..., adding"."""
    lead = re.match(r"(?:But|And|However|Meanwhile|Yet|So|Also|Then)\b,?\s+", masked[start:limit])
    if lead:
        start += lead.end()
    if _INTRO.match(masked, start):
        # "During a meeting in Tel Aviv, Netanyahu conveyed ...": skip the opening phrase.
        comma = masked.find(",", start, limit)
        if comma < 0:
            return None
        start = comma + 1 + len(masked[comma + 1:limit]) - len(masked[comma + 1:limit].lstrip())
    head = masked[start:limit]
    m = re.match(r"(?:he|she|He|She)\b", head)
    if m:
        return _Speaker("pronoun", start, start + m.end(), m.group())
    m = re.match(r"[Tt]he\s+(?:[\w-]+\s+){0,3}?(?P<head>[a-z][\w-]*)(?=\s+[a-z])", head)
    if m and _is_role(m.group("head")):
        return _Speaker("role", start, start + m.end(), m.group())
    # Followed by its verb, not by a noun it modifies ("Saudi Arabian government officials").
    follows = (rf"(?=(?:,[^,]{{1,120}},|\s[-–—]\s[^-–—]{{1,200}}\s[-–—])?"
               rf"\s+(?!(?:{'|'.join(_GROUPS)}|government)\b)[a-z])")
    # "The government candidate, Mr. Yanukovich, vowed": the name in apposition.
    m = re.match(rf"[Tt]he\s+(?:[\w'’-]+\s+){{0,3}}?[a-z][\w-]*,\s+(?P<name>{_RUN}),\s+[a-z]", head)
    if m:
        return _name(masked, start + m.start("name"), start + m.end("name"))
    m = re.match(rf"(?:{_RUN}\s+)?(?:[a-z][\w-]*\s+){{0,2}}?(?:[a-z]+-)?(?:{_ROLES_RE})\s+"
                 rf"(?P<name>{_RUN}){follows}", head)
    if m:
        return _name(masked, start + m.start("name"), start + m.end("name"))
    m = re.match(rf"{_RUN}{follows}", head)
    return _name(masked, start, start + m.end()) if m else None


def _participle_speaker(masked: str, cue_start: int, floor: int) -> _Speaker | None:
    """Who is `saying`: `with Boswell stating:`, the speaker of the attribution just before
    (`said Dr Nielsen, adding`), or else the sentence's subject."""
    before = masked[floor:cue_start].rstrip()
    if re.search(r"\bas$", before):
        return _quoted_as(masked, floor, floor + len(before))
    if not before.endswith(","):
        m = _RUN_END.search(before)
        return _name(masked, floor + m.start(), floor + m.end()) if m else None
    clause = before[:-1].rstrip()
    m = re.search(rf"{_CUE}$", clause)
    if m:
        return _speaker_before(masked, floor + m.start(), floor)
    m = re.search(rf"{_CUE}(?=\s+[^,.;:!?“”\"]{{1,60}}(?:,[^,.;:!?“”\"]{{1,80}})?$)", clause)
    if m:
        return _speaker_after(masked, floor + m.end())
    return _subject(masked, floor, cue_start)


def _quoted_as(masked: str, start: int, end: int) -> _Speaker | None:
    """Who is quoted in `the paper quoted Geoff Dixon as` and `Dixon was quoted by the paper as`
    (`masked[start:end]`, just before "saying")."""
    window = masked[start:end]
    m = re.search(r"\bquot(?:ed|es|ing)\s+(?!by\b)(?P<who>[^,.;:!?“”\"]{1,80}?)\s+as$", window)
    if m:  # the one quoted is the object
        who = m.group("who")
        if re.fullmatch(r"him|her", who):
            return _Speaker("pronoun", start + m.start("who"), start + m.end("who"), who)
        name = _RUN_END.search(who)
        return name and _name(masked, start + m.start("who") + name.start(), start + m.start("who") + name.end())
    m = re.search(r"\s+(?:was|were|is|are|has\s+been|had\s+been)\s+quoted\s+(?:by\s+[^,.;:!?“”\"]{1,60}?\s+)?as$",
                  window)
    return _speaker_before(masked, start + m.start(), start) if m else None


def _voice(masked: str, base: int, m: re.Match) -> _Speaker | None:
    """The organisation of "a spokesman for X": a name, marked as one speaking through a person."""
    group = "org" if m.groupdict().get("org") else "org2"
    name = _name(masked, base + m.start(group), base + m.end(group))
    if name and re.fullmatch(r"U[._]?[SK][._]?|[A-Z][a-z]+(?:ian|ese|ish|can)|[A-Z][a-z]{4,}i", name.text):
        # "a U.S. official", "an Israeli official": a country's, not one named body's
        return _Speaker("group", base + m.start(), base + m.end(), masked[base + m.start():base + m.end()])
    return _Speaker("voice", name.start, name.end, name.text) if name and name.kind == "name" else None


def _name(masked: str, start: int, end: int) -> _Speaker | None:
    """A capitalised run as a speaker, unless it is a sentence opener or a group noun."""
    words = list(re.finditer(r"\S+", masked[start:end]))
    while words and words[0].group() in _LEADING:
        words.pop(0)
    opens_sentence = re.search(r"(?:^|[.!?\n][”\"’]?)\s*$", masked[max(0, start - 3):start]) is not None
    # "Bowler Shane Warne said": a common noun capitalised only because it opens the sentence.
    while (len(words) > 1 and opens_sentence and _lower_elsewhere(masked, words[0].group())
           and not re.fullmatch(_CONNECTOR, words[1].group())):  # but "Bank of America said"
        words.pop(0)
    if not words:
        return None
    start = start + words[0].start()
    first = re.sub(r"['’]s$", "", words[0].group())
    if len(words) == 1 and first.lower() in _GROUPS:
        # "Diplomats said": a statement with no one named, kept so that it is not given to
        # someone else and so that a following "they added" stays unattributed.
        return _Speaker("group", start, end, masked[start:end])
    if len(words) == 1 and (first.lower() in _TITLES or first in _CALENDAR
                            or re.fullmatch(r"[A-Z][a-z]{4,}(?:ers|ists|ians|ents|ants|ors)", first)
                            or _lower_elsewhere(masked, first)):
        # A lone capitalised word that is a common noun: "Police said", "Commentators said".
        return None
    return _Speaker("name", start, end, masked[start:end])


def _lower_elsewhere(masked: str, word: str) -> bool:
    return word[:1].isupper() and word.lower() in _lowercase_words(masked)


@lru_cache(maxsize=8)
def _lowercase_words(masked: str) -> frozenset[str]:
    return frozenset(re.findall(r"(?<![\w.])[a-z][\w'’-]*", masked))


def _is_role(head: str) -> bool:
    head = head.lower()  # "the minister", "the Bishop"
    return head in _ROLES or head in _ORG_ROLES or head in _INSTITUTIONS or head.endswith("year-old")


# Names and who they are.

def _clean_name(run: str) -> tuple[str, bool]:
    """A name without its titles: "Israeli Prime Minister Benjamin Netanyahu" -> "Benjamin Netanyahu".

    Returns the name ("" when the run is only titles) and whether a title was removed.
    """
    words = run.replace("_", ".").replace("<", " ").replace(">", " ").split()
    while words and (words[0] in _LEADING or len(words) > 1 and re.search(
            r"-(?:nominated|winning|based|born|led|run|owned|backed|funded|bound)$", words[0])):
        words.pop(0)  # "The", "Oscar-nominated Owen"
    if words and re.search(r"['’]s$|s['’]$", words[-1]):
        words[-1] = words[-1][:-2] if words[-1][-1] == "s" else words[-1][:-1]  # "Matt Williams'"
    while len(words) > 1 and re.search(r"['’]s$", words[0]):
        words.pop(0)  # "the BBC's Rachel Harvey"
    titled = [i for i, w in enumerate(words[:-1]) if w.lower().strip(".") in _NAME_TITLES]
    if titled:
        words = words[titled[-1] + 1:]
        if words and words[0] in ("of", "for", "to"):
            # "Secretary of State Antony Blinken", "Commissioner for Refugees": after the office
            # come its department and then, maybe, the name (one word after an organisation).
            if len(words) <= 2 or len(words) == 3 and words[1] == "the":  # "Director of the Banco"
                return "", True
            words = words[-1:] if len(words) == 3 or words[-2].lower() in _ORG_WORDS else words[-2:]
    elif words and all(w.lower().strip(".") in _NAME_TITLES for w in words):
        return "", True
    for link in ("of", "for"):
        # "Paul Sheard of Lehman Brothers", but "Bank of England" stays whole.
        if link in words and not any(w.lower() in _ORG_WORDS for w in words[:words.index(link)]):
            words = words[:words.index(link)]
    return " ".join(words), bool(titled)


def _is_org(name: str) -> bool:
    return any(w.lower().strip(".") in _ORG_WORDS for w in name.split())


class _Resolver:
    """Turns speaker phrases into names, in text order.

    Short names become the fuller name met before ("Blinken" -> "Antony Blinken"). "He" and "the
    minister" become the person the text was last about: the latest sentence that opens with a
    person's name ("Tait himself appeared unaffected. ... he said"), or the latest speaker; a
    sentence opening with "she" or "the singer" keeps the same person. Failing those, the latest
    person named outside quotations. "The company", "it" and "the conservancy" become the latest
    organisation quoted (whose name has that word, when it is not a generic noun).
    """

    def __init__(self, text: str, masked: str, marks: list[_Mark], sentences: list[tuple[int, int]],
                 claims: list[_Claim]):
        self.text, self.masked = text, masked
        in_marks = _inside(marks, len(text))
        quoted = in_marks[:]
        for claim in claims:  # names inside what someone said are not who is speaking
            quoted[claim.start:claim.end] = b"\x01" * (claim.end - claim.start)
        self.runs = []  # (start, end, name, context): every name, with the words around it
        self.fuller: dict[str, list[tuple[int, str, list[str]]]] = {}
        self.people = set()  # keys of names known to be people: titled, or speakers with a full name
        things = set(re.findall(r"\b(?:a|an|A|An)\s+([A-Z][\w'’-]*)", text))  # "won a Bafta"
        for m in re.finditer(_RUN, masked):
            name, titled = _clean_name(text[m.start():m.end()])
            if not name or name in things:
                continue
            before = text[max(0, m.start() - 40):m.start()].lower()
            after = re.match(r"[^.;\n]{0,80}", text[m.end():]).group().lower()
            if not _is_org(name) and name not in _CALENDAR and (
                    titled or re.search(rf"\b(?!official)(?:{_ROLES_RE})\s+$", before)
                    or re.match(rf",\s+(?:the\s+|an?\s+)?(?:[\w-]+\s+){{0,3}}?(?:[a-z]+-)?(?:{_ROLES_RE})"
                                rf"(?:\s+(?:of|at|for|in|with|from)\b|\s*[,.;])", after)):
                self.people.add(speaker_key(name))
            self.runs.append((m.start(), m.end(), name, f"{before} {name.lower()} {after}"))
            words = speaker_key(name).split()
            if len(words) > 1:  # for _full: the names each word may stand for
                for word in set(words):
                    self.fuller.setdefault(word, []).append((m.start(), name, words))
        for claim in claims:
            if claim.speaker.kind == "name":
                name = self._named(claim.speaker)
                if len(name.split()) > 1 and not _is_org(name):
                    self.people.add(speaker_key(name))
        self.openers = []  # (where, full name) of each sentence opening with any name
        self.subjects = []  # (where, full name) of each sentence opening with a person's name
        self.subject_ends: dict[int, int] = {}  # where each of those sentences ends
        self.possessors: set[int] = set()  # those written as possessives: "Matt Williams' side"
        continuing = bytearray(len(text))  # sentences whose subject is "he" or "she"
        mid_sentence = set(re.findall(r"(?<=[\w,;])\s+([A-Z][\w'’-]*)", text))
        for start, end in sentences:
            # A reported clause's own subject still tells which organisation a story is about.
            subject = None if in_marks[start] else _subject(masked, start, end)
            if subject and subject.kind == "pronoun" and not quoted[start]:
                continuing[start:end] = b"\x01" * (end - start)
            if subject and subject.kind == "name":
                name = self._named(subject)
                # A lone word opening a sentence ("Unofficial results show") is a name only if
                # the text also writes it capitalised mid-sentence ("... said Mr Mallon") or opens
                # other sentences with it, or is spelt like a name ("DiCaprio, who lost out, will").
                written = re.sub(r"['’]s$", "", text[subject.start:subject.end])
                if (" " not in written and not {written, written + "'s", written + "’s"} & mid_sentence
                        and len(re.findall(rf"\b{re.escape(written)}\b", text)) < 2
                        and not re.search(r"[a-z][A-Z]", written)):  # "DiCaprio", "McCain"
                    continue
                if name:
                    self.openers.append((subject.start, name))
                if name and not _is_org(name) and not quoted[start]:
                    self.subjects.append((subject.start, name))
                    self.subject_ends[subject.start] = end
                    if re.search(r"['’]s?$", text[subject.start:subject.end]):
                        self.possessors.add(subject.start)
        self.mentions = []  # (end, full name, name as written, context, a candidate for "he")
        for start, end, name, context in self.runs:
            full = self._full(name, start)
            # Not who speaks next: a name inside what someone said, a possessor ("Mr Mallon's
            # arguments"), or someone met in a sentence about "she" ("she made up with Nielsen").
            possessive = re.match(r"['’]s\b", text[end:end + 2]) is not None
            if speaker_key(full) in self.people:
                self.mentions.append((end, full, name.lower(), context,
                                      not (quoted[start] or possessive or continuing[start])))
        self.mention_ends = [end for end, *_ in self.mentions]
        self.subject_starts = [pos for pos, _ in self.subjects]
        self.candidates = [(end, full) for end, full, _, _, candidate in self.mentions if candidate]
        self.candidate_ends = [end for end, _ in self.candidates]
        self.spoken: list[tuple[int, str, bool]] = []  # (where, speaker, a person or a spokesman)
        self.spoken_people: list[tuple[int, str]] = []  # sorted by where
        self.voices: list[str] = []  # organisations that spoke through "an official", "a spokesman"
        self.org_keys: set[str] = set()  # keys of those: never "he" or "she"

    def __call__(self, speaker: _Speaker, at: int, said: str) -> str:
        """The speaker's name, or "" when it cannot be told; the claim starts at `at`, and `said`
        are its words when they are a quotation."""
        if speaker.kind == "group":  # "analysts said": no one, but the latest to speak
            self.spoken.append((speaker.start, "", False))
            return ""
        name = self._resolve(speaker, min(at, speaker.start), said)
        if name and speaker.kind == "voice":
            self.voices.append(name)
            self.org_keys.add(speaker_key(name))
        if name and speaker.text.lower() in ("he", "she"):
            self.people.add(speaker_key(name))
        if name:
            person = (speaker.kind in ("voice", "pronoun") or speaker_key(name) in self.people
                      or speaker.text.lower().split()[-1].startswith("spokes"))
            self.spoken.append((speaker.start, name, person))
            if person:
                insort(self.spoken_people, (speaker.start, name))
        return name

    def _resolve(self, speaker: _Speaker, limit: int, said: str) -> str:
        if speaker.kind in ("name", "voice"):
            return self._named(speaker)
        head = speaker.text.lower().split()[-1]
        person_role = head in _ROLES or head.endswith("year-old")
        if head.startswith("spokes") and speaker.kind == "role":
            # "The Toyota spokesman said", after "Toyota spokesman Jerry Giaquinta told Reuters".
            named = self._with_role(speaker, limit, adjacent=True)
            org = re.search(_RUN, speaker.text[3:])  # else whose spokesman: "the Toyota spokesman"
            if named or org:
                return named or self._full(_clean_name(org.group())[0], speaker.start)
            if self.voices:  # "A spokesman for Yeutter said ... The spokesman said"
                return self.voices[-1]
        if head == "it" or head in _ORG_ROLES or speaker.kind == "role" and not person_role:
            return self._organisation(head, limit, speaker.start)
        # Not someone the quotation names ("I had a word with Olof"), nor an organisation
        # met as a name (one that spoke through a spokesman is "he" only as that spokesman).
        named_in_said = set(speaker_key(said).split())

        def fits(found: tuple[int, str], spoke: bool = False) -> bool:
            key = speaker_key(found[1])
            return not set(key.split()) & named_in_said and (spoke or key not in self.org_keys)

        # The latest of: a sentence opening with a person, a person speaking, a person named.
        i, j, k = (bisect_left(self.subject_starts, limit), bisect_left(self.spoken_people, (limit,)),
                   bisect_right(self.candidate_ends, limit))
        subject = next((f for f in reversed(self.subjects[max(0, i - 3):i]) if fits(f)), None)
        spoken = self.spoken_people[j - 1] if j and fits(self.spoken_people[j - 1], spoke=True) else None
        candidate = next((f for f in reversed(self.candidates[max(0, k - 3):k]) if fits(f)), None)
        if (subject and candidate and subject[0] <= candidate[0] <= self.subject_ends[subject[0]]
                and subject[0] not in self.possessors):
            # "Mirza ... will now face Svetlana Kuznetsova. ... she said": a sentence's subject,
            # not someone named later in it, is who "she" goes on about (but in "Matt Williams'
            # side has shown little, but Johnson insisted", Johnson is).
            candidate = None
        latest = max((f for f in (subject, spoken, candidate) if f), default=(0, ""))[1]
        if speaker.kind == "pronoun":
            # A "they" is rarely one named person: the organisation or group last quoted, if any;
            # an unknown "they" is not attributed at all.
            if head == "they":
                return "" if self.spoken and not self.spoken[-1][1] else self._organisation("it", limit)
            return latest  # a "he" with no one to be is not attributed
        # "said the minister": the latest person named with that role; "the official" after "a
        # Commission official said", the Commission; else the latest person.
        named = self._with_role(speaker, limit, adjacent=head == "official")
        if named:
            return named
        if head == "official" and self.voices:
            return self.voices[-1]
        return self._with_role(speaker, limit) or latest

    def _with_role(self, speaker: _Speaker, limit: int, adjacent: bool = False) -> str:
        """The latest person named with the role words of "the minister", "the Toyota spokesman";
        `adjacent`: only a name the role is written next to ("spokesman Jerry Giaquinta",
        "Giaquinta, a spokesman"), not one merely near it."""
        wanted = {w for w in speaker.text.lower().split() if w in _ROLES}
        earlier = self.mentions[:bisect_right(self.mention_ends, limit)]
        for _, full, name, context, _ in reversed(earlier):
            if not wanted or not wanted <= set(re.findall(r"[\w-]+", context)):
                continue
            role = "|".join(wanted)
            if not adjacent or re.search(rf"\b(?:{role})\s+{re.escape(name)}\b|\b{re.escape(name)},\s+"
                                         rf"(?:[\w'’-]+\s+){{0,4}}?(?:{role})\b", context):
                return full
        return ""

    def _organisation(self, head: str, limit: int, at: int = -1) -> str:
        """The organisation "it", "the company" or "the commission" stands for: one that spoke or
        was named before `limit`; else, for a company noun, one opening a sentence before `at`
        (where the speaker phrase is)."""
        orgs = [name for _, name, person in self.spoken if name and (
            not person or speaker_key(name) not in self.people or speaker_key(name) in self.org_keys)]
        for name in reversed(orgs):
            if head in name.lower().split():
                return name  # "the conservancy" -> "Conservancy of Southwest Florida"
        if head in _INSTITUTIONS:  # "the commission": one named before, else no one
            return next((name for start, _, name, _ in reversed(self.runs)
                         if start < limit and head in name.lower().split()), "")
        publication = head in ("newspaper", "paper", "magazine", "website", "broadcaster")
        if head != "it":
            # "The paper said", after "The trade paper Automotive News reported" or "quoted by
            # The Australian newspaper": the name written next to that noun; "the report said"
            # after "the NY Fed said in the report": the one that spoke of it.
            after = 5 if head in ("report", "release", "statement", "bulletin") else 1
            for start, end, name, _ in reversed(self.runs):
                if start >= limit or not (name in orgs or publication):
                    continue
                near = self.text[max(0, start - 30):start].lower().split()[-1:] + \
                    re.findall(r"[\w-]+", self.text[end:end + 60].lower())[:after]
                if head in near:
                    return name
        if head not in _ORG_ROLES:
            return orgs[-1] if orgs and head == "it" else ""
        opener = next(((start, name) for start, name in reversed(self.openers)
                       if start < at and speaker_key(name) not in self.people), None)
        if opener and not re.search(r"[.!?]\s", self.masked[opener[0]:at]):
            return opener[1]  # "Kestrel Shipping plans ..., company officials said": the sentence's own
        # Else the latest organisation to speak; if none has, the one a sentence before opens with.
        return orgs[-1] if orgs else opener[1] if opener else ""

    def _named(self, speaker: _Speaker) -> str:
        name = _clean_name(self.text[speaker.start:speaker.end])[0]
        return self._full(name, speaker.start) if name else ""

    def _full(self, name: str, pos: int) -> str:
        """A one-word name ("Blinken", "Lula") as a fuller name met before it: the one named most
        often, else the first ("Mack Rutherford", not his sister Zara named later)."""
        if len(name.split()) != 1:
            return name
        key = speaker_key(name)
        fuller = self.fuller.get(key, [])
        # A surname fits any fuller name; a first or middle name only a known person's.
        fitting = [other for _, other, words in fuller[:bisect_left(fuller, (pos,))]
                   if words[-1] == key and not _is_org(other) or speaker_key(other) in self.people]
        return max(fitting, key=lambda other: (fitting.count(other), -fitting.index(other)), default=name)


def _without_overlaps(claims: list[_Claim]) -> list[_Claim]:
    """Keep one claim per stretch of text, by rank: direct, reported, according to, partial."""
    spans: list[tuple[int, int]] = []  # kept spans, sorted and disjoint
    kept: list[_Claim] = []
    for claim in sorted(claims, key=lambda c: (c.rank, c.start)):
        i = bisect_left(spans, (claim.start, claim.end))
        if (i == 0 or spans[i - 1][1] <= claim.start) and (i == len(spans) or claim.end <= spans[i][0]):
            spans.insert(i, (claim.start, claim.end))
            kept.append(claim)
    return sorted(kept, key=lambda c: c.start)
