"""Value types shared by every package: an article as loaded, and a chunk with its exact span."""

from __future__ import annotations

from dataclasses import dataclass, field, replace


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
    return replace(
        article,
        source=values.get("source", article.source),
        published=values.get("published", article.published),
    )
