"""Watched questions: asked again as of now whenever articles arrive, and marked when the
answer changed, with the new report cited.

What a watch compares is what the answer gives first: the short answer, else the yes/no
verdict, else the first quote (the sentence that states it, as the app shows it). A change is
marked when
- it answers where it declined before, or declines where it answered;
- the reports now disagree, or one updates another, where they did not (qa.versions);
- what it gives first is different (other figures, where both state figures; else other words)
  and the report that states it was not among those the last answer cited: a new report, or
  one that only now answers. The same report's other sentence taking the lead (an unrelated
  article moved the ranking a little) is not a change.
Each change keeps the answer before and after it, when, and the new report's citation. Watches
live in INDEX_DIR/watches.json; a change is printed once by `newsqa watch check` and stays
marked in the app until it is opened.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from index.errors import NewsqaError
from index.jsonfile import LockedJsonFile
from index.metadata import describe_date
from qa.pipeline import Pipeline
from qa.results import Answer

WATCH_FILE = "watches.json"
FIGURE = re.compile(r"\d[\d,.]*")
MAX_WATCHES = 200


@dataclass(slots=True)
class Seen:
    """One answer as a watch keeps it."""

    asked_at: str
    abstained: bool
    lead: str  # what the answer gives first
    answer: str  # the whole answer text, for the side-by-side view
    doc_id: str | None = None  # the report the lead cites
    title: str | None = None
    source: str | None = None
    published: str | None = None
    quote: str | None = None  # the cited sentence
    versions: str | None = None  # "update: 45 / 38 / 12" where reports differ
    cited: list[str] = field(default_factory=list)  # every report the answer cites

    @classmethod
    def of(cls, answer: Answer) -> Seen:
        citation, lead = None, answer.answer.split("\n\n")[0]
        if not answer.abstained and answer.citations:
            number = 1
            if answer.short_answer is not None:
                number, lead = answer.short_answer.citation, answer.short_answer.text
            elif answer.versions is not None and answer.versions.values[0].citations:
                # Reports differ: the newest value of an update, the best-supported of a
                # disagreement, as the answer's versions line puts first.
                first = answer.versions.values[0]
                number, lead = first.citations[0], first.value
            citation = next((c for c in answer.citations if c.n == number), answer.citations[0])
            if answer.short_answer is None and answer.versions is None:
                lead = answer.verdict or citation.text
        if answer.abstained:
            lead = "declined"
        versions = None
        if answer.versions is not None:
            values = " / ".join(v.value for v in answer.versions.values)
            versions = f"{answer.versions.kind}: {values}"
        return cls(
            asked_at=now_iso(),
            abstained=answer.abstained,
            lead=" ".join(lead.split()),
            answer=answer.answer,
            doc_id=citation.doc_id if citation else None,
            title=citation.title if citation else None,
            source=citation.source if citation else None,
            published=citation.published if citation else None,
            quote=citation.text if citation else None,
            versions=versions,
            cited=sorted({c.doc_id for c in answer.citations}),
        )

    @property
    def byline(self) -> str:
        """'Northern Ledger, 4 November 2026': the lead report's outlet and date."""
        return ", ".join(
            part
            for part in (self.source or "outlet unknown", describe_date(self.published))
            if part
        )


@dataclass(slots=True)
class Change:
    at: str
    kind: str  # "new answer", "update", "disagreement", "answered", "declined"
    before: Seen
    after: Seen
    alerted: bool = False  # printed by `newsqa watch check`
    opened: bool = False  # looked at in the app

    @property
    def summary(self) -> str:
        if self.kind == "declined":
            return "The articles no longer answer it."
        said = f"“{self.after.lead}” ({self.after.byline})"
        if self.kind == "answered":
            return f"Now answered: {said}."
        if self.kind == "disagreement":
            return f"Reports now disagree ({self.after.versions}); first: {said}."
        if self.kind == "update":
            return f"Updated: now {said}; it was “{self.before.lead}”."
        return f"Was “{self.before.lead}”; now {said}."

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "summary": self.summary}


@dataclass(slots=True)
class Watch:
    id: str
    question: str
    added_at: str
    last: Seen
    changes: list[Change] = field(default_factory=list)

    @property
    def unopened(self) -> list[Change]:
        return [c for c in self.changes if not c.opened]

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "changes": [c.to_json() for c in self.changes]}


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def watch_id(question: str) -> str:
    return hashlib.sha1(" ".join(question.lower().split()).encode("utf-8")).hexdigest()[:8]


def figures(text: str) -> set[str]:
    return {f.rstrip(".,").replace(",", "") for f in FIGURE.findall(text)}


