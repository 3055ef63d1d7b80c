"""bench.py's results as docs/BENCHMARKS.md: medians, the targets met or not, the table and plot."""

from __future__ import annotations

import statistics
from pathlib import Path

import numpy as np

from bench_data import SYNTHETIC_NOISE
from bench_tasks import TOP_K

TARGETS = {  # issue 15 (ingest, 10k chunks, cold start, disk, RSS) and issue 7 (100k chunks, RAM)
    "ingest_vs_limit": 2.0,
    "p50_100k_ms": 30.0,
    "p95_100k_ms": 80.0,
    "p50_10k_ms": 5.0,
    "p50_10k_ranker_ms": 40.0,  # issue 13
    "cold_start_s": 1.0,
    "ram_per_chunk_bytes": 4_096,
    "disk_per_chunk_bytes": 4_096,
    "serving_rss_10k_bytes": 300 * 2**20,
}


def _median(runs: list[dict], key: str) -> float | None:
    values = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(values) if values else None


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def summary(results: dict) -> dict:
    """The headline numbers the report and the targets are made of."""
    ingest = results["ingest"]
    limit = _median(ingest["limit"], "passages_per_s")
    ours = _median(ingest["news_qa"], "chunks_per_s")
    peer = _median(ingest["langchain"], "chunks_per_s") if ingest["langchain"] else None
    serve = results["ingest_serve"]
    out = {
        "limit": limit,
        "ours_chunks_per_s": ours,
        "ours_articles_per_s": _median(ingest["news_qa"], "articles_per_s"),
        "ours_vs_limit": ours / limit if limit and ours else None,
        "peer_chunks_per_s": peer,
        "peer_vs_limit": peer / limit if peer and limit else None,
        "ours_vs_peer_ingest": ours / peer if peer and ours else None,
        "ask_p50": _pct(serve["ask_ms"], 50),
        "retrieve_p50": _pct(serve["retrieve_ms"], 50),
        "cold_s": serve["cold"]["median_s"],
    }
    if ingest["langchain"]:
        peer_query = [ms for run in ingest["langchain"] for ms in run["query_ms"]]
        out["peer_query_p50"] = _pct(peer_query, 50)
        out["peer_query_p95"] = _pct(peer_query, 95)
        out["peer_vs_ours_query"] = out["peer_query_p50"] / out["retrieve_p50"]
    if results.get("langchain_cold"):
        out["peer_cold_s"] = results["langchain_cold"]["median_s"]
    return out


def _f(value: float | None, digits: int = 1, suffix: str = "") -> str:
    return "n/a" if value is None or value != value else f"{value:,.{digits}f}{suffix}"


def _mb(value: float | None) -> str:
    return "n/a" if value is None else f"{value / 2**20:,.0f} MB"


def _point_at(results: dict, size: int) -> dict | None:
    return next((p for p in results["points"] if p["size"] == size), None)


