"""Fuzzes the corpus loader for a fixed time and counts what happened (no unhandled exception).

    .venv/bin/python -m bench.fuzz_loader [--seconds 60]

Inputs: random bytes, and the seed articles and JSON records with random byte flips,
insertions and truncations, under every supported suffix; then, for the same time again, whole
folders of 0-12 such files, nested, with broken links, links back to the folder (a loop) and
files removed while the folder is read. Every file must come back as articles or as a skip
with its reason. Writes bench/out/fuzz_loader.json.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from index.load import SUPPORTED_SUFFIXES, find_files, load_articles

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
    folders = fuzz_folders(seeds, suffixes, rng, args.seconds)
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "fuzz_loader.json").write_text(
        json.dumps({**counts, "failures": failures[:20], "folders": folders}, indent=1)
    )
    print(counts)
    print(folders)
    if failures:
        print("\n".join(failures[:10]))


def fuzz_folders(
    seeds: list[bytes], suffixes: list[str], rng: random.Random, seconds: float
) -> dict[str, Any]:
    """Random folders: every file listed must come back as articles or as a named skip."""
    counts: dict[str, Any] = {"folders": 0, "files": 0, "articles": 0, "skipped": 0,
                              "unaccounted": 0, "unhandled": 0, "failures": []}  # fmt: skip
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with tempfile.TemporaryDirectory() as work:
            folder = Path(work) / "batch"
            (folder / "sub").mkdir(parents=True)
            written = []
            for number in range(rng.randint(0, 12)):
                place = folder / "sub" if rng.random() < 0.3 else folder
                path = place / f"f{number}{rng.choice(suffixes)}"
                roll = rng.random()
                if roll < 0.08:
                    path.symlink_to(folder / "nowhere.txt")  # a broken link
                elif roll < 0.12:
                    (place / f"loop{number}").symlink_to(folder, target_is_directory=True)
                    continue
                else:
                    base = rng.choice(seeds) if rng.random() < 0.7 else rng.randbytes(300)
                    path.write_bytes(mutate(base, rng))
                written.append(path)
            try:
                # Listed first, then some files removed before they are read.
                listed = list(find_files([folder]))
                for path in listed:
                    if rng.random() < 0.1:
                        path.unlink(missing_ok=True)
                result = load_articles(listed)
            except Exception as error:  # the point is to find these
                counts["unhandled"] += 1
                counts["failures"].append(f"{type(error).__name__}: {error}"[:300])
                continue
            sources = {Path(a.path).name for a in result.articles}
            sources |= {Path(s.path.split(", record")[0]).name for s in result.skipped}
            counts["unaccounted"] += sum(p.name not in sources for p in written)
            counts["folders"] += 1
            counts["files"] += len(written)
            counts["articles"] += len(result.articles)
            counts["skipped"] += len(result.skipped)
    counts["failures"] = counts["failures"][:10]
    return counts


if __name__ == "__main__":
    main()
