"""How each cost grows with the archive: indexes of about 1,000, 10,000 and 100,000 articles.

    .venv/bin/python -m bench.scale [--sizes 1000,10000,100000] [--out bench/out/scale]
                                    [--work bench/out/scale-work] [--seed 0]
    .venv/bin/python -m bench.scale --milvus 10000,100000 [--milvus-limit-s 3600]
    .venv/bin/python -m bench.scale --kill-at 10000 [--kills 6]

Each size is MultiHop-RAG's 609 articles as they are, plus distractor articles recombined from
the real text of the other shared corpora (SQuAD 2.0 dev and SelQA: Wikipedia paragraphs under
their article's title). A distractor is a few passages of one title, drawn by a seeded generator,
with a new id (its address), outlet and date. A passage is one whole chunk, as the product cuts
that title's text, of more than half the chunk size: the chunker cuts a distractor back into
exactly its passages. The headline stays the title's own, because every chunk is embedded with
its headline in front: a new headline would make each of its vectors new.

The fill (`newsqa index` of every title's passages) runs each passage and section through the
models once; each size's build starts from a copy of that model cache, so it measures everything
but the models (the cache hits are reported). MultiHop-RAG's own articles come through the same
cache, filled by the 609-article build that is the first row.

Per size: build seconds and articles/s, cache hits, peak RSS of the build, index bytes (total and
per article, the cache left out), cold `newsqa ask` (median of 3), warm ask p50/p95 and search p50
over 100 MultiHop-RAG test-half questions, MultiHop-RAG Hits@10 and MRR@10 over all its test-half
questions (its 609 articles inside the bigger index), and `newsqa serve`'s peak RSS after 20
questions. Writes OUT/scale.json, OUT/scale.md and OUT/scale.png (each figure against the number
of articles, log-log, with its fitted growth exponent).

`--milvus SIZES` takes the indexes a run left in WORK into a Milvus Lite file each (`newsqa
migrate`, nothing embedded again: timed as the build, with its peak RSS, stopped at the limit)
and measures them as above twice: Milvus Lite in the process that asks, and `milvus-lite server`
serving the same file on loopback (its own peak RSS beside the app's). Writes OUT/milvus.json.
`--kill-at SIZE` kills `newsqa index` (SIGKILL) while it adds 500 articles to that index.

The shared corpora hold 4,157 such passages (489 titles), so at 100,000 articles each is in
dozens of distractors: the index holds many equal vectors, which a real archive would not.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.speed import pct, serving
from index.cache import FILE, FOLDER

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "benchmarks"
MULTIHOP = SHARED / "multihop_rag"
SQUAD = SHARED / "squad2_dev" / "dev-v2.0.json"
SELQA = [SHARED / "selqa" / "selqa-ass-dev.json", SHARED / "selqa" / "selqa-ass-test.json"]
NEWSQA = [sys.executable, "-m", "ui.cli"]
BENCH = [sys.executable, "-m", "bench.scale"]
OUTLETS = [
    "The Harbour Wire", "Northern Ledger", "Daily Meridian", "The Civic Post", "Valley Courier",
    "Metro Dispatch", "The Evening Record", "Coastal Times", "The Inland Herald", "Capital Report",
]  # fmt: skip
RECORDS_PER_FILE = 2000
COLD_RUNS = 3
MILVUS_START_S = 1800
WARM_QUESTIONS = 100


def source_documents() -> dict[str, list[str]]:
    """Title -> its paragraphs (SQuAD contexts, SelQA sections), each once, in file order."""
    titles: dict[str, list[str]] = defaultdict(list)
    for article in json.loads(SQUAD.read_text(encoding="utf-8"))["data"]:
        title = article["title"].replace("_", " ")
        titles[title].extend(p["context"] for p in article["paragraphs"])
    for path in SELQA:
        for record in json.loads(path.read_text(encoding="utf-8")):
            titles[record["article"]].append(" ".join(record["candidates"]))
    return {title: list(dict.fromkeys(texts)) for title, texts in titles.items()}


def passage_pool() -> dict[str, list[str]]:
    """Title -> passages the chunker leaves whole: chunks of more than half the chunk size."""
    from index.chunk import chunk_article
    from index.documents import Article
    from index.embed import token_counter
    from index.settings import Settings

    recipe = Settings().index
    count = token_counter(recipe.embed_model)
    pool: dict[str, list[str]] = {}
    for title, paragraphs in sorted(source_documents().items()):
        passages = []
        for number, text in enumerate(paragraphs):
            article = Article(doc_id=f"{title}-{number}", text=text, path="", title=title)
            for chunk in chunk_article(article, recipe.chunk_size, recipe.chunk_overlap, count):
                if count(chunk.text) > recipe.chunk_size // 2:
                    passages.append(chunk.text)
        passages = list(dict.fromkeys(passages))
        if len(passages) >= 2:
            pool[title] = passages
    return pool


def distractors(pool: dict[str, list[str]], count: int, seed: int) -> list[dict[str, str]]:
    """`count` articles of 2 to 8 passages of one title, in the title's order; the same seed
    gives the same articles, and a smaller count the first of a larger one's."""
    rng = random.Random(seed)
    titles = sorted(pool)
    first_day = dt.date(2021, 1, 1)
    records = []
    for number in range(count):
        title = rng.choice(titles)
        passages = pool[title]
        chosen = sorted(rng.sample(range(len(passages)), rng.randint(2, min(8, len(passages)))))
        day = first_day + dt.timedelta(days=rng.randrange(3 * 365))
        records.append(
            {
                "title": title,
                "body": "\n\n".join(passages[i] for i in chosen),
                "source": rng.choice(OUTLETS),
                "published_at": day.isoformat(),
                "url": f"https://scale.example/{seed}/{number}",
            }
        )
    return records


