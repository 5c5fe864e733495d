"""A follow-up read with the last turn: its pronouns resolved to who and what they stand for,
and the passages the last answer quoted read again.

Real index, real embedding, entity and answer models, on short reports written for these tests.
"""

import datetime as dt

import pytest

from index.embed import Embedder
from qa.pipeline import Pipeline
from qa.session import ChatHistory
from tests.qa.stories import pipeline_of

STORIES = [
    ("https://marketdesk.example.com/2025/02/03/harrow-bought", "Market Desk",
     "2025-02-03T09:00:00", "Dana Levi buys Harrow Securities",
     "Investor Dana Levi has bought the brokerage Harrow Securities from the Oren family. "
     "Levi paid NIS 310 million for the firm, according to people familiar with the deal. "
     "Harrow manages the savings of about 200,000 clients."),
    ("https://marketdesk.example.com/2025/02/10/bank-rates", "Market Desk",
     "2025-02-10T09:00:00", "Central bank holds rates",
     "The central bank held its key rate at 4.5 percent on Monday, citing stubborn inflation. "
     "Economists had expected the decision."),
    ("https://appwatch.example.com/2025/03/01/pairly-ceo", "App Watch", "2025-03-01T09:00:00",
     "Pairly picks a new chief executive",
     "Dating app Pairly is replacing founder Nora Quinn with Ellen Park as chief executive. "
     "Park was CEO at Kestrel Systems, the workplace chat company, for two years before the move."),
]  # fmt: skip
AS_OF = dt.date(2025, 6, 1)


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Pipeline:
    return pipeline_of(STORIES, tmp_path_factory.mktemp("follow-ups"), embedder)


def test_he_and_it_are_the_buyer_and_the_thing_bought_and_the_amount_is_found(
    reports: Pipeline,
) -> None:
    history = ChatHistory()
    first = reports.ask("Who bought Harrow Securities?", history=history, as_of=AS_OF)
    assert not first.abstained and "Dana Levi" in first.answer
    assert history.turns[-1].answered == "Dana Levi"
    assert history.turns[-1].evidence  # the chunk its quote came from
    follow_up = reports.ask("How much did he pay for it?", history=history, as_of=AS_OF)
    assert follow_up.query == "How much did Dana Levi pay for Harrow Securities?"
    assert not follow_up.abstained
    assert follow_up.short_answer is not None and "310 million" in follow_up.short_answer.shown


def test_where_she_was_ceo_is_answered_with_the_company_from_the_last_answers_report(
    reports: Pipeline,
) -> None:
    history = ChatHistory()
    first = reports.ask("Who replaced Nora Quinn at Pairly?", history=history, as_of=AS_OF)
    assert not first.abstained and history.turns[-1].answered == "Ellen Park"
    follow_up = reports.ask("Where was she CEO before?", history=history, as_of=AS_OF)
    assert follow_up.query == "Where was Ellen Park CEO before?"
    assert follow_up.short_answer is not None and follow_up.short_answer.shown == "Kestrel Systems"
