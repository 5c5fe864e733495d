"""Copy groups at scale: exact copies cost no comparison, and a story with many near-copies
costs a bounded number of them, without ever folding a changed figure into the original."""

from __future__ import annotations

import pytest

import index.syndication as syndication
from index.documents import Article
from index.syndication import MAX_CHECKS, copy_groups, signature
from tests.qa.test_syndication import STORY


def article(doc_id: str, text: str, outlet: str) -> Article:
    return Article(doc_id, text, f"/{doc_id}.json", "Glimmerfjord ferry to close", outlet)


@pytest.fixture
def comparisons(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the word-by-word comparisons copy_groups makes (the real ones)."""
    made: list[int] = []
    compare = syndication.agree

    def counted(a: list[str], b: list[str]) -> bool:
        made.append(1)
        return compare(a, b)

    monkeypatch.setattr(syndication, "agree", counted)
    return made


def test_exact_copies_are_grouped_without_a_comparison(comparisons: list[int]) -> None:
    articles = {f"copy-{n}": article(f"copy-{n}", STORY, f"Outlet {n}") for n in range(30)}
    groups = copy_groups(articles, {d: signature(a) for d, a in articles.items()}, 0.5)
    assert groups["copy-0"] == tuple(articles) and len(groups) == 30
    assert comparisons == []


def test_many_near_copies_cost_a_bounded_number_of_comparisons(comparisons: list[int]) -> None:
    # A rolling story's versions: each states another figure for the bridge's traffic.
    versions = {
        f"version-{n}": article(
            f"version-{n}", STORY.replace("2,400 vehicles", f"{2_401 + n:,} vehicles"), "Wire"
        )
        for n in range(40)
    }
    articles = {"original": article("original", STORY, "Wire"), **versions}
    groups = copy_groups(articles, {d: signature(a) for d, a in articles.items()}, 0.5)
    assert groups == {}  # every figure differs: no version is another's copy
    assert 0 < len(comparisons) <= MAX_CHECKS * len(articles)
    assert len(comparisons) < len(articles) * (len(articles) - 1) // 2
