"""Following feeds from the Library in a real browser, against the real app and a real feed
server on loopback: a good feed's articles arrive, a broken one keeps its row and its error."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from index.settings import Settings
from tests.app_fixtures import app_page, start_app, stop_app
from tests.e2e.test_app_browser import TIMEOUT, open_tab
from tests.e2e.test_library import wait_for_text
from tests.feed_server import feed_server

pytestmark = pytest.mark.browser


def feed_table_rows(page: Any) -> list[list[str]]:
    grid = page.locator("#nq-feeds-table [role=row]:has([role=gridcell])")
    return [
        [cell.strip() for cell in row.locator("[role=gridcell]").all_inner_texts()]
        for row in grid.all()
    ]


def wait_for_feed_row(page: Any, *texts: str) -> None:
    page.wait_for_function(
        "(texts) => [...document.querySelectorAll('#nq-feeds-table [role=row]')].some("
        "r => texts.every(t => r.innerText.includes(t)))",
        arg=list(texts), timeout=TIMEOUT,
    )  # fmt: skip


def follow(page: Any, url: str) -> None:
    box = page.locator("#nq-feed-url input, #nq-feed-url textarea")
    box.fill(url)
    page.locator("#nq-follow").click()


def test_following_feeds_from_the_library_shows_their_rows_and_their_articles(
    browser: Any, seed_index: Settings, tmp_path: Path
) -> None:
    index_dir = tmp_path / ".newsqa"
    shutil.copytree(seed_index.index_dir, index_dir)
    env = {
        "NEWSQA_FEEDS__ALLOW_PRIVATE": "true",
        "NEWSQA_FEEDS__DELAY_S": "0",
        "NEWSQA_FEEDS__INTERVAL_S": "600",
    }
    with feed_server() as server:
        server.release("atom", 4)
        app = start_app(index_dir, env=env)
        try:
            with app_page(browser, app) as page:
                open_tab(page, "Library")
                follow(page, "ftp://example.org/feed.xml")
                assert "not a web address" in wait_for_text(
                    page, "#nq-feed-status", "not a web address"
                )
                follow(page, f"{server.url}/atom.xml")
                wait_for_text(page, "#nq-feed-status", "Following it")
                wait_for_feed_row(page, "Atom Loopback News", "ok", "4")
                follow(page, f"{server.url}/broken.xml")
                wait_for_feed_row(page, "/broken.xml", "failing", "HTML page, not a feed")
                rows = {row[1]: row for row in feed_table_rows(page)}
                assert rows[f"{server.url}/broken.xml"][3] == "never"
                # The feed's articles are in the library, under the page's outlet.
                wait_for_text(page, "#nq-library-summary", "^9 articles")
                page.locator("#nq-library-search input, #nq-library-search textarea").fill(
                    "bridge report"
                )
                page.locator("#nq-library-table [role=gridcell]", has_text="Loopback Gazette")\
                    .first.wait_for(timeout=TIMEOUT)  # fmt: skip
                # Chosen from the table and unfollowed: its row goes, its articles stay.
                page.locator("#nq-feeds-table [role=gridcell]", has_text="Atom Loopback News")\
                    .first.click()  # fmt: skip
                page.wait_for_function(
                    "(u) => document.querySelector('#nq-feed-url textarea, #nq-feed-url input')"
                    ".value === u", arg=f"{server.url}/atom.xml", timeout=TIMEOUT,
                )  # fmt: skip
                page.locator("#nq-unfollow").click()
                wait_for_text(page, "#nq-feed-status", "No longer following")
                assert len(feed_table_rows(page)) == 1
                assert page.locator("#nq-library-summary").inner_text().startswith("9 articles")
        finally:
            stop_app(app)
