"""The default, offline answerer: quotes the article sentences that answer the question.

Top to bottom: find candidate sentences in the top passages (qa.candidates); the learned answer
model (qa.answer_model) gives each the probability that it answers the question; reports from
the question's time window are preferred (qa.timeframe); if no candidate is likely enough, it
declines, saying what the articles do mention when only the asked thing is missing; otherwise
it quotes the best few, each followed by a marker for the exact span, and puts the thing asked
for (a name, place, date or number) first when the best sentence holds it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from index.embed import Embedder
from index.entities import LABEL_ID
from index.metadata import describe_date, full_date
from index.settings import AnswerSettings
from index.stored import StoredIndex, indexed_outlets
from qa.analysis import QuestionAnalysis, analyse_question, outlet_indexed, outlet_key
from qa.answer_model import AnswerModel
from qa.candidates import (
    FEATURES,
    PASSAGES_READ,
    READER_FEATURES,
    Candidate,
    CandidateFinder,
    entity_text,
)
from qa.reader import Reader
from qa.results import DATES_NOTE, Answer, Citation, Passage, ShortAnswer
from qa.sentences import MONTH_ABBREVIATIONS, key_phrases, single_name, stem, stems_of
from qa.timeframe import YEARS, TimeScope
from qa.versions import (
    SAME_CLAIM,
    VOICE_SHARE,
    Voice,
    counting_alike,
    find_voices,
    group_versions,
    settle,
    spokesman,
    states,
    twins,
    versions_line,
    versions_of,
)

WORDS = re.compile(r"\w+")
# A name in a question: capitalised words (or numbers) in a row ("Emmett Shear", "2021 Tour").
NAME_RUN = re.compile(r"\b(?:[A-Z0-9][\w'’.-]*)(?:\s+(?:de|of|the|[A-Z0-9][\w'’.-]*))*(?<![\s])")
# A partial answer ("the articles mention X, but not when") needs this much of the question's
# key terms (IDF-weighted) in the sentence it cites: less, and X is not the question's subject.
SUBJECT_SHARE = 0.5
# Vectors of sentences the index has none for, kept between questions (about 1.5 KB each).
VECTOR_CACHE_SIZE = 20_000
# "Russia's Vostochny cosmodrome": an entity in the possessive names whose thing it is, not
# the thing itself.
POSSESSIVE = re.compile(r"['’]s\s")
POSSESSIVE_END = re.compile(r"['’]s?$")
# A date that names its day, month or year, not one relative to the report ("last year").
ABSOLUTE = re.compile(r"\d|\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\b")
MONTH_NAMES = frozenset(MONTH_ABBREVIATIONS) | frozenset(MONTH_ABBREVIATIONS.values())
TIME_LABELS = frozenset((LABEL_ID["DATE"], LABEL_ID["TIME"]))
# Names that an article gives in full once, then in short.
FULL_NAME_LABELS = frozenset((LABEL_ID["PERSON"], LABEL_ID["ORG"]))
ABSTAIN_TEXT = (
    "The indexed articles don't answer this question. The closest passages are listed below; "
    "they are not evidence for an answer."
)


@dataclass(slots=True)
class Claim:
    """One sentence of the answer and the spans (one per agreeing article) that support it."""

    candidates: list[Candidate] = field(default_factory=list)


@dataclass(slots=True)
class Scored:
    """A question's candidates, described and scored (what training reads too)."""

    analysis: QuestionAnalysis
    candidates: list[Candidate]
    vectors: np.ndarray
    rows: np.ndarray  # features, FEATURES order


