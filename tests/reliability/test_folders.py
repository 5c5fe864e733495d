"""Whole batches of bad input, through the real builder: every skipped file is named with its
reason, nothing crashes, and the index folder is either absent or loads."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.build import IndexBuilder
from index.embed import Embedder
from index.load import find_files, load_articles
from index.settings import Settings
from index.store import LocalStore

GOOD = (
    "Ferry line to close\n\nThe ferry line between Glimmerfjord and Skarvøy will close in "
    "October after {n} years, the county transport office said on Tuesday."
)
# name -> (bytes, a word the skip reason must hold); None: a good article.
BAD: dict[str, tuple[bytes, str]] = {
    "binary.txt": (b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR", "binary"),
    "latin1.md": ("Café au lait, naïve".encode("latin-1"), "not UTF-8"),
    "empty.txt": (b"", "empty"),
    "blank.html": (b"  \n\t", "empty"),
    "broken.json": (b'[{"body": "x"', "not valid JSON"),
    "object.json": (b'{"body": "a lone object"}', "expected a JSON array"),
    "nobody.jsonl": (b'{"title": "no body"}\n', "no 'body'"),
    "headline-only.txt": (b"Only a headline\n", "no story text"),
}
KINDS = st.sampled_from([*BAD, "good", "dangling", "loop", "unsupported", "nested-good"])


def build_folder(folder: Path, kinds: list[str]) -> tuple[set[str], dict[str, str]]:
    """Writes the files; returns the good articles' ids and each bad file's expected reason."""
    good: set[str] = set()
    bad: dict[str, str] = {}
    for number, kind in enumerate(kinds):
        if kind in BAD:
            data, reason = BAD[kind]
            path = folder / f"{number}-{kind}"
            path.write_bytes(data)
            bad[path.name] = reason
        elif kind == "good":
            (folder / f"{number}-good.txt").write_text(GOOD.format(n=number), encoding="utf-8")
            good.add(f"{number}-good")
        elif kind == "nested-good":
            nested = folder / f"{number}-sub" / "deeper"
            nested.mkdir(parents=True)
            (nested / f"{number}-story.md").write_text(GOOD.format(n=number), encoding="utf-8")
            good.add(f"{number}-story")
        elif kind == "dangling":
            (folder / f"{number}-gone.txt").symlink_to(folder / "nowhere.txt")
            bad[f"{number}-gone.txt"] = "no such file"
        elif kind == "loop":
            (folder / f"{number}-loop").symlink_to(folder, target_is_directory=True)
        else:
            (folder / f"{number}-photo.png").write_bytes(b"\x89PNG")  # not an article: ignored
    return good, bad


@given(kinds=st.lists(KINDS, min_size=0, max_size=8))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_mix_of_files_in_a_folder_is_indexed_or_named(
    kinds: list[str], embedder: Embedder
) -> None:
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work) / "batch"
        folder.mkdir()
        good, bad = build_folder(folder, kinds)
        settings = Settings(index_dir=Path(work) / ".newsqa")
        report = IndexBuilder(settings, embedder).run([folder])
        named = {Path(s.path.split(",")[0]).name: s.reason for s in report.skipped}
        for name, reason in bad.items():
            assert reason in named.get(name, ""), (name, named)
        store = LocalStore(settings.index_dir)
        if good:
            # A folder symlinked into itself is not read twice: each article once.
            assert set(store.load().articles) == good
        else:
            assert not settings.index_dir.exists()  # nothing usable: no folder left behind


def test_a_file_that_vanishes_before_it_is_read_is_named_not_fatal(tmp_path: Path) -> None:
    folder = tmp_path / "batch"
    folder.mkdir()
    for name in ("gone.txt", "kept.txt"):
        (folder / name).write_text(GOOD.format(n=len(name)), encoding="utf-8")
    listed = list(find_files([folder]))
    (folder / "gone.txt").unlink()  # between listing and reading
    result = load_articles(listed)
    reasons = {Path(s.path).name: s.reason for s in result.skipped}
    assert "no such file" in reasons["gone.txt"]
    assert [a.doc_id for a in result.articles] == ["kept"]


def test_an_unreadable_file_is_named(tmp_path: Path) -> None:
    locked = tmp_path / "locked.txt"
    locked.write_text(GOOD.format(n=3), encoding="utf-8")
    locked.chmod(0)
    try:
        if os.access(locked, os.R_OK):
            pytest.skip("this user (root) reads any file, so no file is unreadable here")
        result = load_articles([locked])
        assert "can't be read" in result.skipped[0].reason and not result.articles
    finally:
        locked.chmod(0o644)


def test_json_file_of_only_bad_records_names_each(tmp_path: Path) -> None:
    records = [{"title": "a"}, {"body": ""}, {"body": 5}, "text"]
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(records))
    result = load_articles([path])
    assert len(result.skipped) == len(records) and not result.articles
