"""A faster embedding backend: the same model run by ONNX Runtime, optionally int8-quantised.

The ONNX file is exported once from the local model folder (this needs torch, so it happens at
index time) and cached in the index directory. Answering a question then needs only
onnxruntime and tokenizers, which import in well under a second, instead of torch and
sentence-transformers, which take 8-11 s here.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from index.embedding_model import SpanList, resolve_model, span_sums
from index.errors import ModelUnavailableError, write_failure
from index.settings import PACKAGED_MODEL

MAX_TOKENS = 256


def onnx_cache_dir(index_dir: Path, model: str, quantized: bool) -> Path:
    name = "all-MiniLM-L6-v2" if model == PACKAGED_MODEL else Path(model).name
    return Path(index_dir) / "onnx" / f"{name}-{'int8' if quantized else 'fp32'}"


def uses_mean_pooling(model_dir: Path) -> bool:
    """The ONNX path re-implements pooling; only mean pooling (+ normalise) is supported."""
    config = model_dir / "1_Pooling" / "config.json"
    if not config.exists():
        return False
    pooling = json.loads(config.read_text())
    return bool(pooling.get("pooling_mode_mean_tokens")) and not any(
        pooling.get(k) for k in ("pooling_mode_cls_token", "pooling_mode_max_tokens")
    )


def export_onnx(model: str, target: Path, quantized: bool) -> Path:
    """Exports the model's transformer to ONNX (and quantises MatMuls to int8 per channel)."""
    # The exporter's tracer warnings and the quantiser's advice are about generic models; for
    # this fixed BERT graph they are noise on the user's terminal.
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _export(model, target, quantized)
    finally:
        root.setLevel(level)


def _export(model: str, target: Path, quantized: bool) -> Path:
    model_dir = Path(resolve_model(model))
    if not uses_mean_pooling(model_dir) or not (model_dir / "tokenizer.json").exists():
        raise ModelUnavailableError(
            f"The ONNX backend supports mean-pooled sentence-transformers folders with a "
            f"tokenizer.json; '{model}' is not one. Use NEWSQA_INDEX__EMBED_BACKEND=torch."
        )
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from transformers import AutoModel
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    staging = target.with_name(target.name + ".staging")
    made = [folder for folder in (target.parent, target.parent.parent) if not folder.exists()]
    try:
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        network = AutoModel.from_pretrained(str(model_dir)).eval()
        _write_export(network, model_dir, staging, quantized)
        shutil.rmtree(target, ignore_errors=True)
        os.replace(staging, target)
    except BaseException as error:
        # A full or read-only disk mid-export: nothing half-written stays behind, not even the
        # folders this export made (a first index leaves no folder at all).
        shutil.rmtree(staging, ignore_errors=True)
        for folder in made:
            with contextlib.suppress(OSError):
                folder.rmdir()
        # The exporter writes through C++ streams that don't report a full disk: what fails
        # is reading the cut file back ("Wire format was corrupt").
        needed = EXPORT_SPACE * model_bytes(model_dir)
        failure = write_failure(error, "exporting the embedding model", staging, needed)
        if failure is not None:
            raise failure from None
        raise
    return target


# The export holds the fp32 ONNX file and the int8 one at once, and the quantiser's working
# copy: about 2.2 times the model's own weights at its peak (180 MB for MiniLM's 91 MB).
EXPORT_SPACE = 2.5


def model_bytes(model_dir: Path) -> int:
    return sum(path.stat().st_size for path in model_dir.glob("*.safetensors")) or sum(
        path.stat().st_size for path in model_dir.glob("*.bin")
    )


