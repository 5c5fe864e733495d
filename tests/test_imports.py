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


@pytest.mark.parametrize(
    ("module", "planted", "broken", "named"),
    [
        # An upward import: qa must not use what presents it.
        ("qa/planted.py", "from ui.render import escape\n\nSAFE = escape('<b>')\n",
         "qa is not allowed to import ui", "qa.planted -> ui.render"),
        ("index/chunk.py", "\nfrom qa import results  # noqa\n",
         "index is not allowed to import qa", "index.chunk -> qa.results"),
        # index.store opens index.milvus_store; milvus_store importing it back would be a loop.
        ("index/milvus_store.py", "\nfrom index.store import LocalStore  # noqa\n",
         "No cycles are allowed in index", "milvus_store"),
    ],
    ids=["qa-imports-ui", "index-imports-qa", "loop-in-index"],
)  # fmt: skip
def test_a_planted_import_breaks_it_and_is_named(
    project_copy: Path, module: str, planted: str, broken: str, named: str
) -> None:
    path = project_copy / module
    before = path.read_text("utf-8") if path.exists() else ""
    path.write_text(before + planted, "utf-8")
    result = lint_imports(project_copy)
    assert result.returncode != 0
    assert broken in result.stdout
    assert named in result.stdout
