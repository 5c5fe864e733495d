"""The app's named /ask endpoint through gradio_client, the port check, and basic auth."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from index.settings import Settings
from tests.app_fixtures import RunningApp, start_app, stop_app
from tests.conftest import ROOT, SEEDS
from ui.library_tab import safe_upload_name


def test_gradio_client_ask_returns_the_answer_json(running_app: RunningApp) -> None:
    from gradio_client import Client

    client = Client(running_app.url, verbose=False)
    result: Any = client.predict("What gifts did Putin and Kim exchange?", api_name="/ask")
    answer = json.loads(result) if isinstance(result, str) else result
    assert answer["abstained"] is False
    assert answer["citations"][0]["doc_id"] == "002_164cd89d12bb7479"
    for citation in answer["citations"]:
        source = (SEEDS / f"{citation['doc_id']}.txt").read_bytes().decode("utf-8")
        assert source[citation["start"] : citation["end"]] == citation["text"]
    assert "glove" in answer["answer"]


def test_port_in_use_gives_a_clear_message(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "ui.cli", "serve", "--port", str(port), "--index-dir", str(tmp_path / "ix")],
            capture_output=True, text=True, cwd=ROOT, timeout=120,
        )  # fmt: skip
    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "--port" in result.stderr and "Traceback" not in result.stderr


def test_basic_auth_guards_the_app(seed_index: Settings, tmp_path: Path) -> None:
    index_dir = tmp_path / ".newsqa"
    shutil.copytree(seed_index.index_dir, index_dir)
    app = start_app(index_dir, env={"NEWSQA_AUTH": "editor:s3cret"})
    try:
        assert httpx.get(f"{app.url}/config", timeout=10).status_code == 401
        with httpx.Client(base_url=app.url, timeout=10) as client:
            assert (
                client.post("/login", data={"username": "editor", "password": "wrong"}).status_code
                >= 400
            )
            assert (
                client.post("/login", data={"username": "editor", "password": "s3cret"}).status_code
                == 200
            )
            assert client.get("/config").status_code == 200
    finally:
        stop_app(app)


@pytest.mark.parametrize(
    ("name", "safe"),
    [("../../etc/passwd", "passwd"), ("..\\..\\win.ini", "win.ini"), ("a b?.txt", "a_b_.txt"),
     ("....", "upload"), ("/abs/path/x.md", "x.md")],
)  # fmt: skip
def test_upload_names_cannot_escape_the_upload_folder(name: str, safe: str) -> None:
    assert safe_upload_name(name) == safe


def test_serve_rebuilds_an_index_of_an_older_format(tmp_path: Path) -> None:
    from gradio_client import Client

    from index.store import LocalStore
    from index.stored import FORMAT_VERSION

    corpus = tmp_path / "articles"
    shutil.copytree(SEEDS, corpus)
    index_dir = tmp_path / ".newsqa"
    command = [sys.executable, "-m", "ui.cli", "index", str(corpus), "--index-dir", str(index_dir)]
    subprocess.run(command, cwd=ROOT, capture_output=True, check=True)
    # What an index written by the previous release looks like to this one.
    store = LocalStore(index_dir)
    manifest = index_dir / "versions" / store.current_version() / "manifest.json"
    current = f'"format_version": {FORMAT_VERSION}'
    manifest.write_text(manifest.read_text().replace(current, '"format_version": 1'))
    assert store.outdated()
    app = start_app(index_dir)
    try:
        result = Client(app.url, verbose=False).predict(
            "What gifts did Putin and Kim exchange?", api_name="/ask"
        )
    finally:
        stop_app(app)
    answer = json.loads(result) if isinstance(result, str) else result
    assert "glove" in answer["answer"]
    assert not store.outdated()
    assert sorted(store.load().articles) == sorted(p.stem for p in corpus.glob("*.txt"))
    log = next(tmp_path.glob("serve-*.log")).read_text()
    assert "built by another version of newsqa: re-indexing its 5 files" in log


def test_a_running_app_answers_from_articles_newsqa_index_wrote_meanwhile(
    seed_index: Settings, tmp_path: Path
) -> None:
    from tests.index.test_milvus_store import ask_until

    index_dir = tmp_path / ".newsqa"
    shutil.copytree(seed_index.index_dir, index_dir)
    app = start_app(index_dir)
    try:
        feed = tmp_path / "feed"
        feed.mkdir()
        (feed / "harbour.txt").write_text(
            "Harbour news\n\nThe harbour of Quillmarsh reopened on 3 March 2024 after six weeks "
            "of repairs, the mayor said.\n",
            encoding="utf-8",
        )
        question = "When did the harbour of Quillmarsh reopen?"
        before = ask_until(app.url, question, "Quillmarsh", 0)
        assert all("Quillmarsh" not in c["text"] for c in before["citations"])
        written = subprocess.run(
            [sys.executable, "-m", "ui.cli", "index", str(feed), "--index-dir", str(index_dir)],
            capture_output=True, text=True, cwd=ROOT, timeout=300,
        )  # fmt: skip
        assert written.returncode == 0, written.stderr
        assert "Quillmarsh" in ask_until(app.url, question, "Quillmarsh")["citations"][0]["text"]
    finally:
        stop_app(app)