class ExtractiveAnswerer:
    def __init__(
        self,
        index: StoredIndex,
        embedder: Embedder,
        settings: AnswerSettings,
        model: AnswerModel | None = None,
        reader: Reader | None = None,
    ) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self.model = model or AnswerModel.load()
        self._reader = reader
        self.finder = CandidateFinder(index)
        self._vector_cache: dict[str, np.ndarray] = {}
        self._outlet_keys: set[str] | None = None

    @property
    def reader(self) -> Reader:
        """The shipped reader, loaded on the first question that is read."""
        if self._reader is None:
            self._reader = Reader.load()
        return self._reader

    def decline_below(self, analysis: QuestionAnalysis) -> float:
        """The probability under which this question is declined (a setting overrides the
        model's bars)."""
        if self.settings.abstain_below is not None:
            return self.settings.abstain_below
        return self.model.decline_bar(analysis.yes_no)

    def score(
        self,
        question: str,
        passages: Sequence[Passage],
        query: str,
        query_vector: np.ndarray,
        passages_read: int = PASSAGES_READ,
        every_passage: bool = False,
        analysis: QuestionAnalysis | None = None,
    ) -> Scored:
        """Candidates from the top `passages_read` passages with their features and probability;
        `every_passage`: the reader reads the best of each passage too (to order them).
        `analysis`: the question as the pipeline read it (read here when not given)."""
        analysis = analysis or analyse_question(question)
        candidates = self.finder.run(passages, passages_read)
        vectors = self._vectors(candidates)
        rows = self.finder.describe(candidates, analysis, query, vectors @ query_vector)
        self._read(query, candidates, rows, every_passage)
        for candidate, probability in zip(candidates, self.model.probabilities(rows), strict=True):
            candidate.probability = float(probability)
        return Scored(analysis, candidates, vectors, rows)

    def _read(
        self, query: str, candidates: list[Candidate], rows: np.ndarray, every_passage: bool
    ) -> None:
        """The reader reads the candidates that can be the answer, the likeliest by the other
        features first, up to `read_sentences` (0: none), and with `every_passage` the best of
        each passage; its probabilities fill the reader features of `rows` and the candidates."""
        eligible = [i for i, c in enumerate(candidates) if c.ruled_out is None]
        # Only an answer model trained with the reader (it has a part trained unread, which
        # picks what to read) weighs what it reads. The shipped one was trained without it
        # (docs/evaluation.md), so answers read nothing; a search reads to order passages.
        answers_read = self.model.unread is not None and self.settings.read_sentences > 0
        if not eligible or not (answers_read or every_passage):
            return
        prior = self.model.prior(rows[eligible])
        order = [eligible[i] for i in np.argsort(-prior, kind="stable")]
        chosen = order[: self.settings.read_sentences]
        if every_passage:
            best_of_passage: dict[int, int] = {}
            for i in order:
                best_of_passage.setdefault(candidates[i].rank, i)
            chosen += [i for i in best_of_passage.values() if i not in chosen]
        read = self.reader.run(query, [self.finder.reader_input(candidates[i]) for i in chosen])
        best = float(read.max())
        column, gap = (FEATURES.index(name) for name in READER_FEATURES)
        rows[:, column] = 0.0
        rows[:, gap] = -best
        for i, probability in zip(chosen, read, strict=True):
            rows[i, column] = probability
            rows[i, gap] = probability - best
        for candidate, row in zip(candidates, rows, strict=True):
            candidate.features["reader"] = float(row[column])
            candidate.features["reader_gap"] = float(row[gap])

    def read_order(self, scored: Scored, passages: Sequence[Passage]) -> list[Passage]:
        """The passages the reader read a sentence of, by the best of those sentences as the
        answer model rates them (the reader's probability weighed with the question's words
        and names: the reader's alone put the passage stating the answer first for 15 of the
        40 seed questions, against 35 in the retriever's order); the others after them, in
        retrieval order (all of them, when nothing was read)."""
        best: dict[int, float] = {}
        for candidate in scored.candidates:
            if candidate.features.get("reader", 0.0) > 0 and candidate.probability > best.get(
                candidate.rank, -1.0
            ):
                best[candidate.rank] = candidate.probability
        read = sorted(best, key=lambda rank: (-best[rank], rank))
        return [passages[r] for r in read] + [p for r, p in enumerate(passages) if r not in best]

    def run(
        self,
        question: str,
        passages: Sequence[Passage],
        query: str | None = None,
        query_vector: np.ndarray | None = None,
        scope: TimeScope | None = None,
        analysis: QuestionAnalysis | None = None,
    ) -> Answer:
        started = time.perf_counter()
        query = query or question
        scope = scope or TimeScope(as_of=dt.date.today())
        answer = Answer(question=question, answer="", abstained=True, query=query)
        if query_vector is None:
            query_vector = self.embedder.embed([query])[0]
        scored = self.score(question, passages, query, query_vector, analysis=analysis)
        candidates = scored.candidates
        unread = passages[PASSAGES_READ:]  # retrieved, but not read for the answer
        passages = self.read_order(scored, passages)
        if not candidates:
            return self._abstain(answer, passages, "no passages", started)
        eligible = [c for c in candidates if c.ruled_out is None]
        best = max(eligible or candidates, key=lambda c: c.probability)
        answer.evidence = round(best.probability, 4) if eligible else 0.0
        missing = self.unindexed_outlets(scored.analysis)
        if missing:
            # It asks what an outlet reported, and no article of that outlet is indexed: another
            # outlet's report is not that one's, however alike.
            answer = self._abstain(
                answer, passages, f"no article from {' or '.join(missing)} is indexed", started
            )
            answer.answer = (
                f"No article from {join_words(missing)} is in the index, so what "
                f"{'it' if len(missing) == 1 else 'they'} reported can't be quoted. "
                + ABSTAIN_TEXT.split(". ", 1)[1]
            )
            return answer
        unknown = self.unknown_names(scored.analysis)
        if unknown:
            # The question is about a name or number that no indexed article contains.
            return self._abstain(
                answer, passages, f"not in any article: {', '.join(unknown)}", started
            )
        # A candidate that can't be the answer (nothing of the asked kind, another year) never
        # is, however likely its words make it.
        likely = [c for c in eligible if c.probability >= self.decline_below(scored.analysis)]
        if not likely:
            partial = self._partial(scored)
            if partial is not None:
                return self._partly(answer, scored.analysis, partial, started)
            return self._abstain(
                answer, passages, f"weak evidence ({best.probability:.2f})", started
            )
        pool = [c for c in likely if time_fit(c, scope) >= 0]
        if scope.window is not None and not pool:
            # Nothing from the asked time: answer from the report nearest to it, and say so.
            pool = nearest_to_window(scope, likely)
            answer.notices.append(outside_window_note(scope, pool))
        claims = self._select(pool or likely, candidates, scored.vectors)
        kind, groups = settle(self._versions(pool or likely, scored, unread, scope))
        claims = lead_with_versions(claims, groups)
        # Where reports don't differ: the thing asked for, when the best sentence is likely
        # enough and names exactly one such thing, leads in bold, with every report whose
        # likely sentences state it (choosing the value by that support instead was tried:
        # docs/evaluation.md, "The answer first").
        best_value = None
        if not groups and claims:
            best_value = lead_value(claims[0].candidates[0], pool or likely, scored.analysis)
            if best_value is not None and best_value.reports[0][0].probability < (
                self.model.short_answer_above
            ):
                best_value = None
        if best_value is not None:
            claims = lead_with_support(claims, best_value)
        self._compose(answer, claims, scored.analysis, kind, groups, best_value)
        answer.timings_ms["answer"] = round((time.perf_counter() - started) * 1000, 1)
        return answer

    def unknown_names(self, analysis: QuestionAnalysis) -> list[str]:
        """Names and numbers in the question that no indexed article contains."""
        # A year or a month is a time, not a name: reports of that year may never write it
        # ("in 2022"), and a month may be written short ("Oct. 12").
        return [
            t.surface
            for t in analysis.terms
            if t.is_entity
            and not YEARS.fullmatch(t.surface)
            and t.surface.lower() not in MONTH_NAMES
            and not self.finder.stats.known(t.stem)
        ]

    def unindexed_outlets(self, analysis: QuestionAnalysis) -> list[str]:
        """Outlets the question asks what they reported, where no indexed article is from
        them: declined when it names an indexed outlet beside them ("an article in The New York
        Times and a review in Rolling Stone"), or asks for one's article ("a Rolling Stone
        article"). A lone "White House report" may be quoted in any outlet's article."""
        if not analysis.outlets:
            return []
        if self._outlet_keys is None:
            sources = indexed_outlets(self.index.articles)
            self._outlet_keys = {outlet_key(s) for s in sources} | {
                re.sub(r"^the\s+", "", " ".join(s.lower().split())) for s in sources
            }
        keys = self._outlet_keys
        missing = [o for o in analysis.outlets if not outlet_indexed(o.name, keys)]
        beside_indexed = len(missing) < len(analysis.outlets)
        if missing and (beside_indexed or any(o.writes_articles for o in missing)):
            return [o.name for o in missing]
        return []

    def _vectors(self, candidates: list[Candidate]) -> np.ndarray:
        """Candidate vectors from the index's sentence table. A sentence no chunk held whole
        (rare) is embedded now, and kept for later questions."""
        if not candidates:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
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

    def _select(
        self, pool: list[Candidate], candidates: list[Candidate], vectors: np.ndarray
    ) -> list[Claim]:
        """The best candidate of the pool, then others close to it in probability: one claim
        each, or a second citation for a claim another article already made."""
        position = {id(c): i for i, c in enumerate(candidates)}
        ordered = sorted(pool, key=lambda c: -c.probability)
        floor = ordered[0].probability - self.model.keep_within
        claims: list[Claim] = []
        claim_rows: list[int] = []
        for candidate in ordered:
            if candidate.probability < floor:
                break
            if any(candidate.overlaps(c) for claim in claims for c in claim.candidates):
                continue
            row = position[id(candidate)]
            twin = next(
                (
                    k
                    for k, other in enumerate(claim_rows)
                    if float(vectors[row] @ vectors[other]) >= SAME_CLAIM
                ),
                None,
            )
            if twin is not None and same_words(candidate.text(), claims[twin].candidates[0].text()):
                # The same claim again: worth a second citation only from another article. Only
                # the same words make it the same claim: a marker stands for a source that says
                # exactly what is quoted ("Harbor Bridge … $14.2 million" and "Ferry Street
                # Bridge … $8.7 million" read alike to the embedder, and are two claims).
                if candidate.doc_id not in {c.doc_id for c in claims[twin].candidates}:
                    claims[twin].candidates.append(candidate)
                continue
            if len(claims) >= self.settings.max_sentences:
                continue
            claims.append(Claim([candidate]))
            claim_rows.append(row)
        return claims

    def _versions(
        self, pool: list[Candidate], scored: Scored, unread: Sequence[Passage], scope: TimeScope
    ) -> list[list[Voice]]:
        """The values the best sentences give for the asked thing, grouped, when they differ
        (qa.versions); [] when they agree or the question asks for no phrase. Sentences that
        are another report's words with the value changed (qa.versions.twins) count however
        they rank, the retrieved passages past those the answerer reads (`unread`) included."""
        analysis = scored.analysis
        ordered = sorted(pool, key=lambda c: -c.probability)
        if not ordered or not analysis.labels or analysis.yes_no:
            return []
        voters = [c for c in ordered if c.probability >= VOICE_SHARE * ordered[0].probability]
        others = [c for c in self.finder.run(unread, len(unread)) if time_fit(c, scope) >= 0]
        voting, unread_ids = {id(c) for c in voters}, {id(c) for c in others}
        for twin, of in twins(ordered, others, analysis, answer_entities):
            if id(twin) in unread_ids:
                twin.probability = max(twin.probability, of.probability)
            if id(twin) not in voting:
                voters.append(twin)
                voting.add(id(twin))
        readable = [c for c in scored.candidates if c.ruled_out is None and time_fit(c, scope) >= 0]
        for alike in counting_alike(voters, [*readable, *others], analysis, answer_entities):
            voters.append(alike)
            voting.add(id(alike))
        voters.sort(key=lambda c: -c.probability)
        # Read sentences have their vectors in `scored`; twins from unread passages, and the
        # one sentence of a pair that holds a value (qa.versions.holding), are looked up.
        vectors = {span_of(c): scored.vectors[row] for row, c in enumerate(scored.candidates)}
        unread_twins = [c for c in voters if span_of(c) not in vectors]
        vectors.update(zip(map(span_of, unread_twins), self._vectors(unread_twins), strict=True))

        def similarity(first: Candidate, second: Candidate) -> float:
            for candidate in (first, second):
                if span_of(candidate) not in vectors:
                    vectors[span_of(candidate)] = self._vectors([candidate])[0]
            return float(vectors[span_of(first)] @ vectors[span_of(second)])

        return group_versions(
            find_voices(voters, analysis, answer_entities, similarity), similarity
        )

    def _compose(
        self,
        answer: Answer,
        claims: list[Claim],
        analysis: QuestionAnalysis,
        kind: str,
        groups: list[list[Voice]],
        best_value: Supported | None = None,
    ) -> None:
        parts = []
        for claim in claims:
            markers = []
            for candidate in claim.candidates:
                citation = cite(answer, candidate)
                markers.append(f"[{citation.n}]")
            quoted = answer.citations[-len(claim.candidates)].text
            parts.append(f"{as_quote(quoted)} {''.join(markers)}")
        # One claim a paragraph, each in quotation marks with its markers.
        answer.answer = "\n\n".join(parts)
        answer.abstained = False
        cited = [c for claim in claims for c in claim.candidates]
        cited_as = list(zip(cited, answer.citations, strict=True))

        def citation_of(voice: Voice) -> int | None:
            """The citation whose quote holds a version's sentence (perhaps with a neighbour)."""
            return next((q.n for c, q in cited_as if states(c, voice)), None)

        answer.versions = versions_of(kind, groups, citation_of)
        if answer.versions is not None:
            # Which report says what leads, the newest value first in an update; no one value
            # is put in bold above it.
            answer.answer = f"{versions_line(answer.versions)}\n\n{answer.answer}"
            return note_dates(answer, claims, analysis)
        if best_value is not None:
            short = self._name_in_full(support_answer(best_value, answer.citations), analysis)
            answer.short_answer = short
            answer.answer = f"{support_line(short, answer.citations)}\n\n{answer.answer}"
        note_dates(answer, claims, analysis)

    def _name_in_full(self, short: ShortAnswer, analysis: QuestionAnalysis) -> ShortAnswer:
        """For a question asking who (or which organisation), a name given in short
        ("Altman", "Bankman-Fried", "United") is shown as its article names it in full ("Sam
        Altman", "Manchester United"): the one person or organisation the article names whose
        name ends with the same words. Two such names ("Donald Trump", "Melania Trump") leave
        it as it is. The recogniser's tag of the short mention is not asked: it tags "Altman"
        a place or "Bankman-Fried" an organisation as often as a person. On the MultiHop-RAG
        train half, a third of the bold names were a surname where the gold answer is the
        whole name."""
        if not analysis.labels & FULL_NAME_LABELS:
            return short
        text = self.index.articles[short.doc_id].text
        _, _, entities = self.index.sentences.of(short.doc_id)
        tail = WORDS.findall(short.text.lower())
        fuller: dict[str, int] = {}
        for _, label, start, end in entities.tolist():
            if label not in FULL_NAME_LABELS:
                continue
            start, end = entity_text(text, start, end)
            name = single_name(text[start:end])
            words = WORDS.findall(name.lower()) if name else []
            if (
                name
                and tail
                and len(words) > len(tail)
                and words[-len(tail) :] == tail
                and len(words) <= 4  # "Bankman-Fried" is two words here
                and not re.search(r"['’]s\s", name)  # "Alphabet's Google" is Google
            ):
                fuller.setdefault(name, start)
        if len({n.lower() for n in fuller}) != 1:
            return short
        name, start = next(iter(fuller.items()))
        return dataclasses.replace(short, full_name=name, full_name_start=start)

    def _partial(self, scored: Scored) -> Candidate | None:
        """For a question asking for a kind of thing (a price, a date): the candidate that would
        answer it if only it held that thing. It shows what the articles do say."""
        if not scored.analysis.labels:
            return None
        rows = scored.rows.copy()
        for name, value in (("type_match", 1.0), ("type_near", 1.0), ("type_missing", 0.0)):
            rows[:, FEATURES.index(name)] = value
        # The reader would find the thing asked for missing too: it is left out here.
        if_typed = self.model.prior(rows)
        # It must be about the question's subject: every name and number the question has, and
        # at least half of its key terms by weight; and not about another year.
        about = [
            c.features["name_share"] == 1.0
            and c.features["lexical"] >= SUBJECT_SHARE
            and c.ruled_out != "about another year"
            for c in scored.candidates
        ]
        if_typed[~np.array(about, dtype=bool)] = 0.0
        best = int(np.argmax(if_typed))
        return (
            scored.candidates[best]
            if if_typed[best] >= self.decline_below(scored.analysis)
            else None
        )

    def _partly(
        self, answer: Answer, analysis: QuestionAnalysis, candidate: Candidate, started: float
    ) -> Answer:
        citation = Citation.of_span(
            1, candidate.passage, candidate.start, candidate.end, candidate.probability
        )
        stems = stems_of(candidate.text())
        mentioned = [p for p in key_phrases(analysis.question) if stems_of(p) & stems]
        # Named as a person would: by the names it shares with the question ("Emmett Shear"),
        # not by the question's other words strung together ("Emmett Shear paid and interim CEO").
        names = list(dict.fromkeys(n for p in mentioned for n in NAME_RUN.findall(p)))
        subject = f"mention {join_words(names)}" if names else "touch on this"
        answer.abstained = True
        answer.partial = True
        answer.citations = [citation]
        answer.answer = f"The articles {subject} [1], but none of them says {analysis.asked}."
        answer.flags.append(f"partial: nothing of the kind asked ({analysis.kind}) was found")
        answer.timings_ms["answer"] = round((time.perf_counter() - started) * 1000, 1)
        return answer

    def _abstain(
        self, answer: Answer, passages: Sequence[Passage], why: str, started: float
    ) -> Answer:
        answer.abstained = True
        answer.answer = ABSTAIN_TEXT
        answer.nearest = [p.to_json() for p in passages[:3]]
        answer.flags.append(f"abstained: {why}")
        answer.timings_ms["answer"] = round((time.perf_counter() - started) * 1000, 1)
        return answer


