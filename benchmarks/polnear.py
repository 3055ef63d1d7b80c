"""PolNeAR (Newell, Margolin and Ruths, LREC 2018) read from its brat files, and issue 14's rule
for scoring quote attribution against it.

Each article is `text/NAME.txt` with one or more `attributions/NAME_ANNOTATOR.ann` files; the
first annotator's file (sorted by name) is used, so an article counts once. An attribution is an
`E` line tying a Source, a Cue and a Content `T` span together; a span may be discontinuous
("315 448;463 553": a quotation broken by "he said"), so each is kept as a tuple of pieces.
Offsets index the text as Python reads it (UTF-8).

The scoring rule (issue 14): a predicted quote matches a labelled attribution whose cue is a
verb of saying and whose source contains a name, when the spans overlap by at least half of the
shorter one and the predicted speaker shares a name word with the labelled source. Precision is
over predictions that overlap such attributions, recall over such attributions. The two terms
are made exact here:

- A cue is a verb of saying when one of its words is an inflection of a lemma in SAYING
  ("says", "told", "warned", "insisting", "tweeted") or it reads "according to", which the
  project's own labels count as a statement. Thinking and feeling ("believes", "hopes"),
  showing ("polls show"), doing, and judging a thing named by a noun phrase ("criticized the
  plan", "called for a vote", "expressed admiration for") are not: what they attribute is not
  anyone's words.
- A source contains a name when one of its words is capitalised, is not a pronoun, determiner or
  role word ("He", "The", "Officials", "President" alone), is not a plural group ("Democrats",
  "Americans"), and, when it opens a sentence, is not a word the article also writes in lower
  case ("Analysts said"). The words kept are the source's name words; a speaker shares one
  when a word of its `speaker_key` is among them ("Hillary Clinton" for "Clinton's campaign").

Overlap counts only characters inside the labelled pieces, and the labelled length is the sum of
the pieces, so a quotation broken by its cue is one statement of that many characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from qa.text.quotes import speaker_key
from qa.text.quotes.lexicon import ROLES, TITLES, inflections
from qa.types import Quote

Pieces = tuple[tuple[int, int], ...]

# The evaluation's verbs of saying. The same list as qa/ingest/attribution.py's today, but kept
# apart on purpose: extending the runtime's list must not move the yardstick it is measured with.
SAYING = """say tell add note warn insist describe claim argue state announce write explain ask
reply respond answer declare suggest acknowledge admit recall report predict promise vow pledge
urge deny confirm complain contend assert maintain stress emphasise emphasize point remark
comment testify advise recommend caution concede boast quip joke tweet post allege continue
observe reveal reiterate counter conclude estimate forecast demand repeat shout cry whisper
mention disclose proclaim retort interject speak""".split()
# Irregular forms the suffix rules below do not make.
IRREGULAR = {"said": "say", "told": "tell", "wrote": "write", "written": "write", "spoke": "speak", "spoken": "speak"}
PRONOUNS = set(
    """i me my we us our you your he him his she her it its they them their this that these those
who whom which one someone somebody anyone everyone nobody himself herself themselves itself""".split()
)
DETERMINERS = set("the a an some many several other another both most all each any few more no".split())
GROUPS = set(
    """democrats republicans americans conservatives liberals progressives evangelicals voters
europeans britons israelis palestinians russians mexicans latinos hispanics muslims christians
jews catholics independents supporters critics officials aides sources analysts experts""".split()
)
WORD = re.compile(r"[\w’'.-]+")
SENTENCE_OPENING = re.compile(r"(?:^|[.!?:]['\"”’)]*\s+|\n\s*|[\"“‘(]\s*)$")


# The evaluation's own list of verbs (above), inflected as the runtime inflects its list.
SAYING_FORMS = {form for lemma in SAYING for form in inflections(lemma)} | set(IRREGULAR)


@dataclass(frozen=True, slots=True)
class Attribution:
    """One labelled attribution: each part as its pieces of text (start, end)."""

    source: Pieces
    cue: Pieces
    content: Pieces


@dataclass(frozen=True, slots=True)
class LabelledArticle:
    name: str
    text: str
    attributions: tuple[Attribution, ...]


def _pieces(offsets: str) -> Pieces:
    return tuple(sorted((int(a), int(b)) for a, b in (piece.split() for piece in offsets.split(";"))))


def read_ann(path: Path) -> list[Attribution]:
    """The attributions of one brat file; those without content or cue are skipped."""
    spans: dict[str, tuple[str, Pieces]] = {}
    events: list[dict[str, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split("\t")
        if line.startswith("T") and len(fields) >= 2:
            kind, _, offsets = fields[1].partition(" ")
            spans[fields[0]] = (kind, _pieces(offsets))
        elif line.startswith("E") and len(fields) >= 2:
            events.append(dict(arg.split(":", 1) for arg in fields[1].split() if ":" in arg))
    found = []
    for event in events:
        part = {role: spans[ref][1] for role, ref in event.items() if ref in spans}
        if part.get("Content") and part.get("Cue"):
            found.append(Attribution(part.get("Source", ()), part["Cue"], part["Content"]))
    return found


def read_polnear(folder: Path) -> Iterator[LabelledArticle]:
    """Every article of a PolNeAR split (`train` or `dev` folder), in name order."""
    files: dict[str, list[Path]] = {}
    for path in sorted((folder / "attributions").glob("*.ann")):
        files.setdefault(path.stem.rsplit("_", 1)[0], []).append(path)
    for name, paths in sorted(files.items()):
        text_path = folder / "text" / f"{name}.txt"
        if text_path.exists():
            text = text_path.read_text(encoding="utf-8")
            yield LabelledArticle(name, text, tuple(read_ann(paths[0])))


def _words(text: str, pieces: Pieces) -> list[tuple[int, str]]:
    return [(a + m.start(), m.group()) for a, b in pieces for m in WORD.finditer(text[a:b])]


def is_saying(text: str, cue: Pieces) -> bool:
    """Whether a cue is a verb of saying (see the module docstring)."""
    words = [w.lower().strip(".’'") for _, w in _words(text, cue)]
    return any(w in SAYING_FORMS for w in words) or "according" in words


def name_words(text: str, source: Pieces, lowercase: set[str] | None = None) -> set[str]:
    """The source's name words as speaker-key words: empty when it contains no name."""
    if lowercase is None:
        lowercase = set(re.findall(r"\b[a-z][\w-]*", text))
    found: set[str] = set()
    for at, word in _words(text, source):
        if not word[:1].isupper():
            continue
        plain = word.lower().rstrip(".").removesuffix("’s").removesuffix("'s")
        if plain in PRONOUNS or plain in DETERMINERS or plain in ROLES or plain in TITLES or plain in GROUPS:
            continue
        if SENTENCE_OPENING.search(text[max(0, at - 4) : at]) and plain in lowercase:
            continue  # "Analysts said": capitalised only because it opens the sentence
        found |= set(speaker_key(word).split())
    return found


