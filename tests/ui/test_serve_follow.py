"""`newsqa serve --follow`: the real app polls the followed feeds and answers from their entries,
with a feed server on loopback."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

from index.feeds import FeedBook
from index.settings import Settings
from index.store import open_store
from tests.app_fixtures import start_app, stop_app
from tests.feed_server import feed_server


def test_serve_follow_polls_the_followed_feeds_and_answers_from_them(
    seed_index: Settings, tmp_path: Path
) -> None:
    index_dir = tmp_path / ".newsqa"
    shutil.copytree(seed_index.index_dir, index_dir)
    env = {"NEWSQA_FEEDS__ALLOW_PRIVATE": "true", "NEWSQA_FEEDS__DELAY_S": "0"}
    with feed_server() as server:
        server.release("rss", 3)
        FeedBook(index_dir).add(f"{server.url}/rss.xml")  # followed, not polled yet
        app = start_app(index_dir, env=env, args=["--follow"])
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                if len(open_store(Settings(index_dir=index_dir)).load().articles) == 8:
                    break
                time.sleep(0.5)
            assert len(open_store(Settings(index_dir=index_dir)).load().articles) == 8
            from gradio_client import Client

            client = Client(app.url, verbose=False)
            deadline = time.monotonic() + 30
            answer: dict[str, Any] = {}
            while time.monotonic() < deadline:  # the app loads the new version within seconds
                result: Any = client.predict(
                    "What reference was the project filed under in rss2code?", api_name="/ask"
                )
                answer = json.loads(result) if isinstance(result, str) else result
                if any("rss2code" in c["text"] for c in answer["citations"]):
                    break
                time.sleep(1)
            cited = [c for c in answer["citations"] if "rss2code" in c["text"]]
            assert cited and cited[0]["source"] == "Loopback Gazette"
            assert cited[0]["doc_id"] == f"{server.url}/news/rss/2.html"
        finally:
            stop_app(app)
    row = FeedBook(index_dir).feeds()[0]
    assert row.status == "ok" and row.entries_kept == 3
