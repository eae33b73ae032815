"""What every encoder is: the Encoder protocol, the cache key of a vector, a memo of recent
values (Recent) and the remembering wrapper made with it, and the deterministic hash encoder
that unit tests use. Imports no model library."""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Generic, Protocol, TypeVar, runtime_checkable

import numpy as np

from embeddings.models import HASH_DEFAULT_DIMENSION

# Below this many texts a progress bar would only flash.
PROGRESS_MIN_TEXTS = 256
_WORD = re.compile(r"\w+")
K = TypeVar("K")
V = TypeVar("V")


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


# Vectors of sentences pooled from the word pieces of the chunk they sit in (see
# SpanEncoder) are cached under the model's name with this suffix: they differ from the
# vector of the sentence encoded alone, and the two kinds are never served for each other.
IN_CHUNK_SUFFIX = "+in-chunk"


def in_chunk_name(model_name: str) -> str:
    """The name under which the sentence vectors a SpanEncoder pools are cached."""
    return model_name + IN_CHUNK_SUFFIX


@runtime_checkable
class SpanEncoder(Encoder, Protocol):
    """An encoder that, in the one pass that embeds texts, also gives a vector to each of
    several character spans of each text: the mean of the word pieces inside the span, in the
    context of the whole text. Ingest takes its sentence vectors this way instead of encoding
    every sentence a second time."""

    pools_spans: bool  # False when this instance cannot (a tokenizer without offsets)

    def encode_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """(the texts' vectors as encode gives them, and per text a (len(spans[i]),
        dimension) array of L2-normalised span vectors). A span holding no whole word piece
        (or cut off by the model's limit) gets a row of zeros."""
        ...


def span_encoder(encoder: Encoder) -> SpanEncoder | None:
    """The encoder as a SpanEncoder when it pools spans, else None."""
    if isinstance(encoder, SpanEncoder) and encoder.pools_spans:
        return encoder
    return None


def content_hash(text: str, model_name: str) -> str:
    """SHA-256 hex of model name and text: the key under which an embedding is cached."""
    # The NUL separator keeps ("ab", "c") and ("a", "bc") apart.
    return hashlib.sha256(f"{model_name}\x00{text}".encode()).hexdigest()


class Recent(Generic[K, V]):
    """The values of the last `capacity` keys kept (least recently used out), safe across
    threads. A caller computes what it did not find outside the lock and keeps it after, so
    other conversations keep reading meanwhile."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be a positive integer, got {capacity}")
        self.capacity = capacity
        self._values: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def found(self, keys: Iterable[K]) -> dict[K, V]:
        """The values kept of these keys, each now the most recently used."""
        out: dict[K, V] = {}
        with self._lock:
            for key in keys:
                if key in self._values:
                    self._values.move_to_end(key)
                    out[key] = self._values[key]
        return out

    def keep(self, items: Iterable[tuple[K, V]]) -> None:
        """Keep these values, the oldest beyond `capacity` forgotten."""
        with self._lock:
            for key, value in items:
                self._values[key] = value
                self._values.move_to_end(key)
            while len(self._values) > self.capacity:
                self._values.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


class RememberingEncoder:
    """An encoder that keeps the vectors of the texts it encoded last (least recently used out).

    Questions repeat and follow-ups retrieve the same passages, so the answerer meets the same
    sentences again; their vectors come from here instead of the model. Safe across threads.
    """

    def __init__(self, encoder: Encoder, capacity: int = 20_000) -> None:
        self.encoder = encoder
        self.name = encoder.name
        self.dimension = encoder.dimension
        self.max_tokens = encoder.max_tokens
        self.hits = 0
        self.misses = 0
        self._vectors: Recent[str, np.ndarray] = Recent(capacity)
        self._counting = threading.Lock()

    def encode(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        """(len(texts), dimension) float32 array of L2-normalised rows, in input order."""
        texts = checked_texts(texts)
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        known = self._vectors.found(texts)
        missing: dict[str, list[int]] = {}
        for row, text in enumerate(texts):
            if text in known:
                out[row] = known[text]
            else:
                missing.setdefault(text, []).append(row)
        with self._counting:
            self.hits += len(texts) - sum(len(rows) for rows in missing.values())
            self.misses += len(missing)
        if missing:
            fresh = self.encoder.encode(list(missing), show_progress=show_progress)
            for rows, vector in zip(missing.values(), fresh, strict=True):
                out[rows] = vector
            self._vectors.keep(zip(missing, fresh, strict=True))
        return out

    def count_tokens(self, text: str) -> int:
        """Word pieces of text without special tokens, with the model's own tokenizer."""
        return self.encoder.count_tokens(text)

    def clear(self) -> None:
        """Forget every remembered vector (benchmarks measure answers from a cold cache)."""
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
        self.pools_spans = True
        self.max_tokens = max_tokens  # the real model's, so chunk budgets behave alike in tests
        self._cache: dict[str, np.ndarray] = {}

    def encode(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        """(len(texts), dimension) float32 array of L2-normalised rows, in input order."""
        texts = checked_texts(texts)
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            # A text without words still gets a unit vector: the one of the whole text.
            words = _WORD.findall(text.lower()) or [text]
            total = np.sum([self._word_vector(w) for w in words], axis=0)
            norm = float(np.linalg.norm(total))
            # Words that cancel out exactly are all but impossible; fall back to the text's own.
            out[row] = total / norm if norm > 1e-6 else self._word_vector("\x00" + text)
        return out

    def encode_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """The texts' vectors, and each span's: the span's words summed with a tenth of its
        text's vector, so that, like the model's, a span's vector depends on its context."""
        vectors = self.encode(texts)
        pooled = []
        for text, vector, text_spans in zip(texts, vectors, spans, strict=True):
            rows = np.zeros((len(text_spans), self.dimension), dtype=np.float32)
            for row, (start, end) in enumerate(text_spans):
                words = _WORD.findall(text[start:end].lower())
                if words:
                    total = np.sum([self._word_vector(w) for w in words], axis=0) + 0.1 * vector
                    rows[row] = total / max(float(np.linalg.norm(total)), 1e-6)
            pooled.append(rows)
        return vectors, pooled

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


def checked_texts(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("encode takes a sequence of texts, got a single str")
    texts = list(texts)
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"texts must be str, got {type(text).__name__} at position {i}")
    return texts


@contextmanager
def progress_bar(enabled: bool, total: int) -> Iterator[Callable[[int], None]]:
    """Yield advance(n); draws a transient rich bar on stderr when enabled."""
    if not enabled:
        yield lambda n: None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("Embedding", total=total)
        yield lambda n: progress.advance(task, n)
