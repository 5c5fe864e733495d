"""index, ask and serve work with every non-loopback connection refused."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.app_fixtures import start_app, stop_app
from tests.conftest import ROOT

GUARD = Path(__file__).parent / "offline_guard"


def guarded_env(log: Path) -> dict[str, str]:
    path = os.pathsep.join(filter(None, [str(GUARD), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, "NEWSQA_GUARD_LOG": str(log)}


def test_index_ask_and_serve_offline(tmp_path: Path) -> None:
    log = tmp_path / "refused.log"
    env = guarded_env(log)
    index_dir = tmp_path / ".newsqa"
    probe = subprocess.run(
        [sys.executable, "-c", "import socket; socket.create_connection(('93.184.216.34', 80), 2)"],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert "offline guard" in probe.stderr  # the guard is really in place
    log.unlink()
    run = {"cwd": ROOT, "env": env, "capture_output": True, "text": True, "timeout": 600}
    indexed = subprocess.run(
        [sys.executable, "-m", "ui.cli", "index", "seeds", "--index-dir", str(index_dir)], **run
    )
    assert indexed.returncode == 0, indexed.stderr
    asked = subprocess.run(
        [sys.executable, "-m", "ui.cli", "ask", "--json", "What gifts did Putin and Kim exchange?",
         "--index-dir", str(index_dir)], **run,
    )  # fmt: skip
    assert asked.returncode == 0, asked.stderr
    assert "glove" in json.loads(asked.stdout)["answer"]
    app = start_app(index_dir, env={"PYTHONPATH": env["PYTHONPATH"], "NEWSQA_GUARD_LOG": str(log)})
    try:
        from gradio_client import Client

        answer = Client(app.url, verbose=False).predict(
            "What gifts did Putin and Kim exchange?", api_name="/ask"
        )
        answer = json.loads(answer) if isinstance(answer, str) else answer
        assert "glove" in answer["answer"]
    finally:
        stop_app(app)
    attempts = log.read_text().splitlines() if log.exists() else []
    print(f"non-loopback connection attempts refused: {len(attempts)}", attempts[:5])
