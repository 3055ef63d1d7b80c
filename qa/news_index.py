"""NewsIndex: the facade that knows the order of the stages (load -> prepare -> store; parse ->
quoted words, stories or retrieve -> extract) and holds one index's connection, vectors, reader and writer."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from functools import partial
from pathlib import Path

from qa.answer import quoted
from qa.answer.passages import READER_FILE
from qa.answer.rank import RANKER_FILE
from qa.answer.respond import NO_WORDS, Ranking, answer_filtered, checked_query
from qa.errors import BadInput
from qa.ingest import chunk
from qa.ingest.attribution import load_tagger
from qa.ingest.embed import Embedder, MiniLMEmbedder
from qa.ingest.load import Problem, load
from qa.ingest.prepare import Prepared, prepare
from qa.storage import schema
from qa.storage.chunk_vectors import chunk_vectors_of
from qa.storage.reads import Reader
from qa.storage.vectors import VectorIndex
from qa.storage.writer import IngestReport, Writer
from qa.types import Answer, Article, Citation, Filters, Quote

DEFAULT_INDEX = Path("index")
BATCH_ARTICLES = 32  # articles committed per transaction: a kill loses at most one batch

__all__ = ["DEFAULT_INDEX", "IngestReport", "NewsIndex"]


class NewsIndex:
    """A persisted, incrementally updated index of news articles that answers questions.

    Open it with `NewsIndex.open(path)`; add articles with `add`, ask with `ask`.
    """

    def __init__(
        self,
        path: Path,
        embedder: Embedder,
        *,
        create: bool = False,
        ranker: bool | str | Path = False,
        check: bool = True,
        attribution: bool = True,
        reader: bool | str | Path = False,
    ) -> None:
        self.path = path
        self.embedder = embedder
        ranker_file = Path(ranker) if isinstance(ranker, (str, Path)) else RANKER_FILE if ranker or check else None
        # The sentence ranker, asked for, ranks instead of the reader.
        reader_file = (
            None if ranker else Path(reader) if isinstance(reader, (str, Path)) else READER_FILE if reader else None
        )
        self.ranking = Ranking(ranker_file, rerank=bool(ranker), reader=reader_file)
        self.attribution = attribution
        self.db = schema.connect(
            path,
            create=create,
            model=embedder.name,
            dimension=embedder.dimension,
            chunk_size=chunk.CHUNK_SIZE,
            chunk_overlap=chunk.CHUNK_OVERLAP,
        )
        lock = threading.RLock()  # Gradio serves requests from several threads over one connection
        # An approximate (IVF) search is rescored with the vectors SQLite stores.
        self.vectors = VectorIndex(path, embedder.dimension, partial(chunk_vectors_of, self.db, embedder.dimension))
        self.reader = Reader(self.db, lock, self.vectors)
        self.writer = Writer(path, self.db, lock, self.vectors, embedder.dimension)
        self.writer.sync_vectors()

    @classmethod
    def open(
        cls,
        path: str | Path = DEFAULT_INDEX,
        *,
        create: bool = False,
        embedder: Embedder | None = None,
        ranker: bool | str | Path = False,
        check: bool = True,
        attribution: bool = True,
        reader: bool | str | Path = False,
    ) -> NewsIndex:
        """Open the index at `path`.

        Args:
            path: the index folder.
            create: make an empty index when none exists.
            embedder: the embedding model; the bundled MiniLM by default.
            reader: True reads an answer the (checked) hand-tuned score gives with the learned
                passage reader (qa/answer/passages.py): it reads the best 3 chunks, adds its score
                of each sentence to the hand-tuned one and may still abstain; a path reads with
                the one in that ONNX file. Off by default: it cites a little better and turns away
                more near misses for ~40 ms and ~80 MB more (docs/MODEL_CARD.md).
            ranker: True ranks answer sentences with the learned sentence ranker as well (when
                its file loads; instead of the reader), a path with the one in that ONNX file;
                off by default until it beats the hand-tuned score on news as well as on SQuAD.
            check: without `ranker`, the sentence ranker still reads the best sentence of an
                answer of middling confidence and abstains when it finds it does not answer
                (wrong answers to questions from another corpus 17% -> 7%, docs/QUALITY.md);
                False answers from the hand-tuned score alone.
            attribution: find quotes at ingest with the learned attribution tagger as well as the
                rules: it adds statements the rules have no pattern for (PolNeAR dev recall 0.58
                -> 0.82, docs/MODEL_CARD.md) for ~12% more ingest time; False for the rules alone.

        Raises:
            IndexNotFound, IndexCorrupt, IndexMismatch: with the command that fixes it.
        """
        embedder = embedder or MiniLMEmbedder()
        return cls(
            Path(path), embedder, create=create, ranker=ranker, check=check, attribution=attribution, reader=reader
        )

    # ---- reading -------------------------------------------------------------------------

    def __len__(self) -> int:
        return self.reader.article_count()

    def __contains__(self, article_id: object) -> bool:
        return self.reader.has_article(article_id)

    def get(self, article_id: str) -> Article:
        """The article with this id, with its canonical text.

        Raises:
            KeyError: no such article.
        """
        return self.reader.article(article_id)

    def articles(self) -> Iterator[Article]:
        for article_id in self.reader.article_ids():
            yield self.get(article_id)

    def sources(self) -> list[str]:
        return self.reader.sources()

    def families(self, article_ids: Sequence[str]) -> dict[str, int]:
        """Each article's near-duplicate family id (articles indexed before grouping have none)."""
        return self.reader.families(article_ids)

    def info(self) -> dict:
        """Counts, settings and size on disk."""
        manifest = self.reader.manifest()
        counts = self.reader.counts()
        return {
            "path": str(self.path),
            **{k: counts[k] for k in ("articles", "chunks", "sentences")},
            "sources": len(self.sources()),
            "published_from": counts["published_from"],
            "published_to": counts["published_to"],
            "model": manifest["model"],
            "dimension": int(manifest["dimension"]),
            "chunk_size": int(manifest["chunk_size"]),
            "chunk_overlap": int(manifest["chunk_overlap"]),
            "format_version": int(manifest["format_version"]),
            "vector_index": self.vectors.kind,
            "bytes_on_disk": sum(f.stat().st_size for f in self.path.iterdir() if f.is_file()),
        }

    def quotes(
        self,
        speaker: str | None = None,
        about: str | None = None,
        *,
        sources: Sequence[str] = (),
        since: date | None = None,
        until: date | None = None,
        limit: int = 50,
    ) -> list[Quote]:
        """Quotations found at ingest, optionally by one speaker, ranked by topic when given.

        Args:
            speaker: a name as people write it; "Netanyahu" matches "Benjamin Netanyahu".
            about: a topic; quotes are ranked by how close their sentence is to it.
            sources, since, until: the same filters as `ask`.
            limit: at most this many quotes.

        Returns:
            Quotes, most relevant first (newest first when no topic is given).
        """
        if limit < 1:
            raise BadInput(f"limit must be at least 1, got {limit}")
        filters = Filters(tuple(sources), since, until)
        return [
            quote for quote, _ in quoted.ranked_quotes(self.reader, self.embedder, speaker, about, filters, limit=limit)
        ]

    def ask(
        self,
        question: str,
        *,
        k: int = 5,
        sources: Sequence[str] = (),
        since: date | None = None,
        until: date | None = None,
        shown: Sequence[Citation] = (),
        articles: Sequence[str] = (),
    ) -> Answer:
        """Answer `question` from the indexed articles, citing character spans.

        Args:
            question: the question in plain words.
            k: how many chunks to gather evidence from.
            sources: only articles from these sources (all when empty).
            since, until: only articles published in this date range (inclusive).
            shown: citations the user has already read ("what else did he say?" after them):
                the answer cites other passages.
            articles: only these articles, by id ("when was that?" of the article an answer cited).

        Returns:
            An Answer; `abstained` is true when the articles do not answer the question.
        """
        query = checked_query(question, k, sources, since, until, shown, articles)
        if not query.searched:
            return Answer(question, reason=NO_WORDS)
        with self.reader.lock, schema.explained(self.path):
            self.writer.sync_vectors()  # outside a transaction, so that a rebuilt FAISS file can be saved
            # What another process commits meanwhile cannot change this answer's articles.
            with self.reader.snapshot():
                self.writer.sync_vectors()
                return answer_filtered(self.reader, self.embedder, query, k=k, ranking=self.ranking)

    # ---- writing -------------------------------------------------------------------------

    def add(
        self,
        items: Iterable[str | Path | Article] | str | Path | Article,
        *,
        progress: Callable[[int, int | None], None] | None = None,
        listed: bool = True,
    ) -> IngestReport:
        """Add articles and files; never re-embeds articles already in the index.

        Same id and same content is a duplicate (no-op); same id with new content replaces the
        old article; the same content under another id is a duplicate too. Articles are
        committed in batches, each whole, so a crash keeps every batch before it.

        Args:
            items: Article objects, files or folders (walked recursively).
            progress: called with (articles done, total if known) after each batch.
            listed: list each article's id in the report; False counts them only, so that memory
                stays flat whatever the input's size (the command line's choice).

        Returns:
            An IngestReport of added, replaced, duplicate and skipped items.
        """
        report = IngestReport(listed=listed)
        batch: list[Article] = []
        with self.writer.exclusive(), schema.explained(self.path):
            self.writer.start()
            size, overlap = self.writer.chunk_settings()
            for item in _articles(items):
                if isinstance(item, Problem):
                    report.skipped.append(item)
                    continue
                batch.append(item)
                if len(batch) >= BATCH_ARTICLES:
                    self._commit(batch, report, size, overlap)
                    batch = []
                    if progress:
                        progress(report.done, None)
            if batch:
                self._commit(batch, report, size, overlap)
            if progress:
                progress(report.done, None)
            self.writer.save_vectors()
        return report

    def _commit(self, batch: list[Article], report: IngestReport, size: int, overlap: int) -> None:
        work = self.writer.classify(batch, report)
        if work:
            prepared = prepare(
                [item.article for item in work],
                self.embedder,
                chunk_size=size,
                chunk_overlap=overlap,
                tagger=load_tagger() if self.attribution else None,
            )
            self.writer.commit(list(zip(work, prepared, strict=True)), report)

    def add_prepared(self, prepared: Sequence[Prepared]) -> IngestReport:
        """Store articles prepared elsewhere (the Ray ingest's model workers, qa.scale.ingest_job),
        in one transaction: duplicates and replacements are decided here, as `add` decides them."""
        report = IngestReport()
        by_id = {item.article.id: item for item in prepared}  # the later version of an id wins, as in `add`
        with self.writer.exclusive(), schema.explained(self.path):
            self.writer.start()
            work = self.writer.classify([item.article for item in prepared], report)
            if work:
                self.writer.commit([(item, by_id[item.article.id]) for item in work], report)
        return report

    def save_vectors(self) -> None:
        """Write the FAISS file when the index keeps one (`add` does this at its end)."""
        with self.writer.exclusive():
            self.writer.save_vectors()

    def delete(self, article_ids: Iterable[str]) -> int:
        """Delete articles by id; returns how many existed."""
        with self.writer.exclusive(), schema.explained(self.path):
            return self.writer.delete(list(article_ids))

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> NewsIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _articles(items: Iterable[str | Path | Article] | str | Path | Article) -> Iterator[Article | Problem]:
    if isinstance(items, (str, Path, Article)):
        items = [items]
    paths: list[str | Path] = []
    for item in items:
        if not isinstance(item, Article):
            paths.append(item)
        elif item.text.strip():
            yield item
        else:
            yield Problem(item.id, None, "text is empty")
    yield from load(paths)