def lead_with_versions(claims: list[Claim], groups: list[list[Voice]]) -> list[Claim]:
    """The claims, led by each version's best sentence stating its shown value, in the
    versions' order (each quoted, whether or not it was among the claims), then the others."""
    leading = []
    for group in groups:
        best = spokesman(group)
        # Its claim, or one quoting the sentence that holds its value with a neighbour more or
        # less: a quote beside it that doesn't state the value is not its source.
        claim = next((c for c in claims if any(states(x, best) for x in c.candidates)), None)
        if claim is None:
            claim = Claim([best.candidate])
            # A quote overlapping it would quote some of the same words again.
            for other in claims:
                other.candidates = [c for c in other.candidates if not c.overlaps(best.candidate)]
            claims = [c for c in claims if c.candidates]
        leading.append(claim)
    return leading + [c for c in claims if all(c is not lead for lead in leading)]


def time_fit(candidate: Candidate, scope: TimeScope) -> int:
    """1: the report is from the question's window (or names its year); 0: it can't be told
    (no window, or an undated report); -1: it is from outside the window, or from after the
    day the question is asked."""
    day = full_date(candidate.published)
    if day is not None and day > scope.as_of:
        return -1
    if scope.window is None:
        return 0
    if scope.years and candidate.features.get("year_fit", 0.0) > 0:
        return 1
    if day is None:
        return 0
    return 1 if day in scope.window else -1


