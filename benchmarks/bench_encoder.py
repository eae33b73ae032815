"""The encoder's ceiling on this machine and the ingest's encoder work against it.

    python -m benchmarks.bench_encoder [--pages 40] [--models bundled:… bundled-int8:…]
                                       [--repeats 5] [--batch-sizes 16 32 64] [--out FILE]

Ceiling: the model alone (ONNX session, pooling included) on batches of real word pieces cut
to one fixed length, so there is no padding and no tokenising: word pieces per second, in two
modes: `intra_op`, the batches one after the other through one session with a thread per core,
and `workers`, the batches shared out among as many threads each running a single-thread
session (what OnnxEncoder.encode does with more than one batch). The better one is the ceiling;
word pieces per CPU second of this process are reported too (a busy machine lowers the wall
rates of both modes, less the work a CPU second does).
Ingest: the chunks of the first --pages kremlin.ru pages sent through `encode_spans` (with their
quotable sentences, whose vectors it pools, as the ingest's calls do) in the order and slices
the ingest uses (qa.ingest.pipeline._embed: longest first, EMBED_BATCH texts a call), word
pieces (with [CLS]/[SEP]) per second of encoder time, with the encoder's bulk workers and
without them (`ingest_intra_op_wp_per_s`: each call's batches in turn, as before).
All of them alternate within each repeat, so a busy machine slows them alike; the medians and
their ratios are reported.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from embeddings.base import Encoder
from embeddings.models import BUNDLED_INT8_PREFIX, BUNDLED_MODEL, DEFAULT_MODEL

REPO = Path(__file__).resolve().parents[1]
KREMLIN = REPO.parent / "shared" / "data" / "kremlin" / "html"
INT8_MODEL = BUNDLED_INT8_PREFIX + BUNDLED_MODEL


def cpu_flags() -> set[str]:
    """The CPU's feature flags (/proc/cpuinfo; empty where there is none)."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def chunk_texts(pages: Sequence[Path], encoder: Encoder) -> list[str]:
    """The chunk texts of the pages, as the ingest makes them."""
    from qa.ingest.chunking import ChunkerSettings, chunk_transcript
    from qa.ingest.parsers import read_transcript_file

    settings = ChunkerSettings(max_model_tokens=encoder.max_tokens)
    return [
        c.text
        for page in pages
        for c in chunk_transcript(read_transcript_file(page), settings, encoder.count_tokens)
    ]


def fixed_rows(encoder: Any, texts: Sequence[str], length: int, count: int) -> list[list[int]]:
    """`count` rows of real word-piece ids, each exactly `length` long ([CLS] … [SEP])."""
    rows = [
        [*ids[: length - 1], ids[-1]]
        for ids in encoder._tokenizer.ids(list(texts))
        if len(ids) >= length
    ]
    if not rows:
        raise SystemExit(f"no text of {length} word pieces")
    return [rows[i % len(rows)] for i in range(count)]


MODES = ("intra_op", "workers")


def ceiling_rate(encoder: Any, rows: list[list[int]], batch: int) -> float:
    """Word pieces per second of the model on fixed-length batches (no padding)."""
    return ceiling_rates(encoder, rows, batch)[0]


def ceiling_rates(
    encoder: Any, rows: list[list[int]], batch: int, mode: str = "intra_op"
) -> tuple[float, float]:
    """Word pieces per second of the model on fixed-length batches (no padding), and per CPU
    second of this process; `mode` one of MODES."""
    batches = [rows[start : start + batch] for start in range(0, len(rows), batch)]
    started, cpu = time.perf_counter(), time.process_time()
    if mode == "workers":
        session, pool = encoder._bulk_workers()
        list(pool.map(lambda rows: encoder._encode_ids(rows, session), batches))
    else:
        for rows_of_batch in batches:
            encoder._encode_ids(rows_of_batch)
    pieces = sum(len(r) for r in rows)
    return pieces / (time.perf_counter() - started), pieces / (time.process_time() - cpu)


def ingest_rate(
    encoder: Encoder, texts: Sequence[str], pieces: int, *, pooled: bool = True
) -> float:
    """Word pieces per second of encoder time, texts sent as the ingest sends them: with
    `pooled` and an encoder that pools spans, each call also pools the vectors of its texts'
    quotable sentences, as the ingest's do."""
    from embeddings.base import span_encoder
    from qa.ingest.pipeline import EMBED_BATCH
    from qa.sentences import quotable_sentences

    ordered = sorted(dict.fromkeys(texts), key=len, reverse=True)
    pooler = span_encoder(encoder) if pooled else None
    spans = [quotable_sentences(t) for t in ordered] if pooler else []
    started = time.perf_counter()
    for start in range(0, len(ordered), EMBED_BATCH):
        part = ordered[start : start + EMBED_BATCH]
        if pooler is None:
            encoder.encode(part)
        else:
            pooler.encode_spans(part, spans[start : start + EMBED_BATCH])
    return pieces / (time.perf_counter() - started)


def without_workers(encoder: Any, texts: Sequence[str], pieces: int) -> float:
    """ingest_rate with each call's batches in turn through the intra-op session."""
    workers = encoder.workers
    encoder.workers = 1
    try:
        return ingest_rate(encoder, texts, pieces)
    finally:
        encoder.workers = workers


def sentence_texts(texts: Sequence[str], limit: int) -> list[str]:
    """Distinct quotable sentences of the texts, as phase two embeds them (at most `limit`)."""
    from qa.sentences import quotable_sentences

    found = {t[a:b]: None for t in texts for a, b in quotable_sentences(t)}
    return list(found)[:limit]


