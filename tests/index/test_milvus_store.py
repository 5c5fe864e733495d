"""The index in Milvus: Milvus Lite in this process (a .db file) and `milvus-lite server` on a
loopback port (the path a real server or cluster takes), against the local folder store."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import index.milvus_store as milvus_store
from index.build import IndexBuilder
from index.embed import Embedder
from index.milvus_store import MilvusStore
from index.search import Filters
from index.settings import Settings, StoreSettings
from index.store import LocalStore, open_store
from index.stored import StoredIndex
from qa.pipeline import Pipeline
from tests.app_fixtures import free_port, start_app, stop_app
from tests.conftest import ROOT, SEEDS, CountingEmbedder

SEED_QUESTIONS = [
    json.loads(line)["question"]
    for line in (ROOT / "bench" / "seed_questions.jsonl").read_text(encoding="utf-8").splitlines()
    if line.strip()
]


def on_milvus(settings: Settings, uri: str, index_dir: Path | None = None) -> Settings:
    return settings.model_copy(
        update={
            "store": StoreSettings(uri=uri),
            "index_dir": index_dir or settings.index_dir,
        }
    )


def cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ui.cli", *args],
        capture_output=True, text=True, cwd=ROOT, timeout=timeout,
        env={**os.environ, **(env or {})},
    )  # fmt: skip


@pytest.fixture(scope="session")
def milvus_seeds(seed_index: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The seed index migrated into a Milvus Lite file (this process holds it open)."""
    uri = str(tmp_path_factory.mktemp("milvus") / "seeds.db")
    result = cli("migrate", "--to", uri, "--index-dir", str(seed_index.index_dir))
    assert result.returncode == 0, result.stderr
    assert "copied 5 articles" in result.stdout
    return on_milvus(seed_index, uri)


def test_migrate_copies_everything_the_app_reads(
    seed_index: Settings, milvus_seeds: Settings
) -> None:
    local = LocalStore(seed_index.index_dir).load()
    remote = open_store(milvus_seeds).load()
    assert remote.articles == local.articles  # texts and metadata, exactly
    assert remote.article_hashes == local.article_hashes
    assert remote.corrections == local.corrections
    assert sorted(remote.chunks, key=lambda c: c.chunk_id) == sorted(
        local.chunks, key=lambda c: c.chunk_id
    )
    for doc_id in local.articles:
        spans, vectors, entities = local.sentences.of(doc_id)
        got_spans, got_vectors, got_entities = remote.sentences.of(doc_id)
        assert np.array_equal(got_spans, spans)
        assert np.array_equal(np.asarray(got_vectors), vectors)  # float16 kept exactly
        assert np.array_equal(got_entities, entities)
        assert np.array_equal(remote.signatures[doc_id], local.signatures[doc_id])
    rows = {c.chunk_id: row for row, c in enumerate(remote.chunks)}
    local_rows = [row for row, c in enumerate(local.chunks)]
    remote_rows = [rows[local.chunks[row].chunk_id] for row in local_rows]
    assert np.array_equal(remote.search.vectors(remote_rows), local.search.vectors(local_rows))
    counted = {stem: n for stem, n in local.search.document_frequencies().items() if n}
    assert remote.search.document_frequencies() == counted


