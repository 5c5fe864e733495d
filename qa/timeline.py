"""The timeline of an answer: the reports behind it and the other retrieved reports on the same
subject, oldest first (days without their year after the others), each with the sentence of it that bears most on the question, and how
many such reports each day, by outlet.

The reports are those the question's search finds (TIMELINE_DEPTH passages). A report is on the
subject when the answer cites it, or when its best sentence is at least ON_SUBJECT times as
likely to answer as the best sentence found (the answer model's probability, as the answer
itself weighs sentences): a report of the same search about something else stays out.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from index.metadata import full_date
from index.search import Filters
from qa.candidates import Candidate
from qa.pipeline import Pipeline
from qa.results import Answer

TIMELINE_DEPTH = 20
ON_SUBJECT = 0.25


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    doc_id: str
    published: str | None
    source: str | None
    title: str | None
    sentence: str  # the report's sentence that bears most on the question
    citation: int | None  # the answer's marker for this report, if it cites it


@dataclass(slots=True)
class Timeline:
    question: str
    entries: list[TimelineEntry] = field(default_factory=list)  # oldest first, undated last

    def per_day(self) -> list[tuple[str, str, int]]:
        """(day, outlet, reports) for each day and outlet with a dated report, in the order
        of the entries: days as the reports give them ("2026-11-04", or "--09-12" for a
        day without its year)."""
        counts = Counter(
            (entry.published, entry.source or "outlet unknown")
            for entry in self.entries
            if entry.published
        )
        return [(day, outlet, n) for (day, outlet), n in counts.items()]

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "per_day": [list(row) for row in self.per_day()]}


def timeline_of(
    pipeline: Pipeline,
    answer: Answer,
    as_of: dt.date | None = None,
    filters: Filters | None = None,
    depth: int = TIMELINE_DEPTH,
) -> Timeline:
    """The timeline of `answer` (to a question asked of `pipeline`'s index as of `as_of`,
    within `filters`)."""
    query = answer.query or answer.question
    timeline = Timeline(answer.question)
    vector = pipeline.embedder.embed([query])[0]
    passages = pipeline.search(query, depth, filters, as_of=as_of, query_vector=vector)
    if not passages:
        return timeline
    scored = pipeline.extractive.score(
        answer.question, passages, query, vector, len(passages), every_passage=True
    )
    best_of: dict[str, Candidate] = {}
    for found in scored.candidates:
        kept = best_of.get(found.doc_id)
        if kept is None or found.probability > kept.probability:
            best_of[found.doc_id] = found
    top = max((c.probability for c in best_of.values()), default=0.0)
    cited: dict[str, tuple[int, str]] = {}
    if not answer.abstained or answer.partial:
        for citation in answer.citations:
            cited.setdefault(citation.doc_id, (citation.n, citation.text))
    articles = pipeline.index.articles
    for doc_id in dict.fromkeys([*cited, *best_of]):
        candidate = best_of.get(doc_id)
        if doc_id not in cited and (candidate is None or candidate.probability < ON_SUBJECT * top):
            continue
        article = articles.get(doc_id)
        if article is None:
            continue
        number, quoted = cited.get(doc_id, (None, ""))
        sentence = quoted or (article.text[candidate.start : candidate.end] if candidate else "")
        timeline.entries.append(
            TimelineEntry(
                doc_id,
                article.published,
                article.source,
                article.title,
                " ".join(sentence.split()),
                number,
            )
        )

    def oldest_first(entry: TimelineEntry) -> tuple[int, str]:
        # Full dates in order, then days without their year by month and day (their year
        # unknown, they can't be put among the others), then reports with no date.
        day = full_date(entry.published)
        if day is not None:
            return (0, day.isoformat())
        return (1, entry.published) if entry.published else (2, "")

    timeline.entries.sort(key=oldest_first)
    return timeline
