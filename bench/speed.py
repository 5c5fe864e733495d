"""Measures every stage against its floor and saves the numbers (not a test: timings vary).

    .venv/bin/python -m bench.speed [--out bench/out/speed] [--index-dir DIR [--reuse]]
                                    [--scale 100000,1000000]

- ingest: a full `newsqa index` of the MultiHop-RAG corpus (chunks/s, articles/s, peak RSS),
  beside raw SentenceTransformer.encode (fp32) of a sample of the same chunk texts;
- queries: warm p50/p95 of search and of extractive ask over 200 MultiHop-RAG queries, beside
  bare query embedding + FAISS search with the same embedder;
- cold start: process start to the printed answer of `newsqa ask` on an existing index;
- serving: peak RSS of `newsqa serve` after 20 questions through its /ask API;
- scale: FAISS indexes of 100k and 1M clustered vectors (real chunk embeddings plus noise), of
  the type the product picks at that size: build time, memory, query p50/p95, recall@10.
Writes OUT/speed.json and OUT/speed.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "benchmarks" / "multihop_rag"
NEWSQA = [sys.executable, "-m", "ui.cli"]


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def peak_rss_mb(command: list[str]) -> tuple[float, float, str]:
    """Runs a command; returns (seconds, peak RSS in MB of the child, stdout)."""
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=True)
    seconds = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return seconds, rss, result.stdout


def ingest(index_dir: Path) -> dict[str, Any]:
    from bench.embed_backends import sample_texts
    from index.embed import SentenceTransformerEmbedder

    shutil.rmtree(index_dir, ignore_errors=True)
    seconds, rss, out = peak_rss_mb(
        [*NEWSQA, "index", str(DATA / "corpus.json"), "--index-dir", str(index_dir)]
    )
    stored = json.loads((next((index_dir / "versions").iterdir()) / "manifest.json").read_text())
    chunks, articles = stored["n_chunks"], stored["n_articles"]
    # The floor: sentence-transformers fp32 encode of the same texts (a 512-chunk sample).
    texts = sample_texts(512)
    model = SentenceTransformerEmbedder()
    model.embed(texts[:32])
    began = time.perf_counter()
    model.embed(texts[:512], batch_size=32)
    raw_rate = 512 / (time.perf_counter() - began)
    return {
        "articles": articles,
        "chunks": chunks,
        "wall_s": round(seconds, 1),
        "chunks_per_s": round(chunks / seconds, 1),
        "articles_per_s": round(articles / seconds, 2),
        "raw_fp32_encode_chunks_per_s": round(raw_rate, 1),
        "ratio_to_raw_encode": round(chunks / seconds / raw_rate, 2),
        "peak_rss_mb": round(rss),
        "index_dir": str(index_dir),
        "cli_output": out.strip(),
    }


def queries(index_dir: Path) -> dict[str, Any]:
    """Warm timings on the index at `index_dir`, or in Milvus when NEWSQA_STORE__URI is set."""
    from index.settings import Settings
    from qa.pipeline import Pipeline

    # Every question answered afresh: a repeated one would come from the answer cache.
    settings = Settings(index_dir=index_dir, answer={"cached_answers": 0})
    pipeline = Pipeline.load(settings)
    records = json.loads((DATA / "MultiHopRAG.json").read_text())
    questions = [r["query"] for r in records if r["question_type"] != "null_query"][:200]
    for question in questions[:10]:  # warm-up
        pipeline.ask(question)

    def timed(run: Any) -> list[float]:
        times = []
        for question in questions:
            began = time.perf_counter()
            run(question)
            times.append((time.perf_counter() - began) * 1000)
        return times

    def bare(question: str) -> None:
        vector = pipeline.embedder.embed([question])[0]
        pipeline.index.search.dense_rows(vector, 10, None, None)

    floor = timed(bare)
    search = timed(lambda q: pipeline.search(q, top_k=10))
    ask = timed(pipeline.ask)
    row = {
        "queries": len(questions),
        "chunks": len(pipeline.index.chunks),
        "embed_backend": settings.index.embed_backend,
        "bare_embed_faiss_ms": {"p50": round(pct(floor, 50), 1), "p95": round(pct(floor, 95), 1)},
        "search_ms": {"p50": round(pct(search, 50), 1), "p95": round(pct(search, 95), 1)},
        "ask_ms": {"p50": round(pct(ask, 50), 1), "p95": round(pct(ask, 95), 1)},
    }
    row["search_ratio_to_bare_p50"] = round(
        row["search_ms"]["p50"] / row["bare_embed_faiss_ms"]["p50"], 2
    )
    row["ask_ratio_to_bare_p50"] = round(
        row["ask_ms"]["p50"] / row["bare_embed_faiss_ms"]["p50"], 2
    )
    return row


def cold_start(index_dir: Path) -> dict[str, Any]:
    runs = []
    for _ in range(5):
        began = time.perf_counter()
        subprocess.run(
            [str(ROOT / ".venv" / "bin" / "newsqa"), "ask", "What gifts did Putin and Kim exchange?",
             "--index-dir", str(index_dir)],
            capture_output=True, check=True, cwd=ROOT,
        )  # fmt: skip
        runs.append(time.perf_counter() - began)
    return {"runs_s": [round(r, 2) for r in runs], "median_s": round(statistics.median(runs), 2)}


def serving(
    index_dir: Path, env: dict[str, str] | None = None, start_s: float = 180
) -> dict[str, Any]:
    from gradio_client import Client

    from tests.app_fixtures import start_app, stop_app

    app = start_app(index_dir, env=env, timeout=start_s)
    try:
        client = Client(app.url, verbose=False)
        for question in ["What gifts did Putin and Kim exchange?", "Who reported from Seoul?"] * 10:
            client.predict(question, api_name="/ask")
        return {"questions": 20, "peak_rss_mb": process_peak_rss_mb(app.process.pid)}
    finally:
        stop_app(app)


def process_peak_rss_mb(pid: int) -> int:
    """A running process's peak resident memory (VmHWM), in MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    peak = next(line for line in status.splitlines() if line.startswith("VmHWM"))
    return round(int(peak.split()[1]) / 1024)


