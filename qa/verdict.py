"""Yes or no, from the reports a check names: "Did The Verge report it before TechCrunch did?"

A question answered yes or no that compares reports names them, by outlet and sometimes by
day ("the TechCrunch report on October 7", "both Sporting News articles"). The verdict reader
finds each named report's best sentence among the passages found for the question (and, for an
outlet none of them is from, among that outlet's own best passages), reads the pair together
(their dates in the order the question claims, how alike they are, a negation on one side only,
what the question asks of them) and a learned verdict model (`qa/verdict_model.json`, trained by
`python -m bench.train_verdict` on MultiHop-RAG's train half only) gives the probability of
"yes". It decides only beyond the bars chosen on the train half; either way the evidence of every
named report is cited, and a named report with no evidence is said, with no verdict.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from index.metadata import describe_date
from index.stored import StoredIndex, indexed_outlets
from qa.analysis import outlet_key
from qa.answer_model import LinearModel, linear_from_json, linear_to_json, read_model_file
from qa.candidates import Candidate
from qa.extractive import as_quote, cite
from qa.results import Answer
from qa.sentences import key_terms, stems_of

MODEL_FILE = Path(__file__).with_name("verdict_model.json")

# The order a check claims between two reports, and the words that claim it.
BEFORE = re.compile(r"\b(?:before|prior to|earlier than|ahead of|preceding|preceded)\b", re.I)
AFTER = re.compile(
    r"\b(?:after|following|later than|subsequent(?:ly)?(?: to)?|later|afterwards)\b", re.I
)
NEGATION = re.compile(
    r"\b(?:not|never|no longer|without|fail(?:s|ed)? to|neither|nor|n't)\b|n['’]t\b", re.I
)
# What the check asks of the reports, read as the question words it is asked in.
ASKS = {
    "asks_consistency": re.compile(r"\bconsisten", re.I),
    "asks_inconsistency": re.compile(r"\binconsisten|\bat odds\b|\bcontradict", re.I),
    "asks_change": re.compile(r"\bchang|\bshift", re.I),
    "asks_difference": re.compile(r"\bdiffer|\bcontrast|\bunlike\b|\bwhereas\b", re.I),
    "asks_agreement": re.compile(r"\bagree|\balign|\bsame\b|\bsimilar|\bboth\b", re.I),
}
# A sentence less like what the question says of a report than this is not that report's
# evidence (unrelated): about the 3rd percentile of the sentences chosen on the train half.
LIKENESS_FLOOR = 0.12
# Fewer words than this from an outlet's name to the next one's say too little of that report
# to find its sentence by ("the Coast Ledger did?"): the whole question is searched instead.
CLAUSE_WORDS = 7
MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
DAY_IN_QUESTION = re.compile(
    rf"\b({'|'.join(MONTHS)})\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(\d{{4}}))?", re.I
)

# The features the verdict model reads, in its order.
FEATURES = (
    "reports_found",  # share of the named reports with a sentence found
    "evidence_min",  # the answer model's probability of the weakest report's sentence
    "evidence_mean",
    "pair_similarity",  # cosine of the reports' sentences (the least alike pair)
    "question_similarity",  # cosine of the question and the least like report sentence
    "claim_fit_min",  # cosine of a report's sentence and what the question says of it, least
    "claim_fit_mean",
    "asks_order",  # the question claims an order between two reports found
    "order_agrees",  # +1 their dates are in that order, -1 the other, 0 unknown
    "negated",  # the question says "not", "without", "fail to"
    "evidence_negated",  # share of the report sentences that do
    "negation_mismatch",  # one side negated, the other not
    "claim_negation_mismatch",  # a report's sentence negated where the question's claim isn't
    "claim_read_min",  # the reader: a report's sentence answers what the question says of it
    "claim_read_mean",
    *ASKS,
    "similarity_if_consistency",
    "similarity_if_inconsistency",
    "similarity_if_change",
    "similarity_if_difference",
)


@dataclass(frozen=True, slots=True)
class NamedReport:
    """A report the question names: its outlet as the index names it, and the day given."""

    outlet: str
    position: int  # where in the question it is named
    day: dt.date | None = None


@dataclass(slots=True)
class ReportEvidence:
    report: NamedReport
    candidate: Candidate | None  # its best sentence; None: nothing from it was found
    likeness: float = 0.0  # cosine of that sentence and what the question says of the report


@dataclass(slots=True)
class Verdict:
    """What the verdict reader made of a check: "yes", "no" or None (not decided)."""

    decision: str | None
    # Of "yes", by the verdict model; None when nothing was compared or the model decides
    # nothing (it has no bars: then it is not run, nor the reader for it).
    probability: float | None
    evidence: list[ReportEvidence] = field(default_factory=list)
    features: dict[str, float] = field(default_factory=dict)
    # The two reports (indices into `evidence`) whose order the question asks about.
    ordered: tuple[int, int] | None = None

    @property
    def missing(self) -> list[str]:
        """Outlets named whose report was not found, each once."""
        return list(dict.fromkeys(e.report.outlet for e in self.evidence if e.candidate is None))


@dataclass(frozen=True, slots=True)
class Bars:
    yes_above: float | None
    no_below: float | None


@dataclass(frozen=True)
class VerdictModel(LinearModel):
    # "Yes" at or above one probability, "no" at or below another: bars chosen on the train
    # half (cross-validated) so that decided verdicts were right often enough; None where no
    # bar was. (Bars of their own for checks that claim an order were tried: docs/evaluation.md.)
    bars: Bars
    card: dict[str, Any]

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> VerdictModel:
        return _load(path)

    @classmethod
    def read(cls, path: Path) -> VerdictModel:
        def fits(model: VerdictModel) -> bool:
            return model.features == FEATURES and len(model.coef) == len(FEATURES)

        return read_model_file(path, "verdict model", "bench.train_verdict", cls.from_json, fits)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> VerdictModel:
        def bar(value: Any) -> float | None:
            return None if value is None else float(value)

        return cls(
            **linear_from_json(data),
            bars=Bars(bar(data["bars"]["yes_above"]), bar(data["bars"]["no_below"])),
            card=dict(data.get("card", {})),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            **linear_to_json(self),
            "bars": {"yes_above": self.bars.yes_above, "no_below": self.bars.no_below},
            "card": self.card,
        }

    @property
    def decides(self) -> bool:
        """Whether it ever says yes or no (bars were chosen for it)."""
        return self.bars.yes_above is not None or self.bars.no_below is not None

    def probability(self, row: np.ndarray) -> float:
        return float(self._logistic(row[None, :], self.coef)[0])

    def decide(self, probability: float) -> str | None:
        bars = self.bars
        if bars.yes_above is not None and probability >= bars.yes_above:
            return "yes"
        if bars.no_below is not None and probability <= bars.no_below:
            return "no"
        return None


@lru_cache(maxsize=4)
def _load(path: Path) -> VerdictModel:
    return VerdictModel.read(path)


class VerdictReader:
    """Finds the reports a check names and decides it from their sentences."""

    def __init__(self, index: StoredIndex, model: VerdictModel | None = None) -> None:
        self.index = index
        self._model = model
        self._outlets: list[tuple[str, re.Pattern[str]]] | None = None

    @property
    def model(self) -> VerdictModel:
        if self._model is None:
            self._model = VerdictModel.load()
        return self._model

    def named_reports(self, question: str) -> list[NamedReport]:
        """The indexed outlets the question names, in its order, each with the day given after
        it (before the next one is named): "the TechCrunch report on October 7, 2023"."""
        found: list[tuple[int, int, str]] = []
        for source, pattern in self.outlet_patterns():
            for match in pattern.finditer(question):
                found.append((match.start(), match.end(), source))
        # The longest name at a place wins: "The Independent - Sports" over "The Independent".
        found.sort(key=lambda f: (f[0], -(f[1] - f[0])))
        mentions: list[tuple[int, int, str]] = []
        for start, end, source in found:
            if mentions and start < mentions[-1][1]:
                continue
            mentions.append((start, end, source))
        reports: list[NamedReport] = []
        for n, (start, end, source) in enumerate(mentions):
            until = mentions[n + 1][0] if n + 1 < len(mentions) else len(question)
            said = question[end:until]
            if len(re.findall(r"\w+", said)) < 3 and any(r.outlet == source for r in reports):
                # "… and the TechCrunch report on X, as reported by TechCrunch?": the same
                # report named again, saying nothing of its own.
                continue
            reports.append(NamedReport(source, start, day_named(said)))
        return reports

    def outlet_patterns(self) -> list[tuple[str, re.Pattern[str]]]:
        """A pattern for every indexed outlet: its whole name, or its name before a dash or bar
        ("BBC News" for "BBC News - Technology"), with or without "the"."""
        if self._outlets is None:
            sources = sorted(indexed_outlets(self.index.articles))
            patterns = []
            for source in sources:
                names = {" ".join(source.split()), outlet_key(source)}
                words = "|".join(
                    re.escape(n).replace(r"\ ", r"\s+")
                    for n in sorted(names, key=len, reverse=True)
                    if len(n) >= 3
                )
                if words:
                    pattern = re.compile(rf"(?<![\w-])(?:the\s+)?(?:{words})(?![\w-])", re.I)
                    patterns.append((source, pattern))
            self._outlets = patterns
        return self._outlets

    def clauses(self, question: str, reports: Sequence[NamedReport]) -> list[str]:
        """What the question says of each named report: its words from the outlet's name to
        the next report's ("the TechCrunch article report a workforce reduction at Epic Games,
        while"); the whole question for a report named once alone, or where its words say
        little of their own ("… before the Coast Ledger did?").
        """
        if len(reports) < 2:
            return [question for _ in reports]
        ends = [r.position for r in reports[1:]] + [len(question)]
        clauses = [question[r.position : end] for r, end in zip(reports, ends, strict=True)]
        return [c if len(re.findall(r"\w+", c)) >= CLAUSE_WORDS else question for c in clauses]

    def run(
        self,
        question: str,
        reports: Sequence[NamedReport],
        candidates: Sequence[Candidate],
        vectors: np.ndarray,
        question_vector: np.ndarray,
        clauses: Sequence[str],
        clause_vectors: np.ndarray,
        floor: float = LIKENESS_FLOOR,
        read: Callable[[Sequence[tuple[str, str]]], np.ndarray] | None = None,
    ) -> Verdict | None:
        """The verdict on `question` from `candidates` (with their sentence `vectors`), which
        hold the passages found for it and for each named outlet. Each report's sentence is the
        one of its outlet most like what the question says of it (`clauses`, from
        `self.clauses`, and their `clause_vectors`); a sentence less like it than `floor`
        is not its evidence. None when it names no report, so that there is nothing to
        compare. `read`: the reader, which reads each report's sentence as an answer to what the
        question says of it."""
        if not reports:
            return None
        likeness = clause_vectors @ vectors.T
        evidence = self.evidence(reports, candidates, likeness, clauses, floor)
        claims = [
            (clauses[min(n, len(clauses) - 1)], e.candidate.text())
            for n, e in enumerate(evidence)
            if e.candidate is not None
        ]
        # The reader's part costs about 20 ms a check: read only for a model that can decide.
        reading = read(claims) if read is not None and claims else np.zeros(0)
        row = self.features(
            question, evidence, candidates, vectors, question_vector, claims, reading
        )
        features = dict(zip(FEATURES, row.tolist(), strict=True))
        if any(e.candidate is None for e in evidence):
            # A named report that was not found: which one is said, and nothing is decided.
            return Verdict(None, None, evidence, features)
        ordered = claimed_order(question, reports[: len(evidence)])
        if not self.model.decides:
            return Verdict(None, None, evidence, features, ordered)
        probability = self.model.probability(row)
        return Verdict(self.model.decide(probability), probability, evidence, features, ordered)

    def evidence(
        self,
        reports: Sequence[NamedReport],
        candidates: Sequence[Candidate],
        likeness: np.ndarray,
        clauses: Sequence[str],
        floor: float = LIKENESS_FLOOR,
    ) -> list[ReportEvidence]:
        """Each named report's sentence: from its outlet, of the day named if any is, and from
        another article than the reports before it took (two reports of one outlet are two
        articles); the one most like what the question says of it (`likeness`: a row a report,
        a column a candidate). An outlet named once alone ("both Sporting News articles") may
        stand for two reports. A sentence is a report's evidence only if it is at least `floor`
        like its clause (`clauses`: what the question says of each report) and it or its
        headline shares one
        of the clause's words, its outlet's name and reporting words ("said", "article") aside:
        a regatta report is not an outlet's report of a recall, however alike their vectors."""
        subjects = [subject_stems(c, r.outlet) for c, r in zip(clauses, reports, strict=True)]
        wanted = list(reports)
        if len(reports) == 1:
            wanted.append(reports[0])
        taken: set[str] = set()
        chosen = []
        for n, report in enumerate(wanted):
            row = min(n, len(reports) - 1)

            def fit(i: int, row: int = row) -> float:
                return float(likeness[row, i])

            outlet = [
                i
                for i, c in enumerate(candidates)
                if c.passage.article.source == report.outlet
                and likeness[row, i] >= floor
                and bool(subjects[row] & about(c))
            ]
            pool = [i for i in outlet if candidates[i].doc_id not in taken]
            on_day = [
                i for i in pool if report.day and day_of(candidates[i].published) == report.day
            ]
            best = max(on_day or pool, key=fit, default=None)
            if best is None and n < len(reports):
                # Its outlet's articles were taken by an earlier mention: the same report may
                # be named twice ("the Fortune report … Fortune's later report").
                best = max(outlet, key=fit, default=None)
            if best is None:
                chosen.append(ReportEvidence(report, None))
            else:
                taken.add(candidates[best].doc_id)
                chosen.append(ReportEvidence(report, candidates[best], fit(best)))
        if len(wanted) > len(reports) and chosen[-1].candidate is None:
            chosen.pop()  # one article of the outlet: it is the report named
        return chosen

    def features(
        self,
        question: str,
        evidence: list[ReportEvidence],
        candidates: Sequence[Candidate],
        vectors: np.ndarray,
        question_vector: np.ndarray,
        claims: Sequence[tuple[str, str]] = (),
        reading: np.ndarray | None = None,
    ) -> np.ndarray:
        """The verdict model's features (FEATURES); `claims`: (what the question says of a
        report, its sentence) for each report found, `reading`: the reader's probability that
        each sentence answers its claim."""
        found = [e for e in evidence if e.candidate is not None]
        index_of = {id(c): i for i, c in enumerate(candidates)}
        rows = [vectors[index_of[id(e.candidate)]] for e in found]
        pair = 1.0
        if len(rows) >= 2:
            sims = np.asarray(rows) @ np.asarray(rows).T
            pair = float(sims[np.triu_indices(len(rows), 1)].min())
        asked = float(min((float(r @ question_vector) for r in rows), default=0.0))
        probabilities = [e.candidate.probability for e in found if e.candidate is not None]
        claimed = claimed_order(question, [e.report for e in found])
        agrees = 0.0
        if claimed is not None:
            first, second = claimed
            agrees = order_holds(found[first].candidate, found[second].candidate)
        negated = float(bool(NEGATION.search(question)))
        texts = [e.candidate.text() for e in found if e.candidate is not None]
        evidence_negated = (
            sum(bool(NEGATION.search(t)) for t in texts) / len(texts) if texts else 0.0
        )
        asks = {name: float(bool(p.search(question))) for name, p in ASKS.items()}
        values = {
            "reports_found": len(found) / len(evidence) if evidence else 0.0,
            "evidence_min": min(probabilities, default=0.0),
            "evidence_mean": float(np.mean(probabilities)) if probabilities else 0.0,
            "pair_similarity": pair,
            "question_similarity": asked,
            "claim_fit_min": min((e.likeness for e in found), default=0.0),
            "claim_fit_mean": float(np.mean([e.likeness for e in found])) if found else 0.0,
            "asks_order": float(claimed is not None),
            "order_agrees": agrees,
            "negated": negated,
            "evidence_negated": evidence_negated,
            "negation_mismatch": float(negated != float(evidence_negated > 0)),
            "claim_negation_mismatch": float(
                any(bool(NEGATION.search(c)) != bool(NEGATION.search(t)) for c, t in claims)
            ),
            "claim_read_min": float(reading.min()) if reading is not None and len(reading) else 0.0,
            "claim_read_mean": float(reading.mean())
            if reading is not None and len(reading)
            else 0.0,
            **asks,
            "similarity_if_consistency": pair * asks["asks_consistency"],
            "similarity_if_inconsistency": pair * asks["asks_inconsistency"],
            "similarity_if_change": pair * asks["asks_change"],
            "similarity_if_difference": pair * asks["asks_difference"],
        }
        return np.array([values[name] for name in FEATURES], dtype=np.float64)


