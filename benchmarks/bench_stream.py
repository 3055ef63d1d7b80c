"""benchmarks/bench_stream.py: a 5 GB JSONL into one index, killed and resumed (`make bench-stream`).

The file holds the shared corpora's articles once (Reuters-21578 and BBC by default), then exact
copies of them under new ids up to the size asked. Ingest stores content once, so the copies are
read, parsed and skipped: the file's size costs reading time instead of days of embedding, and
what grows with it (the input read, per-article bookkeeping) shows in the memory. In one run:
- `python -m qa ingest FILE` killed (SIGKILL) after --kill-after seconds, then the same command
  again to the end: what the kill left stored, and that the second run ends with every distinct
  article stored once;
- the ingest process's resident memory against how far through the file it has read, sampled
  every 0.2 s from /proc (Linux only).
It writes its section into docs/SCALE.md between the markers below, leaving the rest as it is.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import _env, _say
from bench_data import DATA, DEFAULT_DOCUMENTS, DEFAULT_SCALE, ROOT, machine, read_articles, record_of, write_section

GIGABYTES = 5.0
KILL_AFTER_S = 60.0
SAMPLE_S = 0.2
SHARES = (0.1, 0.25, 0.5, 0.75, 1.0)  # of the file read, where memory is shown
START, END = "<!-- stream: benchmarks/bench_stream.py -->", "<!-- /stream -->"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks/bench_stream.py", description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=Path, nargs="+", default=[DEFAULT_SCALE, DEFAULT_DOCUMENTS])
    parser.add_argument("--gigabytes", type=float, default=GIGABYTES, help="size of the file ingested")
    parser.add_argument("--kill-after", type=float, default=KILL_AFTER_S, help="seconds until the first run's kill")
    parser.add_argument(
        "--scratch", type=Path, default=None, help="where the file and index go (needs the file's size)"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "SCALE.md")
    args = parser.parse_args(argv)
    missing = [path for path in args.documents if not path.exists()]
    if missing:
        print(f"bench-stream: no {missing[0]} (the shared data sets are not on this machine: {DATA})")
        return 1
    with tempfile.TemporaryDirectory(prefix="qa-bench-stream-", dir=args.scratch) as scratch:
        figures = measure(args.documents, int(args.gigabytes * 1e9), args.kill_after, Path(scratch))
    section = render(figures)
    print(section)
    write_section(args.out, section)
    return 0


def measure(documents: list[Path], size: int, kill_after: float, scratch: Path) -> dict:
    from qa.storage.writer import content_hash

    articles = [article for path in documents for article in read_articles(path, sys.maxsize)]
    big, index = scratch / "articles.jsonl", scratch / "index"
    _say(f"writing {size / 1e9:.1f} GB: {len(articles):,} articles, then copies of them under new ids")
    unique_bytes, lines = _write(articles, size, big)
    command = ["ingest", "--index", str(index), "--json", str(big)]
    _say(f"ingesting, killed after {kill_after:.0f} s")
    killed = _run(command, big, kill_after=kill_after)
    killed["stored"] = _info(index)["articles"]
    _say(f"{killed['stored']:,} articles stored when killed; the same command again")
    resumed = _run(command, big)
    return {
        "machine": machine(),
        "documents": [path.name for path in documents],
        "articles": len(articles),
        "distinct": len({content_hash(article) for article in articles}),
        "lines": lines,
        "bytes": big.stat().st_size,
        "unique_bytes": unique_bytes,
        "kill_after_s": kill_after,
        "killed": killed,
        "resumed": resumed,
        "info": _info(index),
    }


def _write(articles: list, size: int, path: Path) -> tuple[int, int]:
    """The articles as JSONL, then copies of them with new ids until the file reaches `size`
    bytes: (bytes of the first pass, lines written)."""
    bodies = []  # each record's JSON after its id, serialised once
    for article in articles:
        record = record_of(article)
        bodies.append((record.pop("id"), json.dumps(record)[1:]))
    written = lines = unique_bytes = 0
    with path.open("w", encoding="utf-8") as out:
        copy = 0
        while written < size:
            for article_id, body in bodies:
                new_id = article_id if copy == 0 else f"{article_id}#copy{copy}"
                line = '{"id": ' + json.dumps(new_id) + ", " + body + "\n"
                written += out.write(line)
                lines += 1
                if written >= size:
                    break
            if copy == 0:
                unique_bytes = written
            copy += 1
    return unique_bytes, lines


def _run(command: list[str], read: Path, *, kill_after: float | None = None) -> dict:
    """Run `python -m qa` with `command`, sampling its memory and how far it has read `read`;
    SIGKILL it after `kill_after` seconds when given."""
    started = time.monotonic()
    # Its messages go to a file: a pipe read only at the end would stop the process once full.
    errors = tempfile.TemporaryFile()
    process = subprocess.Popen(
        [sys.executable, "-m", "qa", *command], env=_env(), cwd=ROOT, stdout=subprocess.PIPE, stderr=errors
    )
    samples: list[tuple[float, int, int]] = []  # (seconds, bytes read, RSS bytes)
    peak = 0
    while process.poll() is None:
        elapsed = time.monotonic() - started
        if kill_after is not None and elapsed >= kill_after:
            process.send_signal(signal.SIGKILL)
            break
        position, rss, high = _sample(process.pid, read)
        if rss:
            if samples and samples[-1][1] and not position:  # the file is closed: it has been read
                position = read.stat().st_size
            samples.append((elapsed, max(position, samples[-1][1] if samples else 0), rss))
            peak = max(peak, high)
        time.sleep(SAMPLE_S)
    stdout, _ = process.communicate()
    seconds = time.monotonic() - started
    errors.seek(0)
    failure = errors.read().decode()[-2000:]
    errors.close()
    if kill_after is None and process.returncode != 0:
        raise RuntimeError(f"python -m qa {' '.join(command)} failed:\n{failure}")
    report = json.loads(stdout) if kill_after is None else None
    return {"seconds": seconds, "samples": samples, "peak_rss": peak, "report": report}


def _sample(pid: int, read: Path) -> tuple[int, int, int]:
    """(bytes of `read` the process has read, its RSS, its peak RSS), zeros once it has gone."""
    position = rss = high = 0
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == str(read):
                    info = Path(f"/proc/{pid}/fdinfo/{fd}").read_text()
                    position = max(position, int(info.split("pos:", 1)[1].split()[0]))
            except (OSError, IndexError, ValueError):
                continue
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) * 1024
            elif line.startswith("VmHWM:"):
                high = int(line.split()[1]) * 1024
    except OSError:
        return 0, 0, 0
    return position, rss, high


def _info(index: Path) -> dict:
    shown = subprocess.run(
        [sys.executable, "-m", "qa", "info", "--index", str(index), "--json"],
        env=_env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(shown.stdout)


def _stretches(samples: list[tuple[float, int, int]], bounds: list[int]) -> list[tuple[float, int] | None]:
    """For each stretch of the file between consecutive bounds (bytes read): (seconds when it was
    read to its end, highest RSS while it was being read); None for a stretch no sample fell in."""
    found = []
    for low, high in itertools.pairwise(bounds):
        inside = [(seconds, rss) for seconds, at, rss in samples if low < at <= high or (low == 0 and at == 0)]
        found.append((inside[-1][0], max(rss for _, rss in inside)) if inside else None)
    return found


def render(f: dict) -> str:
    m, killed, resumed, report = f["machine"], f["killed"], f["resumed"], f["resumed"]["report"]
    gb = f["bytes"] / 1e9
    bounds = [0, f["unique_bytes"], *(int(share * f["bytes"]) for share in SHARES)]
    labels = ["the articles' first pass (embedded)"] + [f"to {share:.0%} ({share * gb:.2f} GB)" for share in SHARES]
    rows = [
        f"| {label} | {found[0]:.0f} s | {found[1] / 1e6:,.0f} MB |" if found else f"| {label} | | (no sample) |"
        for label, found in zip(labels, _stretches(resumed["samples"], bounds), strict=True)
    ]
    stored = f["info"]["articles"]
    return "\n".join(
        [
            START,
            "## One machine: a 5 GB JSONL, streamed, killed and resumed",
            "",
            f"Measured {m['date']} on commit `{m['commit']}`: {m['cpu']}, {m['cores']} cores. Command: "
            f"`python benchmarks/bench_stream.py` (`make bench-stream`). The file: {f['articles']:,} articles of "
            f"{' and '.join(f'`{name}`' for name in f['documents'])} ({f['distinct']:,} distinct), then exact copies "
            f"of them under new ids, {f['lines']:,} lines and {gb:.2f} GB in all. Stored content is never indexed "
            "twice, so the copies are read, parsed and skipped, and the file's size shows in reading time and in "
            "whatever memory grows with it.",
            "",
            f"1. `python -m qa ingest FILE` was killed (SIGKILL) after {f['kill_after_s']:.0f} s: "
            f"{killed['stored']:,} articles stored, the index consistent (`python -m qa info` opened it).",
            f"2. The same command again, to the end: {resumed['seconds'] / 60:.1f} min; it added "
            f"{report['added']:,} articles and counted {report['duplicates']:,} as already stored. The index then "
            f"holds {stored:,} articles ({f['distinct']:,} distinct in the file), {f['info']['chunks']:,} chunks, "
            f"{f['info']['bytes_on_disk'] / 1e6:,.0f} MB on disk.",
            "",
            "The second run's resident memory, highest while each stretch of the file was read:",
            "",
            "| stretch read | read by | highest RSS |",
            "|---|---:|---:|",
            *rows,
            "",
            f"Peak (the kernel's high-water mark) {resumed['peak_rss'] / 1e6:,.0f} MB; the killed run's "
            f"{killed['peak_rss'] / 1e6:,.0f} MB.",
            END,
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
