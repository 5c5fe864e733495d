"""The index as every store holds it and hands it back, whichever store it is.

A reader gets a `StoredIndex`; a writer gives a store `IndexChanges`, one article's new parts
as `ArticleParts`; `Manifest` says how the index was made. BM25's words are made here too, so
the local folder (index.store) and Milvus (index.milvus_store) match the same ones.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

import numpy as np

from index.documents import Article, Chunk, Correction, StoredArticle, TextFile
from index.search import ChunkSearch
from index.sentences import SentenceTable
from index.settings import IndexSettings

# 2: sentence table added. 3: entities of every sentence. 4: filler sentences left out.
# 5: chunk vectors once (float16, in the FAISS index), int8 sentence vectors, chunk table.
# 6: article metadata as columns (articles.json), sentence ranges as rows (sentence_ranges.npy).
FORMAT_VERSION = 6
BM25_STOPWORDS = "en"


@dataclass(frozen=True, slots=True)
class Manifest:
    embed_model: str
    dim: int
    chunk_size: int
    chunk_overlap: int
    n_articles: int
    n_chunks: int
    index_type: str
    created_at: float
    format_version: int = FORMAT_VERSION
    file_sizes: dict[str, int] = field(default_factory=dict)
    checksums: dict[str, str] = field(default_factory=dict)  # xxh3-128 of each file (local)
    copy_threshold: float | None = None  # what copies were grouped with; None: not grouped

    def same_recipe(self, embed_model: str, chunk_size: int, chunk_overlap: int) -> bool:
        """Whether stored chunks and vectors can be reused under these settings."""
        return (self.embed_model, self.chunk_size, self.chunk_overlap) == (
            embed_model,
            chunk_size,
            chunk_overlap,
        )


class ChunkTable(Sequence[Chunk]):
    """The chunks of a loaded local index as int32 columns (article number, chunk number, start,
    end), each made into a Chunk only when asked for: half a million Chunk objects (100,000
    articles) would take seconds to make at every start, and hundreds of MB for their texts."""

    def __init__(
        self, rows: np.ndarray, doc_ids: Sequence[str], articles: Mapping[str, Article]
    ) -> None:
        self.rows = rows  # (n, 4) int32
        self.doc_ids = doc_ids  # article number -> id
        self._articles = articles

    @staticmethod
    def columns(chunks: Sequence[Chunk], doc_ids: Sequence[str]) -> np.ndarray:
        """The rows to store for `chunks`, whose articles are numbered by their place in
        `doc_ids`. A chunk's id is its article's id and its number there ("doc#3")."""
        number = {doc_id: place for place, doc_id in enumerate(doc_ids)}
        rows = []
        for chunk in chunks:
            doc_id, _, place = chunk.chunk_id.rpartition("#")
            if doc_id != chunk.doc_id or not place.isdigit():
                raise ValueError(f"chunk id {chunk.chunk_id!r} is not {chunk.doc_id!r}#number")
            rows.append((number[chunk.doc_id], int(place), chunk.start, chunk.end))
        return np.array(rows, dtype=np.int32).reshape(-1, 4)

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, row: int) -> Chunk: ...

    @overload
    def __getitem__(self, row: slice) -> list[Chunk]: ...

    def __getitem__(self, row: int | slice) -> Chunk | list[Chunk]:
        if isinstance(row, slice):
            return [self[i] for i in range(*row.indices(len(self)))]
        doc, number, start, end = (int(value) for value in self.rows[row])
        doc_id = self.doc_ids[doc]
        text = self._articles[doc_id].text[start:end]
        return Chunk(f"{doc_id}#{number}", doc_id, start, end, text)

    def __iter__(self) -> Iterator[Chunk]:
        return (self[row] for row in range(len(self)))

    def doc_id(self, row: int) -> str:
        """The article of the chunk at `row`, without making the chunk (and slicing its text)."""
        return self.doc_ids[int(self.rows[row, 0])]


def chunk_doc_id(chunks: Sequence[Chunk], row: int) -> str:
    """The article of the chunk at `row`: read from a ChunkTable's column, made otherwise."""
    return chunks.doc_id(row) if isinstance(chunks, ChunkTable) else chunks[row].doc_id