# Words that say a report exists, not what it is about.
REPORTING = frozenset(
    stems_of(
        "report reported reporting reports article articles story stories piece coverage news "
        "say said says suggest suggested suggests mention mentioned claim claimed claims discuss "
        "discussed indicate indicated describe described publish published state stated "
        "imply implied highlight highlighted source outlet"
    )
)


def subject_stems(clause: str, outlet: str) -> frozenset[str]:
    """What a clause is about: its content words' stems, less its outlet's and reporting words."""
    return frozenset(t.stem for t in key_terms(clause)) - stems_of(outlet) - REPORTING


def about(candidate: Candidate) -> frozenset[str]:
    """The stems of a candidate sentence and of its article's headline."""
    return stems_of(candidate.text() + " " + (candidate.passage.article.title or ""))


def day_named(text: str) -> dt.date | None:
    """The first full day written in `text` ("October 7, 2023"); a day without its year is
    not read (the year would be a guess)."""
    match = DAY_IN_QUESTION.search(text)
    if match is None or match.group(3) is None:
        return None
    try:
        return dt.date(
            int(match.group(3)), MONTHS.index(match.group(1).lower()) + 1, int(match.group(2))
        )
    except ValueError:
        return None


def day_of(published: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(published[:10]) if published else None
    except ValueError:
        return None


def moment_of(published: str | None) -> dt.datetime | None:
    """A report's time as the index has it: to the minute where it was given, else its day."""
    if not published:
        return None
    try:
        moment = dt.datetime.fromisoformat(published.replace("Z", "+00:00"))
    except ValueError:
        day = day_of(published)
        return dt.datetime.combine(day, dt.time()) if day else None
    return moment.replace(tzinfo=None)


def claimed_order(question: str, reports: Sequence[NamedReport]) -> tuple[int, int] | None:
    """(earlier, later): which of two named reports the question claims came first, by where
    its order word stands. "Did A report it before B?": A, B. "After A reported it, did B …?":
    A, B. "Before A reported it, did B …?": B, A. None without two reports and one order word."""
    if len(reports) < 2:
        return None
    first, second = reports[0].position, reports[1].position
    words = [(m.start(), "before") for m in BEFORE.finditer(question)] + [
        (m.start(), "after") for m in AFTER.finditer(question)
    ]
    if not words:
        return None
    at, word = min(words)
    if first < at < second:
        # "A … before B": A earlier; "A … after B": B earlier.
        return (0, 1) if word == "before" else (1, 0)
    if at < first:
        # "Before A …, did B": B earlier; "After A …, did B": A earlier.
        return (1, 0) if word == "before" else (0, 1)
    return None


def order_holds(earlier: Candidate | None, later: Candidate | None) -> float:
    """+1 when `earlier` was published before `later`, -1 when after, 0 when unknown or the
    same moment."""
    if earlier is None or later is None:
        return 0.0
    first, second = moment_of(earlier.published), moment_of(later.published)
    if first is None or second is None or first == second:
        return 0.0
    return 1.0 if first < second else -1.0


def evidence_line(verdict: Verdict, markers: dict[int, int]) -> str:
    """Which report says what, for the verdict: "The Verge, 3 October 2023 [1]; TechCrunch,
    5 October 2023 [2]." (`markers`: a candidate's id to its citation number), or which named
    report was not found."""
    if verdict.missing:
        named = " or ".join(verdict.missing)
        return f"No report from {named} on this was found among the articles, so it is not decided."
    parts = []
    for item in verdict.evidence:
        if item.candidate is None:
            continue
        day = describe_date(item.candidate.published) if item.candidate.published else "undated"
        marker = markers.get(id(item.candidate))
        parts.append(f"{item.report.outlet}, {day}" + (f" [{marker}]" if marker else ""))
    return "Compared: " + "; ".join(parts) + "." + order_sentence(verdict)


def order_sentence(verdict: Verdict) -> str:
    """For a check about which report came first, the order their dates give: " Valley
    Tribune's came first, 3 days before Coast Ledger's." Nothing when unknown or the same."""
    if verdict.ordered is None:
        return ""
    pair = [verdict.evidence[i] for i in verdict.ordered]
    published = [e.candidate.published if e.candidate else None for e in pair]
    one, other = (moment_of(p) for p in published)
    if one is None or other is None or one == other:
        return ""
    first, second = (0, 1) if one < other else (1, 0)
    days = abs((other.date() - one.date()).days)
    names = [e.report.outlet for e in pair]
    if names[first] == names[second]:
        return f" The report of {describe_date(published[first] or '')} came first."
    gap = (
        f"on the same day as {names[second]}'s"
        if days == 0
        else (f"{days} day{'s' * (days != 1)} before {names[second]}'s")
    )
    return f" {names[first]}'s came first, {gap}."


MARKERS = re.compile(r"\[(\d+)\]")


def cite_verdict(answer: Answer, verdict: Verdict) -> None:
    """Leads `answer` with what the check compared: the line naming each report (or the one
    not found), then each report's quote, cited (a span the answer already quotes keeps its
    marker); the other quotes follow. Sets the verdict where one was decided."""
    markers: dict[int, int] = {}
    quotes: list[str] = []
    for item in verdict.evidence:
        candidate = item.candidate
        if candidate is None:
            continue
        cited = next(
            (
                q
                for q in answer.citations
                if q.doc_id == candidate.doc_id
                and q.start <= candidate.start < candidate.end <= q.end
            ),
            None,
        )
        if cited is None:
            cited = cite(answer, candidate)
        if cited.n not in markers.values():
            quotes.append(f"{as_quote(cited.text)} [{cited.n}]")
        markers[id(candidate)] = cited.n
    compared = list(dict.fromkeys(markers.values()))
    rest = [
        part
        for part in answer.answer.split("\n\n")
        if not (set(map(int, MARKERS.findall(part))) <= set(compared) and MARKERS.search(part))
    ]
    line = evidence_line(verdict, markers)
    answer.answer = "\n\n".join([line, *quotes, *rest])
    answer.compared = compared if not verdict.missing else []
    answer.yes_no = verdict.decision
    answer.yes_no_probability = (
        round(verdict.probability, 4) if verdict.probability is not None else None
    )
