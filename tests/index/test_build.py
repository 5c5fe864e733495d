"""Index building, incremental updates and the on-disk store, with the real model and FAISS."""

import json
import multiprocessing
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from index.build import IndexBuilder
from index.chunk import chunk_article
from index.embed import token_counter
from index.errors import (
    BadCorrectionError,
    IndexCorruptError,
    IndexLockedError,
    IndexMissingError,
    UnknownDocumentError,
)
from index.load import load_articles
from index.sentences import article_sections
from index.settings import Settings
from index.store import LocalStore
from index.stored import ArticleTable, field_values
from tests.conftest import SEED_IDS, CountingEmbedder


def build(settings: Settings, embedder: CountingEmbedder, *paths: Path, prune: bool = False):  # type: ignore[no-untyped-def]
    return IndexBuilder(settings, embedder).run(list(paths), prune=prune)


def test_seed_index_round_trips_through_disk(seed_index: Settings) -> None:
    stored = LocalStore(seed_index.index_dir).load()
    assert sorted(stored.articles) == SEED_IDS
    assert stored.search.faiss_index.ntotal == len(stored.chunks)
    assert stored.manifest.index_type == "flat-fp16"
    version = seed_index.index_dir / "versions" / stored.version
    assert not (version / "embeddings.npy").exists()  # the chunk vectors are stored once
    assert stored.search.vectors(range(len(stored.chunks))).shape == (len(stored.chunks), 384)
    for chunk in stored.chunks:
        assert stored.articles[chunk.doc_id].text[chunk.start : chunk.end] == chunk.text


def test_every_story_sentence_gets_a_vector_from_its_chunk(seed_index: Settings, embedder) -> None:  # type: ignore[no-untyped-def]
    stored = LocalStore(seed_index.index_dir).load()
    own_is_nearest = total = 0
    for doc_id, article in stored.articles.items():
        table_sections = stored.sentences.sections(doc_id, article.text)
        expected = article_sections(article)
        assert [[(s.start, s.end) for s in run] for run in table_sections] == [
            [(s.start, s.end) for s in run] for run in expected
        ]
        sentences = [s for run in table_sections for s in run]
        in_context = stored.sentences.vectors_of([[s.row] for s in sentences])
        assert all(v is not None for v in in_context)  # no seed sentence is longer than a chunk
        similarity = np.stack(in_context) @ embedder.embed([s.text for s in sentences]).T  # type: ignore[arg-type]
        # Read in context a sentence's vector drifts toward its neighbours (a dateline, "But no
        # less consequential."), but it is mostly nearest its own text: a vector shifted by one
        # sentence, or taken from the wrong chunk, would fail this.
        own_is_nearest += int((similarity.argmax(axis=1) == np.arange(len(sentences))).sum())
        total += len(sentences)
    assert own_is_nearest / total > 0.75


def test_unchanged_reindex_embeds_nothing_writes_nothing_and_clears_leftovers(
    tmp_path: Path, seed_copy: Path, counting_embedder: CountingEmbedder
) -> None:
    settings = Settings(index_dir=tmp_path / "ix")
    first = build(settings, counting_embedder, seed_copy)
    assert first.chunks_embedded == first.chunks_total > 0
    version = LocalStore(settings.index_dir).current_version()
    # What a writer killed mid-save leaves behind: a half-written version, a spare pointer file.
    versions = settings.index_dir / "versions"
    shutil.copytree(versions / version, versions / ".staging-v-killed")
    (settings.index_dir / ".CURRENT.dead").write_text("v-killed")
    counting_embedder.texts.clear()
    second = build(settings, counting_embedder, seed_copy)
    assert second.chunks_embedded == 0
    assert counting_embedder.texts == []
    assert sorted(second.unchanged) == SEED_IDS
    assert LocalStore(settings.index_dir).current_version() == version
    # Nothing new is written, but the leftovers are cleared.
    assert os.listdir(versions) == [version]
    assert not (settings.index_dir / ".CURRENT.dead").exists()


