"""The answer cache: a question asked again on its own is answered once per index version."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from index.embed import Embedder
from index.settings import Settings
from qa.pipeline import Pipeline
from qa.results import Answer
from qa.session import ChatHistory

QUESTION = "What gifts did Putin and Kim exchange?"


@pytest.fixture
def counted(seed_index: Settings, embedder: Embedder) -> tuple[Pipeline, list[str]]:
    """A pipeline on the seeds whose answering (its `stream`, the real one) is counted."""
    pipeline = Pipeline.load(seed_index, embedder)
    answered: list[str] = []
    stream = pipeline.stream

    def counting(question: str, *args: object, **kwargs: object) -> Iterator[str | Answer]:
        answered.append(question)
        return stream(question, *args, **kwargs)  # type: ignore[arg-type]

    pipeline.stream = counting  # type: ignore[method-assign]
    return pipeline, answered


def test_a_question_asked_again_is_answered_once(counted: tuple[Pipeline, list[str]]) -> None:
    pipeline, answered = counted
    first = pipeline.ask(QUESTION)
    again = pipeline.ask(f"  {QUESTION.replace(' ', '  ')} ")
    assert answered == [QUESTION]
    assert "glove" in again.answer and again.answer == first.answer
    assert again.citations == first.citations and "cache" in again.timings_ms
    # Each caller gets its own copy: changing one changes nothing for the next.
    again.citations.clear()
    assert pipeline.ask(QUESTION).citations == first.citations
    # Other options, another day, or a turn of a conversation are answered afresh.
    pipeline.ask(QUESTION, top_k=3)
    history = ChatHistory()
    history.remember("Who did Kim meet?", "Putin", "person")
    pipeline.ask(QUESTION, history=history)
    assert answered == [QUESTION] * 3
    # An LLM's answers are never kept: here, with no LLM server, each is a fallback that a
    # retry once the server is up must not be served.
    first_fallback = pipeline.ask(QUESTION, backend="openai")
    pipeline.ask(QUESTION, backend="openai")
    assert answered == [QUESTION] * 5 and first_fallback.notices


def test_many_asking_at_once_wait_for_one_answer(counted: tuple[Pipeline, list[str]]) -> None:
    pipeline, answered = counted
    answers: list[Answer] = []
    start = threading.Barrier(8)

    def ask() -> None:
        start.wait()
        answers.append(pipeline.ask("Where did Putin and Kim meet?"))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answered == ["Where did Putin and Kim meet?"]
    assert len({answer.answer for answer in answers}) == 1 and len(answers) == 8


def test_with_the_cache_off_every_question_is_answered(
    seed_index: Settings, embedder: Embedder
) -> None:
    settings = seed_index.model_copy(update={"answer": seed_index.answer.model_copy(
        update={"cached_answers": 0})})  # fmt: skip
    pipeline = Pipeline.load(settings, embedder)
    assert "cache" not in pipeline.ask(QUESTION).timings_ms
    assert "cache" not in pipeline.ask(QUESTION).timings_ms