def clustered_vectors(base: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """Real chunk embeddings as cluster centres, each copy perturbed: neighbours stay meaningful."""
    centres = base[rng.integers(0, len(base), size=count)]
    noisy = centres + rng.normal(0, 0.025, size=centres.shape).astype(np.float32)
    noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
    return noisy.astype(np.float32)


def scale(index_dir: Path, sizes: list[int]) -> list[dict[str, Any]]:
    import faiss

    from index.settings import Settings
    from index.store import LocalStore, build_dense_index

    stored = LocalStore(index_dir).load()
    base = stored.search.vectors(range(len(stored.chunks)))
    rng = np.random.default_rng(7)
    settings = Settings()
    rows = []
    for size in sizes:
        vectors = clustered_vectors(base, size, rng)
        queries = clustered_vectors(base, 200, rng)
        began = time.perf_counter()
        dense, kind = build_dense_index(vectors, settings.index.exact_search_max_chunks)
        build_s = time.perf_counter() - began
        index_mb = faiss.serialize_index(dense).nbytes / 2**20
        exact = faiss.IndexFlatIP(vectors.shape[1])
        exact.add(vectors)
        _, truth = exact.search(queries, 10)
        del exact
        with tempfile.TemporaryDirectory() as scratch:
            folder = Path(scratch)
            faiss.write_index(dense, str(folder / "dense.faiss"))
            (folder / "kind").write_text(kind)
            np.save(folder / "queries.npy", queries)
            np.save(folder / "truth.npy", truth)
            # Served in a fresh process, as `newsqa serve` would hold it: its peak RSS is what
            # the searches paged in of the memory-mapped index.
            served = subprocess.run(
                [sys.executable, "-m", "bench.speed", "--query-scaled", str(folder)],
                capture_output=True, text=True, cwd=ROOT, check=True,
            )  # fmt: skip
            measured = json.loads(served.stdout.strip().splitlines()[-1])
        rows.append({
            "vectors": size, "index_type": kind, "build_s": round(build_s, 1),
            "index_memory_mb": round(index_mb), **measured,
        })  # fmt: skip
        print(rows[-1], flush=True)
        del dense, vectors
    return rows


def query_scaled(folder: Path) -> None:
    """Loads a scaled index like the product does and times 200 queries; prints JSON."""
    from index.search import faiss_search
    from index.settings import RetrievalSettings
    from index.store import read_dense_index

    dense = read_dense_index(folder / "dense.faiss", (folder / "kind").read_text())
    queries, truth = np.load(folder / "queries.npy"), np.load(folder / "truth.npy")
    times, found = [], []
    for i, query in enumerate(queries):
        began = time.perf_counter()
        got = faiss_search(dense, query, 10, RetrievalSettings())
        times.append((time.perf_counter() - began) * 1000)
        found.append(len(set(got) & set(truth[i].tolist())) / 10)
    # VmHWM, not ru_maxrss: Linux carries the parent's high-water mark across fork and exec.
    # Split: anonymous memory is the process's own; file-backed is page cache of the mapped
    # vectors, which the kernel maps in large folios (about 2 MB per scattered row read) and
    # can drop at any time.
    peak = _status_mb("VmHWM")
    anonymous, file_backed = _status_mb("RssAnon"), _status_mb("RssFile")
    print(json.dumps({
        "serving_peak_rss_mb": round(peak),
        "rss_anonymous_mb": round(anonymous), "rss_file_backed_mb": round(file_backed),
        "query_ms_p50": round(pct(times, 50), 2), "query_ms_p95": round(pct(times, 95), 2),
        "recall_at_10": round(float(np.mean(found)), 4),
    }))  # fmt: skip


def _rss_mb() -> float:
    return _status_mb("VmRSS")


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1]) / 1024
    return 0.0