def test_changed_file_reembeds_only_its_chunks(
    tmp_path: Path, seed_copy: Path, counting_embedder: CountingEmbedder
) -> None:
    settings = Settings(index_dir=tmp_path / "ix")
    build(settings, counting_embedder, seed_copy)
    before = LocalStore(settings.index_dir).load().sentences
    changed = seed_copy / "004_af93de6b00e6d4fa.txt"
    changed.write_text(
        changed.read_text() + "\nKim later sent a second letter about fishing rights.\n"
    )
    counting_embedder.texts.clear()
    report = build(settings, counting_embedder, seed_copy)
    stored = LocalStore(settings.index_dir).load()
    own_chunks = [c for c in stored.chunks if c.doc_id == "004_af93de6b00e6d4fa"]
    assert report.updated == ["004_af93de6b00e6d4fa"]
    assert report.chunks_embedded == len(own_chunks)
    # Its chunks before the new sentence are as they were: the model cache holds their vectors,
    # and only the chunk that changed goes through the model.
    assert len(counting_embedder.texts) == report.chunks_embedded - report.chunks_cached
    assert 0 < len(counting_embedder.texts) < len(own_chunks)
    assert any("fishing rights" in text for text in counting_embedder.texts)
    assert len(stored.articles) == 5
    # Sentence vectors: the other articles keep theirs; the changed one has its new sentence.
    for doc_id in stored.articles:
        if doc_id != "004_af93de6b00e6d4fa":
            assert np.array_equal(stored.sentences.of(doc_id)[1], before.of(doc_id)[1])
    sentences = [
        s
        for section in stored.sentences.sections("004_af93de6b00e6d4fa", changed.read_text())
        for s in section
    ]
    assert sentences[-1].text == "Kim later sent a second letter about fishing rights."
    assert stored.sentences.vectors_of([[sentences[-1].row]])[0] is not None


def test_prune_and_remove(
    tmp_path: Path, seed_copy: Path, counting_embedder: CountingEmbedder
) -> None:
    settings = Settings(index_dir=tmp_path / "ix")
    build(settings, counting_embedder, seed_copy)
    (seed_copy / "000_b32fb440e881743b.txt").unlink()
    kept = build(settings, counting_embedder, seed_copy)
    assert kept.articles_total == 5  # without --prune nothing is lost
    pruned = build(settings, counting_embedder, seed_copy, prune=True)
    assert pruned.removed == ["000_b32fb440e881743b"]
    removed = IndexBuilder(settings, counting_embedder).remove(["001_7df2c242344af025"])
    assert removed.articles_total == 3
    stored = LocalStore(settings.index_dir).load()
    assert "001_7df2c242344af025" not in stored.articles
    assert all(c.doc_id in stored.articles for c in stored.chunks)
    assert stored.search.faiss_index.ntotal == len(stored.chunks)
    with pytest.raises(UnknownDocumentError, match="no-such-doc"):
        IndexBuilder(settings, counting_embedder).remove(["no-such-doc"])
    # Removing from a folder that holds no index says so, and makes no folder there.
    wrong = Settings(index_dir=tmp_path / "wrong")
    with pytest.raises(IndexMissingError, match="No index at"):
        IndexBuilder(wrong, counting_embedder).remove(["001_7df2c242344af025"])
    assert not wrong.index_dir.exists()


def test_duplicates_are_skipped_with_a_reason(
    tmp_path: Path, seed_copy: Path, counting_embedder: CountingEmbedder
) -> None:
    settings = Settings(index_dir=tmp_path / "ix")
    build(settings, counting_embedder, seed_copy)
    twin = tmp_path / "other"
    twin.mkdir()
    shutil.copy(seed_copy / "002_164cd89d12bb7479.txt", twin / "copy-of-002.txt")
    story = "A different story that reuses an id\n\nThe mayor opened the bridge on Monday.\n"
    (twin / "003_006df795ca171f94.txt").write_text(story)
    (twin / "004_af93de6b00e6d4fa.txt").write_bytes(
        (seed_copy / "004_af93de6b00e6d4fa.txt").read_bytes()
    )
    report = build(settings, counting_embedder, twin)
    reasons = sorted(s.reason for s in report.skipped)
    assert reasons == ["same text as already indexed '002_164cd89d12bb7479' (duplicate)"]
    # The same id from another file that still exists: left alone, and the warning says how
    # to replace it. An identical copy of an indexed file is simply unchanged.
    [conflict] = report.conflicts
    assert conflict.doc_id == "003_006df795ca171f94"
    assert conflict.indexed_from == str((seed_copy / "003_006df795ca171f94.txt").resolve())
    assert "pass --replace" in str(conflict)
    assert report.unchanged == ["004_af93de6b00e6d4fa"]
    assert report.articles_total == 5 and not report.saved

    replaced = IndexBuilder(settings, counting_embedder).run([twin], replace=True)
    assert replaced.updated == ["003_006df795ca171f94"] and replaced.conflicts == []
    stored = LocalStore(settings.index_dir).load()
    article = stored.articles["003_006df795ca171f94"]
    assert article.text == story
    assert article.path == str((twin / "003_006df795ca171f94.txt").resolve())
    assert stored.articles["004_af93de6b00e6d4fa"].path.startswith(str(seed_copy.resolve()))


