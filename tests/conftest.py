"""Shared fixtures: the real packaged model, and a real index built from the bundled seeds."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from index.build import IndexBuilder
from index.embed import Embedder, load_embedder
from index.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SHARED = ROOT.parent / "shared"
MULTIHOP = SHARED / "benchmarks" / "multihop_rag"
SEED_IDS = sorted(path.stem for path in SEEDS.glob("*.txt"))
# The running app and the browser, shared by tests/ui and tests/e2e.
pytest_plugins = ["tests.app_fixtures"]


class CountingEmbedder:
    """The real embedder, counting how many texts it was asked to embed."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.identity = inner.identity
        self.dim = inner.dim
        self.texts: list[str] = []

    def embed(
        self, texts: Sequence[str], batch_size: int = 32, progress: bool = False
    ) -> np.ndarray:
        self.texts.extend(texts)
        return self.inner.embed(texts, batch_size=batch_size, progress=progress)

    def embed_spans(
        self,
        texts: Sequence[str],
        spans: Sequence[Sequence[tuple[int, int]]],
        batch_size: int = 32,
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        self.texts.extend(texts)
        return self.inner.embed_spans(texts, spans, batch_size=batch_size)


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return load_embedder()


@pytest.fixture
def counting_embedder(embedder: Embedder) -> CountingEmbedder:
    return CountingEmbedder(embedder)


@pytest.fixture(scope="session")
def seed_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(index_dir=tmp_path_factory.mktemp("seed-index") / ".newsqa")


@pytest.fixture(scope="session")
def seed_index(seed_settings: Settings, embedder: Embedder) -> Settings:
    """Settings pointing at an index of the five seeds; treat it as read-only."""
    report = IndexBuilder(seed_settings, embedder).run([SEEDS])
    assert report.articles_total == len(SEED_IDS)
    return seed_settings


@pytest.fixture
def seed_copy(tmp_path: Path) -> Path:
    """A writable copy of the seeds folder."""
    target = tmp_path / "seeds"
    shutil.copytree(SEEDS, target)
    return target


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that starts the real llama.cpp server is marked llm_server, so `make test` can run
    it after the wheel it needs has been built (in the background, while the rest run)."""
    for item in items:
        if "llama_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.llm_server)