def write_records(folder: Path, records: list[dict[str, str]]) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for offset in range(0, len(records), RECORDS_PER_FILE):
        part = records[offset : offset + RECORDS_PER_FILE]
        (folder / f"part-{offset // RECORDS_PER_FILE:05d}.json").write_text(
            json.dumps(part, ensure_ascii=False), encoding="utf-8"
        )


class TookTooLong(Exception):
    """A measured command stopped at its time limit."""

    def __init__(self, seconds: float, peak_mb: float) -> None:
        super().__init__(f"stopped after {seconds:.0f} s (peak RSS {peak_mb:.0f} MB)")
        self.seconds = seconds
        self.peak_mb = peak_mb


def run_measured(
    command: list[str], env: dict[str, str] | None = None, limit_s: float | None = None
) -> tuple[float, float, str]:
    """(seconds, peak RSS MB, stdout) of a command. The peak is read from /proc while it runs
    (VmHWM): ru_maxrss would carry the parent's high-water mark across fork. Its output goes to
    files, which never fill up and stall it as an unread pipe would. Past `limit_s` it is
    killed and TookTooLong raised."""
    began = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(
            command, cwd=ROOT, stdout=out, stderr=err, text=True, env={**os.environ, **(env or {})}
        )
        status = Path(f"/proc/{process.pid}/status")
        peak = 0.0
        while process.poll() is None:
            try:
                line = next(x for x in status.read_text().splitlines() if x.startswith("VmHWM"))
                peak = max(peak, int(line.split()[1]) / 1024)
            except (OSError, StopIteration):
                pass
            if limit_s is not None and time.perf_counter() - began > limit_s:
                process.kill()
                process.wait()
                raise TookTooLong(time.perf_counter() - began, peak)
            time.sleep(0.2)
        out.seek(0)
        err.seek(0)
        if process.returncode:
            raise RuntimeError(f"{' '.join(command[2:])} failed: {err.read()[-2000:]}")
        return time.perf_counter() - began, peak, out.read()


def index_bytes(index_dir: Path) -> int:
    version = (index_dir / "CURRENT").read_text(encoding="utf-8").strip()
    folder = index_dir / "versions" / version
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def test_half_questions() -> list[dict[str, Any]]:
    from bench.answer_data import multihop_split

    records = json.loads((MULTIHOP / "MultiHopRAG.json").read_text(encoding="utf-8"))
    return [
        r
        for r in records
        if r["question_type"] != "null_query" and multihop_split(r["query"]) == "test"
    ]


def answering(index_dir: Path) -> dict[str, Any]:
    """Warm ask and search timings, and MultiHop-RAG's retrieval figures, in this process."""
    from index.settings import Settings
    from qa.benchmark import average, score_query
    from qa.pipeline import Pipeline

    # Every question answered afresh: a repeated one would come from the answer cache.
    pipeline = Pipeline.load(Settings(index_dir=index_dir, answer={"cached_answers": 0}))
    questions = test_half_questions()
    for record in questions[:5]:
        pipeline.ask(record["query"])  # warm-up
    search_ms, scores = [], []
    for record in questions:
        began = time.perf_counter()
        passages = pipeline.search(record["query"], top_k=10)
        search_ms.append((time.perf_counter() - began) * 1000)
        facts = [e["fact"] for e in record["evidence_list"]]
        scores.append(score_query([p.chunk.text for p in passages], facts))
    ask_ms = []
    for record in questions[:WARM_QUESTIONS]:
        began = time.perf_counter()
        pipeline.ask(record["query"])
        ask_ms.append((time.perf_counter() - began) * 1000)
    figures = average(scores)
    return {
        "questions": len(questions),
        "hits_at_10": round(figures["Hits@10"], 4),
        "mrr_at_10": round(figures["MRR@10"], 4),
        "search_ms_p50": round(statistics.median(search_ms), 1),
        "ask_ms_p50": round(statistics.median(ask_ms), 1),
        "ask_ms_p95": round(pct(ask_ms, 95), 1),
    }


