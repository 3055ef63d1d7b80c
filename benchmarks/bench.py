"""benchmarks/bench.py: ingest and query speed, memory and cold start, against the model's limit and LangChain.

Run with `make bench` (installs the `bench` extra), or `.venv/bin/python benchmarks/bench.py --help`.
Each measurement runs in a fresh process (see `_worker`), so one runtime's imports and memory
never flatter or burden another's; repeats are interleaved so machine noise hits all alike.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_data import (
    DEFAULT_DOCUMENTS,
    DEFAULT_SCALE,
    ROOT,
    _articles_for,
    _chunk_count,
    _questions,
    machine,
    synthesise,
)
from bench_report import _plot, render
from bench_tasks import BATCH_SIZE, THREADS, TOP_K, _worker
from qa.errors import BadInput

DEFAULT_N = 300  # BBC articles for the ingest comparison: about 1,000 chunks
DEFAULT_SIZES = (1_000, 10_000, 100_000)
REAL_UP_TO = 10_000  # chunks; larger corpora repeat the largest real one with synthetic vectors
QUESTIONS = 60
WORKER_TIMEOUT = 3_600
WORKER_FLAG = "--worker"  # argv[1] of the processes `_worker_run` starts: run one measurement, not the benchmark


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write the report.

    Args:
        argv: command-line options (see `--help`); `sys.argv[1:]` when None.

    Returns:
        The exit status: 0 when the report was written.
    """
    args = _parser().parse_args(argv)
    for path in (args.documents, args.scale_documents):
        if not path.exists():
            raise BadInput(
                f"no such file: {path}; pass --documents and --scale-documents "
                "(JSONL with doc_id, title, text, date, source; .gz allowed)"
            )
    if args.n < 1 or args.repeats < 1:
        raise BadInput(f"--n and --repeats must be at least 1, got {args.n} and {args.repeats}")
    with tempfile.TemporaryDirectory(prefix="qa-bench-") as scratch:
        results = run(args, Path(scratch))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    plot = args.out.parent / "bench-latency.png"
    plotted = _plot(results, plot)
    args.out.write_text(render(results, plot.name if plotted else None), encoding="utf-8")
    _say(f"wrote {args.out}" + (f" and {plot}" if plotted else " (no plot: matplotlib is not installed)"))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="benchmarks/bench.py", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--documents",
        type=Path,
        default=DEFAULT_DOCUMENTS,
        help="JSONL(.gz) of articles for the ingest comparison (default: BBC News)",
    )
    parser.add_argument(
        "--scale-documents",
        type=Path,
        default=DEFAULT_SCALE,
        help="JSONL(.gz) of articles for the larger latency points (default: Reuters-21578)",
    )
    parser.add_argument("--n", type=int, default=DEFAULT_N, help=f"articles to ingest (default {DEFAULT_N})")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each measurement (default 3)")
    parser.add_argument(
        "--sizes",
        type=lambda s: [int(x) for x in s.split(",") if x],
        default=list(DEFAULT_SIZES),
        help="corpus sizes in chunks for the latency points",
    )
    parser.add_argument(
        "--real-up-to",
        type=int,
        default=REAL_UP_TO,
        help="largest size built from real text; above it vectors are synthetic",
    )
    parser.add_argument("--questions", type=int, default=QUESTIONS, help="questions per latency point")
    parser.add_argument("--no-peer", action="store_true", help="skip LangChain even when it is installed")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "BENCHMARKS.md")
    return parser


def _say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---- orchestration (no model in this process) ------------------------------------------------


