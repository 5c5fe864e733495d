"""The command line as a user meets it: one-line errors, never a traceback."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from index.build import IndexBuilder
from index.settings import Settings
from tests.conftest import CountingEmbedder
from tests.index.test_build import unusable_batches

ROOT = Path(__file__).resolve().parents[2]


def test_index_of_a_folder_with_nothing_usable_says_so_in_one_line(tmp_path: Path) -> None:
    for name, folder in unusable_batches(tmp_path).items():
        index_dir = tmp_path / f"ix-{name}"
        result = subprocess.run(
            [sys.executable, "-m", "ui.cli", "index", str(folder), "--index-dir", str(index_dir)],
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


def test_a_mistyped_index_dir_stops_in_one_line_that_names_it(tmp_path: Path) -> None:
    from tests.app_fixtures import free_port

    typo = tmp_path / "TYPO"
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not an index", encoding="utf-8")
    is_a_file = f"{a_file} is a file, not an index folder"
    cases = [
        (["serve", "--port", str(free_port()), "--index-dir", str(typo)], f"No index at {typo}."),
        (["ask", "Who visited Pyongyang?", "--index-dir", str(a_file)], is_a_file),
        (["search", "Pyongyang", "--index-dir", str(a_file)], is_a_file),
        (["info", "--index-dir", str(a_file)], is_a_file),
        (["index", str(ROOT / "seeds"), "--index-dir", str(a_file)], is_a_file),
    ]
    for args, expected in cases:
        result = subprocess.run(
            [sys.executable, "-m", "ui.cli", *args],
            capture_output=True, text=True, cwd=ROOT, timeout=120,
        )  # fmt: skip
        assert result.returncode == 1, (args, result.stderr)
        assert "Traceback" not in result.stderr, args
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], lines
    # Nothing was built in the mistyped folder, the file is untouched, and serve says how to
    # start one on purpose.
    assert not typo.exists()
    assert a_file.read_text(encoding="utf-8") == "not an index"
    serve = subprocess.run(
        [sys.executable, "-m", "ui.cli", "serve", "--port", str(free_port()), "--index-dir",
         str(typo)],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert f"--index-dir {typo} --seeds seeds/" in serve.stderr


def test_eval_on_an_index_without_the_seeds_warns(
    tmp_path: Path, counting_embedder: CountingEmbedder
) -> None:
    article = tmp_path / "harbour.txt"
    article.write_text(
        "Harbour reopens after the storm\n\nThe harbour in Tromsø reopened on Monday after the "
        "storm. Ferries to the islands run again from Tuesday, the port authority said. Two "
        "cranes damaged by the wind will be replaced by the end of the month."
    )
    settings = Settings(index_dir=tmp_path / "ix")
    assert IndexBuilder(settings, counting_embedder).run([article]).saved
    result = subprocess.run(
        [sys.executable, "-m", "ui.cli", "eval", "--index-dir", str(settings.index_dir),
         "--out", str(tmp_path / "eval")],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (
        f"warning: 5 of the 5 articles these questions are about are not in {settings.index_dir}"
        in result.stderr
    )
    assert "These are the bundled seed questions." in result.stderr


def test_info_shows_each_outlet_with_its_count_and_dates(seed_index: Settings) -> None:
    command = [sys.executable, "-m", "ui.cli", "info", "--index-dir", str(seed_index.index_dir)]
    shown = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert "       outlets: 3" in lines
    assert "  articles  first       last        no date  outlet" in lines
    assert "         1  -           -                 1  TASS" in lines
    assert lines[-1] == "         2  -           -                 2  (outlet unknown)"
    as_json = subprocess.run([*command, "--json"], capture_output=True, text=True, cwd=ROOT)
    outlets = json.loads(as_json.stdout)["outlets"]
    assert {"outlet": "TASS", "articles": 1, "first": None, "last": None,
            "without_full_date": 1} in outlets  # fmt: skip
    # Each article with what is known of it; an unknown outlet or date is left out.
    listed = subprocess.run([*command, "--articles"], capture_output=True, text=True, cwd=ROOT)
    rows = {line.split()[0]: line for line in listed.stdout.splitlines() if line.startswith("  0")}
    assert rows["000_b32fb440e881743b"].startswith(
        "  000_b32fb440e881743b  TASS · 12 September (year not stated) · 3 chunks · DPRK confirms"
    )
    assert " · " in rows["002_164cd89d12bb7479"]
    assert (
        "unknown" not in rows["002_164cd89d12bb7479"] and " - " not in rows["002_164cd89d12bb7479"]
    )


def test_edit_corrects_an_outlet_and_date_and_says_what_it_now_is(
    tmp_path: Path, seed_index: Settings
) -> None:
    index_dir = tmp_path / "ix"
    shutil.copytree(seed_index.index_dir, index_dir)

    def newsqa(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ui.cli", *args, "--index-dir", str(index_dir)],
            capture_output=True, text=True, cwd=ROOT, timeout=120,
        )  # fmt: skip

    doc_id = "003_006df795ca171f94"
    done = newsqa("edit", doc_id, "--outlet", "Yonhap", "--date", "2024-06-19")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{doc_id}: Yonhap, 19 June 2024"
    assert "         1  2024-06-19  2024-06-19        0  Yonhap" in newsqa("info").stdout
    bad = newsqa("edit", doc_id, "--date", "19/06/2024")
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert bad.stderr.startswith("error: A publication date must be a real day written as")
    nothing = newsqa("edit", doc_id)
    assert nothing.stderr.strip() == "error: give --outlet, --date or --reset."
    reset = newsqa("edit", doc_id, "--reset")
    assert reset.stdout.strip() == f"{doc_id}: outlet unknown, date unknown"


def test_index_watch_follows_a_folder_until_ctrl_c(tmp_path: Path) -> None:
    import signal
    import time

    folder = tmp_path / "live"
    folder.mkdir()
    command = [sys.executable, "-m", "ui.cli", "index", "--watch", str(folder),
               "--index-dir", str(tmp_path / ".newsqa")]  # fmt: skip
    # Ctrl-C as a terminal delivers it. A child inherits an ignored or blocked SIGINT from the
    # process that starts it; in two full-suite runs the child did not answer this one within a
    # minute (it does alone, and under full CPU load in 3 s), so the child starts with SIGINT's
    # defaults, and a failure says what the test process had.
    inherited = (signal.getsignal(signal.SIGINT), signal.pthread_sigmask(signal.SIG_BLOCK, []))

    def ctrl_c_works() -> None:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})

    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        preexec_fn=ctrl_c_works,
    )  # fmt: skip
    try:
        # A link to a file outside the folder is named and never read.
        (folder / "users.txt").symlink_to("/etc/passwd")
        shutil.copy(ROOT / "seeds" / "000_b32fb440e881743b.txt", folder / "tass.txt")
        deadline = time.monotonic() + 120
        lines: list[str] = []
        assert process.stdout is not None
        while time.monotonic() < deadline and not any("1 added" in line for line in lines):
            lines.append(process.stdout.readline())
        assert any("1 added, 0 updated, 0 removed; 1 articles" in line for line in lines), lines
        assert any(
            f"skipped {folder / 'users.txt'}: a link leading outside {folder}" in line
            for line in lines
        ), lines
    finally:
        process.send_signal(signal.SIGINT)
        try:
            rest, _ = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            left, _ = process.communicate()
            raise AssertionError(
                f"no exit on Ctrl-C; inherited {inherited}; {left[-1500:]}"
            ) from None
    assert "Stopped watching." in rest and "Traceback" not in rest
    assert process.returncode == 0


def test_watching_a_folder_that_is_not_there_is_one_line(tmp_path: Path) -> None:
    for command in ("index", "serve"):
        result = subprocess.run(
            [sys.executable, "-m", "ui.cli", command, "--watch", str(tmp_path / "nowhere"),
             "--index-dir", str(tmp_path / ".newsqa")],
            capture_output=True, text=True, cwd=ROOT, timeout=120,
        )  # fmt: skip
        assert result.returncode == 1
        assert result.stderr.strip() == (
            f"error: the folder to watch, {tmp_path / 'nowhere'}, does not exist or is not a folder."
        )
        assert not (tmp_path / ".newsqa").exists()


def test_ask_leads_with_two_quotes_and_counts_the_rest(seed_index: Settings) -> None:
    """Like the app: the best quotes first, the others counted (`--all` prints them), each
    shown quote's source once, its words not printed a second time."""
    command = [sys.executable, "-m", "ui.cli", "ask", "What gifts did Putin and Kim exchange?",
               "--index-dir", str(seed_index.index_dir)]  # fmt: skip
    short = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300)
    every = subprocess.run(
        [*command, "--all"], capture_output=True, text=True, cwd=ROOT, timeout=300
    )
    assert short.returncode == every.returncode == 0, short.stderr + every.stderr
    answer = json.loads(
        subprocess.run(
            [*command, "--json"], capture_output=True, text=True, cwd=ROOT, timeout=300
        ).stdout
    )
    quotes = answer["answer"].split("\n\n")
    assert len(quotes) == 3, "the seed answer this test reads has changed"
    assert "glove from a spacesuit" in short.stdout  # the gifts are in view
    assert quotes[2] not in short.stdout and quotes[2] in every.stdout
    assert "(1 more quote from the articles [3]: --all prints every quote)" in short.stdout
    assert "\n[3] " not in short.stdout and "\n[3] EurasiaDiary" in every.stdout
    for citation in answer["citations"]:
        words = citation["text"].split()[-4:]
        assert every.stdout.count(" ".join(words)) == 1  # quoted once, not again under its source


