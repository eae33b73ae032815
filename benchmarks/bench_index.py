"""The compressed index at scale (`make bench`, stage ten_million).

    python -m benchmarks.bench --stages ten_million [--ten-million-size 1000000]

Vectors: the kremlin.ru library's real chunk vectors, then convex mixtures of pairs of them
(benchmarks.bench.synthetic_vectors, as the million stage), generated batch by batch from a seed
per batch so no more than one batch of float32 vectors is ever held. One pass adds each batch to
an "ivfpq" VectorIndex and updates the exact top 10 of every query (a streaming brute force),
so recall@10 is measured against exact search over all the vectors. The index is trained once,
on the first batch (a seeded sample of it), with the list count for the final size, as a rebuild
at that size would; its float16 vectors are spilled to disk (save + load, as a library
generation) every --ten-million-spill vectors so their memory stays bounded.

Then, separately, QMSum val ER@1000 (benchmarks.bench_retrieval) over the same library with a
flat index and with the ivfpq one (the 35 meetings' few thousand chunks are its training set,
nlist scaled down by `nlist_for`): as shipped, where a search inside one meeting scores its
chunks exactly; with that exact path switched off so every search goes through the IVF (which
still re-scores its best RERANK_CANDIDATES exactly); and with neither, ranked by the PQ codes.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.bench import (
    _settings,
    make_questions,
    peak_rss_mb,
    rounded_percentile,
    synthetic_vectors,
)

BATCH = 500_000
SPILL = 2_500_000
K = 10
# (nprobe, re-ranked candidates) measured besides the defaults, on the same index
SWEEP = ((32, 200), (64, 500), (128, 500), (64, 2000), (128, 2000), (128, 3000), (256, 1000))


def current_rss_mb(field: str = "RssAnon") -> float:
    """Resident memory of this process now (not the peak), in MB: by default its anonymous
    part, without the pages of memory-mapped files (page cache the kernel can drop)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def vector_batches(
    real: np.ndarray, size: int, batch: int = BATCH
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(ids, unit vectors) of `size` vectors, `batch` at a time: the real ones first, then
    mixtures seeded by batch number (the same vectors on every run)."""
    start = 0
    number = 0
    while start < size:
        n = min(batch, size - start)
        if start == 0:
            head = real[: min(len(real), n)]
            part = np.vstack([head, synthetic_vectors(real, n - len(head), seed=1)])
        else:
            part = synthetic_vectors(real, n, seed=1 + number)
        yield np.arange(start, start + n, dtype=np.int64), part
        start += n
        number += 1


def merge_top_k(
    best: tuple[np.ndarray, np.ndarray], scores: np.ndarray, ids: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """The k best (scores, ids) per query of a running top k and a new batch's scores."""
    if scores.shape[1] > k:
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    else:  # a last batch smaller than k
        top = np.broadcast_to(np.arange(scores.shape[1]), scores.shape)
    all_scores = np.hstack([best[0], np.take_along_axis(scores, top, axis=1)])
    all_ids = np.hstack([best[1], ids[top]])
    keep = np.argsort(-all_scores, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(all_scores, keep, axis=1), np.take_along_axis(all_ids, keep, axis=1)


def bench_ten_million(
    library_dir: Path,
    model: str,
    size: int,
    n_queries: int,
    work: Path,
    batch: int = BATCH,
    spill: int = SPILL,
) -> dict[str, Any]:
    """Build, memory, recall@10 and latency of an ivfpq index of `size` vectors."""
    from embeddings.compressed import nlist_for
    from embeddings.index import VectorIndex
    from qa.runtime import open_library

    library = open_library(_settings(library_dir, model))
    index = library.index()
    real = index.vectors(index.ids())
    queries = library.encoder.encode(make_questions(library, n_queries))
    library.close()
    del index
    work.mkdir(parents=True, exist_ok=True)
    rss_before, rss_before_all = current_rss_mb(), current_rss_mb("VmRSS")
    vindex = VectorIndex.create(real.shape[1], "ivfpq")
    compressed = vindex.compressed
    assert compressed is not None
    truth = (np.full((len(queries), K), -np.inf, np.float32), np.full((len(queries), K), -1))
    train_s = add_s = spill_s = 0.0
    spilled = 0
    for ids, vectors in vector_batches(real, size, batch):
        truth = merge_top_k(truth, queries @ vectors.T, ids, K)
        started = time.perf_counter()
        compressed.add(ids, vectors, train=False)
        add_s += time.perf_counter() - started
        if compressed.nlist == 0:
            started = time.perf_counter()
            compressed.train(nlist_for(size))
            train_s += time.perf_counter() - started
        if int(ids[-1]) + 1 - spilled >= spill and int(ids[-1]) + 1 < size:
            started = time.perf_counter()
            vindex, compressed = _spilled(vindex, work)
            spill_s += time.perf_counter() - started
            spilled = int(ids[-1]) + 1
        print(f"[ten_million] {int(ids[-1]) + 1:,} vectors", file=sys.stderr, flush=True)
    del ids, vectors  # the last batch
    started = time.perf_counter()
    vindex, compressed = _spilled(vindex, work)
    save_s = time.perf_counter() - started
    rss_built = current_rss_mb()
    sweep = {}
    for nprobe, rerank in [*SWEEP, (compressed.nprobe, compressed.rerank)]:
        compressed.nprobe, compressed.rerank = nprobe, rerank
        times, recalls = [], []
        for query, exact in zip(queries, truth[1], strict=True):
            started = time.perf_counter()
            _, found = vindex.search(query, K)
            times.append((time.perf_counter() - started) * 1000)
            recalls.append(len(set(found.tolist()) & set(exact.tolist())) / K)
        sweep[f"nprobe{nprobe}_rerank{rerank}"] = {
            "recall_at_10": round(float(np.mean(recalls)), 4),
            "ms_p50": rounded_percentile(times, 50, 3),
            "ms_p95": rounded_percentile(times, 95, 3),
        }
    files = {p.name: p.stat().st_size for p in work.glob("index-*.faiss*")}
    result = {
        "vectors": size,
        "real_vectors": len(real),
        "queries": len(queries),
        "distinct_queries": len(np.unique(queries, axis=0)),
        "nlist": compressed.nlist,
        "nprobe": compressed.nprobe,
        "rerank_candidates": compressed.rerank,
        "index_memory_mb": round(compressed.memory_bytes() / 2**20, 1),
        "rss_delta_after_build_mb": round(rss_built - rss_before, 1),
        "rss_delta_after_search_mb": round(current_rss_mb() - rss_before, 1),
        # with the float16 pages the searches touched (file-backed, reclaimable)
        "rss_with_mapped_pages_delta_mb": round(current_rss_mb("VmRSS") - rss_before_all, 1),
        "faiss_file_mb": round(sum(v for k, v in files.items() if k.endswith(".faiss")) / 2**20, 1),
        "float16_vectors_file_mb": round(
            sum(v for k, v in files.items() if k.endswith(".vectors.npy")) / 2**20, 1
        ),
        "train_s": round(train_s, 1),
        "add_s": round(add_s, 1),
        "spill_and_final_save_s": round(spill_s + save_s, 1),
        # the defaults (embeddings.compressed.NPROBE, RERANK_CANDIDATES), measured last
        **sweep[f"nprobe{compressed.nprobe}_rerank{compressed.rerank}"],
        "sweep": sweep,
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }
    del vindex, compressed
    shutil.rmtree(work, ignore_errors=True)
    return result


def _spilled(vindex: Any, work: Path) -> tuple[Any, Any]:
    """The index saved as the next file generation in work and loaded back (its float16
    vectors memory-mapped), the earlier generation's files deleted."""
    from embeddings.index import VectorIndex

    existing = sorted(work.glob("index-*.faiss"))
    generation = len(existing)
    path = work / f"index-{generation}.faiss"
    vindex.save(path)
    loaded = VectorIndex.load(path)
    for old in work.glob("index-*.faiss*"):
        if not old.name.startswith(f"index-{generation}."):
            old.unlink()
    return loaded, loaded.compressed


def bench_qmsum_compressed(cache: Path, model: str, work: Path) -> dict[str, Any]:
    """QMSum val ER@500/1000/2000 and MRR@10 with a flat index and with ivfpq in its place."""
    import embeddings.compressed as compressed_module
    from benchmarks.bench_retrieval import (
        DEFAULT_EVIDENCE,
        DEFAULT_QMSUM,
        library_folder,
        library_retriever,
        open_library,
        run_benchmark,
    )
    from embeddings.loading import load_encoder
    from eval.importers import import_qmsum
    from qa.settings import load_settings
    from qa.store.library import Library

    chunk_tokens = load_settings().chunk_tokens
    questions = import_qmsum(DEFAULT_QMSUM, DEFAULT_EVIDENCE)
    files = sorted(DEFAULT_QMSUM.glob("*.json"))
    encoder = load_encoder(model)
    folder = library_folder(cache, encoder.name, chunk_tokens)
    modes = ("dense", "hybrid")
    result: dict[str, Any] = {"library": str(folder)}

    def scores(library: Any) -> dict[str, Any]:
        run = run_benchmark(questions, {m: library_retriever(library, m) for m in modes})
        # R@B is EvidenceRecall at a budget of B tokens (ER@1000: "R@1000")
        return {
            m: {key: round(value, 4) for key, value in run["retrievers"][m]["means"].items()}
            | {"questions": run["retrievers"][m]["questions"]}
            for m in modes
        }

    library = open_library(folder, encoder, chunk_tokens, files)  # flat, built or cached
    try:
        result["chunks"] = len(library.index())
        result["flat_kind"] = library.index().kind
        result["flat"] = scores(library)
    finally:
        library.close()
    copy = work / "qmsum-ivfpq"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(folder, copy)
    library = Library(copy, encoder, chunk_tokens=chunk_tokens, index_kind="ivfpq")
    try:
        with library.write_lock():  # a write of nothing publishes the index in the set kind
            library.write([], np.empty((0, encoder.dimension), np.float32), library.index_copy())
        compressed = library.index().compressed
        assert compressed is not None
        result["ivfpq_nlist"] = compressed.nlist
        result["ivfpq"] = scores(library)
        exact_max = compressed_module.EXACT_FILTER_MAX
        compressed_module.EXACT_FILTER_MAX = 0  # every meeting-scoped search through the IVF
        try:
            result["ivfpq_no_exact_filter"] = scores(library)
            # and only the k candidates asked for re-scored: the ranking is the PQ codes'
            compressed.rerank = 1
            result["ivfpq_no_exact_filter_no_rerank"] = scores(library)
        finally:
            compressed_module.EXACT_FILTER_MAX = exact_max
    finally:
        library.close()
        shutil.rmtree(copy, ignore_errors=True)
    return result