def targets(results: dict) -> list[tuple[str, str, bool | None]]:
    """(target, measured, met) for each target of the issue that this run measured."""
    s = summary(results)
    rows: list[tuple[str, str, bool | None]] = []
    if s["ours_vs_limit"] is not None:
        rows.append(
            (
                f"ingest >= {TARGETS['ingest_vs_limit']}x the fp32 limit",
                f"{s['ours_vs_limit']:.2f}x",
                s["ours_vs_limit"] >= TARGETS["ingest_vs_limit"],
            )
        )
    onnx = _median(results["ingest"]["news_qa_onnx"], "chunks_per_s") if results["ingest"]["news_qa_onnx"] else None
    if onnx and s["limit"]:
        rows.append(
            (
                f"ingest >= {TARGETS['ingest_vs_limit']}x the fp32 limit, ONNX Runtime only",
                f"{onnx / s['limit']:.2f}x",
                onnx / s["limit"] >= TARGETS["ingest_vs_limit"],
            )
        )
    for size, key, label in (
        (10_000, "p50_10k_ms", "p50"),
        (100_000, "p50_100k_ms", "p50"),
        (100_000, "p95_100k_ms", "p95"),
    ):
        point = _point_at(results, size)
        if point:
            value = _pct(point["serve"]["hand_ask_ms"], 50 if label == "p50" else 95)
            rows.append(
                (
                    f"ask {label} <= {TARGETS[key]:g} ms at {size // 1000}k chunks, hand-tuned score alone",
                    f"{value:.1f} ms",
                    value <= TARGETS[key],
                )
            )
    point = _point_at(results, 10_000)
    if point:
        # The default since the ranker checks uncertain answers: issue 15's target predates it.
        value = _pct(point["serve"]["ask_ms"], 50)
        limit = TARGETS["p50_10k_ms"]
        rows.append(
            (
                f"ask p50 <= {limit:g} ms at 10k chunks, default (uncertain answers checked)",
                f"{value:.1f} ms",
                value <= limit,
            )
        )
        value = _pct(point["serve"]["ranker_ask_ms"], 50)
        limit = TARGETS["p50_10k_ranker_ms"]
        rows.append((f"ask p50 <= {limit:g} ms at 10k chunks with the ranker", f"{value:.1f} ms", value <= limit))
    rows.append(
        (f"cold start <= {TARGETS['cold_start_s']} s", f"{s['cold_s']:.2f} s", s["cold_s"] <= TARGETS["cold_start_s"])
    )
    point = _point_at(results, 10_000)
    if point:
        disk = point["bytes_on_disk"] / point["serve"]["chunks"]
        met = disk <= TARGETS["disk_per_chunk_bytes"]
        rows.append(("<= 4 KB on disk per chunk at 10k chunks, every file", f"{disk:,.0f} B", met))
        rss = point["serve"]["serving_rss_bytes"]
        if rss:
            rows.append(("serving RSS <= 300 MB at 10k chunks", _mb(rss), rss <= TARGETS["serving_rss_10k_bytes"]))
    if s.get("ours_vs_peer_ingest") is not None:
        rows.append(("ingest ahead of LangChain", f"{s['ours_vs_peer_ingest']:.2f}x", s["ours_vs_peer_ingest"] > 1))
        rows.append(
            (
                "query ahead of LangChain (top-5 retrieval)",
                f"{s['peer_vs_ours_query']:.2f}x faster",
                s["peer_vs_ours_query"] > 1,
            )
        )
    largest = results["points"][-1] if results["points"] else None
    if largest and largest["serve"]["ram_per_chunk_bytes"] is not None:
        value = largest["serve"]["ram_per_chunk_bytes"]
        rows.append(
            (
                f"<= 4 KB RAM per chunk serving (at {largest['serve']['chunks']:,} chunks)",
                f"{value:,.0f} B",
                value <= TARGETS["ram_per_chunk_bytes"],
            )
        )
    for point in results["points"]:
        recall = point["serve"].get("recall_at_10")
        if point["serve"]["kind"] != "flat" and recall is not None:
            rows.append(
                (
                    f"recall@10 >= 0.95 with {point['serve']['kind']} at {point['serve']['chunks']:,}",
                    f"{recall:.3f}",
                    recall >= 0.95,
                )
            )
    return rows


