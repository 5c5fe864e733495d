"""`newsqa serve --watch`: the real app follows a live folder while another client keeps asking."""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from index.settings import Settings
from tests.app_fixtures import start_app, stop_app
from tests.index.test_watch import STORY

pytestmark = pytest.mark.browser
QUESTION = "When will the Glimmerfjord ferry line close?"


def cited(client: Any, question: str) -> set[str]:
    result = client.predict(question, api_name="/ask")
    answer = json.loads(result) if isinstance(result, str) else result
    return {c["doc_id"] for c in answer["citations"]}


def wait_until(check: Any, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)  # polling the running app
    raise AssertionError(f"not so within {seconds} s")


def test_a_live_folder_is_followed_while_questions_go_on(
    seed_index: Settings, tmp_path: Path, browser: Any
) -> None:
    from gradio_client import Client

    index_dir = tmp_path / ".newsqa"
    shutil.copytree(seed_index.index_dir, index_dir)
    folder = tmp_path / "live"
    folder.mkdir()
    app = start_app(index_dir, args=["--watch", str(folder)])
    stop = threading.Event()
    asked, failed = [0], []

    def keep_asking() -> None:
        client = Client(app.url, verbose=False)
        while not stop.is_set():
            try:
                assert "002_164cd89d12bb7479" in cited(
                    client, "What gifts did Putin and Kim exchange?"
                )
                asked[0] += 1
            except Exception as error:  # every failure counts, whatever it is
                failed.append(repr(error))

    other_client = threading.Thread(target=keep_asking, daemon=True)
    other_client.start()
    try:
        client = Client(app.url, verbose=False)
        page = browser.new_page()
        page.goto(app.url, wait_until="load")
        page.locator("#nq-live").get_by_text("5 articles").wait_for(timeout=30_000)

        (tmp_path / "ferry.txt").write_text(STORY, encoding="utf-8")
        shutil.copy(tmp_path / "ferry.txt", folder / "ferry.txt")
        wait_until(lambda: "ferry" in cited(client, QUESTION))
        # The open page sees it without a reload: the count, the library, the examples.
        page.locator("#nq-live").get_by_text("6 articles").wait_for(timeout=30_000)
        page.locator("#nq-examples").get_by_text("Glimmerfjord ferry line to close").wait_for(
            timeout=30_000
        )
        page.get_by_role("tab", name="Library").click()
        page.locator("#nq-library-table [role=gridcell]", has_text="Glimmerfjord").first.wait_for(
            timeout=30_000
        )

        (folder / "ferry.txt").unlink()
        wait_until(lambda: "ferry" not in cited(client, QUESTION))
        page.locator("#nq-live").get_by_text("5 articles").wait_for(timeout=30_000)
        page.close()
    finally:
        stop.set()
        other_client.join(60)
        stop_app(app)
    assert failed == [] and asked[0] > 0