def markdown(result: dict[str, Any]) -> str:
    lines = ["# newsqa speed", "", "| stage | measured | floor / target |", "|---|---|---|"]
    if "ingest" in result:
        i = result["ingest"]
        lines.append(
            f"| ingest MultiHop-RAG ({i['articles']} articles, {i['chunks']} chunks) | "
            f"{i['chunks_per_s']} chunks/s, {i['articles_per_s']} articles/s, {i['wall_s']} s, "
            f"peak RSS {i['peak_rss_mb']} MB | raw fp32 encode {i['raw_fp32_encode_chunks_per_s']} "
            f"chunks/s: ratio {i['ratio_to_raw_encode']} (target ≥ 2) |"
        )
    q = result["queries"]
    lines += [
        f"| search, warm ({q['queries']} queries) | p50 {q['search_ms']['p50']} ms, p95 "
        f"{q['search_ms']['p95']} ms | bare embed + FAISS p50 {q['bare_embed_faiss_ms']['p50']} ms "
        f"(ratio {q['search_ratio_to_bare_p50']}) |",
        f"| extractive ask, warm | p50 {q['ask_ms']['p50']} ms, p95 {q['ask_ms']['p95']} ms "
        f"(ratio to bare p50 {q['ask_ratio_to_bare_p50']}) | target p50 ≤ 40 ms, p95 ≤ 80 ms |",
        f"| cold `newsqa ask` | median {result['cold_start']['median_s']} s | target ≤ 2 s |",
        f"| serving, peak RSS | {result['serving']['peak_rss_mb']} MB after 20 questions | |",
    ]
    for row in result.get("scale", []):
        lines.append(
            f"| {row['vectors']:,} vectors ({row['index_type']}) | build {row['build_s']} s, index "
            f"{row['index_memory_mb']} MB, served in a fresh process: peak RSS "
            f"{row['serving_peak_rss_mb']} MB ({row.get('rss_anonymous_mb')} MB anonymous, "
            f"{row.get('rss_file_backed_mb')} MB page cache of the mapped index), p50 {row['query_ms_p50']} ms, p95 "
            f"{row['query_ms_p95']} ms, recall@10 {row['recall_at_10']} | 1M: p50 ≤ 20 ms, RSS ≤ 2 GB, recall ≥ 0.95 |"
        )
    return "\n".join(lines) + "\n"


def save(out: Path, name: str, result: dict[str, Any], report: str) -> None:
    """OUT/NAME.json and OUT/NAME.md, and the report printed."""
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(result, indent=1))
    (out / f"{name}.md").write_text(report)
    print(report)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "speed")
    parser.add_argument(
        "--index-dir",
        type=Path,
        default=None,
        help="build the MultiHop-RAG index here and keep it (default: a temporary folder)",
    )
    parser.add_argument(
        "--reuse", action="store_true", help="skip ingest; time queries on the --index-dir index"
    )
    parser.add_argument("--scale", default="100000,1000000")
    parser.add_argument("--query-scaled", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.query_scaled:
        return query_scaled(args.query_scaled)
    if os.environ.get("NEWSQA_STORE__URI"):
        # Milvus Lite lets one process open a file, and this script opens the index in several.
        sys.exit(
            "bench.speed measures the local index. For Milvus, run python -m bench.milvus: it "
            "takes the same query and serving measures on both backends, one process at a time."
        )
    work = Path(tempfile.mkdtemp(prefix="newsqa-speed-"))
    result: dict[str, Any] = {"cpu_count": os.cpu_count()}
    try:
        index_dir = args.index_dir or work / "ingest"
        if not args.reuse:
            result["ingest"] = ingest(index_dir)
        elif (args.out / "speed.json").exists():
            # Keep the last measured ingest of this index, marked as such.
            earlier = json.loads((args.out / "speed.json").read_text()).get("ingest")
            if earlier and earlier.get("index_dir") == str(index_dir):
                result["ingest"] = {**earlier, "from_an_earlier_run": True}
        result["queries"] = queries(index_dir)
        print(result["queries"], flush=True)
        result["cold_start"] = cold_start(index_dir)
        result["serving"] = serving(index_dir)
        sizes = [int(s) for s in args.scale.split(",") if s]
        result["scale"] = scale(index_dir, sizes) if sizes else []
    finally:
        shutil.rmtree(work, ignore_errors=True)
    save(args.out, "speed", result, markdown(result))


if __name__ == "__main__":
    main()
