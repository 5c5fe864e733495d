"""Time expressions become windows relative to the day a question is asked."""

import datetime as dt

import pytest

from qa.timeframe import DateWindow, describe_scope, parse_as_of, parse_time

FRIDAY = dt.date(2026, 1, 9)


@pytest.mark.parametrize(
    ("question", "start", "end"),
    [
        ("Which country hosted the summit this week?", "2026-01-02", "2026-01-09"),
        ("Who won the election held last month?", "2025-12-01", "2026-01-07"),
        ("What happened yesterday in Kyiv?", "2026-01-07", "2026-01-09"),
        ("Who resigned on Tuesday?", "2026-01-05", "2026-01-07"),
        ("What happened three days ago?", "2026-01-05", "2026-01-07"),
        ("How many people died in May?", "2025-05-01", "2025-06-07"),
        ("What did the minister say in March 2024?", "2024-03-01", "2024-04-07"),
        ("Who won the women's singles Wimbledon in 2021?", "2021-01-01", "2022-01-07"),
        ("What did TASS report on October 7, 2023?", "2023-10-06", "2023-10-08"),
        ("Who won this year's prize?", "2026-01-01", "2026-01-09"),
        # The narrowest expression wins.
        ("What did he say on Tuesday this week?", "2026-01-05", "2026-01-07"),
    ],
)
def test_expressions_become_windows(question: str, start: str, end: str) -> None:
    scope = parse_time(question, FRIDAY)
    assert scope.window == DateWindow(dt.date.fromisoformat(start), dt.date.fromisoformat(end))


@pytest.mark.parametrize(
    "question",
    [
        "Where will the next Winter Olympics be held?",
        "What is the latest on the strike?",
        "Who will play next month?",
        "Who has recently joined the board?",
        "Who will the Chiefs play next?",
        "When is the next election?",
        "What happens next week?",
        "Who plays tomorrow?",
    ],
)
def test_recency_and_future_ask_for_the_newest_reports(question: str) -> None:
    scope = parse_time(question, FRIDAY)
    assert scope.prefer_recent
    assert scope.window == DateWindow(dt.date(2025, 12, 9), FRIDAY)


@pytest.mark.parametrize(
    "question",
    [
        "Who may become the party's leader?",  # "may" is not May
        "When did Japan occupy the Korean peninsula?",
        "How many of the 2000s releases sold well?",
        "What gifts did Putin and Kim exchange?",
        # Words that are often not time: a follow-up, a plan, an album, a company.
        "What did he say next?",
        "What is the next step for the union?",
        "What was the title of his last album?",
        "Why did this company cut jobs?",
    ],
)
def test_questions_without_a_time_have_no_window(question: str) -> None:
    scope = parse_time(question, FRIDAY)
    assert scope.window is None and not scope.prefer_recent
    assert describe_scope(scope) is None


def test_years_are_constraints_and_the_reading_is_described() -> None:
    scope = parse_time("Super Bowl 2021 location", FRIDAY)
    assert scope.years == (2021,)
    assert describe_scope(scope) == (
        "“2021” read as 1 January 2021 to 7 January 2022 (as of 9 January 2026)"
    )
    assert scope.to_json()["window"] == ["2021-01-01", "2022-01-07"]


def test_as_of_defaults_to_today_and_reads_iso_dates() -> None:
    assert parse_as_of(None) == dt.date.today()
    assert parse_as_of("2024-06-19") == dt.date(2024, 6, 19)
    assert parse_as_of(FRIDAY) == FRIDAY
