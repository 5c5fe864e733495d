"""The real app in a real browser: a filter that leaves the answer out says where it is, and
every card shows every word of the quotes it stands for."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.app_fixtures import RunningApp, app_page
from tests.e2e.test_app_browser import TIMEOUT, ask, choose_outlet, unfolded_text

pytestmark = pytest.mark.browser


def plain(text: str) -> str:
    """Words only: quote marks and the markers' [n] labels out, spaces collapsed."""
    return " ".join(re.sub(r"\[\d+\]|[‘’“”\"']", " ", text).split())


@pytest.fixture
def page(browser: Any, running_app: RunningApp) -> Any:
    with app_page(browser, running_app) as page:
        yield page


def test_a_filter_that_hides_the_answer_names_the_report_that_has_it(page: Any) -> None:
    choose_outlet(page, "TASS")
    page.wait_for_function(
        "() => document.querySelectorAll('.nq-chip').length === 1", timeout=TIMEOUT
    )
    # The gifts are in an article of unknown outlet; TASS's one is an expert's comment.
    answer = ask(page, "What gifts did Putin and Kim exchange?")
    text = answer.inner_text()
    assert "nq-abstain" in (answer.get_attribute("class") or "")
    assert "Not found within the filters." in text
    assert (
        "Nothing from TASS answers this; “Russia, DPRK to strengthen good-neighbourly relations"
        in text
    )
    assert "Search without the filters to read it." in text
    assert "glove" not in text and answer.locator("a.nq-marker").count() == 0
    # The filter off, the same question is answered from that report.
    page.locator(".nq-chip").first.click()
    page.wait_for_function(
        "() => document.querySelectorAll('.nq-chip').length === 0", timeout=TIMEOUT
    )
    assert "glove" in unfolded_text(ask(page, "What gifts did Putin and Kim exchange?"))


def test_every_quote_is_whole_and_highlighted_in_its_card(page: Any) -> None:
    for question in [
        "What gifts did Putin and Kim exchange?",
        "Where did Putin and Kim meet in September?",
        "What did the expert say about Kim's visit?",
    ]:
        answer = ask(page, question)
        quotes = re.findall(r"“(.+?)” \[(\d+)\]", unfolded_text(answer))
        assert quotes, question
        # Each marker leads to the card that holds its quote.
        cards = {
            marker.inner_text().strip("[] "): marker.get_attribute("href")
            for marker in answer.locator("a.nq-marker").all()
        }
        for quote, n in quotes:
            card = page.locator(cards[n])
            marked = " ".join(card.locator(".nq-excerpt mark.nq-span").all_inner_texts())
            # The message nests quotes in single marks (“… ‘in space’ …”): compare the words.
            pieces = [plain(p) for p in quote.split("…") if plain(p)]
            assert all(p in plain(marked) for p in pieces), (
                question, n, quote, marked,
            )  # fmt: skip
