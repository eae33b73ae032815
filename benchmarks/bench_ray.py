"""The `ray_ingest` stage of `make bench`: the same pages ingested in one process and on a local
Ray with two workers (`tqa ingest --ray`), the overhead of the second, the rate of one worker,
and a check that the two libraries are the same.

On this 2-core machine Ray cannot be faster (the single process already uses both cores for the
encoder); the figures say what it costs here and, from the rate one worker measures, what N
workers on N cores would give. `python -m benchmarks.bench --stages ray_ingest [--pages N]`.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

# Vectors of the two libraries may differ by this much (cosine units): the workers run ONNX
# Runtime with one thread each, the single process with one per core, which sums in another
# order. Measured differences are ~1e-7.
VECTOR_TOLERANCE = 1e-5


def library_differences(a: Any, b: Any, atol: float = VECTOR_TOLERANCE) -> list[str]:
    """How two libraries (qa.store.library.Library) differ: transcripts and their content
    hashes, utterances, chunks (ids, transcripts, texts, speakers), sentence spans, pending
    sentences, and vectors beyond `atol` (chunk vectors in the index, sentence vectors in the
    cache). Empty when they hold the same."""
    from qa.sentences import is_quotable

    found: list[str] = []
    if a.content_hashes() != b.content_hashes():
        found.append("transcripts or their content hashes differ")
    if a.pending_sentences() != b.pending_sentences():
        found.append("pending sentences differ")
    ids = sorted(int(i) for i in a.index().ids())
    if ids != sorted(int(i) for i in b.index().ids()):
        found.append("chunk ids differ")
        return found
    chunks_a, chunks_b = a.chunks(ids), b.chunks(ids)
    for i in ids:
        if chunks_a[i].chunk != chunks_b[i].chunk:
            found.append(f"chunk {i} differs")
    gap = float(np.abs(a.index().vectors(ids) - b.index().vectors(ids)).max(initial=0.0))
    if gap > atol:
        found.append(f"chunk vectors differ by up to {gap:.2e}")
    for tid in sorted(set(a.transcript_ids()) & set(b.transcript_ids())):
        utterances = a.utterances(tid)
        if utterances != b.utterances(tid):
            found.append(f"utterances of {tid} differ")
            continue
        spans = a.sentence_spans(tid, 0, len(utterances))
        if spans != b.sentence_spans(tid, 0, len(utterances)):
            found.append(f"sentence spans of {tid} differ")
            continue
        texts = {u.index: u.text for u in utterances}
        quotable = sorted({texts[i][s:e] for i, pairs in spans.items() for s, e in pairs} - {""})
        quotable = [q for q in quotable if is_quotable(q)]
        va, vb = a.cache.sentence_vectors(quotable), b.cache.sentence_vectors(quotable)
        if set(va) != set(vb):
            found.append(f"sentence vectors of {tid} are missing in one library")
        elif va:
            worst = max(float(np.abs(va[q] - vb[q]).max()) for q in va)
            if worst > atol:
                found.append(f"sentence vectors of {tid} differ by up to {worst:.2e}")
    return found


def bench_ray_ingest(
    pages: Sequence[Path], model: str, work: Path, workers: int = 2
) -> dict[str, Any]:
    """Ingest the pages in this process, then on a local Ray of `workers` CPUs (started with
    them, as `tqa ingest --ray` does), with the same settings; times, overhead, and the check."""
    import ray

    from benchmarks.bench import _settings
    from qa.ingest.distributed import RayTarget, ingest_on_ray
    from qa.ingest.pipeline import ingest
    from qa.runtime import encoder_spec, open_library

    single = open_library(_settings(work / "single", model))
    started = time.perf_counter()
    local = ingest(single, pages)
    single_s = time.perf_counter() - started

    settings = _settings(work / "ray", model)
    on_ray = open_library(settings)
    # Ray's socket paths must stay under 108 bytes: its temp folder is a short one in /tmp.
    temp = tempfile.mkdtemp(prefix="tqa-ray-")
    started = time.perf_counter()
    # Started here as ingest_on_ray would (its start-up is in the time), with the workers'
    # CPUs and a temp folder of its own.
    ray.init(
        num_cpus=workers,
        include_dashboard=False,
        object_store_memory=512 * 1024 * 1024,
        _temp_dir=temp,
        logging_level=logging.WARNING,
        log_to_driver=False,
    )
    try:
        up_s = time.perf_counter() - started
        report = ingest_on_ray(on_ray, pages, RayTarget(workers=workers), encoder_spec(settings))
        ray_s = time.perf_counter() - started
    finally:
        ray.shutdown()
        shutil.rmtree(temp, ignore_errors=True)
    differences = library_differences(single, on_ray)
    encoder = single.encoder
    pieces = 0
    for stored in single.chunks([int(i) for i in single.index().ids()]).values():
        pieces += min(encoder.count_tokens(stored.chunk.text) + 2, encoder.max_tokens)
    sentence_pieces = _sentence_pieces(single)
    all_pieces = pieces + sentence_pieces
    # Each worker did about 1/workers of the encoding in the run's time: its rate, and what N
    # such workers (one core each, the driver's writes not in the way) would reach.
    per_worker = all_pieces / ray_s / workers
    result = {
        "model": model,
        "pages": len(pages),
        "workers": workers,
        "cores": len(os.sched_getaffinity(0)),
        "sentence_vectors": single.sentence_vectors,
        "chunks": single.chunk_count(),
        "word_pieces": pieces,
        "sentence_word_pieces": sentence_pieces,
        "single_process_s": round(single_s, 2),
        "single_searchable_s": round(local.searchable_seconds, 2),
        "ray_s": round(ray_s, 2),
        "ray_start_s": round(up_s, 2),
        "ray_ingest_s": round(report.seconds, 2),
        "ray_searchable_s": round(report.searchable_seconds, 2),
        "overhead_ratio": round(ray_s / single_s, 4),
        "overhead_ratio_without_start": round((ray_s - up_s) / single_s, 4),
        "single_word_pieces_per_s": round(all_pieces / single_s, 1),
        "per_worker_word_pieces_per_s": round(per_worker, 1),
        "projected_word_pieces_per_s": {str(n): round(per_worker * n) for n in (2, 8, 32, 128)},
        "hours_for_1e8_word_pieces": {
            str(n): round(1e8 / (per_worker * n) / 3600, 2) for n in (1, 8, 32, 128)
        },
        "identical": not differences,
        "differences": differences[:10],
    }
    single.close()
    on_ray.close()
    return result


def _sentence_pieces(library: Any) -> int:
    """Word pieces of the quotable sentences the library stored vectors for."""
    from qa.sentences import is_quotable

    encoder = library.encoder
    total = 0
    for tid in library.transcript_ids():
        utterances = library.utterances(tid)
        spans = library.sentence_spans(tid, 0, len(utterances))
        for u in utterances:
            for a, b in spans.get(u.index, []):
                if is_quotable(u.text[a:b]):
                    total += min(encoder.count_tokens(u.text[a:b]) + 2, encoder.max_tokens)
    return total