def nearest_to_window(scope: TimeScope, likely: list[Candidate]) -> list[Candidate]:
    """The candidates from the report(s) dated nearest to the question's window (before the
    as-of day), with the undated ones; all of them when none is dated."""
    assert scope.window is not None
    window = scope.window

    def distance(day: dt.date) -> int:
        return max((window.start - day).days, (day - window.end).days, 0)

    days = [d for d in (full_date(c.published) for c in likely) if d and d <= scope.as_of]
    if not days:
        return likely
    nearest = min(distance(d) for d in days)
    return [
        c
        for c in likely
        if (day := full_date(c.published)) is None
        or (day <= scope.as_of and distance(day) == nearest)
    ]


# How outside_window_note begins: the pipeline drops it when the whole index is older than the
# asked time and it says that instead.
OUTSIDE_WINDOW_NOTES = ("No report from ", "No dated report from ")


def outside_window_note(scope: TimeScope, pool: list[Candidate]) -> str:
    """Says that the evidence is not from the time the question asks about."""
    assert scope.window is not None
    asked = scope.window.describe()
    days = [d for d in (full_date(c.published) for c in pool) if d is not None]
    if not days:
        return f"No dated report from {asked} answers this."
    when = describe_date(max(days).isoformat())
    if scope.prefer_recent or max(days) < scope.window.start:
        return f"No report from {asked} answers this; the newest report found is from {when}."
    return f"No report from {asked} answers this; the answer below comes from a report of {when}."


