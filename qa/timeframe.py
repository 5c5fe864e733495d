"""When a question is about: its time expressions, read relative to the day it is asked.

"this week", "last month", "yesterday", "on Tuesday", "in March", "three days ago", "in 2021",
"October 7, 2023" each become a window of publication dates; "latest", "recently", and "next"
where the question is about what is to come ("who will they play next"), ask for the newest
reports. Words that are often not time are read as time only in those phrases: "last" and
"this" only before a period or a day ("last week", "this March"; not "his last album", "this
company"), "next" not in "what did he say next" or "the next step". dateparser resolves each
expression against the as-of date; the grammar below only finds them (dateparser's own search reads "may" in "who may become" as May).
Windows are preferences: retrieval and answering favour reports inside them, hide nothing, and
say so when the evidence comes from outside.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from index.metadata import describe_date

MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?"
)
WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
COUNT = r"(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a few|several)"
YEAR = r"(?:19[5-9]\d|20\d\d)"
YEARS = re.compile(rf"(?<![\d-]){YEAR}(?![\w-])")  # "2021", not "2000s" or "2021-22"
# Checked in this order; the first kind to match a stretch of text owns it.
EXPRESSIONS = [
    ("date", re.compile(
        rf"\b(?:{MONTH} \d{{1,2}}(?:st|nd|rd|th)?,? {YEAR}|\d{{1,2}} {MONTH},? {YEAR}|"
        rf"{YEAR}-\d{{2}}-\d{{2}})\b", re.I)),
    ("month", re.compile(rf"\b{MONTH},? {YEAR}\b", re.I)),
    ("relative", re.compile(
        r"\b(?:(?:this|last|past|next|previous|coming|the past|this past)\s+"
        r"(?:week|weekend|month|year)|today|tonight|yesterday|tomorrow|"
        rf"{COUNT}\s+(?:days?|weeks?|months?|years?)\s+ago|"
        rf"(?:on|last|this|next|past)\s+{WEEKDAY}|"
        rf"(?:in|during|since|early|late|mid|last|this|next)[\s-]+{MONTH}(?!\s*\d))\b",
        re.I)),
    ("year", YEARS),
    ("recent", re.compile(
        r"\b(?:latest|newest|most recent(?:ly)?|recent(?:ly)?|lately|current(?:ly)?|now|"
        r"so far|to date|upcoming|this season)\b", re.I)),
    # A bare "next" is time only where the question speaks of what is to come (FUTURE): "who
    # will they play next", "the next election"; not "what did he say next", "the next step".
    ("next", re.compile(r"\bnext\b", re.I)),
]  # fmt: skip
FUTURE = re.compile(
    r"\b(?:will|won't|shall|going to|about to|due to|expected to|set to|plans? to|scheduled)\b|"
    r"'ll\b|\bnext\s+(?:election|game|match|race|round|season|meeting|summit|launch|"
    r"hearing|vote|quarter|fixture|tournament|term|leg|stage|debate|budget)\b",
    re.I,
)
# "next week" is asked before it happens: the reports about it are the newest ones. A window
# this long back from the as-of date counts as "recent".
RECENT_DAYS = 31
# Reports about a day appear that day or the next; a week's or a month's news runs on a little.
DAY_SLACK = dt.timedelta(days=1)
PERIOD_SLACK = dt.timedelta(days=7)


@dataclass(frozen=True, slots=True)
class DateWindow:
    start: dt.date
    end: dt.date

    def __contains__(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def describe(self) -> str:
        if self.start == self.end:
            return describe_date(self.start.isoformat())
        return f"{describe_date(self.start.isoformat())} to {describe_date(self.end.isoformat())}"


@dataclass(frozen=True, slots=True)
class TimeScope:
    """The question's time: the day it is asked, and which reports it is about."""

    as_of: dt.date
    window: DateWindow | None = None  # reports published in it are preferred
    prefer_recent: bool = False  # "latest", "recently", "next …": the newest reports
    years: tuple[int, ...] = ()  # years the question names ("in 2021", "the 2021 Super Bowl")
    phrases: tuple[str, ...] = ()  # the expressions found, as written

    def to_json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "window": [self.window.start.isoformat(), self.window.end.isoformat()]
            if self.window
            else None,
            "prefer_recent": self.prefer_recent,
            "years": list(self.years),
            "phrases": list(self.phrases),
        }


def parse_as_of(value: str | dt.date | None) -> dt.date:
    """The as-of day: a date, an ISO string ("2026-01-09"), or today when not given."""
    if value is None or value == "":
        return dt.date.today()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value.strip()[:10])