def render(results: dict, plot: str | None) -> str:
    """The markdown report."""
    m, a, s = results["machine"], results["args"], summary(results)
    ingest = results["ingest"]
    first = ingest["news_qa"][0]
    versions = ", ".join(f"{k} {v}" for k, v in m["versions"].items() if v)
    lines = [
        "# Benchmarks",
        "",
        f"Measured {m['date']} on commit {m.get('commit') or 'unknown'} (the tree this file describes), "
        f"on {m['cpu']} ({m['cores']} cores, {_mb(m['memory_bytes'])} RAM), "
        f"Python {m['python']}; {versions}. news-qa embeds with **{results['runtime']['runtime']}**"
        f"{' (OpenVINO, bf16 on this CPU)' if 'bf16' in results['runtime']['runtime'] else ''}.",
        "",
        f"Command: `python benchmarks/bench.py --n {a['n']} --repeats {a['repeats']} --sizes "
        f"{','.join(map(str, a['sizes']))}` ({results['seconds'] / 60:.1f} min). Every measurement runs in "
        f"a fresh process, repeats interleaved; figures are medians of {a['repeats']} runs. The machine is "
        "shared, so compare ratios within this run rather than absolute numbers across runs.",
        "",
        f"## Ingest: {first['articles']:,} articles of `{Path(a['documents']).name}`, {first['chunks']:,} chunks",
        "",
        f"Model loading is excluded everywhere; {a['threads']} threads. sentence-transformers and LangChain "
        f"encode in batches of {a['batch_size']}; news-qa embeds the chunks of a commit's 32 articles together, "
        "sorted by length into batches of 8 (which run faster than 32). news-qa's figure is end to end: "
        "chunking, sentence splitting, quotes, near-duplicate signatures, one forward pass per chunk for chunk "
        "and sentence vectors, SQLite (int8 vectors, FTS5 over the chunks), written to disk.",
        "",
        "| pipeline | articles/s | chunks/s | vs fp32 limit | peak RSS |",
        "|---|---:|---:|---:|---:|",
        f"| fp32 limit: sentence-transformers `encode` of the same chunks once | | "
        f"{_f(s['limit'])} passages/s | 1.00x | {_mb(_median(ingest['limit'], 'peak_rss_bytes'))} |",
        f"| **news-qa** `NewsIndex.add` | {_f(s['ours_articles_per_s'])} | {_f(s['ours_chunks_per_s'])} | "
        f"**{_f(s['ours_vs_limit'], 2, 'x')}** | {_mb(_median(ingest['news_qa'], 'peak_rss_bytes'))} |",
    ]
    if ingest["news_qa_onnx"]:
        onnx = _median(ingest["news_qa_onnx"], "chunks_per_s")
        lines.append(
            f"| news-qa with ONNX Runtime fp32 (no OpenVINO installed) | "
            f"{_f(_median(ingest['news_qa_onnx'], 'articles_per_s'))} | {_f(onnx)} | "
            f"{_f(onnx / s['limit'] if onnx and s['limit'] else None, 2, 'x')} | "
            f"{_mb(_median(ingest['news_qa_onnx'], 'peak_rss_bytes'))} |"
        )
    if ingest["langchain"]:
        lines.append(
            f"| LangChain `FAISS.from_documents` + `HuggingFaceEmbeddings` | "
            f"{_f(_median(ingest['langchain'], 'articles_per_s'))} | {_f(s['peer_chunks_per_s'])} | "
            f"{_f(s['peer_vs_limit'], 2, 'x')} | {_mb(_median(ingest['langchain'], 'peak_ingest_rss_bytes'))} |"
        )
        lines += [
            "",
            f"news-qa ingests **{s['ours_vs_peer_ingest']:.2f}x** as fast as LangChain, and also stores "
            "sentence vectors, FTS5 and the article text that LangChain does not.",
        ]
    else:
        lines += ["", "LangChain was not measured (not installed: `pip install -e '.[bench]'`)."]
    serve = results["ingest_serve"]
    lines += [
        "",
        "## Query, on the ingest corpus",
        "",
        f"{len(serve['ask_ms']) // a['repeats']} headline questions x {a['repeats']}, warm, in process.",
        "",
        "| | p50 | p95 | cold start (new process, median) | RSS serving |",
        "|---|---:|---:|---:|---:|",
        f"| news-qa full `ask` (embed, FAISS + FTS5, fusion, sentence extraction) | "
        f"{_f(s['ask_p50'], 1, ' ms')} | {_f(_pct(serve['ask_ms'], 95), 1, ' ms')} | "
        f"{_f(s['cold_s'], 2, ' s')} | {_mb(serve['serving_rss_bytes'])} |",
        f"| news-qa retrieval only (embed + top-{TOP_K} fused) | {_f(s['retrieve_p50'], 1, ' ms')} | "
        f"{_f(_pct(serve['retrieve_ms'], 95), 1, ' ms')} | | |",
    ]
    if ingest["langchain"]:
        lines.append(
            f"| LangChain `similarity_search(k={TOP_K})` | {_f(s['peer_query_p50'], 1, ' ms')} | "
            f"{_f(s['peer_query_p95'], 1, ' ms')} | {_f(s.get('peer_cold_s'), 2, ' s')} | "
            f"{_mb(_median(ingest['langchain'], 'rss_bytes'))} |"
        )
        lines += [
            "",
            f"news-qa retrieval is **{s['peer_vs_ours_query']:.2f}x** as fast as LangChain's top-{TOP_K}; "
            f"its full answer, extraction included, takes {s['ask_p50'] / s['peer_query_p50']:.2f}x "
            "LangChain's retrieval time.",
        ]
    heavy = serve["cold"]["heavy_imports"]
    imported = ", ".join(heavy) if heavy else "neither torch, transformers nor sentence-transformers"
    lines += [
        "",
        "Cold start is `python -m qa ask --index DIR QUESTION`, process start to printed answer; "
        f"that process imported {imported}.",
    ]
    lines += [
        "",
        "## Latency against corpus size",
        "",
        "| chunks | articles | text | FAISS index | recall@10 vs exact | ask p50 | ask p95 | "
        "ask p50, hand-tuned alone | ask p50, ranker | retrieve p50 | cold start | FAISS build | "
        "RAM/chunk serving | disk/chunk |",
        "|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for p in results["points"]:
        sv = p["serve"]
        text = f"`{p['corpus']}`" + (f" + {p['copies']} copies, synthetic vectors" if p["synthetic"] else "")
        lines.append(
            f"| {sv['chunks']:,} | {p['articles']:,} | {text} | {sv['kind']} | {_f(sv.get('recall_at_10'), 3)} | "
            f"{_f(_pct(sv['ask_ms'], 50), 1, ' ms')} | {_f(_pct(sv['ask_ms'], 95), 1, ' ms')} | "
            f"{_f(_pct(sv['hand_ask_ms'], 50), 1, ' ms')} | {_f(_pct(sv['ranker_ask_ms'], 50), 1, ' ms')} | "
            f"{_f(_pct(sv['retrieve_ms'], 50), 1, ' ms')} | {_f(p['cold']['median_s'], 2, ' s')} | "
            f"{_f(p['open']['seconds'], 1, ' s')} | {_f(sv['ram_per_chunk_bytes'], 0, ' B')} | "
            f"{_f(p['bytes_on_disk'] / sv['chunks'], 0, ' B')} |"
        )
    lines += [
        "",
        "Synthetic points copy every article of the largest real index (text, sentences, FTS5 "
        f"rows) and give each copy its original vectors plus Gaussian noise ({SYNTHETIC_NOISE} of the "
        "norm), renormalised: SQLite, FTS5 and extraction do real work over the larger corpus while "
        "FAISS sees distinct vectors. RAM/chunk is the serving process's RSS after the questions minus "
        "its RSS with the model and libraries loaded, over the chunk count; disk/chunk counts every file "
        "of the index (article text, chunk and sentence rows with int8 vectors, FTS5, quotes, and the FAISS "
        "file, which is kept only from 50k chunks).",
    ]
    if plot:
        lines += ["", f"![ask latency against corpus size]({plot})"]
    lines += ["", "## Targets (issues 7, 13 and 15)", "", "| target | measured | met |", "|---|---:|---|"]
    lines += [f"| {t} | {v} | {'yes' if ok else 'no'} |" for t, v, ok in targets(results)]
    lines += [""]
    return "\n".join(lines)


def _plot(results: dict, path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    points = results["points"]
    if not points:
        return False
    sizes = [p["serve"]["chunks"] for p in points]
    figure, axes = plt.subplots(figsize=(7, 4.2), dpi=110)
    axes.plot(sizes, [_pct(p["serve"]["ask_ms"], 50) for p in points], "o-", label="news-qa ask p50")
    axes.plot(sizes, [_pct(p["serve"]["ask_ms"], 95) for p in points], "s--", label="news-qa ask p95")
    axes.plot(sizes, [_pct(p["serve"]["retrieve_ms"], 50) for p in points], "^:", label="news-qa retrieval p50")
    s = summary(results)
    if s.get("peer_query_p50"):
        chunks = statistics.median(r["chunks"] for r in results["ingest"]["langchain"])
        axes.plot([chunks], [s["peer_query_p50"]], "X", markersize=10, label="LangChain top-5 p50")
    for p, size in zip(points, sizes, strict=True):
        axes.annotate(
            p["serve"]["kind"] + (" (synthetic)" if p["synthetic"] else ""),
            (size, _pct(p["serve"]["ask_ms"], 50)),
            textcoords="offset points",
            xytext=(4, -12),
            fontsize=8,
        )
    axes.set_xscale("log")
    axes.set_xlabel("chunks in the index")
    axes.set_ylabel("milliseconds (warm)")
    axes.set_title(
        f"news-qa query latency — {results['machine']['cpu']}, {results['machine']['cores']} cores", fontsize=9
    )
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return True
