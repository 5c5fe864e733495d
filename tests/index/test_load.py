import json
import logging
from pathlib import Path

import pytest

from index.documents import Article
from index.load import load_articles
from index.metadata import outlet_coverage
from tests.conftest import MULTIHOP, SEED_IDS, SEEDS


def test_seeds_load_with_file_stems_as_ids_and_exact_text() -> None:
    result = load_articles([SEEDS])
    assert sorted(a.doc_id for a in result.articles) == SEED_IDS
    for article in result.articles:
        assert article.text == (SEEDS / f"{article.doc_id}.txt").read_bytes().decode("utf-8")
    assert result.skipped == []


def test_every_supported_format_loads(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# Markdown headline here\n\nBody of the markdown story.\n")
    (tmp_path / "b.html").write_text(
        "<html><head><title>Harbour reopens after storm</title></head><body><nav>Home | News</nav>"
        "<article><h1>Harbour reopens after storm</h1><p>The harbour of Port Example reopened on "
        "Monday after the storm damaged two piers, the port authority said in a statement.</p>"
        "<p>Repairs to the second pier will take another three weeks, officials added, and "
        "ferries will use the northern berth until then.</p></article>"
        "<footer>Copyright 2024 Example News</footer></body></html>"
    )
    records = [
        {
            "title": "JSON one",
            "body": "First JSON body text.",
            "url": "https://x.test/1",
            "source": "Example Wire",
            "published_at": "2023-09-26 19:11:30.000000000Z",
            "author": None,
        },
        {"title": "JSON two", "body": "Second JSON body text.", "url": "https://x.test/2"},
    ]
    (tmp_path / "c.json").write_text(json.dumps(records))
    (tmp_path / "d.jsonl").write_text(
        json.dumps({"title": "Line one", "body": "A jsonl body.", "source": "Wire"}) + "\n"
    )
    result = load_articles([tmp_path])
    by_id = {a.doc_id: a for a in result.articles}
    assert set(by_id) == {"a", "b", "https://x.test/1", "https://x.test/2", "d#1"}
    assert by_id["a"].title == "Markdown headline here"
    assert "reopened on Monday" in by_id["b"].text
    assert "Home | News" not in by_id["b"].text
    assert by_id["b"].title == "Harbour reopens after storm"
    assert by_id["https://x.test/1"].source == "Example Wire"
    assert by_id["https://x.test/1"].published == "2023-09-26"
    assert by_id["https://x.test/1"].text == "First JSON body text."
    assert by_id["d#1"].source == "Wire"


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR", "binary"),
        ("latin1.txt", "Caf\u00e9 au lait, na\u00efve".encode("latin-1"), "not UTF-8"),
        ("empty.txt", b"", "empty"),
        ("blank.md", b"  \n\n\t\n", "empty"),
        ("broken.json", b'[{"body": "x"', "not valid JSON"),
        ("object.json", b'{"body": "a lone object"}', "expected a JSON array"),
        ("bad.jsonl", b'{"body": "ok"}\n{not json}\n', "line 2"),
    ],
)
def test_bad_files_are_skipped_with_a_warning_naming_them(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, name: str, content: bytes, reason: str
) -> None:
    (tmp_path / name).write_bytes(content)
    (tmp_path / "good.txt").write_text("A good article about the harbour reopening after a storm.")
    with caplog.at_level(logging.WARNING):
        result = load_articles([tmp_path])
    assert [a.doc_id for a in result.articles] == ["good"]
    assert len(result.skipped) == 1
    assert result.skipped[0].path.endswith(name)
    assert reason in result.skipped[0].reason
    assert name in caplog.text


def test_json_records_without_body_are_skipped_but_others_load(tmp_path: Path) -> None:
    (tmp_path / "mixed.json").write_text(
        json.dumps([{"title": "no body"}, "a string", {"body": "Real body.", "url": "u1"}])
    )
    result = load_articles([tmp_path])
    assert [a.doc_id for a in result.articles] == ["u1"]
    assert [s.reason for s in result.skipped] == [
        "no 'body' text",
        "expected an object with a 'body', found a str",
    ]


def test_over_limit_file_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "big.txt").write_text("word " * 50_000)
    result = load_articles([tmp_path], max_file_mb=0.1)
    assert result.articles == []
    assert "over the 0.1 MB limit" in result.skipped[0].reason


