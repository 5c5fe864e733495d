"""The Library tab in a real browser against the real app: list, search, open, correct, replace,
remove."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_app_browser import TIMEOUT, ask, open_tab, page, upload

pytestmark = pytest.mark.browser
__all__ = ["page"]  # the fixture, used by name

STORY = (
    "Glimmerfjord ferry line to close\n\n"
    "GLIMMERFJORD - The ferry line between Glimmerfjord and Skarvøy will close "
    "in October after 61 years, the county transport office said on Tuesday. A new bridge "
    "makes the crossing in four minutes.\n"
)


def rows(page: Any) -> list[list[str]]:
    """The article table's rows as shown (it is a virtual grid, not a <table>)."""
    grid = page.locator("#nq-library-table [role=row]:has([role=gridcell])")
    return [
        [cell.strip() for cell in row.locator("[role=gridcell]").all_inner_texts()]
        for row in grid.all()
    ]


def wait_for_rows(page: Any, count: int) -> None:
    page.wait_for_function(
        "(count) => document.querySelectorAll("
        "'#nq-library-table [role=row]:has([role=gridcell])').length === count",
        arg=count, timeout=TIMEOUT,
    )  # fmt: skip


def wait_for_text(page: Any, selector: str, pattern: str) -> str:
    page.wait_for_function(
        "([selector, pattern]) => { const el = document.querySelector(selector);"
        " return el && new RegExp(pattern).test(el.innerText); }",
        arg=[selector, pattern], timeout=TIMEOUT,
    )  # fmt: skip
    return str(page.locator(selector).inner_text())


def open_row(page: Any, text: str) -> None:
    page.locator("#nq-library-table [role=gridcell]", has_text=text).first.click()
    page.locator("#nq-article h3").filter(has_text=text).wait_for(timeout=TIMEOUT)


def test_the_library_lists_searches_and_opens_articles(page: Any) -> None:
    open_tab(page, "Library")
    summary = wait_for_text(page, "#nq-library-summary", "articles from")
    assert summary.startswith("5 articles from 3 outlets") or "articles from" in summary
    shown = rows(page)
    assert {row[3] for row in shown} >= {
        "000_b32fb440e881743b", "001_7df2c242344af025", "004_af93de6b00e6d4fa",
    }  # fmt: skip
    outlets = page.locator("#nq-outlet-table").inner_text()
    assert "TASS" in outlets and "Sputnik" in outlets and "(outlet unknown)" in outlets

    page.locator("#nq-library-search input, #nq-library-search textarea").fill("sputnik ukraine")
    wait_for_rows(page, 1)
    assert rows(page)[0][1:4] == [
        "Sputnik",
        "Putin: Russia Highly Values North Korea’s Support in Conducting Operation in Ukraine",
        "001_7df2c242344af025",
    ]
    open_row(page, "Putin: Russia Highly Values")
    article = page.locator("#nq-article").inner_text()
    assert "Sputnik" in article and "001_7df2c242344af025" in article
    assert "special military operation" in article.lower()  # the whole text, not an excerpt