# At most this many reports stating the answer are quoted for it.
SUPPORT_SHOWN = 3


@dataclass(slots=True)
class Supported:
    """A value of the asked kind, and the reports whose likely sentences state it: the best
    sentence of each report, with the value's span in it, best first."""

    value: str  # normalised text
    reports: list[tuple[Candidate, tuple[int, int]]]
    probability: float  # that any of them states the answer: 1 - prod(1 - p)


def lead_value(
    lead: Candidate, pool: list[Candidate], analysis: QuestionAnalysis
) -> Supported | None:
    """The value the best sentence names, when it names exactly one thing of the asked kind (a
    date the reader can use, "1 December 2017", counts before a relative one, "last year"),
    with the reports of the pool that state it, the best sentence's own first. With two or
    more, the reader is left to the quote: a wrong name in bold would be worse than none.
    (Picking the one nearest a word of the question was tried: on the train questions it gave
    144 short answers of which 36 % were right, against 88 and 50 % without it.)"""
    found = answer_entities(lead, analysis)
    if len(found) != 1:
        return None
    name = next(iter(found))
    values = supported_values(pool, analysis)
    return next((v for v in values if name == v.value or f" {name}" in f" {v.value}"), None)


def supported_values(pool: list[Candidate], analysis: QuestionAnalysis) -> list[Supported]:
    """Every value of the asked kind that the pool's sentences state, with the reports that
    state it (one sentence a report), the most supported first: their probabilities combined
    as independent evidence (1 - prod(1 - p)). A name again in short ("Altman" after "Sam
    Altman") is the same value."""
    if not analysis.labels:
        return []
    by_value: dict[str, dict[str, tuple[Candidate, tuple[int, int]]]] = {}
    for candidate in sorted(pool, key=lambda c: -c.probability):
        for name, span in answer_entities(candidate, analysis).items():
            by_value.setdefault(name, {}).setdefault(candidate.doc_id, (candidate, span))
    merged: dict[str, dict[str, tuple[Candidate, tuple[int, int]]]] = {}
    for name in sorted(by_value, key=len, reverse=True):
        whole = next((m for m in merged if f" {name}" in f" {m}"), name)
        reports = merged.setdefault(whole, {})
        for doc_id, entry in by_value[name].items():
            if doc_id not in reports or entry[0].probability > reports[doc_id][0].probability:
                reports[doc_id] = entry
    found = []
    for name, reports in merged.items():
        ordered = sorted(reports.values(), key=lambda entry: -entry[0].probability)
        doubt = float(np.prod([1.0 - c.probability for c, _ in ordered]))
        found.append(Supported(name, ordered, 1.0 - doubt))
    return sorted(found, key=lambda s: (-s.probability, -s.reports[0][0].probability))