def test_ask_with_a_language_model_server_that_dies_says_so_and_answers_from_the_articles(
    seed_index: Settings,
) -> None:
    from tests.qa.openai_stub import ScriptedServer

    with ScriptedServer() as server:
        server.mode = "dies"
        shown = subprocess.run(
            [sys.executable, "-m", "ui.cli", "ask", "What gifts did Putin and Kim exchange?",
             "--backend", "openai", "--index-dir", str(seed_index.index_dir)],
            capture_output=True, text=True, cwd=ROOT, timeout=120,
            env={**os.environ, "NEWSQA_LLM__BASE_URL": server.url},
        )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert "Traceback" not in shown.stderr
    assert "closed the connection without finishing its answer; it may have crashed" in (
        shown.stdout + shown.stderr
    )
    assert "glove" in shown.stdout  # the extractive answer stands in, cited
    assert "[1]" in shown.stdout


BLOCK_LXML_CLEANER = '''
import sys

class Missing:
    """As if lxml_html_clean were not installed (an older pip leaves out lxml's extra)."""

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "lxml_html_clean":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, Missing())
'''


def test_an_html_file_whose_reader_library_is_missing_is_its_own_line_and_the_rest_is_indexed(
    tmp_path: Path,
) -> None:
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(BLOCK_LXML_CLEANER)
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "page.html").write_text(
        "<html><head><title>Bridge vote</title></head><body><article><h1>Bridge vote</h1>"
        "<p>The council voted on Monday to rebuild the bridge for 4 million dollars.</p>"
        "<p>Work begins in March, the mayor said.</p></article></body></html>"
    )
    shutil.copy(ROOT / "seeds" / "000_b32fb440e881743b.txt", folder / "tass.txt")
    result = subprocess.run(
        [sys.executable, "-m", "ui.cli", "index", str(folder), "--index-dir", str(tmp_path / "ix")],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
        env={**os.environ, "PYTHONPATH": f"{blocker}{os.pathsep}{ROOT}"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert (
        f"skipped {folder / 'page.html'}: can't be read: a library it needs is missing: "
        "lxml.html.clean module is now a separate project lxml_html_clean." in result.stderr
    )
    assert "(1 added, 0 updated" in result.stdout and "1 skipped)" in result.stdout  # the .txt
