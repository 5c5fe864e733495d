"""Watched questions (qa.watches) on a real index: a story told in three dated reports marks the
watch twice, each time with the new figure and its report; an unrelated report marks nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from index.build import IndexBuilder
from index.embed import Embedder
from index.settings import Settings
from qa.pipeline import Pipeline
from qa.watches import Seen, WatchBook, what_changed
from tests.conftest import ROOT

QUESTION = "How many people died?"
# A toll that rises 12 -> 38 -> 45 over three reports by three outlets, and a report on
# something else.
REPORTS = {
    "first": ("2026-11-02", "Valley Courier", "Flash floods hit Marrowvale",
              "MARROWVALE - Flash floods swept through the town of Marrowvale on Sunday night "
              "after two days of heavy rain. At least 12 people died in the floods, the regional "
              "emergency office said on Monday. Rescue teams were still searching the lower "
              "town, where the river burst its banks."),
    "second": ("2026-11-04", "Northern Ledger", "Marrowvale flood toll rises",
               "MARROWVALE - At least 38 people died in the floods that hit Marrowvale, the "
               "regional emergency office said on Wednesday, as rescue teams reached villages "
               "cut off by the water. Dozens of people are still missing."),
    "third": ("2026-11-07", "Daily Meridian", "Marrowvale search ends",
              "MARROWVALE - The search for survivors of the Marrowvale floods ended on Saturday. "
              "In all, 45 people died in the floods, the regional emergency office said, and "
              "200 homes were destroyed."),
    "unrelated": ("2026-11-08", "Coastal Times", "Harbour festival draws record crowds",
                  "PORT ELLIS - The harbour festival drew a record 60,000 visitors this "
                  "weekend, organisers said on Sunday. The tall ships parade was the highlight, "
                  "and the fireworks were moved to Monday because of wind."),
}  # fmt: skip


# The story in other words: what the figure counts comes before it, or is a death toll.
WORDINGS = {
    "people died": {},
    "number of people": {
        "second": "MARROWVALE - The number of people who died in the Marrowvale floods has "
        "risen to 38, the regional emergency office said on Wednesday, as rescue teams reached "
        "villages cut off by the water. Dozens of people are still missing.",
    },
    "death toll": {
        "first": "MARROWVALE - Flash floods swept through the town of Marrowvale on Sunday "
        "night after two days of heavy rain. The death toll stands at 12, the regional "
        "emergency office said on Monday. Rescue teams were still searching the lower town.",
        "second": "MARROWVALE - The death toll from the Marrowvale floods rose to 38 on "
        "Wednesday, the regional emergency office said, as rescue teams reached villages cut "
        "off by the water. Dozens of people are still missing.",
        "third": "MARROWVALE - The search for survivors of the Marrowvale floods ended on "
        "Saturday. The death toll rose to 45, the regional emergency office said, and 200 homes "
        "were destroyed.",
    },
}


def report_file(folder: Path, name: str, body: str | None = None) -> Path:
    day, outlet, title, own_body = REPORTS[name]
    body = body or own_body
    path = folder / f"{name}.json"
    record = {"title": title, "source": outlet, "published_at": day, "body": body,
              "url": f"https://{name}.example/story"}  # fmt: skip
    path.write_text(json.dumps([record]), encoding="utf-8")
    return path


@pytest.mark.parametrize("wording", list(WORDINGS))
def test_a_rising_toll_marks_the_watch_twice_with_each_new_figure_and_its_report(
    tmp_path: Path, embedder: Embedder, wording: str
) -> None:
    settings = Settings(index_dir=tmp_path / ".newsqa")
    builder = IndexBuilder(settings, embedder)
    book = WatchBook(settings.index_dir)

    def arrive(name: str) -> list[str]:
        builder.run([report_file(tmp_path, name, WORDINGS[wording].get(name))])
        return [c.kind for _, c in book.check(Pipeline.load(settings, embedder))]

    builder.run([report_file(tmp_path, "first", WORDINGS[wording].get("first"))])
    watch, added = book.add(Pipeline.load(settings, embedder), QUESTION)
    assert added and "12" in watch.last.lead and watch.last.source == "Valley Courier"
    assert arrive("unrelated") == []
    assert arrive("second") == ["update"]
    assert arrive("unrelated") == []  # the same file again: nothing new, nothing marked
    assert arrive("third") == ["update"]

    watch = WatchBook(settings.index_dir).find(QUESTION)  # read back from the index folder
    first, second = watch.changes
    assert "12" in first.before.lead and "38" in first.after.lead
    assert (first.after.source, first.after.published) == ("Northern Ledger", "2026-11-04")
    assert "45" in second.after.lead and second.after.source == "Daily Meridian"
    assert second.after.published == "2026-11-07" and second.after.doc_id == (
        "https://third.example/story"
    )
    assert "Daily Meridian, 7 November 2026" in second.summary
    # Alerted once: the first take has both, the next none.
    assert [c.after.source for _, c in book.take_alerts()] == ["Northern Ledger", "Daily Meridian"]
    assert book.take_alerts() == []
    assert len(book.watches()[0].unopened) == 2
    book.mark_opened(watch.id)
    assert book.watches()[0].unopened == []


def seen(
    lead: str, doc_id: str | None = "a", abstained: bool = False, cited: tuple[str, ...] = ("a",)
) -> Seen:
    return Seen(asked_at="2026-12-07T00:00:00+00:00", abstained=abstained, lead=lead, answer=lead,
                doc_id=doc_id, cited=list(cited))  # fmt: skip


@pytest.mark.parametrize(
    ("before", "after", "kind"),
    [
        (seen("declined", None, True, ()), seen("At least 12"), "answered"),
        (seen("At least 12"), seen("declined", None, True, ()), "declined"),
        (seen("At least 12"), seen("12 people died", doc_id="b"), None),  # same figure
        (seen("At least 12"), seen("38", doc_id="a"), None),  # a sentence of a cited report
        (seen("At least 12"), seen("38", doc_id="b"), "new answer"),
        (seen("Kyiv", cited=("a",)), seen("Lviv", doc_id="c"), "new answer"),
        (seen("Kyiv"), seen("kyiv"), None),
    ],
)
def test_what_counts_as_a_changed_answer(before: Seen, after: Seen, kind: str | None) -> None:
    assert what_changed(before, after) == kind


def test_watch_commands_and_check_for_cron(tmp_path: Path, seed_index: Settings) -> None:
    index_dir = tmp_path / ".newsqa"
    env = {**os.environ}

    def newsqa(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "ui.cli", *args, "--index-dir", str(index_dir)],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)  # fmt: skip

    assert newsqa("index", str(report_file(tmp_path, "first"))).returncode == 0
    added = newsqa("watch", "add", QUESTION)
    assert added.returncode == 0 and "watching [" in added.stdout and "12" in added.stdout
    assert "already watching" in newsqa("watch", "add", f"  {QUESTION} ").stdout
    quiet = newsqa("watch", "check", "--json")
    assert quiet.returncode == 0 and json.loads(quiet.stdout) == []
    # Indexing the second report asks the watched question again and says it changed.
    indexed = newsqa("index", str(report_file(tmp_path, "second")))
    assert "watched answer changed" in indexed.stdout and "Northern Ledger" in indexed.stdout
    changed = newsqa("watch", "check", "--json")
    assert changed.returncode == 1, changed.stderr
    (row,) = json.loads(changed.stdout)
    assert row["question"] == QUESTION and row["kind"] == "update"
    assert "38" in row["after"]["lead"] and row["after"]["published"] == "2026-11-04"
    assert newsqa("watch", "check").returncode == 0  # alerted once
    listed = newsqa("watch", "list")
    assert "(1 change)" in listed.stdout
    assert "no longer watching" in newsqa("watch", "remove", QUESTION).stdout
    missing = newsqa("watch", "remove", QUESTION)
    assert missing.returncode == 1 and "no watched question" in missing.stderr
    assert "Traceback" not in missing.stderr
