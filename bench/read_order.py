"""MultiHop-RAG retrieval with and without the reader's passage order, on the test half too.

    .venv/bin/python -m bench.read_order

Runs `newsqa bench multihop` twice on the same index (NEWSQA_RETRIEVAL__READ_ORDER true, then
false) and scores each run's retrieval.jsonl on all 2,255 non-null queries (the authors' figure)
and on the test half (bench.answer_data's split): the reader was trained on candidates of the
train half's questions, so only the test half is a figure it was not fitted to. Writes
bench/out/read_order/summary.json and prints it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.answer_data import MULTIHOP, OUT, ROOT, multihop_split
from qa.benchmark import average, score_query

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


def main() -> None:
    summary = {
        "reader_order": figures(run(read_order=True)),
        "fused_order": figures(run(read_order=False)),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "summary.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
