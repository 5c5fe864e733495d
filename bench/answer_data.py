"""Public question sets for training and testing the answer model, split deterministically.

- MultiHop-RAG (Tang & Yang 2024, ODC-BY): 2,556 queries over 609 articles, with the gold
  evidence sentences; its 301 null queries have no answer. Split by query: the SHA-1 of the
  query text, even -> train, odd -> test.
- RGB en_fact (Chen et al. 2024, CC BY-NC-SA 4.0), the even-id half in ../shared (the odd half
  is held back by its keepers): ids divisible by 4 -> train, the others -> test. Indexed as the
  authors use it for a corpus system: every question's answering and unrelated passages as
  articles ("full"), or only the unrelated ones ("negative", where every question should be
  declined).
Read from ../shared; nothing is copied into the repository.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "benchmarks"
MULTIHOP = SHARED / "multihop_rag"
RGB = SHARED / "rgb" / "en_fact.jsonl"
OUT = ROOT / "bench" / "out"
MULTIHOP_INDEX = ROOT / ".newsqa-multihop"  # the one `newsqa bench multihop` builds too
RGB_DIR = OUT / "rgb"


@dataclass(slots=True)
class BenchQuestion:
    id: str
    question: str
    kind: str  # MultiHop question_type, or "rgb"
    split: str  # "train" or "test"
    # Gold answer as groups of alternatives; an answer is right when each group has one inside.
    answers: list[list[str]] = field(default_factory=list)
    evidence: list[tuple[str, str]] = field(default_factory=list)  # (doc_id, verbatim fact)
    positive_docs: set[str] = field(default_factory=set)  # RGB: the passages that answer it
    answerable: bool = True


def squash(text: str) -> str:
    """MultiHop-RAG's normalisation: spaces and newlines removed."""
    return text.replace(" ", "").replace("\n", "")


def hash_split(text: str) -> str:
    """SHA-1 of the text, even -> train, odd -> test."""
    return "train" if int(hashlib.sha1(text.encode("utf-8")).hexdigest(), 16) % 2 == 0 else "test"


def multihop_split(query: str) -> str:
    return hash_split(query)


def multihop_questions(folder: Path = MULTIHOP) -> list[BenchQuestion]:
    records = json.loads((folder / "MultiHopRAG.json").read_text(encoding="utf-8"))
    questions = []
    for number, record in enumerate(records):
        null = record["question_type"] == "null_query"
        questions.append(
            BenchQuestion(
                id=f"multihop-{number}",
                question=record["query"],
                kind=record["question_type"],
                split=multihop_split(record["query"]),
                answers=[] if null else [[str(record["answer"])]],
                evidence=[(e["url"], e["fact"]) for e in record["evidence_list"]],
                answerable=not null,
            )
        )
    return questions


def rgb_records(path: Path = RGB) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def rgb_split(record_id: int) -> str:
    return "train" if record_id % 4 == 0 else "test"


def rgb_answer_groups(answer: Any) -> list[list[str]]:
    """RGB answers are a string, a list of alternatives, or a list of lists (one per part)."""
    if isinstance(answer, str):
        return [[answer]]
    if answer and all(isinstance(a, list) for a in answer):
        return [[str(x) for x in group] for group in answer]
    return [[str(a) for a in answer]]


def rgb_corpus(
    target: Path,
    roles: tuple[str, ...] = ("positive", "negative"),
    outlets: dict[str, str] | None = None,
    path: Path = RGB,
) -> dict[str, set[int]]:
    """Writes the passages of `roles` as JSON Lines articles (doc_id rgb://ID/ROLE/N; a passage
    that several questions share is written once; with `outlets`, each role under its outlet)
    and returns doc_id -> ids of the questions it answers (a positive passage)."""
    answers_for: dict[str, set[int]] = {}
    first_id: dict[str, str] = {}
    lines = []
    for record in rgb_records(path):
        for role in roles:
            for number, passage in enumerate(record[role]):
                text = passage.strip()
                if not text:
                    continue
                doc_id = first_id.get(text)
                if doc_id is None:
                    doc_id = first_id[text] = f"rgb://{record['id']}/{role}/{number}"
                    article = {"url": doc_id, "body": text}
                    if outlets:
                        article["source"] = outlets[role]
                    lines.append(json.dumps(article, ensure_ascii=False))
                    answers_for[doc_id] = set()
                if role == "positive":
                    answers_for[doc_id].add(int(record["id"]))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return answers_for


