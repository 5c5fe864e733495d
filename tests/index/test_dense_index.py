"""The dense index type follows the corpus size; the approximate one keeps recall high."""

from pathlib import Path

import numpy as np
import pytest

from index.search import LocalSearch, faiss_search
from index.sentences import QuantizedRows
from index.settings import RetrievalSettings
from index.store import build_dense_index, read_dense_index


def clustered(count: int, rng: np.random.Generator, centres: np.ndarray) -> np.ndarray:
    vectors = centres[rng.integers(0, len(centres), count)] + rng.normal(
        0, 0.05, (count, centres.shape[1])
    )
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def test_small_corpora_search_exactly() -> None:
    vectors = np.eye(8, dtype=np.float32)
    dense, kind = build_dense_index(vectors, exact_max=100)
    assert kind == "flat-fp16"
    assert faiss_search(dense, vectors[3], 2, RetrievalSettings())[0] == 3


def test_large_corpora_use_ivf_and_keep_recall() -> None:
    rng = np.random.default_rng(1)
    centres = rng.normal(size=(500, 64)).astype(np.float32)
    vectors = clustered(20_000, rng, centres)
    queries = clustered(50, rng, centres)
    dense, kind = build_dense_index(vectors, exact_max=10_000)
    assert kind.startswith("ivf") and kind.endswith("fp16")
    exact = vectors @ queries.T
    recall = []
    for i, query in enumerate(queries):
        truth = set(np.argsort(-exact[:, i])[:10].tolist())
        got = faiss_search(dense, query, 10, RetrievalSettings())
        recall.append(len(truth & set(got)) / 10)
    assert np.mean(recall) >= 0.95


@pytest.mark.parametrize("exact_max", [100_000, 1_000])
def test_the_stored_index_is_the_one_copy_of_the_vectors(exact_max: int, tmp_path: Path) -> None:
    """Written and memory-mapped back, either kind gives every row's vector to float16 precision,
    and searches within a filter."""
    import faiss

    rng = np.random.default_rng(2)
    vectors = clustered(5_000, rng, rng.normal(size=(50, 32)).astype(np.float32))
    dense, kind = build_dense_index(vectors, exact_max=exact_max)
    faiss.write_index(dense, str(tmp_path / "dense.faiss"))
    search = LocalSearch(
        read_dense_index(tmp_path / "dense.faiss", kind), None, RetrievalSettings()
    )
    rows = [4_999, 0, 1_234]
    assert np.abs(search.vectors(rows) - vectors[rows]).max() < 1e-3
    assert search.vectors([]).shape == (0, 32)
    allowed = np.zeros(len(vectors), dtype=bool)
    allowed[::3] = True
    got = faiss_search(search.faiss_index, vectors[1], 10, RetrievalSettings(), allowed)
    scores = vectors[allowed] @ vectors[1]
    best = np.flatnonzero(allowed)[np.argsort(-scores)[:10]]
    assert len(got) == 10 and all(row % 3 == 0 for row in got)
    assert len(set(got) & set(best.tolist())) >= 9
    assert set(search.dense_rows(vectors[1], 10, None, allowed)) == set(best.tolist())


def test_sentence_vectors_in_int8_keep_their_direction_and_size() -> None:
    rng = np.random.default_rng(3)
    sums = (rng.normal(size=(200, 384)) * rng.uniform(0.1, 30, size=(200, 1))).astype(np.float16)
    sums[7] = 0  # a sentence no chunk held whole
    rows = QuantizedRows.quantize(sums)
    assert rows.codes.dtype == np.int8 and rows.shape == (200, 384)
    back = rows[list(range(200))]
    exact = sums.astype(np.float32)
    assert not back[7].any()
    cosine = (
        np.sum(back * exact, axis=1)[8:]
        / (np.linalg.norm(back, axis=1) * np.linalg.norm(exact, axis=1))[8:]
    )
    assert cosine.min() > 0.999
    assert np.allclose(np.linalg.norm(back, axis=1), np.linalg.norm(exact, axis=1), rtol=0.01)
    # Carried into the next version as floats and quantised again, a row stays as it was.
    again = QuantizedRows.quantize(back)
    assert np.array_equal(again.codes, rows.codes)
