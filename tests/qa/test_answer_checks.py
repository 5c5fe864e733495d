"""Does a sentence answer the question: the asked kind, the asked year, and the direct answer."""

import dataclasses
import json
import re
from pathlib import Path

import pytest

from index.build import IndexBuilder
from index.embed import Embedder
from index.settings import Settings
from index.store import LocalStore
from qa.pipeline import Pipeline
from qa.session import ChatHistory
from qa.verify import verify_answer

WIMBLEDON = {
    "2019": "In 2019, Simona Halep won the women's singles title at Wimbledon, beating Serena "
    "Williams in the final on the Centre Court.",
    "2021": "In 2021, Ashleigh Barty won the women's singles title at Wimbledon, beating Karolina "
    "Pliskova in the final on the Centre Court.",
}


def index_of(folder: Path, embedder: Embedder, years: list[str]) -> Pipeline:
    lines = [
        json.dumps({"url": f"https://example.org/wimbledon-{y}", "body": WIMBLEDON[y]})
        for y in years
    ]
    folder.mkdir()
    (folder / "reports.jsonl").write_text("\n".join(lines) + "\n")
    settings = Settings(index_dir=folder / ".newsqa")
    IndexBuilder(settings, embedder).run([folder / "reports.jsonl"])
    return Pipeline.load(settings, embedder)


def test_a_report_of_another_year_is_not_the_answer(tmp_path: Path, embedder: Embedder) -> None:
    question = "Who won the women's singles at Wimbledon in 2021?"
    both = index_of(tmp_path / "both", embedder, ["2019", "2021"])
    answer = both.ask(question)
    assert "Ashleigh Barty" in answer.answer and "Halep" not in answer.answer
    only_2019 = index_of(tmp_path / "2019", embedder, ["2019"])
    declined = only_2019.ask(question)
    assert declined.abstained and "Halep" not in declined.answer


BRIDGES = {
    "harbor": "Harbor Bridge repairs approved\n\nPORTLAND, Maine (Reuters) - The state approved "
    "repairs to an ageing bridge on Monday. The Harbor Bridge repairs will cost $14.2 million, the "
    "state transport department said on Monday. Work starts in June and lanes will close at night.",
    "ferry": "Ferry Street Bridge repairs approved\n\nPORTLAND, Maine (Reuters) - The state "
    "approved repairs to an ageing bridge on Monday. The Ferry Street Bridge repairs will cost $8.7 "
    "million, the state transport department said on Monday. Work starts in June and lanes will "
    "close at night.",
}


def test_a_marker_stands_only_where_its_source_says_the_quoted_words(
    tmp_path: Path, embedder: Embedder
) -> None:
    """Two stories alike but for the bridge and the cost: the Harbor Bridge quote is marked with
    the Harbor Bridge story alone, never with the Ferry Street one."""
    lines = [
        json.dumps({"url": f"https://example.org/{name}", "body": body})
        for name, body in BRIDGES.items()
    ]
    (tmp_path / "bridges.jsonl").write_text("\n".join(lines) + "\n")
    settings = Settings(index_dir=tmp_path / ".newsqa")
    IndexBuilder(settings, embedder).run([tmp_path / "bridges.jsonl"])
    answer = Pipeline.load(settings, embedder).ask("How much will the Harbor Bridge repairs cost?")
    assert not answer.abstained
    citations = {c.n: c for c in answer.citations}
    quotes = re.findall(r"“(.+?)” ((?:\[\d+\])+)", answer.answer)
    assert quotes and "$14.2 million" in quotes[0][0]
    for quoted, markers in quotes:
        for n in re.findall(r"\d+", markers):
            # Each marker's source states exactly the quoted words.
            assert re.findall(r"\w+", citations[int(n)].text) == re.findall(r"\w+", quoted)


@pytest.fixture(scope="module")
def seeds(seed_index: Settings, embedder: Embedder) -> Pipeline:
    return Pipeline.load(seed_index, embedder)


