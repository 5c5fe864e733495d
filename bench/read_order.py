"""MultiHop-RAG retrieval with and without the reader's passage order, on the test half too.

    .venv/bin/python -m bench.read_order

Runs `newsqa bench multihop` twice on the same index (NEWSQA_RETRIEVAL__READ_ORDER true, then
false) and scores each run's retrieval.jsonl on all 2,255 non-null queries (the authors' figure)
and on the test half (bench.answer_data's split): the reader was trained on candidates of the
train half's questions, so only the test half is a figure it was not fitted to. Then the seed
questions (the dev set: five reports of one story, every passage on topic), each order: how
often the first passage (and one of the first three) holds an expected fact, over the
single-turn answerable ones. Writes bench/out/read_order/summary.json and prints it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.answer_data import MULTIHOP, OUT, ROOT, multihop_split
from index.build import IndexBuilder
from index.settings import RetrievalSettings, Settings
from qa.benchmark import average, score_query
from qa.pipeline import Pipeline
from qa.questions import load_questions

RESULTS = OUT / "read_order"


def run(read_order: bool) -> Path:
    out = RESULTS / ("reader" if read_order else "fused")
    env = {**os.environ, "NEWSQA_RETRIEVAL__READ_ORDER": str(read_order).lower()}
    subprocess.run(
        [sys.executable, "-m", "ui.cli", "bench", "multihop", "--out", str(out)],
        cwd=ROOT, env=env, check=True,
    )  # fmt: skip
    return out / "retrieval.jsonl"


def figures(retrieval: Path) -> dict[str, Any]:
    facts = {
        r["query"]: [e["fact"] for e in r["evidence_list"]]
        for r in json.loads((MULTIHOP / "MultiHopRAG.json").read_text(encoding="utf-8"))
    }
    rows: dict[str, list[dict[str, float]]] = {"all": [], "test": [], "train": []}
    for line in retrieval.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        scored = score_query(record["retrieved"], facts[record["query"]])
        rows["all"].append(scored)
        rows[multihop_split(record["query"])].append(scored)
    return {name: {**average(r), "queries": len(r)} for name, r in rows.items()}


def seed_figures(read_order: bool) -> dict[str, Any]:
    """Over the seed questions asked alone that have an answer: the share whose first passage
    (and one of whose first three) holds an expected fact."""
    index_dir = OUT / "seed-index"
    settings = Settings(index_dir=index_dir, retrieval=RetrievalSettings(read_order=read_order))
    IndexBuilder(settings).run([ROOT / "seeds"])
    pipeline = Pipeline.load(settings)
    questions = [
        q for q in load_questions(ROOT / "bench" / "seed_questions.jsonl")
        if q.answerable and not q.turns
    ]  # fmt: skip
    first = top3 = 0
    for question in questions:
        passages = pipeline.search(question.question, top_k=8)
        holds = [
            any(re.search(p, passage.chunk.text, re.I) for group in question.facts for p in group)
            for passage in passages
        ]
        first += bool(holds[:1] and holds[0])
        top3 += any(holds[:3])
    return {"questions": len(questions), "first_holds_fact": first, "top3_holds_fact": top3}


def main() -> None:
    summary = {
        "reader_order": figures(run(read_order=True)),
        "fused_order": figures(run(read_order=False)),
        "seeds_reader_order": seed_figures(read_order=True),
        "seeds_fused_order": seed_figures(read_order=False),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "summary.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
