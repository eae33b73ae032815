"""A FAISS inner-product index whose int64 ids are chunk ids, saved atomically.

Three kinds: "flat" (exact) and "hnsw" (approximate), each one FAISS file, and "ivfpq"
(compressed codes re-ranked from memory-mapped float16 vectors, for libraries of millions of
chunks: embeddings.compressed, a FAISS file plus two side files). HNSW cannot remove vectors, so
a removed vector stays stored with its id replaced by a negative tombstone in the id map; every
search excludes negative ids, and the tombstones travel with the index in the same FAISS file.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import faiss as _faiss
import numpy as np

from embeddings.arrays import atomic_file, top_k
from embeddings.compressed import CompressedIndex, VectorStore
from embeddings.errors import IndexFileError
from embeddings.models import INDEX_KINDS

# faiss ships an incomplete __init__.pyi (no SearchParametersHNSW, no callback IO, base-class
# return types), so it is used untyped here.
faiss: Any = _faiss

HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
# Measured recall@10 vs exact at 1M vectors: the 11,917 chunk vectors of the 508 kremlin.ru
# pages plus mixtures of pairs of them (make bench, stage million): 0.882 at 256, 0.950 at 512,
# 0.985 at 1024 (p95 5.4 ms), 0.994 at 2048 (p95 10.9 ms); a flat scan takes p95 332 ms there.
# (Over kremlin.ru sentence vectors, a less clustered set, 256 already gave 0.977.)
HNSW_EF_SEARCH = 1024
# A filtered HNSW search scores the allowed ids exactly when they are at most this many, or
# fewer than this fraction of the index: a graph walk restricted to a subset misses hits
# (measured recall@10 at 1M: 0.57 for 2k allowed ids, 0.81 for 100k, 0.91 for 300k), while an
# exact scan of m allowed vectors costs about m/n of a flat search.
EXACT_FILTER_MAX = 20_000
EXACT_FILTER_FRACTION = 0.5
# Exact scoring of at most this many vectors copies them out and multiplies in NumPy; above it
# FAISS scans the flat storage skipping non-members (measured crossover: 1k-5k at 100k vectors).
_GATHER_MAX = 2048
# A filtered HNSW walk that comes back short is retried with efSearch this many times larger,
# up to _EF_SEARCH_CAP, then falls back to exact scoring.
_EF_GROWTH = 4
_EF_SEARCH_CAP = 4096
_INT64_MAX = np.iinfo(np.int64).max
# auto builds ivfpq above this many vectors. Memory decides: HNSW32 over float32 vectors keeps
# ~1.87 KB a vector (1,536 B vector, 256 B level-0 links, ids), 1.8 GB at 10^6 and 18 GB at 10^7,
# against ~64 B for ivfpq (48 B codes, 8 B id in its list, 8 B sorted id). At 10^6 (make bench,
# stages million and ten_million) HNSW gives recall@10 0.985, p95 5.4 ms; ivfpq (1,000
# re-ranked) 0.967, p95 26 ms, in 62.5 MB: below 10^6 HNSW fits and is better, above it only
# ivfpq fits 2 GB.
COMPRESSED_THRESHOLD = 1_000_000
# Vectors copied per batch when an index changes kind (bounds the transient float32 copy).
_COPY_BATCH = 100_000


def choose_kind(
    setting: str,
    n_vectors: int,
    auto_threshold: int,
    compressed_threshold: int = COMPRESSED_THRESHOLD,
) -> str:
    """The index kind for a setting: "auto" picks hnsw above auto_threshold vectors and ivfpq
    above compressed_threshold (and above auto_threshold)."""
    if setting == "auto":
        if n_vectors > max(auto_threshold, compressed_threshold):
            return "ivfpq"
        return "hnsw" if n_vectors > auto_threshold else "flat"
    if setting not in INDEX_KINDS:
        raise ValueError(f"index_kind must be auto, flat, hnsw or ivfpq, got {setting!r}")
    return setting


class VectorIndex:
    """Unit vectors keyed by non-negative int64 ids, searched by inner product."""

    def __init__(self, index: Any, kind: str, compressed: CompressedIndex | None = None) -> None:
        """Wrap a FAISS IndexIDMap2 (flat, hnsw) or a CompressedIndex (ivfpq); use create() or
        load() instead."""
        # (id map, live ids ascending, their positions), rebuilt after add or remove
        self._lookup: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self.kind = kind
        self._compressed = compressed
        # the FAISS IndexIDMap2 and its inner index (None for ivfpq)
        self._index: Any = None
        self._inner: Any = None
        if compressed is not None:
            self.dimension: int = compressed.dimension
            self._tombstones = 0
            return
        self._index = index
        self._inner = faiss.downcast_index(index.index)
        self.dimension = int(index.d)
        self._tombstones = int(np.count_nonzero(self._id_map() < 0))

    @property
    def compressed(self) -> CompressedIndex | None:
        """The ivfpq index behind this one (None for flat and hnsw): training, probes, memory."""
        return self._compressed

    @classmethod
    def create(
        cls, dimension: int, kind: str = "flat", *, ef_search: int = HNSW_EF_SEARCH
    ) -> VectorIndex:
        """An empty index of the given kind ("flat", "hnsw" or "ivfpq")."""
        if dimension < 1:
            raise ValueError(f"dimension must be a positive integer, got {dimension}")
        if kind == "ivfpq":
            return cls(None, kind, CompressedIndex(dimension, None, VectorStore(dimension)))
        if kind == "flat":
            inner = faiss.IndexFlatIP(dimension)
        elif kind == "hnsw":
            inner = faiss.IndexHNSWFlat(dimension, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            inner.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        else:
            raise ValueError(f"kind must be flat, hnsw or ivfpq, got {kind!r}")
        index = faiss.IndexIDMap2(inner)  # the faiss wrapper keeps a reference to inner
        created = cls(index, kind)
        if kind == "hnsw":
            created.ef_search = ef_search
        return created

    @property
    def ef_search(self) -> int:
        """HNSW search breadth (saved with the index); 0 for flat."""
        if self.kind != "hnsw":
            return 0
        return int(self._inner.hnsw.efSearch)

    @ef_search.setter
    def ef_search(self, value: int) -> None:
        if self.kind != "hnsw":
            raise ValueError("ef_search applies to hnsw indexes only")
        if value < 1:
            raise ValueError(f"ef_search must be a positive integer, got {value}")
        self._inner.hnsw.efSearch = int(value)

    @property
    def tombstones(self) -> int:
        """Removed vectors still stored (hnsw only); rebuild when they pile up."""
        return self._tombstones

    def __len__(self) -> int:
        if self._compressed is not None:
            return len(self._compressed)
        return int(self._index.ntotal) - self._tombstones

    def copy(self, kind: str | None = None) -> VectorIndex:
        """A new index (of `kind`, by default this one's) holding this one's live vectors; an
        ivfpq copy of an ivfpq index keeps its training, one of another kind is trained once
        on all the vectors."""
        kind = kind or self.kind
        if self._compressed is not None and kind == "ivfpq":
            return VectorIndex(None, kind, self._compressed.copy())
        copied = VectorIndex.create(self.dimension, kind)
        ids = self.ids()
        for start in range(0, len(ids), _COPY_BATCH):
            part = ids[start : start + _COPY_BATCH]
            if copied._compressed is not None:
                copied._compressed.add(part, self.vectors(part), train=False)
            else:
                copied.add(part, self.vectors(part))
        if copied._compressed is not None:
            copied._compressed.train_if_due()
        return copied

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors under ids; ids must be new, unique and non-negative."""
        ids = np.asarray(ids)
        if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer):
            raise ValueError(f"ids must be a 1-D integer array, got shape {ids.shape} {ids.dtype}")
        vectors = np.asarray(vectors)
        if vectors.dtype != np.float32:
            raise ValueError(f"vectors must be float32, got {vectors.dtype}")
        if vectors.ndim != 2 or vectors.shape[1] != self.dimension:
            raise ValueError(f"vectors must have shape (n, {self.dimension}), got {vectors.shape}")
        if len(ids) != len(vectors):
            raise ValueError(f"got {len(ids)} ids for {len(vectors)} vectors")
        if len(ids) == 0:
            return
        ids = ids.astype(np.int64)
        if ids.min() < 0:
            raise ValueError(f"ids must be non-negative, got {int(ids.min())}")
        unique, counts = np.unique(ids, return_counts=True)
        if len(unique) != len(ids):
            raise ValueError(f"duplicate ids in one add: {unique[counts > 1][:10].tolist()}")
        present = ids[self._present(ids)]
        if len(present):
            raise ValueError(f"ids already in the index: {present[:10].tolist()}")
        if self._compressed is not None:
            self._compressed.add(ids, np.ascontiguousarray(vectors))
            return
        self._index.add_with_ids(np.ascontiguousarray(vectors), ids)
        self._lookup = None

    def remove(self, ids: Iterable[int]) -> int:
        """Remove the given ids; returns how many were in the index."""
        wanted = np.unique(np.fromiter(ids, dtype=np.int64))
        if self._compressed is not None:
            return self._compressed.remove(wanted)
        positions = self._positions(wanted)
        positions = positions[positions >= 0]
        if len(positions) == 0:
            return 0
        if self.kind == "flat":
            removed = int(self._index.remove_ids(faiss.IDSelectorBatch(wanted)))
        else:
            id_map = self._id_map()
            # Unique negative tombstones keep the id map one-to-one, as IndexIDMap2 expects.
            id_map[positions] = -2 - positions
            faiss.copy_array_to_vector(id_map, self._index.id_map)
            self._index.construct_rev_map()
            removed = len(positions)
            self._tombstones += removed
        self._lookup = None
        return removed

    def ids(self) -> np.ndarray:
        """All live ids, ascending."""
        if self._compressed is not None:
            return self._compressed.store.ids()
        return self._cached()[1].copy()

    def vectors(self, ids: Iterable[int] | np.ndarray) -> np.ndarray:
        """The stored vectors of ids, in the order given."""
        wanted = np.fromiter(ids, dtype=np.int64) if not isinstance(ids, np.ndarray) else ids
        wanted = np.asarray(wanted, dtype=np.int64).reshape(-1)
        if self._compressed is not None:
            # float16 storage: exact to about 1e-3 of each component
            return self._compressed.store.get(wanted)
        positions = self._positions(wanted)
        missing = wanted[positions < 0]
        if len(missing):
            raise ValueError(f"ids not in the index: {missing[:10].tolist()}")
        return self._storage()[positions].copy()

    def search(
        self, query: np.ndarray, k: int, *, allowed_ids: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) of the k best vectors for one query, best first, within allowed_ids."""
        query = np.asarray(query, dtype=np.float32)
        if query.shape != (self.dimension,):
            raise ValueError(f"query must have shape ({self.dimension},), got {query.shape}")
        if k < 1:
            raise ValueError(f"k must be greater than 0, got {k}")
        if self._compressed is not None:
            allowed = None
            if allowed_ids is not None:
                allowed = np.unique(np.asarray(allowed_ids, dtype=np.int64).reshape(-1))
                allowed = allowed[self._compressed.store.contains(allowed)]
            return self._compressed.search(query, k, allowed)
        if allowed_ids is None:
            if len(self) == 0:
                return _empty()
            if self.kind == "flat":
                return _hits(*self._index.search(query[None, :], min(k, len(self))))
            return self._search_hnsw(query, k, None, self._live_positions())
        allowed = np.unique(np.asarray(allowed_ids, dtype=np.int64).reshape(-1))
        positions = self._positions(allowed)
        allowed, positions = allowed[positions >= 0], positions[positions >= 0]
        if len(positions) == 0:
            return _empty()
        m = len(positions)
        if self.kind == "flat" or m <= EXACT_FILTER_MAX or m < EXACT_FILTER_FRACTION * len(self):
            return self._search_exact(query, k, positions)
        return self._search_hnsw(query, k, allowed, positions)

    def save(self, path: Path) -> None:
        """Write the index to path atomically (temp file in the same folder, fsync, rename)."""
        path = Path(path)
        if self._compressed is not None:
            self._compressed.save(path)
            _fsync_dir(path.parent)
            return
        with atomic_file(path) as tmp, open(tmp, "wb") as f:
            faiss.write_index(self._index, faiss.PyCallbackIOWriter(f.write))
        _fsync_dir(path.parent)

    @classmethod
    def load(cls, path: Path) -> VectorIndex:
        """Read an index written by save()."""
        path = Path(path)
        if not path.is_file():
            raise IndexFileError(f"vector index not found: {path}")
        try:
            with open(path, "rb") as f:
                index = faiss.read_index(faiss.PyCallbackIOReader(f.read))
        except RuntimeError as exc:
            raise IndexFileError(f"{path}: not a readable FAISS index ({exc})") from exc
        if isinstance(index, faiss.IndexIVF):
            if index.metric_type != faiss.METRIC_INNER_PRODUCT:
                raise IndexFileError(f"{path}: expected an inner-product index")
            return cls(None, "ivfpq", CompressedIndex.from_loaded(index, path))
        if not isinstance(index, faiss.IndexIDMap2):
            raise IndexFileError(f"{path}: expected an IndexIDMap2, got {type(index).__name__}")
        inner = faiss.downcast_index(index.index)
        if inner.metric_type != faiss.METRIC_INNER_PRODUCT:
            raise IndexFileError(f"{path}: expected an inner-product index")
        if isinstance(inner, faiss.IndexHNSWFlat):
            kind = "hnsw"
        elif isinstance(inner, faiss.IndexFlat):
            kind = "flat"
        else:
            raise IndexFileError(f"{path}: unsupported inner index {type(inner).__name__}")
        return cls(index, kind)

    # -- internals ---------------------------------------------------------------------------

    def _present(self, ids: np.ndarray) -> np.ndarray:
        """Which of ids are live."""
        if self._compressed is not None:
            return self._compressed.store.contains(ids)
        return self._positions(ids) >= 0

    def _id_map(self) -> np.ndarray:
        """Id of each stored position (negative: a removed hnsw vector); a copy."""
        return faiss.vector_to_array(self._index.id_map).astype(np.int64, copy=False)

    def _storage(self) -> np.ndarray:
        """Zero-copy (ntotal, dimension) view of the stored vectors; invalid after add()."""
        flat = self._inner if self.kind == "flat" else faiss.downcast_index(self._inner.storage)
        n = int(flat.ntotal)
        if n == 0:
            return np.empty((0, self.dimension), dtype=np.float32)
        return faiss.rev_swig_ptr(flat.get_xb(), n * self.dimension).reshape(n, self.dimension)

    def _cached(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(id map, live ids ascending, their stored positions), kept until add or remove."""
        if self._lookup is None:
            id_map = self._id_map()
            live = np.flatnonzero(id_map >= 0)
            order = np.argsort(id_map[live], kind="stable")
            self._lookup = (id_map, id_map[live][order], live[order])
        return self._lookup

    def _positions(self, ids: np.ndarray) -> np.ndarray:
        """Stored position of each id, -1 where the id is not live."""
        _, sorted_ids, positions = self._cached()
        if len(sorted_ids) == 0:
            return np.full(len(ids), -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(sorted_ids, ids), len(sorted_ids) - 1)
        return np.where(sorted_ids[at] == ids, positions[at], -1)

    def _live_positions(self) -> np.ndarray:
        return self._cached()[2]

    def _search_exact(
        self, query: np.ndarray, k: int, positions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Exact top-k among the stored positions given."""
        k = min(k, len(positions))
        scores: np.ndarray
        if len(positions) <= _GATHER_MAX:
            return top_k(self._storage()[positions] @ query, self._cached()[0][positions], k)
        # A large subset: let FAISS scan the flat storage, skipping non-members, without a copy.
        flat = self._inner if self.kind == "flat" else faiss.downcast_index(self._inner.storage)
        selector = faiss.IDSelectorBatch(positions)
        params = faiss.SearchParameters(sel=selector)
        scores, found = flat.search(query[None, :], k, params=params)
        keep = found[0] >= 0
        return scores[0][keep], self._cached()[0][found[0][keep]]

    def _search_hnsw(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None, positions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Graph search over live (and allowed) ids; exact when the walk cannot fill k."""
        want = min(k, len(positions))
        cap = max(_EF_SEARCH_CAP, want)
        # A walk that skips non-members keeps about m/len(self) of the nodes it visits.
        ef = min(cap, max(want, math.ceil(self.ef_search * len(self) / len(positions))))
        if allowed is not None:
            selector: Any = faiss.IDSelectorBatch(allowed)
        elif self._tombstones:
            selector = faiss.IDSelectorRange(0, _INT64_MAX)  # live ids are the non-negative ones
        else:
            selector = None
        while True:
            params = faiss.SearchParametersHNSW(sel=selector, efSearch=ef)
            scores, ids = _hits(*self._index.search(query[None, :], want, params=params))
            if len(ids) >= want:
                return scores, ids
            if ef >= cap:
                return self._search_exact(query, k, positions)
            ef = min(ef * _EF_GROWTH, cap)


def _hits(scores: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row 0 of a FAISS result without the -1 padding."""
    keep = ids[0] >= 0
    return scores[0][keep].astype(np.float32), ids[0][keep].astype(np.int64)


def _empty() -> tuple[np.ndarray, np.ndarray]:
    return np.empty(0, dtype=np.float32), np.empty(0, dtype=np.int64)


def _fsync_dir(folder: Path) -> None:
    """Make a rename in folder durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