def test_an_upload_is_redated_replaced_after_asking_and_removed(page: Any, tmp_path: Path) -> None:
    article = tmp_path / "ferry-line.txt"
    article.write_text(STORY, encoding="utf-8")
    upload(page, article)
    wait_for_text(page, "#nq-upload-status", "Indexed 1 article")
    page.locator("#nq-library-search input, #nq-library-search textarea").fill("glimmerfjord")
    wait_for_rows(page, 1)
    assert rows(page)[0][:4] == ["", "", "Glimmerfjord ferry line to close", "ferry-line"]

    # Set the outlet and the date the file doesn't state.
    open_row(page, "Glimmerfjord ferry line")
    page.locator("#nq-fix-outlet input, #nq-fix-outlet textarea").fill("Fjord Courier")
    page.locator("#nq-fix-date input, #nq-fix-date textarea").fill("2025-10-07")
    page.locator("#nq-fix-save").click()
    assert "Saved: Fjord Courier, 7 October 2025." in wait_for_text(
        page, "#nq-library-status", "Saved"
    )
    page.wait_for_function(
        "() => [...document.querySelectorAll('#nq-library-table [role=gridcell]')]"
        ".some(c => c.innerText.trim() === '2025-10-07')", timeout=TIMEOUT,
    )  # fmt: skip
    assert rows(page)[0][:2] == ["2025-10-07", "Fjord Courier"]
    assert "Fjord Courier" in page.locator("#nq-outlet-table").inner_text()
    # The library is no longer the seeds: the chat offers the newest articles' headlines, this
    # one first, and one click puts a question about it in the question box.
    newest = "What did Fjord Courier report in “Glimmerfjord ferry line to close”?"
    wait_for_text(page, "#nq-examples", "Ask about the newest articles")
    open_tab(page, "Chat")
    page.locator("#nq-examples").get_by_text("Glimmerfjord ferry line to close").click()
    page.wait_for_function(
        "(q) => document.querySelector('#nq-question textarea').value === q",
        arg=newest, timeout=TIMEOUT,
    )  # fmt: skip
    assert "gifts did Putin and Kim" not in page.locator("#nq-examples").inner_text()
    open_tab(page, "Library")
    # A wrong date is refused in plain words, and the saved one stays.
    page.locator("#nq-fix-date input, #nq-fix-date textarea").fill("7/10/2025")
    page.locator("#nq-fix-save").click()
    assert "YYYY-MM-DD" in wait_for_text(page, "#nq-library-status", "real day")
    assert rows(page)[0][0] == "2025-10-07"

    # The same file again: nothing to decide. A changed file: asked first, then replaced.
    upload(page, article)
    assert "Already in the library, unchanged" in wait_for_text(
        page, "#nq-upload-status", "unchanged"
    )
    changed = tmp_path / "again" / "ferry-line.txt"
    changed.parent.mkdir()
    changed.write_text(STORY.replace("in October", "in November"), encoding="utf-8")
    upload(page, changed)
    question = page.locator("#nq-replace")
    question.wait_for(timeout=TIMEOUT)
    assert "ferry-line.txt would replace “Glimmerfjord ferry line to close”" in (
        question.inner_text()
    )
    page.locator("#nq-replace-yes").click()
    wait_for_text(page, "#nq-upload-status", "Indexed 1 article")
    question.wait_for(state="hidden", timeout=TIMEOUT)
    answer = ask(page, "When will the Glimmerfjord ferry line close?")
    assert "November" in answer.inner_text() and "October" not in answer.inner_text()

    # Remove it, after confirming; questions no longer find it.
    open_tab(page, "Library")
    open_row(page, "Glimmerfjord ferry line")
    page.locator("#nq-remove").click()
    confirm = page.locator("#nq-remove-confirm")
    confirm.wait_for(timeout=TIMEOUT)
    assert "Remove “Glimmerfjord ferry line to close” from the library?" in confirm.inner_text()
    page.locator("#nq-remove-yes").click()
    assert "Removed “Glimmerfjord ferry line to close”" in wait_for_text(
        page, "#nq-library-status", "Removed"
    )
    wait_for_rows(page, 0)
    answer = ask(page, "When will the Glimmerfjord ferry line close?")
    assert "Glimmerfjord" not in answer.inner_text()
    assert "Glimmerfjord" not in page.locator("#nq-examples").inner_text()