def _shared(pred: tuple[int, int], pieces: Pieces) -> int:
    return sum(max(0, min(pred[1], b) - max(pred[0], a)) for a, b in pieces)


def overlaps(pred: tuple[int, int], pieces: Pieces) -> bool:
    """At least half of the shorter of the prediction and the labelled pieces is shared."""
    shared = _shared(pred, pieces)
    size = sum(b - a for a, b in pieces)
    return shared > 0 and shared >= 0.5 * min(pred[1] - pred[0], size)


@dataclass(slots=True)
class Score:
    """Counts behind precision and recall; `errors` lists misses and wrong predictions."""

    articles: int = 0
    attributions: int = 0  # all labelled
    eligible: int = 0  # cue of saying and a named source: recall's denominator
    found: int = 0
    predicted: int = 0  # all predictions
    judged: int = 0  # predictions overlapping an eligible attribution: precision's denominator
    correct: int = 0

    @property
    def precision(self) -> float:
        return self.correct / self.judged if self.judged else 0.0

    @property
    def recall(self) -> float:
        return self.found / self.eligible if self.eligible else 0.0

    def line(self) -> str:
        return (
            f"{self.articles} articles, {self.attributions} attributions ({self.eligible} with a cue of saying "
            f"and a named source), {self.predicted} predicted  precision {self.precision:.3f} "
            f"({self.correct}/{self.judged})  recall {self.recall:.3f} ({self.found}/{self.eligible})"
        )


def eligible(article: LabelledArticle) -> list[tuple[Attribution, set[str]]]:
    """The attributions the rule scores, each with its source's name words."""
    lowercase = set(re.findall(r"\b[a-z][\w-]*", article.text))
    chosen = []
    for attribution in article.attributions:
        if is_saying(article.text, attribution.cue):
            words = name_words(article.text, attribution.source, lowercase)
            if words:
                chosen.append((attribution, words))
    return chosen


def score_article(
    article: LabelledArticle, quotes: Sequence[Quote], total: Score, errors: list[str] | None = None
) -> None:
    """Add one article's counts to `total` (and its mistakes to `errors`)."""
    gold = eligible(article)
    total.articles += 1
    total.attributions += len(article.attributions)
    total.eligible += len(gold)
    total.predicted += len(quotes)

    def matches(q: Quote, g: tuple[Attribution, set[str]]) -> bool:
        return overlaps((q.start, q.end), g[0].content) and bool(set(speaker_key(q.speaker).split()) & g[1])

    for q in quotes:
        hits = [g for g in gold if overlaps((q.start, q.end), g[0].content)]
        if hits:
            total.judged += 1
            if any(matches(q, g) for g in hits):
                total.correct += 1
            elif errors is not None:
                source = _text(article.text, hits[0][0].source)
                errors.append(f"FP {article.name} [{q.start}:{q.end}] {q.speaker!r} (source {source!r})")
    for g in gold:
        if any(matches(q, g) for q in quotes):
            total.found += 1
        elif errors is not None:
            a = g[0]
            errors.append(
                f"FN {article.name} [{a.content[0][0]}:{a.content[-1][1]}] source {_text(article.text, a.source)!r} "
                f"cue {_text(article.text, a.cue)!r}"
            )


def _text(text: str, pieces: Pieces) -> str:
    return " … ".join(text[a:b] for a, b in pieces)
