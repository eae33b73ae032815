"""Text -> vectors (ONNX Runtime or sentence-transformers, or a hash fake for tests) and the FAISS
index on disk. The bottom layer: it imports nothing of the application above it."""

from __future__ import annotations

from embeddings.base import Encoder, HashEncoder, RememberingEncoder, content_hash
from embeddings.errors import EmbeddingsError, IndexFileError, ModelError
from embeddings.index import VectorIndex, choose_kind
from embeddings.loading import load_encoder
from embeddings.models import DEFAULT_MODEL
from embeddings.sentence_transformer import SentenceTransformerEncoder

__all__ = [
    "DEFAULT_MODEL",
    "EmbeddingsError",
    "Encoder",
    "HashEncoder",
    "IndexFileError",
    "ModelError",
    "RememberingEncoder",
    "SentenceTransformerEncoder",
    "VectorIndex",
    "choose_kind",
    "content_hash",
    "load_encoder",
]
