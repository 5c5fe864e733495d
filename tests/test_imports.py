"""The import contract in pyproject.toml (import-linter): ui above qa above index, bench above
all, and no cycles inside a package. It holds on the code as it is, and it fails, naming the
import, when one goes the wrong way."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("index", "qa", "ui", "bench")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=root, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """The packages' sources and the contract, in a folder of their own to plant imports in."""
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "out")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_code_keeps_the_contract() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_an_upward_import_breaks_it_and_is_named(project_copy: Path) -> None:
    planted = project_copy / "qa" / "planted.py"
    planted.write_text("from ui.render import escape\n\nSAFE = escape('<b>')\n", "utf-8")
    result = lint_imports(project_copy)
    assert result.returncode != 0
    assert "qa is not allowed to import ui" in result.stdout
    assert "qa.planted -> ui.render" in result.stdout


def test_index_importing_qa_breaks_it(project_copy: Path) -> None:
    chunk = project_copy / "index" / "chunk.py"
    chunk.write_text(chunk.read_text("utf-8") + "\nfrom qa import results  # noqa\n", "utf-8")
    result = lint_imports(project_copy)
    assert result.returncode != 0
    assert "index is not allowed to import qa" in result.stdout
    assert "index.chunk -> qa.results" in result.stdout


def test_a_cycle_inside_a_package_breaks_it(project_copy: Path) -> None:
    # index.store opens index.milvus_store; milvus_store importing it back would be a loop.
    milvus = project_copy / "index" / "milvus_store.py"
    milvus.write_text(
        milvus.read_text("utf-8") + "\nfrom index.store import LocalStore  # noqa\n", "utf-8"
    )
    result = lint_imports(project_copy)
    assert result.returncode != 0
    assert "No cycles are allowed in index" in result.stdout
    assert "milvus_store" in result.stdout
