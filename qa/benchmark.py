"""MultiHop-RAG retrieval benchmark (Tang & Yang 2024), scored exactly as the authors score it.

Null queries are skipped. A retrieved passage counts when a gold evidence `fact`, with spaces and
newlines removed, is a substring of the passage text with spaces and newlines removed; Hits@4,
Hits@10, MAP@10 and MRR@10 follow the authors' retrieval_evaluate.py. We add "fact coverage":
the share of each query's gold facts found anywhere in its top 10 (what a multi-hop answer needs).
"""

from __future__ import annotations

import json
import statistics
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from index.embed import token_counter
from index.settings import Settings
from qa.pipeline import Pipeline

# The paper's Table 5 (arXiv:2401.15391v1): MRR@10, MAP@10, Hits@10, Hits@4, without / with
# the bge-reranker-large reranker.
PAPER_TABLE5 = [
    ("text-embedding-ada-002", 0.4203, 0.3431, 0.6381, 0.504, 0.5477, 0.4625, 0.7059, 0.6169),
    ("text-search-ada-query-001", 0.4203, 0.3431, 0.6399, 0.5031, 0.5483, 0.4625, 0.7064, 0.6174),
    ("llm-embedder", 0.2558, 0.1725, 0.4499, 0.3189, 0.425, 0.3059, 0.5478, 0.4756),
    ("bge-large-en-v1.5", 0.4298, 0.3423, 0.6718, 0.5221, 0.563, 0.4759, 0.7183, 0.6364),
    ("jina-embeddings-v2-base-en", 0.0621, 0.031, 0.1479, 0.0802, 0.1412, 0.0772, 0.1909, 0.1639),
    ("intfloat/e5-base-v2", 0.1843, 0.1161, 0.3556, 0.2334, 0.3237, 0.2165, 0.4176, 0.3716),
    ("voyage-02", 0.3934, 0.3143, 0.6506, 0.4619, 0.586, 0.4795, 0.7467, 0.6625),
    ("hkunlp/instructor-large", 0.3458, 0.265, 0.5717, 0.4229, 0.5115, 0.4118, 0.659, 0.5775),
]
METRICS = ("Hits@4", "Hits@10", "MAP@10", "MRR@10")


def squash(text: str) -> str:
    """The authors' normalisation: spaces and newlines removed, nothing else."""
    return text.replace(" ", "").replace("\n", "")


def score_query(retrieved: list[str], facts: list[str]) -> dict[str, float]:
    """One query's metrics, following the authors' calculate_metrics line by line."""
    gold = [squash(f) for f in facts]
    passages = [squash(p) for p in retrieved[:10]]
    found: list[str] = []
    precision_sum = 0.0
    first = None
    hits4 = False
    for rank, passage in enumerate(passages, start=1):
        if any(g in passage for g in gold):
            first = first or rank
            hits4 = hits4 or rank <= 4
            new = [g for g in gold if g in passage and g not in found]
            found.extend(new)
            precision_sum += len(new) / rank
    covered = sum(any(g in p for p in passages) for g in gold)
    return {
        "Hits@4": float(hits4),
        "Hits@10": float(first is not None),
        "MAP@10": precision_sum / min(len(gold), 10),
        "MRR@10": 1.0 / first if first else 0.0,
        "fact_coverage": covered / len(gold),
    }


def average(rows: list[dict[str, float]]) -> dict[str, float]:
    keys = [*METRICS, "fact_coverage"]
    return {k: round(statistics.fmean(r[k] for r in rows), 4) for k in keys} if rows else {}


def token_lengths(texts: list[str], model: str) -> list[int]:
    """Passage lengths in the embedding model's word pieces, as the model reads them (with
    [CLS]/[SEP]): the paper's limit is 256."""
    count = token_counter(model, with_special_tokens=True)
    return [count(text) for text in texts]


