"""Running a suite: every question through the same path as `tqa ask --json`, plus metrics."""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from eval.judges import Judge
from eval.report import question_metrics
from eval.suite import SuiteQuestion, load_suite, question_to_json
from qa.answer.assistant import Assistant, turn_of
from qa.answer.extractive import verify_citation
from qa.models import Answer, Filters
from qa.retrieve.followup import Turn
from qa.serialize import answer_json, passages_json

# Passages kept per question in results.jsonl, retrieved once; the answer uses the first top_k
# of them. Enough to fill the largest budget (2,000 cl100k tokens) for most questions, so anyone
# can recompute the retrieval metrics; and 15 keeps the retriever's candidate depth at what a
# plain question (k = 8) uses, max(60, 4k) = 60, so the first 8 are the passages `tqa ask` gets.
RANKED_DEPTH = 15

Progress = Callable[[int, int], None]
TurnCache = dict[tuple[tuple[str, ...], tuple[str, ...]], list[Turn]]


def history_turns(
    assistant: Assistant, history: Sequence[str], filters: Filters, cache: TurnCache
) -> list[Turn]:
    """The conversation that the earlier user turns build, asked in order (cached per prefix)."""
    if not history:
        return []
    key = (filters.transcripts, tuple(history))
    if key not in cache:
        turns = history_turns(assistant, history[:-1], filters, cache)
        answer = assistant.ask(history[-1], turns, filters)
        cache[key] = [*turns, turn_of(answer)]
    return cache[key]


def asked_in_turn(
    assistant: Assistant, suite: Path, before_question: Callable[[], None]
) -> Iterator[tuple[SuiteQuestion, Answer]]:
    """Each of the suite's questions asked as `tqa eval` asks it: its history first (each
    prefix asked once), then `before_question()` (a trainer's recorder forgets what the history
    showed it), then the question at RANKED_DEPTH."""
    cache: TurnCache = {}
    for q in load_suite(suite):
        filters = Filters(transcripts=tuple(q.transcripts))
        turns = history_turns(assistant, q.history, filters, cache)
        before_question()
        answer, _ = assistant.ask_ranked(q.question, turns, filters, depth=RANKED_DEPTH)
        yield q, answer


def result_for(
    assistant: Assistant,
    question: SuiteQuestion,
    judge: Judge,
    *,
    mode: str | None,
    cache: TurnCache,
) -> dict[str, Any]:
    """The per-question result: the ask JSON, the deeper ranking, metrics, latency, or error."""
    base: dict[str, Any] = {
        **question.extra,
        "id": question.id,
        "kind": question.kind,
        "answerable": question.answerable,
        "suite_question": question_to_json(question),
    }
    filters = Filters(transcripts=tuple(question.transcripts))
    try:
        turns = history_turns(assistant, question.history, filters, cache)
        answer, ranking = assistant.ask_ranked(
            question.question, turns, filters, mode=mode, depth=RANKED_DEPTH
        )
    except Exception as exc:  # a failed question is recorded and the run goes on
        return {
            **base,
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(limit=5),
            "metrics": {},
            "latency_s": {"retrieval": None, "answer": None},
        }
    result = {**base, **answer_json(answer)}
    result["answer_passages"] = len(answer.passages)
    # The answer's passages are the first ones of this ranking (one retrieval).
    result["passages"] = passages_json(ranking.passages)
    result["citations"] = _with_verification(assistant, answer)
    t = answer.timings
    result["latency_s"] = {"retrieval": t.retrieval_s, "answer": t.answer_s}
    result["error"] = None
    result["metrics"] = question_metrics(question, result, judge)
    return result


def _with_verification(assistant: Assistant, answer: Answer) -> list[dict[str, Any]]:
    """The citations with `verified`: re-checked here against the library, independently."""
    out = []
    for c, data in zip(answer.citations, answer_json(answer)["citations"], strict=True):  # type: ignore[call-overload]
        stored = assistant.library.utterances(c.transcript_id, c.utterance_start, c.utterance_end)
        out.append({**data, "verified": verify_citation(c, stored) is None})
    return out


def run_suite(
    assistant: Assistant,
    questions: Iterable[SuiteQuestion],
    judge: Judge,
    *,
    mode: str | None = None,
    progress: Progress | None = None,
) -> list[dict[str, Any]]:
    """Results of every question, in suite order."""
    todo = list(questions)
    cache: TurnCache = {}
    results = []
    for done, question in enumerate(todo, 1):
        results.append(result_for(assistant, question, judge, mode=mode, cache=cache))
        if progress:
            progress(done, len(todo))
    return results
