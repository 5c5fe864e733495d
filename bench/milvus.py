"""The Milvus backend against the local one, on MultiHop-RAG (not a test: timings vary).

    .venv/bin/python -m bench.milvus [--lite ./mh.db] [--local-index .newsqa-multihop]
                                     [--ingest-articles 300] [--out bench/out/milvus]

- retrieval: Hits@10 and MRR@10 of `newsqa bench multihop` on each backend, read from
  bench/out/multihop/summary.json (local) and bench/out/multihop-milvus/summary.json (made by
  `NEWSQA_STORE__URI=./mh.db newsqa bench multihop --out bench/out/multihop-milvus`);
- queries: warm search and ask p50/p95 over 200 MultiHop-RAG queries (bench.speed.queries), each
  backend in a process of its own (Milvus Lite lets one process open a file);
- serving: peak RSS of `newsqa serve` after 20 questions, on each backend;
- ingest: the first N corpus articles into one `milvus-lite server`, by one `newsqa index`, then
  by two at once (each half), in chunks/s.
Writes OUT/milvus.json and OUT/milvus.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.speed import DATA, NEWSQA, ROOT, process_peak_rss_mb, save, serving

BUDGET_RETRIEVAL = 0.01
BUDGET_ASK_RATIO = 2.0


def retrieval() -> dict[str, Any]:
    rows: dict[str, Any] = {}
    for backend, folder in (("local", "multihop"), ("milvus lite", "multihop-milvus")):
        summary = ROOT / "bench" / "out" / folder / "summary.json"
        if summary.exists():
            found = json.loads(summary.read_text())
            rows[backend] = {
                k: found[k] for k in ("Hits@4", "Hits@10", "MAP@10", "MRR@10", "queries")
            }
    if len(rows) == 2:
        rows["difference"] = {
            k: round(rows["milvus lite"][k] - rows["local"][k], 4) for k in ("Hits@10", "MRR@10")
        }
        rows["within_budget"] = all(abs(v) <= BUDGET_RETRIEVAL for v in rows["difference"].values())
    return rows


def queries_in_child(index_dir: Path, uri: str) -> dict[str, Any]:
    env = {**os.environ, "NEWSQA_STORE__URI": uri}
    result = subprocess.run(
        [sys.executable, "-m", "bench.milvus", "--queries-of", str(index_dir)],
        capture_output=True, text=True, cwd=ROOT, env=env, check=True,
    )  # fmt: skip
    row: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return row


@contextlib.contextmanager
def lite_server(data: str) -> Iterator[tuple[str, int]]:
    """`milvus-lite server` on a Milvus Lite file, on loopback: (its URI, its process id)."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "milvus_lite", "server", "--data-dir", data,
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        time.sleep(3)  # the server's start-up
        yield f"http://127.0.0.1:{port}", server.pid
    finally:
        server.terminate()
        server.wait(30)