def test_a_corrected_outlet_and_date_outlive_reindexing_and_can_be_undone(
    tmp_path: Path, seed_copy: Path, counting_embedder: CountingEmbedder
) -> None:
    settings = Settings(index_dir=tmp_path / "ix")
    build(settings, counting_embedder, seed_copy)
    doc_id = "003_006df795ca171f94"
    filed = LocalStore(settings.index_dir).load().articles[doc_id]
    builder = IndexBuilder(settings, counting_embedder)
    counting_embedder.texts.clear()
    corrected = builder.correct(doc_id, {"source": " Reuters ", "published": "2024-05-01"})
    assert (corrected.source, corrected.published) == ("Reuters", "2024-05-01")
    assert counting_embedder.texts == []  # nothing re-embedded

    # Indexing the folder again keeps the correction: the file is unchanged.
    again = build(settings, counting_embedder, seed_copy)
    assert doc_id in again.unchanged and not again.saved
    stored = LocalStore(settings.index_dir).load()
    assert stored.articles[doc_id].source == "Reuters"
    # The outlet is a searchable word at once.
    assert doc_id in {stored.chunks[int(row)].doc_id for row in bm25_rows(stored, "Reuters")}

    # The file changes its text: re-embedded, still corrected.
    path = seed_copy / f"{doc_id}.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    changed = build(settings, counting_embedder, seed_copy)
    assert changed.updated == [doc_id]
    assert LocalStore(settings.index_dir).load().articles[doc_id].published == "2024-05-01"

    # A correction of one field leaves the other as it was; undoing gives back the file's own.
    builder.correct(doc_id, {"source": None})
    article = LocalStore(settings.index_dir).load().articles[doc_id]
    assert (article.source, article.published) == (None, "2024-05-01")
    undone = builder.correct(doc_id, {}, reset=True)
    assert (undone.source, undone.published) == (filed.source, filed.published)
    assert LocalStore(settings.index_dir).load().corrections == {}


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"published": "2024-02-30"}, "real day written as YYYY-MM-DD"),
        ({"published": "May 2024"}, "real day written as YYYY-MM-DD"),
        ({"source": "x" * 201}, "at most 200 characters"),
        ({"title": "New"}, "Only the outlet and the date"),
    ],
)
def test_a_bad_correction_is_refused_in_plain_words(
    seed_index: Settings, values: dict[str, str], message: str
) -> None:
    with pytest.raises(BadCorrectionError, match=message):
        IndexBuilder(seed_index).correct(SEED_IDS[0], values)
    with pytest.raises(UnknownDocumentError, match="no-such-doc"):
        IndexBuilder(seed_index).correct("no-such-doc", {"source": "X"})


def bm25_rows(stored, word: str) -> list[int]:  # type: ignore[no-untyped-def]
    from index.stored import bm25_tokenize

    rows, scores = stored.search.bm25.retrieve(bm25_tokenize([word]), k=len(stored.chunks))
    return [int(r) for r, score in zip(rows[0], scores[0], strict=True) if score > 0]


def test_a_moved_folder_keeps_its_vectors(
    tmp_path: Path, seed_copy: Path, counting_embedder: CountingEmbedder
) -> None:
    settings = Settings(index_dir=tmp_path / "ix")
    build(settings, counting_embedder, seed_copy)
    moved = seed_copy.rename(tmp_path / "moved-seeds")
    counting_embedder.texts.clear()
    report = build(settings, counting_embedder, moved, prune=True)
    assert sorted(report.moved) == SEED_IDS
    assert report.removed == [] and counting_embedder.texts == []
    stored = LocalStore(settings.index_dir).load()
    assert all(Path(a.path).parent == moved.resolve() for a in stored.articles.values())


