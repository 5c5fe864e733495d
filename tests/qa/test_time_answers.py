"""Questions about a time, asked as of a day, on three dated reports of the same kind of event."""

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from index.build import IndexBuilder
from index.embed import Embedder
from index.settings import Settings
from qa.evaluate import run_eval
from qa.pipeline import Pipeline
from qa.questions import load_questions
from tests.conftest import ROOT
from tests.qa.stories import Story, pipeline_of

REPORTS = [
    (
        "2019-05-03",
        "Harbour Gazette",
        "Maria Okafor",
        "a former harbour engineer",
        14,
        "Tom Brandt",
    ),
    ("2022-05-06", "Harbour Gazette", "Daniel Reyes", "a school teacher", 16, "Maria Okafor"),
    ("2025-05-09", "Coastal Times", "Aisha Karimi", "a marine biologist", 13, "Daniel Reyes"),
]
QUESTION = "Who was elected mayor of Port Ellis this week?"


def report_stories() -> list[Story]:
    """REPORTS as the stories indexed: one report of each election."""
    return [
        (
            f"https://example.org/{day}", outlet, day, "Port Ellis council elects a mayor",
            f"Port Ellis council elects a mayor\n\nThe Port Ellis city council on Thursday "
            f"elected {mayor} as mayor. {mayor.split()[1]}, {job}, won {votes} of the 25 council "
            f"votes. The new mayor succeeds {before}.",
        )
        for day, outlet, mayor, job, votes, before in REPORTS
    ]  # fmt: skip


