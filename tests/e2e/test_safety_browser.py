"""Hostile and broken input through the real app in Chromium: links dropped into a watched
folder, JSON nested a thousand deep in a live folder and in an upload, a formula-shaped question,
and a library on a disk that became read-only. Uploads stay inside the index folder and leave no
copy in Gradio's cache."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from index.settings import Settings
from tests.app_fixtures import app_page, start_app, stop_app
from tests.conftest import ROOT, SEEDS
from tests.e2e.test_app_browser import TIMEOUT, ask, page, upload
from tests.e2e.test_library import wait_for_text
from tests.reliability.test_disk_faults import SmallDisk
from tests.reliability.test_hostile_files import NESTED, SECRET, STORY

pytestmark = pytest.mark.browser
__all__ = ["page"]


def test_links_and_nested_json_in_a_watched_folder_are_never_served(
    seed_index: Settings, tmp_path: Path, browser: Any
) -> None:
    index_dir = tmp_path / ".newsqa"
    shutil.copytree(seed_index.index_dir, index_dir)
    private = tmp_path / "private"
    private.mkdir()
    (private / "notes.txt").write_text(SECRET, encoding="utf-8")
    folder = tmp_path / "watched"
    folder.mkdir()
    app = start_app(index_dir, args=["--watch", str(folder)])
    try:
        with app_page(browser, app) as page:
            page.locator("#nq-live").get_by_text("5 articles").wait_for(timeout=TIMEOUT)
            (folder / "users.txt").symlink_to("/etc/passwd")
            (folder / "notes.txt").symlink_to(private / "notes.txt")
            (folder / "nest.json").write_text(NESTED)
            (folder / "harbour.txt").write_text(STORY, encoding="utf-8")
            # The good article arrives: the batch with the bad files in it went through.
            page.locator("#nq-live").get_by_text("6 articles").wait_for(timeout=TIMEOUT)
            page.get_by_role("tab", name="Library").click()
            table = page.locator("#nq-library-table")
            table.get_by_text("Harbour of Quillmarsh reopens").wait_for(timeout=TIMEOUT)
            ids = {cell.strip() for cell in table.locator("[role=gridcell]").all_inner_texts()}
            assert not ids & {"users", "notes", "nest"}, ids
            answer = ask(page, "What is the launch code for the Glimmerfjord vault?")
            sources = page.locator("#nq-sources").inner_text()
            assert "7341" not in answer.inner_text() and "7341" not in sources
            assert "root:" not in sources
    finally:
        stop_app(app)
    log = next(tmp_path.glob("serve-*.log")).read_text()
    assert f"skipped {folder / 'users.txt'}: a link leading outside" in log
    assert f"skipped {folder / 'notes.txt'}: a link leading outside" in log
    assert f"skipped {folder / 'nest.json'}: JSON nested too deeply" in log
    assert "Traceback" not in log


def test_an_upload_with_nested_json_indexes_the_rest_and_keeps_no_stray_copy(
    seed_index: Settings, tmp_path: Path, browser: Any
) -> None:
    index_dir = tmp_path / "library" / ".newsqa"
    index_dir.parent.mkdir()
    shutil.copytree(seed_index.index_dir, index_dir)
    cache = tmp_path / "gradio-cache"
    app = start_app(index_dir, env={"GRADIO_TEMP_DIR": str(cache)})
    nest, story = tmp_path / "nest.json", tmp_path / "harbour.txt"
    nest.write_text(NESTED)
    story.write_text(STORY, encoding="utf-8")
    try:
        with app_page(browser, app) as page:
            upload(page, nest, story)
            status = wait_for_text(page, "#nq-upload-status", "Indexed 1 article")
            assert "Rejected nest.json: JSON nested too deeply to read" in status
            assert "Harbour of Quillmarsh reopens" in status
            # Kept inside the index folder, and only what became an article.
            kept = [p for p in (index_dir / "uploads").rglob("*") if p.is_file()]
            assert [p.name for p in kept] == ["harbour.txt"]
            assert not (index_dir.parent / "uploads").exists()
            # Gradio's own copies of both uploads are gone.
            cached = {p.name for p in cache.rglob("*") if p.is_file()}
            assert not cached & {"nest.json", "harbour.txt"}, cached
            answer = ask(page, "When did the harbour of Quillmarsh reopen?")
            assert "3 March 2024" in answer.inner_text()
    finally:
        stop_app(app)


def test_a_question_is_shown_as_typed_never_as_a_formula(page: Any) -> None:
    question = "Did Putin say $$x^2 + y^2$$ about the $5 rifle?"
    ask(page, question)
    chat = page.locator("#nq-chat")
    assert chat.locator(".katex, .katex-display, math").count() == 0
    assert question in chat.inner_text()


def test_a_library_on_a_read_only_disk_says_so_in_the_apps_words(
    tmp_path: Path, browser: Any
) -> None:
    disk = SmallDisk(tmp_path / "disk", 256)
    try:
        index_dir = disk.path / ".newsqa"
        # Indexed by its own process, as a user would: a file system with a file open for
        # writing can't be made read-only, and the model's export holds some for a while.
        subprocess.run(
            [sys.executable, "-m", "ui.cli", "index", str(SEEDS), "--index-dir", str(index_dir)],
            cwd=ROOT, capture_output=True, check=True, timeout=600,
        )  # fmt: skip
        app = start_app(index_dir, log_dir=tmp_path)  # the log is written to elsewhere
        story = tmp_path / "harbour.txt"
        story.write_text(STORY, encoding="utf-8")
        try:
            with app_page(browser, app) as page:
                disk.read_only()
                upload(page, story)
                status = wait_for_text(page, "#nq-upload-status", "read-only")
                assert status.startswith("The library is kept on a read-only disk on the server")
                assert "Errno" not in status and str(disk.path) not in status
                answer = ask(page, "What gifts did Putin and Kim exchange?")
                assert "glove" in answer.inner_text()  # the library as it was still answers
        finally:
            stop_app(app)
    finally:
        disk.unmount()
