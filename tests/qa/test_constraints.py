"""What the question fixes rules sentences out, and a value several reports state leads.

Real index, real model, real answer model, on short reports written for these tests: the year,
the edition or the name a question fixes, contradicted by a sentence or its article, keeps that
sentence from being the answer (issue 31's complaints: the 2019 final for a question about 2023,
"MVP Award" for a Super Bowl the articles don't cover, the Reserve Bank of Australia's rate for
the Bank of England's); and the value three reports state is the one in bold, with their markers.
"""

import datetime as dt

import pytest

from index.embed import Embedder
from qa.answer_model import AnswerModel
from qa.pipeline import Pipeline
from tests.qa.stories import pipeline_of

STORIES = [
    # The same appointment, three outlets, three wordings; one of them also names a rival.
    ("https://northwire.example.com/2025/03/02/norvik", "North Wire", "2025-03-02",
     "Norvik Energy names interim chief",
     "Norvik Energy named Lena Brandt interim chief executive on Sunday. The board had "
     "removed its previous chief on Friday. Brandt ran the company's grid business for six years."),
    ("https://fjordpost.example.com/2025/03/02/norvik-ceo", "Fjord Post", "2025-03-02",
     "Brandt steps in at Norvik",
     "Lena Brandt will lead Norvik Energy as interim chief executive, the company said. "
     "Analysts had expected finance director Jonas Eide to get the job."),
    ("https://energydaily.example.com/2025/03/03/norvik", "Energy Daily", "2025-03-03",
     "Norvik board turns to Brandt",
     "The Norvik Energy board has appointed Lena Brandt as its interim chief executive. "
     "Shares in the company rose 2 per cent in Oslo."),
    # An earlier edition's final, in a report from the asked year.
    ("https://rugbytimes.example.com/2025/10/20/final-preview", "Rugby Times", "2025-10-20",
     "Nordic Shield final preview",
     "The 2021 Nordic Shield final ended 32-12 to Bergen in front of 40,000 fans. This "
     "year's finalists, Tromso and Alesund, meet on Saturday."),
    # An earlier edition of an event the question numbers.
    ("https://sportwire.example.com/2025/02/10/fjord-bowl", "Sport Wire", "2025-02-10",
     "Fjord Bowl XI: Bergen Bears win again",
     "The Bergen Bears won Fjord Bowl XI on Sunday, beating Stavanger 24-20. Their "
     "quarterback, Nils Dahl, was named the game's most valuable player."),
    # Another central bank's rate, in a report that never names the asked one.
    ("https://sydneyherald.example.com/2025/11/04/rates", "Sydney Herald", "2025-11-04",
     "Reserve Bank holds cash rate",
     "The Reserve Bank of Australia kept its cash rate at 4.35 per cent on Tuesday. "
     "Governor Michele Bullock said inflation was still too high."),
    # A name in full once, then in short where it answers.
    ("https://portnews.example.com/2025/06/01/harbour", "Port News", "2025-06-01",
     "Harbour authority picks a shipping veteran",
     "Kari Holm has spent two decades in shipping. On Monday the Bergen Harbour Authority "
     "said Holm would become its director in July."),
]  # fmt: skip
AS_OF = dt.date(2025, 12, 1)


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Pipeline:
    return pipeline_of(STORIES, tmp_path_factory.mktemp("constraints"), embedder)


def cited_outlets(pipeline: Pipeline, question: str) -> set[str | None]:
    answer = pipeline.ask(question, as_of=AS_OF)
    return set() if answer.abstained else {c.source for c in answer.citations}


def test_a_name_three_reports_state_leads_with_their_markers(reports: Pipeline) -> None:
    answer = reports.ask("Who was named interim chief executive of Norvik Energy?", as_of=AS_OF)
    short = answer.short_answer
    assert short is not None and short.text == "Lena Brandt"
    assert len(short.stated_by) == 3
    first = answer.answer.split("\n\n")[0]
    assert first.startswith("Lena Brandt [1] · stated by 3 reports: ")
    for outlet in ("North Wire", "Fjord Post", "Energy Daily"):
        assert outlet in first
    # Each marker is a quote from a different report that states the name.
    cited = [c for c in answer.citations if c.n in short.stated_by]
    assert len({c.doc_id for c in cited}) == 3
    assert all("Brandt" in c.text for c in cited)
    assert short.probability >= reports.extractive.model.short_answer_above


def test_a_sentence_about_another_year_is_not_the_answer(reports: Pipeline) -> None:
    # The report is from 2025, but its sentence with the score is about the 2021 final.
    answer = reports.ask("What was the score of the 2025 Nordic Shield final?", as_of=AS_OF)
    assert all("32-12" not in c.text for c in answer.citations) or answer.abstained
    assert answer.short_answer is None or "32-12" not in answer.short_answer.text


