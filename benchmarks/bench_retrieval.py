"""Retrieval-quality benchmark: the 35 QMSum val meetings (issue 3's quality target), or a
suite's questions over an existing library (issue 14: the kremlin.ru corpus against BM25).

    python -m benchmarks.bench_retrieval [--retriever dense keyword hybrid bm25]
        [--chunk-tokens 200] [--library-cache DIR] [--out FILE.json] [--baseline OLD.json]
    python -m benchmarks.bench_retrieval --suite eval/suites/dev.jsonl --library DIR \
        [--retriever hybrid bm25] [--scope corpus|all]

QMSum: each specific query is retrieved inside its own meeting; the ranked passages are scored with
EvidenceRecall@500/1000/2000 and MRR@10 (`eval.metrics`) against the ETRI evidence sentences.
Libraries are cached per encoder and chunk budget under --library-cache, so a second run embeds
nothing. Suite: the answerable questions without history whose evidence lies in the library's
transcripts (with --scope corpus, the default, only those asked of the whole library), retrieved
as `tqa retrieve` would. `bm25` is the plain baseline: Okapi BM25 (rank_bm25, k1=1.5, b=0.75)
over consecutive 256-token windows of each transcript's "Speaker: text" lines. The core
(`run_benchmark`) takes plain retrieval functions and does no I/O.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from embeddings.models import DEFAULT_MODEL
from eval.importers import import_qmsum
from eval.metrics import PassageRecord, RankedPassage, evidence_recall_at, mrr_at
from eval.stats import paired_bootstrap
from eval.suite import SuiteQuestion
from qa.models import Filters
from qa.settings import RETRIEVERS
from qa.tokens import count_tokens

__all__ = [
    "BUDGETS",
    "REFERENCE",
    "Ranking",
    "comparisons",
    "library_folder",
    "library_retriever",
    "main",
    "markdown_report",
    "open_library",
    "opening_retriever",
    "run_benchmark",
    "suite_questions",
    "token_windows",
    "window_bm25_retriever",
]

BUDGETS = (500, 1000, 2000)
MRR_K = 10
DEFAULT_K = 30  # passages asked for first; doubled while they fill less than the largest budget
TARGET_R1000 = 0.43
REPO = Path(__file__).resolve().parents[1]
DEFAULT_QMSUM = REPO.parent / "shared" / "data" / "qmsum" / "val"
DEFAULT_EVIDENCE = REPO.parent / "shared" / "data" / "qmsum" / "evidence" / "val"
MODES = (*RETRIEVERS, "opening", "bm25")
WINDOW_TOKENS = 256  # the plain baseline's window, as in the issues' reference rows

# Issue 3, "Quality target": (R@500, R@1000, R@2000, MRR@10) on the same 237 queries.
REFERENCE: dict[str, tuple[float, float, float, float]] = {
    "the meeting's opening B tokens": (0.028, 0.074, 0.170, 0.058),
    "BM25 over 256-token windows": (0.226, 0.338, 0.480, 0.529),
    "LlamaIndex defaults (1,024-token SentenceSplitter chunks, same model)": (
        0.193,
        0.288,
        0.443,
        0.597,
    ),
    "same model over turn-packed 200-token chunks": (0.261, 0.374, 0.534, 0.500),
    "RRF of BM25 and dense over those chunks": (0.261, 0.378, 0.523, 0.507),
}
# The reference row each of our retrievers is the counterpart of.
COUNTERPART = {
    "dense": "same model over turn-packed 200-token chunks",
    "keyword": "BM25 over 256-token windows",
    "hybrid": "RRF of BM25 and dense over those chunks",
    "opening": "the meeting's opening B tokens",
}
LLAMAINDEX = "LlamaIndex defaults (1,024-token SentenceSplitter chunks, same model)"


@dataclass(frozen=True)
class Ranking:
    """What a retriever returned for one question: passages best first, and detected speakers."""

    passages: tuple[RankedPassage, ...]
    detected_speakers: tuple[str, ...] = ()


RetrieveFn = Callable[[SuiteQuestion], Ranking]


def metric_names(budgets: Sequence[int] = BUDGETS, mrr_k: int = MRR_K) -> list[str]:
    """Column names: R@B for each budget, then MRR@k."""
    return [f"R@{b}" for b in budgets] + [f"MRR@{mrr_k}"]


def score_ranking(
    ranking: Ranking,
    question: SuiteQuestion,
    budgets: Sequence[int] = BUDGETS,
    mrr_k: int = MRR_K,
) -> dict[str, float] | None:
    """EvidenceRecall@B per budget and MRR@k of one ranking; None without countable evidence."""
    scores: dict[str, float] = {}
    for budget in budgets:
        value = evidence_recall_at(ranking.passages, question.evidence, budget)
        if value is None:
            return None
        scores[f"R@{budget}"] = value
    mrr = mrr_at(ranking.passages, question.evidence, mrr_k)
    scores[f"MRR@{mrr_k}"] = 0.0 if mrr is None else mrr
    return scores


def run_benchmark(
    questions: Sequence[SuiteQuestion],
    retrievers: Mapping[str, RetrieveFn],
    budgets: Sequence[int] = BUDGETS,
    mrr_k: int = MRR_K,
) -> dict[str, Any]:
    """Score every retriever on every question; means and per-question figures, by retriever.

    Questions without countable evidence (no quote of four words or more) are left out of every
    mean and listed under "skipped".
    """
    if not retrievers:
        raise ValueError("run_benchmark needs at least one retriever, got none")
    if not questions:
        raise ValueError("run_benchmark needs at least one question, got none")
    names = metric_names(budgets, mrr_k)
    out: dict[str, Any] = {"metrics": names, "retrievers": {}, "skipped": []}
    for name, retrieve in retrievers.items():
        rows: list[dict[str, Any]] = []
        skipped: list[str] = []
        for question in questions:
            ranking = retrieve(question)
            scores = score_ranking(ranking, question, budgets, mrr_k)
            if scores is None:
                skipped.append(question.id)
                continue
            rows.append(
                {
                    "id": question.id,
                    **scores,
                    "passages": len(ranking.passages),
                    "context_tokens": sum(count_tokens(p.text) for p in ranking.passages),
                    "detected_speakers": list(ranking.detected_speakers),
                }
            )
        means = {m: (sum(r[m] for r in rows) / len(rows) if rows else 0.0) for m in names}
        out["retrievers"][name] = {
            "means": means,
            "questions": len(rows),
            "detected_speaker_questions": sum(bool(r["detected_speakers"]) for r in rows),
            "short_context_questions": sum(r["context_tokens"] < max(budgets) for r in rows),
            "per_question": rows,
        }
        out["skipped"] = skipped
    return out


def per_question(result: Mapping[str, Any], retriever: str, metric: str) -> dict[str, float]:
    """{question id: value} of one metric of one retriever in a `run_benchmark` result."""
    rows = result["retrievers"][retriever]["per_question"]
    return {str(r["id"]): float(r[metric]) for r in rows}


def paired(
    a: Mapping[str, float], b: Mapping[str, float], *, seed: int = 0
) -> dict[str, float] | None:
    """Paired bootstrap of b - a over the question ids both have; None when they share none."""
    ids = sorted(set(a) & set(b))
    if not ids:
        return None
    stats = paired_bootstrap([a[i] for i in ids], [b[i] for i in ids], seed=seed)
    return {**stats, "questions": len(ids)}


def comparisons(
    result: Mapping[str, Any],
    pairs: Sequence[tuple[str, str]] = (("dense", "hybrid"), ("keyword", "hybrid")),
    metric: str = "R@1000",
) -> dict[str, dict[str, float]]:
    """Paired bootstraps "B vs A" (of B - A) for the pairs whose retrievers were both run."""
    run = result["retrievers"]
    out: dict[str, dict[str, float]] = {}
    for a, b in pairs:
        if a in run and b in run:
            stats = paired(per_question(result, a, metric), per_question(result, b, metric))
            if stats is not None:
                out[f"{b} vs {a} ({metric})"] = stats
    return out


def against_baseline(
    result: Mapping[str, Any], baseline: Mapping[str, Any], metric: str = "R@1000"
) -> dict[str, dict[str, float]]:
    """Paired bootstraps of this run against an earlier run's JSON, retriever by retriever."""
    out: dict[str, dict[str, float]] = {}
    for name in result["retrievers"]:
        if name in baseline.get("retrievers", {}):
            stats = paired(per_question(baseline, name, metric), per_question(result, name, metric))
            if stats is not None:
                out[f"{name}: this run vs baseline ({metric})"] = stats
    return out


