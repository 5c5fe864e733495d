"""A full disk, a read-only one, a damaged pointer, bytes changed inside an index: each is one
line naming the path and what to do, never a traceback, and the index as it was stays whole.

The full and read-only disks are real: a small tmpfs mounted for the test (this needs root, as
`make test` has; elsewhere these tests are skipped, and under CI they fail instead).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from index.build import IndexBuilder
from index.embed import Embedder
from index.errors import DiskError, IndexCorruptError
from index.settings import Settings
from index.store import LocalStore
from tests.app_fixtures import free_port
from tests.conftest import ROOT, SEEDS


def newsqa(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ui.cli", *args], capture_output=True, text=True, cwd=ROOT,
        timeout=timeout,
    )  # fmt: skip


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    """The error line of a command that failed as it should: exit 1, one line, no traceback."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "Errno" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    return errors[0]


class SmallDisk:
    """A tmpfs of a given size, mounted at `path`, that can be made read-only."""

    def __init__(self, path: Path, megabytes: int) -> None:
        self.path = path
        path.mkdir()
        mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(path)],
            capture_output=True, text=True,
        )  # fmt: skip
        if mounted.returncode != 0:
            why = f"can't mount a small file system here ({mounted.stderr.strip()})"
            if os.environ.get("CI"):
                pytest.fail(why + "; CI runs as root and must")
            pytest.skip(why)

    def read_only(self, yes: bool = True) -> None:
        mode = "ro" if yes else "rw"
        subprocess.run(["mount", "-o", f"remount,{mode}", str(self.path)], check=True)

    def fill(self, leave_bytes: int) -> Path:
        """Fills the disk up to `leave_bytes` free; returns the filler file."""
        filler = self.path / "filler"
        free = shutil.disk_usage(self.path).free
        with open(filler, "wb") as handle:
            handle.write(b"\0" * max(free - leave_bytes, 0))
        return filler

    def unmount(self) -> None:
        subprocess.run(["umount", "-l", str(self.path)], capture_output=True)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[SmallDisk]:
    disk = SmallDisk(tmp_path / "disk", 256)
    yield disk
    disk.unmount()


def test_a_full_disk_at_the_first_index_is_one_line_and_leaves_nothing(
    tmp_path: Path, small_disk: SmallDisk
) -> None:
    """The model's ONNX export (about 23 MB) is the first big write: it meets a full disk."""
    small_disk.fill(leave_bytes=4 * 1024 * 1024)
    index_dir = small_disk.path / "ix"
    line = one_line_error(newsqa("index", str(SEEDS), "--index-dir", str(index_dir)))
    assert line.startswith("error: No space left on the disk for ") and str(index_dir) in line
    assert "free some space" in line
    assert not index_dir.exists()  # no partial onnx/ folder, no lock file, nothing


def test_a_full_disk_at_a_reindex_keeps_the_old_index(
    tmp_path: Path, small_disk: SmallDisk, embedder: Embedder
) -> None:
    corpus = tmp_path / "articles"
    shutil.copytree(SEEDS, corpus)
    index_dir = small_disk.path / "ix"
    first = newsqa("index", str(corpus), "--index-dir", str(index_dir))
    assert first.returncode == 0, first.stderr
    versions_before = sorted(p.name for p in (index_dir / "versions").iterdir())
    filler = small_disk.fill(leave_bytes=64 * 1024)
    story = corpus / "000_b32fb440e881743b.txt"
    story.write_text(story.read_text(encoding="utf-8") + "\nA new paragraph.\n", encoding="utf-8")
    line = one_line_error(newsqa("index", str(corpus), "--index-dir", str(index_dir)))
    assert line.startswith("error: No space left on the disk for ") and str(index_dir) in line
    assert "nothing in the index was changed" in line
    # Nothing half-written stays, and the old version answers.
    assert sorted(p.name for p in (index_dir / "versions").iterdir()) == versions_before
    asked = newsqa("ask", "What gifts did Putin and Kim exchange?", "--index-dir", str(index_dir))
    assert asked.returncode == 0 and "glove" in asked.stdout, asked.stderr
    # In-process the builder says the same in a typed error the app words for a web user.
    with pytest.raises(DiskError) as raised:
        IndexBuilder(Settings(index_dir=index_dir), embedder).run([corpus])
    assert raised.value.reason == "full"
    filler.unlink()
    assert newsqa("index", str(corpus), "--index-dir", str(index_dir)).returncode == 0


def test_a_read_only_disk_refuses_every_change_in_one_line(
    tmp_path: Path, small_disk: SmallDisk
) -> None:
    index_dir = small_disk.path / "ix"
    built = newsqa("index", str(SEEDS), "--index-dir", str(index_dir))
    assert built.returncode == 0, built.stderr
    small_disk.read_only()
    doc_id = "000_b32fb440e881743b"
    for command in (
        ["index", str(SEEDS)],
        ["edit", doc_id, "--outlet", "Reuters"],
        ["remove", doc_id],
    ):
        line = one_line_error(newsqa(*command, "--index-dir", str(index_dir)))
        assert line == (
            f"error: {index_dir / 'LOCK'} is on a read-only file system, so writing the index "
            "is not possible: give --index-dir a folder on a writable disk (nothing in the "
            "index was changed)."
        ), command
    asked = newsqa("ask", "What gifts did Putin and Kim exchange?", "--index-dir", str(index_dir))
    assert asked.returncode == 0 and "glove" in asked.stdout, asked.stderr


