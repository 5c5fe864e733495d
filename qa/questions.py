"""Canned questions (JSON Lines) and how one answer is scored against them.

One object a line: {"id", "question", "docs": [expected doc ids], "facts": [[regex, ...], ...],
"answerable": true, "turns": [earlier questions], "asked_on": "YYYY-MM-DD"}. Each facts group
is a list of case-insensitive regular expressions, one of which must appear in the answer.
`asked_on` is the day the question is asked as of ("this week" is the week before it); without
it the question is asked as of `newsqa eval --as-of`, or today.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.errors import NewsqaError
from qa.results import Answer

FIELDS = {"id", "question", "docs", "facts", "answerable", "turns", "asked_on"}


class QuestionFileError(NewsqaError):
    pass


@dataclass(frozen=True, slots=True)
class CannedQuestion:
    id: str
    question: str
    docs: tuple[str, ...] = ()
    facts: tuple[tuple[str, ...], ...] = ()
    answerable: bool = True
    turns: tuple[str, ...] = ()
    asked_on: dt.date | None = None


def load_questions(path: Path) -> list[CannedQuestion]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise QuestionFileError(f"Can't read the questions file {path}: {error}") from None
    questions = []
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}, line {number}"
        try:
            data = json.loads(line)
        except json.JSONDecodeError as error:
            raise QuestionFileError(f"{where}: not valid JSON ({error.msg}).") from None
        questions.append(_parse(data, where))
        if questions[-1].id in seen:
            raise QuestionFileError(f"{where}: the id '{questions[-1].id}' is used twice.")
        seen.add(questions[-1].id)
    if not questions:
        raise QuestionFileError(f"{path} holds no questions.")
    return questions


def _parse(data: Any, where: str) -> CannedQuestion:
    if not isinstance(data, dict):
        raise QuestionFileError(f"{where}: expected a JSON object.")
    unknown = sorted(set(data) - FIELDS)
    if unknown:
        raise QuestionFileError(
            f"{where}: unknown field(s) {', '.join(unknown)}; allowed: {', '.join(sorted(FIELDS))}."
        )
    for required in ("id", "question"):
        if not isinstance(data.get(required), str) or not data[required].strip():
            raise QuestionFileError(f"{where}: '{required}' must be a non-empty string.")

    def strings(value: Any, name: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise QuestionFileError(f"{where}: '{name}' must be a list of strings.")
        return tuple(value)

    facts_value = data.get("facts", [])
    if not isinstance(facts_value, list):
        raise QuestionFileError(f"{where}: 'facts' must be a list of lists of regular expressions.")
    facts = tuple(strings(group, "facts") for group in facts_value)
    for group in facts:
        for pattern in group:
            try:
                re.compile(pattern)
            except re.error as error:
                raise QuestionFileError(
                    f"{where}: bad regular expression {pattern!r}: {error}."
                ) from None
    answerable = data.get("answerable", True)
    if not isinstance(answerable, bool):
        raise QuestionFileError(f"{where}: 'answerable' must be true or false.")
    asked_on = data.get("asked_on")
    if asked_on is not None:
        try:
            asked_on = dt.date.fromisoformat(asked_on) if isinstance(asked_on, str) else None
        except ValueError:
            asked_on = None
        if asked_on is None:
            raise QuestionFileError(f"{where}: 'asked_on' must be a date as YYYY-MM-DD.")
    return CannedQuestion(
        id=data["id"],
        question=data["question"],
        docs=strings(data.get("docs", []), "docs"),
        facts=facts,
        answerable=answerable,
        turns=strings(data.get("turns", []), "turns"),
        asked_on=asked_on,
    )


@dataclass(slots=True)
class Score:
    """How one answer measured up to its canned question."""

    hit_at_1: float
    hit_at_3: float
    reciprocal_rank: float
    fact_recall: float
    all_facts: bool
    citation_precision: float | None  # None when nothing was cited
    abstained: bool
    correct: bool  # answered with an expected doc and every fact, or rightly abstained
    # The direct answer put first: None when there is none, else whether it matches a fact.
    short_answer_right: bool | None = None
    missing_facts: list[list[str]] = field(default_factory=list)
    versions_shown: bool = False  # the answer showed reports that disagree or were updated


def score_answer(question: CannedQuestion, answer: Answer) -> Score:
    cited: list[str] = []
    for citation in answer.citations:
        if citation.doc_id not in cited:
            cited.append(citation.doc_id)
    expected = set(question.docs)
    rank = next((i for i, doc in enumerate(cited, start=1) if doc in expected), None)
    text = "" if answer.abstained else answer.answer
    missing = [
        list(group) for group in question.facts
        if not any(re.search(pattern, text, re.IGNORECASE) for pattern in group)
    ]  # fmt: skip
    found = len(question.facts) - len(missing)
    recall = found / len(question.facts) if question.facts else 1.0
    precision = (
        sum(c.doc_id in expected for c in answer.citations) / len(answer.citations)
        if answer.citations
        else None
    )
    if question.answerable:
        correct = not answer.abstained and rank is not None and not missing
    else:
        correct = answer.abstained
    short = answer.short_answer
    short_right = (
        None
        if short is None
        else any(
            re.search(p, short.shown, re.IGNORECASE) for group in question.facts for p in group
        )
    )
    return Score(
        hit_at_1=float(rank == 1),
        hit_at_3=float(rank is not None and rank <= 3),
        reciprocal_rank=1.0 / rank if rank else 0.0,
        fact_recall=recall,
        all_facts=not missing,
        citation_precision=precision,
        abstained=answer.abstained,
        correct=correct,
        short_answer_right=short_right,
        missing_facts=missing,
        versions_shown=answer.versions is not None,
    )