# --- wiring to the library ------------------------------------------------------------------


def library_folder(cache_dir: Path, encoder_name: str, chunk_tokens: int) -> Path:
    """The cached library of one encoder and chunk budget: <cache>/<model>-c<budget>."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", encoder_name).strip("_") or "model"
    return Path(cache_dir) / f"{slug}-c{chunk_tokens}"


def open_library(
    folder: Path, encoder: Any, chunk_tokens: int, files: Sequence[Path], *, sentences: bool = True
) -> Any:
    """A library of the files at folder, built or brought up to date (unchanged files are
    skipped, so a cached library embeds nothing). Without `sentences` phase two is not run:
    retrieval ranks chunks only, so its scores are the same."""
    from qa.ingest.pipeline import ingest
    from qa.serialize import file_result_json
    from qa.store.library import Library

    library = Library(folder, encoder, chunk_tokens=chunk_tokens)
    library.require_current()
    report = ingest(library, list(files), sentences=sentences)
    failed = [file_result_json(f) for f in report.files if f.status == "failed"]
    if failed:
        raise RuntimeError(f"could not ingest {len(failed)} meeting files: {failed}")
    return library


def library_retriever(
    library: Any,
    mode: str,
    *,
    k: int = DEFAULT_K,
    detect: bool = True,
    fill: int = max(BUDGETS),
    **options: Any,
) -> RetrieveFn:
    """A Retriever in one mode (options: its fusion, neighbour_weight...), scoped
    to each question's transcripts, asking for more passages (k doubled) until they hold `fill`
    tokens or the meeting runs out."""
    from qa.retrieve.retriever import Retriever

    if k < 1:
        raise ValueError(f"k must be greater than 0, got {k}")
    retriever = Retriever(library, mode=mode, **options)

    def retrieve(question: SuiteQuestion) -> Ranking:
        scope = Filters(transcripts=question.transcripts)
        asked = k
        while True:
            result = retriever.retrieve(question.question, asked, scope, detect=detect)
            tokens = sum(count_tokens(p.text) for p in result.passages)
            if tokens >= fill or len(result.passages) < asked:
                return Ranking(tuple(result.passages), tuple(result.detected.speakers))
            asked *= 2

    return retrieve


def opening_retriever(library: Any) -> RetrieveFn:
    """The meeting's chunks in transcript order: the 'opening B tokens' reference row."""

    def retrieve(question: SuiteQuestion) -> Ranking:
        ids = library.filtered_chunk_ids(Filters(transcripts=question.transcripts))
        stored = library.chunks([int(i) for i in ids]) if ids is not None else {}
        ordered = sorted(stored.values(), key=lambda s: (s.chunk.transcript_id, s.chunk.ordinal))
        return Ranking(
            tuple(
                PassageRecord(
                    s.chunk.transcript_id,
                    s.chunk.utterance_start,
                    s.chunk.utterance_end,
                    s.chunk.text,
                )
                for s in ordered
            )
        )

    return retrieve


