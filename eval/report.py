"""Per-question metrics from `tqa ask --json` results, aggregates, reports and run comparison."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from eval.judges import Judge
from eval.metrics import (
    abstention_scores,
    answer_first,
    answer_leads,
    answer_recall,
    citation_precision,
    citation_recall,
    evidence_recall_at,
    grounded_share,
    mrr_at,
    ndcg_at,
    passage_from_json,
    percentile,
    recall_at,
    split_answer_sentences,
    token_f1,
    verified_share,
)
from eval.stats import paired_bootstrap
from eval.suite import SuiteQuestion
from qa.errors import TranscriptQAError

__all__ = [
    "BUDGETS",
    "METRIC_LEGEND",
    "METRIC_NAMES",
    "aggregate",
    "check_fail_under",
    "compare_runs",
    "headline",
    "load_results",
    "plot_budget_curves",
    "quality_score",
    "question_metrics",
    "write_report",
]

BUDGETS = (500, 1000, 2000)
METRIC_NAMES = (
    *(f"evidence_recall@{b}" for b in BUDGETS),
    "mrr@10",
    "ndcg@10",
    "recall@10",
    "citation_recall",
    "citation_precision",
    "citations_verified",
    "grounded",
    "answer_recall",
    "token_f1",
    "abstention_correct",
    "answer_first",
    "answer_leads",
)
_KIND_COLUMNS = (
    "evidence_recall@1000",
    "mrr@10",
    "citation_recall",
    "grounded",
    "answer_recall",
    "answer_first",
    "answer_leads",
    "abstention_correct",
)
_MARKERS = re.compile(r"\[\d+(?:\s*,\s*\d+)*\]")
_QUALITY_METRICS = ("evidence_recall@1000", "answer_recall", "citation_recall", "grounded")

METRIC_LEGEND: dict[str, str] = {
    "evidence_recall@B": (
        "Ranked passages concatenated in order until B cl100k tokens (the last truncated); the "
        "share of gold evidence items found in ONE passage of that context. A quote counts when "
        "its normalized text (lowercase, whitespace collapsed, tokens without a letter or digit "
        "dropped) is a substring of the normalized passage text of the same transcript; quotes "
        "under four words are skipped; index-only evidence counts when a passage of the context "
        "covers its utterance. B = 500, 1000, 2000."
    ),
    "mrr@10": "1/rank of the first of the top 10 passages that contains a gold evidence item.",
    "ndcg@10": (
        "Binary nDCG@10, a passage relevant when it contains a gold evidence item; the ideal "
        "ranking puts the retrieved relevant passages first (qrels = retrieved passages)."
    ),
    "recall@10": "Share of gold evidence items contained in at least one of the top 10 passages.",
    "citation_recall": (
        "ALCE: share of answer sentences whose cited quotes, joined, support the sentence "
        "(a sentence without citations is unsupported)."
    ),
    "citation_precision": (
        "ALCE: share of citations that are precise: the sentence's citations jointly support it "
        "and the citation is not irrelevant (irrelevant = it alone does not support the sentence "
        "and the other citations still do without it)."
    ),
    "citations_verified": (
        "Share of citations the answerer verified (quote found in the cited utterances, "
        "speaker right)."
    ),
    "grounded": "Share of answer sentences supported by at least one retrieved passage alone.",
    "answer_recall": (
        "Share of gold answers whose SQuAD-normalized text occurs (on word boundaries) in the "
        "normalized answer; unanswerable questions have none."
    ),
    "token_f1": "SQuAD token F1 of the answer against its best gold answer.",
    "answer_first": (
        "1 when a gold answer occurs (as for answer_recall) in the quote of the answer's first "
        "citation, the one it leads with; 0 otherwise, abstentions included; unanswerable "
        "questions have none."
    ),
    "answer_leads": (
        "1 when a gold answer occurs in the answer up to its first citation mark: the first "
        "quote and the words introducing it (the speaker for who-said, the count for "
        "counting); 0 otherwise, abstentions included."
    ),
    "abstention_correct": "1 when the system abstained exactly on an unanswerable question.",
    "abstention P/R/F1": (
        "Precision, recall and F1 of abstaining, with unanswerable questions as positives."
    ),
    "latency": "p50/p95 seconds of retrieval and of the whole answer (linear interpolation).",
    "support": (
        "Support is decided by the run's judge (default: lexical, content-word coverage >= "
        "threshold, numbers present, negation matching)."
    ),
}


# --- one question ------------------------------------------------------------------------


def question_metrics(
    question: SuiteQuestion, result: Mapping[str, Any], judge: Judge
) -> dict[str, float | None]:
    """Every metric of one question, computed from its result dict alone (None = not defined)."""
    metrics: dict[str, float | None] = dict.fromkeys(METRIC_NAMES)
    if result.get("error"):
        return metrics
    raw_passages = sorted(result.get("passages") or [], key=lambda p: p.get("rank", 0))
    passages = [passage_from_json(p) for p in raw_passages]
    evidence = question.evidence
    for b in BUDGETS:
        metrics[f"evidence_recall@{b}"] = evidence_recall_at(passages, evidence, b)
    metrics["mrr@10"] = mrr_at(passages, evidence, 10)
    metrics["ndcg@10"] = ndcg_at(passages, evidence, 10)
    metrics["recall@10"] = recall_at(passages, evidence, 10)

    abstained = bool(result.get("abstained"))
    answer = str(result.get("answer") or "")
    citations = result.get("citations") or []
    quotes = {int(c["n"]): str(c.get("quote") or "") for c in citations}
    sentences = [] if abstained else split_answer_sentences(answer)
    cited = [(s, [quotes[n] for n in markers if quotes.get(n)]) for s, markers in sentences]
    metrics["citation_recall"] = citation_recall(cited, judge)
    metrics["citation_precision"] = citation_precision(cited, judge)
    metrics["citations_verified"] = verified_share(
        [bool(c["verified"]) for c in citations if c.get("verified") is not None]
    )
    metrics["grounded"] = grounded_share(
        [s for s, _ in sentences], [p.text for p in passages], judge
    )
    plain = _MARKERS.sub(" ", answer)  # "[1]" is not part of what the answer says
    metrics["answer_recall"] = answer_recall(plain, question.answers)
    metrics["token_f1"] = token_f1(plain, question.answers)
    first = min(citations, key=lambda c: int(c["n"]), default=None)
    metrics["answer_first"] = answer_first(
        None if abstained or first is None else str(first.get("quote") or ""), question.answers
    )
    mark = _MARKERS.search(answer)
    lead = answer[: mark.start()] if mark else answer
    metrics["answer_leads"] = answer_leads(None if abstained else lead, question.answers)
    metrics["abstention_correct"] = float(abstained != question.answerable)
    return metrics


def quality_score(result: Mapping[str, Any]) -> float:
    """One number per question for ranking the worst: 0 for an error; otherwise the mean of the
    defined values among EvidenceRecall@1000, answer recall, citation recall and grounding, and
    abstention correctness for unanswerable questions."""
    if result.get("error"):
        return 0.0
    metrics = result.get("metrics") or {}
    values = [metrics[m] for m in _QUALITY_METRICS if metrics.get(m) is not None]
    if not result.get("answerable", True) and metrics.get("abstention_correct") is not None:
        values.append(metrics["abstention_correct"])
    return sum(values) / len(values) if values else 0.0


# --- aggregates ----------------------------------------------------------------------------


def _means(results: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, float | int | None]]:
    out: dict[str, dict[str, float | int | None]] = {}
    for name in METRIC_NAMES:
        values = [
            float(v) for r in results if (v := (r.get("metrics") or {}).get(name)) is not None
        ]
        out[name] = {"mean": sum(values) / len(values) if values else None, "n": len(values)}
    return out


def _abstention(results: Sequence[Mapping[str, Any]]) -> dict[str, float | int | None]:
    ok = [r for r in results if not r.get("error")]
    scores: dict[str, float | int | None] = dict(
        abstention_scores(
            [bool(r.get("abstained")) for r in ok], [bool(r.get("answerable", True)) for r in ok]
        )
    )
    scores["abstained"] = sum(bool(r.get("abstained")) for r in ok)
    scores["unanswerable"] = sum(not r.get("answerable", True) for r in ok)
    return scores


def _latency(results: Sequence[Mapping[str, Any]], part: str) -> dict[str, float | None]:
    values = [
        float(v)
        for r in results
        if not r.get("error") and (v := (r.get("latency_s") or {}).get(part)) is not None
    ]
    return {"p50": percentile(values, 50), "p95": percentile(values, 95)}


def aggregate(results: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Means over non-null metric values, counts, errors, abstention scores, latency
    percentiles, and the same per `kind`."""
    kinds = sorted({str(r.get("kind") or "") for r in results})
    return {
        "questions": len(results),
        "errors": sum(bool(r.get("error")) for r in results),
        "metrics": _means(results),
        "abstention": _abstention(results),
        "latency_s": {
            "retrieval": _latency(results, "retrieval"),
            "answer": _latency(results, "answer"),
        },
        "by_kind": {
            kind: {
                "questions": len(rs),
                "errors": sum(bool(r.get("error")) for r in rs),
                "metrics": _means(rs),
                "abstention": _abstention(rs),
            }
            for kind in kinds
            if (rs := [r for r in results if str(r.get("kind") or "") == kind])
        },
    }


