"""python -m qa ...: a thin command line over the library; user errors print one line, exit 1."""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from qa.errors import BadInput, QAError

if TYPE_CHECKING:
    from qa.ingest.embed import Embedder
    from qa.types import Answer, Article

EXIT_USER_ERROR = 1
FORMATS = ("plain", "json", "markdown")


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {value!r} (use YYYY-MM-DD)") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m qa", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    def with_index(sub: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sub.add_argument("--index", type=Path, default=Path("index"), help="index folder (default: index/)")
        return sub

    def with_ray(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--ray",
            nargs="?",
            const="",
            metavar="ADDRESS",
            help="a sharded archive on Ray (pip install '.[scale]'): the cluster at ADDRESS, or a local one",
        )

    ingest = with_index(commands.add_parser("ingest", help="add articles from files and folders"))
    ingest.add_argument("paths", nargs="+", type=Path)
    ingest.add_argument("--json", action="store_true", help="print the report as JSON")
    ingest.add_argument(
        "--attribution",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="find quotes with the learned attribution tagger as well as the rules (the default; "
        "--no-attribution: the rules alone, ~12%% faster; docs/MODEL_CARD.md)",
    )
    with_ray(ingest)
    ingest.add_argument("--shards", type=int, default=4, help="with --ray: shards of a new archive (default 4)")
    ingest.add_argument("--workers", type=int, help="with --ray: model actors (default: the cluster's CPUs less one)")

    ask = with_index(commands.add_parser("ask", help="answer a question with cited spans"))
    ask.add_argument("question", nargs="?", help="none: a conversation, a question a line on stdin (follow-ups work)")
    ask.add_argument("--questions", type=Path, help='JSONL file of {"id", "question"} to answer in one run')
    ask.add_argument(
        "--format",
        choices=FORMATS,
        default="plain",
        help="plain text (default), json (Answer.to_dict()), or markdown with numbered footnotes to paste",
    )
    ask.add_argument("--json", action="store_const", const="json", dest="format", help="the same as --format json")
    ask.add_argument("--k", type=int, default=5)
    ask.add_argument("--source", action="append", default=[], help="only this source (repeatable)")
    ask.add_argument("--since", type=_date)
    ask.add_argument("--until", type=_date)
    ask.add_argument("--as-of", type=_date, dest="as_of", help="answer from articles published up to this date")
    ask.add_argument("--reader", action="store_true", help="rank sentences with the learned passage reader as well")
    ask.add_argument("--ranker", action="store_true", help="rank sentences with the learned sentence ranker as well")
    ask.add_argument(
        "--no-check", dest="check", action="store_false", help="answer without the ranker's check of uncertain answers"
    )
    with_ray(ask)

    delete = with_index(commands.add_parser("delete", help="delete articles by id"))
    delete.add_argument("ids", nargs="+")

    info = with_index(commands.add_parser("info", help="counts, model, settings, size on disk"))
    info.add_argument("--json", action="store_true")

    quotes = with_index(commands.add_parser("quotes", help="list who said what"))
    quotes.add_argument("name", nargs="?", help="whose words (as --speaker); every speaker's when left out")
    quotes.add_argument("--speaker", help="a speaker's name, or part of it")
    quotes.add_argument("--about", help="only quotes about this")
    quotes.add_argument("--json", action="store_true")

    # eval parses its own options (see main); listed here for --help.
    commands.add_parser("eval", help="measure answer quality on a QA set", add_help=False)
    return parser


def main(argv: list[str] | None = None, *, embedder: Embedder | None = None) -> int:
    """Run one command; `embedder` replaces the bundled model (for another model, or a test's)."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        if argv[:1] == ["eval"]:
            from qa.evaluate import main as evaluate

            return evaluate(argv[1:])
        return _run(_parser().parse_args(argv), embedder)
    except QAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("interrupted; everything committed before this point is kept", file=sys.stderr)
        return 130


def _run(args: argparse.Namespace, embedder: Embedder | None) -> int:
    from qa.news_index import NewsIndex

    if args.command == "ingest":
        for path in args.paths:
            if not path.exists():
                raise BadInput(f"no such file or folder: {path}")
        if args.ray is not None:
            return _ingest_on_ray(args)
        opened = NewsIndex.open(args.index, create=True, embedder=embedder, attribution=args.attribution)
        return _ingest(opened, args)
    if getattr(args, "ray", None) is not None or (args.index / "shards.json").exists():
        return _ask_archive(args, embedder)
    index = NewsIndex.open(
        args.index,
        embedder=embedder,
        ranker=getattr(args, "ranker", False),
        check=getattr(args, "check", True),
        reader=getattr(args, "reader", False),
    )
    if args.command == "ask":
        return _ask(index, args)
    if args.command == "delete":
        print(f"deleted {index.delete(args.ids)} of {len(args.ids)} articles")
        return 0
    if args.command == "info":
        info = index.info()
        print(json.dumps(info, indent=2) if args.json else "\n".join(f"{key}: {value}" for key, value in info.items()))
        return 0
    if args.command == "quotes":
        return _quotes(index, args)
    raise AssertionError(args.command)


def _ingest(index, args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from qa.ingest.load import estimate_articles

    with tqdm(unit=" articles", desc="ingesting", disable=args.json or None) as bar:

        def progress(done: int, total: int | None) -> None:
            bar.update(done - bar.n)

        def size_the_bar() -> None:  # a scan of the input, while the first articles go in
            bar.total = max(estimate_articles(args.paths), bar.n)
            bar.refresh()

        if not bar.disable:
            threading.Thread(target=size_the_bar, daemon=True).start()
        report = index.add(args.paths, progress=progress, listed=False)  # counts: a huge input, flat memory
    return _report(report, args)


def _report(report, args: argparse.Namespace) -> int:
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(report.summary())
        for problem in report.skipped:
            print(f"  skipped {problem}")
    return 0 if report.done or not report.skipped else EXIT_USER_ERROR


def _ray_module(name: str):
    import importlib

    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.split(".")[0] == "ray":
            raise BadInput("--ray needs Ray: pip install '.[scale]'") from None
        raise


def _ingest_on_ray(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    if args.shards < 1:
        raise BadInput(f"--shards must be at least 1, got {args.shards}")
    job = _ray_module("qa.scale.ingest_job")
    with tqdm(unit=" articles", desc="ingesting on Ray", disable=args.json or None) as bar:
        report = job.ingest(
            args.paths,
            args.index,
            shards=args.shards,
            address=args.ray or None,
            workers=args.workers,
            attribution=args.attribution,
            progress=lambda done: bar.update(done - bar.n),
            listed=False,
        )
    return _report(report, args)


def _ask_archive(args: argparse.Namespace, embedder: Embedder | None) -> int:
    """A sharded archive: served by Ray Serve with --ray, else its shards read in this process."""
    if args.command != "ask":
        raise BadInput(
            f"{args.index}/ is a sharded archive: `{args.command}` works on one shard's folder "
            f"({args.index}/shard-000 ...)"
        )
    from qa.scale.sharded import ShardedIndex

    if args.ray is not None:
        archive = _ray_module("qa.scale.serving").serve_archive(args.index, address=args.ray or None, embedder=embedder)
    else:
        archive = ShardedIndex.open(args.index, embedder)
    return _ask(archive, args)


def _ask(index, args: argparse.Namespace) -> int:
    if args.question is not None and args.questions is not None:
        raise BadInput("give a QUESTION or --questions FILE.jsonl, not both")
    until = min(filter(None, [args.until, args.as_of]), default=None)
    options = dict(k=args.k, sources=args.source, since=args.since, until=until)
    if args.question is not None:
        answer = index.ask(args.question, **options)
        if args.format == "plain" and _completed(answer.searched, args.question):
            print(f"(searched: {answer.searched})")
        print(_formatted(answer, args.format), end="")
        return 0
    if args.questions is None:
        return _conversation(index, options, args.format)
    if not args.questions.exists():
        raise BadInput(f"no such file: {args.questions}")
    with args.questions.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                question = item["question"]
            except (ValueError, KeyError, TypeError):
                print(f'error: {args.questions}:{number}: expected a JSON object with a "question"', file=sys.stderr)
                continue
            result = {"id": item.get("id"), **index.ask(question, **options).to_dict()}
            print(json.dumps(result, ensure_ascii=False), flush=True)
    return 0


def _conversation(index, options: dict, form: str) -> int:
    """No question given: a conversation, a question a line on stdin until it ends (Ctrl-D).
    Follow-ups borrow the previous question's subject as in the app ("when was that?", "what
    else did he say?"); the question searched is shown when it differs from the one typed."""
    from qa.text.conversation import dated_article, resolve_followup, shown_before

    typed = sys.stdin.isatty()
    if typed:
        print("Ask a question; follow-ups refer to the one before. Ctrl-D ends.", file=sys.stderr)
    searched: list[str] = []
    answer = None
    turns: list[tuple[str, Answer]] = []  # (typed, answer): what "what else?" asks past
    while True:
        try:
            message = input("? " if typed else "").strip()
        except EOFError:
            return 0
        if not message:
            continue
        question = resolve_followup(message, searched, answer)
        searched.append(question)
        shown, within = shown_before(message, turns), dated_article(message, answer)
        answer = index.ask(question, **options, shown=shown, articles=within)
        turns.append((message, answer))
        if form == "json":  # one object a line, as --questions gives (`question` is the one searched)
            print(json.dumps(answer.to_dict(), ensure_ascii=False), flush=True)
            continue
        if _completed(answer.searched, message):
            print(f"(searched: {answer.searched})")
        print(_formatted(answer, form), flush=True)


def _completed(searched: str, typed: str) -> bool:
    """Whether the question searched has words the typed one lacks: a follow-up completed from
    the conversation, or a role asked as its holder ("who is Gordon Brown, the chancellor?"). A
    date phrase read as a filter only takes words away."""
    return bool(set(re.findall(r"\w+", searched.lower())) - set(re.findall(r"\w+", typed.lower())))


def _formatted(answer, form: str) -> str:
    if form == "json":
        return json.dumps(answer.to_dict(), ensure_ascii=False, indent=2) + "\n"
    if form == "markdown":
        from qa.render import answer_markdown

        return answer_markdown(answer)
    return _plain(answer) + "\n"


def _plain(answer) -> str:
    from qa.render import day_spoken_of

    def cite(number: int, citation) -> str:
        when = citation.published.isoformat() if citation.published else "undated"
        if spoken_of := day_spoken_of(citation):
            when += f"; {spoken_of}"
        who = f"{citation.speaker}: " if citation.speaker else ""
        return (
            f"[{number}] {who}{citation.text}\n    — {citation.title} ({citation.source or 'unknown source'}, "
            f"{when}) {citation.article_id} chars {citation.start}-{citation.end}"
        )

    missing = [f"not searched (did not answer): {', '.join(answer.unsearched)}"] if answer.unsearched else []
    if answer.abstained:
        lines = [f"The articles don't say ({answer.reason})."]
        if answer.related:
            lines.append("Closest passages:")
            lines += [cite(n, c) for n, c in enumerate(answer.related, start=1)]
        return "\n".join(lines + missing)
    lines = [cite(n, c) for n, c in enumerate(answer.citations, start=1)]
    partly = [f"not found: {answer.reason}"] if answer.reason else []  # "Brown is quoted ..., but not about Iraq"
    return "\n".join(lines + partly + [f"confidence {answer.confidence:.2f}"] + missing)


def _quotes(index, args: argparse.Namespace) -> int:
    speaker = args.speaker or args.name
    quotes = index.quotes(speaker=speaker, about=args.about)
    if args.json:
        print(json.dumps([q.to_dict() for q in quotes], ensure_ascii=False, indent=2))
        return 0
    if not quotes:
        asked = " ".join(
            filter(None, [f"by {speaker}" if speaker else "", f"about {args.about}" if args.about else ""])
        )
        print(f"No quotes {asked} in {index.path}." if asked else f"No quotes in {index.path}.")
        return 0
    articles: dict[str, Article] = {}
    for quote in quotes:
        article = articles.setdefault(quote.article_id, index.get(quote.article_id))
        when = article.published.isoformat() if article.published else "undated"
        print(
            f"{quote.speaker} ({quote.cue}): “{quote.text}”\n    — {article.title} "
            f"({article.source or 'unknown source'}, {when}) {quote.article_id} chars {quote.start}-{quote.end}"
        )
    return 0