def run(args: argparse.Namespace, scratch: Path) -> dict:
    """Every measurement of one benchmark run, as a JSON-ready dict."""
    started = time.monotonic()
    peer = not args.no_peer and _peer_installed()
    results: dict = {
        "machine": machine(),
        "args": {
            "documents": str(args.documents),
            "scale_documents": str(args.scale_documents),
            "n": args.n,
            "repeats": args.repeats,
            "sizes": args.sizes,
            "real_up_to": args.real_up_to,
            "questions": args.questions,
            "threads": THREADS,
            "batch_size": BATCH_SIZE,
        },
        "peer": peer,
    }
    _say("preparing the ONNX export (once per model; cached)")
    results["runtime"] = _worker_run("prepare", {}, scratch)

    questions = scratch / "questions.json"
    questions.write_text(json.dumps(_questions(args.documents, args.n, args.questions)))
    # Where the default runtime is OpenVINO, also measure ONNX Runtime: what an install without it gets.
    also_onnx = results["runtime"]["runtime"] != "onnx"
    ingest: dict[str, list[dict]] = {"limit": [], "news_qa": [], "news_qa_onnx": [], "langchain": []}
    for repeat in range(args.repeats):
        _say(f"ingest repeat {repeat + 1}/{args.repeats}: fp32 limit")
        ingest["limit"].append(_worker_run("limit", {"documents": str(args.documents), "n": args.n}, scratch))
        _say(f"ingest repeat {repeat + 1}/{args.repeats}: news-qa")
        folder = scratch / f"ingest-{repeat}"
        ingest["news_qa"].append(
            _worker_run("ingest", {"documents": str(args.documents), "n": args.n, "folder": str(folder)}, scratch)
        )
        if also_onnx:
            _say(f"ingest repeat {repeat + 1}/{args.repeats}: news-qa with ONNX Runtime")
            ingest["news_qa_onnx"].append(
                _worker_run(
                    "ingest",
                    {
                        "documents": str(args.documents),
                        "n": args.n,
                        "folder": str(scratch / f"ingest-onnx-{repeat}"),
                        "runtime": "onnx",
                    },
                    scratch,
                )
            )
        if peer:
            _say(f"ingest repeat {repeat + 1}/{args.repeats}: LangChain")
            ingest["langchain"].append(
                _worker_run(
                    "langchain",
                    {
                        "documents": str(args.documents),
                        "n": args.n,
                        "folder": str(scratch / f"langchain-{repeat}"),
                        "questions": str(questions),
                    },
                    scratch,
                )
            )
    results["ingest"] = ingest
    ingest_index = scratch / f"ingest-{args.repeats - 1}"
    _say("query latency on the ingest corpus")
    results["ingest_serve"] = _worker_run(
        "serve", {"folder": str(ingest_index), "questions": str(questions), "repeats": args.repeats}, scratch
    )
    results["ingest_serve"]["cold"] = _cold(ingest_index, questions, args.repeats)
    if peer:
        _say("LangChain cold start")
        results["langchain_cold"] = _langchain_cold(scratch / f"langchain-{args.repeats - 1}", questions, args.repeats)
    results["points"] = _points(args, scratch)
    results["seconds"] = round(time.monotonic() - started, 1)
    return results


def _points(args: argparse.Namespace, scratch: Path) -> list[dict]:
    """One latency point per size: real articles up to --real-up-to chunks, then synthetic copies."""
    points: list[dict] = []
    largest_real: tuple[Path, Path, dict] | None = None
    for size in sorted(args.sizes):
        folder = scratch / f"point-{size}"
        questions = scratch / f"questions-{size}.json"
        if size <= args.real_up_to or largest_real is None:
            corpus = args.documents if _chunk_count(args.documents, size) >= size else args.scale_documents
            count = _articles_for(corpus, size)
            _say(f"latency point {size:,} chunks: ingesting {count:,} articles of {corpus.name}")
            built = _worker_run("ingest", {"documents": str(corpus), "n": count, "folder": str(folder)}, scratch)
            questions.write_text(json.dumps(_questions(corpus, count, args.questions)))
            point = {"size": size, "corpus": corpus.name, "synthetic": False, "articles": count, "build": built}
            largest_real = (folder, questions, point)
        else:
            source, source_questions, real = largest_real
            _say(f"latency point {size:,} chunks: copying the {real['size']:,}-chunk index with synthetic vectors")
            shutil.copytree(source, folder)
            shutil.copy(source_questions, questions)
            copies = synthesise(folder, size)
            point = {
                "size": size,
                "corpus": real["corpus"],
                "synthetic": True,
                "copies": copies,
                "articles": real["articles"] * (copies + 1),
            }
        _say(f"latency point {size:,} chunks: building FAISS and serving")
        point["open"] = _worker_run("open", {"folder": str(folder)}, scratch)
        point["serve"] = _worker_run(
            "serve",
            {"folder": str(folder), "questions": str(questions), "repeats": args.repeats, "recall": True},
            scratch,
        )
        point["cold"] = _cold(folder, questions, args.repeats)
        point["bytes_on_disk"] = sum(f.stat().st_size for f in folder.iterdir() if f.is_file())
        points.append(point)
    return points