def headline(agg: Mapping[str, Any]) -> dict[str, float | None]:
    """The flat name -> value table of an aggregate (what --fail-under checks)."""
    out: dict[str, float | None] = {name: agg["metrics"][name]["mean"] for name in METRIC_NAMES}
    for key in ("precision", "recall", "f1"):
        out[f"abstention_{key}"] = agg["abstention"][key]
    for part in ("retrieval", "answer"):
        for q in ("p50", "p95"):
            out[f"latency_{part}_{q}_s"] = agg["latency_s"][part][q]
    return out


# --- report files --------------------------------------------------------------------------


def _fmt(value: object, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _snippet(text: str, limit: int = 160) -> str:
    flat = " ".join(str(text).split())
    return _cell(flat if len(flat) <= limit else flat[: limit - 1] + "…")


def plot_budget_curves(curves: Mapping[str, Sequence[float | None]], path: str | Path) -> None:
    """EvidenceRecall against budget (500/1000/2000 tokens), one line per run or retriever."""
    from matplotlib.figure import Figure  # no pyplot: no global state, Agg-rendered PNG

    fig = Figure(figsize=(6, 4), dpi=100)
    ax = fig.subplots()
    for label, values in curves.items():
        points = [(b, v) for b, v in zip(BUDGETS, values, strict=True) if v is not None]
        if points:
            ax.plot([b for b, _ in points], [v for _, v in points], marker="o", label=label)
    ax.set_xlabel("context budget B (cl100k tokens)")
    ax.set_ylabel("EvidenceRecall@B")
    ax.set_xticks(list(BUDGETS))
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    if curves:
        ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(str(path), format="png")


def _plot_per_kind(agg: Mapping[str, Any], path: Path) -> None:
    from matplotlib.figure import Figure

    kinds = list(agg["by_kind"])
    fig = Figure(figsize=(max(6, 1.6 * len(kinds) + 2), 4.5), dpi=100)
    ax = fig.subplots()
    width = 0.8 / len(_KIND_COLUMNS)
    for j, metric in enumerate(_KIND_COLUMNS):
        xs, ys = [], []
        for i, kind in enumerate(kinds):
            value = agg["by_kind"][kind]["metrics"][metric]["mean"]
            if value is not None:
                xs.append(i + (j - (len(_KIND_COLUMNS) - 1) / 2) * width)
                ys.append(value)
        if xs:
            ax.bar(xs, ys, width=width, label=metric, color=f"C{j}")
    ax.set_xticks(range(len(kinds)), [k or "(none)" for k in kinds])
    ax.set_xlim(-0.5, len(kinds) - 0.5)
    ax.set_ylim(0, 1)
    ax.set_ylabel("mean")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize="small", ncols=3, loc="upper center", bbox_to_anchor=(0.5, -0.1))
    fig.tight_layout()
    fig.savefig(str(path), format="png")


