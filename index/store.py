"""Where an index lives, behind one interface (`Store`), and the local folder that is the default.

`open_store(settings)` gives the store the settings name: this machine's index folder
(`LocalStore`, below) or Milvus when `NEWSQA_STORE__URI` is set (index.milvus_store). The builder
writes `IndexChanges` through it; the CLI, the app, eval and bench load a `StoredIndex` from it
(both in index.stored, which both stores import: index.milvus_store imports nothing from here).

The local folder:
    INDEX_DIR/CURRENT            name of the complete version in use (replaced atomically)
    INDEX_DIR/LOCK               held by the one writer
    INDEX_DIR/versions/<name>/   manifest.json, articles.json (every field but the text, a list
                                 for each field), texts.bin
                                 (the texts, UTF-8, one after another) and text_offsets.npy,
                                 copy_groups.npy, chunks.npy (int32 columns: article number,
                                 chunk number, start, end),
                                 dense.faiss (the chunk vectors, float16), bm25/,
                                 sentence_ranges.npy (each article's first and last sentence
                                 row), sentence_spans.npy, sentence_vectors.npy
                                 and sentence_scales.npy (int8 codes, a scale per row),
                                 sentence_entities.npy,
                                 article_signatures.npy (MinHash, index.syndication)
The vector and BM25 files are memory-mapped when loaded: opening an index reads little more
than its article and chunk lists, and a question pages in the rows it touches.
A writer builds a whole new version beside the old one and only then points CURRENT at it, so a
reader (or a crash at any moment) sees either the old index or the new one, never a mix.
articles.json also holds the outlets or dates a person set by hand, if any;
copy_groups.npy numbers the groups of articles that are copies of one another.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import mmap
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from index.documents import Article, Chunk, Correction, TextFile
from index.errors import (
    IndexCorruptError,
    IndexLockedError,
    IndexMissingError,
    disk_error,
    write_failure,
)
from index.search import LocalSearch
from index.sentences import QuantizedRows, RowRanges, SentenceTable
from index.settings import RetrievalSettings, Settings
from index.stored import (
    FORMAT_VERSION,
    ArticleTable,
    ChunkTable,
    IndexChanges,
    Manifest,
    StoredIndex,
    bm25_text,
    bm25_tokenize,
    load_bm25s,
)
from index.syndication import copy_groups, signature

CURRENT = "CURRENT"
CHUNKS = "chunks.npy"
TEXTS, TEXT_OFFSETS = "texts.bin", "text_offsets.npy"
ARTICLES = "articles.json"
SENTENCE_RANGES = "sentence_ranges.npy"
COPY_GROUPS = "copy_groups.npy"
VERIFIED = "verified.json"
SIGNATURES = "article_signatures.npy"
VERSIONS = "versions"
# Versions a reader tries when each it opens is replaced by a writer while it reads it.
READ_TRIES = 3
FLAT = "flat-fp16"


def ivf_lists(rows: int) -> int:
    """IVF list count for `rows` vectors: about 1,000 vectors a list, at least 64 lists."""
    return int(max(64, min(4096, rows // 1000)))


def build_dense_index(embeddings: np.ndarray, exact_max: int) -> tuple[Any, str]:
    """The one stored copy of the chunk vectors, in float16 (to 1e-3 of float32, so nothing
    is re-scored): searched exactly up to `exact_max` vectors, above it through IVF lists. Either
    gives back any row's vector (`reconstruct_batch`; the IVF index keeps a row map for it)."""
    import faiss

    dim = embeddings.shape[1]
    dense: Any
    if len(embeddings) <= exact_max:
        dense = faiss.IndexScalarQuantizer(
            dim, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT
        )
        if len(embeddings):
            dense.add(embeddings)
        return dense, FLAT
    lists = ivf_lists(len(embeddings))
    dense = faiss.index_factory(dim, f"IVF{lists},SQfp16", faiss.METRIC_INNER_PRODUCT)
    sample = np.random.default_rng(0).choice(
        len(embeddings), size=min(len(embeddings), lists * 64), replace=False
    )
    dense.train(embeddings[np.sort(sample)])
    dense.add(embeddings)
    dense.make_direct_map()
    return dense, f"ivf{lists}-fp16"