def cold_ask(index_dir: Path, env: dict[str, str] | None = None, runs: int = COLD_RUNS) -> float:
    question = test_half_questions()[0]["query"]
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(
            [*NEWSQA, "ask", question, "--index-dir", str(index_dir)],
            cwd=ROOT, capture_output=True, check=True, env={**os.environ, **(env or {})},
        )  # fmt: skip
        times.append(time.perf_counter() - began)
    return round(statistics.median(times), 2)


def fill(work: Path, pool: dict[str, list[str]]) -> dict[str, Any]:
    """MultiHop-RAG's 609 articles, then every title's passages, through the models once. An
    earlier fill in `work` is kept: indexing what it already holds takes no model time."""
    index_dir = work / "fill"
    multihop_s, _, multihop_out = run_measured(
        [*NEWSQA, "index", str(MULTIHOP / "corpus.json"), "--index-dir", str(index_dir)]
    )
    records = [
        {"title": title, "body": "\n\n".join(passages), "url": f"https://pool.example/{n}"}
        for n, (title, passages) in enumerate(sorted(pool.items()))
    ]
    write_records(work / "pool", records)
    pool_s, _, out = run_measured(
        [*NEWSQA, "index", str(work / "pool"), "--index-dir", str(index_dir)]
    )
    return {
        "multihop_s": round(multihop_s, 1),
        "multihop_output": multihop_out.strip(),
        "pool_titles": len(pool),
        "pool_passages": sum(map(len, pool.values())),
        "pool_s": round(pool_s, 1),
        "pool_output": out.strip(),
    }


def one_size(work: Path, size: int, pool: dict[str, list[str]], seed: int) -> dict[str, Any]:
    corpus = work / f"corpus-{size}"
    extra = max(0, size - 609)
    write_records(corpus, distractors(pool, extra, seed))
    shutil.copy(MULTIHOP / "corpus.json", corpus / "multihop.json")
    index_dir = work / f"index-{size}"
    shutil.rmtree(index_dir, ignore_errors=True)
    (index_dir / FOLDER).mkdir(parents=True)
    shutil.copy(work / "fill" / FOLDER / FILE, index_dir / FOLDER / FILE)
    build_s, build_rss, out = run_measured(
        [*NEWSQA, "index", str(corpus), "--index-dir", str(index_dir)]
    )
    articles = 609 + extra
    total = index_bytes(index_dir)
    row: dict[str, Any] = {
        "articles": articles,
        "build_s": round(build_s, 1),
        "build_articles_per_s": round(articles / build_s, 1),
        "build_peak_rss_mb": round(build_rss),
        "build_output": out.strip(),
        "index_bytes": total,
        "index_bytes_per_article": round(total / articles),
        "cold_ask_s": cold_ask(index_dir),
        **answering(index_dir),
        "serve_peak_rss_mb": float(serving(index_dir)["peak_rss_mb"]),
    }
    print(json.dumps({k: v for k, v in row.items() if k != "build_output"}), flush=True)
    return row


def growth(rows: list[dict[str, Any]], figure: str) -> float | None:
    """The exponent b of figure ~ articles^b, fitted on log-log (None with fewer than 2 sizes)."""
    import numpy as np

    points = [(r["articles"], r[figure]) for r in rows if r.get(figure)]
    if len(points) < 2:
        return None
    sizes, values = np.log([p[0] for p in points]), np.log([p[1] for p in points])
    return round(float(np.polyfit(sizes, values, 1)[0]), 2)


FIGURES = [
    "build_s", "build_peak_rss_mb", "index_bytes", "index_bytes_per_article", "cold_ask_s",
    "ask_ms_p50", "ask_ms_p95", "search_ms_p50", "serve_peak_rss_mb",
]  # fmt: skip