def lead_with_support(claims: list[Claim], supported: Supported) -> list[Claim]:
    """The claims, led by the sentence of each report (up to SUPPORT_SHOWN) that states the
    value, then the others that don't overlap them."""
    leading = [Claim([c]) for c, _ in supported.reports[:SUPPORT_SHOWN]]
    rest = []
    for claim in claims:
        kept = [
            c for c in claim.candidates if not any(c.overlaps(x.candidates[0]) for x in leading)
        ]
        if kept:
            rest.append(Claim(kept))
    return leading + rest


def support_answer(supported: Supported, citations: list[Citation]) -> ShortAnswer:
    """The value as the first report writes it, inside citation 1 (its sentence leads)."""
    first, (start, end) = supported.reports[0]
    article = first.passage.article
    shown = min(len(supported.reports), SUPPORT_SHOWN)
    return ShortAnswer(
        text=article.text[start:end],
        doc_id=article.doc_id,
        start=start,
        end=end,
        citation=citations[0].n,
        probability=round(first.probability, 4),
        stated_by=[c.n for c in citations[:shown]],
    )


def support_line(short: ShortAnswer, citations: list[Citation]) -> str:
    """ "Sam Altman [1]", and where more than one report states it, which: "Sam Altman [1] ·
    stated by 3 reports: TechCrunch, 17 November 2023 [1]; The Verge [2]; Wired [3]"."""
    line = f"{short.shown} [{short.citation}]"
    if len(short.stated_by) < 2:
        return line
    by_marker = {c.n: c for c in citations}
    reports = []
    for n in short.stated_by:
        citation = by_marker[n]
        who = citation.source or shorten_title(citation.title or "") or citation.doc_id
        published = citation.published or ""
        when = describe_date(published[:10]) if published and published[:2] != "--" else ""
        reports.append(f"{who}{', ' + when if when else ''} [{n}]")
    return f"{line} · stated by {len(reports)} reports: {'; '.join(reports)}"


