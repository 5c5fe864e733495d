"""Following feeds (index.feeds) against a real HTTP server on loopback: entries kept and indexed
once, broken feeds named on their row, bad addresses and bodies refused in a sentence."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from index.build import IndexBuilder
from index.embed import Embedder
from index.feeds import FeedBook, FeedError, FeedFollower, check_feed_url
from index.settings import Settings
from index.store import open_store
from qa.pipeline import Pipeline
from tests.conftest import ROOT
from tests.feed_server import FeedServer, feed_server

NEWSQA = [sys.executable, "-m", "ui.cli"]


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with feed_server() as running:
        yield running


def loopback_settings(tmp_path: Path, **feeds: object) -> Settings:
    return Settings(
        index_dir=tmp_path / ".newsqa",
        feeds={"allow_private": True, "delay_s": 0.0, "interval_s": 60.0, **feeds},
    )


def feed_articles(settings: Settings) -> dict[str, str]:
    """Indexed article id -> its headline, for articles that came from a feed."""
    store = open_store(settings)
    if not store.exists():
        return {}
    articles = store.load().articles
    return {d: articles[d].title or "" for d in articles if d.startswith("http://127.0.0.1")}


def test_each_entry_is_kept_and_indexed_once_as_it_appears_and_a_broken_feed_keeps_its_row(
    tmp_path: Path, server: FeedServer, embedder: Embedder
) -> None:
    settings = loopback_settings(tmp_path)
    builder = IndexBuilder(settings, embedder)
    book = FeedBook(settings.index_dir)
    for path in ("/atom.xml", "/rss.xml", "/broken.xml"):
        book.add(server.url + path)
    follower = FeedFollower(settings, builder.run)
    for shown in (10, 20, 30):
        server.release("atom", shown)
        server.release("rss", shown if shown < 30 else 20)  # RSS stays the same the 3rd time
        for feed in book.feeds():
            follower.poll(feed)
        assert len(feed_articles(settings)) == shown + min(shown, 20)
    server.release("rss", 30)
    follower.poll(book.get(server.url + "/rss.xml"))  # type: ignore[arg-type]

    indexed = feed_articles(settings)
    assert len(indexed) == 60
    assert indexed[f"{server.url}/news/atom/17.html"] == "Ravensford bridge report number 17"
    pages = server.page_requests()
    assert len(pages) == 60 and set(pages.values()) == {1}, "a page was fetched twice"
    assert server.requests.count("/robots.txt") == 1  # asked once for the host
    rows = {f.url.rsplit("/", 1)[1]: f for f in book.feeds()}
    assert rows["atom.xml"].status == "ok" and rows["atom.xml"].entries_kept == 30
    assert rows["atom.xml"].title == "Atom Loopback News"
    broken = rows["broken.xml"]
    assert broken.status == "failing" and broken.last_good_poll_at is None
    assert broken.error == "the address answered with an HTML page, not a feed"
    assert broken.failures == 3 and broken.next_poll_at > time.time() + 60  # backing off

    # An entry is searchable by what its page says, and its outlet and date are the page's.
    pipeline = Pipeline.load(settings, embedder)
    passages = pipeline.search("What was the reference atom17code filed for?", top_k=3)
    assert passages[0].article.doc_id == f"{server.url}/news/atom/17.html"
    assert passages[0].article.source == "Loopback Gazette"
    assert passages[0].article.published == "2026-03-18"

    # Polled again with nothing new: the feeds answer 304, no page is asked for again.
    before = len(server.requests)
    for feed in book.feeds()[:2]:
        assert follower.poll(feed).not_modified
    assert len(server.requests) == before + 2


def test_bad_addresses_bodies_and_servers_are_each_a_line_on_the_feeds_row(
    tmp_path: Path, server: FeedServer
) -> None:
    kept: list[Path] = []
    settings = loopback_settings(tmp_path, timeout_s=0.5, max_feed_mb=0.05)
    book = FeedBook(settings.index_dir)
    follower = FeedFollower(settings, kept.extend)

    for address in ("ftp://example.org/feed", "file:///etc/passwd", "example.org/rss"):
        with pytest.raises(FeedError, match="not a web address"):
            check_feed_url(address)

    def row_after_poll(path: str) -> str | None:
        feed, _ = book.add(server.url + path)
        follower.poll(feed)
        return book.get(feed.url).error  # type: ignore[union-attr]

    server.extra["/huge.xml"] = (200, {"Content-Type": "application/rss+xml"}, b"x" * 200_000)
    assert "more than the 0.1 MB allowed" in (row_after_poll("/huge.xml") or "")
    server.slow["/slow.xml"] = 3.0
    assert "did not answer within 0.5 s" in (row_after_poll("/slow.xml") or "")
    server.extra["/garbage.xml"] = (200, {"Content-Type": "text/xml"}, b"\x00\x01<<<not xml")
    assert (row_after_poll("/garbage.xml") or "").startswith("not a readable feed")
    assert row_after_poll("/missing.xml") == "the feed answered HTTP 404"
    tls = FeedBook(settings.index_dir).add(server.url.replace("http:", "https:") + "/rss.xml")[0]
    follower.poll(tls)
    assert "secure (TLS) connection failed" in (book.get(tls.url).error or "")  # type: ignore[union-attr]

    # A private or loopback address, when that is not allowed.
    strict = Settings(index_dir=settings.index_dir, feeds={"allow_private": False})
    private, _ = book.add(server.url + "/atom.xml")
    FeedFollower(strict, kept.extend).poll(private)
    error = book.get(private.url).error or ""  # type: ignore[union-attr]
    assert "private or local network" in error and "NEWSQA_FEEDS__ALLOW_PRIVATE" in error
    assert not kept and not server.page_requests()


def test_a_feed_of_ten_thousand_entries_is_read_over_several_polls_and_odd_entries_are_kept(
    tmp_path: Path, server: FeedServer
) -> None:
    kept: list[Path] = []
    settings = loopback_settings(tmp_path, max_entries_per_poll=40)
    items = "".join(
        f"<item><title>Short note {n}</title><description>Note {n} of the day: the ferry "
        f"timetable {n} changed.</description></item>"
        for n in range(10_000)
    )
    items += (
        f"<item><title>Behind a wall</title><link>{server.url}/private/1.html</link></item>"
        "<item><title>Nothing at all</title></item>"
    )
    server.extra["/big.xml"] = (
        200,
        {"Content-Type": "application/rss+xml"},
        f'<rss version="2.0"><channel><title>Big</title>{items}</channel></rss>'.encode(),
    )
    feed, _ = FeedBook(settings.index_dir).add(server.url + "/big.xml")
    follower = FeedFollower(settings, kept.extend)
    report = follower.poll(feed)
    assert len(report.new_files) == 40 and report.more_waiting
    row = FeedBook(settings.index_dir).get(feed.url)
    assert row is not None and row.note is not None and row.note.startswith("10,002 entries")
    assert row.next_poll_at < time.time() + 5  # the rest soon, not in an interval
    second = follower.poll(row)
    assert len(second.new_files) == 40 and not set(second.new_files) & set(report.new_files)
    record = json.loads(report.new_files[0].read_text(encoding="utf-8"))[0]
    assert record == {"title": "Short note 0", "body": "Note 0 of the day: the ferry timetable 0 changed.",
                      "source": "Big"}  # fmt: skip

    # The last two entries: robots.txt disallows one page, and one has neither link nor text.
    server.extra["/big.xml"] = (
        200,
        {"Content-Type": "application/rss+xml"},
        (
            '<rss version="2.0"><channel><title>Big</title>'
            f"<item><title>Behind a wall</title><link>{server.url}/private/1.html</link></item>"
            "<item><title>Nothing at all</title></item></channel></rss>"
        ).encode(),
    )
    odd = follower.poll(row)
    assert not odd.new_files
    assert any("robots.txt" in line and "/private/1.html" in line for line in odd.skipped)
    assert any("no link and no text" in line for line in odd.skipped)
    assert "/private/1.html" not in server.requests


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*NEWSQA, *args], cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip


def wait_for(count: int, settings: Settings, limit_s: float) -> float:
    """Seconds until `count` feed articles are indexed; fails after `limit_s`."""
    began = time.monotonic()
    while time.monotonic() - began < limit_s:
        if len(feed_articles(settings)) >= count:
            return time.monotonic() - began
        time.sleep(0.25)
    raise AssertionError(f"{len(feed_articles(settings))} of {count} articles after {limit_s} s")


def test_index_follow_picks_entries_up_within_two_polls_and_a_kill_mid_poll_loses_nothing(
    tmp_path: Path, server: FeedServer
) -> None:
    interval = 10.0
    settings = loopback_settings(tmp_path, interval_s=interval)
    env = {
        "NEWSQA_FEEDS__ALLOW_PRIVATE": "true",
        "NEWSQA_FEEDS__DELAY_S": "0",
        "NEWSQA_FEEDS__INTERVAL_S": str(interval),
    }
    index_dir = str(settings.index_dir)
    server.release("atom", 10)
    server.release("rss", 10)
    followed = run_cli("follow", f"{server.url}/atom.xml", f"{server.url}/rss.xml",
                       f"{server.url}/broken.xml", "--index-dir", index_dir, env=env)  # fmt: skip
    assert followed.returncode == 1, followed.stderr
    assert "following Atom Loopback News: 10 new entries kept" in followed.stdout
    assert "HTML page, not a feed" in followed.stderr and "Traceback" not in followed.stderr
    assert len(feed_articles(settings)) == 20
    listed = json.loads(run_cli("feeds", "--json", "--index-dir", index_dir, env=env).stdout)
    assert [row["status"] for row in listed] == ["ok", "ok", "failing"]

    def start() -> subprocess.Popen[bytes]:
        log = open(tmp_path / "follow.log", "ab")  # noqa: SIM115
        return subprocess.Popen([*NEWSQA, "index", "--follow", "--index-dir", index_dir],
                                cwd=ROOT, env={**os.environ, **env}, stdout=log,
                                stderr=subprocess.STDOUT)  # fmt: skip

    follower = start()
    try:
        time.sleep(interval)  # the follower has started and found nothing due
        server.release("atom", 20)
        server.release("rss", 20)
        assert wait_for(40, settings, 2 * interval) <= 2 * interval

        server.stall("/news/atom/25.html")
        server.release("atom", 30)
        server.release("rss", 30)
        assert server.stall_seen.wait(3 * interval), "the follower never asked for the page"
        follower.send_signal(signal.SIGKILL)
        follower.wait(30)
        server.stall_drop.set()
        server.stalled_path = None
        follower = start()
        wait_for(60, settings, 4 * interval)
    finally:
        follower.send_signal(signal.SIGINT)
        try:
            follower.wait(30)
        except subprocess.TimeoutExpired:
            follower.kill()
    assert len(feed_articles(settings)) == 60
    finished = server.finished
    pages = {path: n for path, n in finished.items() if path.startswith("/news/")}
    assert len(pages) == 60 and set(pages.values()) == {1}, "a page was fetched twice"
    assert server.page_requests()["/news/atom/25.html"] == 2  # the one the kill cut short
    log = (tmp_path / "follow.log").read_text()
    assert "Traceback" not in log

    # Unfollowing keeps the feed's articles unless asked.
    kept = run_cli("unfollow", f"{server.url}/rss.xml", "--index-dir", index_dir, env=env)
    assert "its 30 articles stay indexed" in kept.stdout
    assert len(feed_articles(settings)) == 60
    gone = run_cli("unfollow", f"{server.url}/atom.xml", "--remove-articles",
                   "--index-dir", index_dir, env=env)  # fmt: skip
    assert "removed its 30 articles" in gone.stdout, gone.stderr
    assert len(feed_articles(settings)) == 30


def test_the_same_text_under_another_address_is_kept_once(
    tmp_path: Path, server: FeedServer
) -> None:
    from tests.feed_server import page_html

    kept: list[Path] = []
    settings = loopback_settings(tmp_path)
    server.release("atom", 2)
    server.extra["/syndicated/1.html"] = (
        200, {"Content-Type": "text/html"}, page_html("atom", 1).encode("utf-8"),
    )  # fmt: skip
    items = "".join(
        f"<item><title>Copy {n}</title><link>{server.url}{path}</link></item>"
        for n, path in enumerate(["/news/atom/1.html", "/syndicated/1.html", "/news/atom/0.html"])
    )
    server.extra["/copies.xml"] = (
        200, {"Content-Type": "application/rss+xml"},
        f'<rss version="2.0"><channel><title>Copies</title>{items}</channel></rss>'.encode(),
    )  # fmt: skip
    feed, _ = FeedBook(settings.index_dir).add(server.url + "/copies.xml")
    report = FeedFollower(settings, kept.extend).poll(feed)
    assert len(report.new_files) == 2  # atom/1 and atom/0; the syndicated copy is not kept
    bodies = [json.loads(p.read_text(encoding="utf-8"))[0]["url"] for p in report.new_files]
    assert f"{server.url}/syndicated/1.html" not in bodies
    # Polled again: the copy's page is not fetched again either (its address is remembered).
    FeedFollower(settings, kept.extend).poll(FeedBook(settings.index_dir).get(feed.url))  # type: ignore[arg-type]
    assert server.requests.count("/syndicated/1.html") == 1
