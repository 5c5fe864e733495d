"""Value types shared by every package: an article as loaded, and a chunk with its exact span."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import astuple, dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Article:
    """One news article. `text` is what chunk spans index into.

    For .txt/.md files `text` is the whole file as decoded UTF-8; for JSON records, the `body`
    string; for HTML, the main text trafilatura extracts (HTML source offsets are meaningless to a
    reader, so the extracted text is stored and shown).
    """

    doc_id: str
    text: str
    path: str
    title: str | None = None
    source: str | None = None
    # ISO 8601: "2023-09-26", or "--09-12" when the article states no year (never invented).
    published: str | None = None
    author: str | None = None
    url: str | None = None


class TextFile:
    """The article texts of an index version (bytes-like: memory-mapped), decoded as they are
    read. The texts read last stay decoded: answering one question reads the same few
    articles' texts many times (every chunk and sentence of them is a slice of one)."""

    def __init__(self, data: Any, keep: int = 256) -> None:
        self.data = data
        self.keep = keep
        self._decoded: OrderedDict[int, str] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.data)

    def read(self, start: int, end: int) -> str:
        with self._lock:
            text = self._decoded.get(start)
            if text is not None:
                self._decoded.move_to_end(start)
                return text
        text = bytes(self.data[start:end]).decode("utf-8")
        with self._lock:
            self._decoded[start] = text
            while len(self._decoded) > self.keep:
                self._decoded.popitem(last=False)
        return text


class StoredArticle(Article):
    """An article as a loaded index holds it: its text stays in the index's text file, memory-
    mapped, until it is read. Opening an index of 100,000 articles would otherwise decode
    hundreds of MB of text that a question reads a few KB of. Equal to the Article it was made
    from."""

    __slots__ = ("_span", "_texts")
    _span: tuple[int, int]
    _texts: TextFile

    def __init__(self, texts: TextFile, span: tuple[int, int], **fields: Any) -> None:
        object.__setattr__(self, "_texts", texts)
        object.__setattr__(self, "_span", span)
        for name in ("title", "source", "published", "author", "url"):
            object.__setattr__(self, name, fields.pop(name, None))
        for name, value in fields.items():  # doc_id and path
            object.__setattr__(self, name, value)

    @property
    def text(self) -> str:
        return self._texts.read(*self._span)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Article):
            return NotImplemented
        return astuple(self) == astuple(other)

    __hash__ = Article.__hash__


@dataclass(frozen=True, slots=True)
class Chunk:
    """A piece of an article: `text == article.text[start:end]`."""

    chunk_id: str
    doc_id: str
    start: int
    end: int
    text: str


# The article fields a person may correct by hand (an upload's outlet or date).
CORRECTABLE = ("source", "published")


@dataclass(frozen=True, slots=True)
class Correction:
    """An outlet or date set by hand. It outlives re-indexing the article's file, and keeps what
    the file itself says so the correction can be undone."""

    values: dict[str, str | None]
    as_filed: dict[str, str | None] = field(default_factory=dict)

    def apply(self, article: Article) -> Article:
        return _with(article, self.values)

    def filed_as(self, article: Article) -> Correction:
        """The same correction, remembering what `article` (as read from its file) says."""
        return Correction(self.values, {name: getattr(article, name) for name in self.values})

    def undo(self, article: Article) -> Article:
        return _with(article, self.as_filed)


def _with(article: Article, values: dict[str, str | None]) -> Article:
    return Article(
        article.doc_id, article.text, article.path, article.title,
        source=values.get("source", article.source),
        published=values.get("published", article.published),
        author=article.author, url=article.url,
    )  # fmt: skip