def _markdown(
    results: Sequence[Mapping[str, Any]],
    agg: Mapping[str, Any],
    title: str,
    settings: Mapping[str, Any],
    plots: Sequence[str],
) -> str:
    lines = [f"# {title}", ""]
    lines += [
        f"{agg['questions']} questions, {agg['errors']} errors.",
        "",
        "| setting | value |",
        "|---|---|",
    ]
    lines += [f"| {_cell(str(k))} | {_cell(str(v))} |" for k, v in settings.items()]
    lines += ["", "## Headline", "", "| metric | value | n |", "|---|---|---|"]
    for name in METRIC_NAMES:
        m = agg["metrics"][name]
        lines.append(f"| {name} | {_fmt(m['mean'])} | {m['n']} |")
    ab = agg["abstention"]
    for key in ("precision", "recall", "f1"):
        lines.append(f"| abstention {key} | {_fmt(ab[key])} | {ab['unanswerable']} unanswerable |")
    for part in ("retrieval", "answer"):
        lat = agg["latency_s"][part]
        lines.append(
            f"| latency {part} p50 / p95 (s) | {_fmt(lat['p50'], 2)} / {_fmt(lat['p95'], 2)} | |"
        )

    kinds = list(agg["by_kind"])
    lines += ["", "## By kind", ""]
    lines.append("| metric | all | " + " | ".join(_cell(k or "(none)") for k in kinds) + " |")
    lines.append("|---" * (len(kinds) + 2) + "|")
    lines.append(
        "| questions | "
        + str(agg["questions"])
        + " | "
        + " | ".join(str(agg["by_kind"][k]["questions"]) for k in kinds)
        + " |"
    )
    for name in METRIC_NAMES:
        row = [_fmt(agg["metrics"][name]["mean"])]
        row += [_fmt(agg["by_kind"][k]["metrics"][name]["mean"]) for k in kinds]
        lines.append(f"| {name} | " + " | ".join(row) + " |")
    row = [_fmt(agg["abstention"]["f1"])] + [
        _fmt(agg["by_kind"][k]["abstention"]["f1"]) for k in kinds
    ]
    lines.append("| abstention f1 | " + " | ".join(row) + " |")

    lines += [
        "",
        "## Worst ten questions",
        "",
        "Ranked by quality: 0 for an error, else the mean of the defined values among "
        "evidence_recall@1000, answer_recall, citation_recall and grounded (plus "
        "abstention_correct for unanswerable questions).",
        "",
    ]
    worst = sorted(results, key=lambda r: (quality_score(r), str(r.get("id"))))[:10]
    for i, r in enumerate(worst, start=1):
        lines.append(
            f"{i}. **{_cell(str(r.get('id')))}** ({_cell(str(r.get('kind') or ''))}, quality "
            f"{_fmt(quality_score(r))}): {_cell(str(r.get('question') or ''))}"
        )
        if r.get("error"):
            lines.append(f"   - error: {_snippet(str(r['error']), 300)}")
            continue
        m = r.get("metrics") or {}
        shown = ", ".join(
            f"{k} {_fmt(m.get(k))}" for k in ("evidence_recall@1000", "mrr@10", "answer_recall")
        )
        lines.append(f"   - {shown}; abstained: {bool(r.get('abstained'))}")
        lines.append(f"   - answer: {_snippet(str(r.get('answer') or ''), 240)}")
        passages = sorted(r.get("passages") or [], key=lambda p: p.get("rank", 0))[:3]
        if not passages:
            lines.append("   - retrieved: nothing")
        for p in passages:
            start, end = p.get("utterance_start"), p.get("utterance_end")
            ref = f"{p.get('transcript_id')}#u{start}" + (f"-{end}" if end != start else "")
            lines.append(f"   - retrieved #{p.get('rank')} `{ref}`: {_snippet(p.get('text', ''))}")

    lines += ["", "## Plots", ""]
    lines += [f"![{name}]({name})" for name in plots]
    lines += ["", "## Metric definitions", ""]
    lines += [f"- **{k}**: {v}" for k, v in METRIC_LEGEND.items()]
    return "\n".join(lines) + "\n"