def run_multihop(
    settings: Settings, data: Path, out: Path, limit: int | None = None, progress: Any = None
) -> dict[str, Any]:
    from index.build import IndexBuilder

    started = time.perf_counter()
    report = IndexBuilder(settings).run([data / "corpus.json"], progress=progress)
    index_seconds = time.perf_counter() - started
    pipeline = Pipeline.load(settings)
    queries = json.loads((data / "MultiHopRAG.json").read_text(encoding="utf-8"))
    if limit is not None:
        queries = queries[:limit]  # like the authors' --limit: the first N records, then skip nulls
    queries = [q for q in queries if q["question_type"] != "null_query"]

    out.mkdir(parents=True, exist_ok=True)
    per_type: dict[str, list[dict[str, float]]] = defaultdict(list)
    rows = []
    latencies = []
    with open(out / "retrieval.jsonl", "w", encoding="utf-8") as handle:
        for query in queries:
            began = time.perf_counter()
            passages = pipeline.search(query["query"], top_k=10)
            latencies.append((time.perf_counter() - began) * 1000)
            retrieved = [p.chunk.text for p in passages]
            handle.write(
                json.dumps(
                    {
                        "query": query["query"],
                        "question_type": query["question_type"],
                        "retrieved": retrieved,
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
            scored = score_query(retrieved, [e["fact"] for e in query["evidence_list"]])
            rows.append(scored)
            per_type[query["question_type"]].append(scored)

    lengths = token_lengths(
        [c.text for c in pipeline.index.chunks], pipeline.index.manifest.embed_model
    )
    summary: dict[str, Any] = {
        **average(rows),
        "queries": len(rows),
        "per_type": {
            kind: {**average(r), "queries": len(r)} for kind, r in sorted(per_type.items())
        },
        "retrieval": settings.retrieval.model_dump(),
        "chunk_size_chars": pipeline.index.manifest.chunk_size,
        "chunk_overlap_chars": pipeline.index.manifest.chunk_overlap,
        "chunks": len(pipeline.index.chunks),
        "passage_tokens_max": max(lengths),
        "passage_tokens_mean": round(statistics.fmean(lengths), 1),
        "passages_over_256_tokens": sum(n > 256 for n in lengths),
        "index_seconds": round(index_seconds, 1),
        "chunks_embedded": report.chunks_embedded,
        "search_ms_p50": round(statistics.median(latencies), 2),
        "seconds_total": round(time.perf_counter() - started, 1),
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    (out / "report.md").write_text(report_markdown(summary), encoding="utf-8")
    return summary


def report_markdown(summary: dict[str, Any]) -> str:
    ours = (
        f"| **newsqa** (MiniLM-L6 + BM25, fused; {summary['chunks']} passages, "
        f"≤{summary['passage_tokens_max']} tokens) | "
        + " | ".join(f"**{summary[m]:.4f}**" for m in ("MRR@10", "MAP@10", "Hits@10", "Hits@4"))
        + " | – | – | – | – |"
    )
    table = [
        "| Embedding | MRR@10 | MAP@10 | Hits@10 | Hits@4 | MRR@10 (+rerank) | MAP@10 (+rerank) "
        "| Hits@10 (+rerank) | Hits@4 (+rerank) |",
        "|---|---|---|---|---|---|---|---|---|",
        ours,
        *[
            f"| {row[0]} | " + " | ".join(f"{v:.4f}" for v in row[1:]) + " |"
            for row in PAPER_TABLE5
        ],
    ]
    types = [
        "| question type | queries | Hits@4 | Hits@10 | MAP@10 | MRR@10 | fact coverage |",
        "|---|---|---|---|---|---|---|",
        *[
            f"| {kind} | {v['queries']} | "
            + " | ".join(f"{v[m]:.4f}" for m in (*METRICS, "fact_coverage"))
            + " |"
            for kind, v in summary["per_type"].items()
        ],
    ]
    return "\n".join(
        [
            "# MultiHop-RAG retrieval",
            "",
            f"{summary['queries']} non-null queries; top 10 passages each; the authors' metric "
            "(a passage counts when a gold fact, spaces and newlines removed, is inside it). "
            "Paper rows: Tang & Yang 2024, arXiv:2401.15391, Table 5 (ODC-BY data).",
            "",
            *table,
            "",
            f"Fact coverage (share of each query's gold facts in its top 10): "
            f"{summary['fact_coverage']:.4f}.",
            "",
            *types,
            "",
            f"Passages: {summary['chunks']}, at most {summary['passage_tokens_max']} word pieces "
            f"(mean {summary['passage_tokens_mean']}; {summary['passages_over_256_tokens']} over 256). "
            f"Search p50 {summary['search_ms_p50']} ms.",
            "",
        ]
    )
