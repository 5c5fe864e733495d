"""Search filters that leave the answer out: said, with where it is, never the nearest passages
within them passed off as an answer.

Real index, real embedding and answer models, on short reports written for these tests: one
outlet reports a new chief executive; another outlet, and a later week, hold only other news.
"""

import datetime as dt

import pytest

from index.embed import Embedder
from index.search import Filters
from qa.pipeline import Pipeline
from tests.qa.stories import pipeline_of
from ui.render import answer_message

STORIES = [
    ("https://techdaily.example.com/2025/04/11/lumio-ceo", "Tech Daily", "2025-04-11T09:00:00",
     "Lumio names a new chief executive",
     "Dating app Lumio said on Friday that Maya Ortiz will replace founder Sam Reyes as chief "
     "executive in January. Ortiz ran the messaging company Chatter for three years."),
    ("https://gadgetwire.example.com/2025/04/20/exchange-trial", "Gadget Wire",
     "2025-04-20T10:00:00", "Crypto exchange founder's trial opens",
     "The trial of the founder of the crypto exchange Vaultix opened on Monday. The former chief "
     "executive denied every charge, and a software engineer testified about the firm's code."),
    ("https://gadgetwire.example.com/2025/04/22/phones", "Gadget Wire", "2025-04-22T10:00:00",
     "Foldable phones get cheaper",
     "Foldable phones from three makers now cost under 900 dollars, a price cut of a third "
     "since last year."),
]  # fmt: skip
QUESTION = "Who will replace Sam Reyes as chief executive of Lumio?"
AS_OF = dt.date(2025, 6, 1)


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Pipeline:
    return pipeline_of(STORIES, tmp_path_factory.mktemp("filters"), embedder)


def test_without_filters_the_report_that_says_it_answers(reports: Pipeline) -> None:
    answer = reports.ask(QUESTION, as_of=AS_OF)
    assert not answer.abstained and "Maya Ortiz" in answer.answer
    assert answer.answered_outside is None


@pytest.mark.parametrize(
    ("filters", "within"),
    [
        (Filters(outlets=("Gadget Wire",)), "from Gadget Wire"),
        (Filters(since=dt.date(2025, 4, 15)), "published on or after 15 April 2025"),
    ],
)
def test_a_filter_that_leaves_the_answer_out_says_where_it_is(
    reports: Pipeline, filters: Filters, within: str
) -> None:
    answer = reports.ask(QUESTION, filters=filters, as_of=AS_OF)
    assert answer.abstained and not answer.citations  # no nearest passage passed off as the answer
    assert answer.answer == (
        f"Nothing {within} answers this; Tech Daily (11 April 2025), “Lumio names a new chief "
        "executive” does. Search without the filters to read it."
    )
    assert answer.answered_outside == reports.index.articles[answer.answered_outside].doc_id
    assert reports.index.articles[answer.answered_outside].source == "Tech Daily"
    shown = answer_message(answer, 0)
    assert "Not found within the filters." in shown and "Vaultix" not in shown


def test_a_filter_that_holds_the_answer_answers_as_before(reports: Pipeline) -> None:
    answer = reports.ask(QUESTION, filters=Filters(outlets=("Tech Daily",)), as_of=AS_OF)
    assert not answer.abstained and "Maya Ortiz" in answer.answer
    assert answer.answered_outside is None
    assert {c.doc_id for c in answer.citations} <= {
        d for d, a in reports.index.articles.items() if a.source == "Tech Daily"
    }