def test_missing_and_damaged_index_give_clear_errors_and_index_rebuilds(
    tmp_path: Path, seed_copy: Path, counting_embedder: CountingEmbedder
) -> None:
    settings = Settings(index_dir=tmp_path / "ix")
    with pytest.raises(IndexMissingError, match="newsqa index"):
        LocalStore(settings.index_dir).load()
    build(settings, counting_embedder, seed_copy)
    store = LocalStore(settings.index_dir)
    version_dir = settings.index_dir / "versions" / store.current_version()
    # Truncate the vectors file, as a full disk or a killed copy would.
    vectors = version_dir / "dense.faiss"
    vectors.write_bytes(vectors.read_bytes()[:100])
    with pytest.raises(IndexCorruptError, match=r"damaged .*newsqa index"):
        store.load()
    report = build(settings, counting_embedder, seed_copy)
    assert report.rebuilt_damaged is not None
    assert len(store.load().articles) == 5
    # A garbled chunk table is caught too.
    version_dir = settings.index_dir / "versions" / store.current_version()
    (version_dir / "chunks.npy").write_bytes(b"not a table")
    with pytest.raises(IndexCorruptError):
        store.load()
    (settings.index_dir / "CURRENT").write_text("v-missing")
    with pytest.raises(IndexCorruptError, match="missing"):
        store.load()


def test_a_version_replaced_while_it_is_read_is_no_damage(
    tmp_path: Path, seed_copy: Path, counting_embedder: CountingEmbedder
) -> None:
    """Another process (`newsqa index --follow`, a live folder) may write a new version and
    remove the one a reader has just named in CURRENT: the reader takes the new one, instead of
    calling the index damaged. Here the writer runs, for real, between the two."""
    settings = Settings(index_dir=tmp_path / "ix")
    build(settings, counting_embedder, seed_copy)
    store = LocalStore(settings.index_dir)
    first = store.current_version()
    read_version = store._load_version
    opened: list[str] = []

    def a_writer_gets_in_first(folder: Path, version: str) -> object:
        if not opened:
            (seed_copy / "later.txt").write_text(
                "Harbour festival opens\n\nThe harbour festival opened on Saturday with "
                "boats, music and food stalls. Thousands walked the quays in the sun. The mayor "
                "said the town would hold it again next summer, with more boats from the north.",
                encoding="utf-8",
            )
            assert build(settings, counting_embedder, seed_copy).added == ["later"]
        opened.append(version)
        return read_version(folder, version)

    store._load_version = a_writer_gets_in_first  # type: ignore[method-assign]
    loaded = store.load()
    assert opened[0] == first and not (settings.index_dir / "versions" / first).exists()
    assert opened[1] == store.current_version() != first
    assert len(loaded.articles) == 6


def _hold_lock(
    index_dir: str,
    ready: "multiprocessing.synchronize.Event",
    done: "multiprocessing.synchronize.Event",
) -> None:  # type: ignore[name-defined]
    with LocalStore(Path(index_dir)).writer_lock():
        ready.set()
        done.wait(30)