def read_dense_index(path: Path, kind: str) -> Any:
    """A stored dense index, memory-mapped: opening it reads nothing, whatever its size, and a
    query pages in only the vectors (or IVF lists) it scans. FAISS maps the two kinds through
    different flags."""
    import faiss

    flag = faiss.IO_FLAG_MMAP if kind.startswith("ivf") else faiss.IO_FLAG_MMAP_IFC
    return faiss.read_index(str(path), flag)


def build_bm25(articles: dict[str, Article], chunks: list[Chunk]) -> Any:
    bm25s = load_bm25s()

    bm25 = bm25s.BM25()
    if chunks:
        bm25.index(
            bm25_tokenize([bm25_text(articles[c.doc_id], c) for c in chunks]), show_progress=False
        )
    return bm25


@dataclasses.dataclass(frozen=True, slots=True)
class NewVersion:
    """Everything one version of the local index holds, before it is written."""

    manifest: Manifest
    articles: dict[str, Article]
    hashes: dict[str, str]
    chunks: list[Chunk]
    embeddings: np.ndarray
    dense: Any
    bm25: Any
    sentences: SentenceTable
    corrections: dict[str, Correction]
    signatures: dict[str, np.ndarray]
    copies: dict[str, tuple[str, ...]]


class Store(Protocol):
    """Where an index lives: this machine's index folder (LocalStore) or Milvus (MilvusStore).
    The builder writes through it, and every reader loads from it."""

    def exists(self) -> bool: ...

    def load(self) -> StoredIndex: ...

    def outdated(self) -> bool: ...

    def recorded_files(self) -> list[Path]: ...

    def writer_lock(self) -> contextlib.AbstractContextManager[None]: ...

    def write(self, old: StoredIndex | None, changes: IndexChanges) -> None: ...

    def tidy(self) -> None:
        """Clears what interrupted writes left behind."""
        ...

    def changed_since(self, index: StoredIndex) -> bool:
        """Whether the stored index differs from `index` (another process wrote to it)."""
        ...

    def reset(self) -> None:
        """Clears a damaged index so a fresh one can be built."""
        ...

    def describe(self) -> dict[str, Any]:
        """What `newsqa info` shows: backend, location (no secrets), sizes, index types."""
        ...


def open_store(settings: Settings) -> Store:
    """The store the settings name: Milvus when `store.uri` is set, else the index folder."""
    if settings.store.uri:
        from index.milvus_store import MilvusStore

        store: Store = MilvusStore(settings)
        return store
    return LocalStore(settings.index_dir, settings.retrieval)


