"""Int8 recipes against fp32: speed, closeness of the vectors, and retrieval quality.

    python -m benchmarks.bench_int8 [--recipes all-quint8-emb ffn-qint8 …] [--pages 6]
        [--repeats 3] [--qmsum RECIPE …] [--library-cache DIR] [--cache DIR] [--out FILE]

Every recipe of embeddings.onnx.INT8_RECIPES (or those named) is exported once into --cache and
run in this one process beside the fp32 model, so a busy machine slows both alike:
- speed: word pieces per second on fixed-length batches of real word pieces (the encoder's
  ceiling) and on the real chunks through `encode` (padding and sorting included), fp32 and
  the recipe alternating within each repeat; the median over repeats of recipe / fp32;
- closeness: cosine of each chunk's vector to its fp32 vector (the chunks of the first --pages
  kremlin.ru pages and of one QMSum *train* meeting): median, 5th percentile, minimum;
- quality (only the recipes named by --qmsum; each re-embeds the 35 QMSum val meetings, chunks
  only, as retrieval ranks chunks): hybrid EvidenceRecall@1000 as benchmarks.bench_retrieval
  scores it, with a paired bootstrap (10,000 resamples over the queries) against fp32.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.models import DEFAULT_MODEL, resolve_model
from embeddings.onnx import INT8_RECIPES, OnnxEncoder

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
KREMLIN = DATA / "kremlin" / "html"
QMSUM_TRAIN = DATA / "qmsum" / "train"
QMSUM_VAL = DATA / "qmsum" / "val"
QMSUM_EVIDENCE = DATA / "qmsum" / "evidence" / "val"
CHUNK_TOKENS = 200  # the library default, as bench_retrieval ran fp32 and the shipped int8


def sample_texts(pages: int, train_meetings: int = 1) -> list[str]:
    """Distinct chunk texts of the first kremlin.ru pages and of a few QMSum train meetings."""
    from benchmarks.bench_encoder import chunk_texts
    from embeddings.loading import load_encoder

    paths = sorted(KREMLIN.glob("*.html"), key=lambda p: (len(p.stem), p.stem))[:pages]
    paths += sorted(QMSUM_TRAIN.glob("*.json"))[:train_meetings]
    return list(dict.fromkeys(chunk_texts(paths, load_encoder(DEFAULT_MODEL))))


def cosines(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    """Median, 5th percentile and minimum of the row-wise cosines of two unit-row arrays."""
    values = np.sum(a * b, axis=1)
    return {
        "median": round(float(np.median(values)), 5),
        "p5": round(float(np.percentile(values, 5)), 5),
        "min": round(float(values.min()), 5),
    }


def speed_ratios(
    fp32: OnnxEncoder, int8: OnnxEncoder, texts: Sequence[str], repeats: int
) -> dict[str, Any]:
    """Median over repeats of int8 / fp32 word pieces per second, ceiling and `encode`."""
    from benchmarks.bench_encoder import ceiling_rate, fixed_rows

    rows = fixed_rows(fp32, texts, 160, 64)
    texts = texts[:: max(1, len(texts) // 64)][:64]  # a spread of lengths, one slice per call
    pieces = sum(len(ids) for ids in fp32._tokenizer.ids(list(texts)))
    ceiling: list[float] = []
    real: list[float] = []
    rates: dict[str, list[float]] = {"fp32": [], "int8": []}
    for _ in range(repeats):
        pair = []
        for encoder in (fp32, int8):
            rate = ceiling_rate(encoder, rows, fp32.batch_size)
            started = time.perf_counter()
            encoder.encode(texts)
            pair.append((rate, pieces / (time.perf_counter() - started)))
        ceiling.append(pair[1][0] / pair[0][0])
        real.append(pair[1][1] / pair[0][1])
        rates["fp32"].append(pair[0][0])
        rates["int8"].append(pair[1][0])
    return {
        "ceiling_ratio": round(statistics.median(ceiling), 3),
        "encode_ratio": round(statistics.median(real), 3),
        "ceiling_runs": [round(r, 3) for r in ceiling],
        "fp32_ceiling_wp_per_s": round(statistics.median(rates["fp32"])),
        "int8_ceiling_wp_per_s": round(statistics.median(rates["int8"])),
    }


def qmsum_recall(encoder: OnnxEncoder, folder: Path) -> dict[str, Any]:
    """Hybrid retrieval of the QMSum val queries over a library of the val meetings."""
    from benchmarks.bench_retrieval import library_retriever, open_library, run_benchmark
    from eval.importers import import_qmsum
    from qa.retrieve.fusion import NEIGHBOUR_WEIGHT

    questions = import_qmsum(QMSUM_VAL, QMSUM_EVIDENCE)
    files = sorted(QMSUM_VAL.glob("*.json"))
    started = time.perf_counter()
    library = open_library(folder, encoder, CHUNK_TOKENS, files, sentences=False)
    built = time.perf_counter() - started
    try:
        retrieve = library_retriever(
            library, "hybrid", fusion="scores", neighbour_weight=NEIGHBOUR_WEIGHT
        )
        result = run_benchmark(questions, {"hybrid": retrieve})
    finally:
        library.close()
    result["library_seconds"] = round(built, 1)
    return result


def run(args: argparse.Namespace) -> dict[str, Any]:
    name, path = resolve_model(DEFAULT_MODEL)
    fp32 = OnnxEncoder(path, name, cache_dir=args.cache)
    texts = sample_texts(args.pages)
    reference = fp32.encode(texts)
    out: dict[str, Any] = {
        "cores": len(os.sched_getaffinity(0)),
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
        "texts": len(texts),
        "recipes": {},
    }
    for recipe_name in args.recipes:
        encoder = OnnxEncoder(
            path, name, int8=True, recipe=INT8_RECIPES[recipe_name], cache_dir=args.cache
        )
        row: dict[str, Any] = {"cosine": cosines(encoder.encode(texts), reference)}
        row.update(speed_ratios(fp32, encoder, texts, args.repeats))
        out["recipes"][recipe_name] = row
        print(recipe_name, json.dumps(row), file=sys.stderr, flush=True)
    if args.qmsum:
        from benchmarks.bench_retrieval import paired, per_question

        base = qmsum_recall(fp32, args.library_cache / f"fp32-c{CHUNK_TOKENS}")
        out["qmsum_fp32"] = {"means": base["retrievers"]["hybrid"]["means"]}
        print("fp32", json.dumps(out["qmsum_fp32"]), file=sys.stderr, flush=True)
        for recipe_name in args.qmsum:
            encoder = OnnxEncoder(
                path, name, int8=True, recipe=INT8_RECIPES[recipe_name], cache_dir=args.cache
            )
            result = qmsum_recall(encoder, args.library_cache / f"{recipe_name}-c{CHUNK_TOKENS}")
            row = out["recipes"].setdefault(recipe_name, {})
            row["qmsum_hybrid"] = result["retrievers"]["hybrid"]["means"]
            row["qmsum_library_seconds"] = result["library_seconds"]
            row["qmsum_vs_fp32_R@1000"] = paired(
                per_question(base, "hybrid", "R@1000"), per_question(result, "hybrid", "R@1000")
            )
            print(recipe_name, json.dumps(row), file=sys.stderr, flush=True)
    out["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_int8", description=__doc__)
    parser.add_argument("--recipes", nargs="*", choices=sorted(INT8_RECIPES), default=None)
    parser.add_argument("--pages", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--qmsum", nargs="*", choices=sorted(INT8_RECIPES), default=[])
    parser.add_argument("--library-cache", type=Path, default=Path("/tmp/tqa-int8-qmsum"))
    parser.add_argument("--cache", type=Path, default=None, help="exported models (default: TQA's)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    if args.recipes is None:
        args.recipes = list(INT8_RECIPES)
    from embeddings.offline import use_offline_hub

    use_offline_hub()
    result = run(args)
    text = json.dumps(result, indent=1)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
