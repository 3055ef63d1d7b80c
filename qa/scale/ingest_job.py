"""`python -m qa ingest --ray [ADDRESS] --shards N`: ingest as a Ray Data job into a sharded archive.

read (a task per file) -> prepare (chunk, split, embed, find quotes: a pool of model actors) ->
write (one writer actor per shard, each an ordinary index committing a batch per transaction).
The same command runs on a laptop's local Ray and on a cluster (ADDRESS, or RAY_ADDRESS); the
shard folders must be on storage the writers' nodes share with the machine that serves them.

Nothing committed is lost when a worker dies: a writer commits each batch whole, Ray restarts a
dead writer and runs its batch again (what it had committed comes back as duplicates), and Ray Data
retries a dead model actor's batch. Run again after a kill, it reads the files again but skips, before
the model, what the shards hold already (reported as duplicates).
"""

from __future__ import annotations

import itertools
import json
import logging
import os
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import ray

from qa.errors import BadInput
from qa.ingest import chunk
from qa.ingest.attribution import load_tagger
from qa.ingest.embed import MiniLMEmbedder
from qa.ingest.load import Problem, iter_files, load_file
from qa.ingest.prepare import Prepared, prepare
from qa.news_index import BATCH_ARTICLES, NewsIndex
from qa.scale.shards import MANIFEST, shard_folder, shard_of
from qa.storage.shard_reads import ids_by_content, stored
from qa.storage.writer import IngestReport, content_hash
from qa.types import Article

PROBLEM, HELD = -1, -2  # the shard column of a bad line, and of an article already stored
READ_SLICE = 256  # articles a reader holds at once, checked against the shards together
IN_FLIGHT = 2  # batches a writer may have queued: bounds what the driver holds, whatever the input size
WRITER_RESTARTS = 3


def ingest(
    paths: Sequence[str | Path],
    folder: Path,
    *,
    shards: int,
    address: str | None = None,
    workers: int | None = None,
    attribution: bool = True,
    progress: Callable[[int], None] | None = None,
    listed: bool = True,
) -> IngestReport:
    """Ingest files into the sharded archive at `folder` (made if new) on the Ray cluster at
    `address` (a local one when None). Returns what was added, replaced, duplicate or skipped
    (the articles' ids too when `listed`)."""
    folder.mkdir(parents=True, exist_ok=True)
    _check_manifest(folder, shards)
    ray.init(
        address=address or os.environ.get("RAY_ADDRESS"),
        ignore_reinit_error=True,
        log_to_driver=False,
        logging_level=logging.WARNING,
    )
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False  # the caller shows its own
    # Input order kept, so the first of two copies under different ids is the one kept, as in `add`.
    context.execution_options.preserve_order = True
    workers = workers or max(1, int(ray.cluster_resources().get("CPU", 1)) - 1)
    report = IngestReport(listed=listed)
    files = []
    for item in iter_files(paths):
        (report.skipped.append(item) if isinstance(item, Problem) else files.append({"path": str(item)}))
    if not files:
        return report
    writers = [_writer(folder, n) for n in range(shards)]
    prepared = (
        ray.data.from_items(files)
        .flat_map(lambda row: _read(row, folder, shards))
        .map_batches(
            Preparer,
            fn_constructor_kwargs={"attribution": attribution},
            batch_size=BATCH_ARTICLES,
            batch_format="pandas",
            compute=ray.data.ActorPoolStrategy(size=workers),
        )
    )
    queued: dict[int, list[tuple[ray.ObjectRef, list[str]]]] = defaultdict(list)
    in_flight: dict[str, str] = {}  # content hash -> id, of articles sent to a writer, not yet committed

    def written(shard: int) -> None:
        ref, digests = queued[shard].pop(0)
        report.merge(ray.get(ref))
        for digest in digests:
            in_flight.pop(digest, None)

    for batch in prepared.iter_batches(batch_size=BATCH_ARTICLES, batch_format="pandas"):
        fresh: list[tuple[int, Prepared]] = []
        for shard, item in zip(batch["shard"], batch["item"], strict=True):
            if shard == PROBLEM:
                report.skipped.append(item)
            elif shard == HELD:
                report.record("duplicates", item.id)
            else:
                fresh.append((int(shard), item))
        by_shard: dict[int, list[tuple[Prepared, str]]] = defaultdict(list)
        for shard, ready, digest in _without_copies(fresh, folder, shards, in_flight, report):
            by_shard[shard].append((ready, digest))
        for shard, kept in by_shard.items():
            while len(queued[shard]) >= IN_FLIGHT:
                written(shard)
            in_flight.update((digest, ready.article.id) for ready, digest in kept)
            queued[shard].append((writers[shard].add.remote([ready for ready, _ in kept]), [d for _, d in kept]))
        if progress:
            progress(report.done)
    for shard in list(queued):
        while queued[shard]:
            written(shard)
    ray.get([writer.finish.remote() for writer in writers])
    return report


