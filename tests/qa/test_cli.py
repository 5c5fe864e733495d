"""The command line as a user meets it: one-line errors, never a traceback."""

import subprocess
import sys
from pathlib import Path

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