def token_windows(
    transcript_id: str, utterances: Sequence[Any], size: int = WINDOW_TOKENS
) -> list[PassageRecord]:
    """Consecutive `size`-token windows (cl100k) over a transcript's "Speaker: text" lines,
    each with the utterances it touches; the last window may be shorter."""
    if size < 1:
        raise ValueError(f"size must be greater than 0, got {size}")
    from qa.tokens import encoding

    ids: list[int] = []
    owner: list[int] = []  # the utterance index of every token
    for u in utterances:
        line = f"{u.speaker}: {u.text}\n" if u.speaker else f"{u.text}\n"
        line_ids = encoding().encode_ordinary(line)
        ids.extend(line_ids)
        owner.extend([u.index] * len(line_ids))
    return [
        PassageRecord(
            transcript_id,
            owner[start],
            owner[min(start + size, len(ids)) - 1],
            encoding().decode(ids[start : start + size]),
        )
        for start in range(0, len(ids), size)
    ]


def bm25_terms(text: str) -> list[str]:
    """BM25's tokens: lowercased words without stopwords, Snowball-stemmed."""
    from qa.text import STOPWORDS, WORD, stem

    return [stem(w) for w in WORD.findall(text.lower()) if w not in STOPWORDS]


def window_bm25_retriever(library: Any, size: int = WINDOW_TOKENS) -> RetrieveFn:
    """Plain BM25 over `size`-token windows of every transcript of the library, scoped to each
    question's transcripts when it has any: the baseline the hybrid retriever must beat."""
    from rank_bm25 import BM25Okapi

    windows = [
        w
        for info in library.transcripts()
        for w in token_windows(info.id, library.utterances(info.id), size)
    ]
    bm25 = BM25Okapi([bm25_terms(w.text) for w in windows])

    def retrieve(question: SuiteQuestion) -> Ranking:
        scores = bm25.get_scores(bm25_terms(question.question))
        order = sorted(range(len(windows)), key=lambda i: (-scores[i], i))
        if question.transcripts:
            order = [i for i in order if windows[i].transcript_id in question.transcripts]
        return Ranking(tuple(windows[i] for i in order[:200]))

    return retrieve