def test_a_report_on_another_edition_is_not_the_answer(reports: Pipeline) -> None:
    answer = reports.ask("Who won Fjord Bowl XII?", as_of=AS_OF)
    assert answer.abstained
    assert answer.short_answer is None
    # The same question about the edition the articles cover is answered from them.
    covered = reports.ask("Who won Fjord Bowl XI?", as_of=AS_OF)
    assert not covered.abstained and "Bergen Bears" in covered.answer


def test_a_report_that_never_names_the_asked_bank_is_not_the_answer(reports: Pipeline) -> None:
    assert (
        cited_outlets(reports, "What rate did the Bank of England set in November 2025?") == set()
    )
    # Asked about the bank it does name, it answers.
    assert "Sydney Herald" in cited_outlets(
        reports, "What rate did the Reserve Bank of Australia set in November 2025?"
    )


def test_questions_that_fix_nothing_more_are_not_narrowed(reports: Pipeline) -> None:
    # No year, edition or name beyond the subject: the rules leave the answer alone.
    answer = reports.ask("Who was the game's most valuable player?", as_of=AS_OF)
    assert not answer.abstained and "Nils Dahl" in answer.answer


def test_a_report_from_an_outlet_that_is_not_indexed_is_declined_by_name(
    reports: Pipeline,
) -> None:
    asked = "What did a Rolling Stone article say about Lena Brandt's appointment?"
    answer = reports.ask(asked, as_of=AS_OF)
    assert answer.abstained and not answer.citations
    assert answer.answer.startswith("No article from Rolling Stone is in the index")
    # Beside an indexed outlet, a "review" or "report" of an unindexed one is declined too.
    both = reports.ask(
        "Did the Fjord Post article and a review in Rolling Stone agree on who leads Norvik?",
        as_of=AS_OF,
    )
    assert both.abstained and "Rolling Stone" in both.answer and "Fjord Post" not in both.answer
    # An indexed outlet (as written in questions: "the Fjord Post") is answered from.
    indexed = reports.ask("Who did a Fjord Post article say will lead Norvik Energy?", as_of=AS_OF)
    assert not indexed.abstained and "Brandt" in indexed.answer
    # A lone organisation's "report" may be quoted in any outlet's article: not declined so.
    quoted = reports.ask("What did the Norvik board report say about Lena Brandt?", as_of=AS_OF)
    assert not quoted.answer.startswith("No article from")


def test_a_name_given_in_short_is_shown_as_its_article_names_it_in_full(
    reports: Pipeline,
) -> None:
    answer = reports.ask("Who will become director of the Bergen Harbour Authority?", as_of=AS_OF)
    short = answer.short_answer
    assert short is not None, answer.answer
    # The span stays the one the quote holds; what is shown is the article's own full name.
    assert short.text == "Holm" and short.full_name == "Kari Holm"
    article = reports.index.articles[short.doc_id].text
    assert article[short.full_name_start :].startswith("Kari Holm")
    assert answer.answer.startswith("Kari Holm [1]")
    assert "Holm" in answer.citations[0].text


def test_a_check_asked_yes_or_no_is_held_to_its_own_decline_bar(reports: Pipeline) -> None:
    # One sentence rarely states "before": such a check is answered by quoting the reports that
    # bear on it (a verdict is another issue's), held to the bar chosen for checks, not the one
    # for "who". Both bars raised far above this answer's evidence: only the check's decides.
    check = (
        "Did North Wire report that Lena Brandt was named interim chief of Norvik Energy "
        "before Energy Daily did?"
    )
    lookup = "Who was named interim chief executive of Norvik Energy?"
    shipped = reports.extractive.model
    assert shipped.decline_bar(yes_no=True) <= shipped.decline_bar(yes_no=False)

    def asked(question: str, yes_no_bar: float | None) -> bool:
        model = AnswerModel(
            **{**shipped.__dict__, "decline_below": 0.99, "decline_below_yes_no": yes_no_bar}
        )
        pipeline = Pipeline.load(reports.settings, reports.embedder, answer_model=model)
        answer = pipeline.ask(question, as_of=AS_OF)
        if not answer.abstained:
            assert {"North Wire", "Energy Daily"} & {c.source for c in answer.citations}
        return not answer.abstained

    assert asked(check, yes_no_bar=0.0)
    assert not asked(check, yes_no_bar=None)  # one bar for every question declines it
    assert not asked(lookup, yes_no_bar=0.0)  # and the check's bar is not the lookup's
