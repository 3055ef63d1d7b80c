"""benchmarks/sentence_splitters.py: pysbd against fast sentence splitters on BBC news, for speed and boundaries.

`.venv/bin/python benchmarks/sentence_splitters.py` prints, from one run:
- speed: milliseconds per article over the first `--n` BBC articles (median of `--repeats`
  interleaved runs, so machine noise hits every splitter alike) and the ratio to pysbd;
- boundaries on 100 real articles (the first 50, which are all business, and 50 taken at an even
  stride over the file): every place inside a line where the splitters disagree was judged by
  reading the text and recorded in sentence_boundaries.json beside this script (doc_id, offset of
  the next sentence's first character, a few words to find it, whether a sentence ends there, and
  whether that place is inside a quotation). Errors are splits where none belongs plus boundaries
  missed, so a boundary one character off (before a closing quote mark, after an opening one)
  counts twice. Two conventions: "errors" keeps a quotation of several sentences whole, as
  qa.text.quotes does; "errors, quotations split" ends a sentence at every full stop;
- constructed: the hand-made cases of tests/test_sentences.py that a splitter gets wrong.

Every splitter runs per line, as qa.ingest.chunk does: a sentence never crosses a line break, and
BBC paragraphs and headlines are lines. `--disagreements` prints the places not judged yet, with
context, for a person to judge. Needs: pip install pysbd blingfire nupunkt sentencex syntok.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from qa.ingest.records import article_from_record

HERE = Path(__file__).resolve().parent
DOCUMENTS = HERE.parent.parent / "shared" / "data" / "bbc_news.documents.jsonl"
JUDGEMENTS = HERE / "sentence_boundaries.json"
LINE = re.compile(r"[^\n]+")
FIRST, SPREAD = 50, 50  # articles whose boundaries were checked: see checked_sample

Splitter = Callable[[str], list[tuple[int, int]]]  # one line -> sentence (start, end) in it, any whitespace


def _pysbd() -> Splitter:
    import pysbd

    segmenter = pysbd.Segmenter(language="en", clean=False)

    def split(line: str) -> list[tuple[int, int]]:
        spans, cursor = [], 0
        for piece in segmenter.segment(line):  # strings only: locate each after the last, as chunk.py did
            start = line.find(piece.strip(), cursor)
            if start >= 0:
                spans.append((start, start + len(piece.strip())))
                cursor = spans[-1][1]
        return spans

    return split


def _blingfire() -> Splitter:
    import blingfire

    return lambda line: list(blingfire.text_to_sentences_and_offsets(line)[1])


def _nupunkt() -> Splitter:
    import nupunkt

    return nupunkt.sent_spans


def _sentencex() -> Splitter:
    import sentencex

    return lambda line: [(b["start_index"], b["end_index"]) for b in sentencex.get_sentence_boundaries("en", line)]


def _syntok() -> Splitter:
    from syntok import segmenter

    def split(line: str) -> list[tuple[int, int]]:
        return [
            (sentence[0].offset, sentence[-1].offset + len(sentence[-1].value))
            for paragraph in segmenter.analyze(line)
            for sentence in paragraph
            if sentence
        ]

    return split


def _shipped() -> Splitter:
    from qa.ingest.chunk import sentences

    return lambda line: [(s.start, s.end) for s in sentences(line)]


CANDIDATES = {
    "pysbd": _pysbd,
    "blingfire": _blingfire,
    "nupunkt": _nupunkt,
    "sentencex": _sentencex,
    "syntok": _syntok,
    "qa.ingest.chunk": _shipped,  # what ingest runs today, whichever library that is
}


def sentences(text: str, split: Splitter) -> list[tuple[int, int]]:
    """Trimmed, non-empty sentence spans of `text`, line by line."""
    spans = []
    for line in LINE.finditer(text):
        for s, e in split(line.group()):
            piece = line.group()[s:e]
            s += len(piece) - len(piece.lstrip())
            e -= len(piece) - len(piece.rstrip())
            if s < e:
                spans.append((line.start() + s, line.start() + e))
    return spans


def constructed_cases() -> list[tuple[str, list[str]]]:
    """(text, its sentences) made by hand: tests/test_sentences.py holds them, as they test the shipped splitter."""
    sys.path.append(str(HERE.parent / "tests"))
    from test_sentences import CASES

    return CASES


def _texts(text: str, split: Splitter) -> list[str]:
    return [text[s:e] for s, e in sentences(text, split)]


def boundaries(text: str, split: Splitter) -> set[int]:
    """Where a sentence starts inside a line: the places splitters can disagree about."""
    line_starts = {m.start() + len(m.group()) - len(m.group().lstrip()) for m in LINE.finditer(text)}
    return {s for s, _ in sentences(text, split)} - line_starts


def read_articles(path: Path) -> list[tuple[str, str]]:
    """(doc_id, canonical text) of every article, in file order."""
    with path.open(encoding="utf-8") as lines:
        return [(a.id, a.text) for a in (article_from_record(json.loads(line)) for line in lines)]


def checked_sample(articles: list[tuple[str, str]], first: int, spread: int) -> list[tuple[str, str]]:
    """The first `first` articles (the file is sorted by section: all business) and `spread` taken at an
    even stride over the whole file (business, entertainment, politics, sport, tech)."""
    stride = len(articles) // spread
    picked = articles[:first] + articles[first::stride][:spread]
    return list(dict(picked).items())


def speed(articles: list[tuple[str, str]], splitters: dict[str, Splitter], repeats: int) -> dict[str, float]:
    """Median milliseconds per article for each splitter; repeats interleaved."""
    times: dict[str, list[float]] = {name: [] for name in splitters}
    for _ in range(repeats):
        for name, split in splitters.items():
            began = time.perf_counter()
            for _, text in articles:
                sentences(text, split)
            times[name].append((time.perf_counter() - began) * 1000 / len(articles))
    return {name: statistics.median(ms) for name, ms in times.items()}


def errors(
    articles: list[tuple[str, str]], splitters: dict[str, Splitter], judged: dict[tuple[str, int], bool]
) -> tuple[dict[str, int], list[tuple[str, int]]]:
    """Errors per splitter at the judged places, and the places of disagreement not judged yet."""
    counts = dict.fromkeys(splitters, 0)
    unjudged = []
    for doc_id, text in articles:
        found = {name: boundaries(text, split) for name, split in splitters.items()}
        disputed = set.union(*found.values()) - set.intersection(*found.values())
        unjudged += [(doc_id, offset) for offset in sorted(disputed) if (doc_id, offset) not in judged]
        for (judged_id, offset), boundary in judged.items():
            if judged_id == doc_id:
                for name, places in found.items():
                    counts[name] += (offset in places) != boundary
    return counts, unjudged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks/sentence_splitters.py", description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=Path, default=DOCUMENTS)
    parser.add_argument("--n", type=int, default=400, help="articles timed, from the first (default 400)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of each splitter (default 5)")
    parser.add_argument("--disagreements", action="store_true", help="print the places not judged yet, and stop")
    args = parser.parse_args(argv)
    if not args.documents.exists():
        print(f"sentence_splitters: skipped, no {args.documents}")
        return 0

    articles = read_articles(args.documents)
    checked = checked_sample(articles, FIRST, SPREAD)
    splitters = {name: make() for name, make in CANDIDATES.items()}
    for split in splitters.values():
        split("Warm up. Load the models.")
    compared = {name: split for name, split in splitters.items() if name != "qa.ingest.chunk"}
    judgements = json.loads(JUDGEMENTS.read_text(encoding="utf-8"))
    # Two conventions: the project's (qa.text.quotes too) keeps a quotation of several sentences in
    # one sentence with its "he said"; the orthographic one ends a sentence at every full stop.
    whole = {(j["doc_id"], j["offset"]): j["boundary"] and not j["inside_quotation"] for j in judgements}
    split_quotes = {(j["doc_id"], j["offset"]): j["boundary"] for j in judgements}
    # The shipped splitter is one of the others: leave it out of the places to judge.
    _, unjudged = errors(checked, compared, whole)
    counts, _ = errors(checked, splitters, whole)
    counts_split, _ = errors(checked, splitters, split_quotes)

    if args.disagreements:
        texts = dict(checked)
        for doc_id, offset in unjudged:
            text = texts[doc_id]
            said = [name for name, split in compared.items() if offset in boundaries(text, split)]
            context = text[max(0, offset - 70) : offset].replace("\n", "¶") + " ‖ " + text[offset : offset + 40]
            print(f"{doc_id}\t{offset}\t{','.join(said)}\t{context!r}")
        print(f"{len(unjudged)} places not judged", file=sys.stderr)
        return 0

    cases = constructed_cases()
    constructed = {name: sum(_texts(text, split) != want for text, want in cases) for name, split in splitters.items()}
    ms = speed(articles[: args.n], splitters, args.repeats)
    print(f"speed: the first {args.n} BBC articles, median of {args.repeats} interleaved runs")
    print(
        f"boundaries: {len(checked)} articles (the first {FIRST}, {SPREAD} spread over the file), "
        f"{len(judgements)} places where the splitters disagree, judged by eye ({len(unjudged)} not judged)"
    )
    print(f"{'splitter':<17}{'ms/article':>11}{'vs pysbd':>10}{'errors':>8}{'errors, quotations split':>26}", end="")
    print(f"{f'constructed (of {len(cases)})':>21}")
    for name in splitters:
        ratio = ms["pysbd"] / ms[name]
        print(f"{name:<17}{ms[name]:>11.2f}{ratio:>9.1f}x{counts[name]:>8}{counts_split[name]:>26}", end="")
        print(f"{constructed[name]:>21}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
