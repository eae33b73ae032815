"""A sentence-transformers model loaded from disk, never from a hub.

sentence-transformers (and torch) are imported only when such a model is loaded, so importing
this module, and `tqa --help`, stay fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.base import PROGRESS_MIN_TEXTS, checked_texts, progress_bar
from embeddings.errors import ModelError
from embeddings.models import DEFAULT_MODEL, resolve_model
from embeddings.offline import use_offline_hub


class SentenceTransformerEncoder:
    """A sentence-transformers model loaded from disk, never from a hub."""

    def __init__(
        self, model: str = DEFAULT_MODEL, *, batch_size: int = 32, device: str = "cpu"
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size}")
        self.name, path = resolve_model(model)
        self.batch_size = batch_size
        self._model = _load_sentence_transformer(path, device)
        dimension = self._model.get_embedding_dimension()
        if not dimension:
            raise ModelError(f"embedding model {model!r} does not report its dimension")
        self.dimension: int = int(dimension)
        self.max_tokens: int = int(self._model.max_seq_length)
        self._tokenizer = self._model.tokenizer

    def encode(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        """(len(texts), dimension) float32 array of L2-normalised rows, in input order."""
        texts = checked_texts(texts)
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        # Longest first, so texts of similar length share a batch and padding stays small.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        with progress_bar(
            show_progress and len(texts) >= PROGRESS_MIN_TEXTS, len(texts)
        ) as advance:
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


def _load_sentence_transformer(path: Path, device: str) -> Any:
    use_offline_hub()  # before the import: huggingface_hub reads it once, at import time
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    # transformers 5 draws a "Loading weights" bar on every load; the CLI has its own output.
    bar_was_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        return SentenceTransformer(str(path), device=device, local_files_only=True)
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot load embedding model from {path}: {exc}") from exc
    finally:
        if bar_was_on:
            hf_logging.enable_progress_bar()
