"""A sentence-transformers model run by ONNX Runtime with dynamically int8-quantised weights.

The model is exported from torch once (`torch.onnx.export`, TorchScript exporter, which needs
only the `onnx` package), quantised with `onnxruntime.quantization.quantize_dynamic` (8-bit
weights with per-channel scales, activations quantised at run time) and cached
under a key of the model folder and the library versions. Tokenisation is the model's own
tokenizer; mean pooling over the attention mask and L2 normalisation run in NumPy, as in the
sentence-transformers pipeline (Transformer -> mean Pooling -> Normalize) this replaces.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from qa.errors import SettingsError

INT8_SUFFIX = "+onnx-int8"
CACHE_ENV = "TQA_ONNX_CACHE"
DEFAULT_CACHE_DIR = Path("~/.cache/transcript-qa/onnx")
OPSET = 17
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
# Bumped when the export or quantisation recipe changes, so old cache files are not reused.
_RECIPE = "v2-quint8-per-channel-dynamic"
_SUPPORTED_MODULES = (
    "sentence_transformers.models.Transformer",
    "sentence_transformers.models.Pooling",
    "sentence_transformers.models.Normalize",
)


class OnnxInt8Encoder:
    """A mean-pooled sentence-transformers model folder, run as int8 ONNX on the CPU."""

    def __init__(
        self,
        path: Path,
        base_name: str,
        *,
        batch_size: int = 32,
        cache_dir: Path | None = None,
        threads: int | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size}")
        self.path = Path(path)
        self.name = base_name + INT8_SUFFIX
        self.batch_size = batch_size
        self.max_tokens, self.dimension = _check_model_folder(self.path)
        self._tokenizer = _load_tokenizer(self.path)
        self.cache_dir = cache_dir if cache_dir is not None else default_cache_dir()
        self.model_file = (
            self.cache_dir / f"{_slug(self.path.name)}-{cache_key(self.path)}.int8.onnx"
        )
        self.export_seconds: float | None = None  # set when this construction exported
        self._session = self._open_session(threads or _cores())
        self._input_names = [i.name for i in self._session.get_inputs()]

    def encode(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        """(len(texts), dimension) float32 array of L2-normalised rows, in input order."""
        from embeddings.encoder import _checked_texts, _progress

        texts = _checked_texts(texts)
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        ids: list[list[int]] = self._tokenizer(
            texts, truncation=True, max_length=self.max_tokens, verbose=False
        )["input_ids"]
        # Longest first, by word pieces, so a batch pads to a length close to its own.
        order = sorted(range(len(texts)), key=lambda i: len(ids[i]), reverse=True)
        with _progress(show_progress and len(texts) >= 256, len(texts)) as advance:
            for start in range(0, len(order), self.batch_size):
                batch = order[start : start + self.batch_size]
                out[batch] = self._encode_ids([ids[i] for i in batch])
                advance(len(batch))
        return out

    def count_tokens(self, text: str) -> int:
        """Word pieces of text without special tokens, with the model's own tokenizer."""
        encoded = self._tokenizer(text, add_special_tokens=False, verbose=False)
        return len(encoded["input_ids"])

    def _encode_ids(self, rows: list[list[int]]) -> np.ndarray:
        width = max(len(r) for r in rows)
        input_ids = np.full((len(rows), width), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for i, row in enumerate(rows):
            input_ids[i, : len(row)] = row
            mask[i, : len(row)] = 1
        feeds = {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": mask * 0}
        hidden = self._session.run(None, {n: feeds[n] for n in self._input_names})[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)

    @property
    def _pad_id(self) -> int:
        pad = self._tokenizer.pad_token_id
        return int(pad) if pad is not None else 0

    def _open_session(self, threads: int) -> Any:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if self.model_file.is_file():
            try:
                return ort.InferenceSession(
                    str(self.model_file), options, providers=["CPUExecutionProvider"]
                )
            # ORT raises its own exception types (InvalidProtobuf, Fail, ...) for a bad file;
            # any of them means the cached file is unusable and is rebuilt below.
            except Exception:
                pass
        self.export_seconds = export_int8(self.path, self.model_file)
        return ort.InferenceSession(
            str(self.model_file), options, providers=["CPUExecutionProvider"]
        )


def default_cache_dir() -> Path:
    """The cache folder of exported models: $TQA_ONNX_CACHE or ~/.cache/transcript-qa/onnx."""
    raw = os.environ.get(CACHE_ENV)
    return Path(raw).expanduser() if raw else DEFAULT_CACHE_DIR.expanduser()


def cache_key(path: Path) -> str:
    """16 hex digits of the model folder, its weight files and the export tool versions."""
    parts = [str(path.resolve()), _RECIPE, str(OPSET)]
    for package in ("torch", "transformers", "onnx", "onnxruntime"):
        parts.append(f"{package}={_version(package)}")
    for weights in sorted(path.glob("*.safetensors")) + sorted(path.glob("*.bin")):
        stat = weights.stat()
        parts.append(f"{weights.name}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:16]


def export_int8(model_path: Path, target: Path) -> float:
    """Export the folder's transformer to ONNX, quantise it to int8 and write target atomically.

    Returns the seconds taken.
    """
    import time

    started = time.perf_counter()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".export-") as tmp:
        fp32 = Path(tmp) / "model.onnx"
        _export_fp32(model_path, fp32)
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantised = Path(tmp) / "model.int8.onnx"
        # Measured on this AVX2 CPU without avx512_vnni (64 kremlin.ru chunks of 120-200 word
        # pieces, cosine to the torch fp32 model, median/min): QInt8 per tensor 0.951/0.927
        # (u8s8 saturation of VPMADDUBSW), QInt8 per channel 0.993/0.987, QUInt8 per channel
        # 0.994/0.989 at the same speed. Per-channel scales keep small-weight rows precise.
        root = logging.getLogger()
        level = root.level
        # quantize_dynamic logs a "consider pre-processing" warning on the root logger; the
        # pre-processing (shape inference) changes nothing for dynamic quantisation here.
        root.setLevel(logging.ERROR)
        try:
            quantize_dynamic(fp32, quantised, weight_type=QuantType.QUInt8, per_channel=True)
        finally:
            root.setLevel(level)
        os.replace(quantised, target)
    return time.perf_counter() - started


def _export_fp32(model_path: Path, target: Path) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    try:
        # Eager attention traces to plain MatMul/Softmax that ONNX Runtime fuses and quantises.
        model = AutoModel.from_pretrained(
            str(model_path), local_files_only=True, attn_implementation="eager"
        ).eval()
    except (OSError, ValueError) as exc:
        raise SettingsError(f"cannot load embedding model from {model_path}: {exc}") from exc

    class _LastHidden(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return out.last_hidden_state

    sample = torch.ones((2, 8), dtype=torch.long)
    axes = {name: {0: "batch", 1: "sequence"} for name in (*_INPUTS, "last_hidden_state")}
    import warnings

    with warnings.catch_warnings(), torch.no_grad():
        # The tracer warns about Python booleans it freezes (is_causal and the like); the
        # encoder's are constant, and the tests compare the result with the torch model.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _LastHidden(model),
            (sample, sample, torch.zeros_like(sample)),
            str(target),
            input_names=list(_INPUTS),
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=OPSET,
            dynamo=False,
        )


def _check_model_folder(path: Path) -> tuple[int, int]:
    """(max_tokens, dimension) of a Transformer + mean Pooling (+ Normalize) model folder."""
    if not path.is_dir():
        raise SettingsError(f"embedding model folder not found: {path}")
    modules = _read_json(path / "modules.json")
    kinds = [m.get("type") for m in modules] if isinstance(modules, list) else None
    if not kinds or kinds[0] != _SUPPORTED_MODULES[0] or not set(kinds) <= set(_SUPPORTED_MODULES):
        raise SettingsError(
            f"int8 ONNX supports Transformer + Pooling (+ Normalize) models; {path} has {kinds}"
        )
    pooling_dir = next(m["path"] for m in modules if m["type"] == _SUPPORTED_MODULES[1])
    pooling = _read_json(path / pooling_dir / "config.json")
    modes = [k for k, v in pooling.items() if k.startswith("pooling_mode_") and v]
    if modes != ["pooling_mode_mean_tokens"]:
        raise SettingsError(f"int8 ONNX supports mean pooling only; {path} pools by {modes}")
    config = _read_json(path / "sentence_bert_config.json")
    max_tokens = int(config.get("max_seq_length") or 512)
    return max_tokens, int(pooling["word_embedding_dimension"])


def _load_tokenizer(path: Path) -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    except (OSError, ValueError) as exc:
        raise SettingsError(f"cannot load the tokenizer of {path}: {exc}") from exc


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SettingsError(f"cannot read {path}: {exc}") from exc


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "absent"


def _slug(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    return cleaned.strip("_")[-60:] or "model"


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1
