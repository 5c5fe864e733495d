"""Watching a question in a real browser against the real app: watched from under its answer,
marked with a badge when an uploaded report changes the answer, opened side by side."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.app_fixtures import own_app_page
from tests.e2e.test_app_browser import TIMEOUT, ask, open_tab, upload
from tests.e2e.test_library import wait_for_text
from tests.qa.test_watches import QUESTION, report_file

pytestmark = pytest.mark.browser


def watch_rows(page: Any) -> list[list[str]]:
    grid = page.locator("#nq-watch-table [role=row]:has([role=gridcell])")
    return [
        [cell.strip() for cell in row.locator("[role=gridcell]").all_inner_texts()]
        for row in grid.all()
    ]


def test_a_watched_question_gets_a_badge_and_shows_the_change_side_by_side(
    browser: Any, embedder: Any, tmp_path: Path
) -> None:
    corpus = tmp_path / "story"
    corpus.mkdir()
    report_file(corpus, "first")
    second = report_file(tmp_path, "second")
    with own_app_page(browser, corpus, embedder) as page:
        assert "12" in ask(page, QUESTION).inner_text()
        page.locator("#nq-watch-this").click()
        wait_for_text(page, "#nq-watch-status", "Watching “How many people died\\?”")
        open_tab(page, "Watching")
        page.locator("#nq-watch-table [role=gridcell]", has_text=QUESTION).first.wait_for(
            timeout=TIMEOUT
        )
        first = watch_rows(page)[0]
        assert first[:2] == ["", QUESTION]
        assert first[2] == "At least 12 (Valley Courier, 2 November 2026)"

        upload(page, second)
        wait_for_text(page, "#nq-upload-status", "Indexed 1 article")
        open_tab(page, "Watching")
        page.wait_for_function(
            "() => [...document.querySelectorAll('#nq-watch-table [role=gridcell]')]"
            ".some(c => c.innerText.includes('● changed'))", timeout=TIMEOUT,
        )  # fmt: skip
        row = watch_rows(page)[0]
        assert row[0] == "● changed" and "38" in row[2]

        page.locator("#nq-watch-table [role=gridcell]", has_text=QUESTION).first.click()
        shown = page.locator("#nq-watch-open")
        shown.wait_for(timeout=TIMEOUT)
        before, after = shown.locator(".nq-watch-side").all()
        assert "Before" in before.inner_text() and "At least 12" in before.inner_text()
        assert "Valley Courier" in before.inner_text()
        assert "38" in after.inner_text() and "Northern Ledger, 4 November 2026" in (
            after.inner_text()
        )
        # Opened: the badge goes.
        page.wait_for_function(
            "() => ![...document.querySelectorAll('#nq-watch-table [role=gridcell]')]"
            ".some(c => c.innerText.includes('● changed'))", timeout=TIMEOUT,
        )  # fmt: skip
