"""Property-based tests (hypothesis): spans survive cleaning and chunking; markers parse."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.chunk import chunk_article
from index.documents import Article
from index.load import load_articles
from qa.verify import MARKER, marker_numbers

WORDS = st.sampled_from(
    ["Putin", "Kim", "said", "the", "summit", "Follow us:", "Comments", "Asia", "Mr.", "U.S.",
     "rifle.", "“quoted”", "2023", "A- A A+", "(+994 50) 229-39-11", "é", "—", "\t", "©", "42"]
)  # fmt: skip
LINES = st.lists(WORDS, min_size=0, max_size=30).map(" ".join)
TEXTS = st.lists(LINES, min_size=1, max_size=25).map(lambda lines: "\n".join(lines))


@given(text=TEXTS, size=st.integers(40, 600), overlap=st.integers(0, 120))
@settings(max_examples=300, deadline=None)
def test_every_chunk_is_an_exact_span(text: str, size: int, overlap: int) -> None:
    first_line = (text.splitlines() or [""])[0]
    article = Article(doc_id="d", text=text, path="p", title=first_line[:40] or None)
    for chunk in chunk_article(article, size, overlap):
        assert text[chunk.start : chunk.end] == chunk.text
        assert chunk.text.strip() == chunk.text and chunk.text
        assert len(chunk.text) <= size


@given(parts=st.lists(st.one_of(st.text(max_size=20), st.integers(1, 999).map(lambda n: f"[{n}]"))))
def test_marker_parsing_finds_exactly_the_markers_written(parts: list[object]) -> None:
    text = "".join(str(p) for p in parts)
    written = [int(str(p)[1:-1]) for p in parts if isinstance(p, str) and MARKER.fullmatch(p)]
    found = marker_numbers(text)
    # Every marker written is found; anything else found was formed across part boundaries.
    assert all(n in found for n in written)
    assert all(MARKER.search(f"[{n}]") for n in found)


@given(
    data=st.binary(max_size=2000),
    suffix=st.sampled_from([".txt", ".md", ".html", ".json", ".jsonl"]),
)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_loader_never_crashes_on_arbitrary_bytes(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"input{suffix}"
        path.write_bytes(data)
        result = load_articles([path])
        assert len(result.articles) + len(result.skipped) >= 1 or suffix in {".json", ".jsonl"}
        for article in result.articles:
            assert article.text.strip()


@given(
    records=st.lists(
        st.dictionaries(
            st.sampled_from(["title", "body", "url", "source", "published_at", "x"]),
            st.one_of(st.text(max_size=40), st.integers(), st.none()),
        )
    )
)
@settings(max_examples=200, deadline=None)
def test_json_records_of_any_shape_load_or_are_skipped(records: list[dict[str, object]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "records.json"
        path.write_text(json.dumps(records))
        result = load_articles([path])
        # Each record loads or is named; a file of no records is named itself.
        assert len(result.articles) + len(result.skipped) == max(len(records), 1)
