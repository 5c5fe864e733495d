"""What the models computed, kept by the text they read, so no text goes through a model twice.

Two kinds of entry, each keyed by a 128-bit hash of what made it and the exact text it read:
- a chunk's embedding: its unit vector (float32) and the sums of its sentences' token vectors
  (float16, as the index stores them), for one embedder (backend and model) and one list of
  sentence spans;
- a story section's entities, for one recogniser recipe (index.entities.recipe()).

The cache lives in INDEX_DIR/cache/models.sqlite, beside the index versions and outliving them:
rebuilding from the same articles, re-adding a copy, or re-indexing after a format change costs
no model time. It is bounded (`cache_mb`): past it, the entries stored longest ago go first.
SQLite commits a batch whole or not at all, so a kill -9 mid-write loses at most that batch.
A cache that can't be read or written is set aside with a warning and the build goes on without
it: a cache is never the reason a build fails.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from index.settings import Settings

log = logging.getLogger(__name__)

FOLDER, FILE = "cache", "models.sqlite"
EMBEDDING, ENTITIES = b"embedding", b"entities"
# SQLite takes at most 32,766 parameters a statement; lookups go in slices well below it.
LOOKUP_SLICE = 900


def cache_key(kind: bytes, maker: str, text: str, spans: Sequence[tuple[int, int]] = ()) -> bytes:
    import xxhash

    digest = xxhash.xxh3_128()
    for part in (kind, maker.encode("utf-8"), text.encode("utf-8", "surrogatepass")):
        digest.update(len(part).to_bytes(8, "little") + part)
    digest.update(np.asarray(spans, dtype=np.int64).reshape(-1, 2).tobytes())
    return digest.digest()


def model_cache(settings: Settings) -> ModelCache:
    """The model cache of the index the settings name, at its configured size."""
    return ModelCache(settings.index_dir / FOLDER, settings.index.cache_mb)


class ModelCache:
    """One cache file. Every method is safe to call whatever state the file is in: a failure
    turns the cache off for this process (after moving a damaged file aside) and reads as a miss."""

    def __init__(self, folder: Path, size_mb: float) -> None:
        self.path = Path(folder) / FILE
        self.limit = int(size_mb * 2**20)
        self._db: sqlite3.Connection | None = None
        self._off = self.limit <= 0
        self.hits = 0
        self.misses = 0

    # -- embeddings ----------------------------------------------------------------------------

    def embeddings(
        self, maker: str, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> list[tuple[np.ndarray, np.ndarray] | None]:
        """(unit vector, sentence sums) for each text found, None for each that is not."""
        keys = [cache_key(EMBEDDING, maker, t, s) for t, s in zip(texts, spans, strict=True)]
        found = self._get(keys)
        results: list[tuple[np.ndarray, np.ndarray] | None] = []
        for key, own_spans in zip(keys, spans, strict=True):
            value = found.get(key)
            # float32 vector, then a float16 sum per span: dim * (4 + 2 * spans) bytes.
            dim, rest = divmod(len(value or b""), 4 + 2 * len(own_spans))
            if value is None or rest or not dim:
                results.append(None)
                continue
            vector = np.frombuffer(value, dtype=np.float32, count=dim)
            sums = np.frombuffer(value, dtype=np.float16, offset=dim * 4)
            results.append((vector.copy(), sums.reshape(len(own_spans), dim).copy()))
        self._count(results)
        return results

    def keep_embeddings(
        self,
        maker: str,
        texts: Sequence[str],
        spans: Sequence[Sequence[tuple[int, int]]],
        vectors: np.ndarray,
        sums: Sequence[np.ndarray],
    ) -> None:
        rows = (
            (
                cache_key(EMBEDDING, maker, text, own_spans),
                np.asarray(vector, dtype=np.float32).tobytes()
                + np.asarray(own_sums, dtype=np.float16).tobytes(),
            )
            for text, own_spans, vector, own_sums in zip(texts, spans, vectors, sums, strict=True)
        )
        self._put(rows)

    # -- entities ------------------------------------------------------------------------------

    def entities(
        self, recipe: str, texts: Sequence[str]
    ) -> list[list[tuple[int, int, int]] | None]:
        """(start, end, label) rows of each text found, None for each that is not."""
        keys = [cache_key(ENTITIES, recipe, text) for text in texts]
        found = self._get(keys)
        results: list[list[tuple[int, int, int]] | None] = []
        for key in keys:
            value = found.get(key)
            if value is None or len(value) % 12:
                results.append(None)
                continue
            rows = np.frombuffer(value, dtype=np.int32).reshape(-1, 3)
            results.append([(int(s), int(e), int(label)) for s, e, label in rows])
        self._count(results)
        return results

    def keep_entities(
        self, recipe: str, texts: Sequence[str], found: Sequence[Sequence[tuple[int, int, int]]]
    ) -> None:
        self._put(
            (
                cache_key(ENTITIES, recipe, text),
                np.asarray(rows, dtype=np.int32).reshape(-1, 3).tobytes(),
            )
            for text, rows in zip(texts, found, strict=True)
        )

    # -- storage -------------------------------------------------------------------------------

    def describe(self) -> dict[str, int]:
        """Entries and bytes in use, for `newsqa info` and the benchmarks (makes no file)."""
        db = self._open() if self.path.exists() else None
        if db is None:
            return {"entries": 0, "bytes": 0}
        with self._guard():
            entries = db.execute("SELECT count(*) FROM entries").fetchone()[0]
            return {"entries": int(entries), "bytes": self._used(db)}
        return {"entries": 0, "bytes": 0}

    def close(self) -> None:
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None

    def _count(self, results: Sequence[object | None]) -> None:
        hits = sum(result is not None for result in results)
        self.hits += hits
        self.misses += len(results) - hits

    def _get(self, keys: list[bytes]) -> dict[bytes, bytes]:
        db = self._open()
        found: dict[bytes, bytes] = {}
        if db is None or not keys:
            return found
        with self._guard():
            for offset in range(0, len(keys), LOOKUP_SLICE):
                wanted = keys[offset : offset + LOOKUP_SLICE]
                marks = ",".join("?" * len(wanted))
                query = f"SELECT key, value FROM entries WHERE key IN ({marks})"
                found.update(db.execute(query, wanted).fetchall())
        return found

    def _put(self, rows: Iterable[tuple[bytes, bytes]]) -> None:
        db = self._open()
        if db is None:
            return
        with self._guard():
            with db:  # one transaction: all of it is kept, or none after a crash
                db.executemany("INSERT OR REPLACE INTO entries (key, value) VALUES (?, ?)", rows)
            self._trim(db)

    def _trim(self, db: sqlite3.Connection) -> None:
        """Past the limit, the oldest entries go until a tenth of the limit is free again.
        REPLACE gives a re-stored entry a new row number, so row order is storing order."""
        used = self._used(db)
        if used <= self.limit:
            return
        entries = db.execute("SELECT count(*) FROM entries").fetchone()[0]
        if not entries:
            return
        share = min(1.0, (used - 0.9 * self.limit) / used)
        drop = max(1, int(entries * share))
        with db:
            db.execute(
                "DELETE FROM entries WHERE rowid <= "
                "(SELECT rowid FROM entries ORDER BY rowid LIMIT 1 OFFSET ?)",
                (drop - 1,),
            )

    @staticmethod
    def _used(db: sqlite3.Connection) -> int:
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        free = db.execute("PRAGMA freelist_count").fetchone()[0]
        size = db.execute("PRAGMA page_size").fetchone()[0]
        return int((pages - free) * size)

    def _open(self) -> sqlite3.Connection | None:
        if self._off:
            return None
        if self._db is not None:
            return self._db
        with self._guard():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS entries (rowid INTEGER PRIMARY KEY AUTOINCREMENT, "
                "key BLOB UNIQUE NOT NULL, value BLOB NOT NULL)"
            )
            self._db = db
        return self._db

    @contextlib.contextmanager
    def _guard(self):  # type: ignore[no-untyped-def]
        """Any failure of the cache turns it off for this process; a damaged file is moved
        aside so the next build starts a fresh one."""
        try:
            yield
        except (sqlite3.Error, OSError, ValueError) as error:
            self._off = True
            self.close()
            damaged = isinstance(error, sqlite3.DatabaseError) and not isinstance(
                error, sqlite3.OperationalError
            )
            if damaged and self.path.exists():
                aside = self.path.with_name(f"{FILE}.damaged-{int(time.time())}")
                with contextlib.suppress(OSError):
                    self.path.rename(aside)
                    for suffix in ("-wal", "-shm"):
                        self.path.with_name(FILE + suffix).unlink(missing_ok=True)
                log.warning("The model cache %s was damaged (%s); set aside as %s and started "
                            "afresh next time.", self.path, error, aside.name)  # fmt: skip
            else:
                log.warning("The model cache %s can't be used (%s); going on without it.",
                            self.path, error)  # fmt: skip
