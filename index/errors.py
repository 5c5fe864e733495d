"""The project's exceptions: each message tells the user what to do next.

The CLI prints them as one line with a non-zero exit code; the UI shows them as a notice.
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path


class NewsqaError(Exception):
    """Base class; the message is meant for the user."""


class IndexMissingError(NewsqaError):
    pass


class IndexCorruptError(NewsqaError):
    pass


class IndexLockedError(NewsqaError):
    pass


class ModelUnavailableError(NewsqaError):
    pass


class BadQuestionError(NewsqaError):
    pass


class UnknownDocumentError(NewsqaError):
    pass


class BadCorrectionError(NewsqaError):
    pass


class StoreUnavailableError(NewsqaError):
    """Milvus can't be reached, or refused a request."""


class DiskError(NewsqaError):
    """A file could not be written: the disk is full or read-only, or the folder is not ours to
    write. `reason` says which in a word ("full", "read-only", "permission", "other"), for the app
    to say it in its own words; the message names the path and what to do."""

    def __init__(self, message: str, reason: str, path: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.path = path


def disk_error(error: OSError, doing: str, where: object = None) -> DiskError:
    """`error` (raised while `doing`, e.g. "writing the index") as one line naming the path and
    what to do; `where` stands in for the path when the error names none."""
    path = str(error.filename or where or "the disk")
    reason = DISK_REASONS.get(error.errno or 0, "other")
    advice = {
        "full": f"No space left on the disk for {path} while {doing}: free some space, or give "
        "--index-dir a folder on another disk, and run it again",
        "read-only": f"{path} is on a read-only file system, so {doing} is not possible: give "
        "--index-dir a folder on a writable disk",
        "permission": f"No permission to write {path} while {doing}: run newsqa as a user who "
        "may write there, or give --index-dir another folder",
        "other": f"Could not write {path} while {doing} "
        f"({error.strerror or type(error).__name__}): check the disk and run it again",
    }[reason]
    return DiskError(f"{advice} (nothing in the index was changed).", reason, path)


def write_failure(
    error: BaseException, doing: str, where: Path, needed_bytes: float
) -> DiskError | None:
    """`error`, raised while `doing` wrote into `where`, as a DiskError when the disk is to
    blame: an OSError with an errno as itself, and any other error as a full disk when less than
    `needed_bytes` are free there (writers in C and C++, FAISS's and the ONNX exporter's, report
    a full disk as a failed or corrupt write). None when the disk is not to blame."""
    if isinstance(error, OSError) and error.errno is not None:
        return disk_error(error, doing, where)
    # A writer may report a short write as an OSError without an errno: judge by free space.
    if isinstance(error, Exception) and free_bytes(where) < needed_bytes:
        full = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(where))
        return disk_error(full, doing)
    if isinstance(error, OSError):
        return disk_error(error, doing, where)
    return None


def free_bytes(path: Path) -> int:
    """Free space on the disk that holds `path`, or its nearest folder that exists."""
    for folder in (path, *path.parents):
        if folder.exists():
            return shutil.disk_usage(folder).free
    return 0


DISK_REASONS = {
    errno.ENOSPC: "full",
    errno.EDQUOT: "full",
    errno.EROFS: "read-only",
    errno.EACCES: "permission",
    errno.EPERM: "permission",
}
