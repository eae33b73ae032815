"""The encoder's ceiling on this machine and the ingest's encoder work against it.

    python -m benchmarks.bench_encoder [--pages 40] [--models bundled:… bundled-int8:…]
                                       [--repeats 5] [--batch-sizes 16 32 64] [--out FILE]

Ceiling: the model alone (ONNX session, pooling included) on batches of real word pieces cut
to one fixed length, so there is no padding and no tokenising: word pieces per second.
Ingest: the chunks of the first --pages kremlin.ru pages sent through `Encoder.encode` in the
order and slices the ingest uses (qa.ingest.pipeline._embed: longest first, EMBED_BATCH texts a
call), word pieces (with [CLS]/[SEP]) per second of encoder time. The two alternate within each
repeat, so a busy machine slows both alike; the medians and their ratio are reported.
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


def ceiling_rate(encoder: Any, rows: list[list[int]], batch: int) -> float:
    """Word pieces per second of the model on fixed-length batches (no padding)."""
    started = time.perf_counter()
    for start in range(0, len(rows), batch):
        encoder._encode_ids(rows[start : start + batch])
    return sum(len(r) for r in rows) / (time.perf_counter() - started)


def ingest_rate(encoder: Encoder, texts: Sequence[str], pieces: int) -> float:
    """Word pieces per second of encoder time, texts sent as the ingest sends them."""
    from qa.ingest.pipeline import EMBED_BATCH

    ordered = sorted(dict.fromkeys(texts), key=len, reverse=True)
    started = time.perf_counter()
    for start in range(0, len(ordered), EMBED_BATCH):
        encoder.encode(ordered[start : start + EMBED_BATCH])
    return pieces / (time.perf_counter() - started)


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
    """Ceiling (per batch size) and ingest rate of one model, alternating, medians; and the
    rate on the sentences phase two embeds."""
    from embeddings.loading import load_encoder

    encoder: Any = load_encoder(model)
    unique = list(dict.fromkeys(texts))
    pieces = sum(len(ids) for ids in encoder._tokenizer.ids(unique))
    sentence_pieces = sum(len(ids) for ids in encoder._tokenizer.ids(list(sentences)))
    rows = fixed_rows(encoder, unique, length, 256)
    encoder.encode(unique[:64])  # warm the session
    ceilings: dict[int, list[float]] = {b: [] for b in batch_sizes}
    ingest: list[float] = []
    by_count: list[float] = []
    for _ in range(repeats):
        for b in batch_sizes:
            ceilings[b].append(ceiling_rate(encoder, rows, b))
        ingest.append(ingest_rate(encoder, unique, pieces))
        if sentences:
            by_count.append(ingest_rate(encoder, sentences, sentence_pieces))
    best = max(batch_sizes, key=lambda b: statistics.median(ceilings[b]))
    ratios = [i / c for i, c in zip(ingest, ceilings[best], strict=True)]
    return {
        "encoder_name": encoder.name,
        "batch_size": encoder.batch_size,
        "ceiling_wp_per_s": {str(b): round(statistics.median(v)) for b, v in ceilings.items()},
        "ceiling_length": length,
        "best_batch": best,
        "ingest_texts": len(unique),
        "ingest_word_pieces": pieces,
        "ingest_wp_per_s": round(statistics.median(ingest)),
        "ingest_over_ceiling": round(statistics.median(ratios), 3),
        "runs_ingest": [round(r) for r in ingest],
        "runs_ceiling": [round(r) for r in ceilings[best]],
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
