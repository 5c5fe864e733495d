"""The library as every request of the app sees it: one Pipeline, swapped whole after each change.

An upload, a correction or a removal builds the new index version on disk and then swaps in a
freshly loaded Pipeline, so a question being answered keeps the index it started with and never
sees a half-updated one. Another process's changes (`newsqa index`, a feed indexer writing to
the same Milvus) are loaded the same way.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from index.build import IndexBuilder, IndexReport
from index.documents import Article
from index.embed import Embedder
from index.errors import (
    DiskError,
    IndexCorruptError,
    IndexLockedError,
    IndexMissingError,
    NewsqaError,
    UnknownDocumentError,
    disk_error,
)
from index.feeds import Feed, FeedBook
from index.settings import Settings
from index.store import open_store
from index.stored import StoredIndex, indexed_outlets
from qa.pipeline import Pipeline
from qa.watches import Watch, WatchBook

log = logging.getLogger(__name__)
Changed = TypeVar("Changed")
FOLLOW_SECONDS = 5.0  # how often the server looks for changes made by other processes
# A disk problem in the app's words: the server's log has the path and the command-line fix.
DISK_WORDS = {
    "full": "The server's disk is full, so nothing was changed in the library. Whoever runs "
    "the server can free some space and then it works again.",
    "read-only": "The library is kept on a read-only disk on the server, so nothing can be "
    "added, corrected or removed. Whoever runs the server can move it to a writable disk.",
    "permission": "The server is not allowed to write where the library is kept, so nothing "
    "was changed. Whoever runs the server can give it permission.",
    "other": "The server could not write to its disk, so nothing was changed in the library. "
    "Whoever runs the server can find the reason in its log.",
}


def disk_refusal(error: DiskError | OSError, doing: str) -> NewsqaError:
    """A disk problem met while `doing`, in the app's words; the server's log gets the path and
    the command-line fix."""
    problem = error if isinstance(error, DiskError) else disk_error(error, doing)
    log.error("%s", problem)
    return NewsqaError(DISK_WORDS[problem.reason])


def outlets_of(index: StoredIndex) -> list[str]:
    """The outlets the library's articles name, for the chat's outlet filter."""
    return sorted(indexed_outlets(index.articles))


class LiveIndex:
    """The pipeline every request uses, swapped whole after each change to the index."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self._store = open_store(settings)
        self._pipeline = Pipeline.load(settings, embedder)
        self._write_lock = threading.Lock()
        self.updated_at = dt.datetime.now()  # when the pipeline was last loaded
        self.watching: Path | None = None  # a live folder (`serve --watch`)
        self.following = False  # feeds are polled (`serve --follow`, or one followed here)
        self._follow_lock = threading.Lock()
        self._watch_lock = threading.Lock()
        # When a watch was added or asked again: the Watching tab refreshes after it.
        self.watches_changed_at = dt.datetime.now()
        self.indexing = False  # a change is being written now

    @property
    def pipeline(self) -> Pipeline:
        return self._pipeline

    @property
    def uploads_dir(self) -> Path:
        """Where uploaded files are kept: inside the index folder, so that no two indexes (nor
        an index at the filesystem's root) share one."""
        return self.settings.index_dir.resolve() / "uploads"

    def outlets(self) -> list[str]:
        return outlets_of(self._pipeline.index)

    def add_files(
        self, paths: list[Path], progress: Any = None, replace: bool = False
    ) -> IndexReport:
        """Indexes uploaded files. An article already indexed from another file is a conflict
        for the user to decide on, unless `replace`."""

        def report_progress(done: int, total: int) -> None:
            if progress is not None:
                progress(done / max(total, 1), desc=f"Embedding {done}/{total} chunks")

        def add(builder: IndexBuilder) -> IndexReport:
            return builder.run(paths, progress=report_progress, replace=replace)

        before = [Path(a.path) for a in self._pipeline.index.articles.values()]
        report = self._change(add)
        held_back = {c.path for c in report.conflicts}  # until the user decides
        self.forget_uploads([p for p in [*paths, *before] if str(p.resolve()) not in held_back])
        return report

    def index_folder_changes(self, files: list[Path]) -> IndexReport:
        """Indexes new or changed files of the live folder and drops articles whose files are
        gone (index.watch calls this as files settle)."""
        report = self._change(lambda builder: builder.run(files, prune=True, within=self.watching))
        if report.changed:
            log.info(
                "live folder: %d added, %d updated, %d removed; %d articles",
                len(report.added), len(report.updated), len(report.removed),
                report.articles_total,
            )  # fmt: skip
        return report

    def index_feed_entries(self, files: list[Path]) -> IndexReport:
        """Indexes entry files a feed poll kept (index.feeds calls this)."""
        report = self._change(lambda builder: builder.run(files))
        if report.changed:
            log.info("feeds: %d added; %d articles", len(report.added), report.articles_total)
        return report

    def start_following(self) -> None:
        """Polls the followed feeds on their interval from now on, on a thread of its own."""
        from index.feeds import FeedFollower

        with self._follow_lock:
            if self.following:
                return
            self.following = True
        follower = FeedFollower(self.settings, self.index_feed_entries)
        stop = threading.Event()
        threading.Thread(
            target=follower.run, args=(stop,), name="newsqa-feeds", daemon=True
        ).start()

    def feeds(self) -> list[Feed]:
        """The followed feeds' rows; none when their list can't be read (the log says why)."""
        try:
            return FeedBook(self.settings.index_dir).feeds()
        except NewsqaError as error:
            log.warning("%s", error)
            return []

    def follow(self, url: str) -> tuple[Feed, bool]:
        """Follows the feed at `url` and polls the feeds from now on: its first poll starts
        within a second. False when it was followed already."""
        try:
            followed = FeedBook(self.settings.index_dir).add(url)
        except OSError as error:
            raise disk_refusal(error, "following a feed") from None
        self.start_following()
        return followed

    def unfollow(self, url: str) -> Feed:
        """Stops following a feed; the articles it brought in stay in the library."""
        try:
            return FeedBook(self.settings.index_dir).remove(url)
        except OSError as error:
            raise disk_refusal(error, "unfollowing a feed") from None

    def status(self) -> str:
        """One line for the page: how many articles, when the library last changed, and
        whether a live folder is being followed."""
        count = len(self._pipeline.index.articles)
        when = self.updated_at
        shown = f"{when:%H:%M:%S}" if when.date() == dt.date.today() else f"{when:%d %b %Y %H:%M}"
        parts = [f"{count:,} article{'s' * (count != 1)}", f"updated {shown}"]
        if self.indexing:
            parts.append("indexing new files…")
        elif self.watching is not None:
            parts.append("new files in the live folder are added as they arrive")
        return " · ".join(parts)

    def remove(self, doc_id: str) -> Article:
        article = self._pipeline.index.articles.get(doc_id)
        self._change(lambda builder: builder.remove([doc_id]))
        assert article is not None  # the builder refuses unknown ids
        self.forget_uploads([Path(article.path)])
        return article

    def correct(self, doc_id: str, values: dict[str, str | None], reset: bool = False) -> Article:
        return self._change(lambda builder: builder.correct(doc_id, values, reset))

    def _change(self, change: Callable[[IndexBuilder], Changed]) -> Changed:
        """One change to the index under the write lock, then the new version swapped in. Errors
        come out in the app's words: the builder's name server paths and commands."""
        with self._write_lock:
            builder = IndexBuilder(self.settings, self._pipeline.embedder)
            self.indexing = True
            try:
                result = change(builder)
            except IndexLockedError:
                raise NewsqaError(
                    "Another program is changing the library right now. Try again in a minute."
                ) from None
            except UnknownDocumentError:
                raise NewsqaError("That article is no longer in the library.") from None
            except (IndexCorruptError, IndexMissingError) as error:
                log.error("%s", error)
                raise NewsqaError(
                    "The library could not be read on the server, so nothing was changed. The "
                    "server's log says how to rebuild it."
                ) from None
            except (DiskError, OSError) as error:
                raise disk_refusal(error, "indexing") from None
            except NewsqaError:
                raise
            except Exception:
                # Whatever else fails inside: the page says so in a sentence, the log has where.
                log.exception("changing the library failed")
                raise NewsqaError(
                    "Something went wrong on the server, so nothing was changed in the library. "
                    "Whoever runs the server can find the details in its log."
                ) from None
            finally:
                self.indexing = False
            if not isinstance(result, IndexReport) or result.saved:
                self._pipeline = Pipeline.load(self.settings, self._pipeline.embedder)
                self.updated_at = dt.datetime.now()
        if isinstance(result, IndexReport) and (result.added or result.updated):
            threading.Thread(target=self.check_watches, name="newsqa-watches", daemon=True).start()
        return result

    def watch(self, question: str) -> tuple[Watch, bool]:
        """Watches `question` as answered now; False when it was watched already."""
        try:
            watched = WatchBook(self.settings.index_dir).add(self._pipeline, question)
        except OSError as error:
            raise disk_refusal(error, "watching a question") from None
        self.watches_changed_at = dt.datetime.now()
        return watched

    def check_watches(self) -> None:
        """Asks the watched questions again on the library as it is now, and marks changes
        (qa.watches). One check at a time; a failure is logged, never the caller's."""
        with self._watch_lock:
            try:
                book = WatchBook(self.settings.index_dir)
                if book.watches():
                    changed = book.check(self._pipeline)
                    for watch, change in changed:
                        log.info("watched answer changed: %s: %s", watch.question, change.summary)
            except Exception:
                log.exception("checking the watched questions failed")
            self.watches_changed_at = dt.datetime.now()

    def follow_other_writers(self) -> None:
        """Loads the index again when another process changed it (`newsqa index`, a feed
        indexer on another machine writing to the same Milvus). Runs on its own thread."""
        while True:
            time.sleep(FOLLOW_SECONDS)
            if not self._write_lock.acquire(blocking=False):
                continue  # this app is writing; it loads the result itself
            try:
                if self._store.changed_since(self._pipeline.index):
                    self._pipeline = Pipeline.load(self.settings, self._pipeline.embedder)
                    self.updated_at = dt.datetime.now()
                    log.info("the index was changed by another process: loaded it again")
            except NewsqaError as error:
                log.warning("could not check the index for changes: %s", error)
            finally:
                self._write_lock.release()

    def forget_uploads(self, paths: list[Path]) -> None:
        """Deletes uploaded files no indexed article comes from any more (rejected, replaced,
        removed, or copies of what was indexed). Files outside the uploads folder are the
        user's own and are never touched."""
        in_use = {Path(a.path) for a in self._pipeline.index.articles.values()}
        uploads = self.uploads_dir
        for path in paths:
            path = path.resolve()
            if uploads not in path.parents or path in in_use:
                continue
            path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                path.parent.rmdir()  # only when empty
