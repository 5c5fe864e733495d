"""Sentences of an article with exact character spans: the unit an answer quotes.

The index stores a vector for every sentence of the story text (see index.build), so the
answerer can score candidate sentences without running the model at question time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from index.clean import content_spans
from index.documents import Article

# Abbreviations whose period doesn't end a sentence ("Mr. Kim", "U.S. officials").
ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "st", "gen", "lt", "col", "sgt", "sen", "rep", "gov", "prof", "jr",
    "sr", "inc", "co", "corp", "ltd", "no", "vs", "etc", "jan", "feb", "mar", "apr", "jun", "jul",
    "aug", "sep", "sept", "oct", "nov", "dec", "u.s", "u.k", "e.g", "i.e", "a.m", "p.m", "capt",
    "cmdr", "adm", "maj", "rev", "fig", "approx", "est", "dept", "bros", "assn", "ave", "blvd",
    "mt", "govt", "univ", "messrs",
}  # fmt: skip
# A sentence ends at . ! or ? (plus closing quotes/brackets) before a space and a capital, digit
# or opening quote; newlines always end one (headlines and subheadings stand alone).
BOUNDARY = re.compile(r"(?<=[.!?])[\"”’')\]]*(?=\s+[\"“‘'(\[]?[A-Z0-9])|\n")


@dataclass(frozen=True, slots=True)
class Sentence:
    start: int  # offsets in the article text
    end: int
    text: str
    row: int = -1  # its row in the index's SentenceTable; -1 when it has none


def split_sentences(text: str, offset: int = 0) -> list[Sentence]:
    """Sentences of `text`, with spans shifted by `offset` (the text's start in its article)."""
    sentences: list[Sentence] = []
    cursor = 0
    for match in BOUNDARY.finditer(text):
        end = match.end()
        if match.group(0) != "\n":
            last_word = re.search(r"(\S+)$", text[cursor:end])
            token = last_word.group(1).rstrip(".!?\"”’')]").lower() if last_word else ""
            # "Mr." or an initial ("J.") is not a sentence end.
            if token in ABBREVIATIONS or (len(token) == 1 and token.isalpha()):
                continue
        _add(sentences, text, cursor, end, offset)
        cursor = end
    _add(sentences, text, cursor, len(text), offset)
    return sentences


def _add(sentences: list[Sentence], text: str, start: int, end: int, offset: int) -> None:
    piece = text[start:end]
    stripped = piece.strip()
    if not stripped:
        return
    lead = len(piece) - len(piece.lstrip())
    begin = start + lead
    sentences.append(Sentence(offset + begin, offset + begin + len(stripped), stripped))


# What is never quoted as a claim, though it sits in the story text. Decided here, at index
# time, so such a sentence never becomes a candidate (nor half of a pair).
PLEA = re.compile(
    r"(?i)\bdo you (?:work|know)\b.*\?|\b(?:got|have) a (?:news )?tip\b|\btip \w+$|"
    r"\bsend (?:us )?(?:a )?tips?\b|\b(?:securely|confidentially) (?:at|on|via)\b|"
    r"\bsign up (?:for|to) (?:our|the)\b|\bsubscribe (?:to our|now)\b|\bnewsletter\b|"
    r"\bfollow us (?:on|at)\b|\bclick here\b|\ball rights reserved\b"
)
SOCIAL_POST = re.compile(
    r"\(@\w{1,15}\)\s+[A-Z][a-z]+\.? \d{1,2}, \d{4}|pic\.twitter\.com/|"
    r"^— [^—]{1,60}\(@\w{1,15}\)"
)
CAPTION = re.compile(
    r"(?i)^(?:photo|image|picture|file photo|caption)\s*[:|(]|"
    r"\b(?:getty images|ap photo|afp via getty|reuters/[a-z]+)\b|\((?:photo|image|credit)[^)]*\)$"
)
HEADING_WORDS = 16


def is_filler(sentence: Sentence, text: str) -> bool:
    """A subheading (a short line of its own without a sentence's end), a tip-line or
    newsletter plea, an embedded social post, a photo caption, or a bare list of names."""
    words = sentence.text.split()
    own_line = (sentence.start == 0 or text[sentence.start - 1] == "\n") and (
        sentence.end == len(text) or text[sentence.end] == "\n"
    )
    ends_like_sentence = re.search(r"[.!?…][\"”’')\]]*$", sentence.text) is not None
    # "Director: John Carpenter" and "49ers 42, Cowboys 10" are facts on a line, not headings.
    data_line = ": " in sentence.text or len(re.findall(r"\d+", sentence.text)) >= 2
    if own_line and len(words) <= HEADING_WORDS and not ends_like_sentence and not data_line:
        return True
    # A post's signature ends it; its earlier sentences share its line.
    line_start = text.rfind("\n", 0, sentence.start) + 1
    line_end = text.find("\n", sentence.end)
    line = text[line_start : line_end if line_end >= 0 else len(text)]
    if PLEA.search(sentence.text) or SOCIAL_POST.search(line):
        return True
    if CAPTION.search(sentence.text):
        return True
    # "T40, Austria B. Wiesberger ; T40, Canada M. Hughes ; ...": names, no sentence.
    capitalised = sum(1 for w in words if w[:1].isupper() or w[:1].isdigit())
    separators = len(re.findall(r"[,;|·•]", sentence.text))
    return len(words) >= 6 and separators >= 3 and capitalised >= 0.75 * len(words)


def article_sections(article: Article) -> list[list[Sentence]]:
    """The article's story text as runs of sentences, one run per stretch between boilerplate;
    filler (is_filler) is left out."""
    return [
        [
            s
            for s in split_sentences(article.text[start:end], start)
            if not is_filler(s, article.text)
        ]
        for start, end in content_spans(article.text, article.title)
    ]


@dataclass(frozen=True, slots=True)
class QuantizedRows:
    """Sentence vectors as int8 codes with a float32 scale per row: a quarter of float32's bytes.

    A row is a sum of token vectors, and question time sums neighbouring rows again before
    normalising, so each row keeps its own magnitude in its scale (its largest component / 127)
    rather than being normalised here. Indexing gives float32 rows, as a float array would.
    """

    codes: np.ndarray  # (n, dim) int8, memory-mapped when loaded
    scales: np.ndarray  # (n,) float32

    @classmethod
    def quantize(cls, vectors: np.ndarray) -> QuantizedRows:
        rows = np.asarray(vectors, dtype=np.float32)
        scales = (np.abs(rows).max(axis=1, initial=0.0) / 127).astype(np.float32)
        divisors = np.where(scales > 0, scales, 1.0)[:, None]
        codes = np.clip(np.rint(rows / divisors), -127, 127).astype(np.int8)
        return cls(codes, scales)

    @classmethod
    def stack(cls, parts: list[QuantizedRows], dim: int) -> QuantizedRows:
        if not parts:
            return cls(np.zeros((0, dim), np.int8), np.zeros(0, np.float32))
        return cls(np.vstack([p.codes for p in parts]), np.concatenate([p.scales for p in parts]))

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.codes.shape)

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, rows: Any) -> np.ndarray:
        codes = np.asarray(self.codes[rows], dtype=np.float32)
        scales = np.asarray(self.scales[rows], dtype=np.float32)
        return codes * scales[..., None]