def measure(
    model: str,
    texts: Sequence[str],
    repeats: int,
    batch_sizes: Sequence[int],
    length: int,
    sentences: Sequence[str],
) -> dict[str, Any]:
    """Ceiling (per batch size and mode) and ingest rate (with and without the bulk workers)
    of one model, alternating, medians; and the rate on the sentences a phase two embeds alone
    when the encoder cannot pool them."""
    from embeddings.loading import load_encoder

    encoder: Any = load_encoder(model)
    unique = list(dict.fromkeys(texts))
    pieces = sum(len(ids) for ids in encoder._tokenizer.ids(unique))
    sentence_pieces = sum(len(ids) for ids in encoder._tokenizer.ids(list(sentences)))
    rows = fixed_rows(encoder, unique, length, 256)
    encoder.encode(unique[:64])  # warm both sessions
    without_workers(encoder, unique[:64], 1)
    walls: dict[tuple[str, int], list[float]] = {(m, b): [] for m in MODES for b in batch_sizes}
    cpus: dict[tuple[str, int], list[float]] = {key: [] for key in walls}
    ingest: list[float] = []
    intra_op_ingest: list[float] = []
    by_count: list[float] = []
    loads = []
    for _ in range(repeats):
        loads.append(os.getloadavg()[0])
        for b in batch_sizes:
            for mode in MODES:
                wall, cpu = ceiling_rates(encoder, rows, b, mode)
                walls[mode, b].append(wall)
                cpus[mode, b].append(cpu)
        ingest.append(ingest_rate(encoder, unique, pieces))
        intra_op_ingest.append(without_workers(encoder, unique, pieces))
        if sentences:
            by_count.append(ingest_rate(encoder, sentences, sentence_pieces, pooled=False))

    def median(key: tuple[str, int]) -> float:
        return statistics.median(walls[key])

    best_mode, best = max(walls, key=median)
    # Each repeat's ratios, then their median: the two runs of a ratio were seconds apart.
    workers_gain = {
        b: statistics.median(
            w / i for w, i in zip(walls["workers", b], walls["intra_op", b], strict=True)
        )
        for b in batch_sizes
    }
    ratios = [i / c for i, c in zip(ingest, walls[best_mode, best], strict=True)]
    return {
        "encoder_name": encoder.name,
        "batch_size": encoder.batch_size,
        "threads": encoder.threads,
        "workers": encoder.workers,
        "ceiling_wp_per_s": {str(b): round(median((best_mode, b))) for b in batch_sizes},
        "ceiling_mode": best_mode,
        **{
            f"ceiling_{mode}_wp_per_s": {str(b): round(median((mode, b))) for b in batch_sizes}
            for mode in MODES
        },
        **{
            f"ceiling_{mode}_wp_per_cpu_s": {
                str(b): round(statistics.median(cpus[mode, b])) for b in batch_sizes
            }
            for mode in MODES
        },
        "ceiling_workers_over_intra_op": {str(b): round(r, 3) for b, r in workers_gain.items()},
        "ceiling_length": length,
        "best_batch": best,
        "ingest_texts": len(unique),
        "ingest_word_pieces": pieces,
        "ingest_wp_per_s": round(statistics.median(ingest)),
        "ingest_intra_op_wp_per_s": round(statistics.median(intra_op_ingest)),
        "ingest_workers_over_intra_op": round(
            statistics.median(w / i for w, i in zip(ingest, intra_op_ingest, strict=True)),
            3,
        ),
        "ingest_over_ceiling": round(statistics.median(ratios), 3),
        "runs_ingest": [round(r) for r in ingest],
        "runs_ingest_intra_op": [round(r) for r in intra_op_ingest],
        "runs_ceiling": [round(r) for r in walls[best_mode, best]],
        "load_average_per_repeat": loads,
        "sentences": len(sentences),
        "sentence_word_pieces": sentence_pieces,
        "sentences_wp_per_s": round(statistics.median(by_count)) if by_count else None,
    }


def run(
    pages: int, models: Sequence[str], repeats: int, batch_sizes: Sequence[int], length: int
) -> dict[str, Any]:
    from embeddings.loading import load_encoder

    paths = sorted(KREMLIN.glob("*.html"), key=lambda p: (len(p.stem), p.stem))[:pages]
    texts = chunk_texts(paths, load_encoder(DEFAULT_MODEL))
    sentences = sentence_texts(texts, 2000)
    flags = cpu_flags()
    result: dict[str, Any] = {
        "pages": len(paths),
        "cores": len(os.sched_getaffinity(0)),
        "vnni": sorted(flags & {"avx512_vnni", "avx_vnni", "amx_int8"}),
        "load_average_start": list(os.getloadavg()),
    }
    for model in models:
        result[model] = measure(model, texts, repeats, batch_sizes, length, sentences)
    if len(models) > 1:
        base = result[models[0]]
        for model in models[1:]:
            result[model]["ceiling_speedup_vs_first"] = round(
                max(result[model]["ceiling_wp_per_s"].values())
                / max(base["ceiling_wp_per_s"].values()),
                3,
            )
            result[model]["ingest_speedup_vs_first"] = round(
                result[model]["ingest_wp_per_s"] / base["ingest_wp_per_s"], 3
            )
    result["load_average_end"] = list(os.getloadavg())
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_encoder", description=__doc__)
    parser.add_argument("--pages", type=int, default=12)
    parser.add_argument("--models", nargs="+", default=[DEFAULT_MODEL, INT8_MODEL])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[16, 32, 64])
    parser.add_argument("--length", type=int, default=160, help="word pieces a ceiling row")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    from embeddings.offline import use_offline_hub

    use_offline_hub()
    result = run(args.pages, args.models, args.repeats, args.batch_sizes, args.length)
    text = json.dumps(result, indent=2)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