def _write_export(network: Any, model_dir: Path, staging: Path, quantized: bool) -> None:
    """The ONNX file (int8 MatMuls when `quantized`) and its tokenizer, into `staging`."""
    import torch

    class LastHiddenState(torch.nn.Module):
        # transformers 5 models take keyword arguments; the ONNX exporter passes positionals.
        def __init__(self) -> None:
            super().__init__()
            self.network = network

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.network(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    sample = torch.ones((2, 16), dtype=torch.long)
    fp32 = staging / "model-fp32.onnx"
    axes = {0: "batch", 1: "tokens"}
    torch.onnx.export(
        LastHiddenState(),
        (sample, sample, torch.zeros_like(sample)),
        str(fp32),
        input_names=["input_ids", "attention_mask", "token_type_ids"],
        output_names=["last_hidden_state"],
        dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes,
                      "last_hidden_state": axes},
        opset_version=17,
        dynamo=False,
    )  # fmt: skip
    final = staging / "model.onnx"
    if quantized:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        # MatMul-only, per channel: cosine 0.99+ to fp32; quantising everything loses too much.
        quantize_dynamic(
            str(fp32), str(final), op_types_to_quantize=["MatMul"], per_channel=True,
            weight_type=QuantType.QInt8,
        )  # fmt: skip
        fp32.unlink()
    else:
        fp32.rename(final)
    shutil.copy(model_dir / "tokenizer.json", staging / "tokenizer.json")


def cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class OnnxEmbedder:
    """One single-threaded ONNX Runtime session; batches run side by side on one thread per core.

    Whole batches in parallel beat one batch split across cores: on MultiHop-RAG chunks, two
    threads each running its own batch embed 44 chunks/s against 36 for ONNX Runtime's own
    two-thread split (which waits for its slowest part at every layer). A question is one short
    text, for which a second thread saves nothing (2.7 ms either way).
    """

    def __init__(
        self, folder: Path, model_id: str, identity: str, workers: int | None = None
    ) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.workers = workers or cpus()
        try:
            self._session = onnxruntime.InferenceSession(
                str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"]
            )
        except Exception as error:
            raise ModelUnavailableError(
                f"The ONNX model in {folder} can't be loaded ({error}); delete that folder and run "
                "newsqa index again to re-export it."
            ) from error
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.enable_padding()
        self._inputs = {i.name for i in self._session.get_inputs()}
        self.model_id = model_id
        self.identity = identity
        self.dim = int(self._session.get_outputs()[0].shape[-1] or 384)

    def embed(
        self, texts: Sequence[str], batch_size: int = 32, progress: bool = False
    ) -> np.ndarray:
        return self._run(texts, None, batch_size)[0]

    def embed_spans(
        self,
        texts: Sequence[str],
        spans: Sequence[SpanList],
        batch_size: int = 32,
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        return self._run(texts, spans, batch_size)

    def _run(
        self, texts: Sequence[str], spans: Sequence[SpanList] | None, batch_size: int
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        sums: list[np.ndarray] = [np.zeros((0, self.dim), np.float32)] * len(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32), sums
        # Sorting by length keeps padding (wasted work) small within each batch; the longest go
        # first so that no thread is left with a long batch while the others have finished.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)

        def embed_batch(rows: list[int]) -> None:
            # ONNX Runtime and the tokenizer release the GIL; each batch writes its own rows.
            encoded = self._tokenizer.encode_batch([texts[i] for i in rows])
            ids = np.array([e.ids for e in encoded], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden = self._session.run(None, {k: v for k, v in feed.items() if k in self._inputs})[
                0
            ]
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
            out[rows] = pooled
            if spans is not None:
                for position, row in enumerate(rows):
                    offsets = np.array(encoded[position].offsets, dtype=np.int64)
                    offsets[mask[position] == 0] = 0  # padding
                    sums[row] = span_sums(hidden[position], offsets, spans[row])

        batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
        if len(batches) == 1 or self.workers == 1:
            for rows in batches:
                embed_batch(rows)
        else:
            with ThreadPoolExecutor(min(self.workers, len(batches))) as pool:
                list(pool.map(embed_batch, batches))
        return out, sums
