"""What the index kinds share: the top k of a score vector, and a file replaced atomically."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np


def top_k(scores: np.ndarray, ids: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k best (score, id) pairs, best first; equal scores in id order, so a search gives the
    same ranking whichever order its candidates came in."""
    k = min(k, len(ids))
    top = np.argpartition(-scores, k - 1)[:k] if k < len(ids) else np.arange(len(ids))
    order = np.lexsort((ids[top], -scores[top]))
    return scores[top][order].astype(np.float32), ids[top][order].astype(np.int64)


@contextlib.contextmanager
def atomic_file(path: Path) -> Iterator[Path]:
    """A temp file in the target's folder, fsynced and renamed onto it on success."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