def serving_from_server(index_dir: Path, lite: str) -> dict[str, Any]:
    """The app against `milvus-lite server` on the same data: the engine runs in its own
    process, as a Milvus server would, and each process's peak RSS is reported."""
    with lite_server(lite) as (uri, pid):
        app = serving(index_dir, {"NEWSQA_STORE__URI": uri})
        return {**app, "server_peak_rss_mb": process_peak_rss_mb(pid)}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ingest(articles: int, work: Path) -> dict[str, Any]:
    """chunks/s of one writer, then of two at once, into a fresh `milvus-lite server` each."""
    corpus = json.loads((DATA / "corpus.json").read_text())[:articles]
    halves = [work / "first.json", work / "second.json"]
    halves[0].write_text(json.dumps(corpus[: len(corpus) // 2]))
    halves[1].write_text(json.dumps(corpus[len(corpus) // 2 :]))
    whole = work / "all.json"
    whole.write_text(json.dumps(corpus))
    result: dict[str, Any] = {"articles": len(corpus)}
    for label, parts in (("one_writer", [whole]), ("two_writers", halves)):
        with lite_server(str(work / label)) as (uri, _):
            env = {**os.environ, "NEWSQA_STORE__URI": uri}
            began = time.perf_counter()
            writers = [
                subprocess.Popen(
                    [*NEWSQA, "index", str(part), "--index-dir", str(work / f"cache-{label}-{n}")],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                for n, part in enumerate(parts)
            ]
            outputs = [writer.communicate() for writer in writers]
            seconds = time.perf_counter() - began
            if any(writer.returncode for writer in writers):
                raise RuntimeError(f"newsqa index failed: {outputs}")
            info = subprocess.run(
                [*NEWSQA, "info", "--json", "--index-dir", str(work / "cache-info")],
                capture_output=True, text=True, cwd=ROOT, env=env, check=True,
            )  # fmt: skip
            described = json.loads(info.stdout)
            result[label] = {
                "writers": len(parts),
                "wall_s": round(seconds, 1),
                "articles": described["articles"],
                "chunks": described["chunks"],
                "chunks_per_s": round(described["chunks"] / seconds, 1),
            }
    result["speed_up"] = round(
        result["two_writers"]["chunks_per_s"] / result["one_writer"]["chunks_per_s"], 2
    )
    return result


def markdown(result: dict[str, Any]) -> str:
    lines = ["# newsqa on Milvus Lite against the local index", "",
             f"CPUs: {result['cpu_count']}", "", "| measure | local | Milvus Lite |", "|---|---|---|"]  # fmt: skip
    r = result.get("retrieval", {})
    if "difference" in r:
        for metric in ("Hits@10", "MRR@10"):
            lines.append(
                f"| MultiHop-RAG {metric} ({r['local']['queries']} queries) | {r['local'][metric]} "
                f"| {r['milvus lite'][metric]} ({r['difference'][metric]:+}) |"
            )
    q = result.get("queries")
    if q:
        for name in ("search_ms", "ask_ms"):
            lines.append(
                f"| warm {name[:-3]} p50 / p95, ms | {q['local'][name]['p50']} / "
                f"{q['local'][name]['p95']} | {q['milvus lite'][name]['p50']} / "
                f"{q['milvus lite'][name]['p95']} |"
            )
        lines.append(f"| ask p50 ratio (budget ≤ {BUDGET_ASK_RATIO}) | 1 | {q['ask_p50_ratio']} |")
    s = result.get("serving")
    if s:
        lines.append(
            f"| `newsqa serve` peak RSS after 20 questions | {s['local']['peak_rss_mb']} MB | "
            f"{s['milvus lite']['peak_rss_mb']} MB in-process; with `milvus-lite server`: app "
            f"{s['milvus lite server']['peak_rss_mb']} MB + server "
            f"{s['milvus lite server']['server_peak_rss_mb']} MB |"
        )
    i = result.get("ingest")
    if i:
        lines += [
            "",
            f"Ingest into one `milvus-lite server`, {i['articles']} MultiHop-RAG articles: one "
            f"writer {i['one_writer']['chunks_per_s']} chunks/s ({i['one_writer']['wall_s']} s); two "
            f"writers at once {i['two_writers']['chunks_per_s']} chunks/s "
            f"({i['two_writers']['wall_s']} s), ×{i['speed_up']}.",
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lite", default="./mh.db", help="the Milvus Lite file of MultiHop-RAG")
    parser.add_argument("--local-index", type=Path, default=ROOT / ".newsqa-multihop")
    parser.add_argument(
        "--ingest-articles", type=int, default=300, help="0: skip ingest (keep the last one)"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "milvus")
    parser.add_argument("--queries-of", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.queries_of:
        from bench.speed import queries

        print(json.dumps(queries(args.queries_of)))
        return
    result: dict[str, Any] = {"cpu_count": os.cpu_count(), "retrieval": retrieval()}
    print(json.dumps(result["retrieval"]), flush=True)
    local = queries_in_child(args.local_index, "")
    lite = queries_in_child(args.local_index, args.lite)
    result["queries"] = {
        "local": local,
        "milvus lite": lite,
        "ask_p50_ratio": round(lite["ask_ms"]["p50"] / local["ask_ms"]["p50"], 2),
    }
    print(json.dumps(result["queries"]), flush=True)
    result["serving"] = {
        "local": serving(args.local_index, {"NEWSQA_STORE__URI": ""}),
        "milvus lite": serving(args.local_index, {"NEWSQA_STORE__URI": args.lite}),
        "milvus lite server": serving_from_server(args.local_index, args.lite),
    }
    print(json.dumps(result["serving"]), flush=True)
    if args.ingest_articles:
        with tempfile.TemporaryDirectory(prefix="newsqa-milvus-") as work:
            result["ingest"] = ingest(args.ingest_articles, Path(work))
    elif (args.out / "milvus.json").exists():
        earlier = json.loads((args.out / "milvus.json").read_text()).get("ingest")
        if earlier:
            result["ingest"] = {**earlier, "from_an_earlier_run": True}
    save(args.out, "milvus", result, markdown(result))


if __name__ == "__main__":
    main()
