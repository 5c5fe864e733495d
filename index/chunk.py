"""Cuts an article's story text into overlapping, sentence-aware chunks with exact spans."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from index.clean import content_spans
from index.documents import Article, Chunk

# Paragraphs first, then lines, then sentence ends, then clauses: a chunk boundary falls at the
# end of a sentence whenever the chunk size allows it.
SEPARATORS = ["\n\n", "\n", ". ", "? ", "! ", "; ", ": ", ", ", " ", ""]


@lru_cache(maxsize=8)
def _splitter(chunk_size: int, chunk_overlap: int, length: Callable[[str], int]):  # type: ignore[no-untyped-def]
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter(
        chunk_size=chunk_size,
        chunk_overlap=min(chunk_overlap, chunk_size // 2),
        separators=SEPARATORS,
        keep_separator="end",
        strip_whitespace=True,
        length_function=length,
    )


def chunk_article(
    article: Article,
    chunk_size: int,
    chunk_overlap: int,
    length: Callable[[str], int] = len,
) -> list[Chunk]:
    """Chunks of at most `chunk_size` as measured by `length` (characters by default)."""
    splitter = _splitter(chunk_size, chunk_overlap, length)
    chunks: list[Chunk] = []
    for span_start, span_end in content_spans(article.text, article.title):
        section = article.text[span_start:span_end]
        previous_end = 0
        for piece in splitter.split_text(section):
            # Pieces are substrings of the section, in order, and each one reaches past the end
            # of the one before (overlap repeats only its tail). Requiring that keeps a short
            # piece ("Kim's visit") from matching a copy inside the previous chunk.
            found = section.find(piece)
            while found >= 0 and found + len(piece) <= previous_end:
                found = section.find(piece, found + 1)
            if found < 0 and piece in section[:previous_end]:
                continue  # an overlap-only piece wholly inside the chunk before: nothing new
            if found < 0:
                raise AssertionError(f"chunk not found in {article.doc_id}: {piece[:60]!r}")
            previous_end = found + len(piece)
            start = span_start + found
            chunks.append(
                Chunk(
                    chunk_id=f"{article.doc_id}#{len(chunks)}",
                    doc_id=article.doc_id,
                    start=start,
                    end=start + len(piece),
                    text=piece,
                )
            )
    return chunks


def text_for_embedding(article: Article, chunk: Chunk) -> str:
    """The headline goes in front for the embedding only; the span stays the article's own text."""
    return f"{article.title}\n\n{chunk.text}" if article.title else chunk.text
