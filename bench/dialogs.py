"""Conversations on a large corpus: follow-ups resolved, topic switches left alone.

    .venv/bin/python -m bench.dialogs

On the MultiHop-RAG index (`newsqa bench multihop` builds it; reused when unchanged):
- written dialogs (DIALOGS below: pronoun follow-ups, ellipsis, going on from the last turn),
  each asked turn by turn through Pipeline.ask with one ChatHistory, the last answer checked
  for every expected fact (any alternative of a group);
- topic switches: 200 pairs of unrelated MultiHop-RAG inference queries (test half, fixed
  seed), the second asked after the first. A switch is left alone when its search query is the
  question as written, and then its answer must be the one it gets when asked alone (checked
  through the pipeline for the first 40 pairs).
Writes bench/out/dialogs.json and prints it. The dialogs were written after the rewrite rules,
to check them; nothing was tuned on the topic-switch pairs.
"""

from __future__ import annotations

import json
import random
from typing import Any

from bench.answer_data import OUT, contains_answer, question_sets
from qa.pipeline import Pipeline
from qa.session import ChatHistory, Turn, standalone_query

# (turns before, question, facts: groups of alternatives, every group must appear)
DIALOGS: list[tuple[list[str], str, list[list[str]]]] = [
    (["Who was fired as CEO of OpenAI in November 2023?"],
     "Which company did he join with Greg Brockman?", [["Microsoft"]]),
    (["What did Caroline Ellison say about Sam Bankman-Fried?"],
     "Which outlet reported that news publishers sued Google for harming their bottom line?",
     [["TechCrunch", "The Verge"]]),
    (["Which team does Travis Kelce play for?"],
     "Which team did they play when Taylor Swift attended on October 12?", [["Broncos"]]),
    (["What did the EU send to Elon Musk's X under the Digital Services Act?"],
     "What content did it say was spreading on the platform?",
     [["illegal content", "disinformation"]]),
    (["What did Taylor Swift attend on October 12?"], "And on October 22?", [["Chargers"]]),
    (["Who is Caroline Ellison?"], "What did she confess to?", [["customer funds"]]),
    (["What is Epic suing Google over?"], "Who decides the case, a judge or a jury?",
     [["jury"]]),
    (["How many OpenAI employees threatened to resign?"], "What did they ask the board to do?",
     [["resign", "reappoint"]]),
]  # fmt: skip


def written_dialogs(pipeline: Pipeline) -> dict[str, Any]:
    rows = []
    for turns, question, facts in DIALOGS:
        history = ChatHistory()
        for turn in turns:
            pipeline.ask(turn, history=history)
        answer = pipeline.ask(question, history=history)
        # "Which outlet reported ...": the outlet is in the citations the answer shows.
        sources = " ".join(c.source or "" for c in answer.citations)
        text = "" if answer.abstained else f"{answer.answer} {sources}"
        rows.append(
            {
                "turns": turns,
                "question": question,
                "searched_for": answer.query,
                "answered_with_every_fact": contains_answer(text, facts),
                "answer": answer.answer[:300],
            }
        )
    right = sum(r["answered_with_every_fact"] for r in rows)
    return {"dialogs": len(rows), "answered_with_every_fact": right, "rows": rows}


def topic_switches(pipeline: Pipeline, questions: list[str], pairs: int = 200) -> dict[str, Any]:
    rng = random.Random(20261126)
    rewritten, compared, same = [], 0, 0
    for number in range(pairs):
        first, second = rng.sample(questions, 2)
        query = standalone_query(second, [Turn(first)])
        if query != second:
            rewritten.append({"first": first, "second": second, "searched_for": query})
        if number < 40:
            history = ChatHistory()
            pipeline.ask(first, history=history)
            after = pipeline.ask(second, history=history)
            alone = pipeline.ask(second)
            compared += 1
            same += after.answer == alone.answer and after.query == second
    return {
        "pairs": pairs,
        "left_alone": pairs - len(rewritten),
        "answered_as_if_alone": f"{same} of {compared}",
        "rewritten": rewritten,
    }


def main() -> None:
    settings, questions = question_sets(("multihop",))["multihop"]
    pipeline = Pipeline.load(settings)
    inference = [q.question for q in questions if q.split == "test" and q.kind == "inference_query"]
    result = {
        "written": written_dialogs(pipeline),
        "topic_switches": topic_switches(pipeline, inference),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "dialogs.json").write_text(json.dumps(result, indent=1, ensure_ascii=False))
    print(json.dumps(result, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