# The conflicting-reports setup (issue 22): each question's true passages from one outlet, the
# same passages with the answer replaced by a false one from another, its unrelated ones from a
# third. No dates: RGB's passages have none, so differing values are a disagreement.
CONFLICT_OUTLETS = {"positive": "Outlet A", "positive_wrong": "Outlet B", "negative": "Outlet C"}


def rgb_questions(answers_for: dict[str, set[int]], path: Path = RGB) -> list[BenchQuestion]:
    return [
        BenchQuestion(
            id=f"rgb-{record['id']}",
            question=record["query"],
            kind="rgb",
            split=rgb_split(int(record["id"])),
            answers=rgb_answer_groups(record["answer"]),
            positive_docs={d for d, ids in answers_for.items() if int(record["id"]) in ids},
        )
        for record in rgb_records(path)
    ]


def gold_check(question: BenchQuestion) -> str | None:
    """ "yes" or "no" where the gold answer is one (MultiHop-RAG writes "Yes", "No" and "no")."""
    gold = question.answers[0][0].strip().lower() if question.answers else ""
    return gold if gold in {"yes", "no"} else None


def contains_answer(text: str, groups: list[list[str]]) -> bool:
    """The RGB and MultiHop-RAG rule: every part of the gold answer appears, lower-cased."""
    lowered = text.lower()
    return bool(groups) and all(any(a.lower() in lowered for a in group) for group in groups)


def holds_part(text: str, groups: list[list[str]]) -> bool:
    """Whether the text holds any alternative of any part of the gold answer, lower-cased."""
    lowered = text.lower()
    return any(a.lower() in lowered for group in groups for a in group)


def supports(question: BenchQuestion, doc_id: str, text: str) -> bool:
    """Whether a quoted span is gold evidence for the question: a MultiHop-RAG evidence sentence
    (either holds the other, spaces ignored) or an RGB answering passage's answer-bearing part."""
    if question.kind == "rgb":
        return doc_id in question.positive_docs and holds_part(text, question.answers)
    squashed = squash(text)
    for evidence_doc, fact in question.evidence:
        if evidence_doc != doc_id:
            continue
        gold = squash(fact)
        if gold in squashed or (len(squashed) >= 40 and squashed in gold):
            return True
    return False


def reader_trains_on(question: BenchQuestion, source: str) -> bool:
    """Whether the reader trains on a train question: half the MultiHop-RAG train questions (by
    the SHA-1 of "reader " + the query), and no RGB one. The answer model fits the reader's
    weight on the others, where the reader reads as it will on new questions; on questions it
    trained on it reads better than on any new one (top-1 0.74 against 0.62 on the test half),
    and a weight fitted there trusts it too much."""
    return source == "multihop" and hash_split("reader " + question.question) == "train"


def answer_labels(question: BenchQuestion, candidates: list[tuple[str, str]]) -> list[bool]:
    """The training label of each (doc_id, text) candidate: does it state the answer?

    RGB: an answering passage's part that holds the gold answer. MultiHop-RAG inference
    questions, answered by a name or a title: a sentence of an evidence article that holds the
    gold answer (the gold facts often say "the company" where the answer is its name: 329 of
    816 hold no part of it); where no candidate does, the gold facts. Yes/no, agree/disagree and
    before/after questions, whose answer no sentence states: the gold facts. Null: none."""
    labels = [supports(question, doc_id, text) for doc_id, text in candidates]
    if question.kind != "inference_query":
        return labels
    evidence_docs = {doc_id for doc_id, _ in question.evidence}
    stating = [
        doc_id in evidence_docs and contains_answer(text, question.answers)
        for doc_id, text in candidates
    ]
    return stating if any(stating) else labels


def question_sets(
    names: tuple[str, ...] = ("multihop", "rgb-full", "rgb-negative"),
) -> dict[str, tuple[Settings, list[BenchQuestion]]]:
    """Each question set with the index it is asked of, built here (or reused when unchanged):
    MultiHop-RAG's corpus; RGB with every passage; RGB with only the unrelated passages."""
    from index.build import IndexBuilder

    sets: dict[str, tuple[Settings, list[BenchQuestion]]] = {}
    for name in names:
        if name == "multihop":
            corpus, questions = MULTIHOP / "corpus.json", multihop_questions()
            settings = Settings(index_dir=MULTIHOP_INDEX)
        else:
            corpus = RGB_DIR / f"{name}.jsonl"
            roles = ("negative",) if name == "rgb-negative" else ("positive", "negative")
            questions = rgb_questions(rgb_corpus(corpus, roles))
            settings = Settings(index_dir=RGB_DIR / f"{name}-index")
        IndexBuilder(settings).run([corpus])
        sets[name] = (settings, questions)
    return sets
