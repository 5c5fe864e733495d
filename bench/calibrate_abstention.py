"""Chooses the abstention threshold from the seed questions, and prints how it was chosen.

For every canned question it records the best answer sentence's score (with abstention on
score switched off). The threshold is the midpoint of the widest gap that keeps the most
questions right: answerable ones answered correctly above it, unanswerable ones below it.
Questions that abstain for another reason (a name no article contains) are listed but can't
move the threshold. Writes bench/out/abstention.json.

    .venv/bin/python -m bench.calibrate_abstention
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from index.build import IndexBuilder
from index.settings import AnswerSettings, Settings
from qa.evaluate import run_eval
from qa.pipeline import Pipeline
from qa.questions import load_questions

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"


def main() -> None:
    settings = Settings(index_dir=OUT / "seed-index", answer=AnswerSettings(abstain_below=-1.0))
    IndexBuilder(settings).run([ROOT / "seeds"])
    pipeline = Pipeline.load(settings)
    results, _ = run_eval(pipeline, load_questions(ROOT / "bench" / "seed_questions.jsonl"))
    rows = [
        {
            "id": result["id"],
            "answerable": result["answerable"],
            "best_score": result["evidence"],
            "abstained_for_other_reason": result["abstained"],
            "correct_if_answered": result["answerable"] and result["scores"]["correct"],
        }
        for result in results
    ]
    scored = [
        r for r in rows if not r["abstained_for_other_reason"] and r["best_score"] is not None
    ]
    cuts = sorted({r["best_score"] for r in scored})
    candidates = [cuts[0] - 0.01] + [(a + b) / 2 for a, b in itertools.pairwise(cuts)]

    def right(threshold: float) -> int:
        return sum(
            (r["best_score"] >= threshold and r["correct_if_answered"])
            or (r["best_score"] < threshold and not r["answerable"])
            for r in scored
        )

    best_right = max(right(t) for t in candidates)
    tied = [t for t in candidates if right(t) == best_right]
    gaps = {t: min(abs(t - c) for c in cuts) for t in tied}
    threshold = round(max(tied, key=lambda t: gaps[t]), 3)
    unanswerable = sorted(r["best_score"] for r in scored if not r["answerable"])
    answered = sorted(r["best_score"] for r in scored if r["answerable"])
    result = {
        "threshold": threshold,
        "right_on_scored_questions": best_right,
        "scored_questions": len(scored),
        "unanswerable_scores": unanswerable,
        "answerable_scores": answered,
        "abstained_for_other_reason": [r["id"] for r in rows if r["abstained_for_other_reason"]],
        "rows": rows,
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "abstention.json").write_text(json.dumps(result, indent=1))
    print(f"threshold {threshold}: {best_right}/{len(scored)} scored questions right")
    print("unanswerable best scores:", [round(s, 3) for s in unanswerable])
    print("answerable best scores (lowest 8):", [round(s, 3) for s in answered[:8]])
    print("abstained for another reason:", result["abstained_for_other_reason"])


if __name__ == "__main__":
    main()
