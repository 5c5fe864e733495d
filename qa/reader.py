"""The reader: the probability that a sentence states the answer to a question.

A cross-encoder that reads the question and the sentence together, with what a person would read
around it (the headline, the date, the sentence before). The retriever's vectors and the answer
model's word counts only say a sentence is about the question's subject; the reader tells "Barty
wins the 2021 Wimbledon" from "Wimbledon 2021 results are on Flashscore".

It is the first three layers of the packaged all-MiniLM-L6-v2 with a one-logit head, fine-tuned by
`python -m bench.train_reader` on SQuAD 2.0, SelQA and the train halves of MultiHop-RAG and RGB,
exported to int8 ONNX and shipped beside this file (`reader_model/`, with its card). It runs with
onnxruntime and tokenizers only: loading it imports no torch.

Used by qa.extractive: to order search results (RetrievalSettings.read_order, off by default), and
in answers when the answer model was trained with it (`bench.train_answerer --with-reader`; the
shipped one was not: docs/evaluation.md says why).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from index.errors import ModelUnavailableError

MODEL_DIR = Path(__file__).with_name("reader_model")
# Word pieces read per pair: a question, one or two sentences, and the headline, date and the
# sentence before as far as they fit. Training and reading cut alike, at the context's end.
MAX_TOKENS = 112
# The context after the sentence(s) to judge; the tokenizer's own separator keeps them apart.
CONTEXT_SEPARATOR = " [SEP] "


@dataclass(frozen=True, slots=True)
class ReaderInput:
    """One sentence (or two neighbouring ones) to read, and what stands around it."""

    text: str
    title: str = ""
    published: str = ""
    previous: str = ""


def reader_text(item: ReaderInput) -> str:
    """The second text of the pair: the sentence first (so truncation cuts context, never it),
    then the headline with its date, then the sentence before."""
    heading = " · ".join(part for part in (item.title.strip(), item.published[:10]) if part)
    context = " ".join(part for part in (heading, item.previous.strip()) if part)
    text = " ".join(item.text.split())
    return f"{text}{CONTEXT_SEPARATOR}{' '.join(context.split())}" if context else text


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_tokenizer(path: Path) -> Any:
    """The word-piece tokenizer as the reader uses it (training too): pairs cut alike, padded
    to the longest of a batch."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.enable_truncation(MAX_TOKENS, strategy="longest_first")
    tokenizer.enable_padding()
    return tokenizer


class Reader:
    """The shipped int8 ONNX reader; `Reader.load()` reads it once per process."""

    def __init__(self, folder: Path = MODEL_DIR) -> None:
        import onnxruntime

        retrain = "Train it again with: python -m bench.train_reader"
        try:
            card = folder / "card.json"
            # The card is written after the model is scored, so a model being trained has none.
            self.card: dict[str, Any] = (
                json.loads(card.read_text(encoding="utf-8")) if card.exists() else {}
            )
            options = onnxruntime.SessionOptions()
            # One question's pairs are one small batch; two threads halve it on two cores.
            options.intra_op_num_threads = 2
            options.inter_op_num_threads = 1
            self._session = onnxruntime.InferenceSession(
                str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"]
            )
            self._tokenizer = load_tokenizer(folder / "tokenizer.json")
        except FileNotFoundError as error:
            raise ModelUnavailableError(
                f"The reader model in {folder} is missing ({error.filename}). {retrain}"
            ) from None
        except Exception as error:
            raise ModelUnavailableError(
                f"The reader model in {folder} can't be loaded ({error}). {retrain}"
            ) from None
        self._inputs = {i.name for i in self._session.get_inputs()}

    @classmethod
    def load(cls, folder: Path = MODEL_DIR) -> Reader:
        return _load(folder)

    def run(self, question: str, items: Sequence[ReaderInput], batch_size: int = 32) -> np.ndarray:
        """The probability that each item states the answer to `question`."""
        return self.score_pairs([(question, reader_text(item)) for item in items], batch_size)

    def score_pairs(self, pairs: Sequence[tuple[str, str]], batch_size: int = 32) -> np.ndarray:
        """Probabilities for (question, reader_text) pairs; batches of similar length, so little
        padding is read."""
        out = np.zeros(len(pairs), dtype=np.float32)
        order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
        for begin in range(0, len(order), batch_size):
            rows = order[begin : begin + batch_size]
            encoded = self._tokenizer.encode_batch([pairs[i] for i in rows])
            feed = {
                "input_ids": np.array([e.ids for e in encoded], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in encoded], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids for e in encoded], dtype=np.int64),
            }
            logits = self._session.run(None, {k: v for k, v in feed.items() if k in self._inputs})
            out[rows] = 1.0 / (1.0 + np.exp(-np.asarray(logits[0], dtype=np.float32).reshape(-1)))
        return out


@lru_cache(maxsize=2)
def _load(folder: Path) -> Reader:
    return Reader(folder)
