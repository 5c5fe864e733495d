"""What qa/ hands to the CLI, the UI and the eval: passages, citations and the one Answer object."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from index.documents import Article, Chunk


@dataclass(frozen=True, slots=True)
class Passage:
    """A retrieved chunk with its article's metadata and how it ranked."""

    chunk: Chunk
    article: Article
    score: float  # fused rank score (weighted reciprocal rank)
    dense_score: float  # cosine similarity of question and chunk
    bm25_score: float
    copies: tuple[Article, ...] = ()  # the same report published by other outlets

    def to_json(self) -> dict[str, Any]:
        return {
            "doc_id": self.chunk.doc_id,
            "title": self.article.title,
            "source": self.article.source,
            "published": self.article.published,
            "chunk_id": self.chunk.chunk_id,
            "start": self.chunk.start,
            "end": self.chunk.end,
            "text": self.chunk.text,
            "score": round(self.score, 6),
        }


@dataclass(frozen=True, slots=True)
class Citation:
    """An exact span of an article that supports one claim of the answer: `text == article.text[start:end]`."""

    n: int
    doc_id: str
    title: str | None
    source: str | None
    published: str | None
    start: int
    end: int
    text: str
    score: float
    # The retrieved passage the span was found in, for showing it in context.
    passage_start: int
    passage_end: int
    # The same report published by other outlets: doc_id, source, published, title, url of each.
    also_published: tuple[dict[str, str | None], ...] = ()

    @classmethod
    def of_span(cls, n: int, passage: Passage, start: int, end: int, score: float) -> Citation:
        """Cites `passage.article.text[start:end]`, a span found in (or next to) `passage`."""
        article = passage.article
        return cls(
            n=n,
            doc_id=article.doc_id,
            title=article.title,
            source=article.source,
            published=article.published,
            start=start,
            end=end,
            text=article.text[start:end],
            score=round(score, 4),
            passage_start=passage.chunk.start,
            passage_end=passage.chunk.end,
            also_published=tuple(
                {
                    "doc_id": c.doc_id,
                    "source": c.source,
                    "published": c.published,
                    "title": c.title,
                    "url": c.url,
                }
                for c in passage.copies
            ),
        )


@dataclass(frozen=True, slots=True)
class ShortAnswer:
    """The thing asked for (a name, place, date, number), as a span inside a cited span."""

    text: str  # == article.text[start:end]
    doc_id: str
    start: int
    end: int
    citation: int  # the marker number of the citation whose span holds it
    # How likely the sentence it leads with answers the question (the answer model's).
    probability: float = 0.0
    # The markers of every report whose answering sentence states it (the first is `citation`).
    stated_by: list[int] = field(default_factory=list)
    # A name given in short ("Altman") as the same article writes it in full elsewhere ("Sam
    # Altman", at `full_name_start`): what is shown. Empty when the span is already whole.
    full_name: str = ""
    full_name_start: int = -1

    @property
    def shown(self) -> str:
        return self.full_name or self.text


@dataclass(slots=True)
class Version:
    """One value the reports give, and the reports that give it."""

    value: str  # as the best-rated report that gives it writes it
    citations: list[int] = field(default_factory=list)
    outlets: list[str] = field(default_factory=list)
    dates: list[str | None] = field(default_factory=list)


@dataclass(slots=True)
class Versions:
    kind: str  # "disagreement" or "update"
    values: list[Version]  # the newest (an update) or the best-supported (a disagreement) first


@dataclass(slots=True)
class Answer:
    question: str
    answer: str
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    nearest: list[dict[str, Any]] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    backend: str = "extractive"
    # Probability that the best candidate that could be the answer answers it (extractive); below
    # the threshold it declines.
    evidence: float | None = None
    query: str = ""  # the standalone query retrieval used (differs for follow-up questions)
    short_answer: ShortAnswer | None = None
    # Declined, but the articles mention the subject: the citations show what they do say.
    partial: bool = False
    # How the question's time was read: as_of, window, prefer_recent, years, phrases.
    time: dict[str, Any] = field(default_factory=dict)
    # A yes/no question ("Did …?", "Does …?"), and its verdict, "yes" or "no", where a backend
    # decides one. None: not decided; the quotes are what the articles say (issue 14's reader
    # will fill it in).
    asks_yes_no: bool = False
    yes_no: str | None = None
    # The reports a check compared (their citation numbers, in the question's order; qa.verdict)
    # and the verdict model's probability of "yes" (None: nothing was compared).
    compared: list[int] = field(default_factory=list)
    yes_no_probability: float | None = None
    # Where the reports give different values for the asked thing (qa.versions): which report
    # says what, as a disagreement or an update. None when they agree or nothing was compared.
    versions: Versions | None = None
    # Declined within the search filters because a report they leave out answers it: its id.
    answered_outside: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def verdict(self) -> str | None:
        """What a yes/no answer leads with: "Yes" or "No" where a backend decided it, else that
        it was not decided; None for other questions and for declines."""
        if not self.asks_yes_no or self.abstained:
            return None
        return self.yes_no.capitalize() if self.yes_no else NOT_DECIDED

    @property
    def paragraphs(self) -> Paragraphs:
        """The answer's paragraphs as a reader is shown them: the direct answer and the quote
        that states it, or, where no direct answer was found, the two best quotes (the first
        alone missed a fact the second held on 2 of the 35 such seed questions, "What gifts did
        Putin and Kim exchange?" among them); the other quotes, for a fold; the note on dates,
        which stays in view (it is there only when a later report is cited)."""
        parts = self.answer.split("\n\n")
        note = parts.pop() if len(parts) > 1 and parts[-1].startswith(DATES_NOTE) else None
        if self.compared:
            # A check: the line of what was compared, then each compared report's quote.
            shown = 1 + len(self.compared)
            return Paragraphs(parts[:shown], parts[shown:], note)
        if self.versions is None:
            return Paragraphs(parts[:2], parts[2:], note)
        # The versions line (it leads with the values: no direct answer above it), then one
        # quote for each version.
        shown = 1 + len(self.versions.values)
        return Paragraphs(parts[:shown], parts[shown:], note)

    @property
    def removals(self) -> list[str]:
        """The flags a reader is shown: what the checks took out of the answer. The others (why
        it declined, that it is partial) are for --json and the export: the answer's own words
        already say them."""
        return [f for f in self.flags if not f.startswith(DIAGNOSTIC_FLAGS)]


@dataclass(frozen=True, slots=True)
class Paragraphs:
    lead: list[str]
    more: list[str]
    dates_note: str | None


NOT_DECIDED = "Not answered yes or no: these are what the articles say."
DATES_NOTE = "Note on dates:"
# Flags that explain the answerer's decision, for --json and the export only.
DIAGNOSTIC_FLAGS = ("partial:", "abstained:")


def final_answer(items: Iterable[str | Answer]) -> Answer:
    """Runs a stream of text pieces to its end and returns the Answer it closes with."""
    result: Answer | None = None
    for item in items:
        if isinstance(item, Answer):
            result = item
    if result is None:
        raise AssertionError("the answer stream ended without an Answer")
    return result
