"""SIGKILL `newsqa index` at random moments while it re-indexes: the index always still loads."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from index.settings import Settings
from index.store import LocalStore
from qa.pipeline import Pipeline
from tests.conftest import ROOT, SEEDS

# Kill moments spread evenly (one random moment in each of KILLS equal slices) from 0.3 to 1.25
# times a full run: before 0.3 the interpreter is still starting, where a kill can break nothing;
# the last slices land after a run that finished, so the new version is seen too.
KILLS = 12
FIRST_KILL, LAST_KILL = 0.3, 1.25


def test_killed_reindex_never_leaves_a_broken_index(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    index_dir = tmp_path / ".newsqa"
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    rng = random.Random(1234)
    command = [sys.executable, "-m", "ui.cli", "index", str(corpus), "--index-dir", str(index_dir)]
    subprocess.run(command, cwd=ROOT, capture_output=True, check=True)  # the first index
    target = corpus / "004_af93de6b00e6d4fa.txt"
    target.write_text(target.read_text() + "\nKim later sent a second letter.\n")
    began = time.monotonic()
    subprocess.run(command, cwd=ROOT, capture_output=True, check=True)  # a full re-index, timed
    full_run = time.monotonic() - began
    versions_seen = set()
    for attempt in range(KILLS):
        # Change one article so each run really re-embeds and writes a new version.
        target.write_text(target.read_text() + f"\nUpdate {attempt}: Kim replied to the letter.\n")
        process = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        # The kill lands at a random moment of its slice of the run.
        width = (LAST_KILL - FIRST_KILL) / KILLS
        time.sleep((FIRST_KILL + width * (attempt + rng.random())) * full_run)
        process.send_signal(signal.SIGKILL)
        process.wait()
        stored = LocalStore(index_dir).load()  # the old or the new version, never a broken one
        versions_seen.add(stored.version)
        assert len(stored.articles) == 5
        assert stored.search.faiss_index.ntotal == len(stored.chunks)
        assert len(stored.search.vectors(range(len(stored.chunks)))) == len(stored.chunks)
        settings = Settings(index_dir=index_dir)
        answer = Pipeline.load(settings, embedder).ask("What gifts did Putin and Kim exchange?")
        assert "glove" in answer.answer
    # Some kills landed after the switch to a new version, some before it.
    assert len(versions_seen) >= 2
    # Leftovers of killed writers are cleaned up by the next complete run, and the model cache
    # they wrote to is whole: the article's unchanged chunks come from it.
    target.write_text(target.read_text() + "\nA last line.\n")
    finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    assert "5 articles" in finished.stdout
    assert len(os.listdir(index_dir / "versions")) == 1
    assert "from the model cache" in finished.stdout, finished.stdout
    assert not list((index_dir / "cache").glob("*.damaged-*"))
