"""Trains the answer model (qa/answer_model.json) on the train halves of public data.

    .venv/bin/python -m bench.train_answerer

Data (bench.answer_data): MultiHop-RAG train queries (a candidate is positive when it quotes a
gold evidence sentence; null queries have none), RGB's train questions with every passage
indexed (positive: a sentence of an answering passage holding the gold answer) and with only
the unrelated passages indexed (no positives). (Labelling MultiHop-RAG's name answers by the
sentences that hold the name, as the reader is trained, was tried: seed accuracy fell 0.96 ->
0.85 for +0.01 on the test half's inference questions; docs/evaluation.md.) Each question runs
through the app's own retrieval and candidate finder, so the model sees exactly what it will
see in use.

The model is a logistic regression over qa.candidates.FEATURES, each weight held to the sign
FEATURE_SIGNS gives it. Each question weighs the same
within its data set, and MultiHop-RAG and RGB weigh half each, so 1,278 long multi-hop queries
don't drown 50 short factoid ones. Then, on the same train questions:
- decline_below: the probability under which to decline (choose_decline_below), chosen apart
  for questions answered yes or no (decline_below_yes_no) and for the others;
- keep_within: how close to the best a further claim must be, chosen to maximise the F1 of the
  quoted sentences against the supporting ones.
Then the test halves are asked through the app's pipeline (bench.answer_eval) and their figures
written into the model card; they choose nothing.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from bench.answer_data import BenchQuestion, question_sets, reader_trains_on, supports
from bench.answer_eval import evaluate
from qa.answer_model import MODEL_FILE, AnswerModel
from qa.candidates import FEATURE_SIGNS, FEATURES
from qa.pipeline import Pipeline

KEEP_WITHIN_GRID = (0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4)
SHARES = {"multihop": 0.5, "rgb-full": 0.25, "rgb-negative": 0.25}
RECALL_TARGET = 0.95
# Of the questions it declines, at least this share should have no answer in the articles
# (MultiHop-RAG train null queries): a decline of a question the articles answer is the
# complaint users made.
DECLINE_PRECISION = 0.65
SHORT_ANSWER_PRECISION = 0.75
MAX_CLAIMS = 4


@dataclass(slots=True)
class QuestionRows:
    """One question's candidates as the model sees them, with their labels."""

    question: BenchQuestion
    source: str  # "multihop", "rgb-full", "rgb-negative"
    rows: np.ndarray
    labels: np.ndarray
    spans: list[tuple[str, int, int]]  # doc_id, start, end of each candidate
    eligible: np.ndarray  # not ruled out (nothing of the kind asked, another year)
    # The question names something no article has, or an outlet no indexed article is from.
    declined_by_rule: bool
    yes_no: bool  # answered yes or no: its decline bar is chosen on its own

    @property
    def answerable(self) -> bool:
        return bool((self.labels & self.eligible).any())

    def best(self, model: AnswerModel) -> float:
        """The probability the answerer compares with decline_below: the best eligible one."""
        if not self.eligible.any():
            return 0.0
        return float(model.probabilities(self.rows[self.eligible]).max())


def question_rows(pipeline: Pipeline, question: BenchQuestion, source: str) -> QuestionRows:
    found = pipeline.retrieve(question.question)
    scored = pipeline.extractive.score(
        found.question, found.passages, found.query, found.query_vector
    )
    labels = np.array(
        [supports(question, c.doc_id, c.text()) for c in scored.candidates], dtype=bool
    )
    return QuestionRows(
        question=question,
        source=source,
        rows=scored.rows,
        labels=labels,
        spans=[(c.doc_id, c.start, c.end) for c in scored.candidates],
        eligible=np.array([c.ruled_out is None for c in scored.candidates], dtype=bool),
        declined_by_rule=bool(
            pipeline.extractive.unknown_names(scored.analysis)
            or pipeline.extractive.unindexed_outlets(scored.analysis)
        ),
        yes_no=scored.analysis.yes_no,
    )


def collect(split: str, reading: AnswerModel | None = None) -> list[QuestionRows]:
    """Every question's candidates as the app sees them. `reading`: the model (trained without
    the reader) whose likeliest candidates the reader reads, as in use; None: none is read."""
    collected = []
    for source, (settings, questions) in question_sets().items():
        if reading is None:
            unread = settings.answer.model_copy(update={"read_sentences": 0})
            settings = settings.model_copy(update={"answer": unread})
        pipeline = Pipeline.load(settings, answer_model=reading or AnswerModel.untrained())
        chosen = [q for q in questions if q.split == split]
        started = time.perf_counter()
        collected.extend(question_rows(pipeline, q, source) for q in chosen)
        print(f"{source}: {len(chosen)} {split} questions in {time.perf_counter() - started:.0f} s")
    return collected


