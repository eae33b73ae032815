"""A sentence-transformers model run by ONNX Runtime, as exported (fp32) or with int8 weights.

The model is exported from torch once (`torch.onnx.export`, TorchScript exporter, which needs
only the `onnx` package), for int8 quantised with `onnxruntime.quantization.quantize_dynamic`
(8-bit weights with per-channel scales, activations quantised at run time; an Int8Recipe says
which MatMuls and whether their inputs are smoothed first), and cached under a
key of the model folder and the library versions. Afterwards neither torch nor transformers is
imported: that is most of a cold start. Tokenisation is the model's own
tokenizer; mean pooling over the attention mask and L2 normalisation run in NumPy, as in the
sentence-transformers pipeline (Transformer -> mean Pooling -> Normalize) this replaces.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import re
import tempfile
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

import numpy as np

from embeddings.base import PROGRESS_MIN_TEXTS, checked_texts, progress_bar
from embeddings.errors import ModelError
from embeddings.models import INT8_SUFFIX
from embeddings.offline import use_offline_hub

CACHE_ENV = "TQA_ONNX_CACHE"
DEFAULT_CACHE_DIR = Path("~/.cache/transcript-qa/onnx")
OPSET = 17
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
# Bumped when the export changes, so old cache files are not reused (the int8 recipe is keyed
# by its own fields, Int8Recipe.key).
_EXPORT = "v3"
_SUPPORTED_MODULES = (
    "sentence_transformers.models.Transformer",
    "sentence_transformers.models.Pooling",
    "sentence_transformers.models.Normalize",
)


@dataclass(frozen=True)
class Int8Recipe:
    """How the fp32 export is quantised to int8 (ONNX Runtime dynamic quantisation).

    Weight MatMuls of the encoder layers are quantised unless a pattern of `fp32_nodes`
    (regular expressions searched in the node names torch.onnx gives, e.g.
    "/encoder/layer.5/output/dense/MatMul") leaves them fp32. `embeddings` also stores the
    word/position embedding tables in 8 bits (no speed gain: a lookup, not a product).
    `reduce_range` uses 7-bit weights, for CPUs without VNNI whose u8 x s8 multiply (VPMADDUBSW)
    saturates. qint8 weights let a VNNI CPU use VPDPBUSD (u8 activations x s8 weights); quint8
    ones take a slower u8 x u8 path there. `smooth_alpha` applies SmoothQuant (Xiao et al.
    2023) first: dynamic quantisation gives a whole activation tensor one scale, so a few
    outlier channels of the LayerNorm outputs cost every other channel its precision; each
    input channel j of a quantised MatMul is divided by s_j = max|X_j|^a / max|W_j|^(1-a)
    (an fp32 Mul) and the weight row multiplied by it, the same product in exact arithmetic
    with the outliers moved into the per-channel-quantised weights. max|X_j| is measured on
    embeddings/data/calibration.txt.
    """

    name: str
    weight_type: Literal["qint8", "quint8"] = "qint8"
    per_channel: bool = True
    reduce_range: bool = False
    embeddings: bool = False
    fp32_nodes: tuple[str, ...] = ()
    smooth_alpha: float | None = None

    def takes(self, node: str) -> bool:
        """Whether the weight MatMul named `node` is quantised."""
        return not any(re.search(pattern, node) for pattern in self.fp32_nodes)

    def key(self) -> str:
        """The fields, for the cache key: a changed recipe never reuses an old file."""
        return repr(dataclasses.astuple(self))

    @property
    def suffix(self) -> str:
        """Appended to the model's name: vectors of different recipes differ, so a library
        records which one made them (the first recipe keeps the name it shipped with)."""
        return INT8_SUFFIX if self.name == LEGACY_RECIPE else f"{INT8_SUFFIX}-{self.name}"


LEGACY_RECIPE = "all-quint8-emb"
_ATTENTION = r"/attention/"
_FFN_OUT = r"/layer\.\d+/output/dense/"
# The recipes measured (benchmarks/bench_int8.py); "all-quint8-emb" was the first one shipped.
# A feed-forward output projection (after GELU) is the layer's largest int8 error, and
# smoothing does not help it (its inputs' outliers are what the layer computes): kept fp32.
INT8_RECIPES: dict[str, Int8Recipe] = {
    r.name: r
    for r in (
        Int8Recipe("all-quint8-emb", weight_type="quint8", embeddings=True),
        Int8Recipe("all-quint8", weight_type="quint8"),
        Int8Recipe("all-qint8"),
        Int8Recipe("all-qint8-reduced", reduce_range=True),
        Int8Recipe("ffn-qint8", fp32_nodes=(_ATTENTION,)),
        Int8Recipe("ffn-quint8", weight_type="quint8", fp32_nodes=(_ATTENTION,)),
        Int8Recipe("inner-qint8", fp32_nodes=(r"/layer\.[05]/",)),
        Int8Recipe("ffn-inner-qint8", fp32_nodes=(_ATTENTION, r"/layer\.[05]/")),
        Int8Recipe("no-ffn-out-qint8", fp32_nodes=(_FFN_OUT,)),
        Int8Recipe("smooth-no-ffn-out-qint8", fp32_nodes=(_FFN_OUT,), smooth_alpha=0.5),
    )
}
# The recipe int8 runs (python -m benchmarks.bench_int8, 2-core avx512_vnni CPU, shared, each
# ratio within one process): vectors' cosine to fp32 median 0.9990 (min 0.9983) on real chunks,
# QMSum val hybrid R@1000 0.469 against fp32's 0.471 (paired -0.002, 95% CI -0.006 to +0.002),
# 1.3x the fp32 ceiling. "all-qint8" is faster (1.6-1.8x) but 0.994 and lost 1.5 points
# (R@1000 0.456); "no-ffn-out-qint8" (1.5x, 0.997) lost 1.0; the first recipe, 0.994, lost 1.5.
INT8_RECIPE = INT8_RECIPES["smooth-no-ffn-out-qint8"]
# Encodes of fewer batches than this stay on the intra-op session. An answer embeds a few dozen
# sentences (two or three batches); sending those to the workers opened their session in the
# UI server and raised its peak memory after 21 answers from 453 to 659 MB (`make bench`,
# stage serve, 508 pages).
BULK_MIN_BATCHES = 4


class OnnxEncoder:
    """A mean-pooled sentence-transformers model folder, run by ONNX Runtime on the CPU.

    fp32 gives the torch model's vectors (to float rounding), so it keeps the model's name and a
    library embedded with torch stays valid; int8 vectors differ a little and are named apart.
    """

    def __init__(
        self,
        path: Path,
        base_name: str,
        *,
        int8: bool = False,
        batch_size: int = 32,
        cache_dir: Path | None = None,
        threads: int | None = None,
        recipe: Int8Recipe | None = None,
        workers: int | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size}")
        self.path = Path(path)
        self.int8 = int8
        self.recipe = (recipe or INT8_RECIPE) if int8 else None
        self.name = base_name + self.recipe.suffix if self.recipe is not None else base_name
        self.batch_size = batch_size
        self.max_tokens, self.dimension = _check_model_folder(self.path)
        self._tokenizer = WordPieces(self.path, self.max_tokens)
        self.cache_dir = cache_dir if cache_dir is not None else default_cache_dir()
        kind = f"int8-{self.recipe.name}" if self.recipe is not None else "fp32"
        self.model_file = (
            self.cache_dir
            / f"{_slug(self.path.name)}-{cache_key(self.path, self.recipe)}.{kind}.onnx"
        )
        self.export_seconds: float | None = None  # set when this construction exported
        self.threads = threads or _cores()
        self.workers = workers or self.threads
        if min(self.threads, self.workers) < 1:
            raise ValueError(
                f"threads and workers must be positive integers, got {self.threads}, {self.workers}"
            )
        self._session = self._open_session(self.threads)
        self._input_names = [i.name for i in self._session.get_inputs()]
        # The bulk path's single-thread session and its workers, made on the first bulk encode
        # (a process that only answers questions never pays for them: BULK_MIN_BATCHES).
        self._bulk: tuple[Any, ThreadPoolExecutor] | None = None
        self._bulk_lock = threading.Lock()

    @property
    def pools_spans(self) -> bool:
        """Whether encode_spans can run: the tokenizer must give character offsets."""
        return self._tokenizer.has_offsets

    def encode(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        """(len(texts), dimension) float32 array of L2-normalised rows, in input order."""
        return self._encode(checked_texts(texts), None, show_progress)[0]

    def encode_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """The texts' vectors (as encode gives them), and each span's: the mean of the
        word pieces inside it, from the same pass (see embeddings.base.SpanEncoder)."""
        texts = checked_texts(texts)
        if len(spans) != len(texts):
            raise ValueError(f"{len(spans)} lists of spans for {len(texts)} texts")
        return self._encode(texts, spans, False)

    def _encode(
        self,
        texts: list[str],
        spans: Sequence[Sequence[tuple[int, int]]] | None,
        show_progress: bool,
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        pooled = [np.zeros((len(s), self.dimension), dtype=np.float32) for s in spans or ()]
        if not texts:
            return out, pooled
        pieces: list[list[tuple[int, int]]] | None = None
        if spans is None:
            ids = self._tokenizer.ids(texts)
        else:
            ids, offsets = self._tokenizer.ids_and_offsets(texts)
            pieces = [piece_ranges(o, s) for o, s in zip(offsets, spans, strict=True)]
        # Longest first, by word pieces, so a batch pads to a length close to its own.
        order = sorted(range(len(texts)), key=lambda i: len(ids[i]), reverse=True)
        batches = [
            order[start : start + self.batch_size]
            for start in range(0, len(order), self.batch_size)
        ]

        def run(batch: list[int], session: Any = None) -> tuple[np.ndarray, list[np.ndarray]]:
            ranges = None if pieces is None else [pieces[i] for i in batch]
            return self._encode_ids([ids[i] for i in batch], session, ranges)

        with progress_bar(
            show_progress and len(texts) >= PROGRESS_MIN_TEXTS, len(texts)
        ) as advance:
            if len(batches) < BULK_MIN_BATCHES or self.workers == 1:
                # A query's or an answer's few texts: one session, all its intra-op threads,
                # lowest latency, and no second session in a process that only answers.
                done: Iterable[tuple[np.ndarray, list[np.ndarray]]] = map(run, batches)
            else:
                session, pool = self._bulk_workers()
                # The same batches as the sequential path (so the same padding and vectors);
                # the workers take them longest first as they free up, placed by index.
                done = pool.map(lambda batch: run(batch, session), batches)
            for batch, (vectors, span_vectors) in zip(batches, done, strict=True):
                out[batch] = vectors
                if spans is not None:
                    for i, rows in zip(batch, span_vectors, strict=True):
                        pooled[i] = rows
                advance(len(batch))
        return out, pooled

    def _bulk_workers(self) -> tuple[Any, ThreadPoolExecutor]:
        """The single-thread session and the `workers` threads that share it (made once)."""
        with self._bulk_lock:
            if self._bulk is None:
                pool = ThreadPoolExecutor(self.workers, thread_name_prefix="onnx-encode")
                self._bulk = (self._open_session(1), pool)
            return self._bulk

    def count_tokens(self, text: str) -> int:
        """Word pieces of text without special tokens, with the model's own tokenizer."""
        return self._tokenizer.count(text)

    def _encode_ids(
        self,
        rows: list[list[int]],
        session: Any = None,
        ranges: list[list[tuple[int, int]]] | None = None,
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """The rows' pooled vectors, and the vectors of each row's word-piece ranges."""
        width = max(len(r) for r in rows)
        input_ids = np.full((len(rows), width), self._tokenizer.pad_id, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for i, ids in enumerate(rows):
            input_ids[i, : len(ids)] = ids
            mask[i, : len(ids)] = 1
        feeds = {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": mask * 0}
        run = (session or self._session).run
        hidden = run(None, {n: feeds[n] for n in self._input_names})[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        span_vectors = []
        for row, row_ranges in enumerate(ranges or ()):
            vectors = np.zeros((len(row_ranges), self.dimension), dtype=np.float32)
            for n, (first, stop) in enumerate(row_ranges):
                if stop > first:
                    vectors[n] = hidden[row, first:stop].mean(axis=0)
            span_vectors.append(_unit_rows(vectors))
        return _unit_rows(pooled), span_vectors

    def _open_session(self, threads: int) -> Any:
        session, seconds = cached_session(
            self.model_file,
            threads,
            lambda: export_model(self.path, self.model_file, recipe=self.recipe),
        )
        if seconds is not None:
            self.export_seconds = seconds
        return session


def cached_session(
    model_file: Path, threads: int | None, export: Callable[[], float]
) -> tuple[Any, float | None]:
    """An ONNX Runtime session of a cached export, and the seconds `export()` took when it had
    to (re)write model_file first (None: the cache served). `threads`: intra-op threads (None:
    one per core this process may use)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or _cores()
    options.inter_op_num_threads = 1
    # Idle worker threads would otherwise spin after each call, taking a core from the
    # keyword search and SQLite reads that follow a query's embedding.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if model_file.is_file():
        try:
            session = ort.InferenceSession(
                str(model_file), options, providers=["CPUExecutionProvider"]
            )
            return session, None
        # ORT raises its own exception types (InvalidProtobuf, Fail, ...) for a bad file;
        # any of them means the cached file is unusable and is rebuilt below.
        except Exception:
            pass
    seconds = export()
    return ort.InferenceSession(
        str(model_file), options, providers=["CPUExecutionProvider"]
    ), seconds


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    """The rows L2-normalised (rows of zeros stay zeros), as float32."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


def piece_ranges(
    offsets: Sequence[tuple[int, int]], spans: Sequence[tuple[int, int]]
) -> list[tuple[int, int]]:
    """For each character span, the range [first, stop) of the word pieces wholly inside it,
    given each piece's character offsets (special tokens have empty ones and are never inside);
    (0, 0) when none is."""
    real = [j for j, (start, end) in enumerate(offsets) if end > start]
    starts = [offsets[j][0] for j in real]
    ends = [offsets[j][1] for j in real]
    ranges = []
    for start, end in spans:
        first, stop = bisect_left(starts, start), bisect_right(ends, end)
        ranges.append((real[first], real[stop - 1] + 1) if stop > first else (0, 0))
    return ranges


def default_cache_dir() -> Path:
    """The cache folder of exported models: $TQA_ONNX_CACHE or ~/.cache/transcript-qa/onnx."""
    raw = os.environ.get(CACHE_ENV)
    return Path(raw).expanduser() if raw else DEFAULT_CACHE_DIR.expanduser()


def cache_key(path: Path, recipe: Int8Recipe | None = None) -> str:
    """16 hex digits of the model folder, its weight files, the export tool versions and the
    int8 recipe (None: fp32)."""
    parts = [str(path.resolve()), _EXPORT, str(OPSET), recipe.key() if recipe else "fp32"]
    for package in ("torch", "transformers", "onnx", "onnxruntime"):
        parts.append(f"{package}={_version(package)}")
    for weights in sorted(path.glob("*.safetensors")) + sorted(path.glob("*.bin")):
        stat = weights.stat()
        parts.append(f"{weights.name}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:16]


def export_model(model_path: Path, target: Path, *, recipe: Int8Recipe | None = None) -> float:
    """Export the folder's transformer to ONNX (quantised by `recipe` if given), written
    atomically. Returns the seconds taken."""
    import time

    started = time.perf_counter()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".export-") as tmp:
        fp32 = Path(tmp) / "model.onnx"
        _export_fp32(model_path, fp32)
        if recipe is None:
            os.replace(fp32, target)
            return time.perf_counter() - started
        quantised = Path(tmp) / "model.int8.onnx"
        if recipe.smooth_alpha is not None:
            smoothed = Path(tmp) / "model.smoothed.onnx"
            smooth(fp32, smoothed, recipe, _calibration_feeds(model_path))
            fp32 = smoothed
        quantize(fp32, quantised, recipe)
        os.replace(quantised, target)
    return time.perf_counter() - started


def quantize(source: Path, target: Path, recipe: Int8Recipe) -> None:
    """Write source (an fp32 export) quantised to int8 by `recipe` (dynamic: 8-bit weights,
    activations quantised per call by ONNX Runtime)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(source), load_external_data=False).graph
    # Only MatMuls with a weight matrix: the two per layer between activations (attention
    # scores, scores x values) are left fp32 by dynamic quantisation anyway.
    chosen = [n.name for n in quantised_matmuls(graph, recipe)]
    root = logging.getLogger()
    level = root.level
    # quantize_dynamic logs a "consider pre-processing" warning on the root logger; the
    # pre-processing (shape inference) changes nothing for dynamic quantisation here.
    root.setLevel(logging.ERROR)
    try:
        quantize_dynamic(
            source,
            target,
            op_types_to_quantize=["MatMul", "Gather"] if recipe.embeddings else ["MatMul"],
            nodes_to_quantize=chosen + (_embedding_gathers(graph) if recipe.embeddings else []),
            per_channel=recipe.per_channel,
            reduce_range=recipe.reduce_range,
            weight_type=QuantType.QInt8 if recipe.weight_type == "qint8" else QuantType.QUInt8,
        )
    finally:
        root.setLevel(level)


def quantised_matmuls(graph: Any, recipe: Int8Recipe) -> list[Any]:
    """The MatMul nodes with a weight matrix that the recipe quantises."""
    weights = {i.name for i in graph.initializer}
    return [
        n
        for n in graph.node
        if n.op_type == "MatMul" and n.input[1] in weights and recipe.takes(n.name)
    ]


def smooth(
    source: Path, target: Path, recipe: Int8Recipe, feeds: list[dict[str, np.ndarray]]
) -> None:
    """Write source with SmoothQuant scales (recipe.smooth_alpha) on the inputs of the MatMuls
    the recipe quantises; the model computes the same function (to float rounding)."""
    import onnx
    import onnxruntime as ort
    from onnx import helper, numpy_helper

    alpha = recipe.smooth_alpha if recipe.smooth_alpha is not None else 0.5
    model = onnx.load(str(source))
    graph = model.graph
    matmuls = quantised_matmuls(graph, recipe)
    inputs = sorted({n.input[0] for n in matmuls})
    # The largest |activation| of each channel of each input, over the real (unpadded) tokens:
    # the inputs are made extra outputs of an unoptimised session.
    probe = onnx.load(str(source))
    for name in inputs:
        probe.graph.output.append(helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(
        probe.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    names = [o.name for o in session.get_outputs()]
    largest: dict[str, np.ndarray] = {}
    for feed in feeds:
        outputs = dict(zip(names, session.run(None, feed), strict=True))
        real = feed["attention_mask"].astype(bool)
        for name in inputs:
            found = np.abs(outputs[name])[real].max(axis=0)
            largest[name] = np.maximum(largest[name], found) if name in largest else found
    initializers = {i.name: i for i in graph.initializer}
    for name in inputs:
        group = [n for n in matmuls if n.input[0] == name]  # Q, K and V share their input
        weights = [numpy_helper.to_array(initializers[n.input[1]]) for n in group]
        weight_max = np.max([np.abs(w).max(axis=1) for w in weights], axis=0)
        scale = (np.maximum(largest[name], 1e-5) ** alpha) / (
            np.maximum(weight_max, 1e-5) ** (1 - alpha)
        )
        inverse = numpy_helper.from_array((1 / scale).astype(np.float32), f"{name}_smooth_inv")
        graph.initializer.append(inverse)
        smoothed = f"{name}_smoothed"
        mul = helper.make_node("Mul", [name, inverse.name], [smoothed], name=f"{name}_Smooth")
        # Placed right before the first node that reads it, so the graph stays sorted.
        first = next(i for i, n in enumerate(graph.node) if n in group)
        graph.node.insert(first, mul)
        for node, weight in zip(group, weights, strict=True):
            tensor = initializers[node.input[1]]
            tensor.CopyFrom(
                numpy_helper.from_array((weight * scale[:, None]).astype(np.float32), tensor.name)
            )
            node.input[0] = smoothed
    onnx.save(model, str(target))


def _calibration_feeds(model_path: Path, batch: int = 16) -> list[dict[str, np.ndarray]]:
    """Model inputs of the calibration texts, in padded batches."""
    text = (Path(__file__).parent / "data" / "calibration.txt").read_text(encoding="utf-8")
    texts = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    max_tokens, _ = _check_model_folder(model_path)
    pieces = WordPieces(model_path, max_tokens)
    rows = pieces.ids(texts)
    feeds = []
    for start in range(0, len(rows), batch):
        part = rows[start : start + batch]
        width = max(len(r) for r in part)
        ids = np.full((len(part), width), pieces.pad_id, dtype=np.int64)
        mask = np.zeros((len(part), width), dtype=np.int64)
        for i, row in enumerate(part):
            ids[i, : len(row)] = row
            mask[i, : len(row)] = 1
        feeds.append({"input_ids": ids, "attention_mask": mask, "token_type_ids": mask * 0})
    return feeds


def _embedding_gathers(graph: Any) -> list[str]:
    weights = {i.name for i in graph.initializer}
    return [n.name for n in graph.node if n.op_type == "Gather" and n.input[0] in weights]


def load_transformer(model_path: Path) -> Any:
    """The folder's transformer (torch, eval mode) as the ONNX exports trace it."""
    use_offline_hub()
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    try:
        # Eager attention traces to plain MatMul/Softmax that ONNX Runtime fuses and quantises.
        return AutoModel.from_pretrained(
            str(model_path), local_files_only=True, attn_implementation="eager"
        ).eval()
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot load embedding model from {model_path}: {exc}") from exc


def _export_fp32(model_path: Path, target: Path) -> None:
    import torch

    model = load_transformer(model_path)

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


def supports_onnx(path: Path) -> bool:
    """Whether the folder is a model this module can run (Transformer + mean pooling)."""
    try:
        _check_model_folder(path)
    except ModelError:
        return False
    return True


def _check_model_folder(path: Path) -> tuple[int, int]:
    """(max_tokens, dimension) of a Transformer + mean Pooling (+ Normalize) model folder."""
    if not path.is_dir():
        raise ModelError(f"embedding model folder not found: {path}")
    modules = _read_json(path / "modules.json")
    kinds = [m.get("type") for m in modules] if isinstance(modules, list) else None
    if not kinds or kinds[0] != _SUPPORTED_MODULES[0] or not set(kinds) <= set(_SUPPORTED_MODULES):
        raise ModelError(
            f"int8 ONNX supports Transformer + Pooling (+ Normalize) models; {path} has {kinds}"
        )
    pooling_dir = next(m["path"] for m in modules if m["type"] == _SUPPORTED_MODULES[1])
    pooling = _read_json(path / pooling_dir / "config.json")
    modes = [k for k, v in pooling.items() if k.startswith("pooling_mode_") and v]
    if modes != ["pooling_mode_mean_tokens"]:
        raise ModelError(f"int8 ONNX supports mean pooling only; {path} pools by {modes}")
    config = _read_json(path / "sentence_bert_config.json")
    max_tokens = int(config.get("max_seq_length") or 512)
    return max_tokens, int(pooling["word_embedding_dimension"])


class WordPieces:
    """The model's tokenizer: from its tokenizer.json with the `tokenizers` library when there is
    one (no transformers or torch import, which is most of a cold start), else transformers'."""

    def __init__(self, path: Path, max_tokens: int) -> None:
        self.max_tokens = max_tokens
        file = path / "tokenizer.json"
        self._fast: Any = None  # truncates to the model's limit, as the model sees a text
        self._counter: Any = None  # does not: counting past the limit is its point
        self._slow: Any = None
        if file.is_file():
            from tokenizers import Tokenizer

            try:
                self._fast = Tokenizer.from_file(str(file))
                self._counter = Tokenizer.from_file(str(file))
            except Exception as exc:  # the Rust library raises a bare Exception for a bad file
                raise ModelError(f"cannot load the tokenizer of {path}: {exc}") from exc
            # The file's own padding and truncation (128 for MiniLM) are not the model's limit.
            for tokenizer in (self._fast, self._counter):
                tokenizer.no_padding()
            self._fast.enable_truncation(max_length=max_tokens)
            self._counter.no_truncation()
            pad = _read_json(path / "tokenizer_config.json").get("pad_token", "[PAD]")
            pad_id = self._fast.token_to_id(pad if isinstance(pad, str) else "[PAD]")
        else:
            use_offline_hub()
            from transformers import AutoTokenizer

            try:
                self._slow = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
            except (OSError, ValueError) as exc:
                raise ModelError(f"cannot load the tokenizer of {path}: {exc}") from exc
            pad_id = self._slow.pad_token_id
        self.pad_id = int(pad_id) if pad_id is not None else 0

    def ids(self, texts: list[str]) -> list[list[int]]:
        """Word-piece ids of each text with the special tokens, cut to the model's limit."""
        if self._slow is not None:
            encoded = self._slow(texts, truncation=True, max_length=self.max_tokens, verbose=False)
            return [list(row) for row in encoded["input_ids"]]
        return [list(e.ids) for e in self._fast.encode_batch(texts, add_special_tokens=True)]

    @property
    def has_offsets(self) -> bool:
        """Whether ids_and_offsets works: a fast tokenizer maps pieces back to characters."""
        return self._slow is None or bool(getattr(self._slow, "is_fast", False))

    def ids_and_offsets(
        self, texts: list[str]
    ) -> tuple[list[list[int]], list[list[tuple[int, int]]]]:
        """ids (as `ids` gives them) and each piece's character offsets in its text."""
        if self._slow is not None:
            encoded = self._slow(
                texts,
                truncation=True,
                max_length=self.max_tokens,
                return_offsets_mapping=True,
                verbose=False,
            )
            return (
                [list(row) for row in encoded["input_ids"]],
                [[tuple(o) for o in row] for row in encoded["offset_mapping"]],
            )
        found = self._fast.encode_batch(texts, add_special_tokens=True)
        return [list(e.ids) for e in found], [list(e.offsets) for e in found]

    def count(self, text: str) -> int:
        """Word pieces of text without special tokens."""
        if self._slow is not None:
            return len(self._slow(text, add_special_tokens=False, verbose=False)["input_ids"])
        return len(self._counter.encode(text, add_special_tokens=False).ids)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read {path}: {exc}") from exc


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