def _without_copies(
    items: list[tuple[int, Prepared]], folder: Path, shards: int, in_flight: dict[str, str], report: IngestReport
) -> list[tuple[int, Prepared, str]]:
    """(shard, item, content hash) of the items whose content no other id holds, in any shard or on
    its way to one: the same content under another id is a duplicate across shards, as `add` finds
    it within one index."""
    digests = [content_hash(item.article) for _, item in items]
    held = dict(in_flight)
    for n in range(shards):
        held.update(ids_by_content(folder / shard_folder(n), set(digests) - held.keys()))
    kept = []
    for (shard, item), digest in zip(items, digests, strict=True):
        holder = held.setdefault(digest, item.article.id)
        if holder == item.article.id:  # the same id again is the shard's writer's to judge
            kept.append((shard, item, digest))
        else:
            report.record("duplicates", item.article.id)
    return kept


def writer_name(folder: Path, shard: int) -> str:
    """The writer actor's name: one writer per shard in the whole cluster."""
    return f"qa-writer:{folder.resolve() / shard_folder(shard)}"


def _writer(folder: Path, shard: int) -> Any:
    try:
        return ShardWriter.options(  # type: ignore[attr-defined]  # added by @ray.remote, which mypy does not see
            name=writer_name(folder, shard), max_restarts=WRITER_RESTARTS, max_task_retries=WRITER_RESTARTS
        ).remote(str(folder / shard_folder(shard)))
    except ValueError:  # the name is taken
        raise BadInput(f"another ingest is writing to {folder}/ on this Ray cluster; wait for it to finish") from None


def _check_manifest(folder: Path, shards: int) -> None:
    manifest = folder / MANIFEST
    if manifest.exists():
        held = json.loads(manifest.read_text())["shards"]
        if held != shards:
            raise BadInput(f"{folder}/ is an archive of {held} shards; ingest into it with --shards {held}")
    else:
        manifest.write_text(json.dumps({"shards": shards}) + "\n")


def _read(row: dict[str, Any], folder: Path, shards: int) -> Iterator[dict[str, Any]]:
    """A file's articles, each with the shard it goes to; its bad lines (shard PROBLEM), and the
    articles its shard holds already (shard HELD: a rerun after a kill does not embed them again).
    Read a slice at a time, so a large file never sits in memory whole."""
    articles: list[Article] = []
    for item in itertools.chain(load_file(Path(row["path"])), [None]):
        if isinstance(item, Problem):
            yield {"shard": PROBLEM, "item": item}
            continue
        if item is not None:
            articles.append(item)
        if len(articles) >= READ_SLICE or (item is None and articles):
            for shard in range(shards):
                mine = [a for a in articles if shard_of(a.id, shards) == shard]
                held = stored(folder / shard_folder(shard), mine)
                for article in mine:
                    yield {"shard": HELD if article.id in held else shard, "item": article}
            articles = []


class Preparer:
    """A model actor: chunks, sentences, vectors and quotes of a batch of articles."""

    def __init__(self, attribution: bool) -> None:
        self.embedder = MiniLMEmbedder()
        self.tagger = load_tagger() if attribution else None

    def __call__(self, batch: Any) -> Any:
        articles = [item for shard, item in zip(batch["shard"], batch["item"], strict=True) if shard >= 0]
        done = iter(
            prepare(
                articles,
                self.embedder,
                chunk_size=chunk.CHUNK_SIZE,
                chunk_overlap=chunk.CHUNK_OVERLAP,
                tagger=self.tagger,
            )
        )
        batch["item"] = [
            item if shard < 0 else next(done) for shard, item in zip(batch["shard"], batch["item"], strict=True)
        ]
        return batch


@ray.remote(num_cpus=0)  # waits on SQLite, not the CPU: the model actors get the cores
class ShardWriter:
    """One shard's writer: an ordinary index, a transaction a batch."""

    def __init__(self, folder: str) -> None:
        self.index = NewsIndex.open(folder, create=True, attribution=False)

    def add(self, prepared: list[Prepared]) -> IngestReport:
        return self.index.add_prepared(prepared)

    def finish(self) -> None:
        self.index.save_vectors()
