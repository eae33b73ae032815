"""Text -> vectors (sentence-transformers or a hash fake) and the FAISS index on disk."""

from __future__ import annotations

from embeddings.encoder import (
    DEFAULT_MODEL,
    Encoder,
    HashEncoder,
    RememberingEncoder,
    SentenceTransformerEncoder,
    content_hash,
    load_encoder,
)
from embeddings.index import VectorIndex, choose_kind

__all__ = [
    "DEFAULT_MODEL",
    "Encoder",
    "HashEncoder",
    "RememberingEncoder",
    "SentenceTransformerEncoder",
    "VectorIndex",
    "choose_kind",
    "content_hash",
    "load_encoder",
]