class ArticleTable(Mapping[str, Article]):
    """The articles of a loaded local index, doc_id -> Article: their fields as columns (a list
    for each), each article made only when asked for. Opening an index of 100,000 articles would
    otherwise parse 100,000 rows and make 100,000 objects (1.5 s) for a question that reads a
    few; a question that needs one field of every article (the outlets named in the index, each
    article's day for a filter) reads its column (`field_values`)."""

    FIELDS = ("path", "title", "source", "published", "author", "url")

    def __init__(
        self,
        doc_ids: list[str],
        columns: Mapping[str, list[str | None]],
        texts: TextFile,
        offsets: np.ndarray,
    ) -> None:
        self.doc_ids = doc_ids
        self.place = {doc_id: number for number, doc_id in enumerate(doc_ids)}
        self.columns = {name: columns[name] for name in self.FIELDS}
        self._texts = texts
        self._offsets = offsets
        self._made: dict[int, StoredArticle] = {}
        if len(self.place) != len(doc_ids):
            raise ValueError("an article id is stored twice")
        for name, column in self.columns.items():
            if len(column) != len(doc_ids):
                raise ValueError(f"{len(column)} {name} values for {len(doc_ids)} articles")
        if len(offsets) != len(doc_ids) + 1 or (len(offsets) and offsets[-1] > len(texts)):
            raise ValueError("the text offsets do not fit the articles or their text file")

    def __getitem__(self, doc_id: str) -> Article:
        number = self.place[doc_id]
        article = self._made.get(number)
        if article is None:
            span = (int(self._offsets[number]), int(self._offsets[number + 1]))
            fields = {name: column[number] for name, column in self.columns.items()}
            article = self._made.setdefault(
                number, StoredArticle(self._texts, span, doc_id=doc_id, **fields)
            )
        return article

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self.place

    def __iter__(self) -> Iterator[str]:
        return iter(self.doc_ids)

    def __len__(self) -> int:
        return len(self.doc_ids)


def field_values(articles: Mapping[str, Article], name: str) -> Sequence[str | None]:
    """One field of every article, in the articles' order: a stored column, read without
    making an article, when `articles` is a loaded local index's."""
    if isinstance(articles, ArticleTable):
        return articles.columns[name]
    return [getattr(article, name) for article in articles.values()]


def indexed_outlets(articles: Mapping[str, Article]) -> set[str]:
    """The outlets the articles are from, as the index writes them."""
    return {source for source in field_values(articles, "source") if source}