def test_seed_questions_get_the_same_passages_and_answers_on_milvus(
    seed_index: Settings, milvus_seeds: Settings, embedder: Embedder
) -> None:
    local = Pipeline.load(seed_index, embedder)
    remote = Pipeline.load(milvus_seeds, embedder)
    texts = {path.stem: path.read_bytes().decode("utf-8") for path in SEEDS.glob("*.txt")}
    for question in SEED_QUESTIONS:
        expected = local.search(question, top_k=8)
        found = remote.search(question, top_k=8)
        assert [p.chunk.chunk_id for p in found] == [p.chunk.chunk_id for p in expected], question
        for mine, theirs in zip(found, expected, strict=True):
            assert mine.chunk.text == texts[mine.chunk.doc_id][mine.chunk.start : mine.chunk.end]
            assert mine.dense_score == pytest.approx(theirs.dense_score, abs=1e-5)
            if mine.bm25_score:  # Milvus returns the best BM25 rows only; those agree
                assert mine.bm25_score == pytest.approx(theirs.bm25_score, rel=1e-4)
        answer, reference = remote.ask(question), local.ask(question)
        assert answer.answer == reference.answer, question
        assert [(c.doc_id, c.start, c.end) for c in answer.citations] == [
            (c.doc_id, c.start, c.end) for c in reference.citations
        ]


def test_filters_are_applied_by_milvus(milvus_seeds: Settings, embedder: Embedder) -> None:
    pipeline = Pipeline.load(milvus_seeds, embedder)
    passages = pipeline.search("friendship visit", top_k=8, filters=Filters(outlets=("tass",)))
    assert passages and {p.article.source for p in passages} == {"TASS"}


@pytest.fixture
def lite_file(tmp_path: Path, seed_settings: Settings) -> Settings:
    return on_milvus(seed_settings, str(tmp_path / "index.db"), tmp_path / ".newsqa")


def test_writes_are_incremental_and_remove_prune_and_edit_work(
    lite_file: Settings, seed_copy: Path, counting_embedder: CountingEmbedder
) -> None:
    builder = IndexBuilder(lite_file, counting_embedder)
    first = builder.run([seed_copy])
    assert first.articles_total == 5 and counting_embedder.texts
    counting_embedder.texts.clear()
    again = IndexBuilder(lite_file, counting_embedder).run([seed_copy])
    assert again.unchanged and not again.changed and counting_embedder.texts == []

    changed = seed_copy / "003_006df795ca171f94.txt"
    changed.write_text(
        changed.read_text(encoding="utf-8")
        + "\n\nThe harbour of Quillmarsh reopened on Tuesday.\n",
        encoding="utf-8",
    )
    report = IndexBuilder(lite_file, counting_embedder).run([seed_copy])
    assert report.updated == ["003_006df795ca171f94"]
    assert all("Quillmarsh" in t or "003" not in t for t in counting_embedder.texts)
    assert len(counting_embedder.texts) < first.chunks_total  # only that article's chunks
    stored = open_store(lite_file).load()
    assert "Quillmarsh" in stored.articles["003_006df795ca171f94"].text
    # The replaced rows are gone, not only hidden: Milvus holds the current ones alone.
    store = MilvusStore(lite_file)
    assert store.client.query(
        store._name("chunks"), filter='pk != ""', output_fields=["pk"], limit=1000
    ).__len__() == len(stored.chunks)

    IndexBuilder(lite_file, counting_embedder).remove(["000_b32fb440e881743b"])
    assert "000_b32fb440e881743b" not in open_store(lite_file).load().articles
    (seed_copy / "000_b32fb440e881743b.txt").unlink()  # else the next run adds it back
    (seed_copy / "001_7df2c242344af025.txt").unlink()
    pruned = IndexBuilder(lite_file, counting_embedder).run([seed_copy], prune=True)
    assert pruned.removed == ["001_7df2c242344af025"]
    IndexBuilder(lite_file, counting_embedder).correct(
        "004_af93de6b00e6d4fa", {"source": "Quill Post"}
    )
    pipeline = Pipeline.load(lite_file, counting_embedder.inner)
    assert sorted(pipeline.index.articles) == [
        "002_164cd89d12bb7479",
        "003_006df795ca171f94",
        "004_af93de6b00e6d4fa",
    ]
    for question in SEED_QUESTIONS[:10]:
        for passage in pipeline.search(question):
            assert passage.chunk.doc_id in pipeline.index.articles
    filtered = pipeline.search("visit", filters=Filters(outlets=("Quill Post",)))
    assert filtered and {p.chunk.doc_id for p in filtered} == {"004_af93de6b00e6d4fa"}
    answer = pipeline.ask("Which harbour reopened on Tuesday?")
    assert "Quillmarsh" in answer.answer


