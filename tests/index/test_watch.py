"""A live folder, with the real builder and the real file watcher: files are indexed once they
are complete, changes and removals follow, temporary names are never read."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from index.build import IndexBuilder, IndexReport
from index.embed import Embedder
from index.settings import Settings
from index.store import LocalStore
from index.watch import FolderWatcher, wanted
from tests.conftest import SEEDS

STORY = (
    "Glimmerfjord ferry line to close\n\n"
    "GLIMMERFJORD - The ferry line between Glimmerfjord and Skarvøy will close in October after "
    "61 years, the county transport office said on Tuesday. A new bridge makes the crossing in "
    "four minutes.\n"
)


class Watched:
    """A watcher running on its own thread, and every report its batches gave."""

    def __init__(self, folder: Path, settings: Settings, embedder: Embedder) -> None:
        builder = IndexBuilder(settings, embedder)
        self.settings = settings
        self.reports: list[IndexReport] = []

        def apply(files: list[Path]) -> IndexReport:
            report = builder.run(files, prune=True)
            self.reports.append(report)
            return report

        self.watcher = FolderWatcher(folder, apply, settle_seconds=1.0)
        self.thread = threading.Thread(target=self.watcher.run, daemon=True)
        self.thread.start()

    def articles(self) -> dict[str, str]:
        store = LocalStore(self.settings.index_dir)
        return {d: a.text for d, a in store.load().articles.items()} if store.exists() else {}

    def wait_for(self, check: Callable[[dict[str, str]], bool], seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if check(self.articles()):
                return
            time.sleep(0.2)  # polling the index the watcher writes
        raise AssertionError(f"not seen within {seconds} s: {self.articles().keys()}")


@pytest.fixture
def watched(tmp_path: Path, embedder: Embedder) -> Iterator[tuple[Path, Watched]]:
    folder = tmp_path / "live"
    folder.mkdir()
    shutil.copy(SEEDS / "000_b32fb440e881743b.txt", folder / "tass.txt")
    watching = Watched(folder, Settings(index_dir=tmp_path / ".newsqa"), embedder)
    yield folder, watching
    watching.watcher.stop.set()
    watching.thread.join(10)


def test_what_is_there_is_indexed_first_then_new_changed_and_removed_files(
    watched: tuple[Path, Watched],
) -> None:
    folder, watching = watched
    watching.wait_for(lambda articles: "tass" in articles)

    # A file copied in two halves, a moment apart, is read only when whole.
    target = folder / "ferry.txt"
    with target.open("w", encoding="utf-8") as out:
        out.write(STORY[:80])
        out.flush()
        time.sleep(0.6)
        out.write(STORY[80:])
    # A download's temporary name and an editor's backup are never read.
    (folder / "ferry.txt.part").write_text("half a download", encoding="utf-8")
    (folder / "~ferry.txt").write_text("a backup", encoding="utf-8")
    watching.wait_for(lambda articles: "ferry" in articles)
    assert watching.articles()["ferry"] == STORY
    assert not any("ferry" in r.updated for r in watching.reports)  # never a half first

    # A change, then a removal.
    target.write_text(STORY.replace("October", "November"), encoding="utf-8")
    watching.wait_for(lambda articles: "November" in articles.get("ferry", ""))
    target.unlink()
    watching.wait_for(lambda articles: "ferry" not in articles)
    assert set(watching.articles()) == {"tass"}


def test_only_the_loaders_own_kinds_of_file_are_wanted() -> None:
    assert wanted(Path("a.txt")) and wanted(Path("feed.JSONL")) and wanted(Path("page.html"))
    for name in ("a.txt.part", ".a.txt.Xy12z", "~a.txt", "a.crdownload", "image.png"):
        assert not wanted(Path(name))