def _worker_run(task: str, params: dict, scratch: Path) -> dict:
    """Run one measurement in a fresh Python process and return what it reported."""
    handle, out = tempfile.mkstemp(dir=scratch, suffix=".json")
    os.close(handle)
    command = [sys.executable, str(Path(__file__).resolve()), WORKER_FLAG, task, json.dumps(params), out]
    done = subprocess.run(command, env=_env(), cwd=ROOT, capture_output=True, text=True, timeout=WORKER_TIMEOUT)
    if done.returncode != 0:
        raise RuntimeError(f"bench worker {task} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(Path(out).read_text())


def _env() -> dict[str, str]:
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return {
        **os.environ,
        "PYTHONPATH": path,
        "HF_HUB_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "TRANSFORMERS_VERBOSITY": "error",
    }


def _cold(folder: Path, questions: Path, repeats: int) -> dict:
    """Seconds from a new `python -m qa ask` process to its printed answer, and what it imported."""
    question = json.loads(questions.read_text())[0]
    command = [sys.executable, "-m", "qa", "ask", "--index", str(folder), question]
    seconds = []
    for _ in range(repeats):
        began = time.perf_counter()
        subprocess.run(command, env=_env(), cwd=ROOT, capture_output=True, check=True, timeout=WORKER_TIMEOUT)
        seconds.append(time.perf_counter() - began)
    probe = (
        "import sys; from qa.cli import main; main(['ask', '--index', sys.argv[1], sys.argv[2]]); "
        "print('\\nIMPORTED', *sorted(m for m in ('torch', 'transformers', 'sentence_transformers') "
        "if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(folder), question],
        env=_env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=WORKER_TIMEOUT,
    )
    heavy = done.stdout.rsplit("IMPORTED", 1)[-1].split()
    return {"seconds": seconds, "median_s": statistics.median(seconds), "heavy_imports": heavy}


def _langchain_cold(folder: Path, questions: Path, repeats: int) -> dict:
    question = json.loads(questions.read_text())[0]
    script = (
        f"import sys, torch; torch.set_num_threads({THREADS})\n"
        "from langchain_community.vectorstores import FAISS\n"
        "from langchain_huggingface import HuggingFaceEmbeddings\n"
        "from qa.ingest.embed import model_path\n"
        "store = FAISS.load_local(sys.argv[1], HuggingFaceEmbeddings(model_name=str(model_path())), "
        "allow_dangerous_deserialization=True)\n"
        f"print(store.similarity_search(sys.argv[2], k={TOP_K})[0].page_content[:80])\n"
    )
    seconds = []
    for _ in range(repeats):
        began = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", script, str(folder), question],
            env=_env(),
            cwd=ROOT,
            capture_output=True,
            check=True,
            timeout=WORKER_TIMEOUT,
        )
        seconds.append(time.perf_counter() - began)
    return {"seconds": seconds, "median_s": statistics.median(seconds)}


def _peer_installed() -> bool:
    import importlib.util

    found = all(importlib.util.find_spec(m) for m in ("langchain_community", "langchain_huggingface"))
    if not found:
        _say("LangChain is not installed; skipping the peer (pip install -e '.[bench]')")
    return found


if __name__ == "__main__":
    if sys.argv[1:2] == [WORKER_FLAG]:
        _worker(sys.argv[2:])
    else:
        try:
            sys.exit(main())
        except BadInput as exc:
            sys.exit(f"error: {exc}")