def plot(path: Path, rows: list[dict[str, Any]], exponents: dict[str, float | None]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(3, 3, figsize=(12, 10))
    sizes = [r["articles"] for r in rows]
    for axis, name in zip(axes.flat, FIGURES, strict=True):
        axis.loglog(sizes, [r[name] for r in rows], marker="o")
        axis.set_title(f"{name} (exponent {exponents[name]})", fontsize=9)
        axis.set_xlabel("articles", fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def report(rows: list[dict[str, Any]], exponents: dict[str, float | None]) -> str:
    lines = [
        "| articles | build s | build RSS MB | index MB | KB/article | cold ask s | ask p50/p95 ms "
        "| search p50 ms | Hits@10 | MRR@10 | serve RSS MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['articles']:,} | {r['build_s']} | {r['build_peak_rss_mb']} | "
            f"{r['index_bytes'] / 2**20:.1f} | {r['index_bytes_per_article'] / 1024:.1f} | "
            f"{r['cold_ask_s']} | {r['ask_ms_p50']} / {r['ask_ms_p95']} | {r['search_ms_p50']} | "
            f"{r['hits_at_10']} | {r['mrr_at_10']} | {r['serve_peak_rss_mb']} |"
        )
    lines.append("")
    lines.append(
        "Growth exponents (figure ~ articles^b): "
        + ", ".join(f"{name} {value}" for name, value in exponents.items())
    )
    return "\n".join(lines) + "\n"


def answering_in_child(index_dir: Path, uri: str) -> dict[str, Any]:
    """`answering` in a process of its own, on the store at `uri`: Milvus Lite lets one
    process open a file."""
    result = subprocess.run(
        [*BENCH, "--answering-of", str(index_dir)],
        capture_output=True, text=True, cwd=ROOT, check=True,
        env={**os.environ, "NEWSQA_STORE__URI": uri},
    )  # fmt: skip
    row: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return row


def on_milvus(work: Path, size: int, limit_s: float) -> dict[str, Any]:
    """The `size`-article index a run of this bench left in `work`, copied into a Milvus Lite
    file by `newsqa migrate` (the copy timed as the build, its peak RSS measured), then
    measured as the local index is: with Milvus Lite in the app's process, then with
    `milvus-lite server` serving the same file on loopback (the engine in its own process, as a
    Milvus server would be; its peak RSS is given beside the app's)."""
    from bench.milvus import lite_server
    from bench.speed import process_peak_rss_mb

    index_dir = work / f"index-{size}"
    lite = work / f"milvus-{size}.db"
    shutil.rmtree(lite, ignore_errors=True)
    lite.unlink(missing_ok=True)
    version = (index_dir / "CURRENT").read_text(encoding="utf-8").strip()
    manifest = index_dir / "versions" / version / "manifest.json"
    articles = int(json.loads(manifest.read_text(encoding="utf-8"))["n_articles"])
    row: dict[str, Any] = {"articles": articles, "limit_s": limit_s}
    try:
        copy_s, copy_rss, out = run_measured(
            [*NEWSQA, "migrate", "--to", str(lite), "--index-dir", str(index_dir)],
            limit_s=limit_s,
        )
    except TookTooLong as stopped:
        row.update(
            copied=False,
            copy_stopped_s=round(stopped.seconds),
            copy_peak_rss_mb=round(stopped.peak_mb),
        )
        print(json.dumps(row), flush=True)
        return row
    row.update(
        copied=True, copy_s=round(copy_s, 1), copy_articles_per_s=round(articles / copy_s, 1),
        copy_peak_rss_mb=round(copy_rss), copy_output=out.strip(),
        store_bytes=sum(p.stat().st_size for p in [lite, *lite.rglob("*")] if p.is_file()),
    )  # fmt: skip
    # One cold ask, not three, and a long start-up allowed: Milvus Lite reads every collection
    # into the process at start (16 s at 609 articles).
    uri = str(lite)
    row["lite"] = {
        "cold_ask_s": cold_ask(index_dir, {"NEWSQA_STORE__URI": uri}, runs=1),
        **answering_in_child(index_dir, uri),
        "serve_peak_rss_mb": float(
            serving(index_dir, {"NEWSQA_STORE__URI": uri}, MILVUS_START_S)["peak_rss_mb"]
        ),
    }
    print(json.dumps(row), flush=True)
    with lite_server(uri) as (server_uri, pid):
        row["lite_server"] = {
            "cold_ask_s": cold_ask(index_dir, {"NEWSQA_STORE__URI": server_uri}, runs=1),
            **answering_in_child(index_dir, server_uri),
            "serve_peak_rss_mb": float(
                serving(index_dir, {"NEWSQA_STORE__URI": server_uri}, MILVUS_START_S)["peak_rss_mb"]
            ),
            "server_peak_rss_mb": process_peak_rss_mb(pid),
        }
    print(json.dumps(row), flush=True)
    return row


def kill_during_builds(work: Path, size: int, kills: int, seed: int) -> dict[str, Any]:
    """`newsqa index` killed (SIGKILL) at seeded moments while it adds 500 articles to the
    `size`-article index that a run of this bench left in `work`; after each kill the index
    must open, hold the articles it held before (or all of them, if the build had finished)
    and answer. Then a build that is not killed must finish on what the killed ones left."""
    from index.settings import Settings
    from index.store import LocalStore
    from qa.pipeline import Pipeline

    index_dir = work / f"index-{size}"
    before = len(LocalStore(index_dir).load().articles)
    corpus = work / f"corpus-{size}-more"
    shutil.rmtree(corpus, ignore_errors=True)
    shutil.copytree(work / f"corpus-{size}", corpus)
    write_records(corpus / "more", distractors(passage_pool(), 500, seed + 1))
    # How long the build runs uninterrupted, timed on a copy of the index.
    rehearsal = work / f"index-{size}-rehearsal"
    shutil.rmtree(rehearsal, ignore_errors=True)
    shutil.copytree(index_dir, rehearsal)
    full_s, _, _ = run_measured([*NEWSQA, "index", str(corpus), "--index-dir", str(rehearsal)])
    shutil.rmtree(rehearsal)
    command = [*NEWSQA, "index", str(corpus), "--index-dir", str(index_dir)]
    rng = random.Random(seed)
    outcomes = []
    for number in range(kills):
        began = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)  # fmt: skip
        wait = rng.uniform(0.1, 0.9) * full_s
        while process.poll() is None and time.perf_counter() - began < wait:
            time.sleep(0.05)
        finished = process.poll() is not None
        if not finished:
            process.kill()
        process.wait()
        stored = LocalStore(index_dir).load()
        answer = Pipeline.load(Settings(index_dir=index_dir)).ask(
            test_half_questions()[number]["query"]
        )
        outcomes.append({
            "killed_after_s": round(time.perf_counter() - began, 1),
            "finished_first": finished, "articles": len(stored.articles),
            "answered": bool(answer.answer),
        })  # fmt: skip
        print(json.dumps(outcomes[-1]), flush=True)
        if finished:
            break  # the 500 are in: nothing left to interrupt
    build_s, _, out = run_measured(command)
    after = len(LocalStore(index_dir).load().articles)
    whole = all(o["answered"] and o["articles"] in (before, after) for o in outcomes)
    return {
        "size": size, "articles_before": before, "articles_after": after,
        "uninterrupted_build_s": round(full_s, 1),
        "kills": outcomes, "final_build_s": round(build_s, 1), "final_output": out.strip(),
        "every_kill_left_a_whole_index": whole,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "scale")
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / "out" / "scale-work")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--kill-at", type=int, help="instead: kill -9 builds into this size's index (see above)"
    )
    parser.add_argument("--kills", type=int, default=6)
    parser.add_argument(
        "--milvus", help="instead: these sizes' indexes (left in WORK by a run) on Milvus Lite"
    )
    parser.add_argument(
        "--milvus-limit-s", type=float, default=3600, help="the longest a copy into Milvus may take"
    )
    parser.add_argument("--answering-of", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.answering_of:
        print(json.dumps(answering(args.answering_of)))
        return
    if args.milvus:
        args.out.mkdir(parents=True, exist_ok=True)
        rows = [
            on_milvus(args.work, int(size), args.milvus_limit_s) for size in args.milvus.split(",")
        ]
        (args.out / "milvus.json").write_text(json.dumps(rows, indent=1), encoding="utf-8")
        return
    if args.kill_at:
        killed = kill_during_builds(args.work, args.kill_at, args.kills, args.seed)
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / f"kill-{args.kill_at}.json").write_text(json.dumps(killed, indent=1))
        print(json.dumps({k: v for k, v in killed.items() if k != "final_output"}))
        return
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    args.work.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    pool = passage_pool()
    filled = fill(args.work, pool)
    print(json.dumps(filled), flush=True)
    rows = [one_size(args.work, 609, pool, args.seed)]
    rows += [one_size(args.work, size, pool, args.seed) for size in sizes if size > 609]
    exponents = {name: growth(rows, name) for name in FIGURES}
    summary = {"fill": filled, "sizes": rows, "growth_exponents": exponents, "seed": args.seed}
    (args.out / "scale.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    (args.out / "scale.md").write_text(report(rows, exponents), encoding="utf-8")
    plot(args.out / "scale.png", rows, exponents)
    print(report(rows, exponents))


if __name__ == "__main__":
    main()
