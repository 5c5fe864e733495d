"""The question path, top to bottom: load the index and model once, then retrieve (and answer).

The CLI, the UI and the eval all go through one Pipeline, so they behave the same.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from index.embed import Embedder, load_embedder
from index.errors import BadQuestionError
from index.settings import Settings
from index.store import IndexStore, StoredIndex
from qa.extractive import ExtractiveAnswerer
from qa.llm import OpenAIAnswerer
from qa.results import Answer, Passage, final_answer
from qa.retrieve import Filters, Retriever
from qa.session import ChatHistory
from qa.verify import verify_answer


def parse_filters(outlets: list[str] | None, since: str | None, until: str | None) -> Filters:
    def day(value: str | None, name: str) -> dt.date | None:
        if not value:
            return None
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise BadQuestionError(f"--{name} takes a date as YYYY-MM-DD, not '{value}'.") from None

    return Filters(
        outlets=tuple(o for o in outlets or () if o.strip()),
        since=day(since, "since"),
        until=day(until, "until"),
    )


@dataclass
class Pipeline:
    settings: Settings
    index: StoredIndex
    embedder: Embedder
    retriever: Retriever
    extractive: ExtractiveAnswerer = field(init=False)

    def __post_init__(self) -> None:
        self.extractive = ExtractiveAnswerer(self.index, self.embedder, self.settings.answer)

    @classmethod
    def load(cls, settings: Settings, embedder: Embedder | None = None) -> Pipeline:
        index = IndexStore(settings.index_dir).load()
        embedder = embedder or load_embedder(
            index.manifest.embed_model, settings.index.embed_backend, settings.index_dir
        )
        return cls(settings, index, embedder, Retriever(index, embedder, settings.retrieval))

    def ask(
        self,
        question: str,
        history: ChatHistory | None = None,
        top_k: int | None = None,
        filters: Filters | None = None,
        backend: str | None = None,
    ) -> Answer:
        """Answers one question (a turn of `history`, if given) with verified citations."""
        return final_answer(self.stream(question, history, top_k, filters, backend))

    def stream(
        self,
        question: str,
        history: ChatHistory | None = None,
        top_k: int | None = None,
        filters: Filters | None = None,
        backend: str | None = None,
    ) -> Iterator[str | Answer]:
        """Like ask, but first yields generated text as it arrives (LLM backend only)."""
        started = time.perf_counter()
        question, notices = prepare_question(question, self.settings)
        query = history.rewrite(question) if history else question
        query_vector = self.embedder.embed([query])[0]
        embedded = time.perf_counter()
        passages = self.retriever.run(query, top_k, filters, query_vector=query_vector)
        retrieved = time.perf_counter()
        answer: Answer | None = None
        if (backend or self.settings.answer.backend) == "openai":
            for item in OpenAIAnswerer(self.settings.llm, self.embedder, self.extractive).stream(
                question, passages, query=query, query_vector=query_vector
            ):
                if isinstance(item, Answer):
                    answer = item
                else:
                    yield item
        else:
            answer = self.extractive.run(question, passages, query=query, query_vector=query_vector)
        assert answer is not None
        if history is not None:
            history.remember(query)
        verify_answer(answer, self.index)
        answer.notices.extend(notices)
        answer.timings_ms.update(
            embed_query=round((embedded - started) * 1000, 1),
            retrieve=round((retrieved - embedded) * 1000, 1),
            total=round((time.perf_counter() - started) * 1000, 1),
        )
        yield answer

    def search(
        self,
        question: str,
        top_k: int | None = None,
        filters: Filters | None = None,
        mmr: bool | None = None,
    ) -> list[Passage]:
        question, _ = prepare_question(question, self.settings)
        return self.retriever.run(question, top_k, filters, mmr)


def prepare_question(question: str, settings: Settings) -> tuple[str, list[str]]:
    """The question without control characters, cut to the length limit; notices say what changed."""
    notices = []
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