def weights(collected: list[QuestionRows]) -> list[np.ndarray]:
    """Per candidate: each question weighs the same within its set, each set its SHARES."""
    counts = {s: sum(q.source == s for q in collected) for s in SHARES}
    return [
        np.full(len(q.labels), SHARES[q.source] / counts[q.source] / max(len(q.labels), 1))
        for q in collected
    ]


def fit(collected: list[QuestionRows]) -> AnswerModel:
    """Weighted logistic regression (L2, C = 1) whose weights keep the signs FEATURE_SIGNS
    gives them: L-BFGS-B with bounds."""
    from scipy.optimize import minimize
    from scipy.special import expit

    kept = [(q, w) for q, w in zip(collected, weights(collected), strict=True) if len(q.labels)]
    rows = np.vstack([q.rows for q, _ in kept]).astype(np.float64)
    labels = np.concatenate([q.labels for q, _ in kept]).astype(np.float64)
    weight = np.concatenate([w for _, w in kept])
    weight *= len(weight) / weight.sum()
    mean = rows.mean(axis=0)
    scale = rows.std(axis=0)
    scale[scale < 1e-6] = 1.0
    scaled = (rows - mean) / scale
    width = scaled.shape[1]

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        coef, intercept = theta[:width], theta[width]
        logits = scaled @ coef + intercept
        value = weight @ (np.logaddexp(0.0, logits) - labels * logits) + 0.5 * coef @ coef
        error = weight * (expit(logits) - labels)
        return float(value), np.append(scaled.T @ error + coef, error.sum())

    bounds = [
        (0.0, None) if sign > 0 else (None, 0.0) if sign < 0 else (None, None)
        for sign in FEATURE_SIGNS.values()
    ] + [(None, None)]
    result = minimize(loss, np.zeros(width + 1), jac=True, method="L-BFGS-B", bounds=bounds)
    return AnswerModel(
        features=FEATURES,
        mean=mean,
        scale=scale,
        coef=result.x[:width],
        intercept=float(result.x[width]),
        decline_below=0.5,
        keep_within=0.1,
        short_answer_above=1.0,
        card={},
    )


def choose_decline_below(
    model: AnswerModel, collected: list[QuestionRows]
) -> tuple[float, dict[str, Any]]:
    """The threshold under which the answerer declines (its best candidate that can be the
    answer is less likely), chosen on the MultiHop-RAG train questions given: the one that
    declines the most null questions while at least DECLINE_PRECISION of the questions it
    declines are null ones. Where no threshold reaches that precision, the highest under which
    at most 1 - RECALL_TARGET of the answerable ones (a gold sentence among the candidates
    that can be the answer) fall, as before. Where no question given is a null one, every
    decline would be wrong: 0 (only the rules decline: a name no article has, an outlet none
    is from, nothing that can be the answer).

    (Tried: the bar that makes the most right decisions, a null query declined or another
    answered. On the train half it is 0, the rules alone declining, and on the seed dev set
    2 of 7 unanswerable questions were then answered: accuracy 0.962 -> 0.923. Choosing the
    precision bar on the questions not asked yes or no alone raised it, 0.074 -> 0.106, and
    declined 51 instead of 30 of the test half's inference questions.)"""
    best = {id(q): q.best(model) for q in collected}
    news = [q for q in collected if q.source == "multihop"]
    nulls = [q for q in news if not q.question.answerable]
    if not nulls:
        return 0.0, {"train_null_queries": 0}
    answerable = sorted(best[id(q)] for q in news if q.answerable and not q.declined_by_rule)
    allowed = int(len(answerable) * (1 - RECALL_TARGET))
    threshold = answerable[allowed] if answerable else 0.5

    def declined(q: QuestionRows, below: float) -> bool:
        return q.declined_by_rule or best[id(q)] < below

    table = []
    for below in sorted({round(best[id(q)], 4) for q in news}):
        out = [q for q in news if declined(q, below)]
        right = sum(not q.question.answerable for q in out)
        precision = right / len(out) if out else 1.0
        table.append((below, precision, right / len(nulls) if nulls else 0.0))
    precise = [row for row in table if row[1] >= DECLINE_PRECISION and row[2] > 0]
    if precise:
        threshold = max(precise, key=lambda row: (row[2], -row[0]))[0]

    def rate(source: str, want: bool) -> float:
        group = [q for q in collected if q.source == source and q.answerable == want]
        answered = [not declined(q, threshold) for q in group]
        return round(float(np.mean(answered)), 4) if group else 0.0

    out = [q for q in news if declined(q, threshold)]
    return threshold, {
        "train_answered_with_answer_present": {s: rate(s, True) for s in ("multihop", "rgb-full")},
        "train_declined_without_answer": {
            s: round(1 - rate(s, False), 4) for s in ("multihop", "rgb-full", "rgb-negative")
        },
        "train_null_decline_precision_recall": [
            round(sum(not q.question.answerable for q in out) / len(out), 4) if out else None,
            round(sum(declined(q, threshold) for q in nulls) / len(nulls), 4) if nulls else None,
        ],
    }


