"""What a question asks for, as the entity labels that can answer it."""

import pytest

from index.entities import LABEL_ID
from qa.analysis import analyse_question


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Who acquired Instagram?", "name"),
        ("When was Xenoblade Chronicles 2 released?", "date"),
        ("Where did Putin and Kim meet in September?", "place"),
        ("How long did the negotiations last?", "duration"),
        ("How many soldiers were sent?", "number"),
        ("How many years since Putin last visited Pyongyang?", "time_count"),
        ("How many days did the strike last?", "time_count"),
        ("How much did the rifle cost?", "money"),
        ("How much did prices rise?", "amount"),
        ("Which ministers travelled with Putin to North Korea?", "person"),
        ("Which Russian ministers went?", "person"),  # the noun may come second
        ("In which region of Russia is the Vostochny Cosmodrome?", "place"),
        ("What was Tesla's revenue in Q1 2021?", "money"),
        ("What was the population of the city?", "amount"),
        ("Which company has faced antitrust allegations?", "organisation"),
        ("Which team did the Chiefs play on October 12?", "team"),
        ("What is the name of Amazon's AI assistant?", "name"),
        ("What movie won the Oscar for Best Animated Film in 2020?", "work"),
        ("Super Bowl 2021 location", "place"),
        ("What percentage of voters backed it?", "percentage"),
        # A noun after the verb is not the one asked for.
        ("What gifts did the two leaders exchange?", None),
        ("What did Kim tell Putin about Russia's fight against the West?", None),
        ("How did Kim travel to the summit?", None),
    ],
)
def test_question_kinds(question: str, kind: str | None) -> None:
    assert analyse_question(question).kind == kind


def test_kinds_map_to_entity_labels_and_name_what_is_missing() -> None:
    where = analyse_question("Where is the cosmodrome?")
    assert LABEL_ID["GPE"] in where.labels and LABEL_ID["PERSON"] not in where.labels
    assert where.asked == "where"
    money = analyse_question("How much did it cost in 2019?")
    # A count ("184,877 vehicles") is no answer to a question about money.
    assert money.labels == {LABEL_ID["MONEY"]}
    assert money.years == (2019,)
    assert LABEL_ID["CARDINAL"] in analyse_question("How much rain fell?").labels
    # "24 years" is tagged a date; "how many years" is answered by it, or by a bare count.
    years = analyse_question("How many years has he led the party?").labels
    assert {LABEL_ID["DATE"], LABEL_ID["CARDINAL"]} <= years
    assert analyse_question("Which ministers came?").noun == "minist"
    # "the Broncos" is tagged a product or a group as often as an organisation; a city alone
    # is no team.
    team = analyse_question("Which team did they beat?").labels
    assert {LABEL_ID["ORG"], LABEL_ID["NORP"], LABEL_ID["PRODUCT"]} <= team
    assert LABEL_ID["GPE"] not in team


@pytest.mark.parametrize(
    ("question", "yes_no"),
    [
        ("Did Putin visit Pyongyang?", True),
        ("Does the TechCrunch article agree with the Verge on the charges?", True),
        ("Was the summit held before the launch?", True),
        ("Who visited Pyongyang?", False),
        ("When did Putin visit Pyongyang?", False),
        ("Putin Pyongyang visit", False),
    ],
)
def test_yes_no_questions_open_with_an_auxiliary(question: str, yes_no: bool) -> None:
    from qa.analysis import asks_yes_no

    assert asks_yes_no(question) is yes_no
