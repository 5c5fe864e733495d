"""How often answers show reports that disagree, where they do and where they don't (issue 22).

    .venv/bin/python -m bench.versions [--split test|train] [--skip-multihop]

- RGB (the even half in ../shared; test: ids ≡ 2 mod 4, train: ≡ 0 mod 4), as the issue asks:
  each question's true passages under one outlet, the same passages with the answer replaced
  by a false one (`positive_wrong`) under another, its unrelated ones under a third. Found: the
  answer shows the gold and the false value as versions of a disagreement. Then with only the
  true and unrelated passages: a disagreement shown at all is a false one. And how many
  version markers cite a quote that doesn't hold the version's value (a broken promise).
- The seed questions (a dev set) and MultiHop-RAG's half of the same name (test or train): how
  often versions are shown, each listed for checking by hand.
Writes bench/out/versions.json and prints the summary.
"""

from __future__ import annotations

import argparse
import json
import statistics
from typing import Any

from bench.answer_data import (
    CONFLICT_OUTLETS,
    MULTIHOP_INDEX,
    OUT,
    RGB_DIR,
    ROOT,
    multihop_questions,
    rgb_answer_groups,
    rgb_corpus,
    rgb_records,
    rgb_split,
)
from index.build import IndexBuilder
from index.settings import Settings
from qa.pipeline import Pipeline
from qa.questions import load_questions
from qa.results import Answer


def names_value(value: str, alternatives: list[str]) -> bool:
    """Whether a version's value is one of the alternatives (either holds the other)."""
    value = value.casefold()
    return any(a.casefold() in value or value in a.casefold() for a in alternatives if a)


def shown(answer: Answer) -> list[dict[str, Any]]:
    scores = {c.n: c.score for c in answer.citations}
    return [] if answer.versions is None else [
        {"value": v.value, "citations": v.citations, "outlets": v.outlets,
         "best_probability": round(max(scores[n] for n in v.citations), 3)}
        for v in answer.versions.values
    ]  # fmt: skip


def markers_not_stating(answer: Answer) -> int:
    """Version markers whose quote doesn't hold the version's value as written."""
    if answer.versions is None:
        return 0
    return sum(
        v.value not in answer.citations[n - 1].text
        for v in answer.versions.values
        for n in v.citations
    )


def rgb_figures(split: str) -> dict[str, Any]:
    records = [r for r in rgb_records() if rgb_split(int(r["id"])) == split]
    figures: dict[str, Any] = {"questions": len(records)}
    for with_wrong in (True, False):
        name = "rgb-conflict" if with_wrong else "rgb-true"
        corpus = RGB_DIR / f"{name}.jsonl"
        roles = (
            ("positive", "positive_wrong", "negative") if with_wrong else ("positive", "negative")
        )
        rgb_corpus(corpus, roles, CONFLICT_OUTLETS)
        settings = Settings(index_dir=RGB_DIR / f"{name}-index")
        IndexBuilder(settings).run([corpus])
        pipeline = Pipeline.load(settings)
        rows, broken = [], 0
        for record in records:
            answer = pipeline.ask(record["query"])
            broken += markers_not_stating(answer)
            gold = [a for group in rgb_answer_groups(record["answer"]) for a in group]
            fake = [str(record["fakeanswer"])]
            versions = answer.versions
            disagreement = versions is not None and versions.kind == "disagreement"
            values = [v.value for v in versions.values] if versions else []
            rows.append({
                "id": record["id"], "question": record["query"], "gold": gold[0],
                "fake": fake[0], "versions": shown(answer),
                "kind": versions.kind if versions else None,
                "both": disagreement and any(names_value(v, gold) for v in values)
                and any(names_value(v, fake) for v in values),
            })  # fmt: skip
        if with_wrong:
            figures["conflict_both_shown"] = sum(r["both"] for r in rows)
            figures["conflict_any_versions"] = sum(bool(r["versions"]) for r in rows)
        else:
            figures["true_only_disagreement_shown"] = sum(r["kind"] == "disagreement" for r in rows)
        figures[f"{name}_markers_not_stating_value"] = broken
        figures[f"{name}_rows"] = rows
    return figures


def seed_figures() -> dict[str, Any]:
    settings = Settings(index_dir=OUT / "seed-index")
    IndexBuilder(settings).run([ROOT / "seeds"])
    pipeline = Pipeline.load(settings)
    questions = load_questions(ROOT / "bench" / "seed_questions.jsonl")
    answers = [pipeline.ask(q.question) for q in questions]
    listed = [
        {"question": a.question, "kind": a.versions.kind, "versions": shown(a)}
        for a in answers
        if a.versions is not None
    ]
    return {"questions": len(answers), "versions_shown": len(listed), "listed": listed}


def multihop_figures(split: str) -> dict[str, Any]:
    settings = Settings(index_dir=MULTIHOP_INDEX)
    pipeline = Pipeline.load(settings)
    questions = [q for q in multihop_questions() if q.split == split]
    listed, times = [], []
    for question in questions:
        answer = pipeline.ask(question.question)
        times.append(answer.timings_ms.get("total", 0.0))
        if answer.versions is not None:
            listed.append({
                "question": question.question, "gold": question.answers,
                "kind": answer.versions.kind, "versions": shown(answer),
            })  # fmt: skip
    return {
        "questions": len(questions),
        "versions_shown": len(listed),
        "ask_p50_ms": round(statistics.median(times), 1),
        "listed": listed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # train: the halves the rules were tuned on (RGB ids ≡ 0 mod 4, MultiHop-RAG's train half).
    parser.add_argument("--split", choices=["test", "train"], default="test")
    parser.add_argument("--skip-multihop", action="store_true")
    arguments = parser.parse_args()
    result: dict[str, Any] = {
        f"rgb_{arguments.split}": rgb_figures(arguments.split),
        "seeds": seed_figures(),
    }
    if not arguments.skip_multihop:
        result[f"multihop_{arguments.split}"] = multihop_figures(arguments.split)
    OUT.mkdir(parents=True, exist_ok=True)
    name = "versions.json" if arguments.split == "test" else "versions-train.json"
    (OUT / name).write_text(json.dumps(result, indent=1, ensure_ascii=False))
    summary = {
        part: {k: v for k, v in figures.items() if not isinstance(v, list)}
        for part, figures in result.items()
    }
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