def choose_keep_within(
    model: AnswerModel, collected: list[QuestionRows]
) -> tuple[float, dict[str, Any]]:
    """The margin whose quoted sentences best match the supporting ones (mean F1, train)."""

    def mean_f1(margin: float) -> float:
        f1s = []
        for q in collected:
            if not q.answerable or q.declined_by_rule:
                continue
            probabilities = np.where(q.eligible, model.probabilities(q.rows), -1.0)
            order = np.argsort(-probabilities)
            if probabilities[order[0]] < model.decline_below:
                continue
            chosen: list[int] = []
            for i in order:
                if probabilities[i] < probabilities[order[0]] - margin or len(chosen) >= MAX_CLAIMS:
                    break
                doc, start, end = q.spans[i]
                if any(
                    q.spans[j][0] == doc and q.spans[j][1] < end and start < q.spans[j][2]
                    for j in chosen
                ):
                    continue
                chosen.append(int(i))
            right = sum(bool(q.labels[i]) for i in chosen)
            precision = right / len(chosen)
            recall = min(right / int(q.labels.sum()), 1.0)
            f1s.append(2 * precision * recall / (precision + recall) if right else 0.0)
        return float(np.mean(f1s)) if f1s else 0.0

    scores = {margin: mean_f1(margin) for margin in KEEP_WITHIN_GRID}
    chosen = max(scores, key=lambda m: scores[m])
    return chosen, {"claims_f1_train": {str(k): round(v, 4) for k, v in scores.items()}}


def choose_short_answer_above(model: AnswerModel) -> tuple[float, dict[str, Any]]:
    """The lowest probability of the sentence a bold answer leads with above which train short
    answers are right at least SHORT_ANSWER_PRECISION of the time. Right: it shares a word with
    the gold answer."""
    asked: list[tuple[float, bool]] = []
    every = AnswerModel(**{**model.__dict__, "short_answer_above": 0.0})
    for source, (settings, questions) in question_sets().items():
        if source == "rgb-negative":
            continue
        pipeline = Pipeline.load(settings, answer_model=every)
        for question in questions:
            if question.split != "train" or question.kind not in {"rgb", "inference_query"}:
                continue
            if model.unread is not None and reader_trains_on(question, source):
                continue
            answer = pipeline.ask(question.question)
            if answer.short_answer is not None:
                words = set(re.findall(r"\w+", answer.short_answer.shown.lower()))
                gold = [set(re.findall(r"\w+", a.lower())) for g in question.answers for a in g]
                asked.append((answer.short_answer.probability, any(words & g for g in gold)))
    asked.sort()
    threshold = 1.0
    for position in range(len(asked)):
        above = [right for _, right in asked[position:]]
        if len(above) >= 5 and np.mean(above) >= SHORT_ANSWER_PRECISION:
            threshold = asked[position][0]
            break
    kept = [right for evidence, right in asked if evidence >= threshold]
    return threshold, {
        "short_answers_train": len(asked),
        "short_answers_right_train": round(float(np.mean([r for _, r in asked])), 4)
        if asked
        else 0.0,
        "short_answers_kept_train": len(kept),
        "short_answers_kept_right_train": round(float(np.mean(kept)), 4) if kept else 0.0,
    }


