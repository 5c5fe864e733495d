"""A live folder under load: how soon a copied article can be asked about.

    .venv/bin/python -m bench.watch [--articles 20]

Starts the real app (`newsqa serve --watch`) on a copy of the seed index and an empty folder.
One client keeps asking a seed question through the /ask API the whole time. Then MultiHop-RAG
articles (every 30th of the corpus, as .json files) are copied into the folder one by one; after
each copy finishes, a second client asks about that article by its headline until the article
is cited (or its passage is among the nearest), and the delay from the end of the copy is
recorded. Prints and writes bench/out/watch.json: each delay, their median and maximum, and the
other client's questions and errors.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.answer_data import MULTIHOP, OUT
from index.build import IndexBuilder
from index.settings import Settings
from tests.app_fixtures import start_app, stop_app
from tests.conftest import SEEDS
from ui.library import headline_question

PER_ARTICLE_LIMIT = 120.0
SEED_QUESTION = "What gifts did Putin and Kim exchange?"


def ask(client: Any, question: str) -> dict[str, Any]:
    result = client.predict(question, api_name="/ask")
    return json.loads(result) if isinstance(result, str) else dict(result)


def found(answer: dict[str, Any], doc_id: str) -> bool:
    return any(c["doc_id"] == doc_id for c in answer["citations"]) or any(
        p["doc_id"] == doc_id for p in answer.get("nearest", [])
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=20)
    count = parser.parse_args().articles
    from gradio_client import Client

    from index.documents import Article

    records = json.loads((MULTIHOP / "corpus.json").read_text(encoding="utf-8"))[::30][:count]
    work = Path(tempfile.mkdtemp(prefix="newsqa-watch-"))
    index_dir, folder, staging = work / ".newsqa", work / "live", work / "staging"
    folder.mkdir()
    staging.mkdir()
    IndexBuilder(Settings(index_dir=index_dir)).run([SEEDS])
    app = start_app(index_dir, args=["--watch", str(folder)])
    stop = threading.Event()
    other = {"questions": 0, "errors": 0, "error_examples": []}

    def keep_asking() -> None:
        client = Client(app.url, verbose=False)
        while not stop.is_set():
            try:
                ask(client, SEED_QUESTION)
                other["questions"] += 1
            except Exception as error:  # every failure counts
                other["errors"] += 1
                other["error_examples"] = [*other["error_examples"], repr(error)][:5]

    thread = threading.Thread(target=keep_asking, daemon=True)
    thread.start()
    rows = []
    try:
        client = Client(app.url, verbose=False)
        for number, record in enumerate(records):
            source = staging / f"{number:02d}.json"
            source.write_text(json.dumps([record]), encoding="utf-8")
            article = Article(record["url"], record["body"], str(source), title=record["title"],
                              source=record["source"])  # fmt: skip
            question = headline_question(article)
            shutil.copy(source, folder / source.name)
            copied = time.monotonic()
            delay, quoted = None, False
            while time.monotonic() - copied < PER_ARTICLE_LIMIT:
                answer = ask(client, question)
                if found(answer, record["url"]):
                    delay = round(time.monotonic() - copied, 2)
                    quoted = any(c["doc_id"] == record["url"] for c in answer["citations"])
                    break
            rows.append(
                {"article": record["url"], "question": question, "seconds": delay,
                 "quoted": quoted}
            )  # fmt: skip
            print(f"{number + 1:>2}/{len(records)} answerable after {delay} s", flush=True)
    finally:
        stop.set()
        thread.join(60)
        stop_app(app)
        shutil.rmtree(work, ignore_errors=True)
    delays = [r["seconds"] for r in rows if r["seconds"] is not None]
    result = {
        "machine": "this 2-core machine, CPU only",
        "articles": len(rows),
        "answerable": len(delays),
        "seconds_median": round(statistics.median(delays), 2) if delays else None,
        "seconds_max": max(delays) if delays else None,
        "within_10_s": sum(d <= 10 for d in delays),
        "quoted_in_the_answer": sum(r["quoted"] for r in rows),  # the rest: nearest passages
        "other_client": other,
        "rows": rows,
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "watch.json").write_text(json.dumps(result, indent=1, ensure_ascii=False))
    print(json.dumps({k: v for k, v in result.items() if k != "rows"}, indent=1))


if __name__ == "__main__":
    main()
