"""Concurrent users on the served app's `/ask` API, and where an answer's server time goes.

    .venv/bin/python -m bench.serve_load [--clients 16] [--seconds 30] [--index-dir DIR]
                                         [--out bench/out/serve]

Starts `newsqa serve` on the seeds (or DIR) on loopback, then `--clients` threads each ask the
seed dev questions in turn through Gradio's REST protocol (a POST to /gradio_api/call/ask, then
its event stream), without pause, for `--seconds`; then one client alone. Twice: as served
(a question asked again is answered from the answer cache), and with every answer computed
afresh (NEWSQA_ANSWER__CACHED_ANSWERS=0). Reports answers a second, latency p50/p95 and
errors, beside the same questions answered in-process one at a time (the answering alone):
the difference is what serving costs. The clients run in this process, on the same cores as
the server, as they would on a laptop demo; their own CPU time is reported too.
Writes OUT/serve_load.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from bench.speed import pct

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT / "bench" / "seed_questions.jsonl"


def questions() -> list[str]:
    lines = QUESTIONS.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()]


def ask_once(client: httpx.Client, url: str, question: str) -> bool:
    """One question through Gradio's REST protocol; whether an answer came back."""
    posted = client.post(f"{url}/gradio_api/call/ask", json={"data": [question]})
    posted.raise_for_status()
    event_id = posted.json()["event_id"]
    with client.stream("GET", f"{url}/gradio_api/call/ask/{event_id}") as stream:
        event = ""
        for line in stream.iter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                return event == "complete"
    return False


def load(url: str, clients: int, seconds: float, asked: list[str]) -> dict[str, Any]:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client_loop(number: int) -> None:
        with httpx.Client(timeout=60) as client:
            turn = number
            while time.monotonic() < stop:
                question = asked[turn % len(asked)]
                turn += 1
                began = time.perf_counter()
                try:
                    ok = ask_once(client, url, question)
                except httpx.HTTPError as error:
                    ok, why = False, f"{type(error).__name__}: {error}"
                else:
                    why = "" if ok else "error event"
                with lock:
                    if ok:
                        latencies.append(time.perf_counter() - began)
                    else:
                        errors.append(why)

    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    began = time.perf_counter()
    threads = [threading.Thread(target=client_loop, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    client_cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (
        cpu_after.ru_stime - cpu_before.ru_stime
    )
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "answers": len(latencies),
        "answers_per_s": round(len(latencies) / elapsed, 1),
        "latency_s_p50": round(statistics.median(latencies), 3) if latencies else None,
        "latency_s_p95": round(pct(latencies, 95), 3) if latencies else None,
        "errors": len(errors),
        "first_errors": errors[:3],
        "client_cpu_s_per_answer": round(client_cpu / max(len(latencies), 1), 4),
    }


def in_process(index_dir: Path, asked: list[str]) -> dict[str, Any]:
    from index.settings import Settings
    from qa.pipeline import Pipeline

    pipeline = Pipeline.load(Settings(index_dir=index_dir, answer={"cached_answers": 0}))
    for question in asked[:5]:
        pipeline.ask(question)  # warm-up
    times = []
    for question in asked:
        began = time.perf_counter()
        pipeline.ask(question).to_json()
        times.append((time.perf_counter() - began) * 1000)
    return {
        "ask_ms_p50": round(statistics.median(times), 1),
        "ask_ms_p95": round(pct(times, 95), 1),
    }


def main() -> None:
    from tests.app_fixtures import start_app, stop_app

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--index-dir", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "serve")
    args = parser.parse_args()
    asked = questions()
    with tempfile.TemporaryDirectory() as scratch:
        index_dir = args.index_dir or Path(scratch) / ".newsqa"
        summary: dict[str, Any] = {}
        # With the answer cache (as served), and with every answer computed afresh.
        for name, env in [("cached", {}), ("afresh", {"NEWSQA_ANSWER__CACHED_ANSWERS": "0"})]:
            app = start_app(index_dir, env=env, log_dir=Path(scratch))  # builds the seeds' index
            try:
                with httpx.Client(timeout=60) as client:
                    for question in asked[:5]:
                        ask_once(client, app.url, question)  # warm-up
                summary[f"{args.clients}_clients_{name}"] = load(
                    app.url, args.clients, args.seconds, asked
                )
                summary[f"1_client_{name}"] = load(app.url, 1, min(args.seconds, 15), asked)
            finally:
                stop_app(app)
        summary["in_process"] = in_process(index_dir, asked)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "serve_load.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