def test_card(summary: dict[str, Any]) -> dict[str, Any]:
    """The figures of bench.answer_eval that the model card keeps."""
    multihop = summary["multihop_test"]
    rgb = summary["rgb_test"]
    seeds = summary["seed_dev"]
    return {
        "multihop_inference_first_shown_contains_gold": multihop[
            "inference_first_shown_contains_gold"
        ],
        "multihop_inference_contains_gold_answer": multihop["inference_contains_gold_answer"],
        "multihop_quotes_gold_evidence": multihop["non_null_quotes_gold_evidence"],
        "multihop_null_decline_precision": multihop["null_decline_precision"],
        "multihop_null_decline_recall": multihop["null_decline_recall"],
        "rgb_answer_found": f"{rgb['full_answer_found']} of {rgb['questions']}",
        "rgb_negative_only_declined": f"{rgb['negative_only_declined']} of {rgb['questions']}",
        "rgb_negative_only_wrong": f"{rgb['negative_only_wrong']} of {rgb['questions']}",
        "seed_dev": {k: seeds[k] for k in ("accuracy", "hit_at_3", "fact_recall")},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--with-reader", action="store_true", help="weigh the reader too (a second fit; see docs)"
    )
    parser.add_argument(
        "--short-answer-only",
        action="store_true",
        help="keep the model's weights and thresholds; choose short_answer_above again (after "
        "the rule that picks the bold answer changed)",
    )
    arguments = parser.parse_args()
    with_reader = arguments.with_reader
    started = time.perf_counter()
    if arguments.short_answer_only:
        model = AnswerModel.read(MODEL_FILE)
        short_above, short_card = choose_short_answer_above(model)
        card = {**model.card, **short_card}
        model = AnswerModel(**{**model.__dict__, "short_answer_above": short_above, "card": card})
        MODEL_FILE.write_text(json.dumps(model.to_json(), indent=1) + "\n", encoding="utf-8")
        print(json.dumps(short_card, indent=1))
        print(f"short_answer_above {short_above:.4f}; wrote {MODEL_FILE}")
        return
    collected = collect("train")
    model = fit(collected)
    if with_reader:
        # Two fits. The first, with nothing read, ranks the candidates; the reader then reads
        # that model's likeliest `read_sentences` of each question, as the app would, and the
        # second fit weighs the reader, on the questions the reader did not train on
        # (bench.answer_data.reader_trains_on: on its own questions it reads better than on
        # new ones, and a weight fitted there trusts it too much). What it gives on the test
        # halves, and why the shipped model is still the first fit: docs/evaluation.md.
        unread = model
        collected = [
            q
            for q in collect("train", AnswerModel(**{**unread.__dict__, "unread": unread}))
            if not reader_trains_on(q.question, q.source)
        ]
        model = AnswerModel(**{**fit(collected).__dict__, "unread": unread})
    # Two bars. One on every train question, as before; one for questions answered yes or no
    # ("Did The Verge report it before TechCrunch?"), which are answered by quoting the reports
    # that bear on them: their best sentence rarely states "before" as one answers "who", and
    # one bar for both declined 84 comparison and 34 temporal questions of the train half
    # (bench.answer_eval --multihop-split train, at adec5a2), while none of its 149 null
    # queries is asked yes or no.
    decline_below, decline_card = choose_decline_below(model, collected)
    yes_no_below, yes_no_card = choose_decline_below(model, [q for q in collected if q.yes_no])
    decline_card |= {f"yes_no_{key}": value for key, value in yes_no_card.items()}
    model = AnswerModel(
        **{**model.__dict__, "decline_below": decline_below, "decline_below_yes_no": yes_no_below}
    )
    keep_within, keep_card = choose_keep_within(model, collected)
    model = AnswerModel(**{**model.__dict__, "keep_within": keep_within})
    short_above, short_card = choose_short_answer_above(model)
    positives = int(sum(q.labels.sum() for q in collected))
    card = {
        "trained_by": "python -m bench.train_answerer",
        "data": {
            "multihop": "MultiHop-RAG (Tang & Yang 2024, arXiv:2401.15391, ODC-BY), train half",
            "rgb": "RGB en_fact even-id half (Chen et al. 2024, arXiv:2309.01431, CC BY-NC-SA 4.0), ids divisible by 4",
        },
        "split": "MultiHop-RAG: SHA-1 of the query text, even -> train; RGB: id % 4 == 0 -> train",
        "train_questions": {
            s: sum(q.source == s for q in collected)
            for s in ("multihop", "rgb-full", "rgb-negative")
        },
        "train_candidates": int(sum(len(q.labels) for q in collected)),
        "train_positive_candidates": positives,
        **decline_card,
        **keep_card,
        **short_card,
        "weights": {name: round(float(w), 3) for name, w in zip(FEATURES, model.coef, strict=True)},
    }
    model = AnswerModel(**{**model.__dict__, "short_answer_above": short_above, "card": card})
    MODEL_FILE.write_text(json.dumps(model.to_json(), indent=1) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in card.items() if k != "data"}, indent=1))
    # The test halves, asked through the app's pipeline with the model just written: reported
    # in the card, never used to choose anything.
    card["test"] = test_card(evaluate())
    MODEL_FILE.write_text(json.dumps(model.to_json(), indent=1) + "\n", encoding="utf-8")
    print(json.dumps(card["test"], indent=1))
    print(
        f"decline_below {decline_below:.4f} (yes/no {yes_no_below:.4f}), keep_within {keep_within}, "
        f"short_answer_above {short_above:.4f}; wrote {MODEL_FILE}"
    )
    print(f"trained in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
