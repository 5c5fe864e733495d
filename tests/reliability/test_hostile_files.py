"""Files an attacker or an accident puts in a folder: links that lead out of it, JSON nested a
thousand deep, text saved as UTF-16. Each is one file's line in the report; the rest is indexed;
nothing outside the folder given is read."""

from __future__ import annotations

import codecs
import json
import os
import subprocess
import sys
from pathlib import Path

from index.build import IndexBuilder
from index.embed import Embedder
from index.load import load_articles
from index.settings import IndexSettings, Settings
from index.store import LocalStore
from tests.conftest import ROOT, SEEDS

STORY = (
    "Harbour of Quillmarsh reopens\n\nThe harbour of Quillmarsh reopened on 3 March 2024 after six "
    "weeks of repairs, the mayor said on Sunday. Ferries to Skarvøy run again from Monday.\n"
)
SECRET = (
    "Private notes\n\nThe launch code for the Glimmerfjord vault is 7341, and only the treasurer "
    "knows it. Nobody else may read this file.\n"
)
NESTED = "[" * 1000 + "]" * 1000


def folder_with_links(tmp_path: Path) -> tuple[Path, Path]:
    """A folder to index holding a good article, a link to a private file outside it, a link
    to the system's password file, and a link to an article inside it; and the private folder."""
    private = tmp_path / "private"
    private.mkdir()
    (private / "notes.txt").write_text(SECRET, encoding="utf-8")
    folder = tmp_path / "articles"
    (folder / "sub").mkdir(parents=True)
    (folder / "harbour.txt").write_text(STORY, encoding="utf-8")
    (folder / "sub" / "tass.txt").write_bytes((SEEDS / "000_b32fb440e881743b.txt").read_bytes())
    (folder / "notes.txt").symlink_to(private / "notes.txt")
    (folder / "users.txt").symlink_to("/etc/passwd")
    (folder / "inside.txt").symlink_to(folder / "sub" / "tass.txt")
    return folder, private


def test_links_leading_out_of_an_indexed_folder_are_named_and_not_read(
    tmp_path: Path, embedder: Embedder
) -> None:
    folder, private = folder_with_links(tmp_path)
    settings = Settings(index_dir=tmp_path / ".newsqa")
    report = IndexBuilder(settings, embedder).run([folder])
    reasons = {Path(s.path).name: s.reason for s in report.skipped}
    for link in ("notes.txt", "users.txt"):
        assert "a link leading outside" in reasons[link] and "not followed" in reasons[link]
    assert str(private / "notes.txt") in reasons["notes.txt"]
    articles = LocalStore(settings.index_dir).load().articles
    # A link inside the folder is followed: its article is the one it leads to, indexed once.
    assert sorted(articles) == ["harbour", "inside"] or sorted(articles) == ["harbour", "tass"]
    texts = " ".join(a.text for a in articles.values())
    assert "launch code" not in texts and "root:" not in texts
    assert all(not a.path.startswith(str(private)) for a in articles.values())


def test_a_setting_lets_links_lead_into_named_folders(tmp_path: Path, embedder: Embedder) -> None:
    folder, private = folder_with_links(tmp_path)
    settings = Settings(
        index_dir=tmp_path / ".newsqa", index=IndexSettings(follow_links_into=(private,))
    )
    report = IndexBuilder(settings, embedder).run([folder])
    assert "notes" in LocalStore(settings.index_dir).load().articles
    assert [Path(s.path).name for s in report.skipped if "outside" in s.reason] == ["users.txt"]


def test_within_a_watched_folder_every_file_read_lies_inside_it(tmp_path: Path) -> None:
    """What a live folder's watcher hands the builder: single files, each checked against the
    folder watched (the app and `newsqa index --watch` pass it as `within`)."""
    folder, _ = folder_with_links(tmp_path)
    files = load_articles(sorted(folder.rglob("*.txt")), within=folder)
    assert {a.doc_id for a in files.articles} == {"harbour", "inside", "tass"}
    assert sorted(Path(s.path).name for s in files.skipped) == ["notes.txt", "users.txt"]


def test_the_command_line_names_each_link_it_did_not_follow(tmp_path: Path) -> None:
    folder, _ = folder_with_links(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "ui.cli", "index", str(folder), "--index-dir", str(tmp_path / "ix")],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    for link in ("notes.txt", "users.txt"):
        assert f"warning: skipped {folder / link}: a link leading outside {folder}" in result.stderr
    assert "Traceback" not in result.stderr


def test_json_nested_a_thousand_deep_is_one_files_line(tmp_path: Path, embedder: Embedder) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "nest.json").write_text(NESTED)
    (folder / "nest.jsonl").write_text(json.dumps({"body": STORY}) + "\n" + NESTED + "\n")
    (folder / "harbour.txt").write_text(STORY, encoding="utf-8")
    (folder / "feed.json").write_text(json.dumps([{"body": SECRET.replace("Private", "Public")}]))
    settings = Settings(index_dir=tmp_path / ".newsqa")
    report = IndexBuilder(settings, embedder).run([folder])
    reasons = {Path(s.path).name: s.reason for s in report.skipped}
    assert reasons["nest.json"].startswith("JSON nested too deeply to read")
    assert reasons["nest.jsonl"] == "line 2 is JSON nested too deeply to read"
    assert sorted(LocalStore(settings.index_dir).load().articles) == ["feed#0", "harbour"]


def test_the_command_line_indexes_the_rest_beside_nested_json(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "nest.json").write_text(NESTED)
    (folder / "harbour.txt").write_text(STORY, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "ui.cli", "index", str(folder), "--index-dir", str(tmp_path / "ix")],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "1 articles" in result.stdout
    assert f"skipped {folder / 'nest.json'}: JSON nested too deeply" in result.stderr
    assert "Traceback" not in result.stderr and "RecursionError" not in result.stderr


def test_utf16_and_utf32_files_are_read_by_their_byte_order_mark(tmp_path: Path) -> None:
    for encoding, mark in (
        ("utf-16-le", codecs.BOM_UTF16_LE),
        ("utf-16-be", codecs.BOM_UTF16_BE),
        ("utf-32-le", codecs.BOM_UTF32_LE),
    ):
        path = tmp_path / f"{encoding}.txt"
        path.write_bytes(mark + STORY.encode(encoding))
    (tmp_path / "broken.txt").write_bytes(codecs.BOM_UTF16_LE + b"\x00\xd8")  # a lone surrogate
    result = load_articles([tmp_path])
    assert {a.doc_id: a.text for a in result.articles} == {
        "utf-16-le": STORY, "utf-16-be": STORY, "utf-32-le": STORY,
    }  # fmt: skip
    assert [(Path(s.path).name, s.reason.split(" (")[0]) for s in result.skipped] == [
        ("broken.txt", "not valid UTF-16-LE text")
    ]


def test_a_file_named_on_its_own_is_read_even_through_a_link(tmp_path: Path) -> None:
    """The user named it: only what a folder holds is bounded by the folder."""
    target = tmp_path / "elsewhere" / "harbour.txt"
    target.parent.mkdir()
    target.write_text(STORY, encoding="utf-8")
    link = tmp_path / "link.txt"
    os.symlink(target, link)
    assert [a.text for a in load_articles([link]).articles] == [STORY]
