"""The command line as a user meets it: one-line errors, never a traceback."""

import json
import subprocess
import sys
from pathlib import Path

from index.build import IndexBuilder
from index.settings import Settings
from tests.conftest import CountingEmbedder
from tests.index.test_build import unusable_batches

ROOT = Path(__file__).resolve().parents[2]


def test_index_of_a_folder_with_nothing_usable_says_so_in_one_line(tmp_path: Path) -> None:
    for name, folder in unusable_batches(tmp_path).items():
        index_dir = tmp_path / f"ix-{name}"
        result = subprocess.run(
            [sys.executable, "-m", "qa.cli", "index", str(folder), "--index-dir", str(index_dir)],
            capture_output=True, text=True, cwd=ROOT, timeout=120,
        )  # fmt: skip
        assert result.returncode == 1
        assert "Traceback" not in result.stderr
        last = result.stderr.strip().splitlines()[-1]
        assert last.startswith(f"error: nothing to index in {folder}")
        assert last.endswith("no index was made.")
        if name == "empty":
            assert "no .htm, .html, .json, .jsonl, .md, .txt files there" in last
        else:
            assert "all 2 skipped, for the reasons above" in last
            assert result.stderr.count("warning: skipped") == 2
        assert not index_dir.exists()


def test_eval_on_an_index_without_the_seeds_warns(
    tmp_path: Path, counting_embedder: CountingEmbedder
) -> None:
    article = tmp_path / "harbour.txt"
    article.write_text(
        "Harbour reopens after the storm\n\nThe harbour in Tromsø reopened on Monday after the "
        "storm. Ferries to the islands run again from Tuesday, the port authority said. Two "
        "cranes damaged by the wind will be replaced by the end of the month."
    )
    settings = Settings(index_dir=tmp_path / "ix")
    assert IndexBuilder(settings, counting_embedder).run([article]).saved
    result = subprocess.run(
        [sys.executable, "-m", "qa.cli", "eval", "--index-dir", str(settings.index_dir),
         "--out", str(tmp_path / "eval")],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (
        f"warning: 5 of the 5 articles these questions are about are not in {settings.index_dir}"
        in result.stderr
    )
    assert "These are the bundled seed questions." in result.stderr


def test_info_shows_each_outlet_with_its_count_and_dates(seed_index: Settings) -> None:
    command = [sys.executable, "-m", "qa.cli", "info", "--index-dir", str(seed_index.index_dir)]
    shown = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert "       outlets: 3" in lines
    assert "  articles  first       last        no date  outlet" in lines
    assert "         1  -           -                 1  TASS" in lines
    assert lines[-1] == "         2  -           -                 2  (outlet unknown)"
    as_json = subprocess.run([*command, "--json"], capture_output=True, text=True, cwd=ROOT)
    outlets = json.loads(as_json.stdout)["outlets"]
    assert {"outlet": "TASS", "articles": 1, "first": None, "last": None,
            "without_full_date": 1} in outlets  # fmt: skip


def test_outlet_coverage_spans_each_outlets_full_dates() -> None:
    from index.documents import Article
    from qa.cli import outlet_coverage

    def article(n: int, source: str | None, published: str | None) -> Article:
        return Article(doc_id=f"a{n}", text="x", path="x", source=source, published=published)

    rows = outlet_coverage([
        article(1, "TASS", "2023-09-12"), article(2, "TASS", "2023-10-01T08:00:00+03:00"),
        article(3, "TASS", "--09-30"), article(4, "Reuters", "2024-01-05"), article(5, None, None),
    ])  # fmt: skip
    assert rows == [
        {"outlet": "TASS", "articles": 3, "first": "2023-09-12", "last": "2023-10-01",
         "without_full_date": 1},
        {"outlet": "Reuters", "articles": 1, "first": "2024-01-05", "last": "2024-01-05",
         "without_full_date": 0},
        {"outlet": None, "articles": 1, "first": None, "last": None, "without_full_date": 1},
    ]  # fmt: skip
