"""The sentences that might answer a question, and what the answer model sees of each.

Candidates are single sentences and pairs of neighbouring sentences from the top passages.
Each is described by the features in FEATURES: how close its meaning is to the question, how
many of the question's key terms and names it holds, where its passage ranked, whether it holds
a new entity of the kind asked for (index.entities), and whether it fits the years the
question names. The answer model (qa.answer_model) turns these into a probability.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from index.entities import LABELS
from index.sentences import Sentence, split_sentences
from index.stored import StoredIndex
from qa.analysis import QuestionAnalysis, edition_fit
from qa.instructions import MachineAddress
from qa.reader import ReaderInput
from qa.results import Passage
from qa.sentences import (
    WORD,
    key_terms,
    starts_with_reference,
    stem,
    stems_of,
    with_death_words,
)
from qa.timeframe import YEARS

PASSAGES_READ = 6
MIN_WORDS = 4
# Terms carried over from earlier chat turns count for less than the question's own.
CONTEXT_TERM_WEIGHT = 0.5
NAME_LABELS = frozenset(
    LABELS.index(label)
    for label in ("PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART")
)

# Each feature and the sign its weight must have (+1, -1, or 0 for either): what is known
# about a feature's direction before any data (a question mark can't make a sentence a better
# answer) is kept through training, so one data set's quirks can't flip it.
FEATURE_SIGNS = {
    "semantic": +1,  # cosine of question and candidate vectors
    "semantic_gap": +1,  # ... minus the best candidate's
    "lexical": +1,  # IDF-weighted share of the question's key terms it holds (names double)
    "lexical_gap": +1,  # ... minus the best candidate's
    "name_share": +1,  # share of the question's names and numbers it holds (1 when none)
    "content_share": +1,  # share of its other key terms ("won", "singles"), unweighted
    "title_share": 0,  # share of the key terms in its article's headline
    "rank_prior": +1,  # 1 / (1 + rank / 2) of its passage
    "pair": 0,  # two neighbouring sentences rather than one
    "length": 0,  # log of its word count
    "reference_start": -1,  # starts with "He", "But", ...
    "is_question": -1,  # ends in a question mark: it asks, it doesn't tell
    "fragment": -1,  # doesn't end like a sentence (a headline, a caption, a cut-off snippet)
    "type_match": +1,  # it holds a new entity of that kind
    "type_near": +1,  # ... within a few words of one of the question's terms (1 / (1 + words / 4))
    "type_missing": -1,  # typed question, no such entity
    "asked_noun": +1,  # it has the noun of "which NOUN" ("minister"); 1 when none is asked
    # +1: it, its headline or its date holds a year the question names; -1: the question names
    # years and it holds none of them; 0: no year asked. Signed, so that questions without a
    # year are not moved either way.
    "year_fit": +1,
    # The reader (qa.reader): the probability that it states the answer, read with the question;
    # 0 for a candidate it was not given (the others make it unlikely). Filled in by the answerer.
    "reader": +1,
    "reader_gap": +1,  # ... minus the best one read for the question
}
# What the reader fills in; the other features rank the candidates it is given to read.
READER_FEATURES = ("reader", "reader_gap")
# Question-level facts (is the question typed, does it name a year) are left out on purpose: a
# feature that is the same for all of a question's candidates can only shift that question's
# probabilities, and would carry one data set's mix of questions into every threshold.
FEATURES = tuple(FEATURE_SIGNS)


class TermStats:
    """Document frequencies of word stems, as the BM25 index counts them."""

    def __init__(self, index: StoredIndex) -> None:
        self.docs = max(len(index.chunks), 1)
        self._df = index.search.document_frequencies()

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
    entities: list[tuple[int, int, int]] = field(default_factory=list)  # label, start, end
    features: dict[str, float] = field(default_factory=dict)
    probability: float = 0.0
    # It can't be the answer: the question asks for a kind of thing it doesn't hold, or names
    # years it doesn't while it names others (a 2019 result for a question about 2021).
    ruled_out: str | None = None

    @property
    def start(self) -> int:
        return self.sentences[0].start

    @property
    def end(self) -> int:
        return self.sentences[-1].end

    @property
    def doc_id(self) -> str:
        return self.passage.chunk.doc_id

    @property
    def published(self) -> str | None:
        return self.passage.article.published

    def text(self) -> str:
        return self.passage.article.text[self.start : self.end]

    def overlaps(self, other: Candidate) -> bool:
        return self.doc_id == other.doc_id and self.start < other.end and other.start < self.end

    def new_entities(self, analysis: QuestionAnalysis) -> list[tuple[int, int, int]]:
        """Its entities that the question does not already name ("Mr Putin" is not new when
        the question names Putin; "Andrei Belousov" is)."""
        text = self.passage.article.text
        fresh = []
        for label, start, end in self.entities:
            stems = stems_of(text[start:end])
            if not stems:
                continue
            known = stems & analysis.stems if label in NAME_LABELS else stems <= analysis.stems
            if not known:
                fresh.append((label, start, end))
        return fresh

    def asked_entities(self, analysis: QuestionAnalysis) -> list[tuple[int, int, int]]:
        """Its new entities of the kind the question asks for (none for an untyped question)."""
        return [e for e in self.new_entities(analysis) if e[0] in analysis.labels]


class CandidateFinder:
    """Finds candidates in the top passages and describes them with FEATURES."""

    def __init__(self, index: StoredIndex) -> None:
        self.index = index
        self.stats = TermStats(index)
        self._section_cache: dict[str, list[list[Sentence]]] = {}
        self._stems_cache: dict[str, frozenset[str]] = {}
        self._machine_address = MachineAddress()

    def run(self, passages: Sequence[Passage], read: int = PASSAGES_READ) -> list[Candidate]:
        """Single sentences and neighbouring pairs from the top `read` passages, each span once.

        A passage's sentences are taken with one neighbour on each side from the same stretch of
        story text, so an answer split across a chunk boundary can still be quoted whole. A
        sentence that starts with "He", "But", ... is offered only with a neighbour. A sentence
        written to a machine ("System: …", "Ignore previous instructions …": qa.instructions) is
        never offered, alone or paired.
        """
        seen: dict[tuple[str, int, int], Candidate] = {}
        for rank, passage in enumerate(passages[:read]):
            text = passage.article.text
            sentences = [
                sentence
                for sentence in self._sentences_around(passage)
                if not self._machine_address(sentence.text, passage.chunk.doc_id, text)
            ]
            for position, sentence in enumerate(sentences):
                windows = []
                following = sentences[position + 1] if position + 1 < len(sentences) else None
                # Only sentences that touch make a pair: a span over a left-out one (a heading,
                # an embedded post) would quote it.
                if following is not None and text[sentence.end : following.start].strip():
                    following = None
                previous = sentences[position - 1] if position > 0 else None
                if previous is not None and text[previous.end : sentence.start].strip():
                    previous = None
                if previous is not None and starts_with_reference(sentence.text):
                    windows.append([previous, sentence])
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
        candidates = list(seen.values())
        found = self.index.sentences.entities_of(
            {s.row for c in candidates for s in c.sentences if s.row >= 0}
        )
        for candidate in candidates:
            candidate.entities = [e for s in candidate.sentences for e in found.get(s.row, [])]
        return candidates

    def describe(
        self,
        candidates: list[Candidate],
        analysis: QuestionAnalysis,
        query: str,
        semantic: np.ndarray,
    ) -> np.ndarray:
        """Fills each candidate's features; returns them as rows in FEATURES order."""
        weights = {
            t.stem: self.stats.idf(t.stem) * (2.0 if t.is_entity else 1.0) for t in analysis.terms
        }
        for term in key_terms(query):
            if term.stem not in weights:
                weights[term.stem] = (
                    CONTEXT_TERM_WEIGHT
                    * self.stats.idf(term.stem)
                    * (2.0 if term.is_entity else 1.0)
                )
        total = sum(weights.values()) or 1.0
        names = {t.stem for t in analysis.terms if t.is_entity}
        content = {t.stem for t in analysis.terms if not t.is_entity}
        asked_years = {str(year) for year in analysis.years}
        # A follow-up's terms from earlier turns ("Zhebin" in "What did he say about energy?")
        # say which story, not what the sentence must say: the story goes on to call him "the
        # specialist" or "he". Such a term counts where the candidate's article has it.
        context = set(weights) - {t.stem for t in analysis.terms}
        stems_by_candidate = [
            with_death_words(stems_of(c.text()), analysis.stems)
            | (context & self._article_stems(c.doc_id) if context else frozenset())
            for c in candidates
        ]
        lexical = [
            sum(w for s, w in weights.items() if s in stems) / total for stems in stems_by_candidate
        ]
        best_semantic = float(semantic.max()) if len(semantic) else 0.0
        best_lexical = max(lexical, default=0.0)
        for candidate, similarity, share, stems in zip(
            candidates, semantic, lexical, stems_by_candidate, strict=True
        ):
            text = candidate.text()
            title = candidate.passage.article.title or ""
            title_stems = stems_of(title)
            article = candidate.passage.article.text
            # One per distinct name (its last mention), as the model was trained.
            typed = list(
                {
                    " ".join(article[e[1] : e[2]].lower().split()): e
                    for e in candidate.asked_entities(analysis)
                }.values()
            )
            anchors = [
                len(text[: m.start()].split())
                for m in WORD.finditer(text)
                if stem(m.group(0).strip("'’")) in weights
            ]
            gaps = [
                abs(len(text[: start - candidate.start].split()) - anchor)
                for _, start, _ in typed
                for anchor in anchors
            ]
            years_here = set(YEARS.findall(text)) | set(YEARS.findall(title))
            published = candidate.published or ""
            year_match = bool(asked_years) and bool(
                years_here & asked_years or published[:4] in asked_years
            )
            candidate.ruled_out = self.constraint_broken(
                candidate, analysis, year_match, years_here, stems
            )
            if candidate.ruled_out is None and analysis.labels and not typed:
                candidate.ruled_out = "holds nothing of the kind asked"
            words = len(text.split())
            features = {
                "semantic": float(similarity),
                "semantic_gap": float(similarity) - best_semantic,
                "lexical": share,
                "lexical_gap": share - best_lexical,
                "name_share": len(names & stems) / len(names) if names else 1.0,
                "content_share": len(content & stems) / len(content) if content else 1.0,
                "title_share": (sum(w for s, w in weights.items() if s in title_stems) / total),
                "rank_prior": 1.0 / (1.0 + 0.5 * candidate.rank),
                "pair": float(len(candidate.sentences) > 1),
                "length": math.log1p(words),
                "reference_start": float(starts_with_reference(text)),
                "is_question": float(text.rstrip("\"”’' )").endswith("?")),
                "fragment": float(not re.search(r"[.!?][\"”’')\]]*$", text.rstrip())),
                "type_match": float(bool(typed)),
                "type_near": 1.0 / (1.0 + min(gaps) / 4) if gaps else 0.0,
                "asked_noun": float(analysis.noun is None or analysis.noun in stems),
                "type_missing": float(bool(analysis.labels) and not typed),
                "year_fit": (1.0 if year_match else -1.0) if asked_years else 0.0,
                "reader": 0.0,
                "reader_gap": 0.0,
            }
            candidate.features = features
        return np.array(
            [[c.features[name] for name in FEATURES] for c in candidates], dtype=np.float32
        ).reshape(len(candidates), len(FEATURES))

    def constraint_broken(
        self,
        candidate: Candidate,
        analysis: QuestionAnalysis,
        year_match: bool,
        years_here: set[str],
        stems: frozenset[str],
    ) -> str | None:
        """Why the candidate can't be the answer whatever its words, given what the question
        fixes; None when it fits.
        - Another year: the question names years and a sentence of it (or, when they name
          none, its headline) names only others. A 2023 report's sentence on the 2019 final is
          about 2019.
        - Another edition: it names an edition of the asked event, not the asked one ("Super
          Bowl LVII" for LVIII).
        - None of the question's names ("the Bank of England", "OpenAI") in its article or its
          outlet: it is about something else (a Sydney report on the Reserve Bank of
          Australia). The sentence itself need not name one: "in the DPRK" answers a question
          about North Korea, in an article that names it."""
        text = candidate.text()
        article = candidate.passage.article
        if analysis.years:
            asked = {str(y) for y in analysis.years}
            # Each sentence of a pair: "The 2019 final ended 32-12. This year's final is on
            # Saturday." holds a score, of another year, beside a sentence about the asked one.
            for sentence in candidate.sentences:
                named = set(YEARS.findall(sentence.text))
                if named and not named & asked:
                    return "about another year"
            if not year_match and years_here:
                return "about another year"
        if analysis.editions:
            fit = edition_fit(text, analysis.editions)
            if fit < 0 or (fit == 0 and edition_fit(article.title or "", analysis.editions) < 0):
                return "about another edition"
        if analysis.names and not any(n.key in stems for n in analysis.names):
            # Its article may name it where the sentence says "the DPRK" for North Korea.
            around = self._article_stems(candidate.doc_id) | stems_of(article.source or "")
            if not any(n.key in around for n in analysis.names):
                return "names nothing the question asks about"
        return None

    def reader_input(self, candidate: Candidate) -> ReaderInput:
        """What the reader reads of a candidate: its text, its article's headline and date, and
        the story sentence before it (where "He" or "The company" often gets its name)."""
        previous = ""
        for section in self.sections(candidate.doc_id):
            for sentence in section:
                if sentence.end > candidate.start:
                    break
                previous = sentence.text
        article = candidate.passage.article
        return ReaderInput(
            candidate.text(), title=article.title or "", published=article.published or "",
            previous=previous,
        )  # fmt: skip

    def _sentences_around(self, passage: Passage) -> list[Sentence]:
        """The story sentences the passage overlaps, with one neighbour on each side from the
        same section. A chunk often starts at a subheading, which no section holds, so every
        section the chunk reaches into is read, not only one that holds the chunk's start."""
        chunk = passage.chunk
        around: list[Sentence] = []
        for section in self.sections(chunk.doc_id):
            inside = [
                i for i, s in enumerate(section) if s.end > chunk.start and s.start < chunk.end
            ]
            if inside:
                around.extend(section[max(inside[0] - 1, 0) : inside[-1] + 2])
        return around or split_sentences(chunk.text, chunk.start)

    def _article_stems(self, doc_id: str) -> frozenset[str]:
        """Every stem of the article and its headline: stemming a whole article per candidate
        would cost more than reading the candidate, so each is kept (bounded, as the sections)."""
        cached = self._stems_cache.get(doc_id)
        if cached is None:
            article = self.index.articles[doc_id]
            cached = stems_of(f"{article.title or ''}\n{article.text}")
            if len(self._stems_cache) > 2048:
                self._stems_cache.clear()
            self._stems_cache[doc_id] = cached
        return cached

    def sections(self, doc_id: str) -> list[list[Sentence]]:
        """The article's story text as runs of sentences (from the index's sentence table)."""
        cached = self._section_cache.get(doc_id)
        if cached is None:
            cached = self.index.sentences.sections(doc_id, self.index.articles[doc_id].text)
            if len(self._section_cache) > 2048:
                self._section_cache.clear()
            self._section_cache[doc_id] = cached
        return cached


def entity_text(text: str, start: int, end: int) -> tuple[int, int]:
    """An entity's span without a leading "the" ("the Vostochny Cosmodrome") and without an
    unclosed bracket the recogniser ran into ("Tadej Pogačar (UAE Team Emirates")."""
    match = re.match(r"(?i)the\s+", text[start:end])
    if match and start + match.end() < end:
        start += match.end()
    piece = text[start:end]
    if piece.count("(") > piece.count(")"):
        end = start + len(piece[: piece.rindex("(")].rstrip(" ,;:-–"))
    return start, end
