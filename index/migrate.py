"""`newsqa migrate`: a local index folder copied into Milvus, vectors and all.

Nothing is embedded again: chunk and sentence vectors, entities, signatures and hand-made
corrections are read from the folder and written through MilvusStore, article by article, in
batches so memory stays small.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from index.errors import StoreUnavailableError
from index.milvus_store import MilvusStore, safe_uri
from index.settings import Settings, StoreSettings
from index.store import LocalStore
from index.stored import IndexChanges, bm25_text, bm25_tokenize, stored_parts

BATCH = 100  # articles a write


@dataclass(frozen=True, slots=True)
class Copied:
    articles: int
    chunks: int
    sentences: int
    seconds: float
    location: str


def migrate_to_milvus(settings: Settings, uri: str, replace: bool = False) -> Copied:
    started = time.perf_counter()
    source = LocalStore(settings.index_dir, settings.retrieval).load()
    target_settings = settings.model_copy(
        update={"store": StoreSettings(**{**settings.store.model_dump(), "uri": uri})}
    )
    target = MilvusStore(target_settings)
    if target.exists():
        if not replace:
            raise StoreUnavailableError(
                f"Milvus at {safe_uri(uri)} already holds a newsqa index (collection prefix "
                f"{target.prefix}). Pass --replace to clear it first, or set "
                "NEWSQA_STORE__COLLECTION_PREFIX to keep both."
            )
        target.reset()
    recipe = settings.index.model_copy(
        update={
            "embed_model": source.manifest.embed_model,
            "chunk_size": source.manifest.chunk_size,
            "chunk_overlap": source.manifest.chunk_overlap,
        }
    )
    doc_ids = list(source.articles)
    # BM25 weights made with the average chunk length of the whole index, as bm25s made them.
    tokens = bm25_tokenize([bm25_text(source.articles[c.doc_id], c) for c in source.chunks])
    average = sum(len(t) for t in tokens) / max(len(tokens), 1)
    sentences = 0
    for start in range(0, len(doc_ids), BATCH):
        renewed = {}
        for doc_id in doc_ids[start : start + BATCH]:
            renewed[doc_id] = stored_parts(source, doc_id)
            sentences += len(renewed[doc_id].sentence_spans)
        batch = {doc_id: source.articles[doc_id] for doc_id in renewed}
        target.write(
            None,
            IndexChanges(
                recipe,
                source.manifest.dim,
                batch,
                {doc_id: source.article_hashes[doc_id] for doc_id in batch},
                {d: c for d, c in source.corrections.items() if d in batch},
                renewed,
            ),
            average,
        )
    return Copied(
        len(doc_ids),
        len(source.chunks),
        sentences,
        time.perf_counter() - started,
        f"Milvus {safe_uri(uri)}",
    )
