"""A sharded archive: several indexes, each an ordinary one, answered from as one index would be.

Articles go to shard `shard_of(id)`. A question runs the same stages as one index's
(qa.answer.respond) over a ShardedReader, whose reads fan out to the shards and merge:
cosines and BM25 scores compare across shards (BM25 is weighed by the whole archive's counts,
qa.storage.shard_reads), so the merged lists are the ones a single index over the same articles
gives, and so are the citations (tests/test_scale.py). The merge is the only distributed logic
here: how a shard is reached (this process, or a Ray Serve deployment: qa.scale.serving) is a
`Shard`.

Limits: duplicate and near-duplicate detection work within a shard (a copy routed to another
shard is kept and cited on its own), and a question reads each shard at its own latest commit.
"""

from __future__ import annotations

import contextlib
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any, cast

import numpy as np

from qa.answer.respond import CHECKED, NO_WORDS, Ranking, answer_filtered, checked_query
from qa.ingest.embed import Embedder, MiniLMEmbedder
from qa.scale.families import JoinedFamilies, Signed
from qa.scale.shards import LocalShard, Shard, ShardFailed, shard_count, shard_folder, shard_of
from qa.storage.bm25 import Statistics
from qa.storage.candidates import Candidates
from qa.storage.reads import Reader
from qa.types import Answer, Article, Citation, Filters, Hit, Quote