def test_a_current_pointer_of_stray_bytes_is_a_damaged_index(
    tmp_path: Path, seed_index: Settings
) -> None:
    index_dir = tmp_path / ".newsqa"
    shutil.copytree(seed_index.index_dir, index_dir)
    (index_dir / "CURRENT").write_bytes(b"\xff\xfe\x00\x9c garbage")
    for command in (["ask", "Who visited?"], ["info"], ["serve", "--port", str(free_port())]):
        line = one_line_error(newsqa(*command, "--index-dir", str(index_dir), timeout=300))
        assert line.startswith(f"error: The index at {index_dir} is damaged"), command
        assert "newsqa index PATH" in line


def damaged_copy(seed_index: Settings, tmp_path: Path, name: str) -> Path:
    """A copy of the seed index with 64 random bytes written over `name`'s middle, same size."""
    index_dir = tmp_path / ".newsqa"
    shutil.copytree(seed_index.index_dir, index_dir)
    version = index_dir / "versions" / LocalStore(index_dir).current_version()
    path = version / name
    size = path.stat().st_size
    with open(path, "r+b") as handle:
        handle.seek(max(size // 2 - 32, 0))
        handle.write(np.random.default_rng(len(name)).bytes(min(64, size)))
    assert path.stat().st_size == size
    return index_dir


@pytest.mark.parametrize(
    "name",
    ["dense.faiss", "sentence_vectors.npy", "sentence_scales.npy", "sentence_spans.npy",
     "texts.bin", "chunks.npy",
     "bm25/data.csc.index.npy", "bm25/indices.csc.index.npy", "article_signatures.npy"],
)  # fmt: skip
def test_bytes_changed_inside_an_index_file_are_refused(
    name: str, seed_index: Settings, tmp_path: Path
) -> None:
    index_dir = damaged_copy(seed_index, tmp_path, name)
    with pytest.raises(IndexCorruptError, match=rf"damaged \({name} is not as it was written"):
        LocalStore(index_dir).load()
    line = one_line_error(newsqa("ask", "Who visited?", "--index-dir", str(index_dir)))
    assert line.startswith(f"error: The index at {index_dir} is damaged ({name} is not as")


def test_files_checked_once_are_not_read_again_until_they_change(
    seed_index: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Loading reads each file's checksum only when the file is not as it was when last
    checked; bytes changed in place are caught even with the file's modification time set back."""
    import index.store

    index_dir = tmp_path / ".newsqa"
    shutil.copytree(seed_index.index_dir, index_dir)  # new inodes: everything is checked again
    hashed: list[str] = []
    checksum = index.store.file_checksum

    def counting(path: Path) -> str:
        hashed.append(path.name)
        return checksum(path)

    monkeypatch.setattr(index.store, "file_checksum", counting)
    LocalStore(index_dir).load()
    assert "sentence_vectors.npy" in hashed and "dense.faiss" in hashed
    hashed.clear()
    LocalStore(index_dir).load()
    assert hashed == []
    path = index_dir / "versions" / LocalStore(index_dir).current_version() / "dense.faiss"
    before = path.stat()
    with open(path, "r+b") as handle:
        handle.seek(before.st_size // 2)
        handle.write(bytes(64))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    with pytest.raises(IndexCorruptError, match=r"dense.faiss is not as it was written"):
        LocalStore(index_dir).load()
    assert hashed == ["dense.faiss"]


def test_an_index_from_before_checksums_loads_by_its_sizes(
    seed_index: Settings, tmp_path: Path
) -> None:
    import json

    index_dir = tmp_path / ".newsqa"
    shutil.copytree(seed_index.index_dir, index_dir)
    manifest = index_dir / "versions" / LocalStore(index_dir).current_version() / "manifest.json"
    written = json.loads(manifest.read_text())
    assert set(written["checksums"]) == set(written["file_sizes"])
    del written["checksums"]
    manifest.write_text(json.dumps(written))
    assert len(LocalStore(index_dir).load().articles) == 5


def test_a_missing_file_is_said_to_be_missing(seed_index: Settings, tmp_path: Path) -> None:
    index_dir = tmp_path / ".newsqa"
    shutil.copytree(seed_index.index_dir, index_dir)
    version = index_dir / "versions" / LocalStore(index_dir).current_version()
    (version / "sentence_vectors.npy").unlink()
    with pytest.raises(IndexCorruptError, match=r"damaged \(sentence_vectors.npy is missing\)"):
        LocalStore(index_dir).load()
