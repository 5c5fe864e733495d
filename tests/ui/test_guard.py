"""What the served app refuses before Gradio sees a request (ui.guard) and what it keeps of
uploads, against the real app on loopback: changes sent by other sites' pages, files over the
size limit, passwords tried at speed."""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from index.settings import Settings
from tests.app_fixtures import RunningApp, start_app, stop_app

USER, PASSWORD = "editor", "s3cret"


@pytest.fixture(scope="module")
def guarded_app(
    seed_index: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[RunningApp, Path]]:
    """The app behind its login, with a 1 MB upload limit and Gradio's cache in a folder of
    the test's own."""
    work = tmp_path_factory.mktemp("guarded")
    index_dir = work / ".newsqa"
    shutil.copytree(seed_index.index_dir, index_dir)
    cache = work / "gradio-cache"
    app = start_app(
        index_dir,
        env={
            "NEWSQA_AUTH": f"{USER}:{PASSWORD}",
            "NEWSQA_INDEX__MAX_FILE_MB": "1",
            "GRADIO_TEMP_DIR": str(cache),
        },
    )
    yield app, cache
    stop_app(app)


@contextlib.contextmanager
def logged_in(app: RunningApp) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=app.url, timeout=30) as client:
        login = client.post("/login", data={"username": USER, "password": PASSWORD})
        assert login.status_code == 200
        yield client


def cached_files(cache: Path) -> list[Path]:
    return [p for p in cache.rglob("*") if p.is_file()] if cache.exists() else []


def test_a_page_of_another_site_cannot_upload_or_ask(guarded_app: tuple[RunningApp, Path]) -> None:
    app, cache = guarded_app
    before = cached_files(cache)
    with logged_in(app) as client:
        story = {"files": ("story.txt", b"Harbour news\n\nThe harbour reopened on Monday.\n")}
        for origin in ("http://evil.example", "null", "http://127.0.0.1.evil.example"):
            refused = client.post("/gradio_api/upload", files=story, headers={"Origin": origin})
            assert refused.status_code == 403, origin
            assert "another site" in refused.text
            joined = client.post("/gradio_api/queue/join", json={}, headers={"Origin": origin})
            assert joined.status_code == 403, origin
        assert cached_files(cache) == before  # nothing of theirs was written
        # The app's own pages (same origin) and programs (no origin) upload as before.
        own = client.post("/gradio_api/upload", files=story, headers={"Origin": app.url})
        assert own.status_code == 200, own.text
        assert client.post("/gradio_api/upload", files=story).status_code == 200


def test_a_file_over_the_size_limit_is_refused_before_it_is_kept(
    guarded_app: tuple[RunningApp, Path],
) -> None:
    app, cache = guarded_app
    with logged_in(app) as client:
        big = {"files": ("big.txt", b"x" * (2 * 1024 * 1024))}
        refused = client.post("/gradio_api/upload", files=big)
    assert refused.status_code == 413
    assert all(p.stat().st_size < 1024 * 1024 for p in cached_files(cache))


def test_repeated_wrong_passwords_are_slowed_down(guarded_app: tuple[RunningApp, Path]) -> None:
    from ui.guard import FREE_LOGIN_TRIES

    app, _ = guarded_app
    with httpx.Client(base_url=app.url, timeout=30) as client:
        wrong = {"username": USER, "password": "guess"}
        for _ in range(FREE_LOGIN_TRIES):
            assert client.post("/login", data=wrong).status_code == 400
        slowed = client.post("/login", data=wrong)
        assert slowed.status_code == 429 and "Too many wrong passwords" in slowed.text
        wait = int(slowed.headers["Retry-After"])
        assert wait >= 1
        # Even the right password waits: otherwise the guesses would go on at full speed.
        right = {"username": USER, "password": PASSWORD}
        assert client.post("/login", data=right).status_code == 429
        time.sleep(wait)  # the delay under test
        assert client.post("/login", data=right).status_code == 200
        assert client.get("/config").status_code == 200
        # A success clears the count: the next wrong password is answered at once.
        assert client.post("/login", data=wrong).status_code == 400
