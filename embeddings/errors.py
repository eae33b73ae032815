"""The errors of the embeddings layer. It stands alone: the application above turns these into
its own messages (qa.runtime, qa.store)."""

from __future__ import annotations


class EmbeddingsError(Exception):
    """Base class of the errors below."""


class ModelError(EmbeddingsError):
    """An embedding model cannot be found, loaded or run as asked; the message says why."""


class IndexFileError(EmbeddingsError):
    """A vector index file is missing or is not an index this package writes."""
