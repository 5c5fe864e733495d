"""Reports that disagree or change, on a real index: developing stories written as fixtures (a
toll rising over three days, two outlets giving different opening dates the same day, two
that agree but for rounding), and how values are compared."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict
from pathlib import Path

import pytest

from index.build import IndexBuilder
from index.embed import Embedder
from index.settings import Settings
from qa.analysis import analyse_question
from qa.candidates import PASSAGES_READ, Candidate
from qa.extractive import Claim, answer_entities, lead_with_versions
from qa.pipeline import Pipeline
from qa.timeframe import TimeScope
from qa.versions import (
    Voice,
    find_voices,
    group_versions,
    holding,
    same,
    shown_value,
    spokesman,
    states_all,
    twins,
)
from ui.export import answer_markdown
from ui.render import answer_message

# (address, outlet, day, headline, body)
STORIES = [
    # A developing story: the toll rises over three days, each day from another outlet.
    ("https://coastwire.example.com/2025/05/04/lindholm-ferry", "Coast Wire", "2025-05-04",
     "Ferry capsizes off Lindholm",
     "At least 30 people died when a ferry capsized off Lindholm island on Sunday, the coast "
     "guard said. Rescue boats searched the cold water through the night, and the island's "
     "school hall was opened for survivors and their families."),
    ("https://harbourpost.example.com/2025/05/05/lindholm-ferry", "Harbour Post", "2025-05-05",
     "Lindholm ferry toll rises",
     "At least 38 people died when a ferry capsized off Lindholm island on Sunday, the coast "
     "guard said on Monday. Divers found more bodies inside the hull as the weather calmed, "
     "and the ferry company said it would help the families."),
    ("https://islandtimes.example.com/2025/05/06/lindholm-ferry", "Island Times", "2025-05-06",
     "Search ends after Lindholm ferry disaster",
     "At least 45 people died when a ferry capsized off Lindholm island on Sunday, the coast "
     "guard said on Tuesday. The search has ended, and an inquiry into the ferry's loading "
     "will begin next month, the transport ministry said."),
    # Two outlets, the same day, different opening dates.
    ("https://valleynews.example.com/2025/03/10/skarholt-bridge", "Valley News", "2025-03-10",
     "Skarholt bridge opening date set",
     "The new Skarholt bridge will open on June 12, the regional transport office said on "
     "Monday. The bridge replaces a ferry that has crossed the sound since 1962, and tolls "
     "will be charged for its first ten years."),
    ("https://fjorddaily.example.com/2025/03/10/skarholt-bridge", "Fjord Daily", "2025-03-10",
     "Skarholt bridge to open in June",
     "The new Skarholt bridge will open on June 21, the regional transport office said on "
     "Monday. Drivers will pay a toll for ten years, and the old ferry line across the sound "
     "will close the week the bridge opens."),
    # Two outlets that agree, one of them rounding.
    ("https://brekkeherald.example.com/2025/08/01/brekke-flood", "Brekke Herald", "2025-08-01",
     "Floods in Brekke",
     "About 30 houses were flooded in Brekke on Friday after the river burst its banks, the "
     "mayor said. Volunteers filled sandbags in the town square until late in the evening."),
    ("https://valleyradio.example.com/2025/08/01/brekke-flood", "Valley Radio", "2025-08-01",
     "Brekke river bursts its banks",
     "30 houses were flooded in Brekke on Friday after the river burst its banks, the mayor "
     "said. The fire service pumped water from cellars and the main road stayed closed."),
    # Two outlets the same day, the venue's city changed; the stadium is the same.
    ("https://nordicsport.example.com/2025/04/02/cup-final", "Nordic Sport", "2025-04-02",
     "Nordic Cup final venue chosen",
     "The 2026 Nordic Cup final will be played at Ullevaal Stadium in Oslo, Norway, the "
     "organisers said on Wednesday. About 28,000 tickets will go on sale in the autumn, and "
     "fans of both finalists will be seated apart."),
    ("https://balticdaily.example.com/2025/04/02/cup-final", "Baltic Daily", "2025-04-02",
     "Cup final venue named",
     "The 2026 Nordic Cup final will be played at Ullevaal Stadium in Gothenburg, Sweden, the "
     "organisers said on Wednesday. Tickets go on sale in the autumn; the semi-finals are "
     "played in March."),
    # Two reports of one outlet on one trial: a sentence they share beside ones they don't.
    ("https://northledger.example.com/2025/03/02/holm-trial", "North Ledger", "2025-03-02",
     "Holm trial opens",
     "According to prosecutor Eva Lindqvist, the fund was a fraud. Lars Holm, the founder of "
     "the collapsed Oslo investment fund Nordfund, is on trial in Oslo for seven counts of "
     "fraud and conspiracy. The trial is expected to last six weeks."),
    ("https://northledger.example.com/2025/03/20/holm-testimony", "North Ledger", "2025-03-20",
     "Holm once spoke on investor safety",
     "Minister Anders Berg once invited him to speak. Lars Holm, the founder of the collapsed "
     "Oslo investment fund Nordfund, is on trial in Oslo for seven counts of fraud and "
     "conspiracy. His lawyers say he will testify."),
    # Two reports about a remaster, each naming two years, in sentences that aren't alike.
    ("https://gamewire.example.com/2025/02/01/skyward-tales", "Game Wire", "2025-02-01",
     "Skyward Tales remaster announced",
     "Skyward Tales Remastered, announced for Switch, remakes a game first released for the "
     "Wii in 2010 in Japan. The remaster is coming in 2025."),
    ("https://playdaily.example.com/2025/06/01/skyward-tales", "Play Daily", "2025-06-01",
     "Skyward Tales Remastered reviewed",
     "Lumen released Skyward Tales Remastered in early 2025, fourteen years after the Wii "
     "original reached Europe in 2011. Its characters have been redrawn for Switch owners."),
]  # fmt: skip
VENUE = "Where will the 2026 Nordic Cup final be played?"
TRIAL = "Who founded the collapsed fund now on trial for fraud?"
REMASTER = "When was Skyward Tales Remastered released?"
TOLL = "How many people died when the ferry capsized off Lindholm?"
OPENING = "When will the new Skarholt bridge open?"
FLOODED = "How many houses were flooded in Brekke?"
AS_OF = dt.date(2025, 9, 1)


def write_stories(folder: Path) -> Path:
    feed = folder / "stories.jsonl"
    feed.write_text(
        "".join(
            json.dumps({"url": u, "source": s, "published_at": d, "title": t, "body": b}) + "\n"
            for u, s, d, t, b in STORIES
        )
    )
    return feed


@pytest.fixture(scope="module")
def stories(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Pipeline:
    folder = tmp_path_factory.mktemp("stories")
    settings = Settings(index_dir=folder / ".newsqa")
    IndexBuilder(settings, embedder).run([write_stories(folder)])
    return Pipeline.load(settings, embedder)


def test_a_rising_toll_is_an_update_led_by_the_newest_report(stories: Pipeline) -> None:
    answer = stories.ask(TOLL, as_of=AS_OF)
    assert answer.versions is not None and answer.versions.kind == "update"
    values = answer.versions.values
    assert [v.value for v in values] == ["At least 45", "At least 38", "At least 30"]
    assert [v.outlets for v in values] == [["Island Times"], ["Harbour Post"], ["Coast Wire"]]
    assert [v.dates for v in values] == [["2025-05-06"], ["2025-05-05"], ["2025-05-04"]]
    line = answer.answer.split("\n\n")[0]
    assert line.startswith("Updated: At least 45 (Island Times, 6 May 2025) [")
    assert "; earlier reports said at least 38 (Harbour Post, 5 May 2025) [" in line
    # Each value's marker is the citation of a quote that states it.
    for version in values:
        for n in version.citations:
            assert version.value in answer.citations[n - 1].text
    # The line and one quote a version are in view; nothing is folded away.
    assert answer.paragraphs.lead[0] == line and len(answer.paragraphs.lead) == 4


def test_two_outlets_the_same_day_with_different_dates_disagree(stories: Pipeline) -> None:
    answer = stories.ask(OPENING, as_of=AS_OF)
    assert answer.versions is not None and answer.versions.kind == "disagreement"
    assert {v.value for v in answer.versions.values} == {"June 12", "June 21"}
    assert {o for v in answer.versions.values for o in v.outlets} == {"Valley News", "Fjord Daily"}
    assert answer.answer.startswith("Reports disagree: June ")
    assert answer.short_answer is None  # no one value in bold above the disagreement
    # In --json, the export and the app.
    assert answer.to_json()["versions"] == asdict(answer.versions)
    assert "Reports disagree: June" in answer_markdown(
        OPENING, answer, dict(stories.index.articles)
    )
    html = answer_message(answer, 0)
    line = html.split('<p class="nq-versions">')[1].split("</p>")[0]
    markers = [n for v in answer.versions.values for n in v.citations]
    for n in markers:  # each value links to its source card
        assert f'title="Show source {n}">[{n}]</a>' in line


def test_a_value_written_in_two_parts_is_one_version(stories: Pipeline) -> None:
    # "in Oslo, Norway" / "in Gothenburg, Sweden": each sentence names the stadium too, and
    # the city and its country are one place that the other report doesn't name.
    answer = stories.ask(VENUE, as_of=AS_OF)
    assert answer.versions is not None and answer.versions.kind == "disagreement"
    assert {v.value for v in answer.versions.values} == {"Oslo, Norway", "Gothenburg, Sweden"}
    assert {o for v in answer.versions.values for o in v.outlets} == {
        "Nordic Sport",
        "Baltic Daily",
    }


def test_only_alike_sentences_lend_each_other_a_value(stories: Pipeline) -> None:
    embedder = stories.extractive.embedder

    def similarity(first: Candidate, second: Candidate) -> float:
        a, b = embedder.embed([first.text(), second.text()])
        return float(a @ b)

    def candidate(question: str, starts: str, sentences: int = 1) -> Candidate:
        found = stories.retriever.run(question, top_k=len(STORIES))
        return next(
            c
            for c in stories.extractive.finder.run(found, len(found))
            if c.text().startswith(starts) and len(c.sentences) == sentences
        )

    # Each names two years, one of them the other's (2025), the other not (2010 in Japan, 2011
    # in Europe); but they say different things, so neither year is a version of the other.
    japan = candidate(REMASTER, "Skyward Tales Remastered, announced for Switch", sentences=2)
    europe = candidate(REMASTER, "Lumen released Skyward Tales Remastered in early 2025")
    remaster = analyse_question(REMASTER)
    assert find_voices([europe, japan], remaster, answer_entities, similarity) == []
    answer = stories.ask(REMASTER, as_of=AS_OF)
    assert not answer.abstained and "2025" in answer.answer
    assert answer.versions is None
    # Alike, each naming the stadium too: the city and country the other doesn't name.
    oslo = candidate(VENUE, "The 2026 Nordic Cup final will be played at Ullevaal Stadium in Oslo")
    gothenburg = candidate(
        VENUE, "The 2026 Nordic Cup final will be played at Ullevaal Stadium in G"
    )
    voices = find_voices([oslo, gothenburg], analyse_question(VENUE), answer_entities, similarity)
    assert [v.written for v in voices] == ["Oslo, Norway", "Gothenburg, Sweden"]


def test_a_sentence_two_candidates_share_is_not_their_claim(stories: Pipeline) -> None:
    # Each candidate pairs the shared sentence about Lars Holm with one the other report
    # doesn't have; the names only one of them holds (Eva Lindqvist, Anders Berg) are in
    # those, which say different things: no versions.
    found = stories.retriever.run(TRIAL, top_k=len(STORIES))
    candidates = stories.extractive.finder.run(found, len(found))
    opening = [
        c
        for c in candidates
        if len(c.sentences) == 2 and c.text().endswith("for seven counts of fraud and conspiracy.")
    ]
    assert {c.passage.article.title for c in opening} == {
        "Holm trial opens",
        "Holm once spoke on investor safety",
    }
    embedder = stories.extractive.embedder

    def similarity(first: Candidate, second: Candidate) -> float:
        a, b = embedder.embed([first.text(), second.text()])
        return float(a @ b)

    trial = analyse_question(TRIAL)
    voices = find_voices(opening, trial, answer_entities, similarity)
    assert group_versions(voices, similarity) == []
    assert stories.ask(TRIAL, as_of=AS_OF).versions is None


def test_a_figure_changed_in_a_copy_of_a_seed_is_a_version_each_marker_stating_it(
    tmp_path: Path, embedder: Embedder
) -> None:
    # The feed: seed 003 from a wire, a paper's copy with a byline and credit line
    # (one voice with the wire's), and a paper's version with "in 14 years" in its first
    # sentence. A two-sentence candidate holding the figure overlaps quotes beside it that
    # don't state it: those are not the version's sources.
    from tests.conftest import SEEDS

    body = next(SEEDS.glob("003_*.txt")).read_text(encoding="utf-8")
    records = [
        ("Wire A", body),
        (
            "Paper B",
            f"By Jane Doe, Wire A\n\n{body}\n\n(Reporting by Jane Doe; Editing by John Roe)",
        ),
        ("Paper C", body.replace("in 24 years", "in 14 years", 1)),
    ]
    feed = tmp_path / "feed.jsonl"
    feed.write_text(
        "".join(
            json.dumps({"url": f"https://{name.lower().replace(' ', '-')}.example.com/putin",
                        "source": name, "published_at": "2024-06-17", "body": text}) + "\n"
            for name, text in records
        )
    )  # fmt: skip
    settings = Settings(index_dir=tmp_path / ".newsqa")
    IndexBuilder(settings, embedder).run([feed])
    pipeline = Pipeline.load(settings, embedder)
    for question in (
        "How many years since Putin's last visit to Pyongyang?",
        "When did Putin last visit Pyongyang?",
    ):
        answer = pipeline.ask(question, as_of=AS_OF)
        assert answer.versions is not None and answer.versions.kind == "disagreement"
        values = {v.value: v for v in answer.versions.values}
        assert set(values) == {"24 years", "14 years"}
        assert set(values["14 years"].outlets) == {"Paper C"}
        assert "Paper C" not in values["24 years"].outlets
        for version in answer.versions.values:
            for n in version.citations:
                assert version.value in answer.citations[n - 1].text


def test_a_report_past_the_passages_read_still_disagrees(stories: Pipeline) -> None:
    # The answerer quotes from the first passages it is given; a report with the date changed
    # that ranked below them is still shown beside the one it contradicts.
    found = stories.retriever.run(OPENING, top_k=len(STORIES))
    by_outlet = {p.article.source: p for p in found}
    others = [p for p in found if p.article.source not in ("Valley News", "Fjord Daily")]
    ordered = [by_outlet["Valley News"], *others, by_outlet["Fjord Daily"]]
    assert ordered.index(by_outlet["Fjord Daily"]) >= PASSAGES_READ
    answer = stories.extractive.run(OPENING, ordered, scope=TimeScope(as_of=AS_OF))
    assert answer.versions is not None and answer.versions.kind == "disagreement"
    assert {v.value for v in answer.versions.values} == {"June 12", "June 21"}
    for version in answer.versions.values:
        for n in version.citations:
            assert version.value in answer.citations[n - 1].text


def test_twins_are_one_sentence_with_the_value_changed(stories: Pipeline) -> None:
    analysis = analyse_question(OPENING)
    passages = stories.retriever.run(OPENING, top_k=len(STORIES))
    candidates = stories.extractive.finder.run(passages, len(passages))
    opening = [
        c
        for c in candidates
        if c.text().startswith("The new Skarholt bridge will open") and len(c.sentences) == 1
    ]
    june_12, june_21 = sorted(opening, key=lambda c: c.text())
    # Each is named with the other, read and unread alike: both are voices.
    pairs = [(june_21, june_12), (june_12, june_21)]
    assert twins([june_12], [june_21], analysis, answer_entities) == pairs
    assert twins([june_12, june_21], [], analysis, answer_entities) == pairs
    # The same value, rounded or not, is agreement, not a twin.
    flooded = analyse_question(FLOODED)
    houses = [
        c
        for c in stories.extractive.finder.run(stories.retriever.run(FLOODED, top_k=2), 2)
        if "houses were flooded in Brekke on Friday" in c.text() and len(c.sentences) == 1
    ]
    assert len(houses) == 2
    assert twins(houses, [], flooded, answer_entities) == []


def test_a_partial_date_agrees_with_the_full_one_but_is_no_source_for_it(
    stories: Pipeline,
) -> None:
    found = stories.retriever.run(OPENING, top_k=2)
    first, second = stories.extractive.finder.run(found, 2)[:2]
    month = Voice(first, "june 2025", "June 2025", first)
    day = Voice(second, "june 12, 2025", "June 12, 2025", second)
    assert same(month.value, day.value)  # one group: they agree
    assert shown_value([month, day]) == "June 12, 2025"
    assert not states_all(month, "June 12, 2025") and states_all(day, "June 12, 2025")
    assert spokesman([month, day]) is day  # the version is quoted by the one that states it
    assert states_all(month, "June 2025")


def test_a_version_quoted_beside_a_claim_is_not_quoted_twice(stories: Pipeline) -> None:
    # A claim quotes the first two sentences of a report; the version's value is in the third,
    # quoted with the second: that quote leads, and the claim gives up the sentence they share.
    found = stories.retriever.run(TRIAL, top_k=len(STORIES))
    pairs = [
        c
        for c in stories.extractive.finder.run(found, len(found))
        if c.passage.article.title == "Holm trial opens" and len(c.sentences) == 2
    ]
    first_two = next(c for c in pairs if c.text().startswith("According to prosecutor"))
    last_two = next(c for c in pairs if c.text().startswith("Lars Holm"))
    third = holding(last_two, (last_two.end - 5, last_two.end - 1))
    assert third.text() == "The trial is expected to last six weeks."
    voice = Voice(last_two, "six weeks", "six weeks", third)
    claims = lead_with_versions([Claim([first_two])], [[voice]])
    quoted = [c for claim in claims for c in claim.candidates]
    assert quoted == [last_two]


def test_reports_that_agree_but_for_rounding_are_one_answer(stories: Pipeline) -> None:
    answer = stories.ask(FLOODED, as_of=AS_OF)
    assert not answer.abstained and "30" in answer.answer
    assert answer.versions is None


def test_a_why_question_or_a_yes_no_one_is_not_split_into_versions(stories: Pipeline) -> None:
    for question in (
        "Why did the ferry capsize off Lindholm?",
        "Did the ferry capsize off Lindholm?",
    ):
        assert stories.ask(question, as_of=AS_OF).versions is None


@pytest.mark.parametrize(
    ("first", "second", "agree"),
    [
        ("biden", "president joe biden", True),
        ("joe biden", "hunter biden", False),
        ("hideki matsuyama", "hideki matsuyama wins", True),
        ("about 30", "30", True),
        ("30", "45", False),
        ("$10.4 billion", "10.4bn dollars", True),
        ("$10.4 billion", "$1.39 billion", False),
        ("october 19th", "october 19, 2021", True),
        ("october 19, 2021", "october 19, 2011", False),
        ("early 2020", "may 31, 2020", True),
        ("june 12", "june 21", False),
    ],
)
def test_values_are_compared_as_what_they_name(first: str, second: str, agree: bool) -> None:
    assert same(first, second) is agree
    assert same(second, first) is agree
