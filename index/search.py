"""Searching an index's chunks, wherever they are stored.

A `ChunkSearch` ranks the chunks of a loaded index by a question's vector (dense) and by its
word stems (BM25), optionally within filters, and hands back the vectors of chunks it is asked
about. Rows are positions in `StoredIndex.chunks`. Two implementations: `LocalSearch` here
(FAISS and bm25s in the index folder) and `index.milvus_store.MilvusSearch` (a Milvus server or
Milvus Lite file).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from index.settings import RetrievalSettings

# Up to this many rows a filter allows are scored exactly, from their stored vectors; more are
# searched through FAISS with the filter as a selector.
EXACT_FILTERED_ROWS = 20_000


@dataclass(frozen=True, slots=True)
class Filters:
    outlets: tuple[str, ...] = ()
    since: dt.date | None = None
    until: dt.date | None = None

    @property
    def active(self) -> bool:
        return bool(self.outlets or self.since or self.until)

    def narrowed(self, other: Filters) -> Filters:
        """What passes both: a named outlet or day within the user's own filters."""
        if self.outlets and other.outlets:
            wanted = {o.casefold() for o in other.outlets}
            outlets = tuple(o for o in self.outlets if o.casefold() in wanted) or ("\x00none",)
        else:
            outlets = self.outlets or other.outlets
        since = max((d for d in (self.since, other.since) if d), default=None)
        until = min((d for d in (self.until, other.until) if d), default=None)
        return Filters(outlets, since, until)


class ChunkSearch(Protocol):
    """`filters` and `mask` say the same thing two ways: which chunks may be found (None: all).
    The mask has a place for every loaded chunk; a store that filters on its own side reads the
    filters instead."""

    def dense_rows(
        self, vector: np.ndarray, depth: int, filters: Filters | None, mask: np.ndarray | None
    ) -> list[int]:
        """The `depth` rows most similar to `vector`, best first."""
        ...

    def bm25_scores(
        self,
        tokens: list[str],
        depth: int,
        filters: Filters | None,
        mask: np.ndarray | None,
        near: np.ndarray | None = None,
    ) -> np.ndarray:
        """A BM25 score for every row: the `depth` best are exact, and a row that is not among
        them may read 0 (Milvus returns only the best). `near`, the question's vector: where
        the store counts words' rarity among the chunks nearest it (LocalSearch)."""
        ...

    def vectors(self, rows: Sequence[int]) -> np.ndarray:
        """The stored unit vectors of these rows, float32, in that order."""
        ...

    def document_frequencies(self) -> dict[str, int]:
        """How many chunks hold each word stem."""
        ...


