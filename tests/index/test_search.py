"""BM25 in the local index: a word's rarity is counted among the chunks nearest the question.

Real bm25s and FAISS indexes over hand-made chunks whose vectors put a small neighbourhood
around the question and many unrelated chunks far from it, as a large archive does.
"""

import numpy as np
import pytest

from index.search import LocalSearch, faiss_search, idf, top_positive_rows
from index.settings import RetrievalSettings
from index.store import build_dense_index
from index.stored import bm25_tokenize, load_bm25s

DIM = 16
QUESTION = ["korea", "airlink"]


def archive(neighbours: int) -> tuple[LocalSearch, np.ndarray]:
    """Ten chunks on Korea near the question's vector (chunk 0 says "Korea" four times, chunk 1
    is the one on an air link), and 600 chunks on other things far from it."""
    near = ["Korea Korea Korea Korea summit"]
    near += ["The new airlink flies twice a week"]
    near += [f"Korea talks day {n}" for n in range(8)]
    far = [f"Harvest festival number {n} with music and food" for n in range(600)]
    rng = np.random.default_rng(0)
    question = np.zeros(DIM, dtype=np.float32)
    question[0] = 1.0
    vectors = rng.normal(0, 0.1, (len(near) + len(far), DIM)).astype(np.float32)
    vectors[: len(near), 0] += 3.0  # near the question
    vectors[len(near) :, 1] += 3.0  # elsewhere
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    bm25 = load_bm25s().BM25()
    bm25.index(bm25_tokenize(near + far), show_progress=False)
    dense, _ = build_dense_index(vectors, exact_max=100_000)
    settings = RetrievalSettings(rarity_neighbours=neighbours)
    return LocalSearch(dense, bm25, settings), question


def test_a_word_common_near_the_question_weighs_little_however_rare_in_the_archive() -> None:
    """Across the archive "Korea" is rare (9 of 610 chunks), so four of them outrank the one
    chunk on the air link; among the ten chunks nearest the question nine hold it, so what
    tells them apart is the air link."""
    whole, question = archive(neighbours=0)
    nearby, _ = archive(neighbours=10)
    whole_order = top_positive_rows(whole.bm25_scores(QUESTION, 10, None, None, question), 10)
    nearby_order = top_positive_rows(nearby.bm25_scores(QUESTION, 10, None, None, question), 10)
    assert whole_order[0] == 0
    assert nearby_order[0] == 1


def test_counted_over_every_chunk_it_is_bm25s_own_score() -> None:
    """The IDF swap is exact: the neighbourhood of every chunk gives bm25s's scores, and a
    smaller one scales each word's column by its IDF among the neighbours over the index's."""
    search, _ = archive(neighbours=10)
    everything = np.arange(610)
    assert np.allclose(
        search._scores_among(QUESTION, everything), search.bm25.get_scores(QUESTION), atol=1e-5
    )
    one_word = search._scores_among(["korea"], np.arange(10))
    scale = idf(9, 10) / idf(9, 610)
    assert np.allclose(one_word, search.bm25.get_scores(["korea"]) * scale, atol=1e-5)


def test_an_index_no_bigger_than_the_neighbourhood_is_counted_whole() -> None:
    search, question = archive(neighbours=12_000)
    scores = search.bm25_scores(QUESTION, 10, None, None, question)
    assert np.array_equal(scores, np.asarray(search.bm25.get_scores(QUESTION), np.float32))
    assert search._last_nearest is None  # no neighbourhood searched for


@pytest.mark.parametrize("depth", [1, 5, 50])
def test_the_dense_ranking_is_the_neighbourhood_search_s_first_rows(depth: int) -> None:
    search, question = archive(neighbours=20)
    search.bm25_scores(QUESTION, depth, None, None, question)
    shared = search.dense_rows(question, depth, None, None)
    alone = faiss_search(search.faiss_index, question, depth, search.settings)
    assert shared == alone
    # Another question's vector is searched on its own, not served from the last one's rows.
    other = np.roll(question, 1)
    assert search.dense_rows(other, 5, None, None) == faiss_search(
        search.faiss_index, other, 5, search.settings
    )


def test_a_filter_masks_the_scores_it_counts_among_the_neighbours() -> None:
    search, question = archive(neighbours=10)
    mask = np.zeros(610, dtype=bool)
    mask[5:] = True
    masked = search.bm25_scores(QUESTION, 10, None, mask, question)
    assert not masked[:5].any() and masked[5:10].all()
    assert top_positive_rows(masked, 3) == [5, 6, 7]  # equal scores, by position


def test_top_positive_rows_are_the_top_rows_that_score() -> None:
    scores = np.array([0.0, 2.0, 0.0, 5.0, 2.0, -1.0, 0.5], dtype=np.float32)
    assert top_positive_rows(scores, 3) == [3, 1, 4]
    assert top_positive_rows(scores, 10) == [3, 1, 4, 6]
    assert top_positive_rows(np.zeros(5, dtype=np.float32), 3) == []
