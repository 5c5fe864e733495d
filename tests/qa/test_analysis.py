"""What a question asks for, as the entity labels that can answer it."""

import pytest

from index.entities import LABEL_ID
from qa.analysis import analyse_question, edition_fit, outlet_indexed, outlet_key


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


@pytest.mark.parametrize(
    ("question", "editions"),
    [
        ("Who won Super Bowl LVIII?", [(58, "bowl", True)]),
        ("Who won the 96th Academy Awards for best picture?", [(96, "academi", False)]),
        ("What did WrestleMania XL cost?", [(40, "wrestlemania", True)]),
        # Capitals that are not numerals, and a numeral with no name before it.
        ("Did the CIA and the MIX group meet?", []),
        ("What did the US say?", []),
        ("Who won the 2023 Rugby World Cup final?", []),
    ],
)
def test_the_editions_a_question_fixes(
    question: str, editions: list[tuple[int, str, bool]]
) -> None:
    found = analyse_question(question).editions
    assert [(e.number, e.anchor, e.roman) for e in found] == editions


def test_a_text_about_another_edition_does_not_fit_one_about_the_asked_edition() -> None:
    asked = analyse_question("Who won Super Bowl LVIII?").editions
    assert edition_fit("The Chiefs won Super Bowl LVIII in overtime.", asked) == 1
    assert edition_fit("The Chiefs won Super Bowl LVII against the Eagles.", asked) == -1
    assert edition_fit("After Super Bowl LVII, the Chiefs won Super Bowl LVIII too.", asked) == 1
    assert edition_fit("The Chiefs won the Super Bowl.", asked) == 0
    # Another event's edition says nothing about this one.
    assert edition_fit("It was Rocky IV all over again.", asked) == 0
    ordinal = analyse_question("Who hosted the 96th Academy Awards?").editions
    assert edition_fit("Jimmy Kimmel hosted the 95th Academy Awards.", ordinal) == -1


@pytest.mark.parametrize(
    ("question", "names"),
    [
        ("What interest rate did the Bank of England set in November 2023?",
         [("Bank of England", "england")]),
        ("Who replaced Mira Murati as interim CEO of OpenAI?",
         [("Mira Murati", "murati"), ("CEO of OpenAI", "openai")]),
        ("Did The Verge report it before TechCrunch did?",
         [("Verge", "verg"), ("TechCrunch", "techcrunch")]),
        ("According to TechCrunch, which company was fined in 2023?",
         [("TechCrunch", "techcrunch")]),
        ("Who won Super Bowl LVIII?", [("Super Bowl LVIII", "bowl")]),
        ("What did he say next?", []),
    ],
)  # fmt: skip
def test_the_names_a_question_asks_about(question: str, names: list[tuple[str, str]]) -> None:
    assert [(n.surface, n.key) for n in analyse_question(question).names] == names


@pytest.mark.parametrize(
    ("question", "outlets"),
    [
        ("Considering an article in The New York Times and a review in Rolling Stone, who?",
         [("The New York Times", True), ("Rolling Stone", False)]),
        ("According to a Bloomberg article, which company?", [("Bloomberg", True)]),
        ("What was reported by CNN on Tuesday?", [("CNN", False)]),
        ("What did the White House report say about jobs?", [("White House", False)]),
        ("What did the December report from TechCrunch say?", [("TechCrunch", False)]),
        ("Who won the 2023 Rugby World Cup final?", []),
    ],
)  # fmt: skip
def test_the_outlets_a_question_cites(question: str, outlets: list[tuple[str, bool]]) -> None:
    found = analyse_question(question).outlets
    assert [(o.name, o.writes_articles) for o in found] == outlets


def test_an_outlet_is_indexed_by_its_name_before_a_section() -> None:
    indexed = {outlet_key(s) for s in ("BBC News - Technology", "The Independent - Sports")}
    assert outlet_indexed("BBC", indexed) and outlet_indexed("BBC News", indexed)
    assert outlet_indexed("The Independent", indexed) and outlet_indexed("Independent", indexed)
    assert not outlet_indexed("CNN", indexed) and not outlet_indexed("BBCX", indexed)


@pytest.mark.parametrize(
    ("question", "company_answers"),
    [
        ("Where was she CEO before?", True),
        ("Where did Ellen Park work before joining Pairly?", True),
        ("Where did Putin and Kim meet?", False),
        ("Where was the Apple event held?", False),
    ],
)
def test_where_someone_worked_can_be_answered_by_a_company(
    question: str, company_answers: bool
) -> None:
    asked = analyse_question(question)
    assert asked.kind == "place" and LABEL_ID["GPE"] in asked.labels
    assert (LABEL_ID["ORG"] in asked.labels) is company_answers