class LocalSearch:
    """FAISS and bm25s, as saved in the index folder. The FAISS index is the one copy of the
    chunk vectors (float16, memory-mapped): it searches them and gives back the rows asked for."""

    def __init__(self, faiss_index: Any, bm25: Any, settings: RetrievalSettings) -> None:
        self.faiss_index = faiss_index
        self.bm25 = bm25  # bm25s.BM25
        self.settings = settings
        self._frequencies: dict[str, int] | None = None
        # A question's scopes (named outlets, days) rank by the same BM25 scores, masked: they
        # are computed once per question, not once per scope.
        self._last_scores: tuple[tuple[str, ...], bytes, np.ndarray] | None = None
        # The rows nearest the last question's vector, rarity_neighbours of them, best first:
        # its dense ranking is their first rows, so one FAISS search serves both (ranking
        # 12,000 rows costs 3 ms more than ranking 50 at 100,000 articles; the IVF lists nearest
        # the question, taken whole without ranking, were cheaper but a worse neighbourhood:
        # docs/evaluation.md).
        self._last_nearest: tuple[bytes, np.ndarray] | None = None

    def dense_rows(
        self, vector: np.ndarray, depth: int, filters: Filters | None, mask: np.ndarray | None
    ) -> list[int]:
        if mask is None:
            near = self._last_nearest
            if near is not None and near[0] == vector.tobytes() and depth <= len(near[1]):
                return [int(row) for row in near[1][:depth]]
            return faiss_search(self.faiss_index, vector, depth, self.settings)
        allowed = np.flatnonzero(mask)
        if len(allowed) <= EXACT_FILTERED_ROWS:
            # Filters usually leave few rows: score those exactly.
            scores = self.vectors(allowed) @ vector
            return [int(allowed[i]) for i in top_rows(scores, depth)]
        return faiss_search(self.faiss_index, vector, depth, self.settings, mask)

    def bm25_scores(
        self,
        tokens: list[str],
        depth: int,
        filters: Filters | None,
        mask: np.ndarray | None,
        near: np.ndarray | None = None,
    ) -> np.ndarray:
        total = int(self.faiss_index.ntotal)
        if not tokens:
            return np.zeros(total, dtype=np.float32)
        if near is None or not 0 < self.settings.rarity_neighbours < total:
            near = None  # the whole index is the neighbourhood: bm25s's own counts
        key = near.tobytes() if near is not None else b""
        last = self._last_scores
        if last is not None and last[0] == tuple(tokens) and last[1] == key:
            scores = last[2]
        elif near is None:
            scores = np.asarray(self.bm25.get_scores(tokens), dtype=np.float32)
        else:
            scores = self._scores_among(tokens, self._nearest(near))
        self._last_scores = (tuple(tokens), key, scores)
        if mask is not None:
            scores = np.where(mask, scores, 0.0).astype(np.float32)
        return scores

    def _nearest(self, vector: np.ndarray) -> np.ndarray:
        key = vector.tobytes()
        if self._last_nearest is None or self._last_nearest[0] != key:
            rows = faiss_rows(
                self.faiss_index, vector, self.settings.rarity_neighbours, self.settings
            )
            self._last_nearest = (key, rows)
        return self._last_nearest[1]

    def _scores_among(self, tokens: list[str], nearest: np.ndarray) -> np.ndarray:
        """BM25 with each word's IDF counted among the `nearest` rows, not the whole index.
        bm25s stores each stem's score in each chunk with the index's IDF in it: that IDF is
        traded for the neighbourhood's, stem by stem (one column of the score matrix each),
        and the columns are summed as bm25s sums them."""
        matrix, vocabulary = self.bm25.scores, self.bm25.vocab_dict
        total = int(self.faiss_index.ntotal)
        frequencies = self.document_frequencies()
        inside = np.zeros(total, dtype=bool)
        inside[nearest] = True
        rows, weighted = [], []
        for token in tokens:
            column = vocabulary.get(token)
            if column is None or not frequencies.get(token):
                continue
            start, end = matrix["indptr"][column], matrix["indptr"][column + 1]
            holding = matrix["indices"][start:end]
            nearby = idf(int(np.count_nonzero(inside[holding])), len(nearest))
            rows.append(holding)
            weighted.append(
                matrix["data"][start:end] * np.float32(nearby / idf(frequencies[token], total))
            )
        scores = np.zeros(total, dtype=np.float32)
        if rows:
            # One unbuffered add over every column: a fancy-index += per column takes twice as long.
            np.add.at(scores, np.concatenate(rows), np.concatenate(weighted))
        return scores

    def vectors(self, rows: Sequence[int] | np.ndarray) -> np.ndarray:
        wanted = np.asarray(rows, dtype=np.int64).reshape(-1)
        if not len(wanted):
            return np.zeros((0, int(self.faiss_index.d)), dtype=np.float32)
        found: np.ndarray = self.faiss_index.reconstruct_batch(wanted)
        return found

    def document_frequencies(self) -> dict[str, int]:
        if self._frequencies is None:
            vocabulary = getattr(self.bm25, "vocab_dict", None) or {}
            counts = np.diff(self.bm25.scores["indptr"]) if vocabulary else np.zeros(0)
            self._frequencies = {
                token: int(counts[i]) if i < len(counts) else 0 for token, i in vocabulary.items()
            }
        return self._frequencies


def faiss_search(
    faiss_index: Any,
    vector: np.ndarray,
    depth: int,
    settings: RetrievalSettings,
    mask: np.ndarray | None = None,
) -> list[int]:
    """Top `depth` rows by inner product, among the rows `mask` allows (None: all). An IVF
    index scans its `ivf_probes` nearest lists."""
    return [int(row) for row in faiss_rows(faiss_index, vector, depth, settings, mask)]


def faiss_rows(
    faiss_index: Any,
    vector: np.ndarray,
    depth: int,
    settings: RetrievalSettings,
    mask: np.ndarray | None = None,
) -> np.ndarray:
    """`faiss_search`'s rows as an array."""
    import faiss

    query = vector.reshape(1, -1).astype(np.float32)
    params: Any = None
    if hasattr(faiss_index, "nprobe"):
        params = faiss.SearchParametersIVF()
        params.nprobe = settings.ivf_probes
    bitmap = None  # held here while FAISS reads it through the selector
    if mask is not None:
        bitmap = np.packbits(mask.astype(bool), bitorder="little")
        params = params or faiss.SearchParameters()
        params.sel = faiss.IDSelectorBitmap(len(mask), faiss.swig_ptr(bitmap))
    _, rows = faiss_index.search(query, depth, params=params)
    found: np.ndarray = rows[0][rows[0] >= 0]
    return found


def idf(document_frequency: int, chunks: int) -> float:
    """BM25's IDF, as bm25s counts it (Lucene's formula)."""
    return float(np.log(1 + (chunks - document_frequency + 0.5) / (document_frequency + 0.5)))


def top_positive_rows(scores: np.ndarray, depth: int) -> list[int]:
    """`top_rows` among the rows scoring above zero: a BM25 score is zero wherever none of the
    question's words is, most of a large index, so that is fewer rows to partition."""
    positive = np.flatnonzero(scores > 0)
    return [int(row) for row in positive[top_rows(scores[positive], depth)]]


def top_rows(scores: np.ndarray, depth: int) -> np.ndarray:
    """The positions of the `depth` highest scores, highest first (ties by position): a
    partition, then a sort of those alone, not a sort of every row (half a million at 100,000
    articles)."""
    if depth <= 0 or not len(scores):
        return np.zeros(0, dtype=np.int64)
    if depth < len(scores):
        best = np.argpartition(-scores, depth - 1)[:depth]
    else:
        best = np.arange(len(scores))
    order = np.lexsort((best, -scores[best]))
    return best[order]
