"""Key terms and key phrases of questions, and sentences that lean on the one before."""

import pytest

from qa.sentences import key_phrases, key_terms, starts_with_reference, stem


def test_key_terms_mark_names_and_numbers_and_meet_word_forms() -> None:
    terms = {t.surface: t for t in key_terms("What gifts did Putin give Kim in 2023?")}
    assert set(terms) == {"gifts", "Putin", "give", "Kim", "2023"}
    assert terms["Putin"].is_entity and terms["2023"].is_entity and not terms["gifts"].is_entity
    assert stem("gave") == stem("give") and stem("ministers") == stem("minister")
    assert "US" in {t.surface for t in key_terms("What did the US say?")}  # not the pronoun "us"


@pytest.mark.parametrize(
    ("question", "phrases"),
    [
        ("Who won the 2021 Tour de France?", ["won", "2021 Tour de France"]),
        ("Where did Putin and Kim meet?", ["Putin", "Kim meet"]),
    ],
)
def test_key_phrases_are_runs_of_key_words_as_written(question: str, phrases: list[str]) -> None:
    assert key_phrases(question) == phrases


def test_sentences_that_lean_on_the_one_before() -> None:
    assert starts_with_reference("He said the talks went well.")
    assert starts_with_reference("“But no less consequential.")
    assert not starts_with_reference("Putin said the talks went well.")
