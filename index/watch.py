"""A live folder: files added, changed or removed under it are indexed once they are complete.

`FolderWatcher.run` first brings the index in line with the folder (new and changed files
indexed, articles of deleted files dropped), then follows the folder's changes with watchfiles.
A file is indexed only when its size and modification time have stayed the same for
`settle_seconds`, so a file still being copied is never read half-written; temporary names
("a.txt.part", ".a.txt.x1Y2", "~a.txt") are never read at all, since only the loader's own
suffixes are. Each batch is one `apply(changed)` call, made when files have settled or some
are gone; the caller does the write (incremental, dropping articles whose files are gone), the
app through its write lock, so questions keep being answered from the last version. A batch
that fails (another program holds the index) is tried again a few seconds later.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from index.errors import NewsqaError
from index.load import SUPPORTED_SUFFIXES

log = logging.getLogger(__name__)

# How often the folder is looked at again while a file is settling or nothing happens.
POLL_MS = 250
RETRY_SECONDS = 5.0


@dataclass(slots=True)
class Settling:
    """A changed file, and how it looked when last seen."""

    size: int
    mtime_ns: int
    since: float  # monotonic time it was first seen like this


@dataclass
class FolderWatcher:
    folder: Path
    apply: Callable[[list[Path]], object]  # index these files; drop articles of gone files
    settle_seconds: float = 1.0
    stop: threading.Event = field(default_factory=threading.Event)
    _settling: dict[Path, Settling] = field(default_factory=dict)
    _pending: set[Path] = field(default_factory=set)  # settled, not yet indexed
    _gone: bool = False
    _retry_at: float = 0.0

    def run(self) -> None:
        """Indexes the folder, then its changes, until `stop` is set."""
        import watchfiles

        self._pending = {p for p in self.folder.rglob("*") if p.is_file() and wanted(p)}
        self._gone = True  # whatever went while nobody watched
        self._apply_ready()
        for changes in watchfiles.watch(
            self.folder,
            watch_filter=lambda _change, path: wanted(Path(path)),
            stop_event=self.stop,
            debounce=POLL_MS,
            step=50,
            rust_timeout=POLL_MS,
            yield_on_timeout=True,
            raise_interrupt=False,
            ignore_permission_denied=True,
        ):
            for change, name in changes:
                path = Path(name)
                if change == watchfiles.Change.deleted:
                    self._settling.pop(path, None)
                    self._pending.discard(path)
                    self._gone = True
                else:
                    self._look_at(path)
            for path in list(self._settling):
                self._look_at(path)  # still growing: its clock starts again
            self._apply_ready()

    def _look_at(self, path: Path) -> None:
        try:
            status = path.stat()
        except OSError:
            self._settling.pop(path, None)
            self._gone = True
            return
        seen = self._settling.get(path)
        if seen is None or (seen.size, seen.mtime_ns) != (status.st_size, status.st_mtime_ns):
            self._settling[path] = Settling(status.st_size, status.st_mtime_ns, time.monotonic())

    def _apply_ready(self) -> None:
        now = time.monotonic()
        for path, seen in list(self._settling.items()):
            if now - seen.since >= self.settle_seconds:
                self._pending.add(path)
                del self._settling[path]
        if not (self._pending or self._gone) or now < self._retry_at:
            return
        batch = sorted(p for p in self._pending if p.exists())
        try:
            self.apply(batch)
        except NewsqaError as error:
            log.warning("%s; trying again in %.0f s", error, RETRY_SECONDS)
            self._retry_at = now + RETRY_SECONDS
            return
        except Exception:  # one bad batch must not end the watching
            log.exception("indexing %d changed files failed", len(batch))
            self._retry_at = now + RETRY_SECONDS
            return
        self._pending.clear()
        self._gone = False


def wanted(path: Path) -> bool:
    """A file the loader reads, not a hidden or temporary one."""
    return path.suffix.lower() in SUPPORTED_SUFFIXES and not path.name.startswith((".", "~"))