def write_report(
    results: Sequence[Mapping[str, Any]],
    out_dir: str | Path,
    *,
    title: str,
    settings: Mapping[str, Any],
) -> dict[str, Any]:
    """Write report.json, report.md and PNG plots into out_dir; returns the report.json object."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    agg = aggregate(results)
    label = str(settings.get("retriever") or title)
    budget_plot, kind_plot = "evidence_recall_budget.png", "per_kind.png"
    plot_budget_curves(
        {label: [agg["metrics"][f"evidence_recall@{b}"]["mean"] for b in BUDGETS]},
        out / budget_plot,
    )
    _plot_per_kind(agg, out / kind_plot)
    plots = [budget_plot, kind_plot]
    report = {
        "title": title,
        "settings": dict(settings),
        "headline": headline(agg),
        "aggregate": agg,
        "plots": plots,
    }
    (out / "report.json").write_text(
        json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (out / "report.md").write_text(
        _markdown(results, agg, title, settings, plots), encoding="utf-8"
    )
    return report


# --- comparison and gates ------------------------------------------------------------------


def load_results(run_dir: str | Path) -> list[dict[str, Any]]:
    """The per-question result objects of a run directory's results.jsonl."""
    path = Path(run_dir) / "results.jsonl"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise TranscriptQAError(f"{path}: cannot read the run's results ({exc})") from exc
    results: list[dict[str, Any]] = []
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TranscriptQAError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from exc
        if not isinstance(obj, dict) or "id" not in obj:
            raise TranscriptQAError(f"{path}:{lineno}: a result must be an object with an 'id'")
        results.append(obj)
    return results


