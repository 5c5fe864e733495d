"""An upload through the browser while clients keep asking: every answer comes from one whole index.

The app builds the new index version beside the old one and swaps a new pipeline in whole; a
question started before the swap finishes on the old index. A half-updated index would show as
a failed request or a citation whose text is not the article's text at its span.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from index.settings import Settings
from tests.app_fixtures import start_app, stop_app
from tests.conftest import SEEDS
from tests.e2e.test_app_browser import TIMEOUT, upload

pytestmark = pytest.mark.browser

CLIENTS = 6
SEED_QUESTION = "What gifts did Putin and Kim exchange?"
NEW_QUESTION = "How much will the repairs to the Zorblat pier cost?"
NEW_ARTICLE = (
    "Zorblat harbour reopens after storm\n\n"
    "ZORBLAT, March 3 (Harbour Wire) - The harbour of Zorblat reopened on Monday after a storm "
    "damaged two piers. Repairs to the northern pier will cost 42 million ducats, the port "
    "authority said.\n"
)


def test_upload_while_clients_ask(seed_index: Settings, tmp_path: Path, browser: Any) -> None:
    from gradio_client import Client

    index_dir = tmp_path / ".newsqa"
    shutil.copytree(seed_index.index_dir, index_dir)
    app = start_app(index_dir)
    stop = threading.Event()
    answers: list[tuple[float, str, dict[str, Any]]] = []  # (finished at, question, answer)
    errors: list[str] = []

    def client(number: int) -> None:
        session = Client(app.url, verbose=False)
        turn = 0
        while not stop.is_set():
            question = SEED_QUESTION if (number + turn) % 2 else NEW_QUESTION
            turn += 1
            try:
                result = session.predict(question, api_name="/ask")
            except Exception as error:  # counted, not raised: the test reports them all
                errors.append(f"client {number}: {type(error).__name__}: {error}")
                continue
            answer = json.loads(result) if isinstance(result, str) else result
            answers.append((time.monotonic(), question, answer))

    # Five copies of the seeds under new names make the upload take seconds, not a blink.
    article = tmp_path / "harbour-report.txt"
    article.write_text(NEW_ARTICLE)
    extra = [article]
    for number, seed in enumerate(sorted(SEEDS.glob("*.txt"))):
        copy = tmp_path / f"reprint-{number}.txt"
        copy.write_text(seed.read_text() + f"\nReprinted with note {number}.\n")
        extra.append(copy)

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            futures = [pool.submit(client, n) for n in range(CLIENTS)]
            try:
                page = context.new_page()
                page.goto(app.url, wait_until="load")
                page.locator("#nq-question textarea").wait_for(timeout=TIMEOUT)
                time.sleep(2)  # let the clients get going before the upload starts
                upload_started = time.monotonic()
                upload(page, *extra)
                page.wait_for_function(
                    "(el) => /Indexed 6 article/.test(el.innerText)",
                    arg=page.locator("#nq-upload-status").element_handle(),
                    timeout=TIMEOUT,
                )
                swapped = time.monotonic()
                time.sleep(3)  # questions keep coming after the swap
            finally:
                stop.set()
            for future in futures:
                future.result(timeout=120)
    finally:
        context.close()
        stop_app(app)

    assert errors == []
    texts = {path.stem: path.read_text() for path in [*SEEDS.glob("*.txt"), *extra]}
    before = [a for done, q, a in answers if done < upload_started and q == NEW_QUESTION]
    after = [a for done, q, a in answers if done > swapped + 1 and q == NEW_QUESTION]
    assert before and after, (len(before), len(after))
    for _, question, answer in answers:
        if question == SEED_QUESTION:
            assert not answer["abstained"] and "glove" in answer["answer"]
        for citation in answer["citations"]:
            text = texts[citation["doc_id"]]
            assert text[citation["start"] : citation["end"]] == citation["text"]
        if question == NEW_QUESTION and not answer["abstained"]:
            assert "42 million ducats" in answer["answer"]
    # Before the upload nobody could answer the new question; once it landed, everyone could.
    assert all(a["abstained"] for a in before)
    assert all("42 million ducats" in a["answer"] for a in after)
    print(f"{len(answers)} answers during the upload test, {len(after)} after the swap")