def parse_time(question: str, as_of: dt.date) -> TimeScope:
    """The time expressions of `question` as a TimeScope relative to `as_of`."""
    taken: list[tuple[int, int]] = []
    found: list[tuple[str, str]] = []
    for kind, pattern in EXPRESSIONS:
        for match in pattern.finditer(question):
            if any(match.start() < end and start < match.end() for start, end in taken):
                continue
            if kind == "next" and not FUTURE.search(question):
                continue
            taken.append(match.span())
            found.append((kind, match.group(0)))
    years = tuple(sorted({int(y) for y in YEARS.findall(question)}))
    window: DateWindow | None = None
    prefer_recent = False
    for kind, phrase in found:
        if kind in {"recent", "next"}:
            prefer_recent = True
            continue
        resolved = _window(kind, phrase, as_of)
        if resolved is None:
            continue
        if resolved.start > as_of:
            # About the future ("next month"): only reports from before it can speak of it.
            prefer_recent = True
            continue
        # Several expressions: the narrowest wins ("on Tuesday" in "this week").
        if window is None or (resolved.end - resolved.start) < (window.end - window.start):
            window = resolved
    if window is None and prefer_recent:
        window = DateWindow(as_of - dt.timedelta(days=RECENT_DAYS), as_of)
    return TimeScope(as_of, window, prefer_recent, years, tuple(p for _, p in found))


def _window(kind: str, phrase: str, as_of: dt.date) -> DateWindow | None:
    resolved = _resolve(phrase, as_of)
    if resolved is None:
        return None
    day, period = resolved
    if day > as_of and kind == "relative":
        # About the future ("next week", "tomorrow"): the slack below would stretch it back over
        # the day of asking and read it as today; parse_time asks for the newest reports instead.
        return DateWindow(day, day)
    if kind == "year" or period == "year":
        start, end = dt.date(day.year, 1, 1), dt.date(day.year, 12, 31) + PERIOD_SLACK
        if re.search(r"\bthis year\b", phrase, re.I):
            end = as_of
    elif period == "month":
        last = calendar.monthrange(day.year, day.month)[1]
        start, end = day.replace(day=1), day.replace(day=last) + PERIOD_SLACK
        if re.search(r"\bthis month\b", phrase, re.I):
            start = min(start, as_of - dt.timedelta(days=RECENT_DAYS))
    elif period == "week":
        start, end = day - PERIOD_SLACK, day + PERIOD_SLACK
    else:
        start, end = day - DAY_SLACK, day + DAY_SLACK
    if start <= as_of < end and kind != "year":
        end = as_of  # a past expression: nothing after the day of asking
    return DateWindow(start, end)


@lru_cache(maxsize=4096)
def _resolve(phrase: str, as_of: dt.date) -> tuple[dt.date, str] | None:
    """The day an expression names, relative to as_of, and its granularity (day, week, month,
    year), by dateparser."""
    from dateparser.date import DateDataParser

    text = re.sub(r"^(?:on|in|during|since|early|late|mid)[\s-]+", "", phrase.strip(), flags=re.I)
    text = re.sub(r"^(?:the past|this past|past|previous)\s+", "last ", text, flags=re.I)
    text = re.sub(r"\bcoming\b", "next", text, flags=re.I)
    text = re.sub(r"\bweekend\b", "week", text, flags=re.I)
    text = re.sub(r"\btonight\b", "today", text, flags=re.I)
    text = re.sub(r"\b(?:a few|several)\b", "3", text, flags=re.I)
    parser = DateDataParser(
        languages=["en"],
        settings={
            "RELATIVE_BASE": dt.datetime.combine(as_of, dt.time(12)),
            "PREFER_DATES_FROM": "past",
            "RETURN_TIME_AS_PERIOD": True,
        },
    )
    data = parser.get_date_data(text)
    if data.date_obj is None:
        return None
    return data.date_obj.date(), str(data.period or "day")


def describe_scope(scope: TimeScope) -> str | None:
    """How the question's time was read, for the user: "this week (2 to 9 January 2026)"."""
    if scope.window is None:
        return None
    phrases = [p for p in scope.phrases if not re.fullmatch(r"\d{4}", p)] or list(scope.phrases)
    named = ", ".join(f"“{p}”" for p in phrases) if phrases else "recent"
    return f"{named} read as {scope.window.describe()} (as of {describe_date(scope.as_of.isoformat())})"
