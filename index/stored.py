"""The index as every store holds it and hands it back, whichever store it is.

A reader gets a `StoredIndex`; a writer gives a store `IndexChanges`, one article's new parts
as `ArticleParts`; `Manifest` says how the index was made. BM25's words are made here too, so
the local folder (index.store) and Milvus (index.milvus_store) match the same ones.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from index.documents import Article, Chunk, Correction
from index.search import ChunkSearch
from index.sentences import SentenceTable
from index.settings import IndexSettings

# 2: sentence table added. 3: entities of every sentence. 4: filler sentences left out.
FORMAT_VERSION = 5
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


@dataclass(slots=True)
class StoredIndex:
    """An index as a reader sees it: article texts, chunk spans and sentence rows in memory;
    chunk vectors and the rankings behind `search` (memory-mapped files, or Milvus)."""

    manifest: Manifest
    articles: dict[str, Article]
    article_hashes: dict[str, str]
    chunks: list[Chunk]
    search: ChunkSearch
    sentences: SentenceTable
    version: str = ""
    corrections: dict[str, Correction] = field(default_factory=dict)
    signatures: dict[str, np.ndarray] = field(default_factory=dict)  # MinHash of each story
    copies: dict[str, tuple[str, ...]] = field(default_factory=dict)  # its group, itself too

    def chunks_of(self, doc_id: str) -> list[int]:
        return [row for row, chunk in enumerate(self.chunks) if chunk.doc_id == doc_id]


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
