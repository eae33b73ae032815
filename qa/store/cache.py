"""The embedding cache (vectors by content hash, in the library database) and the encoder that
answers from it.

A vector is cached under embeddings.base.content_hash(text, model name), so a text embedded
once (a chunk, or a quotable sentence at ingest) is never sent to the model again.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol

import numpy as np

from embeddings.base import Encoder, content_hash, in_chunk_name
from qa.store.schema import SQL_IN_BATCH


class EmbeddingCache:
    """The embedding_cache table of a library database: float32 vectors by content hash."""

    def __init__(self, db: sqlite3.Connection, model_name: str) -> None:
        self._db = db
        self.model_name = model_name

    def get(self, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        """The cached vectors among those hashes (absent ones are left out)."""
        return {
            h: np.frombuffer(blob, dtype=np.float32)
            for h, blob in self._select("hash, vector", hashes)
        }

    def present(self, hashes: Sequence[str]) -> set[str]:
        """Those of the hashes the cache holds (their vectors are not read)."""
        return {row[0] for row in self._select("hash", hashes)}

    def _select(self, columns: str, hashes: Sequence[str]) -> Iterator[tuple[Any, ...]]:
        unique = list(dict.fromkeys(hashes))
        for start in range(0, len(unique), SQL_IN_BATCH):
            batch = unique[start : start + SQL_IN_BATCH]
            marks = ",".join("?" * len(batch))
            yield from self._db.execute(
                f"SELECT {columns} FROM embedding_cache WHERE hash IN ({marks})", batch
            )

    def put(self, vectors: Iterable[tuple[str, np.ndarray]]) -> None:
        """Store (hash, vector) pairs and commit at once. Called outside the library's write
        transaction (which this commit would end), so a killed ingest keeps its embedding work."""
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO embedding_cache(hash, vector) VALUES (?, ?)",
                [(h, v.astype(np.float32).tobytes()) for h, v in vectors],
            )

    def vectors(self, texts: Sequence[str], model_name: str | None = None) -> dict[str, np.ndarray]:
        """Vectors of those texts the cache holds for this library's model (or the name
        given), by text."""
        hashes = {content_hash(t, model_name or self.model_name): t for t in texts}
        return {hashes[h]: v for h, v in self.get(list(hashes)).items()}

    def sentence_vectors(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Vectors of those sentences the cache holds, by text: the one pooled in its chunk
        (embeddings.base.SpanEncoder) first, else the one encoded alone (an ingest with Ray
        workers, or a library ingested before pooling)."""
        found = self.vectors(texts, in_chunk_name(self.model_name))
        rest = [t for t in dict.fromkeys(texts) if t not in found]
        if rest:
            found.update(self.vectors(rest))
        return found


class _CachedEncoding(Protocol):
    """What StoredFirstEncoder needs of a library (qa.store.library.Library has it)."""

    encoder: Encoder
    cache: EmbeddingCache


class StoredFirstEncoder:
    """The library's encoder, answering from the vectors stored at ingest where it can (the
    quotable sentences; see Library.sentence_vectors and EmbeddingCache.sentence_vectors) and
    from the model for the rest."""

    def __init__(self, library: _CachedEncoding) -> None:
        self.library = library
        self.name = library.encoder.name
        self.dimension = library.encoder.dimension
        self.max_tokens = library.encoder.max_tokens

    def encode(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        """(len(texts), dimension) float32 array of L2-normalised rows, in input order."""
        found = self.library.cache.sentence_vectors(texts)
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            encoded = self.library.encoder.encode(missing, show_progress=show_progress)
            found.update(zip(missing, encoded, strict=True))
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            out[row] = found[text]
        return out

    def count_tokens(self, text: str) -> int:
        """Word pieces of text without special tokens, with the model's own tokenizer."""
        return self.library.encoder.count_tokens(text)