class LocalStore:
    """Reads and writes one index directory."""

    def __init__(self, index_dir: Path, retrieval: RetrievalSettings | None = None) -> None:
        self.index_dir = Path(index_dir)
        self.retrieval = retrieval or RetrievalSettings()
        if self.index_dir.exists() and not self.index_dir.is_dir():
            raise IndexMissingError(
                f"{self.index_dir} is a file, not an index folder: give --index-dir the folder "
                "of an index, or a new folder to build one in."
            )

    # -- reading -----------------------------------------------------------------------------

    def exists(self) -> bool:
        return (self.index_dir / CURRENT).exists()

    def current_version(self) -> str:
        if not self.index_dir.exists():
            raise IndexMissingError(
                f"No index at {self.index_dir}. Build one with: newsqa index seeds/ "
                f"--index-dir {self.index_dir}"
            )
        try:
            version = (self.index_dir / CURRENT).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            raise IndexMissingError(
                f"{self.index_dir} holds no finished index. Build one with: newsqa index seeds/ "
                f"--index-dir {self.index_dir}"
            ) from None
        except (UnicodeDecodeError, OSError):
            # Bytes that are no version name (a disk error, a stray write) or a pointer that
            # can't be read at all: damaged, like any other file of the index.
            raise self._damaged("its CURRENT pointer is unreadable") from None
        if not version or "/" in version or version.startswith("."):
            raise self._damaged("its CURRENT pointer is unreadable")
        return version

    def load(self) -> StoredIndex:
        for _ in range(READ_TRIES - 1):
            version = self.current_version()
            try:
                return self._load_named(version)
            except (IndexCorruptError, IndexMissingError):
                # A writer in another process may have put a new version in place and removed
                # this one while it was being read (a file opened late is then gone): that is
                # no damage, and the new version is read instead.
                if self.current_version() == version:
                    raise
        return self._load_named(self.current_version())

    def _load_named(self, version: str) -> StoredIndex:
        folder = self.index_dir / VERSIONS / version
        try:
            return self._load_version(folder, version)
        except (IndexCorruptError, IndexMissingError):
            raise
        except Exception as error:
            raise self._damaged(f"{type(error).__name__}: {error}") from error

    def outdated(self) -> bool:
        """Whether the current version was written in another format than this newsqa reads."""
        folder = self.index_dir / VERSIONS / self.current_version()
        try:
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False  # damaged, not outdated: load() says so
        return bool(manifest.get("format_version") != FORMAT_VERSION)

    def recorded_files(self) -> list[Path]:
        """The files the current version was built from that still exist (to rebuild it)."""
        folder = self.index_dir / VERSIONS / self.current_version()
        if (folder / ARTICLES).is_file():
            stored = json.loads((folder / ARTICLES).read_text(encoding="utf-8"))["path"]
        else:  # written before format 6
            stored = [row["path"] for row in _read_jsonl(folder / "articles.jsonl")]
        paths = dict.fromkeys(Path(path) for path in stored)
        return [path for path in paths if path.exists()]

    def _damaged(self, why: str) -> IndexCorruptError:
        return IndexCorruptError(
            f"The index at {self.index_dir} is damaged ({why}). Rebuild it with: newsqa index "
            f"PATH --index-dir {self.index_dir} (or delete the folder and index again)."
        )

    def _load_version(self, folder: Path, version: str) -> StoredIndex:
        bm25s = load_bm25s()
        if not folder.is_dir():
            raise self._damaged(f"version folder {version} is missing")
        manifest_data = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        manifest = Manifest(**manifest_data)
        if manifest.format_version != FORMAT_VERSION:
            raise IndexCorruptError(
                f"The index at {self.index_dir} was built by another version of newsqa (format "
                f"{manifest.format_version}, this one reads {FORMAT_VERSION}). Rebuild it with: "
                f"newsqa index PATH --index-dir {self.index_dir}"
            )
        for name in {**manifest.file_sizes, **manifest.checksums}:
            if not (folder / name).is_file():
                raise self._damaged(f"{name} is missing")
        for name, size in manifest.file_sizes.items():
            actual = (folder / name).stat().st_size
            if actual != size:
                raise self._damaged(f"{name} is {actual} bytes, expected {size}")
        # Sizes catch a cut file; the checksums catch bytes changed in place. Versions written
        # before checksums were kept have none and are checked by size alone. A file whose
        # identity is as it was when last checked is not read again (see `verified_files`).
        verified = verified_files(folder)
        checked = []
        for name, checksum in manifest.checksums.items():
            if verified.get(name) == file_identity(folder / name):
                continue
            if file_checksum(folder / name) != checksum:
                raise self._damaged(f"{name} is not as it was written (its checksum differs)")
            checked.append(name)
        if checked:
            record_verified(folder, list(manifest.checksums))
        stored = json.loads((folder / ARTICLES).read_text(encoding="utf-8"))
        try:
            articles = ArticleTable(
                stored["doc_id"],
                stored,
                open_texts(folder / TEXTS),
                np.load(folder / TEXT_OFFSETS, allow_pickle=False),
            )
            hashes = dict(zip(articles, stored["content_hash"], strict=True))
        except (KeyError, TypeError, ValueError) as error:
            raise self._damaged(f"{ARTICLES} does not fit the index ({error})") from None
        corrections = {
            doc_id: Correction(**correction)
            for doc_id, correction in stored.get("corrections", {}).items()
        }
        copies: dict[str, tuple[str, ...]] = {}
        groups = np.load(folder / COPY_GROUPS, allow_pickle=False)
        if len(groups) != len(articles):
            raise self._damaged(
                f"{COPY_GROUPS} has {len(groups)} rows for {len(articles)} articles"
            )
        members: dict[int, list[str]] = {}
        for doc_id, group in zip(articles, groups.tolist(), strict=True):
            if group >= 0:
                members.setdefault(group, []).append(doc_id)
        for group_members in members.values():
            together = tuple(group_members)
            copies.update(dict.fromkeys(together, together))
        rows = np.load(folder / CHUNKS, allow_pickle=False).reshape(-1, 4)
        if len(rows) and not 0 <= int(rows[:, 0].min()) <= int(rows[:, 0].max()) < len(articles):
            raise self._damaged(f"{CHUNKS} names articles the index does not hold")
        chunks = ChunkTable(rows, articles.doc_ids, articles)
        dense = read_dense_index(folder / "dense.faiss", manifest.index_type)
        bm25 = (
            bm25s.BM25.load(str(folder / "bm25"), mmap=True, show_progress=False)
            if chunks
            else bm25s.BM25()
        )
        sentences = SentenceTable(
            RowRanges(articles.place, np.load(folder / SENTENCE_RANGES, allow_pickle=False)),
            np.load(folder / "sentence_spans.npy", allow_pickle=False, mmap_mode="r"),
            QuantizedRows(
                open_vectors(folder / "sentence_vectors.npy"),
                np.load(folder / "sentence_scales.npy", allow_pickle=False, mmap_mode="r"),
            ),
            np.load(folder / "sentence_entities.npy", allow_pickle=False, mmap_mode="r"),
        )
        counts = {
            "articles": (len(articles), manifest.n_articles),
            "chunks": (len(chunks), manifest.n_chunks),
            "vectors": (int(dense.ntotal), manifest.n_chunks),
            "sentence vectors": (int(sentences.vectors.shape[0]), len(sentences.spans)),
            "entity columns": (int(sentences.entities.shape[-1]), 4),
        }
        for what, (found, expected) in counts.items():
            if found != expected:
                raise self._damaged(f"{found} {what} stored, manifest says {expected}")
        signatures: dict[str, np.ndarray] = {}
        if (folder / SIGNATURES).exists():
            rows = np.load(folder / SIGNATURES, allow_pickle=False)
            if len(rows) != len(articles):
                raise self._damaged(f"{len(rows)} signatures stored for {len(articles)} articles")
            signatures = dict(zip(articles, rows, strict=True))
        search = LocalSearch(dense, bm25, self.retrieval)
        return StoredIndex(
            manifest, articles, hashes, chunks, search, sentences, version, corrections,
            signatures, copies,
        )  # fmt: skip

    # -- writing -----------------------------------------------------------------------------

    @contextlib.contextmanager
    def writer_lock(self) -> Iterator[None]:
        """One writer at a time; a second one is refused at once rather than queued."""
        try:
            self.index_dir.mkdir(parents=True, exist_ok=True)
            handle = open(self.index_dir / "LOCK", "a+")  # noqa: SIM115
        except OSError as error:
            raise disk_error(error, "writing the index", self.index_dir) from None
        with handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                raise IndexLockedError(
                    f"The index at {self.index_dir} is being written by {holder}. Wait for it "
                    "to finish, then try again."
                ) from None
            handle.seek(0)
            handle.truncate()
            handle.write(f"process {os.getpid()}")
            handle.flush()
            try:
                yield
            finally:
                handle.seek(0)
                handle.truncate()
                fcntl.flock(handle, fcntl.LOCK_UN)

    def write(self, old: StoredIndex | None, changes: IndexChanges) -> None:
        """A new version from the old one and the changes: kept articles keep their rows in
        their order, the (re-)chunked ones come after. Call under writer_lock."""
        renewed, articles, recipe = changes.renewed, changes.articles, changes.recipe
        kept_rows = []
        if old is not None:
            kept_rows = [
                row
                for row, chunk in enumerate(old.chunks)
                if chunk.doc_id in articles and chunk.doc_id not in renewed
            ]
        chunks = [old.chunks[row] for row in kept_rows] if old is not None else []
        vectors = [old.search.vectors(kept_rows)] if old is not None else []
        for parts in renewed.values():
            chunks.extend(parts.chunks)
            vectors.append(parts.vectors)
        dim = changes.dim
        embeddings = np.vstack([v.reshape(-1, dim) for v in vectors] or [np.zeros((0, dim))])
        embeddings = embeddings.astype(np.float32)

        def sentence_rows(doc_id: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            parts = renewed.get(doc_id)
            if parts is not None:
                return parts.sentence_spans, parts.sentence_vectors, parts.entities
            assert old is not None
            return old.sentences.of(doc_id)

        sentences = SentenceTable.concatenate(
            ((doc_id, *sentence_rows(doc_id)) for doc_id in articles), dim
        )
        # MinHash signatures: new for (re-)chunked articles, kept for unchanged ones.
        signatures = {}
        for doc_id, article in articles.items():
            if doc_id in renewed:
                signatures[doc_id] = renewed[doc_id].signature
            elif (
                old is not None
                and doc_id in old.signatures
                and old.article_hashes.get(doc_id) == changes.hashes[doc_id]
            ):
                signatures[doc_id] = old.signatures[doc_id]
            else:
                signatures[doc_id] = signature(article)
        dense, kind = build_dense_index(embeddings, recipe.exact_search_max_chunks)
        manifest = Manifest(
            embed_model=recipe.embed_model,
            dim=dim,
            chunk_size=recipe.chunk_size,
            chunk_overlap=recipe.chunk_overlap,
            n_articles=len(articles),
            n_chunks=len(chunks),
            index_type=kind,
            created_at=time.time(),
            copy_threshold=recipe.copy_threshold,
        )
        self._save(
            NewVersion(
                manifest, articles, changes.hashes, chunks, embeddings, dense,
                build_bm25(articles, chunks), sentences, changes.corrections, signatures,
                copy_groups(
                    articles, signatures, recipe.copy_threshold,
                    lambda doc_id: sentences.sections(doc_id, articles[doc_id].text),
                ),
            )
        )  # fmt: skip

    def tidy(self) -> None:
        # A writer killed after its switch may have left the version it replaced behind.
        self.collect_garbage(keep=self.current_version())

    def changed_since(self, index: StoredIndex) -> bool:
        return self.current_version() != index.version

    def describe(self) -> dict[str, Any]:
        folder = self.index_dir / VERSIONS / self.current_version()
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        return {
            "backend": "local",
            "location": str(self.index_dir.resolve()),
            "version": folder.name,
            "index types": f"dense {manifest['index_type']} (FAISS), BM25 (bm25s)",
            "bytes": sum(manifest.get("file_sizes", {}).values()),
        }

    def _save(self, version: NewVersion) -> str:
        """Writes a complete new version, then switches CURRENT to it."""
        versions = self.index_dir / VERSIONS
        name = f"v{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}"
        staging = versions / f".staging-{name}"
        try:
            versions.mkdir(parents=True, exist_ok=True)
            staging.mkdir()
            write_version(staging, version)
            os.rename(staging, versions / name)
            _fsync_dir(versions)
        except BaseException as error:
            # A full or read-only disk: the half-written version goes, CURRENT still names the
            # old one, and the user is told what to free. FAISS says "write error" (a
            # RuntimeError) for a full disk; a version needs about four times its chunk
            # vectors' bytes.
            shutil.rmtree(staging, ignore_errors=True)
            needed = 4 * version.embeddings.nbytes + 2**20
            failure = write_failure(error, "writing the index", staging, needed)
            if failure is not None:
                raise failure from None
            raise
        pointer = self.index_dir / f".{CURRENT}.{uuid.uuid4().hex[:8]}"
        try:
            with open(pointer, "w", encoding="utf-8") as handle:
                handle.write(name)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(pointer, self.index_dir / CURRENT)
            _fsync_dir(self.index_dir)
        except OSError as error:
            pointer.unlink(missing_ok=True)
            shutil.rmtree(versions / name, ignore_errors=True)
            raise disk_error(error, "writing the index", self.index_dir / CURRENT) from None
        self.collect_garbage(keep=name)
        return name

    def collect_garbage(self, keep: str) -> None:
        """Removes old versions and leftovers of interrupted writes. Call under writer_lock."""
        versions = self.index_dir / VERSIONS
        for folder in versions.iterdir():
            if folder.name != keep:
                shutil.rmtree(folder, ignore_errors=True)
        for leftover in self.index_dir.glob(f".{CURRENT}.*"):
            leftover.unlink(missing_ok=True)

    def reset(self) -> None:
        """Moves a damaged index out of the way so a fresh one can be built. Call under writer_lock."""
        (self.index_dir / CURRENT).unlink(missing_ok=True)
        versions = self.index_dir / VERSIONS
        if versions.exists():
            for folder in versions.iterdir():
                shutil.rmtree(folder, ignore_errors=True)


def write_version(staging: Path, version: NewVersion) -> None:
    """Every file of one version, its manifest last, flushed to the disk."""
    import faiss

    corrections, copies = version.corrections, version.copies
    offsets = [0]
    with open(staging / TEXTS, "wb") as handle:
        for article in version.articles.values():
            offsets.append(offsets[-1] + handle.write(article.text.encode("utf-8")))
    np.save(staging / TEXT_OFFSETS, np.array(offsets, dtype=np.int64))
    # Each article's copy group, a number (-1: none), not its list of members: a wire story
    # reprinted by 200 outlets would store 200 lists of 200 ids.
    group_of: dict[tuple[str, ...], int] = {}
    groups = [
        group_of.setdefault(copies[doc_id], len(group_of)) if doc_id in copies else -1
        for doc_id in version.articles
    ]
    np.save(staging / COPY_GROUPS, np.array(groups, dtype=np.int32))
    # One list a field, not a row an article: see ArticleTable.
    columns: dict[str, Any] = {
        name: [getattr(article, name) for article in version.articles.values()]
        for name in ("doc_id", *ArticleTable.FIELDS)
    }
    columns["content_hash"] = [version.hashes[doc_id] for doc_id in version.articles]
    columns["corrections"] = {
        doc_id: dataclasses.asdict(correction)
        for doc_id, correction in corrections.items()
        if doc_id in version.articles
    }
    (staging / ARTICLES).write_text(json.dumps(columns, ensure_ascii=False), encoding="utf-8")
    np.save(staging / CHUNKS, ChunkTable.columns(version.chunks, list(version.articles)))
    if version.articles:
        rows = [version.signatures[doc_id] for doc_id in version.articles]
        np.save(staging / SIGNATURES, np.stack(rows))
    sentences = version.sentences
    ranges = [sentences.ranges.get(doc_id, (0, 0)) for doc_id in version.articles]
    np.save(staging / SENTENCE_RANGES, np.array(ranges, dtype=np.int64).reshape(-1, 2))
    np.save(staging / "sentence_spans.npy", sentences.spans)
    np.save(staging / "sentence_vectors.npy", sentences.vectors.codes)
    np.save(staging / "sentence_scales.npy", sentences.vectors.scales)
    np.save(staging / "sentence_entities.npy", sentences.entities)
    faiss.write_index(version.dense, str(staging / "dense.faiss"))
    if version.chunks:
        version.bm25.save(str(staging / "bm25"), show_progress=False)
    files = [path for path in sorted(staging.rglob("*")) if path.is_file()]
    manifest = dataclasses.replace(
        version.manifest,
        file_sizes={str(p.relative_to(staging)): p.stat().st_size for p in files},
        checksums={str(p.relative_to(staging)): file_checksum(p) for p in files},
    )
    (staging / "manifest.json").write_text(
        json.dumps(dataclasses.asdict(manifest), indent=1), encoding="utf-8"
    )
    _fsync_tree(staging)
    record_verified(staging, list(manifest.checksums))  # its checksums were just computed


def file_identity(path: Path) -> list[int]:
    """What changes whenever a file's bytes do: its size, inode and change times. A write, a
    copy or a restore gives a new ctime or inode, and no program can set the ctime back."""
    status = path.stat()
    return [status.st_size, status.st_ino, status.st_mtime_ns, status.st_ctime_ns]


def verified_files(folder: Path) -> dict[str, list[int]]:
    """The identity of each of the version's files when its checksum last matched.

    Checking every checksum reads the whole index, and would make every `newsqa ask` cost
    a read of it (about 1.3 GB/s here): seconds at 100,000 articles. A file with the same
    identity still holds the bytes that were checked.
    """
    try:
        recorded = json.loads((folder / VERIFIED).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return recorded if isinstance(recorded, dict) else {}


def record_verified(folder: Path, names: list[str]) -> None:
    """Notes the identity of files whose checksums just matched; best effort (a reader may have
    no right to write there, or a writer may have removed the version meanwhile)."""
    temporary = folder / f".{VERIFIED}.{uuid.uuid4().hex[:8]}"
    try:
        identities = {name: file_identity(folder / name) for name in names}
        temporary.write_text(json.dumps(identities), encoding="utf-8")
        os.replace(temporary, folder / VERIFIED)
    except OSError:
        temporary.unlink(missing_ok=True)


def file_checksum(path: Path) -> str:
    """xxh3-128 of a file's bytes, read through a memory map: about 10 GB/s, so checking every
    file of an index costs little beside loading it (docs/reliability.md)."""
    import xxhash

    with open(path, "rb") as handle:
        if not os.fstat(handle.fileno()).st_size:
            return xxhash.xxh3_128_hexdigest(b"")
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            return xxhash.xxh3_128_hexdigest(mapped)


def open_texts(path: Path) -> TextFile:
    """The version's article texts, memory-mapped."""
    with open(path, "rb") as handle:
        if not os.fstat(handle.fileno()).st_size:
            return TextFile(b"")
        return TextFile(mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ))


def open_vectors(path: Path) -> np.ndarray:
    """A vector file memory-mapped for reading a few rows at a time: answering touches a few
    hundred sentence rows per question, not the whole matrix. Read-ahead is switched off, or
    each scattered row read would pull in its neighbours too."""
    vectors: np.ndarray = np.load(path, allow_pickle=False, mmap_mode="r")
    mapped = getattr(vectors, "_mmap", None)
    if mapped is not None and hasattr(mmap, "MADV_RANDOM"):
        mapped.madvise(mmap.MADV_RANDOM)
    return vectors


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    for sub in [folder, *[p for p in folder.rglob("*") if p.is_dir()]]:
        _fsync_dir(sub)


def _fsync_dir(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
