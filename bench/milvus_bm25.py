"""BM25 in Milvus two ways, on MultiHop-RAG's chunks: Milvus's own BM25 function against the
sparse vectors newsqa computes (what index.milvus_store stores). BM25 alone, no dense ranking,
no scopes: Hits@10 and MRR@10 with the authors' metric, and time per query.

    .venv/bin/python -m bench.milvus_bm25 [--local-index .newsqa-multihop] [--out bench/out/milvus]

Milvus Lite 3.2's analyzer has the `standard` tokenizer and a `lowercase` filter but ignores a
`stemmer` filter (a Milvus server applies it); newsqa's vectors use bm25s's Snowball stems and
stop words. Writes OUT/bm25.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.speed import DATA, ROOT
from qa.benchmark import average, score_query


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--local-index", type=Path, default=ROOT / ".newsqa-multihop")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "milvus")
    args = parser.parse_args()

    from pymilvus import DataType, Function, FunctionType, MilvusClient

    from index.milvus_store import stem_dimension, term_weights
    from index.search import idf
    from index.settings import Settings
    from index.store import LocalStore
    from index.stored import bm25_text, bm25_tokenize

    stored = LocalStore(args.local_index, Settings().retrieval).load()
    texts = [bm25_text(stored.articles[c.doc_id], c) for c in stored.chunks]
    tokens = bm25_tokenize(texts)
    average_length = sum(len(t) for t in tokens) / len(tokens)
    frequencies: dict[str, int] = {}
    for chunk_tokens in tokens:
        for stem in set(chunk_tokens):
            frequencies[stem] = frequencies.get(stem, 0) + 1
    queries = [
        q
        for q in json.loads((DATA / "MultiHopRAG.json").read_text())
        if q["question_type"] != "null_query"
    ]
    result: dict[str, Any] = {"chunks": len(texts), "queries": len(queries)}
    with tempfile.TemporaryDirectory(prefix="newsqa-bm25-") as work:
        client = MilvusClient(str(Path(work) / "bm25.db"))
        schema = client.create_schema(auto_id=False)
        schema.add_field("pk", DataType.INT64, is_primary=True)
        schema.add_field(
            "text", DataType.VARCHAR, max_length=65_535, enable_analyzer=True,
            analyzer_params={"tokenizer": "standard", "filter": ["lowercase", {"type": "stemmer", "language": "english"}]},
        )  # fmt: skip
        schema.add_field("server_bm25", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_field("newsqa_bm25", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_function(Function(
            name="bm25", function_type=FunctionType.BM25,
            input_field_names=["text"], output_field_names=["server_bm25"],
        ))  # fmt: skip
        params = client.prepare_index_params()
        params.add_index("server_bm25", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
        params.add_index("newsqa_bm25", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
        client.create_collection("chunks", schema=schema, index_params=params)
        rows = [
            {"pk": i, "text": text, "newsqa_bm25": term_weights(t, average_length) or {0: 0.0}}
            for i, (text, t) in enumerate(zip(texts, tokens, strict=True))
        ]
        for start in range(0, len(rows), 2000):
            client.insert("chunks", rows[start : start + 2000])
        client.flush("chunks")
        client.load_collection("chunks")

        def run(field: str, query_of: Any, metric: str) -> dict[str, Any]:
            scored, times = [], []
            for query in queries:
                began = time.perf_counter()
                hits = client.search(
                    "chunks", data=[query_of(query["query"])], anns_field=field, limit=10,
                    output_fields=["pk"], search_params={"metric_type": metric},
                )[0]  # fmt: skip
                times.append((time.perf_counter() - began) * 1000)
                retrieved = [stored.chunks[hit["pk"]].text for hit in hits]
                scored.append(score_query(retrieved, [e["fact"] for e in query["evidence_list"]]))
            return {**average(scored), "query_ms_p50": round(statistics.median(times), 1)}

        def newsqa_query(text: str) -> dict[int, float]:
            weights: dict[int, float] = {}
            for stem in bm25_tokenize([text])[0]:
                if frequencies.get(stem):
                    dimension = stem_dimension(stem)
                    weights[dimension] = weights.get(dimension, 0.0) + idf(
                        frequencies[stem], len(texts)
                    )
            return weights or {0: 0.0}

        result["milvus_bm25_function"] = run("server_bm25", lambda text: text, "BM25")
        print(json.dumps(result), flush=True)
        result["newsqa_sparse_vectors"] = run("newsqa_bm25", newsqa_query, "IP")
        print(json.dumps(result), flush=True)
        client.close()
    scored = []
    for query in queries:
        query_tokens = [t for t in bm25_tokenize([query["query"]])[0] if t in frequencies]
        scores = stored.search.bm25_scores(query_tokens, 10, None, None)
        best = [int(i) for i in (-scores).argsort()[:10] if scores[i] > 0]
        scored.append(
            score_query(
                [stored.chunks[i].text for i in best], [e["fact"] for e in query["evidence_list"]]
            )
        )
    result["local_bm25s"] = average(scored)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bm25.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
