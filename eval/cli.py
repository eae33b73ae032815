"""`tqa eval …`: run suites, import QA sets, compare runs. The CLI edge of eval/."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from qa.errors import SettingsError, TranscriptQAError
from qa.settings import Settings, setting

USAGE = """tqa eval SUITE... [--retriever R] [--answerer A] [--judge J] [--out DIR]
                [--fail-under M=V] [--limit N]
tqa eval import-qmsum QMSUM_DIR --evidence ETRI_DIR -o SUITE [--include-general]
tqa eval import QUESTIONS.csv|jsonl -o SUITE
tqa eval compare RUN_A RUN_B"""


def add_eval_arguments(parser: argparse.ArgumentParser) -> None:
    parser.usage = USAGE
    parser.add_argument("rest", nargs=argparse.REMAINDER, help="a suite to run, or a subcommand")


def _run_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tqa eval", usage=USAGE)
    p.add_argument("suites", nargs="+", type=Path)
    retriever = setting("retriever")
    p.add_argument("--retriever", choices=retriever.allowed, help=retriever.help)
    p.add_argument("--answerer", choices=("extractive", "llm"), default="extractive")
    p.add_argument("--judge", default="lexical", help="lexical, nli:MODEL_FOLDER, or llm")
    p.add_argument("--out", type=Path, default=Path("eval-runs/latest"))
    p.add_argument("--fail-under", action="append", default=[], metavar="METRIC=VALUE")
    p.add_argument("--limit", type=int, help="run only the first N questions (a quick look)")
    return p


def run_eval_command(args: argparse.Namespace, settings: Settings) -> int:
    rest: list[str] = list(args.rest)
    if not rest:
        print(USAGE, file=sys.stderr)
        return 2
    if rest[0] == "import-qmsum":
        return _import_qmsum(rest[1:])
    if rest[0] == "import":
        return _import(rest[1:])
    if rest[0] == "compare":
        return _compare(rest[1:])
    return _run(_run_parser().parse_args(rest), settings)


def _import_qmsum(argv: list[str]) -> int:
    from eval.importers import import_qmsum
    from eval.suite import write_suite

    p = argparse.ArgumentParser(prog="tqa eval import-qmsum")
    p.add_argument("qmsum_dir", type=Path)
    p.add_argument("--evidence", type=Path, required=True)
    p.add_argument("-o", "--output", type=Path, required=True)
    p.add_argument("--include-general", action="store_true")
    a = p.parse_args(argv)
    questions = import_qmsum(a.qmsum_dir, a.evidence, include_general=a.include_general)
    write_suite(questions, a.output)
    print(f"{len(questions)} questions written to {a.output}")
    return 0


def _import(argv: list[str]) -> int:
    from eval.importers import import_questions
    from eval.suite import write_suite

    p = argparse.ArgumentParser(prog="tqa eval import")
    p.add_argument("questions", type=Path)
    p.add_argument("-o", "--output", type=Path, required=True)
    a = p.parse_args(argv)
    questions = import_questions(a.questions)
    write_suite(questions, a.output)
    print(f"{len(questions)} questions written to {a.output}")
    return 0


def _compare(argv: list[str]) -> int:
    from eval.report import compare_runs

    p = argparse.ArgumentParser(prog="tqa eval compare")
    p.add_argument("run_a", type=Path)
    p.add_argument("run_b", type=Path)
    a = p.parse_args(argv)
    print(compare_runs(a.run_a, a.run_b))
    return 0


def parse_thresholds(items: list[str]) -> dict[str, float]:
    thresholds: dict[str, float] = {}
    for item in items:
        name, _, value = item.partition("=")
        try:
            thresholds[name.strip()] = float(value)
        except ValueError:
            raise SettingsError(f"--fail-under takes METRIC=NUMBER, got {item!r}") from None
    return thresholds


def _judge(spec: str, settings: Settings) -> Any:
    from eval.judges import CrossEncoderNLIJudge, LexicalJudge, LLMJudge

    if spec == "lexical":
        return LexicalJudge()
    if spec.startswith("nli:"):
        return CrossEncoderNLIJudge(spec.removeprefix("nli:"))
    if spec == "llm":
        if not settings.llm_base_url:
            raise SettingsError("--judge llm needs TQA_LLM_BASE_URL and TQA_LLM_MODEL")
        return LLMJudge(settings.llm_base_url, settings.llm_model, settings.llm_api_key)
    raise SettingsError(f"--judge must be lexical, nli:FOLDER or llm, got {spec!r}")


def _run(a: argparse.Namespace, settings: Settings) -> int:
    from rich.progress import Progress

    from eval.report import check_fail_under, write_report
    from eval.runner import run_suite
    from eval.suite import load_suite
    from qa.runtime import build_assistant, open_library

    thresholds = parse_thresholds(a.fail_under)
    if a.answerer == "llm" and not settings.llm_base_url:
        raise SettingsError("--answerer llm needs TQA_LLM_BASE_URL (and TQA_LLM_MODEL)")
    if a.answerer == "extractive":
        settings = settings.with_overrides(llm_base_url="")
    if a.retriever:
        settings = settings.with_overrides(retriever=a.retriever)
    questions = [q for suite in a.suites for q in load_suite(suite)]
    if a.limit:
        questions = questions[: a.limit]
    if not (settings.library_path / "library.sqlite").exists():
        raise TranscriptQAError(
            f"no library at {settings.library}: eval ingests nothing by itself; "
            "ingest the suite's transcripts first (tqa --library DIR ingest …)"
        )
    library = open_library(settings)
    library.require_current()
    assistant = build_assistant(settings, library)
    judge = _judge(a.judge, settings)
    with Progress(transient=True, disable=not sys.stderr.isatty()) as bar:
        task = bar.add_task("questions", total=len(questions))
        results = run_suite(
            assistant,
            questions,
            judge,
            mode=settings.retriever,
            progress=lambda done, total: bar.update(task, completed=done),
        )
    a.out.mkdir(parents=True, exist_ok=True)
    with open(a.out / "results.jsonl", "w", encoding="utf-8") as handle:
        for result in results:
            handle.write(json.dumps(result, ensure_ascii=False) + "\n")
    report = write_report(
        results,
        a.out,
        title=", ".join(s.name for s in a.suites),
        settings={
            "retriever": settings.retriever,
            "answerer": a.answerer,
            "judge": a.judge,
            "embedding_model": settings.embedding_model,
            "chunk_tokens": settings.chunk_tokens,
            "top_k": settings.top_k,
            "abstain_threshold": settings.abstain_threshold,
            "library": settings.library,
        },
    )
    _print_headline(report["headline"], a.out)
    failures = check_fail_under(report, thresholds)
    for failure in failures:
        print(f"fail-under: {failure}", file=sys.stderr)
    return 1 if failures else 0


def _print_headline(headline: dict[str, float | None], out: Path) -> None:
    for name, value in headline.items():
        shown = "-" if value is None else f"{value:.3f}"
        print(f"{name:<28} {shown}")
    print(f"report: {out / 'report.md'}")
