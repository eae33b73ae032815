"""The compressed index kind "ivfpq": FAISS IVF with product quantisation, re-ranked exactly.

In memory: an IndexIVFPQ (per vector PQ_M one-byte codes plus its 8-byte id, ~56 bytes at 384
dimensions, against 1,536 for flat and ~1,800 for HNSW) and the sorted ids of the stored vectors.
Beside it, every vector as float16 in a side file that is memory-mapped, not read: a search asks
the IVF for RERANK_CANDIDATES candidates and scores only those exactly, so the page cache holds
what is hot and the index's own memory stays ~0.6 GB at 10^7 vectors.

Files of one generation: `<path>` (the FAISS index), `<path>.ids.npy` (int64 ids, ascending) and
`<path>.vectors.npy` (float16 rows in that order). Each is written to a temp file, fsynced and
renamed, the side files first, so a readable `<path>` always has its side files.

Training: the IVF centroids and PQ codebooks are learnt from a seeded sample of the index's own
vectors, once it holds MIN_TRAIN_VECTORS (below that every search is exact over the stored
vectors, which is then cheaper anyway). The list count follows the size (`nlist_for`); when the
index has grown or shrunk so that `nlist_for` differs from the trained list count by a factor of
RETRAIN_FACTOR or more (4x growth), it is retrained from a new sample and every vector is
re-added — the cost of a retraining is that of a build, and sizes grow geometrically between
them, so a library built batch by batch pays at most about a third more than one built at once.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import faiss as _faiss
import numpy as np

from embeddings.arrays import atomic_file, top_k
from embeddings.errors import IndexFileError

faiss: Any = _faiss  # see embeddings.index: faiss's stubs are incomplete

# One PQ sub-quantiser per 8 dimensions: 48 bytes a vector at 384. At 10^6 vectors (the kremlin
# chunk vectors plus mixtures, IVF1024) the probes limit recall more than the codes do: with
# 1,000 candidates re-ranked, recall@10 was 0.84 at nprobe 32 and 0.91 at 64, and more codes
# per vector (96 bytes) would double the memory; PQ96 and OPQ were not measured to the end.
PQ_DIMS_PER_CODE = 8
PQ_BITS = 8
# Lists probed per query and candidates scored exactly from the float16 side file. Measured
# (python -m benchmarks.bench --stages ten_million --ten-million-size N), recall@10 / p95:
#   nprobe + re-ranked   10^6 (IVF1024)     3x10^6 (IVF2048)
#   32 + 200             0.853 / 11 ms      0.818 /  8 ms
#   64 + 500             0.936 / 22 ms      0.913 / 11 ms
#   128 + 500            0.953 / 19 ms      0.921 / 15 ms
#   128 + 1000           0.967 / 26 ms      0.955 / 21 ms
#   256 + 1000           0.979 / 32 ms      0.961 / 31 ms
#   128 + 2000                              0.969 / 25 ms
#   128 + 3000                              0.973 / 28 ms
# Doubling the probes gains less than doubling the re-ranked candidates as the index grows:
# the PQ order, not the lists, loses the neighbours of a denser collection. 2,000 re-ranked
# keeps recall@10 above 0.95 with a margin for 10^7 (extrapolated, README "Index kinds").
NPROBE = 128
RERANK_CANDIDATES = 2000
MIN_TRAIN_VECTORS = 2048
# Training points per list (FAISS warns below 39); capped so training stays a minute at 10^7.
TRAIN_PER_LIST = 64
MAX_TRAIN_VECTORS = 262_144
MIN_NLIST, MAX_NLIST = 16, 8192
RETRAIN_FACTOR = 2
SEED = 1234
# A filtered search scores the allowed ids exactly up to this many (a gather of 20k float16 rows
# costs a few ms); above it the IVF scan skips non-members, probing more lists the fewer they are.
EXACT_FILTER_MAX = 20_000
_BATCH = 131_072


def nlist_for(n_vectors: int) -> int:
    """The IVF list count for n vectors: the power of two nearest sqrt(n), within bounds."""
    if n_vectors < 1:
        return MIN_NLIST
    exponent = round(math.log2(math.sqrt(n_vectors)))
    return int(min(MAX_NLIST, max(MIN_NLIST, 2**exponent)))


def pq_m_for(dimension: int) -> int:
    """Sub-quantisers for a dimension: one per PQ_DIMS_PER_CODE dimensions, dividing it."""
    target = max(1, dimension // PQ_DIMS_PER_CODE)
    return max(m for m in range(1, target + 1) if dimension % m == 0)


def needs_retraining(trained_nlist: int, n_vectors: int) -> bool:
    """Whether an index trained with trained_nlist lists should be retrained at n_vectors."""
    wanted = nlist_for(n_vectors)
    return wanted >= RETRAIN_FACTOR * trained_nlist or wanted * RETRAIN_FACTOR <= trained_nlist


class VectorStore:
    """float16 vectors keyed by int64 ids: a saved base (memory-mapped, never written), rows
    removed from it, and rows added since (in memory until the next save)."""

    def __init__(
        self,
        dimension: int,
        base_ids: np.ndarray | None = None,
        base_vectors: np.ndarray | None = None,
    ) -> None:
        self.dimension = dimension
        self._base_ids = base_ids if base_ids is not None else np.empty(0, dtype=np.int64)
        self._base_vectors = (
            base_vectors if base_vectors is not None else np.empty((0, dimension), dtype=np.float16)
        )
        self._base_live = np.ones(len(self._base_ids), dtype=bool)
        self._base_removed = 0  # count of False in _base_live, so len() is O(1) per search
        self._new_ids = np.empty(0, dtype=np.int64)  # ascending
        self._new_vectors = np.empty((0, dimension), dtype=np.float16)

    def __len__(self) -> int:
        return len(self._base_ids) - self._base_removed + len(self._new_ids)

    def copy(self) -> VectorStore:
        """A store sharing this one's read-only base; later changes stay apart."""
        copied = VectorStore(self.dimension, self._base_ids, self._base_vectors)
        copied._base_live = self._base_live.copy()
        copied._base_removed = self._base_removed
        copied._new_ids = self._new_ids.copy()
        copied._new_vectors = self._new_vectors.copy()
        return copied

    def has_pending(self) -> bool:
        """Whether rows were added or removed since the base was saved."""
        return len(self._new_ids) > 0 or self._base_removed > 0

    def ids(self) -> np.ndarray:
        """Every stored id, ascending."""
        return np.sort(np.concatenate([self._base_ids[self._base_live], self._new_ids]))

    def contains(self, ids: np.ndarray) -> np.ndarray:
        """A boolean mask: which of ids are stored."""
        in_base, rows = self._locate(self._base_ids, ids)
        in_base[in_base] = self._base_live[rows[in_base]]
        in_new, _ = self._locate(self._new_ids, ids)
        return in_base | in_new

    def get(self, ids: np.ndarray) -> np.ndarray:
        """float32 vectors of ids (all stored), in the order given."""
        out = np.empty((len(ids), self.dimension), dtype=np.float32)
        in_base, rows = self._locate(self._base_ids, ids)
        in_base[in_base] &= self._base_live[rows[in_base]]
        if in_base.any():
            # Rows read in ascending order touch the memory map's pages once each.
            order = np.argsort(rows[in_base], kind="stable")
            where = np.flatnonzero(in_base)[order]
            out[where] = self._base_vectors[rows[in_base][order]]
        rest = ~in_base
        if rest.any():
            found, new_rows = self._locate(self._new_ids, ids[rest])
            if not found.all():
                raise ValueError(f"ids not in the index: {ids[rest][~found][:10].tolist()}")
            out[rest] = self._new_vectors[new_rows]
        return out

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Store new ids (the caller checked they are not stored)."""
        all_ids = np.concatenate([self._new_ids, ids])
        order = np.argsort(all_ids, kind="stable")
        self._new_ids = all_ids[order]
        self._new_vectors = np.concatenate([self._new_vectors, vectors.astype(np.float16)])[order]

    def remove(self, ids: np.ndarray) -> np.ndarray:
        """Forget ids; returns those that were stored."""
        in_base, rows = self._locate(self._base_ids, ids)
        in_base[in_base] &= self._base_live[rows[in_base]]
        self._base_live[rows[in_base]] = False
        self._base_removed += int(np.count_nonzero(in_base))
        in_new, new_rows = self._locate(self._new_ids, ids)
        if in_new.any():
            keep = np.ones(len(self._new_ids), dtype=bool)
            keep[new_rows[in_new]] = False
            self._new_ids, self._new_vectors = self._new_ids[keep], self._new_vectors[keep]
        return ids[in_base | in_new]

    def batches(self, size: int = _BATCH) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(ids, float32 vectors) of every stored vector, ascending ids, size at a time."""
        ids = self.ids()
        for start in range(0, len(ids), size):
            chunk = ids[start : start + size]
            yield chunk, self.get(chunk)

    def sample(self, count: int, seed: int = SEED) -> np.ndarray:
        """float32 vectors of count stored ids drawn without replacement (seeded)."""
        ids = self.ids()
        rng = np.random.default_rng(seed)
        picked = np.sort(rng.choice(len(ids), size=min(count, len(ids)), replace=False))
        return self.get(ids[picked])

    def save(self, path: Path) -> None:
        """Write `<path>.ids.npy` and `<path>.vectors.npy` atomically, rows by ascending id."""
        ids = self.ids()
        with atomic_file(_ids_path(path)) as tmp, open(tmp, "wb") as handle:
            np.save(handle, ids)  # (given a name, np.save would append ".npy" to it)
        with atomic_file(_vectors_path(path)) as tmp:
            out = np.lib.format.open_memmap(
                tmp, mode="w+", dtype=np.float16, shape=(len(ids), self.dimension)
            )
            for start in range(0, len(ids), _BATCH):
                chunk = ids[start : start + _BATCH]
                out[start : start + len(chunk)] = self.get(chunk).astype(np.float16)
            out.flush()
            del out

    @classmethod
    def load(cls, path: Path, dimension: int) -> VectorStore:
        """The store saved beside the index file path, memory-mapped."""
        try:
            ids = np.load(_ids_path(path))
            vectors = np.load(_vectors_path(path), mmap_mode="r")
        except (OSError, ValueError) as exc:
            raise IndexFileError(f"{path}: stored vectors unreadable or missing ({exc})") from exc
        if ids.dtype != np.int64 or vectors.shape != (len(ids), dimension):
            raise IndexFileError(
                f"{path}: stored vectors have shape {vectors.shape} for {len(ids)} ids "
                f"of dimension {dimension}"
            )
        return cls(dimension, ids, vectors)

    @staticmethod
    def _locate(sorted_ids: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(found mask, row of each found id) of ids in an ascending id array."""
        if len(sorted_ids) == 0:
            return np.zeros(len(ids), dtype=bool), np.zeros(len(ids), dtype=np.int64)
        rows = np.minimum(np.searchsorted(sorted_ids, ids), len(sorted_ids) - 1)
        return sorted_ids[rows] == ids, rows


class CompressedIndex:
    """IVF-PQ candidates re-ranked from the float16 store; exact while untrained."""

    def __init__(self, dimension: int, ivf: Any | None, store: VectorStore) -> None:
        self.dimension = dimension
        self._ivf = ivf  # None until trained
        self.store = store
        self.nprobe = NPROBE
        self.rerank = RERANK_CANDIDATES

    @property
    def nlist(self) -> int:
        """IVF lists of the trained index; 0 while untrained."""
        return 0 if self._ivf is None else int(self._ivf.nlist)

    def memory_bytes(self) -> int:
        """Bytes the index holds in memory (codes, their ids, centroids, the sorted ids); the
        memory-mapped float16 vectors are not counted."""
        total = self.store.ids().nbytes
        if self._ivf is not None:
            total += int(self._ivf.ntotal) * (int(self._ivf.code_size) + 8)
            total += self.nlist * self.dimension * 4
        return total

    def __len__(self) -> int:
        return len(self.store)

    def copy(self) -> CompressedIndex:
        """A copy keeping the training; the store's saved base is shared, read-only."""
        ivf = None if self._ivf is None else faiss.clone_index(self._ivf)
        copied = CompressedIndex(self.dimension, ivf, self.store.copy())
        copied.nprobe, copied.rerank = self.nprobe, self.rerank
        return copied

    def add(self, ids: np.ndarray, vectors: np.ndarray, *, train: bool = True) -> None:
        """Store and index new ids; trains or retrains when due (unless train is False)."""
        self.store.add(ids, vectors)
        if self._ivf is not None:
            self._ivf.add_with_ids(np.ascontiguousarray(vectors), ids)
        if train:
            self.train_if_due()

    def train_if_due(self) -> bool:
        """Train (or retrain) when the size calls for it; returns whether it did."""
        n = len(self.store)
        due = (self._ivf is None and n >= MIN_TRAIN_VECTORS) or (
            self._ivf is not None and needs_retraining(self.nlist, n)
        )
        if due:
            self.train()
        return due

    def train(self, nlist: int | None = None) -> None:
        """Learn centroids and codebooks from a seeded sample of the stored vectors and index
        them all; nlist defaults to nlist_for(size)."""
        n = len(self.store)
        nlist = nlist or nlist_for(n)
        if n < max(nlist, 2**PQ_BITS):
            raise ValueError(f"training needs at least {max(nlist, 2**PQ_BITS)} vectors, got {n}")
        ivf = faiss.index_factory(
            self.dimension,
            f"IVF{nlist},PQ{pq_m_for(self.dimension)}x{PQ_BITS}",
            faiss.METRIC_INNER_PRODUCT,
        )
        ivf.cp.seed = SEED
        ivf.pq.cp.seed = SEED
        # Polysemous training reorders codes for Hamming filtering, which inner-product search
        # never uses, and takes 20x the rest of training.
        ivf.do_polysemous_training = False
        ivf.train(self.store.sample(min(MAX_TRAIN_VECTORS, TRAIN_PER_LIST * nlist)))
        for ids, vectors in self.store.batches():
            ivf.add_with_ids(vectors, ids)
        self._ivf = ivf

    def remove(self, ids: np.ndarray) -> int:
        removed = self.store.remove(ids)
        if self._ivf is not None and len(removed):
            self._ivf.remove_ids(faiss.IDSelectorBatch(removed))
        return len(removed)

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) of the k best, exact scores, within allowed (stored ids, unique)."""
        n = len(self.store)
        ivf = self._ivf
        if ivf is None:  # untrained: few vectors, scored exactly
            return self._exact(query, k, self.store.ids() if allowed is None else allowed)
        if allowed is not None and len(allowed) <= EXACT_FILTER_MAX:
            return self._exact(query, k, allowed)
        want = max(k, self.rerank)
        nprobe = min(self.nlist, self.nprobe)
        selector = None
        if allowed is not None:
            selector = faiss.IDSelectorBatch(allowed)
            # A scan that skips non-members keeps about m/n of what it reads.
            nprobe = min(self.nlist, math.ceil(self.nprobe * n / len(allowed)))
        while True:
            params = faiss.SearchParametersIVF(sel=selector, nprobe=nprobe)
            _, found = ivf.search(query[None, :], want, params=params)
            candidates = found[0][found[0] >= 0]
            enough = min(want, n if allowed is None else len(allowed))
            if len(candidates) >= enough or nprobe >= self.nlist:
                return self._exact(query, k, candidates)
            nprobe = min(self.nlist, nprobe * 4)

    def save(self, path: Path) -> None:
        """Side files first, then the FAISS file (see the module docstring). Afterwards the
        vectors are read from the saved side file, so the added ones leave memory."""
        self.store.save(path)
        self.store = VectorStore.load(path, self.dimension)
        ivf = self._ivf
        if ivf is None:  # an untrained placeholder records the kind and dimension
            ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(self.dimension), self.dimension, 1)
            ivf.metric_type = faiss.METRIC_INNER_PRODUCT
        with atomic_file(path) as tmp:
            faiss.write_index(ivf, str(tmp))

    @classmethod
    def from_loaded(cls, ivf: Any, path: Path) -> CompressedIndex:
        """The index whose FAISS part was read from path; maps the side files."""
        store = VectorStore.load(path, int(ivf.d))
        trained = isinstance(ivf, faiss.IndexIVFPQ) and ivf.is_trained
        return cls(int(ivf.d), ivf if trained else None, store)

    def _exact(self, query: np.ndarray, k: int, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if len(ids) == 0:
            return np.empty(0, dtype=np.float32), np.empty(0, dtype=np.int64)
        scores = np.empty(len(ids), dtype=np.float32)
        for start in range(0, len(ids), _BATCH):
            part = ids[start : start + _BATCH]
            scores[start : start + len(part)] = self.store.get(part) @ query
        return top_k(scores, ids, k)


def _ids_path(path: Path) -> Path:
    return path.with_name(path.name + ".ids.npy")


def _vectors_path(path: Path) -> Path:
    return path.with_name(path.name + ".vectors.npy")
