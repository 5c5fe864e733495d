"""What is never quoted as a claim: decided once, when the index is built."""

import pytest

from index.documents import Article
from index.sentences import Sentence, article_sections, is_filler, split_sentences


def line(text: str) -> tuple[Sentence, str]:
    article = f"The talks lasted four hours.\n{text}\nMr Kim left on Friday."
    start = article.index(text)
    return Sentence(start, start + len(text), text), article


@pytest.mark.parametrize(
    "text",
    [
        "Employees threaten to resign",  # a subheading
        "Do you work at OpenAI and know more about Sam Altman’s departure?",
        "Tip TechCrunch",
        "I want to reunite the company. — Ilya Sutskever (@ilyasut) November 20, 2023",
        "World Series champs again!! pic.twitter.com/HKnal8fcuB",
        "Photograph: Michael Regan/Getty Images",
        "(AFP via Getty Images)",
        "Sign up for our newsletter to get the best of the week.",
        "Jared Goff, Amon-Ra St. Brown, Jahmyr Gibbs, Alvin Kamara, Chris Olave",
    ],
)
def test_filler_is_recognised(text: str) -> None:
    assert is_filler(*line(text))


@pytest.mark.parametrize(
    "text",
    [
        "Mr Putin gave Mr Kim a rifle.",
        "Take tourism.",  # short, but a sentence
        "Director: John Carpenter",  # a fact on a line of its own
        "49ers 42, Cowboys 10",
        "Putin, Kim, Lavrov and Shoigu met in Vladivostok on Wednesday.",
        "All you have to do is sign up for a new account with a sportsbook.",
    ],
)
def test_claims_are_kept(text: str) -> None:
    assert not is_filler(*line(text))


def test_sections_leave_filler_out() -> None:
    text = (
        "Kim visits Russia\n\nKim arrived by train on Tuesday.\n\nKim’s visit\n\n"
        "He met Putin at the Vostochny Cosmodrome. Tip TechCrunch"
    )
    article = Article(doc_id="a", text=text, path="a.txt", title="Kim visits Russia")
    quoted = [s.text for run in article_sections(article) for s in run]
    assert "Kim’s visit" not in quoted and "Tip TechCrunch" not in quoted
    assert "Kim arrived by train on Tuesday." in quoted
    assert "He met Putin at the Vostochny Cosmodrome." in quoted


def test_a_company_name_with_an_abbreviation_is_not_cut_into_two_sentences() -> None:
    # A quote cut at "Warner Bros." read as a whole sentence, with the deal's last partner lost.
    text = (
        "The league finalized a $7.7 billion deal with Fox Sports, NBC, Amazon, and Warner Bros. "
        "Discovery. With such a deal in place, the league is secure."
    )
    first, second = split_sentences(text)
    assert first.text.endswith("Amazon, and Warner Bros. Discovery.")
    assert second.text.startswith("With such a deal")
