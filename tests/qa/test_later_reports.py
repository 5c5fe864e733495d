"""The note on dates names a later report only where it bears on the claim the answer leads with.

Real index, real model, real answer model, on three short reports written for this test (issue
33: "Who was named Time's 2023 Person of the Year?" noted a later Game Awards deals post): the
first report states the claim, a later one says it again in its own words, and a later one still
is about something else that shares a few of the question's words.
"""

import datetime as dt

import pytest

from index.embed import Embedder
from qa.pipeline import Pipeline
from tests.qa.stories import pipeline_of

STORIES = [
    ("https://lifestyle.example.com/2023/12/06/swift-time", "Lifestyle Daily", "2023-12-06",
     "Taylor Swift is Time's Person of the Year",
     "Taylor Swift has officially been named Time's 2023 Person of the Year. The magazine "
     "announced the honour on Wednesday, citing a year in which her Eras Tour broke box office "
     "records. Swift is the first person to be recognised for her work in the arts alone."),
    ("https://musicwire.example.com/2023/12/08/swift-interview", "Music Wire", "2023-12-08",
     "Swift speaks after Time honour",
     "Two days after Time named her its 2023 Person of the Year, Taylor Swift said the honour "
     "belonged to her fans. The singer spoke at a charity dinner in New York on Friday."),
    ("https://gamepost.example.com/2023/12/09/game-awards-deals", "Game Post", "2023-12-09",
     "Save on the winners from the 2023 Game Awards this weekend",
     "Now is a good time to buy the winners of the 2023 Game Awards: below we list them, with "
     "a larger list of game of the year winners from previous years. Cocoon is the latest title "
     "from a studio founded by the person responsible for the platformers Limbo and Inside. Most "
     "of these games are discounted until Sunday."),
]  # fmt: skip
QUESTION = "Who was named Time's 2023 Person of the Year?"


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Pipeline:
    return pipeline_of(STORIES, tmp_path_factory.mktemp("later-reports"), embedder)


def test_only_a_later_report_on_the_same_claim_is_noted(reports: Pipeline) -> None:
    answer = reports.ask(QUESTION, as_of=dt.date(2023, 12, 31))
    by_outlet = {c.source: c.n for c in answer.citations}
    # The deals post is quoted (it shares "time", "2023", "year" with the question) ...
    assert by_outlet.keys() == {"Lifestyle Daily", "Music Wire", "Game Post"}
    assert by_outlet["Lifestyle Daily"] == 1
    [note] = [p for p in answer.answer.split("\n\n") if p.startswith("Note on dates:")]
    # ... but only the later report that says the same thing is set against the lead.
    assert note == (
        f"Note on dates: [{by_outlet['Music Wire']}] (Music Wire, 8 December 2023) is a later "
        "report than [1] (Lifestyle Daily, 6 December 2023)."
    )
    assert "Game Post" not in note
