"""What a question asks for: the kind of answer, and the noun a "which" question names."""

import pytest

from qa.sentences import asked_noun, expected_answer_type, has_answer_type, stems_of


@pytest.mark.parametrize(
    ("question", "kind", "noun"),
    [
        ("Which ministers travelled with Putin to North Korea?", "name", "minist"),
        ("Which Russian ministers went?", "name", "minist"),  # the noun may come second
        ("What year did Putin last visit Pyongyang?", "date", "year"),
        ("Who reported from Seoul?", "name", None),
        ("How many gifts were exchanged?", "quantity", None),
        ("What did Kim say about the talks?", None, None),
    ],
)
def test_question_kinds(question: str, kind: str | None, noun: str | None) -> None:
    assert expected_answer_type(question) == kind
    assert asked_noun(question) == noun


def test_a_name_the_question_already_gave_is_not_an_answer() -> None:
    asked = stems_of("Which ministers travelled with Putin?")
    assert not has_answer_type("Mr Putin arrived at dawn.", "name", asked)
    assert has_answer_type("Defence minister Andrei Belousov went too.", "name", asked)
