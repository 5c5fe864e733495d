"""The default, offline answerer: quotes the article sentences that answer the question.

Each candidate sentence from the top passages is scored by meaning (cosine to the question of
the sentence's vector, made at index time from the chunk pass: see index.sentences), by how
many of the question's key terms and names it contains (IDF-weighted, names counted double),
and by its passage's rank. The best few become the answer, each followed by a marker for the
exact span it quotes. When the evidence is weak, or the question names something no article
mentions, it abstains and lists the nearest passages instead.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from index.embed import Embedder
from index.metadata import describe_date
from index.sentences import Sentence, split_sentences
from index.settings import AnswerSettings
from index.store import StoredIndex
from qa.results import Answer, Citation, Passage
from qa.sentences import (
    asked_noun,
    expected_answer_type,
    has_answer_type,
    key_terms,
    starts_with_reference,
    stems_of,
)

# Weights of the sentence score: meaning first, then key terms, then the passage's rank. The
# abstention threshold on this score is a setting (AnswerSettings.abstain_below).
SEMANTIC_WEIGHT = 0.5
LEXICAL_WEIGHT = 0.4
RANK_WEIGHT = 0.1
# A further sentence joins the answer only if it scores close to the best one.
KEEP_WITHIN = 0.12
# Two sentences this similar say the same thing: the second adds a citation, not a sentence.
SAME_CLAIM = 0.86
# A claim may quote two neighbouring sentences ("They exchanged gifts. Mr Putin gave..."); the
# pair must beat a single sentence by this much to be preferred over it.
PAIR_PENALTY = 0.03
# Bonus for containing the kind of thing asked for (a name for "who", a date for "when", ...).
ANSWER_TYPE_BONUS = 0.06
# Terms carried over from earlier chat turns count for less than the question's own.
CONTEXT_TERM_WEIGHT = 0.5
PASSAGES_READ = 6
# Vectors of sentences the index has none for, kept between questions (about 1.5 KB each).
VECTOR_CACHE_SIZE = 20_000
MIN_WORDS = 4
ABSTAIN_TEXT = (
    "The indexed articles don't answer this question. The closest passages are listed below; "
    "they are not evidence for an answer."
)


class TermStats:
    """Document frequencies of word stems, read from the BM25 index built at index time."""

    def __init__(self, index: StoredIndex) -> None:
        self.docs = max(len(index.chunks), 1)
        bm25 = index.bm25
        vocabulary = getattr(bm25, "vocab_dict", None) or {}
        indptr = bm25.scores["indptr"] if vocabulary else np.zeros(1, dtype=np.int64)
        counts = np.diff(indptr)
        self._df = {
            token: int(counts[i]) if i < len(counts) else 0 for token, i in vocabulary.items()
        }

    def df(self, stem: str) -> int:
        return self._df.get(stem, 0)

    def known(self, stem: str) -> bool:
        """Whether any article has the word or a form of it ("Japanese" for "Japan")."""
        if self._df.get(stem, 0):
            return True
        return any(
            len(token) >= 4 and (stem.startswith(token) or token.startswith(stem))
            for token in self._df
            if self._df[token] and token[:2] == stem[:2]
        )

    def idf(self, stem: str) -> float:
        return math.log(1 + self.docs / (self.df(stem) + 1))


@dataclass(slots=True)
class Candidate:
    """One sentence, or two neighbouring ones, that might answer the question."""

    sentences: list[Sentence]
    passage: Passage
    rank: int
    score: float = 0.0
    semantic: float = 0.0
    lexical: float = 0.0

    @property
    def start(self) -> int:
        return self.sentences[0].start

    @property
    def end(self) -> int:
        return self.sentences[-1].end

    @property
    def doc_id(self) -> str:
        return self.passage.chunk.doc_id

    def text(self) -> str:
        return self.passage.article.text[self.start : self.end]

    def overlaps(self, other: Candidate) -> bool:
        return self.doc_id == other.doc_id and self.start < other.end and other.start < self.end


@dataclass(slots=True)
class Claim:
    """One sentence of the answer and the spans (one per agreeing article) that support it."""

    candidates: list[Candidate] = field(default_factory=list)


class ExtractiveAnswerer:
    def __init__(self, index: StoredIndex, embedder: Embedder, settings: AnswerSettings) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self.stats = TermStats(index)
        self._section_cache: dict[str, list[list[Sentence]]] = {}
        self._vector_cache: dict[str, np.ndarray] = {}

    def run(
        self,
        question: str,
        passages: Sequence[Passage],
        query: str | None = None,
        query_vector: np.ndarray | None = None,
    ) -> Answer:
        started = time.perf_counter()
        query = query or question
        answer = Answer(question=question, answer="", abstained=True, query=query)
        own_terms = key_terms(question)
        unknown = [t.surface for t in own_terms if t.is_entity and not self.stats.known(t.stem)]
        candidates = self._candidates(passages)
        if not candidates:
            return self._abstain(answer, passages, "no passages", started)
        if query_vector is None:
            query_vector = self.embedder.embed([query])[0]
        vectors = self._vectors(candidates)
        self._score(candidates, question, query, query_vector, vectors)
        best = max(candidates, key=lambda c: c.score)
        answer.evidence = round(best.score, 4)
        if unknown:
            # The question is about a name or number that no indexed article contains.
            return self._abstain(
                answer, passages, f"not in any article: {', '.join(unknown)}", started
            )
        if best.score < self.settings.abstain_below:
            return self._abstain(answer, passages, f"weak evidence ({best.score:.2f})", started)
        claims = self._select(candidates, vectors)
        self._compose(answer, claims)
        answer.timings_ms["answer"] = round((time.perf_counter() - started) * 1000, 1)
        return answer

    def _vectors(self, candidates: list[Candidate]) -> np.ndarray:
        """Candidate vectors from the index's sentence table. A sentence no chunk held whole
        (rare) is embedded now, and kept for later questions."""
        table = self.index.sentences
        rows = table.vectors_of([[s.row for s in c.sentences] for c in candidates])
        missing = list(
            dict.fromkeys(
                c.text()
                for c, row in zip(candidates, rows, strict=True)
                if row is None and c.text() not in self._vector_cache
            )
        )
        if missing:
            for text, vector in zip(missing, self.embedder.embed(missing), strict=True):
                self._vector_cache[text] = vector
            while len(self._vector_cache) > VECTOR_CACHE_SIZE:
                self._vector_cache.pop(next(iter(self._vector_cache)))  # oldest first
        return np.stack(
            [
                row if row is not None else self._vector_cache[c.text()]
                for c, row in zip(candidates, rows, strict=True)
            ]
        ).astype(np.float32)

    def _candidates(self, passages: Sequence[Passage]) -> list[Candidate]:
        """Single sentences and neighbouring pairs from the top passages, each span once.

        A passage's sentences are taken with one neighbour on each side from the same stretch of
        story text, so an answer split across a chunk boundary can still be quoted whole. A
        sentence that starts with "He", "But", ... is offered only with a neighbour.
        """
        seen: dict[tuple[str, int, int], Candidate] = {}
        for rank, passage in enumerate(passages[:PASSAGES_READ]):
            sentences = self._sentences_around(passage)
            for position, sentence in enumerate(sentences):
                windows = []
                following = sentences[position + 1] if position + 1 < len(sentences) else None
                if position > 0 and starts_with_reference(sentence.text):
                    windows.append([sentences[position - 1], sentence])
                    if following:
                        windows.append([sentence, following])
                elif len(sentence.text.split()) >= MIN_WORDS:
                    windows.append([sentence])
                    if following:
                        windows.append([sentence, following])
                for window in windows:
                    key = (passage.chunk.doc_id, window[0].start, window[-1].end)
                    if key not in seen:
                        seen[key] = Candidate(window, passage, rank)
        return list(seen.values())

    def _sentences_around(self, passage: Passage) -> list[Sentence]:
        chunk = passage.chunk
        for section in self._sections(chunk.doc_id):
            if section and section[0].start <= chunk.start < section[-1].end + 1:
                inside = [
                    i for i, s in enumerate(section) if s.end > chunk.start and s.start < chunk.end
                ]
                if inside:
                    return section[max(inside[0] - 1, 0) : inside[-1] + 2]
        return split_sentences(chunk.text, chunk.start)

    def _sections(self, doc_id: str) -> list[list[Sentence]]:
        """The article's story text as runs of sentences (from the index's sentence table)."""
        cached = self._section_cache.get(doc_id)
        if cached is None:
            cached = self.index.sentences.sections(doc_id, self.index.articles[doc_id].text)
            if len(self._section_cache) > 2048:
                self._section_cache.clear()
            self._section_cache[doc_id] = cached
        return cached

    def _score(
        self,
        candidates: list[Candidate],
        question: str,
        query: str,
        query_vector: np.ndarray,
        vectors: np.ndarray,
    ) -> None:
        weights = {
            t.stem: self.stats.idf(t.stem) * (2.0 if t.is_entity else 1.0)
            for t in key_terms(question)
        }
        for term in key_terms(query):
            if term.stem not in weights:
                weights[term.stem] = (
                    CONTEXT_TERM_WEIGHT
                    * self.stats.idf(term.stem)
                    * (2.0 if term.is_entity else 1.0)
                )
        total = sum(weights.values()) or 1.0
        answer_type = expected_answer_type(question)
        noun = asked_noun(question)
        question_stems = stems_of(query)
        semantic = vectors @ query_vector
        for candidate, similarity in zip(candidates, semantic, strict=True):
            text = candidate.text()
            stems = stems_of(text)
            candidate.semantic = float(similarity)
            candidate.lexical = sum(w for s, w in weights.items() if s in stems) / total
            prior = 1.0 / (1.0 + 0.5 * candidate.rank)
            candidate.score = (
                SEMANTIC_WEIGHT * candidate.semantic
                + LEXICAL_WEIGHT * candidate.lexical
                + RANK_WEIGHT * prior
            )
            # "Which ministers": a new name counts only beside the word asked for.
            if (
                answer_type
                and (noun is None or noun in stems)
                and has_answer_type(text, answer_type, question_stems)
            ):
                candidate.score += ANSWER_TYPE_BONUS
            if len(candidate.sentences) > 1:
                candidate.score -= PAIR_PENALTY

    def _select(self, candidates: list[Candidate], vectors: np.ndarray) -> list[Claim]:
        order = sorted(range(len(candidates)), key=lambda i: -candidates[i].score)
        best = candidates[order[0]].score
        claims: list[Claim] = []
        claim_rows: list[int] = []
        for i in order:
            candidate = candidates[i]
            if candidate.score < best - KEEP_WITHIN:
                break
            if any(candidate.overlaps(c) for claim in claims for c in claim.candidates):
                continue
            twin = next(
                (
                    k
                    for k, row in enumerate(claim_rows)
                    if float(vectors[i] @ vectors[row]) >= SAME_CLAIM
                ),
                None,
            )
            if twin is not None:
                # The same claim again: worth a second citation only from another article.
                if candidate.doc_id not in {c.doc_id for c in claims[twin].candidates}:
                    claims[twin].candidates.append(candidate)
                continue
            if len(claims) >= self.settings.max_sentences:
                continue
            claims.append(Claim([candidate]))
            claim_rows.append(i)
        return claims

    def _compose(self, answer: Answer, claims: list[Claim]) -> None:
        parts = []
        for claim in claims:
            markers = []
            for candidate in claim.candidates:
                citation = Citation.of_span(
                    len(answer.citations) + 1,
                    candidate.passage,
                    candidate.start,
                    candidate.end,
                    candidate.score,
                )
                answer.citations.append(citation)
                markers.append(f"[{citation.n}]")
            quoted = answer.citations[-len(claim.candidates)].text
            parts.append(re.sub(r"\s*\n\s*", " ", quoted) + " " + "".join(markers))
        answer.answer = " ".join(parts)
        answer.abstained = False
        newer = dating_note(answer.citations)
        if newer:
            answer.answer += "\n\n" + newer

    def _abstain(
        self, answer: Answer, passages: Sequence[Passage], why: str, started: float
    ) -> Answer:
        answer.abstained = True
        answer.answer = ABSTAIN_TEXT
        answer.nearest = [p.to_json() for p in passages[:3]]
        answer.flags.append(f"abstained: {why}")
        answer.timings_ms["answer"] = round((time.perf_counter() - started) * 1000, 1)
        return answer


def dating_note(citations: Sequence[Citation]) -> str | None:
    """Says which cited report is newer when the cited articles carry different full dates."""
    dated: dict[str, list[Citation]] = {}
    for citation in citations:
        if citation.published and not citation.published.startswith("--"):
            dated.setdefault(citation.published[:10], []).append(citation)
    if len(dated) < 2:
        return None
    newest, oldest = max(dated), min(dated)

    def label(day: str) -> str:
        cited = dated[day]
        outlets = ", ".join(sorted({c.source or c.doc_id for c in cited}))
        markers = "".join(f"[{c.n}]" for c in cited)
        return f"{markers} ({outlets}, {describe_date(day)})"

    return f"Note on dates: {label(newest)} is a later report than {label(oldest)}."
