"""Compares embedding backends on real chunk texts: speed, and cosine to sentence-transformers fp32.

    .venv/bin/python -m bench.embed_backends [--texts N]

Writes bench/out/embed_backends.json. Texts are MultiHop-RAG chunks (headline + chunk, as
indexed) when ../shared is present, else the seed chunks.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from index.chunk import chunk_article, text_for_embedding
from index.embed import load_embedder, token_counter
from index.load import load_articles
from index.settings import IndexSettings

ROOT = Path(__file__).resolve().parent.parent
MULTIHOP = ROOT.parent / "shared" / "benchmarks" / "multihop_rag" / "corpus.json"


def sample_texts(limit: int) -> list[str]:
    source = MULTIHOP if MULTIHOP.exists() else ROOT / "seeds"
    settings = IndexSettings()
    count = token_counter()
    texts: list[str] = []
    for article in load_articles([source]).articles:
        for chunk in chunk_article(article, settings.chunk_size, settings.chunk_overlap, count):
            texts.append(text_for_embedding(article, chunk))
        if len(texts) >= limit:
            break
    return texts[:limit]


def timed(embedder: object, texts: list[str]) -> tuple[np.ndarray, float]:
    embedder.embed(texts[:32])  # type: ignore[attr-defined]  # warm-up
    started = time.perf_counter()
    vectors = embedder.embed(texts, batch_size=32)  # type: ignore[attr-defined]
    return vectors, len(texts) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=512)
    args = parser.parse_args()
    texts = sample_texts(args.texts)
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as cache:
        reference, rate = timed(load_embedder(backend="torch"), texts)
        results["torch"] = {"chunks_per_s": round(rate, 1), "cosine_mean": 1.0, "cosine_min": 1.0}
        for backend in ("onnx", "onnx-int8"):
            embedder = load_embedder(backend=backend, index_dir=Path(cache))
            vectors, rate = timed(embedder, texts)
            cosine = (vectors * reference).sum(axis=1)
            query = "What gifts did Putin and Kim exchange?"
            started = time.perf_counter()
            for _ in range(20):
                embedder.embed([query])
            results[backend] = {
                "chunks_per_s": round(rate, 1),
                "cosine_mean": round(float(cosine.mean()), 4),
                "cosine_min": round(float(cosine.min()), 4),
                "query_ms": round((time.perf_counter() - started) / 20 * 1000, 2),
            }
    print(f"{len(texts)} texts")
    for name, row in results.items():
        print(f"{name:>10}: {row}")
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "embed_backends.json").write_text(json.dumps({"texts": len(texts), **results}, indent=1))


if __name__ == "__main__":
    main()
