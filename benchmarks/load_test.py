"""Load test: concurrent `ask` calls through gradio_client against a local app while a CLI ingest runs.

    python benchmarks/load_test.py [--clients 8] [--requests 25] [--extra 120] [--time-limit 900]

Builds an index from seeds/ in a temporary folder, serves it with `python app.py` on 127.0.0.1
(never another host), starts `python -m qa ingest` of extra articles into the same index, and
has each client send its requests while the ingest runs. It then checks that no call failed and
that every cited span slices its article exactly (read back with NewsIndex.get), and reports
latency percentiles. Exit status 0 only when there were no errors and no inexact citations.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere: the checkout's qa/, not an installed one
from qa.evaluate import percentile  # noqa: E402  (after the path is set)

EXTRA = ROOT.parent / "shared" / "data" / "bbc_news.documents.jsonl"
HOST = "127.0.0.1"  # local only, by design
QUESTIONS = [
    "What did Netanyahu say about Rafah?",
    "What did Blinken say in Egypt?",
    "Who attended Arafat's funeral from Brazil?",
    "How many people died in the Hamas attack on October 7?",
    "What happened at the World Cup?",
    "How much profit did Time Warner make?",  # answerable once the ingest has added it
    "What did the chancellor say about the budget?",
    "What is the capital of Mars?",  # not in the articles: an abstention
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONPATH": str(ROOT), **extra}


def _wait_until_serving(url: str, app: subprocess.Popen, deadline: float) -> None:
    while time.monotonic() < deadline:
        if app.poll() is not None:
            raise SystemExit(f"app.py exited with {app.returncode} before serving")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"app.py did not serve {url} in time")


def _client_loop(url: str, number: int, requests: int, stop_at: float, results: list[dict]) -> None:
    from gradio_client import Client

    client = Client(url, verbose=False)
    for i in range(requests):
        if time.monotonic() > stop_at:
            break
        question = QUESTIONS[(number + i) % len(QUESTIONS)]
        started = time.monotonic()
        record = {"client": number, "question": question, "started": started}
        try:
            record["answer"] = client.predict(question, api_name="/ask")
        except Exception as exc:  # every failure counts; the report lists them
            record["error"] = f"{type(exc).__name__}: {exc}"
        record["seconds"] = time.monotonic() - started
        results.append(record)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=25, help="per client")
    parser.add_argument("--extra", type=int, default=120, help="articles the concurrent ingest adds")
    parser.add_argument("--extra-from", type=Path, default=EXTRA, help="JSONL of articles to take them from")
    parser.add_argument("--time-limit", type=float, default=900, help="seconds for the whole run")
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    args = parser.parse_args(argv)
    deadline = time.monotonic() + args.time_limit

    scratch = Path(tempfile.mkdtemp(prefix="news-qa-load-"))
    index_dir = scratch / "index"
    app = ingest = None
    try:
        print(f"building the seed index in {index_dir} ...", flush=True)
        subprocess.run(
            [sys.executable, "-m", "qa", "ingest", "--index", str(index_dir), str(ROOT / "seeds")],
            cwd=ROOT,
            env=_env(),
            check=True,
            capture_output=True,
            timeout=args.time_limit,
        )
        extra = scratch / "extra.jsonl"  # a slice of the data set, in the scratch folder only
        with args.extra_from.open(encoding="utf-8") as source, extra.open("w", encoding="utf-8") as out:
            for _, line in zip(range(args.extra), source, strict=False):
                out.write(line)

        port = _free_port()
        url = f"http://{HOST}:{port}/"
        app_log = (scratch / "app.log").open("w")
        app = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py")],
            cwd=ROOT,
            stdout=app_log,
            stderr=subprocess.STDOUT,
            env=_env(QA_INDEX_DIR=str(index_dir), GRADIO_SERVER_NAME=HOST, GRADIO_SERVER_PORT=str(port)),
        )
        _wait_until_serving(url, app, deadline)
        print(
            f"app serving at {url}; starting the ingest of {args.extra} articles and "
            f"{args.clients} clients x {args.requests} requests",
            flush=True,
        )

        ingest_started = time.monotonic()
        ingest = subprocess.Popen(
            [sys.executable, "-m", "qa", "ingest", "--index", str(index_dir), str(extra), "--json"],
            cwd=ROOT,
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        results: list[dict] = []
        clients = [
            threading.Thread(target=_client_loop, args=(url, n, args.requests, deadline, results))
            for n in range(args.clients)
        ]
        for thread in clients:
            thread.start()
        for thread in clients:
            thread.join(timeout=max(1.0, deadline - time.monotonic()))
        clients_done = time.monotonic()
        out, err = ingest.communicate(timeout=max(1.0, deadline - time.monotonic()))
        ingest_done = time.monotonic()
        if ingest.returncode != 0:
            print(f"the ingest failed ({ingest.returncode}):\n{err[-2000:]}", file=sys.stderr)
        ingest_report = json.loads(out) if ingest.returncode == 0 else {}

        from qa import NewsIndex

        inexact = []
        with NewsIndex.open(index_dir) as index:
            articles = len(index)
            for record in results:
                answer = record.get("answer") or {}
                for cited in answer.get("citations", []) + answer.get("related", []):
                    text = index.get(cited["article_id"]).text
                    if text[cited["start"] : cited["end"]] != cited["text"]:
                        inexact.append((record["question"], cited["article_id"], cited["start"], cited["end"]))

        latencies = [r["seconds"] for r in results if "error" not in r]
        errors = [r["error"] for r in results if "error" in r]
        during = sum(1 for r in results if r["started"] < ingest_done)
        summary = {
            "clients": args.clients,
            "requests_planned": args.clients * args.requests,
            "requests_done": len(results),
            "errors": len(errors),
            "inexact_citations": len(inexact),
            "answered": sum(1 for r in results if (r.get("answer") or {}).get("citations")),
            "abstained": sum(1 for r in results if (r.get("answer") or {}).get("abstained")),
            "p50_s": round(statistics.median(latencies), 3) if latencies else None,
            "p95_s": round(percentile(latencies, 0.95), 3) if latencies else None,
            "max_s": round(max(latencies), 3) if latencies else None,
            "throughput_per_s": round(len(results) / (clients_done - ingest_started), 2),
            "requests_started_during_ingest": during,
            "ingest_seconds": round(ingest_done - ingest_started, 1),
            "ingest_ok": ingest.returncode == 0,
            "ingest_added": ingest_report.get("added"),
            "articles_after": articles,
            "error_samples": errors[:5],
            "inexact_samples": inexact[:5],
        }
        print(json.dumps(summary, indent=2))
        if args.out:
            args.out.write_text(json.dumps(summary, indent=2))
        ok = not errors and not inexact and ingest.returncode == 0 and len(results) == args.clients * args.requests
        return 0 if ok else 1
    finally:
        for process in (ingest, app):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