class ShardedReader:
    """The reads qa.answer makes of a Reader, over shards. Ids of chunks, sentences, article rows
    and families are made archive-wide as local * shards + shard. A shard that fails a fan-out is
    left out and named in `missing`; one that fails a read only it can answer raises ShardFailed."""

    def __init__(self, shards: Sequence[Shard | None]) -> None:
        self.shards = shards  # None: a shard left out of this question
        self.count = len(shards)
        self.lock = threading.RLock()
        self.candidates = Candidates()
        self.missing: set[int] = {n for n, shard in enumerate(shards) if shard is None}
        self._articles: dict[str, Article] = {}
        self._frequencies: dict[tuple[str, int], int] = {}
        self._chunks: int | None = None
        self._joined = JoinedFamilies()

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        self._articles, self._frequencies, self._chunks = {}, {}, None
        self._joined = JoinedFamilies()
        yield

    # ---- calls ---------------------------------------------------------------------------

    def _each(self, method: str, *args: Any) -> list[tuple[int, Any]]:
        """(shard, result) from every live shard, asked all at once."""
        asked = []
        for n, shard in enumerate(self.shards):
            if shard is not None and n not in self.missing:
                try:
                    asked.append((n, shard.submit(method, *args)))
                except Exception:  # any failure leaves the shard out; the answer says so
                    self.missing.add(n)
        answered = []
        for n, pending in asked:
            try:
                answered.append((n, pending.result()))
            except Exception:
                self.missing.add(n)
        return answered

    def _one(self, shard: int, method: str, *args: Any) -> Any:
        return self._several({shard: args}, method)[shard]

    def _several(self, asked: dict[int, tuple[Any, ...]], method: str) -> dict[int, Any]:
        """`method` with each shard's own arguments, asked of all at once. A shard that fails
        raises ShardFailed: only it holds what it was asked for."""
        pending = {}
        for shard, args in asked.items():
            target = self.shards[shard]
            if target is None or shard in self.missing:
                raise ShardFailed(shard)
            try:
                pending[shard] = target.submit(method, *args)
            except Exception as error:  # whatever the transport raised: the question goes on without it
                self.missing.add(shard)
                raise ShardFailed(shard) from error
        answered = {}
        for shard, reply in pending.items():
            try:
                answered[shard] = reply.result()
            except Exception as error:
                self.missing.add(shard)
                raise ShardFailed(shard) from error
        return answered

    def _by_shard(self, article_ids: Iterable[str]) -> dict[int, tuple[list[str]]]:
        """The ids grouped by the shard that holds them, as `_several`'s arguments."""
        grouped: dict[int, list[str]] = defaultdict(list)
        for article_id in article_ids:
            grouped[shard_of(article_id, self.count)].append(article_id)
        return {shard: (ids,) for shard, ids in grouped.items()}

    def _global(self, shard: int, local: int) -> int:
        return local * self.count + shard

    def _local(self, global_id: int) -> tuple[int, int]:
        return global_id % self.count, global_id // self.count

    def _merged(
        self, method: str, depth: int, *args: Any, key: Callable[[float], float] = lambda s: -s
    ) -> list[tuple[int, float]]:
        pairs = [(self._global(n, local), score) for n, found in self._each(method, *args) for local, score in found]
        return sorted(pairs, key=lambda pair: key(pair[1]))[:depth]

    # ---- articles ------------------------------------------------------------------------

    article = Reader.article  # the cache, else `articles` below

    def articles(self, article_ids: Sequence[str]) -> dict[str, Article]:
        unread = self._by_shard(a for a in dict.fromkeys(article_ids) if a not in self._articles)
        if unread:  # else every one was read earlier in this question
            for found in self._several(unread, "articles").values():
                self._articles.update(found)
        return {article_id: self._articles[article_id] for article_id in article_ids if article_id in self._articles}

    def sources(self) -> list[str]:
        return sorted({source for _, found in self._each("sources") for source in found})

    def sources_named(self, names: Sequence[str]) -> dict[str, list[str]]:
        """As Reader.sources_named over the archive: a name stored as it is in any shard means
        itself alone, as in one index."""
        found: dict[str, set[str]] = defaultdict(set)
        for _, named in self._each("sources_named", names):
            for name, sources in named.items():
                found[name].update(sources)
        return {name: [name] if name in found[name] else sorted(found[name]) for name in names}

    def newest_articles(self, filters: Filters, limit: int) -> list[tuple[str, str | None]]:
        """As Reader.newest_articles over the archive: newest first, undated last, then by id."""
        found = sorted(row for _, rows in self._each("newest_articles", filters, limit) for row in rows)
        found.sort(key=lambda row: row[1] or "", reverse=True)  # stable: equal dates stay by id
        return found[:limit]

    def published_range(self) -> tuple[str | None, str | None]:
        ranges = [found for _, found in self._each("published_range")]
        firsts = [first for first, _ in ranges if first]
        lasts = [last for _, last in ranges if last]
        return min(firsts, default=None), max(lasts, default=None)

    def chunk_count(self) -> int:
        if self._chunks is None:  # asked by retrieval and by scoring: once a question
            self._chunks = sum(count for _, count in self._each("chunk_count"))
        return self._chunks

    # ---- chunks ----------------------------------------------------------------------------

    def dense_chunks(self, query: np.ndarray, depth: int, filters: Filters) -> list[int]:
        return [chunk for chunk, _ in self._merged("dense_scored", depth, query, depth, filters)]

    def nearest_chunks(self, query: np.ndarray, depth: int) -> list[tuple[int, float]]:
        return self._merged("nearest_chunks", depth, query, depth)

    def lexical_chunks(self, words: Sequence[str], depth: int, filters: Filters) -> list[int]:
        if not words:
            return []
        totals = sum((found for _, found in self._each("bm25_statistics", list(words))), Statistics())
        return [chunk for chunk, _ in self._merged("bm25_scored", depth, list(words), depth, filters, totals)]

    def chunk_frequencies(self, words: Sequence[str], cap: int) -> dict[str, int]:
        missing = [word for word in dict.fromkeys(words) if (word, cap) not in self._frequencies]
        if missing:
            totals: dict[str, int] = defaultdict(int)
            chunks = 0
            for _, (count, found) in self._each("word_counts", missing, cap):
                chunks += count
                for word, hits in found.items():
                    totals[word] += hits
            if self._chunks is None:  # the chunk count retrieval asks for next: one round fewer
                self._chunks = chunks
            # Each shard counts to the cap: the sum reaches it exactly when the archive's count does.
            self._frequencies.update({(word, cap): min(totals[word], cap) for word in missing})
        return {word: self._frequencies[word, cap] for word in words}

    def hits(self, scored: Sequence[tuple[int, float]]) -> list[Hit]:
        by_shard: dict[int, list[tuple[int, float]]] = defaultdict(list)
        for chunk, score in scored:
            shard, local = self._local(chunk)
            by_shard[shard].append((local, score))
        found = {
            self._global(shard, hit.chunk_id): hit
            for shard, hits in self._several({shard: (pairs,) for shard, pairs in by_shard.items()}, "hits").items()
            for hit in hits
        }
        present = [chunk for chunk, _ in scored if chunk in found]
        return [replace(found[chunk], chunk_id=chunk, rank=rank) for rank, chunk in enumerate(present)]

    # ---- sentences -------------------------------------------------------------------------

    def sentences_of(self, spans: Sequence[tuple[str, int, int]]) -> list[list[tuple[int, int, int, np.ndarray]]]:
        by_shard: dict[int, list[int]] = defaultdict(list)  # shard -> positions in spans
        for position, (article_id, _, _) in enumerate(spans):
            by_shard[shard_of(article_id, self.count)].append(position)
        asked = {shard: ([spans[p] for p in positions],) for shard, positions in by_shard.items()}
        found: list[list[tuple[int, int, int, np.ndarray]]] = [[] for _ in spans]
        for shard, replies in self._several(asked, "sentences_of").items():
            for position, sentences in zip(by_shard[shard], replies, strict=True):
                found[position] = [
                    (self._global(shard, sentence), s, e, vector) for sentence, s, e, vector in sentences
                ]
        return found

    def sentence_before(self, article_id: str, start: int) -> tuple[int, int] | None:
        return self._one(shard_of(article_id, self.count), "sentence_before", article_id, start)

    def sentences_with(self, words: Sequence[str], sentences: Sequence[tuple[int, str]]) -> dict[str, list[int]]:
        with self.lock:
            return self.candidates.sentences_with(words, sentences)

    # ---- quotes ----------------------------------------------------------------------------

    def quotes(self, speaker_words: Sequence[str], filters: Filters) -> list[tuple[Quote, int]]:
        """Every shard's quotes, in one index's order: newest first, then by article id and start."""
        found = [
            (quote, self._global(n, row), published)
            for n, quotes in self._each("quotes_dated", list(speaker_words), filters)
            for quote, row, published in quotes
        ]
        found.sort(key=lambda item: (item[0].article_id, item[0].start))
        found.sort(key=lambda item: item[2] or "", reverse=True)  # stable: ties keep the order above
        return [(quote, row) for quote, row, _ in found]

    def speaker_counts(self) -> dict[str, tuple[str, int]]:
        names: dict[str, str] = {}
        counts: Counter[str] = Counter()
        for _, found in self._each("speaker_counts"):
            for key, (name, count) in found.items():
                names.setdefault(key, name)
                counts[key] += count
        return {key: (names[key], count) for key, count in counts.items()}

    def speakers_in(self, article_ids: Sequence[str]) -> dict[str, list[tuple[int, int, str]]]:
        found: dict[str, list[tuple[int, int, str]]] = {}
        for quotes in self._several(self._by_shard(article_ids), "speakers_in").values():
            found.update(quotes)
        return found

    def vectors_around(self, article_rowid: int, start: int, end: int) -> list[np.ndarray]:
        shard, row = self._local(article_rowid)
        return self._one(shard, "vectors_around", row, start, end)

    # ---- near-duplicate families -----------------------------------------------------------

    def family_sources(self, article_ids: Sequence[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for sources in self._several(self._by_shard(article_ids), "family_sources").values():
            found.update(sources)
        # Families joined across shards (`families`): their outlets too, asked only when there are some.
        kin = {
            article_id: [self._local(f) for f in families]
            for article_id, families in self._joined.kin(article_ids).items()
        }
        asked: dict[int, set[int]] = defaultdict(set)
        for families in kin.values():
            for shard, local in families:
                asked[shard].add(local)
        if asked:
            replies = self._several({shard: (sorted(local),) for shard, local in asked.items()}, "sources_of_families")
            own = self.articles(list(kin))
            for article_id, families in kin.items():
                outlets = set(found.get(article_id, ()))
                for shard, local in families:
                    outlets.update(replies[shard].get(local, ()))
                found[article_id] = sorted(outlets - {own[article_id].source})
        return found

    def families(self, article_ids: Sequence[str]) -> dict[str, int]:
        signed = [
            Signed(article_id, shard, self._global(shard, family), np.frombuffer(blob, dtype=np.uint32))
            for shard, found in self._several(self._by_shard(article_ids), "families_signed").items()
            for article_id, (family, blob) in found.items()
        ]
        return self._joined.families(signed)


class ShardedIndex:
    """Ask a sharded archive as one NewsIndex: the same answers, and a dead shard named in the
    answer (`Answer.unsearched`) instead of an error."""

    def __init__(
        self, shards: Sequence[Shard], embedder: Embedder | None = None, *, ranking: Ranking = CHECKED
    ) -> None:
        self.shards = list(shards)
        self.embedder = embedder or MiniLMEmbedder()
        self.ranking = ranking  # as NewsIndex's default: the ranker checks uncertain answers

    @classmethod
    def open(cls, folder: str | Path, embedder: Embedder | None = None) -> ShardedIndex:
        """The archive at `folder` (written by `python -m qa ingest --ray`), read in this process."""
        folder = Path(folder)
        return cls([LocalShard(folder / shard_folder(n)) for n in range(shard_count(folder))], embedder)

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
        """As NewsIndex.ask; `unsearched` names the shards that did not answer."""
        query = checked_query(question, k, sources, since, until, shown, articles)
        if not query.searched:
            return Answer(question, reason=NO_WORDS)
        left_out: set[int] = set()
        while True:
            reader = ShardedReader([None if n in left_out else shard for n, shard in enumerate(self.shards)])
            try:
                with reader.snapshot():
                    # A ShardedReader has every read the answering stages make of a Reader.
                    as_reader = cast(Reader, reader)
                    answer = answer_filtered(as_reader, self.embedder, query, k=k, ranking=self.ranking)
            except ShardFailed as failed:
                # Answered again without it, so no citation points into what it holds.
                left_out |= reader.missing | {failed.shard}
                continue
            missing = sorted(reader.missing)
            return replace(answer, unsearched=tuple(self.shards[n].name for n in missing)) if missing else answer
