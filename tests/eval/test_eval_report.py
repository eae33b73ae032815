"""Per-question metrics from result dicts, aggregates, report files, comparison and gates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from eval.judges import LexicalJudge
from eval.report import (
    METRIC_NAMES,
    aggregate,
    check_fail_under,
    compare_runs,
    headline,
    quality_score,
    question_metrics,
    write_report,
)
from eval.suite import Evidence, SuiteQuestion

SEED = "meeting-with-nursultan-nazarbayev-2021-06-30"
VACCINE = (
    "Now in Karaganda, this enterprise produces a Russian vaccine of the same quality and in "
    "large quantities."
)
PASSAGE_VACCINE = (
    "Nursultan Nazarbayev: And sincerely, in person, I would like to thank the Russian side for "
    "supporting Kazakhstan during the pandemic both with vaccines and medicines, and so on.\n"
    "Remember, we went to an exhibition in St Petersburg, and then we agreed on a joint "
    "enterprise. " + VACCINE
)
PASSAGE_TRADE = (
    "President of Russia Vladimir Putin: I must say that, thanks to your helping hand, the "
    "dynamics of Russian-Kazakhstani relations give us the opportunity to look confidently into "
    "the future."
)

QUESTION = SuiteQuestion(
    id="seed-vaccine-plant",
    question="Where is the Russian vaccine produced in Kazakhstan?",
    transcripts=(SEED,),
    evidence=(Evidence(SEED, quote=VACCINE),),
    answers=("Karaganda",),
    kind="factual",
)


def _passage(rank: int, start: int, end: int, text: str) -> dict[str, Any]:
    return {
        "rank": rank,
        "transcript_id": SEED,
        "utterance_start": start,
        "utterance_end": end,
        "speakers": ["Nursultan Nazarbayev"],
        "text": text,
        "score": 1.0 / rank,
    }


def _ask_result(answer: str, passages: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "question": QUESTION.question,
        "standalone_question": QUESTION.question,
        "answer": answer,
        "abstained": False,
        "filters": {"speakers": [], "transcripts": [SEED], "since": None, "until": None},
        "citations": [
            {
                "n": 1,
                "transcript_id": SEED,
                "title": "Meeting with Nursultan Nazarbayev",
                "date": "2021-06-30",
                "speaker": "Nursultan Nazarbayev",
                "utterance_start": 14,
                "utterance_end": 14,
                "quote": VACCINE,
                "start_s": None,
                "ref": f"{SEED}#u14",
                "verified": True,
            }
        ],
        "passages": passages,
        **extra,
    }


def test_question_metrics_for_a_good_answer() -> None:
    answer = "A joint enterprise in Karaganda produces the Russian vaccine [1]."
    result = _ask_result(
        answer, [_passage(2, 3, 3, PASSAGE_TRADE), _passage(1, 12, 14, PASSAGE_VACCINE)]
    )
    m = question_metrics(QUESTION, result, LexicalJudge())
    assert set(m) == set(METRIC_NAMES)
    # passages are taken in rank order: the vaccine passage (rank 1) comes first
    assert m["evidence_recall@500"] == m["evidence_recall@2000"] == 1.0
    assert m["mrr@10"] == 1.0 and m["ndcg@10"] == 1.0 and m["recall@10"] == 1.0
    assert m["citation_recall"] == 1.0 and m["citation_precision"] == 1.0
    assert m["citations_verified"] == 1.0 and m["grounded"] == 1.0
    assert m["answer_recall"] == 1.0 and m["answer_first"] == 1.0
    assert m["answer_leads"] == 1.0
    # markers stripped: "joint enterprise in karaganda produces russian vaccine", 1 of 7 tokens
    assert m["token_f1"] == pytest.approx(2 * (1 / 7) * 1 / (1 / 7 + 1))
    assert m["abstention_correct"] == 1.0


def test_answer_leads_credits_the_words_before_the_first_quote_mark_only() -> None:
    # Who said it: the speaker named before the first quote leads, though the quote lacks it.
    who = SuiteQuestion(
        "who", "Who thanked Russia for the vaccines?", answers=("Nazarbayev",), kind="who-said"
    )
    named = _ask_result("Nursultan Nazarbayev said: “I would like to thank…” [1]", [])
    m = question_metrics(who, named, LexicalJudge())
    assert m["answer_first"] == 0.0 and m["answer_leads"] == 1.0
    # Named only after the first mark: it does not lead.
    later = _ask_result("Putin said: “We thank you.” [1] Nazarbayev also said: “…” [2]", [])
    assert question_metrics(who, later, LexicalJudge())["answer_leads"] == 0.0
    abstained = {**named, "abstained": True}
    assert question_metrics(who, abstained, LexicalJudge())["answer_leads"] == 0.0


def test_question_metrics_for_a_wrong_uncited_answer() -> None:
    answer = "The vaccine is produced in Almaty. Nazarbayev visited a factory there [1]."
    result = _ask_result(answer, [_passage(1, 3, 3, PASSAGE_TRADE)])
    m = question_metrics(QUESTION, result, LexicalJudge())
    assert m["evidence_recall@1000"] == 0.0 and m["mrr@10"] == 0.0
    assert m["citation_recall"] == 0.0  # uncited + unsupported by the vaccine quote
    assert m["citation_precision"] == 0.0
    assert m["grounded"] == 0.0
    assert m["answer_recall"] == 0.0 and m["token_f1"] == 0.0


def test_question_metrics_for_errors_and_abstentions() -> None:
    failed = {"question": QUESTION.question, "error": "LibraryError: no library at ./library"}
    assert set(question_metrics(QUESTION, failed, LexicalJudge()).values()) == {None}
    unanswerable = SuiteQuestion(
        "u", "What did Putin say about the Mars landing?", answerable=False
    )
    abstained = {**_ask_result("I found nothing on that.", []), "abstained": True, "citations": []}
    m = question_metrics(unanswerable, abstained, LexicalJudge())
    assert m["abstention_correct"] == 1.0
    assert m["evidence_recall@1000"] is None and m["citation_recall"] is None
    assert m["answer_recall"] is None and m["citations_verified"] is None
    assert m["answer_first"] is None


def _result(
    qid: str,
    kind: str,
    answerable: bool,
    abstained: bool,
    metrics: dict[str, float | None],
    latency: tuple[float, float],
    error: str | None = None,
) -> dict[str, Any]:
    full = dict.fromkeys(METRIC_NAMES)
    full.update(metrics)
    return {
        "id": qid,
        "kind": kind,
        "question": f"Question {qid}?",
        "answer": "" if abstained else f"Answer to {qid}.",
        "answerable": answerable,
        "abstained": abstained,
        "citations": [],
        "passages": [_passage(1, 3, 3, PASSAGE_TRADE)],
        "metrics": full if error is None else dict.fromkeys(METRIC_NAMES),
        "latency_s": {"retrieval": latency[0], "answer": latency[1]},
        "error": error,
    }


RESULTS = [
    _result(
        "f1",
        "factual",
        True,
        False,
        {"evidence_recall@1000": 1.0, "answer_recall": 1.0, "mrr@10": 1.0},
        (0.1, 1.0),
    ),
    _result(
        "f2",
        "factual",
        True,
        False,
        {"evidence_recall@1000": 0.0, "answer_recall": 0.5, "mrr@10": 0.5},
        (0.3, 2.0),
    ),
    _result("u1", "unanswerable", False, True, {"abstention_correct": 1.0}, (0.2, 0.5)),
    _result("u2", "unanswerable", False, False, {"abstention_correct": 0.0}, (0.4, 3.0)),
    _result(
        "s1",
        "speaker",
        True,
        True,
        {"evidence_recall@1000": 0.5, "answer_recall": 0.0, "abstention_correct": 0.0},
        (0.5, 4.0),
    ),
    _result("e1", "speaker", True, False, {}, (0.0, 0.0), error="AnswererError: timeout"),
]


def test_aggregate_by_hand() -> None:
    agg = aggregate(RESULTS)
    assert agg["questions"] == 6 and agg["errors"] == 1
    assert agg["metrics"]["evidence_recall@1000"] == {"mean": 0.5, "n": 3}
    assert agg["metrics"]["answer_recall"]["mean"] == pytest.approx(0.5)
    assert agg["metrics"]["citation_recall"] == {"mean": None, "n": 0}
    # abstained: u1 (right), s1 (wrong); unanswerable: u1, u2 -> P = 1/2, R = 1/2
    assert agg["abstention"]["precision"] == 0.5 and agg["abstention"]["recall"] == 0.5
    # latencies of the 5 non-error results: retrieval 0.1..0.5
    assert agg["latency_s"]["retrieval"]["p50"] == pytest.approx(0.3)
    assert agg["latency_s"]["answer"]["p95"] == pytest.approx(3.0 + 0.8 * 1.0)
    assert agg["by_kind"]["factual"]["metrics"]["mrr@10"]["mean"] == 0.75
    assert agg["by_kind"]["speaker"]["errors"] == 1
    assert quality_score(RESULTS[-1]) == 0.0 and quality_score(RESULTS[0]) == 1.0


def test_write_report_files(tmp_path: Path) -> None:
    report = write_report(
        RESULTS, tmp_path, title="Hand suite, hybrid", settings={"retriever": "hybrid", "k": 8}
    )
    on_disk = json.loads((tmp_path / "report.json").read_text("utf-8"))
    assert on_disk == json.loads(json.dumps(report))
    assert on_disk["headline"]["evidence_recall@1000"] == 0.5
    assert on_disk["headline"]["abstention_f1"] == 0.5
    md = (tmp_path / "report.md").read_text("utf-8")
    assert md.startswith("# Hand suite, hybrid\n")
    assert "| evidence_recall@1000 | 0.500 | 3 |" in md
    assert "| mrr@10 | 0.750 | 0.750 | – | – |" in md  # all, factual, speaker, unanswerable
    assert "| retriever | hybrid |" in md
    worst = md.split("## Worst ten questions")[1]
    assert worst.index("**e1**") < worst.index("**u2**") < worst.index("**f1**")
    assert "error: AnswererError: timeout" in worst
    assert "Russian-Kazakhstani relations" in worst  # what was retrieved
    assert "## Metric definitions" in md and "ALCE" in md
    for name in ("evidence_recall_budget.png", "per_kind.png"):
        assert f"![{name}]({name})" in md
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _write_run(path: Path, results: list[dict[str, Any]]) -> None:
    path.mkdir()
    (path / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in results))


def test_compare_runs(tmp_path: Path) -> None:
    better = [dict(r) for r in RESULTS]
    better[1] = _result(
        "f2",
        "factual",
        True,
        False,
        {"evidence_recall@1000": 1.0, "answer_recall": 1.0, "mrr@10": 1.0},
        (0.3, 2.0),
    )
    _write_run(tmp_path / "a", RESULTS)
    _write_run(tmp_path / "b", [*better, _result("new", "factual", True, False, {}, (0.1, 0.1))])
    md = compare_runs(tmp_path / "a", tmp_path / "b", n=2000)
    assert "6 questions matched by id; 0 only in A, 1 only in B" in md
    row = next(line for line in md.splitlines() if line.startswith("| evidence_recall@1000 |"))
    # pairs: f1 1->1, f2 0->1, s1 0.5->0.5: mean A 0.5, mean B 0.833, delta +0.333
    assert row.startswith("| evidence_recall@1000 | 0.500 | 0.833 | +0.333 |")
    changed = md.split("## Questions that changed most")[1]
    assert "| f2 | factual | 0.250 | 1.000 | +0.750 |" in changed
    assert "| f1 |" not in changed


def test_check_fail_under() -> None:
    report = {"headline": headline(aggregate(RESULTS))}
    assert check_fail_under(report, {"evidence_recall@1000": 0.5, "abstention_f1": 0.4}) == []
    failures = check_fail_under(
        report, {"evidence_recall@1000": 0.6, "citation_recall": 0.5, "recall@1000": 0.1}
    )
    assert failures[0] == "evidence_recall@1000 = 0.5000 < 0.6"
    assert failures[1].startswith("citation_recall: no value")
    assert failures[2].startswith("recall@1000: unknown metric")