def answer_entities(candidate: Candidate, analysis: QuestionAnalysis) -> dict[str, tuple[int, int]]:
    """Its new entities of the asked kind that could stand as the answer, by normalised text:
    not a possessive ("Russia's Vostochny cosmodrome" names the cosmodrome), not a relative
    date while an absolute one is there, and for "which ministers" only beside the noun."""
    text = candidate.passage.article.text
    if (
        analysis.kind == "person"
        and analysis.noun
        and analysis.noun not in stems_of(candidate.text())
    ):
        return {}
    found = [e for e in candidate.asked_entities(analysis) if not POSSESSIVE.match(text, e[2])]
    absolute = [e for e in found if e[0] not in TIME_LABELS or ABSOLUTE.search(text[e[1] : e[2]])]
    chosen: dict[str, tuple[int, int]] = {}
    for _, start, end in absolute or found:
        start, end = entity_text(text, start, end)
        if start < end and not POSSESSIVE_END.search(text[start:end]):
            chosen.setdefault(" ".join(text[start:end].lower().split()), (start, end))
    # "Daniel Reyes ... Reyes": a name again in short is the same one.
    return {
        name: span
        for name, span in chosen.items()
        if not any(name != other and f" {name}" in f" {other}" for other in chosen)
    }


def cite(answer: Answer, candidate: Candidate) -> Citation:
    """Cites a candidate's span as the answer's next marker."""
    citation = Citation.of_span(
        len(answer.citations) + 1,
        candidate.passage,
        candidate.start,
        candidate.end,
        candidate.probability,
    )
    answer.citations.append(citation)
    return citation