def test_second_writer_is_refused(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    ready, done = context.Event(), context.Event()
    holder = context.Process(target=_hold_lock, args=(str(tmp_path / "ix"), ready, done))
    holder.start()
    try:
        assert ready.wait(30)
        with (
            pytest.raises(IndexLockedError, match=f"process {holder.pid}"),
            LocalStore(tmp_path / "ix").writer_lock(),
        ):
            pass
    finally:
        done.set()
        holder.join(30)
    with LocalStore(tmp_path / "ix").writer_lock():
        assert os.path.exists(tmp_path / "ix" / "LOCK")


def unusable_batches(root: Path) -> dict[str, Path]:
    """The three batches in which no file can be used: nothing, binaries, records without text."""
    empty, binary, bodiless = root / "empty", root / "binary", root / "bodiless"
    for folder in (empty, binary, bodiless):
        folder.mkdir()
    (binary / "photo.txt").write_bytes(bytes(range(256)) * 8)
    (binary / "scan.html").write_bytes(b"\x00\x01\x02" * 500)
    (bodiless / "feed.json").write_text('[{"title": "Only a headline"}, {"body": "   "}]')
    return {"empty": empty, "binary": binary, "bodiless": bodiless}


def test_a_batch_with_nothing_usable_makes_no_index_and_spoils_none(
    tmp_path: Path, seed_copy: Path, counting_embedder: CountingEmbedder
) -> None:
    batches = unusable_batches(tmp_path)
    for name, folder in batches.items():
        settings = Settings(index_dir=tmp_path / f"new-{name}")
        report = build(settings, counting_embedder, folder)
        assert not report.saved and report.articles_total == 0
        assert len(report.skipped) == {"empty": 0, "binary": 2, "bodiless": 2}[name]
        assert not settings.index_dir.exists()  # no half-made folder left behind
    assert counting_embedder.texts == []  # nothing was embedded, the model never asked

    settings = Settings(index_dir=tmp_path / "ix")
    build(settings, counting_embedder, seed_copy)
    version = LocalStore(settings.index_dir).current_version()
    for folder in batches.values():
        report = build(settings, counting_embedder, folder)
        assert not report.saved and report.articles_total == 5
    assert LocalStore(settings.index_dir).current_version() == version
    assert len(LocalStore(settings.index_dir).load().articles) == 5


def test_an_article_with_only_a_headline_is_skipped_with_a_reason(
    tmp_path: Path, seed_copy: Path, counting_embedder: CountingEmbedder
) -> None:
    headline_only = tmp_path / "feed"
    headline_only.mkdir()
    (headline_only / "harbour.txt").write_text(
        "Harbour reopens\n\nThe harbour in Tromsø reopened on Monday after the storm."
    )
    settings = Settings(index_dir=tmp_path / "ix")
    report = build(settings, counting_embedder, headline_only)
    assert [s.reason for s in report.skipped] == ["no story text to index beyond its headline"]
    assert not report.saved and not settings.index_dir.exists()
    # Beside good articles it is skipped alone; the others are indexed.
    shutil.copytree(seed_copy, headline_only, dirs_exist_ok=True)
    report = build(settings, counting_embedder, headline_only)
    assert report.saved and report.articles_total == 5 and len(report.skipped) == 1
    assert sorted(LocalStore(settings.index_dir).load().articles) == SEED_IDS


def test_the_chunk_table_gives_back_each_chunk_as_it_was_cut(
    tmp_path: Path, seed_copy: Path, counting_embedder: CountingEmbedder
) -> None:
    """Chunks are stored as number columns and made on demand: each comes back with its id,
    span and text, after an update that keeps some articles' rows and renews another's."""
    settings = Settings(index_dir=tmp_path / "ix")
    build(settings, counting_embedder, seed_copy)
    story = seed_copy / "000_b32fb440e881743b.txt"
    story.write_text(story.read_text(encoding="utf-8") + "\nA later paragraph.\n", "utf-8")
    build(settings, counting_embedder, seed_copy)
    stored = LocalStore(settings.index_dir).load()
    recipe = settings.index
    count = token_counter(recipe.embed_model)
    expected = {
        doc_id: chunk_article(article, recipe.chunk_size, recipe.chunk_overlap, count)
        for doc_id, article in stored.articles.items()
    }
    assert len(stored.chunks) == sum(map(len, expected.values()))
    for doc_id, cut in expected.items():
        rows = stored.chunks_of(doc_id)
        assert [stored.chunks[row] for row in rows] == cut
        assert stored.passage_counts()[doc_id] == len(cut)
    assert stored.chunks[-1] == list(stored.chunks)[-1] == stored.chunks[-1:][0]


def test_the_article_table_gives_back_each_article_as_it_was_indexed(
    tmp_path: Path, seed_copy: Path, counting_embedder: CountingEmbedder
) -> None:
    """Articles are stored as a list per field and made on demand: each comes back equal to the
    article read from its file, the per-field lists agree with the articles, every article's
    sentence rows are its own, and a field list cut short is reported as damage."""
    settings = Settings(index_dir=tmp_path / "ix")
    build(settings, counting_embedder, seed_copy)
    stored = LocalStore(settings.index_dir).load()
    assert isinstance(stored.articles, ArticleTable)
    read = {a.doc_id: a for a in load_articles([seed_copy], settings.index.max_file_mb).articles}
    assert sorted(stored.articles) == sorted(read) == SEED_IDS
    for doc_id, article in read.items():
        assert stored.articles[doc_id] == article
        assert stored.articles[doc_id] is stored.articles[doc_id]  # made once
    for name in ("source", "published", "title", "path"):
        assert list(field_values(stored.articles, name)) == [
            getattr(read[doc_id], name) for doc_id in stored.articles
        ]
    for doc_id in stored.articles:
        rows = stored.sentences.sections(doc_id, stored.articles[doc_id].text)
        assert [s.text for section in rows for s in section] == [
            s.text for section in article_sections(read[doc_id]) for s in section
        ]
        assert stored.article_number(doc_id) == list(stored.articles).index(doc_id)
    assert "no-such-article" not in stored.articles
    assert stored.chunks_of("no-such-article") == []
    folder = settings.index_dir / "versions" / stored.version
    columns = json.loads((folder / "articles.json").read_text(encoding="utf-8"))
    columns["source"] = columns["source"][:-1]
    (folder / "articles.json").write_text(json.dumps(columns), encoding="utf-8")
    with pytest.raises(IndexCorruptError, match=r"articles\.json"):
        LocalStore(settings.index_dir).load()
