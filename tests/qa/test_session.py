"""Follow-up questions: rewritten only when they lean on the last turn, and then to what they
point at, never to a bag of the earlier words."""

import pytest

from qa.sentences import names_in
from qa.session import ChatHistory, Turn, standalone_query


@pytest.mark.parametrize(
    ("previous", "question", "searched"),
    [
        # A pronoun stands for the person the last turn named...
        ("Who is Alexander Zhebin?", "What did he say about energy?",
         "What did Alexander Zhebin say about energy?"),
        ("When is Putin visiting Pyongyang?", "Who went with him?", "Who went with Putin?"),
        # ...for the things it named, or for its topic.
        ("What did Putin and Kim discuss?", "Where did they meet?", "Where did Putin and Kim meet?"),
        ("What happened during the talks at the Vostochny Cosmodrome?", "How long did they last?",
         "How long did the talks at the Vostochny Cosmodrome last?"),
        ("Will Russia help North Korea with satellites?", "What did the US say about it?",
         "What did the US say about Russia help North Korea with satellites?"),
        # An ellipsis swaps the year or the name into the last question.
        ("Who won the 2021 Tour de France?", "What about 2022?", "Who won the 2022 Tour de France?"),
        ("What did Putin say about the war?", "And Lavrov?", "What did Lavrov say about the war?"),
        # Going on from the last turn: the names it had, not its other words...
        ("What did Putin give Kim at the summit?", "And how did Kim travel?",
         "And how did Kim travel? (Putin)"),
        # ...or, with a new subject in the last one's place, what else the last turn asked.
        ("What did the United States say about the visit?", "And what did South Korea say?",
         "And what did South Korea say? (visit)"),
        # ...or, after what it asked about ("in return", "afterwards"), the last question.
        ("What did Putin give Kim at the summit?", "And what did Kim give in return?",
         "And what did Kim give in return? (What did Putin give Kim at the summit)"),
        ("Why is Putin visiting North Korea?", "Where does he go afterwards?",
         "Where does Putin go afterwards? (Why is Putin visiting North Korea)"),
        ("Who acquired 20th Century Fox?", "Why did that happen?",
         "Why did that happen? (Who acquired 20th Century Fox)"),
        # "her" as an object is the person, even in a question asking for a company.
        ("Who is Caroline Ellison?", "Which company sued her?", "Which company sued Caroline Ellison?"),
        ("Who is Caroline Ellison?", "What is the firm that hired her?",
         "What is the firm that hired Caroline Ellison?"),
    ],
)  # fmt: skip
def test_follow_ups_become_standalone(previous: str, question: str, searched: str) -> None:
    assert standalone_query(question, [Turn(previous)]) == searched


@pytest.mark.parametrize(
    "question",
    [
        # The case: "that" and "their" are not about the last turn here.
        "Which outlet reported that news publishers sued Google for harming their bottom line?",
        "What did the Pope say about the Vostochny summit?",
        "What did Putin say about his visit?",  # "his" is Putin, named before it
        "What did Apple say about its revenue?",
        "Is it true that Putin met Kim in Vladivostok?",  # "it" points forward
        "What is inflation?",
        "What happened this week?",  # "this" before a noun
        # A question describing what it asks for: "their" is those firms.
        "What are the firms that changed their odds after the draft, as the Sporting News reported?",
    ],
)
def test_questions_that_stand_alone_are_searched_as_written(question: str) -> None:
    previous = [Turn("What did Caroline Ellison say about Sam Bankman-Fried?")]
    assert standalone_query(question, previous) == question


def test_he_is_the_person_the_last_answer_named() -> None:
    history = ChatHistory()
    assert history.rewrite("How old is he?") == "How old is he?"  # nothing to lean on yet
    history.remember("Who won the 2021 Tour de France?", "Tadej Pogačar", "name")
    assert history.rewrite("How old is he?") == "How old is Tadej Pogačar?"
    history.remember("How old is Tadej Pogačar?")
    # Follow-ups chain through the standalone queries.
    assert history.rewrite("Where was he born?") == "Where was Tadej Pogačar born?"


def test_names_are_read_whole() -> None:
    assert names_in("What did Caroline Ellison say about Sam Bankman-Fried?") == [
        "Caroline Ellison", "Sam Bankman-Fried",
    ]  # fmt: skip
    assert names_in("Tell me about Putin's visit to the Bank of England, and Kim") == [
        "Putin", "Bank of England", "Kim",
    ]  # fmt: skip
    assert names_in("Who won the 2021 Tour de France?") == ["Tour de France"]


@pytest.mark.parametrize(
    ("previous", "answered", "question", "searched"),
    [
        # Each pronoun once, by where it stands: he the buyer, it the thing bought...
        ("Who bought Psagot Investment House?", "Rani Zim", "How much did he pay for it?",
         "How much did Rani Zim pay for Psagot Investment House?"),
        ("Who replaced Whitney Wolfe Herd as CEO of Bumble?", "Lidiane Jones",
         "Where was she CEO before?", "Where was Lidiane Jones CEO before?"),
        # ...and where the answer was the verb's object, the name before the verb is its subject.
        ("Who did the Federal Trade Commission sue?", "Amazon", "Why did it sue them?",
         "Why did Federal Trade Commission sue Amazon?"),
        # What costs something is the thing, not who paid.
        ("Which company did SoftBank Corp. invest in?", "Cubic Telecom",
         "And how much did it cost?", "And how much did Cubic Telecom cost?"),
    ],
)  # fmt: skip
def test_pronouns_stand_for_the_last_answer_or_what_it_was_about(
    previous: str, answered: str, question: str, searched: str
) -> None:
    assert standalone_query(question, [Turn(previous, answered, "name")]) == searched
