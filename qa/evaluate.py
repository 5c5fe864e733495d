"""Runs canned questions through the same pipeline the UI uses, and scores and reports them."""

from __future__ import annotations

import datetime as dt
import json
import statistics
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from qa.pipeline import Pipeline
from qa.questions import CannedQuestion, Score, score_answer
from qa.session import ChatHistory

# Metric name -> what it means, in report order. `newsqa eval --min-NAME` gates on any of them.
METRICS = {
    "accuracy": "questions fully right (answerable: an expected article cited and every fact in "
    "the answer; unanswerable: abstained)",
    "hit_at_1": "the first cited article is an expected one (answerable questions)",
    "hit_at_3": "an expected article is among the first three cited",
    "mrr": "mean reciprocal rank of the first expected article among the cited ones",
    "fact_recall": "share of fact groups found in the answer",
    "all_facts": "answers containing every fact group",
    "citation_precision": "share of citations that come from an expected article",
    "abstention_precision": "of the abstentions, the share on unanswerable questions",
    "abstention_recall": "of the unanswerable questions, the share that abstained",
    "short_answer_rate": "answered questions that start with a direct answer (a name, place, "
    "date or number)",
    "short_answer_precision": "of those direct answers, the share that match an expected fact",
}


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = int(position), min(int(position) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def run_eval(
    pipeline: Pipeline,
    questions: list[CannedQuestion],
    backend: str | None = None,
    as_of: dt.date | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Asks each question (after its earlier turns) as of its `asked_on` day, else `as_of`."""
    rows: list[dict[str, Any]] = []
    scores: list[tuple[CannedQuestion, Score]] = []
    latencies: list[float] = []
    for question in questions:
        history = ChatHistory()
        day = question.asked_on or as_of
        for turn in question.turns:
            pipeline.ask(turn, history=history, backend=backend, as_of=day)
        started = time.perf_counter()
        answer = pipeline.ask(question.question, history=history, backend=backend, as_of=day)
        latency = (time.perf_counter() - started) * 1000
        latencies.append(latency)
        score = score_answer(question, answer)
        scores.append((question, score))
        rows.append(
            {
                "id": question.id,
                "question": question.question,
                "answerable": question.answerable,
                "answer": answer.answer,
                "abstained": answer.abstained,
                "partial": answer.partial,
                "short_answer": asdict(answer.short_answer) if answer.short_answer else None,
                "versions": asdict(answer.versions) if answer.versions else None,
                # A check: its verdict ("yes", "no", None: not decided) and what it compared.
                "yes_no": answer.yes_no,
                "compared": answer.compared,
                "asked_on": day.isoformat() if day else None,
                "evidence": answer.evidence,
                "citations": [asdict(c) for c in answer.citations],
                "notices": answer.notices,
                "flags": answer.flags,
                "query": answer.query,
                "latency_ms": round(latency, 1),
                "scores": asdict(score),
            }
        )
    return rows, summarise(scores, latencies)


def summarise(scores: list[tuple[CannedQuestion, Score]], latencies: list[float]) -> dict[str, Any]:
    answerable = [s for q, s in scores if q.answerable]
    unanswerable = [s for q, s in scores if not q.answerable]
    abstained = [(q, s) for q, s in scores if s.abstained]
    precisions = [s.citation_precision for s in answerable if s.citation_precision is not None]
    answered = [s for s in answerable if not s.abstained]
    shorts = [s.short_answer_right for s in answered if s.short_answer_right is not None]

    def mean(values: list[float]) -> float:
        return round(statistics.fmean(values), 4) if values else 0.0

    return {
        "questions": len(scores),
        # Answers that showed reports disagreeing or updated (qa.versions).
        "versions_shown": sum(s.versions_shown for _, s in scores),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "accuracy": mean([float(s.correct) for _, s in scores]),
        "hit_at_1": mean([s.hit_at_1 for s in answerable]),
        "hit_at_3": mean([s.hit_at_3 for s in answerable]),
        "mrr": mean([s.reciprocal_rank for s in answerable]),
        "fact_recall": mean([s.fact_recall for s in answerable]),
        "all_facts": mean([float(s.all_facts) for s in answerable]),
        "citation_precision": mean(precisions),
        "abstention_precision": mean([float(not q.answerable) for q, _ in abstained])
        if abstained
        else 1.0,
        "abstention_recall": mean([float(s.abstained) for s in unanswerable])
        if unanswerable
        else 1.0,
        "short_answer_rate": mean([float(s.short_answer_right is not None) for s in answered]),
        "short_answer_precision": mean([float(right) for right in shorts]),
        "latency_ms_p50": round(percentile(latencies, 0.5), 1),
        "latency_ms_p95": round(percentile(latencies, 0.95), 1),
        "wrong": [q.id for q, s in scores if not s.correct],
    }


def write_report(
    out: Path, rows: list[dict[str, Any]], summary: dict[str, Any], title: str
) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "results.jsonl", "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    (out / "summary.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    lines = [
        f"# {title}",
        "",
        f"{summary['questions']} questions ({summary['answerable']} answerable, "
        f"{summary['unanswerable']} unanswerable).",
        "",
        "| metric | value | meaning |",
        "|---|---|---|",
        *[f"| {name} | {summary[name]:.3f} | {meaning} |" for name, meaning in METRICS.items()],
        f"| latency p50 | {summary['latency_ms_p50']:.0f} ms | one question, warm |",
        f"| latency p95 | {summary['latency_ms_p95']:.0f} ms | |",
        "",
        "Wrong: " + (", ".join(summary["wrong"]) or "none"),
        "",
        "![metrics and latency](report.png)",
    ]
    (out / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    plot(out / "report.png", rows, summary)


def plot(path: Path, rows: list[dict[str, Any]], summary: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    names = list(METRICS)
    values = [summary[n] for n in names]
    left.barh(names[::-1], values[::-1], color="#2563eb")
    left.set_xlim(0, 1)
    left.set_title("Metrics")
    for y, value in enumerate(values[::-1]):
        left.text(min(value + 0.01, 0.9), y, f"{value:.2f}", va="center", fontsize=8)
    right.hist([r["latency_ms"] for r in rows], bins=20, color="#f59e0b")
    right.axvline(summary["latency_ms_p50"], color="black", linestyle="--", label="p50")
    right.axvline(summary["latency_ms_p95"], color="red", linestyle=":", label="p95")
    right.set_title("Latency per question (ms)")
    right.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