def shorten_title(title: str, words: int = 8) -> str:
    """A headline as a name for its report: its first few words."""
    parts = title.split()
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")


def span_of(candidate: Candidate) -> tuple[str, int, int]:
    return candidate.doc_id, candidate.start, candidate.end


def same_words(text: str, other: str) -> bool:
    """Whether two spans say the same words (case, spacing and punctuation aside)."""
    return WORDS.findall(text.lower()) == WORDS.findall(other.lower())


def as_quote(text: str) -> str:
    """The quoted span in quotation marks, on one line; an ellipsis where it starts or ends
    inside a sentence, so a reader can tell a cut quote from a whole one."""
    text = re.sub(r"\s*\n\s*", " ", text).strip()
    opens = re.match(r"[\"“‘'(\[]*[A-Z0-9]", text) is not None
    # A closing quotation mark with no opening one: the span starts inside someone's words.
    inside_quote = text.count("”") > text.count("“")
    closes = re.search(r"[.!?…][\"”’')\]]*$", text) is not None
    start = "" if opens and not inside_quote else "…"
    end = "" if closes else "…"
    # Quotation marks inside the quote become single ones, as in print.
    text = text.replace("“", "‘").replace("”", "’")
    return f"“{start}{text}{end}”"


def join_words(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def note_dates(answer: Answer, claims: list[Claim], analysis: QuestionAnalysis) -> None:
    """Adds the note on dates (dating_note) over the citations that bear on the claim the answer
    leads with: its own (the same words in other reports) and those of other sentences that
    bear on it (bears_on). A later report about something else is no reason to doubt the lead."""
    if not claims:
        return
    lead = claims[0].candidates[0]
    cited = [c for claim in claims for c in claim.candidates]
    bearing = [
        citation
        for candidate, citation in zip(cited, answer.citations, strict=True)
        if any(candidate is c for c in claims[0].candidates) or bears_on(lead, candidate, analysis)
    ]
    newer = dating_note(bearing)
    if newer:
        answer.answer += "\n\n" + newer


def bears_on(lead: Candidate, other: Candidate, analysis: QuestionAnalysis) -> bool:
    """Whether another report's sentence bears on the claim the lead sentence makes: it writes
    as names every name and number of the question that the lead writes ("Time" the magazine,
    not "a good time"; "Person of the Year", not "the person responsible"), and the answer model
    rates it a voice on the asked thing, as qa.versions counts voices (at least VOICE_SHARE of
    the lead's probability). "Who was named Time's 2023 Person of the Year?" once noted a later
    Game Awards deals post that shared "time", "2023", "person" and "year" with it. Outlets
    the question names say whose report, not what it is about: they are not asked for."""
    outlets = {s for outlet in analysis.outlets for s in stems_of(outlet.name)}
    names = {t.stem for t in analysis.terms if t.is_entity} - outlets
    named = names & written_names(lead.text())
    return (
        named <= written_names(other.text()) and other.probability >= VOICE_SHARE * lead.probability
    )


def written_names(text: str) -> set[str]:
    """The stems of the words a text writes as names or numbers: capitalised, or a number."""
    return {stem(word) for word in WORDS.findall(text) if word[0].isupper() or word[0].isdigit()}


def dating_note(citations: Sequence[Citation]) -> str | None:
    """Says that a later report is cited when the quote the answer leads with is from an older
    one: the reader should weigh the newer report. When the lead is the newest, dates change
    nothing and the source cards show them."""
    dated: dict[str, list[Citation]] = {}
    for citation in citations:
        if citation.published and not citation.published.startswith("--"):
            dated.setdefault(citation.published[:10], []).append(citation)
    if len(dated) < 2:
        return None
    newest = max(dated)
    lead = citations[0].published if citations else None
    if not lead or lead.startswith("--") or lead[:10] == newest:
        return None
    oldest = lead[:10]

    def label(day: str) -> str:
        cited = dated[day]
        outlets = ", ".join(sorted({c.source or c.doc_id for c in cited}))
        markers = "".join(f"[{c.n}]" for c in cited)
        return f"{markers} ({outlets}, {describe_date(day)})"

    return f"{DATES_NOTE} {label(newest)} is a later report than {label(oldest)}."
