"""The question path, top to bottom: load the index and model once, then retrieve (and answer).

The CLI, the UI and the eval all go through one Pipeline, so they behave the same.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from index.embed import Embedder, load_embedder
from index.errors import BadQuestionError
from index.settings import Settings
from index.store import IndexStore, StoredIndex
from qa.results import Passage
from qa.retrieve import Filters, Retriever


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

    @classmethod
    def load(cls, settings: Settings, embedder: Embedder | None = None) -> Pipeline:
        index = IndexStore(settings.index_dir).load()
        embedder = embedder or load_embedder(index.manifest.embed_model)
        return cls(settings, index, embedder, Retriever(index, embedder, settings.retrieval))

    def search(
        self,
        question: str,
        top_k: int | None = None,
        filters: Filters | None = None,
        mmr: bool | None = None,
    ) -> list[Passage]:
        return self.retriever.run(check_question(question, self.settings), top_k, filters, mmr)


def check_question(question: str, settings: Settings) -> str:
    cleaned = "".join(ch for ch in question if ch.isprintable() or ch in "\n\t").strip()
    if not cleaned:
        raise BadQuestionError("The question is empty. Type a question about the articles.")
    return cleaned[: settings.answer.max_question_chars]