def test_an_article_address_opens_safely_and_only_a_web_one(page: Any, tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    records = [
        {"title": "Tidewater mill reopens", "url": "https://example.org/tidewater-mill",
         "source": "Coast Ledger", "published_at": "2025-03-04",
         "body": "The Tidewater mill reopened on Tuesday after a fire. It employs 84 people."},
        {"title": "Quarry dispute settled", "url": "javascript:window.__opened='quarry'",
         "source": "Coast Ledger", "published_at": "2025-03-05",
         "body": "The Brennock quarry dispute was settled on Wednesday. Trucks may pass at night."},
    ]  # fmt: skip
    feed.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    upload(page, feed)
    wait_for_text(page, "#nq-upload-status", "Indexed 2 articles")

    def links_of(selector: str) -> list[dict[str, str]]:
        return list(
            page.locator(f"{selector} a[href]:not(.nq-marker)").evaluate_all(
                "links => links.map(a => ({href: a.getAttribute('href'),"
                " target: a.target, rel: a.rel}))"
            )
        )

    safe = {"href": "https://example.org/tidewater-mill", "target": "_blank",
            "rel": "noopener noreferrer"}  # fmt: skip
    open_row(page, "Tidewater mill reopens")
    assert links_of("#nq-article") == [safe]
    open_row(page, "Quarry dispute settled")
    assert links_of("#nq-article") == []  # a javascript: address is never a link

    ask(page, "How many people does the Tidewater mill employ?")
    page.locator("#nq-sources .nq-card").first.wait_for(timeout=TIMEOUT)
    assert safe in links_of("#nq-sources")
    ask(page, "When was the Brennock quarry dispute settled?")
    page.locator("#nq-sources .nq-card").first.wait_for(timeout=TIMEOUT)
    assert all(link["href"].startswith("https://") for link in links_of("#nq-sources"))
    assert page.evaluate("window.__opened") is None


def page_line(page: Any, pattern: str) -> str:
    return wait_for_text(page, "#nq-page-line", pattern)


def test_a_big_library_shows_a_line_a_row_a_page_at_a_time_and_keeps_its_search(
    browser: Any, tmp_path: Path, embedder: Any
) -> None:
    """230 articles with web addresses for ids (as MultiHop-RAG's are): each row is one line,
    the table pages by 100 in the order chosen, and a search stays applied after an upload."""
    from tests.app_fixtures import own_app_page

    first_day = dt.date(2024, 1, 1)
    records = [
        {"url": f"https://news.example.org/{first_day + dt.timedelta(n)}/harbour-works-update-"
                f"number-{n}-with-the-long-address-a-real-site-gives-its-stories",
         "source": "Harbour Times", "published_at": str(first_day + dt.timedelta(n)),
         "title": f"Story {n}: " + ("Glimmerfjord harbour" if n in (5, 50, 150) else "Harbour"),
         "body": f"Harbour works, part {n}, went on this week, the port office said."}
        for n in range(230)
    ]  # fmt: skip
    (tmp_path / "feed.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    with own_app_page(browser, tmp_path / "feed.jsonl", embedder) as page:
        open_tab(page, "Library")
        page_line(page, "1–100 of 230 articles, newest first")
        first = page.locator("#nq-library-table [role=row]:has([role=gridcell])").first
        assert first.locator("[role=gridcell]").nth(2).inner_text().strip() == "Story 229: Harbour"
        # One line a row, the long address cut short rather than wrapped onto five.
        height = first.bounding_box()["height"]
        assert height < 50, f"a row is {height}px tall"
        previous, following = page.locator("#nq-page-previous"), page.locator("#nq-page-next")
        assert previous.is_disabled() and following.is_enabled()

        following.click()
        page_line(page, "101–200 of 230")
        assert rows(page)[0][2] == "Story 129: Harbour"
        following.click()
        page_line(page, "201–230 of 230")
        assert rows(page)[0][2] == "Story 29: Harbour"
        assert following.is_disabled() and previous.is_enabled()

        # The order sorts the whole library, not the page on screen, and starts at its first page.
        page.locator("#nq-library-order").click()
        page.get_by_role("option", name="Oldest first").click()
        page_line(page, "1–100 of 230 articles, oldest first")
        assert rows(page)[0][2] == "Story 0: Harbour"

        search = page.locator("#nq-library-search input, #nq-library-search textarea")
        search.fill("glimmerfjord")
        page_line(page, "3 articles matching “glimmerfjord”, oldest first")
        wait_for_rows(page, 3)
        assert [row[2] for row in rows(page)] == [
            "Story 5: Glimmerfjord harbour", "Story 50: Glimmerfjord harbour",
            "Story 150: Glimmerfjord harbour",
        ]  # fmt: skip
        assert following.is_disabled()

        # An upload: the table still shows what the search box says.
        story = tmp_path / "ferry-line.txt"
        story.write_text(STORY, encoding="utf-8")
        upload(page, story)
        wait_for_text(page, "#nq-upload-status", "Indexed 1 article")
        page_line(page, "4 articles matching “glimmerfjord”")
        wait_for_rows(page, 4)
        assert search.input_value() == "glimmerfjord"
        assert "Glimmerfjord ferry line to close" in [row[2] for row in rows(page)]

        # A row opens its article, whose whole address is shown there.
        open_row(page, "Story 150: Glimmerfjord harbour")
        assert records[150]["url"] in page.locator("#nq-article").inner_text()
