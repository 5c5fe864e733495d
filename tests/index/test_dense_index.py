"""The dense index type follows the corpus size; the approximate one keeps recall high."""

import numpy as np

from index.search import faiss_search
from index.settings import RetrievalSettings
from index.store import build_dense_index


def clustered(count: int, rng: np.random.Generator, centres: np.ndarray) -> np.ndarray:
    vectors = centres[rng.integers(0, len(centres), count)] + rng.normal(
        0, 0.05, (count, centres.shape[1])
    )
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def test_small_corpora_search_exactly() -> None:
    vectors = np.eye(8, dtype=np.float32)
    dense, kind = build_dense_index(vectors, exact_max=100)
    assert kind == "flat"
    assert faiss_search(dense, vectors, vectors[3], 2, RetrievalSettings())[0] == 3


def test_large_corpora_use_ivf_with_exact_rescoring_and_keep_recall() -> None:
    rng = np.random.default_rng(1)
    centres = rng.normal(size=(500, 64)).astype(np.float32)
    vectors = clustered(20_000, rng, centres)
    queries = clustered(50, rng, centres)
    dense, kind = build_dense_index(vectors, exact_max=10_000)
    assert kind.startswith("ivf") and kind.endswith("sq8")
    exact = vectors @ queries.T
    recall = []
    for i, query in enumerate(queries):
        truth = set(np.argsort(-exact[:, i])[:10].tolist())
        got = faiss_search(dense, vectors, query, 10, RetrievalSettings())
        recall.append(len(truth & set(got)) / 10)
    assert np.mean(recall) >= 0.95