def what_changed(before: Seen, after: Seen) -> str | None:
    """The kind of change from `before` to `after`, or None when the answer stands."""
    if before.abstained != after.abstained:
        return "declined" if after.abstained else "answered"
    if after.abstained:
        return None
    if after.versions and not before.versions and after.versions.startswith("disagreement"):
        return "disagreement"
    if " ".join(before.lead.lower().split()) == " ".join(after.lead.lower().split()):
        return None
    old, new = figures(before.lead), figures(after.lead)
    if old and new and old == new:
        return None  # the same figures, worded by another report
    if after.doc_id in before.cited:
        return None  # another sentence of a report already cited: the ranking moved
    return "update" if (after.versions or "").startswith("update") else "new answer"


def read_watch(row: dict[str, Any]) -> Watch:
    changes = [
        Change(
            **{k: v for k, v in c.items() if k not in {"summary", "before", "after"}},
            before=Seen(**c["before"]),
            after=Seen(**c["after"]),
        )
        for c in row.get("changes", [])
    ]
    return Watch(
        id=row["id"],
        question=row["question"],
        added_at=row["added_at"],
        last=Seen(**row["last"]),
        changes=changes,
    )


class WatchBook:
    """The watched questions of one index (INDEX_DIR/watches.json)."""

    def __init__(self, index_dir: Path) -> None:
        self.file = LockedJsonFile(index_dir / WATCH_FILE, "the list of watched questions")

    def watches(self) -> list[Watch]:
        rows = self.file.read() or []
        return [read_watch(row) for row in rows]

    def find(self, key: str) -> Watch:
        """A watch by its id or its question."""
        for watch in self.watches():
            if key.strip() in {watch.id, watch.question} or watch_id(key) == watch.id:
                return watch
        raise NewsqaError(f"no watched question {key!r} (`newsqa watch list` shows them)")

    def add(self, pipeline: Pipeline, question: str) -> tuple[Watch, bool]:
        """Watches `question`, as answered now; False when it was watched already."""
        question = " ".join(question.split())
        if not question:
            raise NewsqaError("type the question to watch")
        seen = Seen.of(pipeline.ask(question))

        def add(rows: Any) -> tuple[Any, tuple[Watch, bool]]:
            watches = [read_watch(r) for r in rows or []]
            for watch in watches:
                if watch.id == watch_id(question):
                    return None, (watch, False)
            if len(watches) >= MAX_WATCHES:
                raise NewsqaError(f"{MAX_WATCHES} questions are watched already; remove one")
            watch = Watch(watch_id(question), question, now_iso(), seen)
            return [w.to_json() for w in [*watches, watch]], (watch, True)

        return self.file.change(add)

    def remove(self, key: str) -> Watch:
        found = self.find(key)

        def remove(rows: Any) -> tuple[Any, None]:
            return [r for r in rows or [] if r["id"] != found.id], None

        self.file.change(remove)
        return found

    def check(self, pipeline: Pipeline) -> list[tuple[Watch, Change]]:
        """Asks every watched question again, as of now; marks and returns what changed."""
        asked = {w.id: Seen.of(pipeline.ask(w.question)) for w in self.watches()}

        def check(rows: Any) -> tuple[Any, list[tuple[Watch, Change]]]:
            watches = [read_watch(r) for r in rows or []]
            changed = []
            for watch in watches:
                seen = asked.get(watch.id)
                if seen is None:
                    continue  # added while these were being asked: it has its own answer
                kind = what_changed(watch.last, seen)
                if kind is not None:
                    change = Change(seen.asked_at, kind, watch.last, seen)
                    watch.changes.append(change)
                    changed.append((watch, change))
                watch.last = seen
            return [w.to_json() for w in watches], changed

        return self.file.change(check)

    def take_alerts(self) -> list[tuple[Watch, Change]]:
        """The changes not printed yet, marked as printed: each is alerted once."""

        def take(rows: Any) -> tuple[Any, list[tuple[Watch, Change]]]:
            watches = [read_watch(r) for r in rows or []]
            fresh = [(w, c) for w in watches for c in w.changes if not c.alerted]
            for _, change in fresh:
                change.alerted = True
            return ([w.to_json() for w in watches] if fresh else None), fresh

        return self.file.change(take)

    def mark_opened(self, key: str) -> None:
        found = self.find(key)

        def opened(rows: Any) -> tuple[Any, None]:
            watches = [read_watch(r) for r in rows or []]
            for watch in watches:
                if watch.id == found.id:
                    for change in watch.changes:
                        change.opened = True
            return [w.to_json() for w in watches], None

        self.file.change(opened)
