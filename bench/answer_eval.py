"""Answer quality of the landed answer model on data it was not trained or calibrated on.

    .venv/bin/python -m bench.answer_eval [--skip-multihop]

Every question goes through the app's own pipeline (Pipeline.ask), as a user's would:
- MultiHop-RAG test half (bench.answer_data split): for inference queries, whether the answer
  contains the gold answer (the authors' QA rule is looser: any shared word); for all non-null
  queries, whether a quoted span is a gold evidence sentence; precision and recall of declining
  on null queries.
- RGB test questions (ids ≡ 2 mod 4 of the even half): the gold answer found in the answer with
  every passage indexed; declined with only the unrelated passages indexed.
- The seed questions (bench/seed_questions.jsonl), a dev set: the `newsqa eval` summary.
Writes bench/out/answer_eval/summary.json and prints it.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.answer_data import (
    OUT,
    ROOT,
    BenchQuestion,
    contains_answer,
    gold_check,
    holds_part,
    question_sets,
    supports,
)
from index.build import IndexBuilder
from index.settings import Settings
from qa.evaluate import run_eval
from qa.pipeline import Pipeline
from qa.questions import load_questions
from qa.results import Answer

RESULTS = OUT / "answer_eval"
CHECK_LINES = ("Compared: ", "No report from ")


def pipeline_for(index_dir: Path, corpus: list[Path]) -> Pipeline:
    settings = Settings(index_dir=index_dir)
    IndexBuilder(settings).run(corpus)
    return Pipeline.load(settings)


def ask_all(
    pipeline: Pipeline, questions: list[BenchQuestion], name: str
) -> list[tuple[BenchQuestion, Answer]]:
    started = time.perf_counter()
    answered = [(q, pipeline.ask(q.question)) for q in questions]
    rows = [
        {
            "id": q.id,
            "question": q.question,
            "kind": q.kind,
            "gold": q.answers,
            "answer": a.answer,
            "abstained": a.abstained,
            "partial": a.partial,
            "short_answer": a.short_answer.shown if a.short_answer else None,
            "yes_no": a.yes_no,
            "yes_no_probability": a.yes_no_probability,
            "compared": a.compared,
            "short_answer_probability": a.short_answer.probability if a.short_answer else None,
            "stated_by": len(a.short_answer.stated_by) if a.short_answer else 0,
            "evidence": a.evidence,
            "cited": [(c.doc_id, c.start, c.end) for c in a.citations],
        }
        for q, a in answered
    ]
    RESULTS.mkdir(parents=True, exist_ok=True)
    with open(RESULTS / f"{name}.jsonl", "w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    print(f"{name}: {len(questions)} questions in {time.perf_counter() - started:.0f} s")
    return answered


def share(items: list[Any], test: Callable[[Any], bool]) -> float:
    return round(sum(map(test, items)) / len(items), 4) if items else 0.0


def answer_text(answer: Answer) -> str:
    return "" if answer.abstained else answer.answer


def first_shown(answer: Answer) -> str:
    """What a reader sees first: the verdict of a check ("Yes" or "No"), else the bold answer,
    else the first paragraph (the versions line, or the first quote; after a check's line of
    what it compared, which names outlets and dates, not an answer); nothing for a decline.
    "Not answered yes or no" is not scored: it would share "yes" and "no" with every check."""
    if answer.abstained:
        return ""
    if answer.yes_no:
        return answer.yes_no.capitalize()
    if answer.short_answer is not None:
        return answer.short_answer.shown
    parts = answer.answer.split("\n\n")
    if answer.asks_yes_no and parts[0].startswith(CHECK_LINES) and len(parts) > 1:
        return parts[1]
    return parts[0]


def generation_right(question: BenchQuestion, answer: Answer, strict: bool) -> bool:
    """The paper's generation rule on what is seen first (a null query is right declined);
    `strict`: the gold answer contained, and a check's verdict equal to its gold."""
    if not question.answerable:
        return answer.abstained
    check = gold_check(question)
    if strict and check is not None:
        return answer.yes_no == check
    shown = first_shown(answer)
    return (
        contains_answer(shown, question.answers) if strict else shares_word(shown, question.answers)
    )


def shares_word(text: str, groups: list[list[str]]) -> bool:
    """The MultiHop-RAG paper's generation rule: the text and the gold answer share a word."""
    words = set(re.findall(r"\w+", text.lower()))
    return any(words & set(re.findall(r"\w+", a.lower())) for g in groups for a in g)


def quotes_evidence(question: BenchQuestion, answer: Answer) -> bool:
    return not answer.abstained and any(
        supports(question, c.doc_id, c.text) for c in answer.citations
    )


