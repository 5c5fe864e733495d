"""The model cache: no text goes through the embedding model or the entity recogniser twice."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

from index.build import IndexBuilder
from index.cache import FILE, ModelCache
from index.entities import EntitySpan
from index.settings import Settings
from index.store import LocalStore
from tests.conftest import SEED_IDS, SEEDS, CountingEmbedder


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "articles"
    shutil.copytree(SEEDS, folder)
    return folder


def stored_parts(index_dir: Path) -> dict[str, tuple[np.ndarray, ...]]:
    stored = LocalStore(index_dir).load()
    parts = {}
    for doc_id in stored.articles:
        rows = [row for row, chunk in enumerate(stored.chunks) if chunk.doc_id == doc_id]
        parts[doc_id] = (stored.search.vectors(rows), *stored.sentences.of(doc_id))
    return parts


def test_a_rebuild_after_a_format_change_runs_no_model_and_gives_the_same_index(
    tmp_path: Path, corpus: Path, counting_embedder: CountingEmbedder
) -> None:
    settings = Settings(index_dir=tmp_path / "ix")
    first = IndexBuilder(settings, counting_embedder)
    report = first.run([corpus])
    assert report.chunks_cached == 0 and len(counting_embedder.texts) == report.chunks_embedded
    assert first.cache.misses > 0 and first.cache.hits == 0
    before = stored_parts(settings.index_dir)
    # What a newer newsqa sees in an index of an older format: it rebuilds it from the files.
    folder = settings.index_dir / "versions" / LocalStore(settings.index_dir).current_version()
    manifest = json.loads((folder / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps({**manifest, "format_version": 1}))
    counting_embedder.texts.clear()
    again = IndexBuilder(settings, counting_embedder)
    rebuilt = again.run([corpus])
    assert rebuilt.rebuilt_damaged and sorted(rebuilt.added) == SEED_IDS
    # Every chunk's vectors and every section's entities came from the cache: no model ran.
    assert counting_embedder.texts == []
    assert rebuilt.chunks_cached == rebuilt.chunks_embedded == report.chunks_embedded
    assert again.cache.misses == 0 and again.cache.hits > 0
    after = stored_parts(settings.index_dir)
    assert after.keys() == before.keys()
    for doc_id, parts in before.items():
        for old, new in zip(parts, after[doc_id], strict=True):
            assert np.array_equal(old, new), doc_id


def test_a_copy_under_another_name_and_date_costs_no_model_time(
    tmp_path: Path, corpus: Path, counting_embedder: CountingEmbedder
) -> None:
    settings = Settings(index_dir=tmp_path / "ix")
    IndexBuilder(settings, counting_embedder).run([corpus])
    seed = LocalStore(settings.index_dir).load().articles["004_af93de6b00e6d4fa"]
    # The same story, reprinted by another outlet on another day: not a duplicate file.
    reprint = {
        "title": seed.title,
        "body": seed.text,
        "source": "The Reprint Weekly",
        "published_at": "2024-02-01",
        "url": "https://reprint.example/kim-letter",
    }
    (corpus / "reprint.json").write_text(json.dumps([reprint]))
    counting_embedder.texts.clear()
    builder = IndexBuilder(settings, counting_embedder)
    report = builder.run([corpus])
    assert report.added == ["https://reprint.example/kim-letter"]
    assert counting_embedder.texts == [] and report.chunks_cached == report.chunks_embedded > 0


def test_a_damaged_cache_is_set_aside_and_the_build_goes_on(
    tmp_path: Path,
    corpus: Path,
    counting_embedder: CountingEmbedder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = Settings(index_dir=tmp_path / "ix")
    cache_file = settings.index_dir / "cache" / FILE
    cache_file.parent.mkdir(parents=True)
    cache_file.write_bytes(b"not a database at all\x00" * 500)
    with caplog.at_level(logging.WARNING):
        report = IndexBuilder(settings, counting_embedder).run([corpus])
    assert report.saved and sorted(report.added) == SEED_IDS
    assert "was damaged" in caplog.text
    assert list(cache_file.parent.glob(f"{FILE}.damaged-*"))
    # The next build starts a fresh cache, and the one after reads from it.
    counting_embedder.texts.clear()
    (corpus / "004_af93de6b00e6d4fa.txt").write_text(
        (corpus / "004_af93de6b00e6d4fa.txt").read_text() + "\nA later line.\n"
    )
    IndexBuilder(settings, counting_embedder).run([corpus])
    assert ModelCache(cache_file.parent, 100).describe()["entries"] > 0


def test_the_cache_keeps_to_its_size_by_dropping_the_oldest(tmp_path: Path) -> None:
    cache = ModelCache(tmp_path, size_mb=1)
    dim = 384
    rng = np.random.default_rng(0)
    spans = [[(0, 5), (6, 12)]]
    for batch in range(40):
        texts = [f"text {batch}-{n}" for n in range(20)]
        vectors = rng.standard_normal((20, dim)).astype(np.float32)
        sums = [rng.standard_normal((2, dim)).astype(np.float16) for _ in texts]
        cache.keep_embeddings("m", texts, spans * 20, vectors, sums)
    state = cache.describe()
    assert state["bytes"] <= 2**20
    # 800 entries of about 3 KB were stored into 1 MiB: the first ones went, the last are there.
    assert cache.embeddings("m", ["text 0-0"], spans) == [None]
    last = cache.embeddings("m", ["text 39-19"], spans)[0]
    assert last is not None
    assert np.array_equal(last[0], vectors[19]) and np.array_equal(last[1], sums[19])
    # Another maker or other spans are other entries.
    assert cache.embeddings("other", ["text 39-19"], spans) == [None]
    assert cache.embeddings("m", ["text 39-19"], [[(0, 5)]]) == [None]


def test_a_cache_of_size_zero_is_off(
    tmp_path: Path, corpus: Path, counting_embedder: CountingEmbedder
) -> None:
    settings = Settings(index_dir=tmp_path / "ix", index={"cache_mb": 0})
    IndexBuilder(settings, counting_embedder).run([corpus])
    assert not (settings.index_dir / "cache").exists()


def test_a_paragraph_met_again_is_not_read_by_the_recogniser_again(
    tmp_path: Path,
    corpus: Path,
    counting_embedder: CountingEmbedder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Entities are cached by paragraph: an article that quotes two paragraphs of an indexed
    one, under its own headline and around a paragraph of its own, sends only that paragraph
    through the recogniser, and finds the same entities in the quoted ones."""
    import index.build

    settings = Settings(index_dir=tmp_path / "ix")
    IndexBuilder(settings, counting_embedder).run([corpus])
    seed = LocalStore(settings.index_dir).load().articles["004_af93de6b00e6d4fa"]
    quoted = [line for line in seed.text.splitlines() if len(line.split()) > 30][:2]
    own = "The council of Leeds met on Tuesday, and Mayor Ann Smith called the new budget fair."
    body = "\n\n".join([quoted[0], own, quoted[1]])
    (corpus / "quoting.json").write_text(
        json.dumps([{"title": "Letters between leaders", "body": body, "source": "Other Post",
                     "published_at": "2024-03-01", "url": "https://other.example/letters"}])
    )  # fmt: skip
    read: list[str] = []
    recognise = index.build.find_entities

    def recording(texts: list[str]) -> list[list[EntitySpan]]:
        read.extend(texts)
        return recognise(texts)

    monkeypatch.setattr(index.build, "find_entities", recording)
    IndexBuilder(settings, counting_embedder).run([corpus])
    assert read == [own]
    stored = LocalStore(settings.index_dir).load()

    def entities_in(doc_id: str, paragraph: str) -> list[tuple[int, str]]:
        text = stored.articles[doc_id].text
        offset = text.index(paragraph)
        rows = stored.sentences.of(doc_id)[2]
        return sorted(
            (int(start) - offset, text[start:end])
            for _, _, start, end in rows
            if offset <= start < offset + len(paragraph)
        )

    for paragraph in quoted:
        found = entities_in("https://other.example/letters", paragraph)
        assert found and found == entities_in("004_af93de6b00e6d4fa", paragraph)
