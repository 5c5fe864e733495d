"""The question path, top to bottom: load the index and model once, then retrieve (and answer).

The CLI, the UI and the eval all go through one Pipeline, so they behave the same.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from copy import deepcopy
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from index.embed import Embedder, load_embedder
from index.entities import LABEL_ID
from index.errors import BadQuestionError
from index.metadata import describe_date, full_date
from index.search import Filters
from index.settings import Settings
from index.store import open_store
from index.stored import StoredIndex, field_values
from qa.analysis import QuestionAnalysis, analyse_question
from qa.answer_model import AnswerModel
from qa.candidates import PASSAGES_READ
from qa.extractive import OUTSIDE_WINDOW_NOTES, ExtractiveAnswerer
from qa.llm import OpenAIAnswerer
from qa.results import Answer, Passage, final_answer
from qa.retrieve import Retriever, describe_filters
from qa.sentences import names_in, single_name
from qa.session import ChatHistory
from qa.timeframe import TimeScope, describe_scope, parse_as_of, parse_time
from qa.verdict import Verdict, VerdictReader, cite_verdict
from qa.verify import verify_answer

# A filtered answer whose probability is under this share of the unfiltered one's, from a report
# the filters leave out, is not the answer: the filters hid it (issue 33: "Who replaced Whitney
# Wolfe Herd?" within The Verge answered 0.09 with quotes about FTX; TechCrunch's answer 0.60).
OUTSIDE_SHARE = 0.5
ASKS_WHO = re.compile(r"\s*who\b", re.IGNORECASE)
# The quotes of an answer whose passages a follow-up also reads (the ones shown first).
PASSAGES_QUOTED = 2
WHO_IS = re.compile(r"\s*(?:who|what)\s+(?:is|was|are|were)\s", re.IGNORECASE)


def parse_day(value: str | None, name: str) -> dt.date | None:
    """A YYYY-MM-DD value as a date; an error naming the option or field (`name`: "--since" on
    the command line, "Published on or after" in the app) for anything else."""
    if not value or not value.strip():
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise BadQuestionError(f"{name} takes a date as YYYY-MM-DD, not '{value}'.") from None


# Numbers that could be a day and a month either way ("12/01/2023") are read month first, as
# US news writes them; where that is the reading, the app says so beside the field.
TYPED_DAY = {
    "DATE_ORDER": "MDY",
    "REQUIRE_PARTS": ["day", "month", "year"],  # "January 2023" is no day
    "PARSERS": ["absolute-time"],  # no "yesterday": a filter stays the day it was set to
    "STRICT_PARSING": True,
}
NUMERIC_DAY = re.compile(r"(\d{1,2})[/.\- ](\d{1,2})[/.\- ](?:\d{2}|\d{4})")


def read_typed_day(text: str) -> dt.date | None:
    """A day as people type it: 2023-12-01, 1 Dec 2023, December 1, 2023 or 12/01/2023 (month
    first); None for anything else (a month, a weekday, "last spring", 31/02/2025)."""
    import dateparser

    text = " ".join(text.split())
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
        # Year first is year-month-day, never year-day-month ("2023-13-01" is no day).
        try:
            return dt.date(*map(int, text.split("-")))
        except ValueError:
            return None
    parsed = dateparser.parse(text, languages=["en"], settings=TYPED_DAY)
    return parsed.date() if parsed is not None else None


def read_month_first(text: str) -> bool:
    """Whether a typed day's numbers could be read day first too ("12/01/2023", not "13/01")."""
    match = NUMERIC_DAY.fullmatch(" ".join(text.split()))
    return match is not None and match[1] != match[2] and max(map(int, match.groups())) <= 12


def parse_typed_day(value: str | None, name: str) -> dt.date | None:
    """Like parse_day, for a date typed in the app: any form read_typed_day reads."""
    if not value or not value.strip():
        return None
    day = read_typed_day(value)
    if day is None:
        raise BadQuestionError(
            f"{name} takes a day, such as 2023-12-01, 1 Dec 2023 or 12/01/2023 (month first), "
            f"not '{value.strip()}'."
        )
    return day


def parse_filters(
    outlets: list[str] | None,
    since: str | None,
    until: str | None,
    names: tuple[str, str] = ("--since", "--until"),
    read: Callable[[str | None, str], dt.date | None] = parse_day,
) -> Filters:
    """The filters as typed; `read` reads the days (YYYY-MM-DD on the command line)."""
    return Filters(
        outlets=tuple(o for o in outlets or () if o.strip()),
        since=read(since, names[0]),
        until=read(until, names[1]),
    )


