"""Fuzzes the corpus loader for a fixed time and counts what happened (no unhandled exception).

    .venv/bin/python -m bench.fuzz_loader [--seconds 60]

Inputs: random bytes, and the seed articles and JSON records with random byte flips,
insertions and truncations, under every supported suffix. Writes bench/out/fuzz_loader.json.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

from index.load import SUPPORTED_SUFFIXES, load_articles

ROOT = Path(__file__).resolve().parent.parent


def mutate(data: bytes, rng: random.Random) -> bytes:
    buffer = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        choice = rng.random()
        position = rng.randrange(len(buffer) + 1)
        if choice < 0.4 and buffer:
            buffer[min(position, len(buffer) - 1)] = rng.randrange(256)
        elif choice < 0.7:
            buffer[position:position] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
        else:
            del buffer[position : position + rng.randint(1, 64)]
    return bytes(buffer)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    rng = random.Random(42)
    seeds = [p.read_bytes() for p in sorted((ROOT / "seeds").glob("*.txt"))]
    seeds.append(
        json.dumps([{"title": "t", "body": s.decode(), "url": "u"} for s in seeds[:2]]).encode()
    )
    suffixes = sorted(SUPPORTED_SUFFIXES)
    counts = {"iterations": 0, "articles": 0, "skipped": 0, "unhandled": 0}
    failures: list[str] = []
    deadline = time.monotonic() + args.seconds
    with tempfile.TemporaryDirectory() as folder:
        while time.monotonic() < deadline:
            base = (
                rng.choice(seeds)
                if rng.random() < 0.8
                else bytes(rng.randrange(256) for _ in range(rng.randint(0, 512)))
            )
            path = Path(folder) / f"f{counts['iterations']}{rng.choice(suffixes)}"
            path.write_bytes(mutate(base, rng))
            try:
                result = load_articles([path])
                counts["articles"] += len(result.articles)
                counts["skipped"] += len(result.skipped)
            except Exception as error:  # the point is to find these
                counts["unhandled"] += 1
                failures.append(f"{path.suffix}: {type(error).__name__}: {error}"[:300])
            path.unlink()
            counts["iterations"] += 1
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "fuzz_loader.json").write_text(
        json.dumps({**counts, "failures": failures[:20]}, indent=1)
    )
    print(counts)
    if failures:
        print("\n".join(failures[:10]))


if __name__ == "__main__":
    main()
