"""Every flow of the app, in a real browser, read for words a web user can't act on: a server
path (the index, the uploads folder, the code) or the command line's wording (commands, options,
environment variables, tracebacks)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.app_fixtures import RunningApp
from tests.conftest import ROOT
from tests.e2e.test_app_browser import TIMEOUT, ask, open_tab, page, upload
from tests.e2e.test_library import open_row, wait_for_text

pytestmark = pytest.mark.browser
__all__ = ["page"]

CLI_WORDING = re.compile(
    r"\bnewsqa (index|remove|edit|info|serve|ask|search|eval|chat)\b"
    r"|(?<![\w-])--[a-z]"  # an option such as --since or --replace
    r"|NEWSQA_|Traceback|site-packages"
)


def shown(page: Any) -> str:
    """What the page shows: its text, toasts included, and every link and tooltip."""
    return str(
        page.evaluate(
            "() => [document.body.innerText, ...[...document.querySelectorAll('[href], [title]')]"
            ".map(e => (e.getAttribute('href') || '') + ' ' + (e.getAttribute('title') || ''))]"
            ".join('\\n')"
        )
    )


def internal_words(text: str, running_app: RunningApp) -> list[str]:
    paths = {str(running_app.index_dir), str(running_app.index_dir.parent), str(ROOT), "/tmp/"}
    found = [path for path in paths if path in text]
    found += [m.group(0) for m in CLI_WORDING.finditer(text)]
    found += re.findall(r"uploads/[0-9a-f]{12}", text)
    return found


def test_no_flow_shows_a_server_path_or_command_line_wording(
    page: Any, running_app: RunningApp, tmp_path: Path
) -> None:
    seen: dict[str, list[str]] = {}

    def check(step: str) -> None:
        seen[step] = internal_words(shown(page), running_app)

    check("start")
    ask(page, "What gifts did Putin and Kim exchange?")
    check("answer")
    ask(page, "Who is Alexander Zhebin?")
    ask(page, "What did he say about energy?")
    check("follow-up rewritten")
    page.locator("#nq-as-written").click()
    page.locator("#nq-as-written").wait_for(state="hidden", timeout=TIMEOUT)
    check("searched as written")
    ask(page, "What did the Pope say about the summit?")
    check("not found")

    # Filters: a bad date (a notice), then a filter that hides everything.
    page.get_by_text("Settings and filters").click()
    page.locator("#nq-since input, #nq-since textarea").fill("last spring")
    page.locator("#nq-question textarea").fill("What gifts did Putin and Kim exchange?")
    page.locator("#nq-send").click()
    page.locator(".toast-body").first.wait_for(timeout=TIMEOUT)
    check("bad filter date")
    page.locator("#nq-since input, #nq-since textarea").fill("2030-01-01")
    ask(page, "What gifts did Putin and Kim exchange?")
    check("filters hide everything")
    page.locator("#nq-as-of input, #nq-as-of textarea").fill("someday")
    page.locator("#nq-question textarea").fill("What happened this week?")
    page.locator("#nq-send").click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.toast-body')].some(t => /Ask as of/.test(t.innerText))",
        timeout=TIMEOUT,
    )  # fmt: skip
    check("bad as-of date")

    # Uploads: good, binary, not UTF-8, empty, unsupported, a copy, then a changed file.
    good = tmp_path / "canal.txt"
    good.write_text(
        "Canal lock repaired\n\nThe Varnholm canal lock reopened on Friday after repairs that "
        "took nine weeks, the waterways board said.\n",
        encoding="utf-8",
    )
    (tmp_path / "photo.txt").write_bytes(b"\x89PNG\x00\x00\x00binary")
    (tmp_path / "latin1.txt").write_bytes("Caf\xe9 au lait".encode("latin-1"))
    (tmp_path / "empty.md").write_text("")
    (tmp_path / "slides.pdf").write_bytes(b"%PDF-1.4")
    upload(
        page, good, *(tmp_path / n for n in ("photo.txt", "latin1.txt", "empty.md", "slides.pdf"))
    )
    wait_for_text(page, "#nq-upload-status", "Rejected slides.pdf")
    check("upload with bad files")
    upload(page, good)
    wait_for_text(page, "#nq-upload-status", "unchanged")
    check("same upload again")
    changed = tmp_path / "v2" / "canal.txt"
    changed.parent.mkdir()
    changed.write_text(good.read_text().replace("nine", "ten"), encoding="utf-8")
    upload(page, changed)
    page.locator("#nq-replace").wait_for(timeout=TIMEOUT)
    check("asked to replace")
    page.locator("#nq-replace-no").click()
    wait_for_text(page, "#nq-upload-status", "Kept")
    check("kept the old one")

    # The library: open, a refused correction, remove.
    open_row(page, "Canal lock repaired")
    check("article open")
    page.locator("#nq-fix-date input, #nq-fix-date textarea").fill("31/02/2025")
    page.locator("#nq-fix-save").click()
    wait_for_text(page, "#nq-library-status", "real day")
    check("refused correction")
    page.locator("#nq-remove").click()
    page.locator("#nq-remove-yes").click()
    wait_for_text(page, "#nq-library-status", "Removed")
    check("removed")
    open_tab(page, "Chat")
    page.locator("#nq-clear").click()
    check("new conversation")

    assert {step: words for step, words in seen.items() if words} == {}
    assert len(seen) == 16