def test_an_article_longer_than_a_varchar_round_trips_exactly(
    lite_file: Settings, tmp_path: Path, embedder: Embedder
) -> None:
    sentence = (
        "Der Bürgermeister von Köln sagte am Dienstag: „Wir öffnen den Hafen“ 🚢 — 東京も同じだ. "
    )
    text = "Harbour news\n\n" + "".join(f"{sentence}Paragraph {n}.\n\n" for n in range(800))
    assert len(text.encode("utf-8")) > 65_535  # what one VARCHAR holds
    folder = tmp_path / "long"
    folder.mkdir()
    (folder / "long.txt").write_text(text, encoding="utf-8")
    IndexBuilder(lite_file, embedder).run([folder])
    stored = open_store(lite_file).load()
    assert stored.articles["long"].text == text
    assert all(c.text == text[c.start : c.end] for c in stored.chunks)


def test_rows_of_a_write_that_never_committed_are_invisible_then_tidied(
    milvus_seeds: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = MilvusStore(milvus_seeds)
    before = store.load()
    orphan = {"pk": "deadbeef:000_b32fb440e881743b#0", "doc_id": "000_b32fb440e881743b", "wid": "deadbeef",
              "written_at": 0, "chunk_id": "000_b32fb440e881743b#0", "start": 0, "end": 5, "outlet": "",
              "day": "", "stems": "zebra", "length": 1, "dense": [0.1] * before.manifest.dim,
              "bm25": {milvus_store.stem_dimension("zebra"): 1.0}}  # fmt: skip
    text = {"pk": "deadbeef:0", "doc_id": "000_b32fb440e881743b", "wid": "deadbeef", "written_at": 0,
            "part": 0, "text": "zebra", "unused": [0.0, 0.0]}  # fmt: skip
    store.client.insert(store._name("texts"), [text])
    store.client.insert(store._name("chunks"), [orphan])
    after = store.load()
    assert (
        len(after.chunks) == len(before.chunks)
        and "zebra" not in after.search.document_frequencies()
    )
    monkeypatch.setattr(milvus_store, "TIDY_AFTER_S", 0)
    assert after.articles == before.articles
    store.tidy()
    for name in ("chunks", "texts"):
        found = store.client.query(
            store._name(name), filter='wid == "deadbeef"', output_fields=["pk"]
        )
        assert found == [], name


def synthetic_articles(folder: Path, batch: str, count: int) -> list[str]:
    """Distinct short articles, each with a fact no other holds."""
    folder.mkdir(parents=True)
    base = (SEEDS / "002_164cd89d12bb7479.txt").read_text(encoding="utf-8").split("\n\n")[3:9]
    names = []
    for n in range(count):
        town = f"{batch}port{chr(97 + n % 26)}{chr(97 + n // 26)}"
        names.append(town)
        body = "\n\n".join(base[(n + i) % len(base)] for i in range(3))
        (folder / f"{batch}-{n:03d}.txt").write_text(
            f"Harbour news {batch} {n}\n\nThe harbour of {town.title()} reopened on {n % 28 + 1} "
            f"March 2024 after {n + 2} weeks of repairs, said mayor Ilse {town.title()}sen.\n\n{body}\n",
            encoding="utf-8",
        )
    return names


@pytest.fixture
def lite_server(tmp_path: Path) -> Iterator[str]:
    """`milvus-lite server` on a loopback port: several processes share it, as with a cluster."""
    port = free_port()
    log = open(tmp_path / "milvus-lite.log", "wb")  # noqa: SIM115
    server = subprocess.Popen(
        [sys.executable, "-m", "milvus_lite", "server", "--data-dir", str(tmp_path / "milvus-data"),
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    import socket

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.2)  # waiting for the server to listen
    yield f"http://127.0.0.1:{port}"
    server.terminate()
    server.wait(20)


def loaded_soundly(stored: StoredIndex) -> None:
    """Every article a reader sees is whole: its chunks and sentences point into its text."""
    for chunk in stored.chunks:
        assert chunk.text == stored.articles[chunk.doc_id].text[chunk.start : chunk.end]
    for doc_id, article in stored.articles.items():
        assert stored.chunks_of(doc_id), doc_id
        spans, _, _ = stored.sentences.of(doc_id)
        assert len(spans) and int(spans[:, 2].max()) <= len(article.text)


def test_two_writers_at_once_then_a_sigkill_leave_an_index_that_answers(
    lite_server: str, tmp_path: Path, embedder: Embedder
) -> None:
    env = {"NEWSQA_STORE__URI": lite_server}
    first = synthetic_articles(tmp_path / "a", "alpha", 20)
    second = synthetic_articles(tmp_path / "b", "beta", 20)
    writers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ui.cli",
                "index",
                str(tmp_path / name),
                "--index-dir",
                str(tmp_path / f".cache-{name}"),
            ],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "b")
    ]
    for writer in writers:
        _, errors = writer.communicate(timeout=600)
        assert writer.returncode == 0, errors
    settings = Settings(index_dir=tmp_path / ".newsqa", store=StoreSettings(uri=lite_server))
    store = MilvusStore(settings)
    stored = store.load()
    assert len(stored.articles) == 40
    loaded_soundly(stored)
    pipeline = Pipeline.load(settings, embedder)
    for town in (first[3], second[7]):
        answer = pipeline.ask(f"When did the harbour of {town.title()} reopen?")
        assert answer.citations and town.title() in answer.citations[0].text

    # A writer killed while it writes: the articles it committed are whole, the rest absent.
    synthetic_articles(tmp_path / "c", "gamma", 30)
    killed = subprocess.Popen(
        [sys.executable, "-m", "ui.cli", "index", str(tmp_path / "c"), "--index-dir", str(tmp_path / ".cache-c")],
        cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and killed.poll() is None:
        if (
            len(
                store.client.query(
                    store._name("articles"), filter='pk like "gamma%"', output_fields=["pk"]
                )
            )
            >= 3
        ):
            killed.send_signal(signal.SIGKILL)
            break
        time.sleep(0.05)  # polling for the writer's first commits
    killed.wait(30)
    assert killed.returncode == -signal.SIGKILL, "the writer finished before it could be killed"
    stored = store.load()
    assert 43 <= len(stored.articles) < 70
    loaded_soundly(stored)
    answer = Pipeline.load(settings, embedder).ask(
        f"When did the harbour of {first[5].title()} reopen?"
    )
    assert answer.citations and first[5].title() in answer.citations[0].text
    finished = cli("index", str(tmp_path / "c"), "--index-dir", str(tmp_path / ".cache-c"), env=env)
    assert finished.returncode == 0, finished.stderr
    stored = store.load()
    assert len(stored.articles) == 70
    loaded_soundly(stored)


@pytest.mark.parametrize(
    ("uri", "said"),
    [
        ("nonsense", "neither a Milvus Lite file"),
        ("/no/such/folder/x.db", "does not exist"),
        (f"http://127.0.0.1:{free_port()}", "Can't reach Milvus"),
    ],
)
def test_a_bad_uri_or_a_server_that_is_down_is_a_clear_error(
    uri: str, said: str, tmp_path: Path
) -> None:
    for args in (["info"], ["ask", "Who is Alexander Zhebin?"], ["index", str(SEEDS)]):
        result = cli(
            *args,
            "--index-dir",
            str(tmp_path / ".newsqa"),
            env={"NEWSQA_STORE__URI": uri},
            timeout=120,
        )
        assert result.returncode == 1, result.stdout
        assert said in result.stderr and "Traceback" not in result.stderr


def test_serve_answers_from_a_migrated_index(seed_index: Settings, tmp_path: Path) -> None:
    from gradio_client import Client

    uri = str(tmp_path / "served.db")
    assert cli("migrate", "--to", uri, "--index-dir", str(seed_index.index_dir)).returncode == 0
    described = cli(
        "info", "--json", "--index-dir", str(tmp_path / ".newsqa"), env={"NEWSQA_STORE__URI": uri}
    )
    info = json.loads(described.stdout)
    assert info["backend"] == "milvus lite" and info["articles"] == 5
    assert info["collections"]["newsqa_chunks"]["rows"] == info["chunks"]
    app = start_app(tmp_path / ".newsqa", env={"NEWSQA_STORE__URI": uri})
    try:
        result = Client(app.url, verbose=False).predict(
            "What gifts did Putin and Kim exchange?", api_name="/ask"
        )
        answer = json.loads(result) if isinstance(result, str) else result
        assert answer["citations"][0]["doc_id"] == "002_164cd89d12bb7479"
        for citation in answer["citations"]:
            source = (SEEDS / f"{citation['doc_id']}.txt").read_bytes().decode("utf-8")
            assert source[citation["start"] : citation["end"]] == citation["text"]
        assert "glove" in answer["answer"]
        assert not (tmp_path / ".newsqa" / "CURRENT").exists()  # nothing was indexed locally
    finally:
        stop_app(app)


def test_a_milvus_lite_file_open_in_another_process_is_a_clear_error(
    seed_index: Settings, tmp_path: Path
) -> None:
    uri = str(tmp_path / "held.db")
    assert cli("migrate", "--to", uri, "--index-dir", str(seed_index.index_dir)).returncode == 0
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pymilvus import MilvusClient; "
         "MilvusClient(sys.argv[1]).list_collections(); print('held', flush=True); time.sleep(120)", uri],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        result = cli(
            "info", "--index-dir", str(tmp_path / ".newsqa"), env={"NEWSQA_STORE__URI": uri}
        )
    finally:
        holder.kill()
    assert result.returncode == 1
    assert "lets one process open a file" in result.stderr and "milvus-lite server" in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1