@dataclass(slots=True)
class StoredIndex:
    """An index as a reader sees it: article texts, chunk spans and sentence rows in memory;
    chunk vectors and the rankings behind `search` (memory-mapped files, or Milvus)."""

    manifest: Manifest
    articles: Mapping[str, Article]  # an ArticleTable from the local folder
    article_hashes: dict[str, str]
    chunks: Sequence[Chunk]  # a ChunkTable from the local folder
    search: ChunkSearch
    sentences: SentenceTable
    version: str = ""
    corrections: dict[str, Correction] = field(default_factory=dict)
    signatures: dict[str, np.ndarray] = field(default_factory=dict)  # MinHash of each story
    copies: dict[str, tuple[str, ...]] = field(default_factory=dict)  # its group, itself too

    _chunk_articles: np.ndarray | None = field(default=None, init=False, repr=False)
    # Chunk rows sorted by article, and where each article's run of them starts (see chunks_of).
    _rows_by_article: tuple[Mapping[str, int], np.ndarray, np.ndarray] | None = field(
        default=None, init=False, repr=False
    )

    def chunk_articles(self) -> np.ndarray:
        """Each chunk row's article, as its place in `articles`."""
        if self._chunk_articles is None:
            if isinstance(self.chunks, ChunkTable) and (
                self.chunks.doc_ids is getattr(self.articles, "doc_ids", None)
                or list(self.chunks.doc_ids) == list(self.articles)
            ):
                self._chunk_articles = np.asarray(self.chunks.rows[:, 0], dtype=np.int64)
            else:
                place = {doc_id: number for number, doc_id in enumerate(self.articles)}
                self._chunk_articles = np.array(
                    [place[chunk.doc_id] for chunk in self.chunks], dtype=np.int64
                )
        return self._chunk_articles

    def chunks_of_articles(self, passing: np.ndarray) -> np.ndarray:
        """Which chunk rows belong to an article `passing` (a flag for each of `articles`)."""
        mask: np.ndarray = passing[self.chunk_articles()]
        return mask

    def chunk_mask(self, doc_ids: Collection[str]) -> np.ndarray:
        """Which chunk rows belong to one of these articles."""
        wanted = np.fromiter(
            (doc_id in doc_ids for doc_id in self.articles), dtype=bool, count=len(self.articles)
        )
        return self.chunks_of_articles(wanted)

    def passage_counts(self) -> dict[str, int]:
        """How many chunks each article has."""
        counts = np.bincount(self.chunk_articles(), minlength=len(self.articles))
        return {doc_id: int(count) for doc_id, count in zip(self.articles, counts, strict=True)}

    def chunks_of(self, doc_id: str) -> list[int]:
        """The chunk rows of one article, in row order. The rows of every article are sorted
        once, so asking for each article in turn (migrate, a listing) stays linear."""
        number = self.article_number(doc_id)
        if number is None:
            return []
        _, rows, starts = self._article_rows()
        return [int(row) for row in rows[starts[number] : starts[number + 1]]]

    def article_number(self, doc_id: str) -> int | None:
        """The article's place in `articles`; None when the index does not hold it."""
        return self._article_rows()[0].get(doc_id)

    def _article_rows(self) -> tuple[Mapping[str, int], np.ndarray, np.ndarray]:
        if self._rows_by_article is None:
            owners = self.chunk_articles()
            starts = np.zeros(len(self.articles) + 1, dtype=np.int64)
            np.cumsum(np.bincount(owners, minlength=len(self.articles)), out=starts[1:])
            place: Mapping[str, int] = (
                self.articles.place
                if isinstance(self.articles, ArticleTable)
                else {doc_id: number for number, doc_id in enumerate(self.articles)}
            )
            self._rows_by_article = (place, np.argsort(owners, kind="stable"), starts)
        return self._rows_by_article


def load_bm25s() -> Any:
    import bm25s

    # bm25s sets its own logger to DEBUG on import, which would print on every index build.
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s


def bm25_tokenize(texts: list[str], show_progress: bool = False) -> Any:
    import Stemmer

    bm25s = load_bm25s()

    return bm25s.tokenize(
        texts,
        stopwords=BM25_STOPWORDS,
        stemmer=Stemmer.Stemmer("english"),
        return_ids=False,
        show_progress=show_progress,
    )


def bm25_text(article: Article, chunk: Chunk) -> str:
    # Outlet and headline are searchable words too: questions name them ("as TechCrunch reported").
    return " ".join(part for part in (article.source, article.title, chunk.text) if part)


@dataclass(slots=True)
class ArticleParts:
    """What one (re-)chunked article adds to an index besides its metadata."""

    chunks: list[Chunk]
    vectors: np.ndarray  # (chunks, dim) float32, unit length
    sentence_spans: np.ndarray  # (sentences, 3): section number, start, end
    sentence_vectors: np.ndarray  # (sentences, dim): sums of token vectors (float16 or 32)
    entities: np.ndarray  # (m, 4) int32: sentence position, label, start, end
    signature: np.ndarray  # MinHash (index.syndication)


@dataclass(slots=True)
class IndexChanges:
    """One write: every article as it should be after it, and the new parts of those that were
    (re-)chunked; the others keep what is stored for them. An article the writer read and left
    out is removed."""

    recipe: IndexSettings
    dim: int
    articles: dict[str, Article]
    hashes: dict[str, str]
    corrections: dict[str, Correction]
    renewed: dict[str, ArticleParts] = field(default_factory=dict)


def stored_parts(index: StoredIndex, doc_id: str) -> ArticleParts:
    """An article's parts as `index` holds them: to copy them to another store, or to write
    them again under a new outlet, date or path."""
    rows = index.chunks_of(doc_id)
    spans, vectors, entities = index.sentences.of(doc_id)
    return ArticleParts(
        [index.chunks[row] for row in rows],
        index.search.vectors(rows),
        spans,
        vectors,
        entities,
        index.signatures[doc_id],
    )
