"""A small JSON file that several processes change: every change is a read, a change and a
whole-file replace under a lock, so a reader never sees half a file and no change is lost (the
list of followed feeds, the watched questions)."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from index.errors import NewsqaError

Result = TypeVar("Result")


class LockedJsonFile:
    def __init__(self, path: Path, what: str) -> None:
        self.path = path
        self.what = what  # how the user knows it: "the list of followed feeds"

    def read(self) -> Any:
        """The file's value; None when there is no file yet."""
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            raise NewsqaError(
                f"{self.what}, {self.path}, can't be read ({error}); move it away to start "
                "a new one"
            ) from None

    def change(self, change: Callable[[Any], tuple[Any, Result]]) -> Result:
        """Applies `change(value) -> (new value, result)` under the lock; returns the result.
        A new value of None leaves the file as it was."""
        with self._locked():
            value, result = change(self.read())
            if value is not None:
                self._write(value)
        return result

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(f".{self.path.name}.lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _write(self, value: Any) -> None:
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        temporary.write_text(json.dumps(value, indent=1, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, self.path)
