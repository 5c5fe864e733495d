"""Takes docs/screenshot.png: the real app on the seeds, after a seed question, in Chromium.

.venv/bin/python -m bench.screenshot
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from index.build import IndexBuilder
from index.settings import Settings
from tests.app_fixtures import CHROMIUM, CHROMIUM_ARGS, start_app, stop_app

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "When did Kim Jong Un leave Pyongyang for Russia?"


def main() -> None:
    work = Path(tempfile.mkdtemp())
    index_dir = work / ".newsqa"
    IndexBuilder(Settings(index_dir=index_dir)).run([ROOT / "seeds"])
    app = start_app(index_dir)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(app.url, wait_until="load")
            page.locator("#nq-question textarea").fill(QUESTION)
            page.locator("#nq-send").click()
            page.locator("#nq-sources .nq-card").first.wait_for(timeout=120_000)
            (ROOT / "docs").mkdir(exist_ok=True)
            page.screenshot(path=str(ROOT / "docs" / "screenshot.png"), full_page=True)
            browser.close()
    finally:
        stop_app(app)
        shutil.rmtree(work, ignore_errors=True)
    print(f"wrote {ROOT / 'docs' / 'screenshot.png'}")


if __name__ == "__main__":
    main()