def ask_until(url: str, question: str, wanted: str, seconds: float = 90) -> dict[str, Any]:
    """The app's /ask answer, asked again until a citation holds `wanted` (or time runs out)."""
    from gradio_client import Client

    client = Client(url, verbose=False)
    deadline = time.monotonic() + seconds
    while True:
        result = client.predict(question, api_name="/ask")
        answer: dict[str, Any] = json.loads(result) if isinstance(result, str) else result
        if any(wanted in c["text"] for c in answer["citations"]) or time.monotonic() > deadline:
            return answer
        time.sleep(2)  # the app looks for other writers' changes every few seconds


def test_a_running_app_answers_from_articles_another_process_wrote(
    lite_server: str, seed_index: Settings, tmp_path: Path
) -> None:
    env = {"NEWSQA_STORE__URI": lite_server}
    migrated = cli("migrate", "--to", lite_server, "--index-dir", str(seed_index.index_dir))
    assert migrated.returncode == 0, migrated.stderr
    app = start_app(tmp_path / ".newsqa", env=env)
    try:
        town = synthetic_articles(tmp_path / "feed", "delta", 2)[1].title()
        question = f"When did the harbour of {town} reopen?"
        assert not any(
            town in c["text"] for c in ask_until(app.url, question, town, 0)["citations"]
        )
        written = cli(
            "index", str(tmp_path / "feed"), "--index-dir", str(tmp_path / ".cache"), env=env
        )
        assert written.returncode == 0, written.stderr
        answer = ask_until(app.url, question, town)
        assert town in answer["citations"][0]["text"]
    finally:
        stop_app(app)