@pytest.mark.parametrize(
    ("question", "short"),
    [
        ("When did Kim Jong Un leave Pyongyang for Russia?", "September 10"),
        ("During which years did Japan occupy the Korean peninsula?", "1910 to 1945"),
        ("How long was the part of the talks open to the press?", "nine minutes"),
    ],
)
def test_the_direct_answer_comes_first_and_lies_inside_its_citation(
    seeds: Pipeline, question: str, short: str
) -> None:
    answer = seeds.ask(question)
    found = answer.short_answer
    assert found is not None and short in found.text
    # Alone on the first line, or followed by the reports that state it, each with a marker.
    first = answer.answer.split("\n\n")[0]
    assert first == f"{found.text} [{found.citation}]" or first.startswith(
        f"{found.text} [{found.citation}] · stated by {len(found.stated_by)} reports: "
    )
    assert all(f"[{n}]" in first for n in found.stated_by)
    holder = next(c for c in answer.citations if c.n == found.citation)
    assert holder.start <= found.start < found.end <= holder.end
    assert seeds.index.articles[found.doc_id].text[found.start : found.end] == found.text


def test_a_short_answer_outside_its_citation_is_removed(seeds: Pipeline) -> None:
    answer = seeds.ask("When did Kim Jong Un leave Pyongyang for Russia?")
    assert answer.short_answer is not None
    moved = dataclasses.replace(answer.short_answer, start=0, end=len(answer.short_answer.text))
    answer.short_answer = moved
    verify_answer(answer, LocalStore(seeds.settings.index_dir).load())
    assert answer.short_answer is None
    assert not answer.answer.startswith(moved.text)
    assert any("not inside its citation" in flag for flag in answer.flags)


def test_a_missing_attribute_gives_a_partial_answer(seeds: Pipeline) -> None:
    answer = seeds.ask("How much did the rifle Putin gave Kim cost?")
    assert answer.abstained and answer.partial
    # A sentence a person would write: the names, then what is missing.
    assert (
        answer.answer == "The articles mention Putin and Kim [1], but none of them says how much."
    )
    assert "rifle" in answer.citations[0].text
    # Why it is partial is for --json and the export; the reader's view shows no flag for it.
    assert any(f.startswith("partial:") for f in answer.flags) and answer.removals == []
    from ui.render import answer_message

    assert "partial:" not in answer_message(answer, 0)
    # Not when the articles are about something else.
    other = seeds.ask("How much does a bitcoin cost today?")
    assert other.abstained and not other.partial and other.citations == []


def test_headings_and_embedded_posts_are_never_quoted(tmp_path: Path, embedder: Embedder) -> None:
    body = (
        "Sam Altman was fired as chief executive of OpenAI on Friday by the company's board.\n\n"
        "I love everything we've built together. — Ilya Sutskever (@ilyasut) November 20, 2023\n\n"
        "Employees threaten to resign\n\n"
        "Nearly 500 of OpenAI's roughly 770 employees said they might quit unless the board "
        "resigned and reappointed Altman.\n\n"
        "Do you work at OpenAI and know more about Sam Altman's departure?"
    )
    folder = tmp_path / "feed"
    folder.mkdir()
    record = {"url": "https://example.org/openai", "title": "Altman out", "body": body}
    (folder / "openai.jsonl").write_text(json.dumps(record) + "\n")
    settings = Settings(index_dir=folder / ".newsqa")
    IndexBuilder(settings, embedder).run([folder / "openai.jsonl"])
    pipeline = Pipeline.load(settings, embedder)
    for question in (
        "How many OpenAI employees threatened to resign?",
        "What did Ilya Sutskever say about OpenAI?",
        "Who was fired as chief executive of OpenAI?",
    ):
        answer = pipeline.ask(question)
        quoted = " ".join(c.text for c in answer.citations)
        assert "(@ilyasut)" not in quoted and "I love everything" not in quoted
        assert "Employees threaten to resign" not in quoted
        assert "Do you work at OpenAI" not in quoted
    answer = pipeline.ask("How many OpenAI employees threatened to resign?")
    assert not answer.abstained and "Nearly 500" in answer.answer