class RowRanges(Mapping[str, tuple[int, int]]):
    """doc_id -> its sentence rows [first, last), from a (articles, 2) array in the order of
    `place` (doc_id -> its number): a loaded index reads one array instead of a dict of 100,000
    keys."""

    def __init__(self, place: Mapping[str, int], rows: np.ndarray) -> None:
        if len(rows) != len(place):
            raise ValueError(f"{len(rows)} sentence ranges for {len(place)} articles")
        self.place = place
        self.rows = rows

    def __getitem__(self, doc_id: str) -> tuple[int, int]:
        first, last = self.rows[self.place[doc_id]]
        return int(first), int(last)

    def __iter__(self) -> Iterator[str]:
        return iter(self.place)

    def __len__(self) -> int:
        return len(self.place)


@dataclass(slots=True)
class SentenceTable:
    """Every story sentence of every indexed article, with a vector and entities made at index time.

    A row's vector is the sum of the token vectors the chunk pass produced for that sentence
    (index.embedding_model.span_sums), so a sentence, or two neighbours together, is scored
    without running the model at question time. A zero row means no chunk held the whole sentence.
    Entities (index.entities) are rows of (sentence row, label number, start, end), sorted by
    sentence row, with article offsets.
    """

    ranges: Mapping[str, tuple[int, int]]  # doc_id -> its rows [first, last)
    spans: np.ndarray  # (n, 3) int32: section number, start, end
    vectors: QuantizedRows  # (n, dim)
    entities: np.ndarray  # (m, 4) int32: sentence row, label, start, end
    _entity_rows: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # The row column, contiguous, to find a sentence's entities by binary search (with keys
        # of its own type: other keys would make numpy convert the whole column each search).
        self._entity_rows = np.ascontiguousarray(self.entities[:, 0], dtype=np.int32)

    @classmethod
    def empty(cls, dim: int) -> SentenceTable:
        return cls({}, np.zeros((0, 3), np.int32), QuantizedRows.stack([], dim), no_entities())

    @classmethod
    def concatenate(
        cls, parts: Iterable[tuple[str, np.ndarray, np.ndarray, np.ndarray]], dim: int
    ) -> SentenceTable:
        """One table from (doc_id, spans, vectors, entities) per article, in that order; an
        article's entity rows count from its own first sentence. Vectors are quantised article
        by article, so the whole table is never held as floats."""
        ranges: dict[str, tuple[int, int]] = {}
        spans, vectors, entities, row = [], [], [], 0
        for doc_id, doc_spans, doc_vectors, doc_entities in parts:
            ranges[doc_id] = (row, row + len(doc_spans))
            shifted = np.array(doc_entities, dtype=np.int32).reshape(-1, 4)
            shifted[:, 0] += row
            row += len(doc_spans)
            spans.append(doc_spans)
            vectors.append(QuantizedRows.quantize(doc_vectors))
            entities.append(shifted)
        if not spans:
            return cls.empty(dim)
        return cls(
            ranges,
            np.vstack(spans).astype(np.int32),
            QuantizedRows.stack(vectors, dim),
            np.vstack(entities).astype(np.int32),
        )

    def of(self, doc_id: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """An article's spans, vectors and entities (rows counted from its first sentence), to
        carry into the next version unchanged."""
        first, last = self.ranges.get(doc_id, (0, 0))
        low, high = np.searchsorted(self._entity_rows, np.array([first, last], np.int32))
        entities = np.array(self.entities[low:high], dtype=np.int32)
        entities[:, 0] -= first
        return self.spans[first:last], self.vectors[first:last], entities

    def sections(self, doc_id: str, text: str) -> list[list[Sentence]]:
        """The article's sentences grouped by story section, as article_sections gives them."""
        first, last = self.ranges.get(doc_id, (0, 0))
        grouped: dict[int, list[Sentence]] = {}
        for row in range(first, last):
            section, start, end = (int(v) for v in self.spans[row])
            grouped.setdefault(section, []).append(Sentence(start, end, text[start:end], row))
        return list(grouped.values())

    def entities_of(self, rows: Iterable[int]) -> dict[int, list[tuple[int, int, int]]]:
        """(label, start, end) of the entities in each sentence row, in text order."""
        found: dict[int, list[tuple[int, int, int]]] = {}
        for row in rows:
            if row < 0:
                continue
            low, high = np.searchsorted(self._entity_rows, np.array([row, row + 1], np.int32))
            found[row] = [(int(e[1]), int(e[2]), int(e[3])) for e in self.entities[low:high]]
        return found

    def vectors_of(self, groups: list[list[int]]) -> list[np.ndarray | None]:
        """For each group of rows, the unit vector of those sentences read together; None where
        one of them has none. The rows are read from the (memory-mapped) table in one go."""
        wanted = sorted({row for rows in groups for row in rows if row >= 0})
        found = dict(zip(wanted, self.vectors[wanted], strict=True))
        out: list[np.ndarray | None] = []
        for rows in groups:
            parts = [found[row] for row in rows if row in found]
            if not rows or len(parts) < len(rows) or not all(part.any() for part in parts):
                out.append(None)
                continue
            total = np.sum(parts, axis=0)
            out.append(total / max(float(np.linalg.norm(total)), 1e-12))
        return out


def no_entities() -> np.ndarray:
    return np.zeros((0, 4), np.int32)