def multihop_figures(split: str = "test") -> dict[str, Any]:
    settings, questions = question_sets(("multihop",))["multihop"]
    pipeline = Pipeline.load(settings)
    test = [q for q in questions if q.split == split]
    answered = ask_all(pipeline, test, f"multihop-{split}")
    inference = [(q, a) for q, a in answered if q.kind == "inference_query"]
    non_null = [(q, a) for q, a in answered if q.answerable]
    declined = [(q, a) for q, a in answered if a.abstained]
    nulls = [(q, a) for q, a in answered if not q.answerable]
    by_kind = {
        kind: {
            "questions": len(group),
            "contains_gold_answer": share(
                group, lambda qa: contains_answer(answer_text(qa[1]), qa[0].answers)
            ),
            "quotes_gold_evidence": share(group, lambda qa: quotes_evidence(*qa)),
            "declined": share(group, lambda qa: qa[1].abstained),
        }
        for kind in ("inference_query", "comparison_query", "temporal_query")
        for group in [[(q, a) for q, a in non_null if q.kind == kind]]
    }
    return {
        "questions": len(answered),
        # What the reader sees first (issue 31's measure): the bold answer, else the first quote.
        "inference_first_shown_contains_gold": share(
            inference, lambda qa: contains_answer(first_shown(qa[1]), qa[0].answers)
        ),
        "inference_first_shown_shares_word": share(
            inference, lambda qa: shares_word(first_shown(qa[1]), qa[0].answers)
        ),
        "inference_bold_answers": sum(a.short_answer is not None for _, a in inference),
        "inference_bold_right": sum(
            a.short_answer is not None and contains_answer(a.short_answer.shown, q.answers)
            for q, a in inference
        ),
        "inference_contains_gold_answer": share(
            inference, lambda qa: contains_answer(answer_text(qa[1]), qa[0].answers)
        ),
        "non_null_quotes_gold_evidence": share(non_null, lambda qa: quotes_evidence(*qa)),
        "null_decline_precision": share(declined, lambda qa: not qa[0].answerable),
        "null_decline_recall": share(nulls, lambda qa: qa[1].abstained),
        "declines": len(declined),
        "nulls": len(nulls),
        "by_type": by_kind,
        # Checks answered yes or no (issue 32): right (undecided counts as wrong), decided, and
        # right of those decided, by type.
        "checks": {
            kind: {
                "questions": len(group),
                "right": share(group, lambda qa: qa[1].yes_no == gold_check(qa[0])),
                "decided": share(group, lambda qa: qa[1].yes_no is not None),
                "decided_right": share(decided, lambda qa: qa[1].yes_no == gold_check(qa[0]))
                if decided
                else None,
            }
            for kind in ("all", "comparison_query", "temporal_query")
            for group in [
                [
                    (q, a)
                    for q, a in answered
                    if gold_check(q) is not None and kind in {"all", q.kind}
                ]
            ]
            for decided in [[(q, a) for q, a in group if a.yes_no is not None]]
        },
        "all_first_shown_generation_rule": share(
            answered, lambda qa: generation_right(qa[0], qa[1], strict=False)
        ),
        "all_first_shown_strict": share(
            answered, lambda qa: generation_right(qa[0], qa[1], strict=True)
        ),
        "latency_ms_p50": round(
            statistics.median(a.timings_ms.get("total", 0.0) for _, a in answered), 1
        ),
    }


def rgb_figures(split: str = "test") -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for name, (settings, questions) in question_sets(("rgb-full", "rgb-negative")).items():
        pipeline = Pipeline.load(settings)
        test = [q for q in questions if q.split == split]
        answered = ask_all(pipeline, test, f"{name}-{split}")
        if name == "rgb-negative":
            figures["negative_only_declined"] = sum(a.abstained for _, a in answered)
            # Wrong: an answer none of whose quotes holds any part of the gold answer. (Some
            # "unrelated" passages do state it; quoting one of those is right.)
            figures["negative_only_wrong"] = sum(
                not a.abstained and not any(holds_part(c.text, q.answers) for c in a.citations)
                for q, a in answered
            )
        else:
            figures["full_answer_found"] = sum(
                contains_answer(answer_text(a), q.answers) for q, a in answered
            )
            figures["full_first_shown_found"] = sum(
                contains_answer(first_shown(a), q.answers) for q, a in answered
            )
            figures["full_declined"] = sum(a.abstained for _, a in answered)
            figures["full_quotes_answering_passage"] = sum(
                quotes_evidence(q, a) for q, a in answered
            )
        figures["questions"] = len(test)
    return figures


def seed_figures() -> dict[str, Any]:
    pipeline = pipeline_for(OUT / "seed-index", [ROOT / "seeds"])
    _, summary = run_eval(pipeline, load_questions(ROOT / "bench" / "seed_questions.jsonl"))
    return summary


def evaluate(rgb_split: str = "test", multihop: bool = True, split: str = "test") -> dict[str, Any]:
    """Every figure above; writes RESULTS/summary.json (summary-train.json for the train
    halves, which are for development only)."""
    summary: dict[str, Any] = {
        f"rgb_{rgb_split}": rgb_figures(rgb_split),
        "seed_dev": seed_figures(),
    }
    if multihop:
        summary[f"multihop_{split}"] = multihop_figures(split)
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "summary.json" if split == "test" and rgb_split == "test" else "summary-train.json"
    (RESULTS / name).write_text(json.dumps(summary, indent=1), encoding="utf-8")
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skip-multihop", action="store_true")
    parser.add_argument(
        "--rgb-split",
        default="test",
        choices=["test", "train"],
        help="train: the RGB questions the model was trained on, for development only",
    )
    parser.add_argument(
        "--multihop-split",
        default="test",
        choices=["test", "train"],
        help="train: the MultiHop-RAG train half, for development only",
    )
    arguments = parser.parse_args()
    summary = evaluate(arguments.rgb_split, not arguments.skip_multihop, arguments.multihop_split)
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
