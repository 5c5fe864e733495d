"""Starts the real app (`newsqa serve`) on loopback, and a real Chromium driven by Playwright."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from index.settings import Settings
from tests.conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningApp:
    url: str
    index_dir: Path
    process: subprocess.Popen[bytes]


def start_app(
    index_dir: Path,
    env: dict[str, str] | None = None,
    timeout: float = 180,
    args: list[str] | None = None,
    log_dir: Path | None = None,
) -> RunningApp:
    """`newsqa serve` on `index_dir`, its output in serve-PORT.log beside the index folder (or
    in `log_dir`)."""
    port = free_port()
    log = open((log_dir or index_dir.parent) / f"serve-{port}.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "ui.cli", "serve", "--port", str(port), "--index-dir", str(index_dir),
         "--seeds", str(ROOT / "seeds"), *(args or [])],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"newsqa serve exited: {Path(log.name).read_text()[-2000:]}")
        try:
            if httpx.get(url, timeout=2).status_code in (200, 401):
                return RunningApp(url, index_dir, process)
        except httpx.HTTPError:
            time.sleep(0.5)  # polling the server's start-up
    process.kill()
    raise RuntimeError("newsqa serve did not start in time")


def stop_app(app: RunningApp) -> None:
    app.process.terminate()
    try:
        app.process.wait(20)
    except subprocess.TimeoutExpired:
        app.process.kill()


@contextlib.contextmanager
def own_app_page(browser: Any, corpus: Path, embedder: Any) -> Iterator[Any]:
    """`corpus` indexed in a folder of its own, the app started on it and a desktop page open
    at it (the question box ready); all closed after."""
    from index.build import IndexBuilder

    settings = Settings(index_dir=corpus.parent / ".newsqa")
    IndexBuilder(settings, embedder).run([corpus])
    app = start_app(settings.index_dir)
    try:
        with app_page(browser, app) as page:
            yield page
    finally:
        stop_app(app)


@contextlib.contextmanager
def app_page(browser: Any, app: RunningApp) -> Iterator[Any]:
    """A desktop page open at the running app, its question box ready; closed after."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        page.goto(app.url, wait_until="load")
        page.locator("#nq-question textarea").wait_for(timeout=120_000)
        yield page
    finally:
        context.close()


@pytest.fixture(scope="session")
def running_app(
    seed_index: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningApp]:
    """The app on a private copy of the seed index (uploads change it)."""
    index_dir = tmp_path_factory.mktemp("app") / ".newsqa"
    shutil.copytree(seed_index.index_dir, index_dir)
    app = start_app(index_dir)
    yield app
    stop_app(app)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