def suite_questions(
    questions: Sequence[SuiteQuestion], transcript_ids: Sequence[str], *, corpus_only: bool = True
) -> list[SuiteQuestion]:
    """The suite's questions a retrieval benchmark can score on this library: answerable, no
    history, every evidence item in one of its transcripts (and, with corpus_only, asked of the
    whole library rather than inside named transcripts)."""
    present = set(transcript_ids)
    return [
        q
        for q in questions
        if q.answerable
        and not q.history
        and q.evidence
        and all(e.transcript_id in present for e in q.evidence)
        and not (corpus_only and q.transcripts)
    ]


# --- reporting --------------------------------------------------------------------------------


def _row(label: str, values: Sequence[float]) -> str:
    return f"| {label} | " + " | ".join(f"{v:.3f}" for v in values) + " |"


def markdown_report(result: Mapping[str, Any]) -> str:
    """The issue's table with this run's rows, ratios to the reference rows, and paired tests."""
    names = list(result["metrics"])
    run = result["retrievers"]
    n = next(iter(run.values()))["questions"] if run else 0
    settings = result.get("settings", {})
    meetings = settings.get("meetings", "?")
    lines = [
        f"| retriever ({meetings} QMSum meetings, {n} queries) | " + " | ".join(names) + " |",
        "|---" * (len(names) + 1) + "|",
    ]
    qmsum = "suite" not in settings
    if not qmsum:
        lines[0] = (
            f"| retriever ({settings['suite']}: {n} questions, {settings.get('scope')}) | "
            + " | ".join(names)
            + " |"
        )
    if names == metric_names() and qmsum:
        lines.extend(_row(f"reference: {label}", vals) for label, vals in REFERENCE.items())
    for name, data in run.items():
        lines.append(_row(f"**{name}** (this run)", [data["means"][m] for m in names]))
    if names == metric_names() and qmsum:
        lines += ["", "Ratios to the reference rows (this run / reference):", ""]
        lines += [
            "| retriever | counterpart row | R@500 | R@1000 | R@2000 | R@1000 / LlamaIndex |",
            "|---|---|---|---|---|---|",
        ]
        for name, data in run.items():
            counterpart = COUNTERPART.get(name)
            if counterpart is None:
                continue
            ref = REFERENCE[counterpart]
            ratios = [data["means"][m] / r for m, r in zip(names[:3], ref[:3], strict=True)]
            llama = data["means"]["R@1000"] / REFERENCE[LLAMAINDEX][1]
            lines.append(
                f"| {name} | {counterpart} | "
                + " | ".join(f"{x:.2f}x" for x in ratios)
                + f" | {llama:.2f}x |"
            )
    lines += [""] + [
        f"{name}: a speaker filter was read from {data['detected_speaker_questions']} of "
        f"{data['questions']} queries; {data['short_context_questions']} contexts are shorter "
        f"than the largest budget (no more passages matched)."
        for name, data in run.items()
    ]
    tests = {**result.get("comparisons", {}), **result.get("baseline_comparisons", {})}
    if tests:
        lines += ["", "Paired bootstrap (10,000 resamples over queries):", ""]
        lines += ["| comparison | delta | 95% CI | p |", "|---|---|---|---|"]
        for label, s in tests.items():
            lines.append(
                f"| {label} | {s['delta']:+.3f} | [{s['ci_low']:+.3f}, {s['ci_high']:+.3f}] "
                f"| {s['p_value']:.4f} |"
            )
    if "hybrid" in run and "R@1000" in names:
        hybrid = run["hybrid"]["means"]["R@1000"]
        if not qmsum:
            if "bm25" in run:
                above = hybrid > run["bm25"]["means"]["R@1000"]
                lines += ["", f"Hybrid above plain BM25 at R@1000: {'yes' if above else 'NO'}."]
        else:
            others = [run[m]["means"]["R@1000"] for m in ("dense", "keyword") if m in run]
            met = hybrid >= TARGET_R1000 and all(hybrid > o for o in others)
            lines += [
                "",
                f"Target (hybrid R@1000 >= {TARGET_R1000} and above dense and keyword run here): "
                f"{'met' if met else 'NOT met'} (hybrid R@1000 = {hybrid:.3f}).",
            ]
    if settings:
        lines += ["", "Settings: " + json.dumps(settings, sort_keys=True)]
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks.bench_retrieval", description=__doc__)
    p.add_argument("--retriever", nargs="+", choices=MODES, default=["dense", "keyword", "hybrid"])
    p.add_argument(
        "--chunk-tokens", type=int, default=None, help="default: the chunk_tokens setting"
    )
    p.add_argument("--library-cache", type=Path, help="reuse libraries here (default: a temp dir)")
    p.add_argument("--out", type=Path, help="write the full result as JSON here")
    p.add_argument("--baseline", type=Path, help="an earlier --out JSON to compare with, paired")
    p.add_argument("--k", type=int, default=DEFAULT_K, help="passages asked for first")
    p.add_argument("--no-detect", action="store_true", help="do not read speakers from queries")
    p.add_argument("--fusion", choices=("scores", "rrf"), default="scores", help="hybrid fusion")
    p.add_argument(
        "--neighbour-weight", type=float, default=None, help="hybrid: neighbours' share of a score"
    )
    p.add_argument("--encoder", default=DEFAULT_MODEL)
    p.add_argument(
        "--suite", type=Path, nargs="+", help="score these suites' questions instead of QMSum"
    )
    p.add_argument("--library", type=Path, help="with --suite: the library the suite asks")
    p.add_argument(
        "--scope",
        choices=("corpus", "all"),
        default="corpus",
        help="with --suite: only questions asked of the whole library, or also scoped ones",
    )
    p.add_argument("--qmsum-dir", type=Path, default=DEFAULT_QMSUM)
    p.add_argument("--evidence-dir", type=Path, default=DEFAULT_EVIDENCE)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark from the command line; prints the Markdown report."""
    from embeddings.loading import load_encoder
    from qa.retrieve.fusion import NEIGHBOUR_WEIGHT
    from qa.settings import load_settings

    args = _parser().parse_args(argv)
    if args.suite is not None:
        return _suite_main(args)
    chunk_tokens = args.chunk_tokens or load_settings().chunk_tokens
    neighbour_weight = NEIGHBOUR_WEIGHT if args.neighbour_weight is None else args.neighbour_weight
    options = {"fusion": args.fusion, "neighbour_weight": neighbour_weight}
    questions = import_qmsum(args.qmsum_dir, args.evidence_dir)
    files = sorted(Path(args.qmsum_dir).glob("*.json"))
    encoder = load_encoder(args.encoder)
    with tempfile.TemporaryDirectory(prefix="qmsum-bench-") as tmp:
        cache = args.library_cache or Path(tmp)
        folder = library_folder(cache, encoder.name, chunk_tokens)
        print(f"library: {folder}", file=sys.stderr)
        library = open_library(folder, encoder, chunk_tokens, files)
        try:
            retrievers: dict[str, RetrieveFn] = {
                mode: (
                    opening_retriever(library)
                    if mode == "opening"
                    else window_bm25_retriever(library)
                    if mode == "bm25"
                    else library_retriever(
                        library, mode, k=args.k, detect=not args.no_detect, **options
                    )
                )
                for mode in args.retriever
            }
            result = run_benchmark(questions, retrievers)
        finally:
            library.close()
    result["settings"] = {
        "meetings": len(files),
        "encoder": encoder.name,
        "chunk_tokens": chunk_tokens,
        "k": args.k,
        "detect_speakers": not args.no_detect,
        **options,
    }
    _finish(args, result)
    return 0


def _suite_main(args: argparse.Namespace) -> int:
    """--suite: the suite's questions over an existing library (nothing is ingested)."""
    from embeddings.loading import load_encoder
    from eval.suite import load_suite
    from qa.retrieve.fusion import NEIGHBOUR_WEIGHT
    from qa.store.library import Library

    if args.library is None or not (args.library / "manifest.json").exists():
        raise SystemExit(f"--suite needs --library with an existing library, got {args.library}")
    neighbour_weight = NEIGHBOUR_WEIGHT if args.neighbour_weight is None else args.neighbour_weight
    options = {"fusion": args.fusion, "neighbour_weight": neighbour_weight}
    with Library(args.library, load_encoder(args.encoder)) as library:
        library.require_current()
        asked = [q for path in args.suite for q in load_suite(path)]
        questions = suite_questions(
            asked, library.transcript_ids(), corpus_only=args.scope == "corpus"
        )
        if not questions:
            raise SystemExit(f"no question of {args.suite} has its evidence in {args.library}")
        retrievers: dict[str, RetrieveFn] = {
            mode: (
                window_bm25_retriever(library)
                if mode == "bm25"
                else library_retriever(
                    library, mode, k=args.k, detect=not args.no_detect, **options
                )
            )
            for mode in args.retriever
            if mode != "opening"
        }
        result = run_benchmark(questions, retrievers)
        result["settings"] = {
            "suite": " + ".join(Path(p).name for p in args.suite),
            "library": str(args.library),
            "scope": args.scope,
            "transcripts": len(library.transcript_ids()),
            "k": args.k,
            "detect_speakers": not args.no_detect,
            "bm25_window_tokens": WINDOW_TOKENS,
            **options,
        }
    _finish(args, result)
    return 0


def _finish(args: argparse.Namespace, result: dict[str, Any]) -> None:
    result["comparisons"] = comparisons(
        result, (("dense", "hybrid"), ("keyword", "hybrid"), ("bm25", "hybrid"))
    )
    if args.baseline:
        result["baseline_comparisons"] = against_baseline(
            result, json.loads(args.baseline.read_text(encoding="utf-8"))
        )
    print(markdown_report(result))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1), encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