@pytest.mark.skipif(not MULTIHOP.exists(), reason="shared MultiHop-RAG data not beside the repo")
def test_multihop_corpus_loads_as_it_is() -> None:
    result = load_articles([MULTIHOP / "corpus.json"])
    assert len(result.articles) == 609
    assert all(a.doc_id.startswith("http") for a in result.articles)
    assert all(a.source for a in result.articles)
    assert all(a.published and len(a.published) == 10 for a in result.articles)
    first = result.articles[0]
    assert first.published == "2023-11-27"
    assert first.source == "Mashable"


def test_outlet_coverage_spans_each_outlets_full_dates() -> None:
    def article(n: int, source: str | None, published: str | None) -> Article:
        return Article(doc_id=f"a{n}", text="x", path="x", source=source, published=published)

    rows = outlet_coverage([
        article(1, "TASS", "2023-09-12"), article(2, "TASS", "2023-10-01T08:00:00+03:00"),
        article(3, "TASS", "--09-30"), article(4, "Reuters", "2024-01-05"), article(5, None, None),
    ])  # fmt: skip
    assert rows == [
        {"outlet": "TASS", "articles": 3, "first": "2023-09-12", "last": "2023-10-01",
         "without_full_date": 1},
        {"outlet": "Reuters", "articles": 1, "first": "2024-01-05", "last": "2024-01-05",
         "without_full_date": 0},
        {"outlet": None, "articles": 1, "first": None, "last": None, "without_full_date": 1},
    ]  # fmt: skip


def test_metadata_comes_from_the_page_the_text_and_the_address(tmp_path: Path) -> None:
    story = (
        "<p>The harbour of Port Example reopened after the storm damaged two piers, the port "
        "authority said in a statement on its website.</p><p>Repairs to the second pier will "
        "take another three weeks, officials added, and ferries will use the northern berth.</p>"
    )
    # The page's own <meta>: site name, publication date, author.
    (tmp_path / "meta.html").write_text(
        "<html><head><title>Harbour reopens after storm</title>"
        '<meta property="og:site_name" content="Harbour Times">'
        '<meta property="article:published_time" content="2024-03-05T10:00:00Z">'
        '<meta name="author" content="Jane Roe"></head>'
        f"<body><article><h1>Harbour reopens after storm</h1>{story}</article></body></html>"
    )
    # No <meta>: the day in its address, and the site as its outlet.
    (tmp_path / "address.html").write_text(
        "<html><head><title>Ferries return</title>"
        '<link rel="canonical" href="https://www.harbour-news.example/2024/03/06/ferries/">'
        f"</head><body><article><h1>Ferries return</h1>{story}</article></body></html>"
    )
    records = [
        # Only an address: its day and its site.
        {"url": "https://www.example-news.com/2025/08/28/story", "body": "Ferries run again."},
        # Fields given win over the address.
        {"url": "https://example-news.com/2025/08/29/two", "body": "Ferries run late.",
         "source": "Wire", "published_at": "2024-01-02"},
        # A dateline without its year gives way to the address's full day.
        {"url": "https://tass.example/2023/09/12/x", "body": "MOSCOW, September 12. /TASS/. "
         "Ferries run on time, the ministry said."},
        # A weekday is no date; nothing else states one.
        {"url": "https://example.org/news/ferries", "body": "On Wednesday, officials said the "
         "ferries would run."},
    ]  # fmt: skip
    (tmp_path / "feed.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    result = load_articles([tmp_path])
    by_id = {a.doc_id: a for a in result.articles}
    meta = by_id["meta"]
    assert (meta.source, meta.published, meta.author) == ("Harbour Times", "2024-03-05", "Jane Roe")
    address = by_id["address"]
    assert (address.source, address.published) == ("harbour-news.example", "2024-03-06")
    only_url = by_id["https://www.example-news.com/2025/08/28/story"]
    assert (only_url.source, only_url.published) == ("example-news.com", "2025-08-28")
    given = by_id["https://example-news.com/2025/08/29/two"]
    assert (given.source, given.published) == ("Wire", "2024-01-02")
    assert by_id["https://tass.example/2023/09/12/x"].published == "2023-09-12"
    weekday = by_id["https://example.org/news/ferries"]
    assert weekday.published is None and weekday.source == "example.org"