@dataclass(slots=True)
class Retrieved:
    question: str
    query: str
    scope: TimeScope
    asked: QuestionAnalysis  # the question, read once: what it asks for and what it fixes
    query_vector: np.ndarray
    passages: list[Passage]
    notices: list[str]
    embed_ms: float


AnswerKey = tuple[str, int | None, Filters | None, str | None, dt.date]


class AnswerCache:
    """Answers this pipeline gave to questions asked on their own (no chat history), by the
    question's words, the options and the day it was asked as of: many people asking the same
    question (a story everyone follows) cost one answer; an answer carries the question's words,
    so only their spacing may differ. A pipeline holds one version of the
    index (a new version gets a new pipeline), so an answer is never older than the index.
    Concurrent asks of a question being answered wait for that answer instead of repeating it.
    Each caller gets its own copy."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._done: OrderedDict[AnswerKey, Answer] = OrderedDict()
        self._running: dict[AnswerKey, Future[Answer]] = {}
        self._lock = threading.Lock()

    def get(self, key: AnswerKey, answer: Callable[[], Answer]) -> Answer:
        if not self.size:
            return answer()
        started = time.perf_counter()
        with self._lock:
            done = self._done.get(key)
            if done is not None:
                self._done.move_to_end(key)
            running = self._running.get(key)
            owner = done is None and running is None
            if owner:
                running = self._running[key] = Future()
        if done is None and not owner:
            assert running is not None
            done = running.result()
        if done is not None:
            copy = deepcopy(done)
            copy.timings_ms = {"cache": round((time.perf_counter() - started) * 1000, 2)}
            return copy
        assert running is not None
        try:
            fresh = answer()
        except BaseException as error:
            running.set_exception(error)
            raise
        finally:
            with self._lock:
                self._running.pop(key, None)
        with self._lock:
            self._done[key] = deepcopy(fresh)
            while len(self._done) > self.size:
                self._done.popitem(last=False)
        running.set_result(self._done.get(key, fresh))
        return fresh


@dataclass
class Pipeline:
    settings: Settings
    index: StoredIndex
    embedder: Embedder
    retriever: Retriever
    answer_model: AnswerModel | None = None  # None: the trained one beside qa/answer_model.py
    extractive: ExtractiveAnswerer = field(init=False)
    verdicts: VerdictReader = field(init=False)
    answers: AnswerCache = field(init=False)

    def __post_init__(self) -> None:
        self.extractive = ExtractiveAnswerer(
            self.index, self.embedder, self.settings.answer, self.answer_model
        )
        self.verdicts = VerdictReader(self.index)
        self.answers = AnswerCache(self.settings.answer.cached_answers)

    @classmethod
    def load(
        cls,
        settings: Settings,
        embedder: Embedder | None = None,
        answer_model: AnswerModel | None = None,
    ) -> Pipeline:
        index = open_store(settings).load()
        embedder = embedder or load_embedder(
            index.manifest.embed_model, settings.index.embed_backend, settings.index_dir
        )
        retriever = Retriever(index, embedder, settings.retrieval)
        return cls(settings, index, embedder, retriever, answer_model)

    def ask(
        self,
        question: str,
        history: ChatHistory | None = None,
        top_k: int | None = None,
        filters: Filters | None = None,
        backend: str | None = None,
        as_of: dt.date | None = None,
    ) -> Answer:
        """Answers one question (a turn of `history`, if given) with verified citations, as of
        the day `as_of` (today by default): "this week" means the week before it. A question
        asked on its own again, with the same options, is answered from `answers` (extractive
        answers only)."""

        def fresh() -> Answer:
            return final_answer(self.stream(question, history, top_k, filters, backend, as_of))

        # An LLM's answer is not kept: it may be a fallback written while the server was down.
        local = (backend or self.settings.answer.backend) == "extractive"
        if not local or (history is not None and history.turns):
            return fresh()
        words = " ".join(question.split())
        day = as_of or dt.date.today()
        return self.answers.get((words, top_k, filters, backend, day), fresh)

    def stream(
        self,
        question: str,
        history: ChatHistory | None = None,
        top_k: int | None = None,
        filters: Filters | None = None,
        backend: str | None = None,
        as_of: dt.date | None = None,
    ) -> Iterator[str | Answer]:
        """Like ask, but first yields generated text as it arrives (LLM backend only)."""
        started = time.perf_counter()
        found = self.retrieve(question, history, top_k, filters, as_of)
        question, query, scope = found.question, found.query, found.scope
        passages, query_vector = found.passages, found.query_vector
        retrieved = time.perf_counter()
        answer: Answer | None = None
        # Say what the filters hid rather than "not found" over an empty search.
        hid = self.retriever.what_filters_hid(filters) if filters and not passages else None
        if hid is not None:
            answer = Answer(question=question, answer=hid, abstained=True, query=query)
        elif (backend or self.settings.answer.backend) == "openai":
            for item in OpenAIAnswerer(self.settings.llm, self.embedder, self.extractive).stream(
                question, passages, query=query, query_vector=query_vector, scope=scope
            ):
                if isinstance(item, Answer):
                    answer = item
                else:
                    yield item
        else:
            answer = self.extractive.run(
                question, passages, query, query_vector, scope, analysis=found.asked
            )
        assert answer is not None
        if filters is not None and filters.active and answer.backend == "extractive" and not hid:
            answer = self.answered_outside(found, filters, answer, top_k) or answer
        if found.asked.yes_no and not answer.abstained and answer.backend == "extractive":
            verdict = self.check(found, filters)
            if verdict is not None:
                cite_verdict(answer, verdict)
        verify_answer(answer, self.index)
        asked = found.asked
        if history is not None:
            named = None
            # "Who is Caroline Ellison?" then "What did she confess to?": she is the one asked
            # about, named in the question, not someone the answer names.
            about_one = WHO_IS.match(question) and len(names_in(question)) == 1
            if asked.kind in {"person", "name", "organisation", "team"} and not about_one:
                named = self.named_in_answer(answer, asked.labels)
            history.remember(query, named, asked.kind, quoted_spans(answer))
        answer.time = scope.to_json()
        answer.asks_yes_no = asked.yes_no
        reading = describe_scope(scope)
        archive = []
        newest = self.newest_before(scope)
        if newest is not None and scope.window is not None:
            # An archive asked about "this week": say so once, with the day to ask as of instead:
            # that of the newest report the answer quotes, not the index's newest article, which
            # may be about something else (asked as of its day, nothing would answer).
            answer.notices = [n for n in answer.notices if not n.startswith(OUTSIDE_WINDOW_NOTES)]
            found_day = newest_cited(answer)
            if found_day is None:
                archive.append(
                    f"No article in the index is from {scope.window.describe()}: the newest is "
                    f"from {describe_date(newest.isoformat())}."
                )
            else:
                answer.time["newest_article"] = found_day.isoformat()
                archive.append(
                    f"No article in the index is from {scope.window.describe()}: the newest "
                    f"report found is from {describe_date(found_day.isoformat())}. Ask as of that "
                    "day to read the question's time from then."
                )
        answer.notices[:0] = ([f"Time: {reading}."] if reading else []) + archive + found.notices
        answer.timings_ms.update(
            embed_query=found.embed_ms,
            retrieve=round((retrieved - started) * 1000 - found.embed_ms, 1),
            total=round((time.perf_counter() - started) * 1000, 1),
        )
        yield answer

    def answered_outside(
        self, found: Retrieved, filters: Filters, within: Answer, top_k: int | None
    ) -> Answer | None:
        """A decline that says where the answer is, when the filters hide it: the whole index
        answers the question from a report the filters leave out, and what they leave in is
        declined or far less likely to answer it (its probability under OUTSIDE_SHARE of the
        other's). None when the filtered answer stands."""
        passages = self.retriever.run(
            found.query, top_k, None, query_vector=found.query_vector, scope=found.scope
        )
        unfiltered = self.extractive.run(
            found.question, passages, found.query, found.query_vector, found.scope,
            analysis=found.asked,
        )  # fmt: skip
        if unfiltered.abstained or not unfiltered.citations:
            return None
        source = unfiltered.citations[0]
        if self.retriever.passes(source.doc_id, filters):
            return None
        if not within.abstained and (within.evidence or 0.0) >= OUTSIDE_SHARE * (
            unfiltered.evidence or 0.0
        ):
            return None
        # Outlet, day and headline, as much of them as is known: "TechCrunch (11 November 2023),
        # “Bumble gets a new CEO”".
        day = f" ({describe_date(source.published)})" if source.published else ""
        headline = f"“{source.title}”" if source.title else f"the article {source.doc_id}"
        report = f"{source.source}{day}, {headline}" if source.source else f"{headline}{day}"
        return Answer(
            question=found.question,
            answer=(
                f"Nothing {describe_filters(filters)} answers this; {report} does. "
                "Search without the filters to read it."
            ),
            abstained=True,
            query=found.query,
            evidence=within.evidence,
            answered_outside=source.doc_id,
        )

    def check(
        self, found: Retrieved, filters: Filters | None = None, every_feature: bool = False
    ) -> Verdict | None:
        """The verdict on a check that names reports ("Did The Verge report it before
        TechCrunch?"): the passages found for it, and each named outlet's own best ones (its
        report may rank below other outlets' on the same subject), read for each report's
        sentence. None when the question names no indexed outlet. `every_feature`: the reader
        reads the reports' sentences even for a verdict model that decides nothing (training)."""
        reports = self.verdicts.named_reports(found.question)
        if not reports:
            return None
        clauses = self.verdicts.clauses(found.question, reports)
        clause_vectors = self.embedder.embed(clauses)
        passages = list(found.passages[:PASSAGES_READ])
        seen = {p.chunk.chunk_id for p in passages}
        for report, clause, vector in zip(reports, clauses, clause_vectors, strict=True):
            # Searched for what the question says of this report, within its outlet.
            wanted = Filters(outlets=(report.outlet,))
            wanted = filters.narrowed(wanted) if filters is not None else wanted
            for passage in self.retriever.run(
                clause, 3, wanted, query_vector=vector, scope=found.scope
            ):
                if passage.chunk.chunk_id not in seen:
                    seen.add(passage.chunk.chunk_id)
                    passages.append(passage)
        scored = self.extractive.score(
            found.question, passages, found.query, found.query_vector, len(passages),
            analysis=found.asked,
        )  # fmt: skip
        return self.verdicts.run(
            found.question,
            reports,
            scored.candidates,
            scored.vectors,
            found.query_vector,
            clauses,
            clause_vectors,
            read=(
                self.extractive.reader.score_pairs
                if every_feature or self.verdicts.model.decides
                else None
            ),
        )

    def newest_before(self, scope: TimeScope) -> dt.date | None:
        """The newest article's day when every dated article is older than the question's window
        (an archive asked about "this week"); None when the window holds or follows articles."""
        newest = self.newest_article_day
        if scope.window is None or newest is None or newest >= scope.window.start:
            return None
        return newest

    @cached_property
    def newest_article_day(self) -> dt.date | None:
        return newest_day(set(field_values(self.index.articles, "published")))

    def quoted_rows(self, quoted: tuple[tuple[str, int], ...]) -> list[int]:
        """The index rows of the chunks holding the quotes' starts (`Turn.evidence`)."""
        rows: list[int] = []
        for doc_id, start in quoted:
            for row in self.index.chunks_of(doc_id):
                chunk = self.index.chunks[row]
                if chunk.start <= start < chunk.end and row not in rows:
                    rows.append(row)
        return rows

    def named_in_answer(self, answer: Answer, labels: frozenset[int]) -> str | None:
        """What the answer to a "who" or "which company" question names, for a later "he" or
        "they" ("Who won the Tour?" then "How old is he?"): its direct answer, else the name of
        the asked kind its quotes mention most (by last word: "Altman" is "Sam Altman"; a name
        in a cited article's headline counts twice more: the whole name, or a person's last
        name) that the question doesn't name."""
        if answer.abstained or not answer.citations:
            return None
        if answer.short_answer:
            return answer.short_answer.shown
        counts: dict[str, int] = {}
        longest: dict[str, str] = {}
        people: set[str] = set()  # last names the cited spans tag as a person, anywhere
        person = LABEL_ID["PERSON"]
        for citation in answer.citations:
            text = self.index.articles[citation.doc_id].text
            _, _, entities = self.index.sentences.of(citation.doc_id)
            for _, label, start, end in entities.tolist():
                name = single_name(text[start:end])
                inside = citation.start <= start and end <= citation.end
                if not inside or name is None:
                    continue
                key = name.split()[-1].lower()
                if label == person:
                    people.add(key)
                if label not in labels or name.lower() in answer.question.lower():
                    continue
                counts[key] = counts.get(key, 0) + 1
                if len(name) > len(longest.get(key, "")):
                    longest[key] = name
        if person not in labels:
            # "Swift" tagged a product in one quote is the person another quote names.
            counts = {key: count for key, count in counts.items() if key not in people}
        elif ASKS_WHO.match(answer.question) and people & set(counts):
            # "Who replaced Whitney Wolfe Herd?": the person the quotes name, not the company
            # they name more often ("Slack CEO Lidiane Jones … CEO at Slack").
            counts = {key: count for key, count in counts.items() if key in people}
        headlines = " ".join(c.title or "" for c in answer.citations).lower()
        for key in counts:
            in_headline = longest[key].lower() in headlines or (
                key in people and key in re.findall(r"\w+", headlines)
            )
            counts[key] += 2 * in_headline
        return longest[max(counts, key=lambda k: counts[k])] if counts else None

    def retrieve(
        self,
        question: str,
        history: ChatHistory | None = None,
        top_k: int | None = None,
        filters: Filters | None = None,
        as_of: dt.date | None = None,
    ) -> Retrieved:
        """The first half of answering: the cleaned question, its search query (with the
        conversation, for a follow-up), its time, and the passages found for it."""
        question, notices = prepare_question(question, self.settings)
        query = history.rewrite(question) if history else question
        scope = parse_time(question, parse_as_of(as_of))
        started = time.perf_counter()
        query_vector = self.embedder.embed([query])[0]
        embed_ms = round((time.perf_counter() - started) * 1000, 1)
        passages = self.retriever.run(query, top_k, filters, query_vector=query_vector, scope=scope)
        if history is not None and query != question:
            # A follow-up that points back at the last turn reads the passages that turn's
            # answer quoted too: "How much did he pay for it?" is answered in the buyer's report.
            # The rows are looked up only here: most turns are never pointed back at.
            quoted = history.evidence_for(question)
            if quoted:
                passages += self.retriever.passages_of(
                    self.quoted_rows(quoted), query_vector, filters, passages
                )
        asked = analyse_question(question)
        return Retrieved(question, query, scope, asked, query_vector, passages, notices, embed_ms)

    def search(
        self,
        question: str,
        top_k: int | None = None,
        filters: Filters | None = None,
        mmr: bool | None = None,
        as_of: dt.date | None = None,
        query_vector: np.ndarray | None = None,
    ) -> list[Passage]:
        """The best passages for `question`; `query_vector`: its embedding, when the caller
        has it already."""
        question, _ = prepare_question(question, self.settings)
        scope = parse_time(question, parse_as_of(as_of))
        vector = query_vector if query_vector is not None else self.embedder.embed([question])[0]
        passages = self.retriever.run(question, top_k, filters, mmr, vector, scope)
        if not self.settings.retrieval.read_order or not passages:
            return passages
        # The reader reads the best sentences of every passage found; the passage whose
        # sentence states the answer comes first.
        scored = self.extractive.score(question, passages, question, vector, len(passages), True)
        return self.extractive.read_order(scored, passages)


def quoted_spans(answer: Answer) -> tuple[tuple[str, int], ...]:
    """Where the answer's first quotes start (article, offset), for a follow-up to read their
    passages again; none for a decline with nothing quoted."""
    if answer.abstained and not answer.partial:
        return ()
    return tuple((c.doc_id, c.start) for c in answer.citations[:PASSAGES_QUOTED])


def newest_day(published: Iterable[str | None]) -> dt.date | None:
    """The newest full day among publication dates; None when none has one."""
    return max((d for d in map(full_date, published) if d is not None), default=None)


def newest_cited(answer: Answer) -> dt.date | None:
    """The day of the newest dated report the answer quotes (the question's own search found
    it, and it answers); None when it quotes none."""
    return newest_day(c.published for c in answer.citations)


# Terminal escape sequences (colours, cursor moves, titles) pasted with a question: dropping only
# their control character would leave "[31m" behind as words.
TERMINAL_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: ESC [ … final byte
    r"|\x9b[0-?]*[ -/]*[@-~]"  # the one-byte CSI
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: ESC ] … BEL or ESC \\
    r"|\x1b[@-Z\\-_]"  # any other two-character escape
)


def prepare_question(question: str, settings: Settings) -> tuple[str, list[str]]:
    """The question without terminal escapes or control characters, cut to the length limit;
    notices say what changed."""
    notices = []
    question = TERMINAL_ESCAPES.sub(" ", question)
    cleaned = " ".join("".join(ch if ch.isprintable() else " " for ch in question).split())
    if not cleaned:
        raise BadQuestionError("The question is empty. Type a question about the articles.")
    limit = settings.answer.max_question_chars
    if len(cleaned) > limit:
        notices.append(
            f"Your question was {len(cleaned):,} characters long; only the first {limit:,} were used."
        )
        cleaned = cleaned[:limit].rsplit(" ", 1)[0] or cleaned[:limit]
    return cleaned, notices