def compare_runs(dir_a: str | Path, dir_b: str | Path, *, n: int = 10000, seed: int = 0) -> str:
    """Markdown: per-metric deltas (B - A) with a paired bootstrap over questions matched by id,
    and the questions whose quality changed most."""
    a = {str(r["id"]): r for r in load_results(dir_a)}
    b = {str(r["id"]): r for r in load_results(dir_b)}
    common = [i for i in a if i in b]
    lines = [
        f"# Comparison: B = `{dir_b}` against A = `{dir_a}`",
        "",
        f"{len(common)} questions matched by id; {len(a) - len(common)} only in A, "
        f"{len(b) - len(common)} only in B. Δ = B − A over questions where both values are "
        f"defined; 95% CI and two-sided p from a paired bootstrap ({n} resamples, seed {seed}).",
        "",
        "| metric | A | B | Δ | 95% CI | p | n |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in METRIC_NAMES:
        pairs = [
            (float(va), float(vb))
            for i in common
            if (va := (a[i].get("metrics") or {}).get(name)) is not None
            and (vb := (b[i].get("metrics") or {}).get(name)) is not None
        ]
        if not pairs:
            continue
        xs, ys = [x for x, _ in pairs], [y for _, y in pairs]
        test = paired_bootstrap(xs, ys, n=n, seed=seed)
        lines.append(
            f"| {name} | {_fmt(sum(xs) / len(xs))} | {_fmt(sum(ys) / len(ys))} | "
            f"{test['delta']:+.3f} | [{test['ci_low']:+.3f}, {test['ci_high']:+.3f}] | "
            f"{test['p_value']:.4f} | {len(pairs)} |"
        )
    for part in ("retrieval", "answer"):
        la = _latency([a[i] for i in common], part)
        lb = _latency([b[i] for i in common], part)
        lines.append(
            f"| latency {part} p50 / p95 (s) | {_fmt(la['p50'], 2)} / {_fmt(la['p95'], 2)} | "
            f"{_fmt(lb['p50'], 2)} / {_fmt(lb['p95'], 2)} | | | | {len(common)} |"
        )
    changes = sorted(
        common,
        key=lambda i: (-abs(quality_score(b[i]) - quality_score(a[i])), i),
    )[:10]
    lines += [
        "",
        "## Questions that changed most (quality score, see report.md)",
        "",
        "| id | kind | A | B | Δ | question |",
        "|---|---|---|---|---|---|",
    ]
    for i in changes:
        qa_, qb = quality_score(a[i]), quality_score(b[i])
        if qa_ == qb:
            break
        lines.append(
            f"| {_cell(i)} | {_cell(str(b[i].get('kind') or ''))} | {qa_:.3f} | {qb:.3f} | "
            f"{qb - qa_:+.3f} | {_snippet(str(b[i].get('question') or ''), 100)} |"
        )
    return "\n".join(lines) + "\n"


def check_fail_under(report: Mapping[str, Any], thresholds: Mapping[str, float]) -> list[str]:
    """Failure messages for every headline metric below its threshold (or missing)."""
    values = report.get("headline") or {}
    failures: list[str] = []
    for name, minimum in thresholds.items():
        if name not in values:
            known = ", ".join(sorted(values))
            failures.append(f"{name}: unknown metric (known: {known})")
        elif values[name] is None:
            failures.append(f"{name}: no value in this run, required >= {minimum}")
        elif values[name] < minimum:
            failures.append(f"{name} = {values[name]:.4f} < {minimum}")
    return failures