def feed_of(folder: Path, embedder: Embedder, records: list[dict[str, str]]) -> Pipeline:
    folder.mkdir()
    (folder / "feed.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    settings = Settings(index_dir=folder / ".newsqa")
    IndexBuilder(settings, embedder).run([folder / "feed.jsonl"])
    return Pipeline.load(settings, embedder)


# A timeline, as live blogs write them: a day's line, then each entry under its subheading, so
# passages start at a subheading, outside any stretch of story text.
TIMELINE = "\n\n".join(
    f"November {day}\n\n{heading}\n\n{body} "
    + "The board did not comment on the matter that day. " * 12
    for day, heading, body in [
        (17, "Altman is fired", "OpenAI's board fired Sam Altman as chief executive on Friday."),
        (18, "Brockman quits", "Greg Brockman resigned as president of OpenAI hours later."),
        (20, "Altman joins Microsoft", "Sam Altman, Greg Brockman and colleagues announce that "
         "they will join Microsoft to lead a new AI research team."),
        (21, "Staff revolt", "Nearly 500 of OpenAI's 770 employees threatened to quit."),
    ]
)  # fmt: skip


def test_a_passage_that_starts_at_a_subheading_is_read_with_its_names(
    tmp_path: Path, embedder: Embedder
) -> None:
    # The answer sentence opens the passage after its subheading: it must be read from the
    # index's sentences, with the names found in it, or "Microsoft" is no company to it.
    record = {"url": "https://example.org/timeline", "title": "A timeline", "body": TIMELINE}
    pipeline = feed_of(tmp_path / "feed", embedder, [record])
    answer = pipeline.ask("Which company did Altman join with Greg Brockman?")
    assert not answer.abstained
    assert "Microsoft" in answer.citations[0].text


def test_a_spelled_out_month_finds_the_abbreviated_one(tmp_path: Path, embedder: Embedder) -> None:
    # News style writes "Oct. 12"; the question says "October 12". A team is often tagged as a
    # product or a group of people ("the Broncos"), not as an organisation.
    games = [
        ("Oct. 12: Swift attends Chiefs-Broncos", "One day after her film premiere, Swift is in "
         "the house for the Chiefs' Thursday night matchup against the Broncos."),
        ("Oct. 22: Swift attends Chiefs-Chargers", "Swift watches the Chiefs beat the Los Angeles "
         "Chargers at Arrowhead Stadium."),
        ("Sept. 24: Swift attends Chiefs-Bears", "Swift sits beside Donna Kelce as the Chiefs "
         "beat the Chicago Bears 41-10."),
    ]  # fmt: skip
    body = "\n\n".join(f"{heading}\n\n{text}" for heading, text in games)
    record = {
        "url": "https://example.org/swift-games",
        "title": "Taylor Swift at the games",
        "body": body,
    }
    pipeline = feed_of(tmp_path / "feed", embedder, [record])
    answer = pipeline.ask(
        "Which team did the Chiefs play when Taylor Swift attended on October 12?"
    )
    assert not answer.abstained
    assert "Broncos" in answer.citations[0].text


def test_a_follow_up_quotes_its_own_topic_not_the_name_it_carried(seeds: Pipeline) -> None:
    # "he" is Zhebin; the article calls him "the specialist" where it gives his view on energy.
    history = ChatHistory()
    seeds.ask("Who is Alexander Zhebin?", history=history)
    answer = seeds.ask("What did he say about energy?", history=history)
    assert answer.query == "What did Alexander Zhebin say about energy?"
    assert "energy is a traditional area of cooperation" in answer.citations[0].text