@pytest.fixture(scope="module")
def mayors(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Settings:
    folder = tmp_path_factory.mktemp("mayors")
    lines = []
    for url, outlet, day, title, body in report_stories():
        lines.append(
            json.dumps(
                {"url": url, "source": outlet, "published_at": day, "title": title, "body": body}
            )
        )
    (folder / "reports.jsonl").write_text("\n".join(lines) + "\n")
    settings = Settings(index_dir=folder / ".newsqa")
    IndexBuilder(settings, embedder).run([folder / "reports.jsonl"])
    return settings


@pytest.fixture(scope="module")
def pipeline(mayors: Settings, embedder: Embedder) -> Pipeline:
    return Pipeline.load(mayors, embedder)


@pytest.mark.parametrize(
    ("as_of", "mayor"),
    [
        ("2019-05-08", "Maria Okafor"),
        ("2022-05-10", "Daniel Reyes"),
        ("2025-05-12", "Aisha Karimi"),
    ],
)
def test_this_week_means_the_week_before_the_as_of_day(
    pipeline: Pipeline, as_of: str, mayor: str
) -> None:
    answer = pipeline.ask(QUESTION, as_of=dt.date.fromisoformat(as_of))
    assert not answer.abstained
    assert answer.answer.startswith(mayor)
    assert answer.short_answer is not None and answer.short_answer.text == mayor
    assert all(c.published and c.published[:4] == as_of[:4] for c in answer.citations)
    assert answer.time["window"][1] == as_of
    assert any("“this week” read as" in notice for notice in answer.notices)


def test_evidence_from_outside_the_window_is_said_to_be(pipeline: Pipeline) -> None:
    answer = pipeline.ask(QUESTION, as_of=dt.date(2020, 6, 1))
    assert not answer.abstained
    # The report nearest to the asked week, named as such: never presented as this week's.
    assert answer.answer.startswith("Maria Okafor")
    assert all(c.published == "2019-05-03" for c in answer.citations)
    assert any(
        "No report from 25 May 2020 to 1 June 2020 answers this" in n and "3 May 2019" in n
        for n in answer.notices
    )
    assert "newest_article" not in answer.time  # newer articles exist: not an archive


def test_an_archive_asked_about_this_week_names_its_newest_day(pipeline: Pipeline) -> None:
    answer = pipeline.ask(QUESTION, as_of=dt.date(2026, 11, 26))
    assert not answer.abstained and answer.answer.startswith("Aisha Karimi")
    assert answer.time["newest_article"] == "2025-05-09"
    # Said once, as what it is: the index ends before the asked week.
    assert [n for n in answer.notices if "19 November 2026" in n and "read as" not in n] == [
        "No article in the index is from 19 November 2026 to 26 November 2026: the newest report "
        "found is from 9 May 2025. Ask as of that day to read the question's time from then."
    ]
    result = subprocess.run(
        [sys.executable, "-m", "ui.cli", "ask", QUESTION, "--as-of", "2026-11-26",
         "--index-dir", str(pipeline.settings.index_dir)],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "hint: ask it as of the newest report found with --as-of 2025-05-09" in result.stderr


def test_an_archive_offers_the_day_of_the_newest_report_found_not_of_the_newest_article(
    tmp_path: Path, embedder: Embedder
) -> None:
    """A later article about something else (issue 33: one upload of March 2024 made the app
    offer its day, where nothing answered): the day offered is that of the newest report the
    question found, and asked as of it, the question is answered from that week."""
    library = (
        "https://example.org/library", "Valley Post", "2025-11-20", "Northfield library reopens",
        "Northfield library reopens\n\nThe Northfield public library reopened on Monday after "
        "a two-year renovation that added a reading garden and a children's wing.",
    )  # fmt: skip
    pipeline = pipeline_of([*report_stories(), library], tmp_path, embedder)
    answer = pipeline.ask(QUESTION, as_of=dt.date(2026, 11, 26))
    assert answer.answer.startswith("Aisha Karimi")
    assert answer.time["newest_article"] == "2025-05-09"
    assert any("the newest report found is from 9 May 2025" in n for n in answer.notices)
    assert not any("20 November 2025" in n for n in answer.notices)
    again = pipeline.ask(QUESTION, as_of=dt.date(2025, 5, 9))
    assert again.answer.startswith("Aisha Karimi")
    assert all(c.published == "2025-05-09" for c in again.citations)
    assert "newest_article" not in again.time


def test_latest_prefers_the_newest_report_and_a_year_picks_its_own(pipeline: Pipeline) -> None:
    latest = pipeline.ask("Who is the latest mayor of Port Ellis?", as_of=dt.date(2026, 1, 9))
    assert latest.answer.startswith("Aisha Karimi")
    assert latest.time["newest_article"] == "2025-05-09"
    assert any("the newest report found is from 9 May 2025" in n for n in latest.notices)
    in_2022 = pipeline.ask("Who was elected mayor of Port Ellis in 2022?")
    assert in_2022.answer.startswith("Daniel Reyes")
    assert all(c.published == "2022-05-06" for c in in_2022.citations)


def test_reports_after_the_as_of_day_are_not_preferred(pipeline: Pipeline) -> None:
    answer = pipeline.ask("Who was elected mayor of Port Ellis?", as_of=dt.date(2023, 1, 1))
    assert not answer.abstained
    assert all(c.published and c.published < "2023-01-01" for c in answer.citations[:1])


def test_eval_asks_each_question_as_of_its_own_day(pipeline: Pipeline, tmp_path: Path) -> None:
    path = tmp_path / "quiz.jsonl"
    path.write_text(
        "\n".join(
            json.dumps(
                {"id": day, "question": QUESTION, "facts": [[mayor]], "asked_on": as_of,
                 "docs": [f"https://example.org/{day}"]}
            )
            for (day, _, mayor, *_), as_of in zip(
                REPORTS, ["2019-05-08", "2022-05-10", "2025-05-12"], strict=True
            )
        )
        + "\n"
    )  # fmt: skip
    rows, summary = run_eval(pipeline, load_questions(path))
    assert summary["accuracy"] == 1.0
    assert summary["short_answer_rate"] == 1.0 and summary["short_answer_precision"] == 1.0
    assert [row["asked_on"] for row in rows] == ["2019-05-08", "2022-05-10", "2025-05-12"]


def test_cli_takes_as_of_and_rejects_a_bad_one(mayors: Settings) -> None:
    command = [
        sys.executable,
        "-m",
        "ui.cli",
        "ask",
        QUESTION,
        "--index-dir",
        str(mayors.index_dir),
    ]
    good = subprocess.run(
        [*command, "--as-of", "2022-05-10", "--json"], cwd=ROOT, capture_output=True, text=True
    )
    assert good.returncode == 0, good.stderr
    answer = json.loads(good.stdout)
    assert answer["short_answer"]["text"] == "Daniel Reyes"
    assert answer["time"]["as_of"] == "2022-05-10"
    bad = subprocess.run(
        [*command, "--as-of", "last Tuesday"], cwd=ROOT, capture_output=True, text=True
    )
    assert bad.returncode == 1
    assert "--as-of takes a date as YYYY-MM-DD, not 'last Tuesday'" in bad.stderr
    assert "Traceback" not in bad.stderr
