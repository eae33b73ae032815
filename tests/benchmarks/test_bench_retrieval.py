"""The retrieval benchmark's core on two real QMSum meetings, with the hash embedder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.bench_retrieval import (
    Ranking,
    comparisons,
    library_folder,
    library_retriever,
    main,
    markdown_report,
    open_library,
    opening_retriever,
    run_benchmark,
    suite_questions,
    token_windows,
    window_bm25_retriever,
)
from embeddings.base import HashEncoder
from eval.importers import import_qmsum
from eval.metrics import PassageRecord
from eval.suite import SuiteQuestion
from qa.store.library import Library
from qa.tokens import count_tokens

MEETINGS = ("TS3010a", "IS1006a")  # two short AMI meetings


@pytest.fixture(scope="module")
def questions(qmsum_dir: Path, qmsum_evidence_dir: Path) -> list[SuiteQuestion]:
    return [q for q in import_qmsum(qmsum_dir, qmsum_evidence_dir) if q.transcripts[0] in MEETINGS]


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory, qmsum_dir: Path) -> Library:
    encoder = HashEncoder(64)
    folder = library_folder(tmp_path_factory.mktemp("bench"), encoder.name, 200)
    return open_library(folder, encoder, 200, [qmsum_dir / f"{m}.json" for m in MEETINGS])


def test_benchmark_structure_and_ranges(library: Library, questions: list[SuiteQuestion]) -> None:
    retrievers = {m: library_retriever(library, m, k=5) for m in ("dense", "keyword", "hybrid")}
    retrievers["opening"] = opening_retriever(library)
    result = run_benchmark(questions, retrievers)
    assert result["metrics"] == ["R@500", "R@1000", "R@2000", "MRR@10"]
    assert set(result["retrievers"]) == {"dense", "keyword", "hybrid", "opening"}
    for data in result["retrievers"].values():
        rows = data["per_question"]
        assert data["questions"] == len(rows) == len(questions)
        assert {r["id"] for r in rows} == {q.id for q in questions}
        for row in rows:
            assert all(0.0 <= row[m] <= 1.0 for m in result["metrics"])
            # A larger budget holds the smaller one's context, so recall never drops.
            assert row["R@500"] <= row["R@1000"] <= row["R@2000"]
        for metric in result["metrics"]:
            assert data["means"][metric] == pytest.approx(sum(r[metric] for r in rows) / len(rows))
    # k=5 is too few for 2000 tokens: the retriever asks again until the context is full.
    hybrid_rows = result["retrievers"]["hybrid"]["per_question"]
    assert all(r["context_tokens"] >= 2000 or r["passages"] < 5 for r in hybrid_rows)
    tests = comparisons(result)
    assert set(tests) == {"hybrid vs dense (R@1000)", "hybrid vs keyword (R@1000)"}
    assert all(t["questions"] == len(questions) for t in tests.values())
    result["settings"] = {"meetings": len(MEETINGS)}
    report = markdown_report(result)
    assert "| **hybrid** (this run) |" in report and "reference: BM25" in report
    json.dumps(result)  # the --out file


def _gold_passages(library: Library, question: SuiteQuestion) -> list[PassageRecord]:
    meeting = question.transcripts[0]
    turns = sorted({e.utterance for e in question.evidence if e.utterance is not None})
    return [
        PassageRecord(meeting, t, t, u.text)
        for t in turns
        for u in library.utterances(meeting, t, t)
    ]


def test_scores_follow_the_ranking(library: Library, questions: list[SuiteQuestion]) -> None:
    question = questions[0]
    gold = _gold_passages(library, question)
    assert gold
    # Filler of another meeting: its text cannot count for this question however it reads.
    filler = PassageRecord("another-meeting", 0, 0, " ".join(["remote control"] * 1500))

    def gold_first(q: SuiteQuestion) -> Ranking:
        return Ranking((*gold, filler))

    def gold_after_budget(q: SuiteQuestion) -> Ranking:
        return Ranking(tuple([filler, *gold]))

    result = run_benchmark([question], {"first": gold_first, "late": gold_after_budget})
    first = result["retrievers"]["first"]["per_question"][0]
    late = result["retrievers"]["late"]["per_question"][0]
    assert first["context_tokens"] == late["context_tokens"]  # the same passages, reordered
    assert first["R@2000"] == 1.0 and first["MRR@10"] == 1.0
    # The filler alone is over 2000 tokens: no gold in the context, first gold passage at rank 2.
    assert late["R@500"] == late["R@2000"] == 0.0
    assert late["MRR@10"] == 0.5


def test_command_line_writes_json_and_reuses_the_library(
    tmp_path: Path,
    qmsum_dir: Path,
    qmsum_evidence_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    meetings, evidence = tmp_path / "val", tmp_path / "evidence"
    meetings.mkdir()
    evidence.mkdir()
    for m in MEETINGS:
        (meetings / f"{m}.json").write_bytes((qmsum_dir / f"{m}.json").read_bytes())
        (evidence / f"{m}.json").write_bytes((qmsum_evidence_dir / f"{m}.json").read_bytes())
    cache = tmp_path / "libs"
    argv = [
        "--encoder",
        "hash",
        "--qmsum-dir",
        str(meetings),
        "--evidence-dir",
        str(evidence),
        "--library-cache",
        str(cache),
        "--chunk-tokens",
        "120",
    ]
    assert main([*argv, "--out", str(tmp_path / "first.json")]) == 0
    first = json.loads((tmp_path / "first.json").read_text(encoding="utf-8"))
    assert first["settings"]["chunk_tokens"] == 120 and first["settings"]["meetings"] == 2
    assert set(first["retrievers"]) == {"dense", "keyword", "hybrid"}
    assert "hybrid vs dense (R@1000)" in first["comparisons"]
    folder = library_folder(cache, "hash-64", 120)
    assert [p.name for p in cache.iterdir()] == [folder.name]
    with Library(folder, HashEncoder(64), chunk_tokens=120) as cached:
        generation = cached.generation()
    # The second run finds the library as it was: nothing re-ingested, the same figures.
    assert main([*argv, "--retriever", "hybrid", "--baseline", str(tmp_path / "first.json")]) == 0
    with Library(folder, HashEncoder(64), chunk_tokens=120) as cached:
        assert cached.generation() == generation
    out = capsys.readouterr().out
    assert "| **hybrid** (this run) |" in out
    assert "| hybrid: this run vs baseline (R@1000) | +0.000 |" in out


def test_token_windows_tile_the_transcript(library: Library) -> None:
    meeting = MEETINGS[0]
    utterances = library.utterances(meeting)
    windows = token_windows(meeting, utterances, 64)
    lines = "".join(f"{u.speaker}: {u.text}\n" if u.speaker else f"{u.text}\n" for u in utterances)
    assert "".join(w.text for w in windows) == lines  # consecutive, nothing lost or repeated
    assert all(count_tokens(w.text) <= 64 for w in windows)
    assert windows[0].utterance_start == 0 and windows[-1].utterance_end == utterances[-1].index
    starts = [w.utterance_start for w in windows]
    assert starts == sorted(starts)
    with pytest.raises(ValueError, match="size must be greater than 0"):
        token_windows(meeting, utterances, 0)


def test_bm25_baseline_ranks_the_window_with_the_rare_words(
    library: Library, questions: list[SuiteQuestion]
) -> None:
    retrieve = window_bm25_retriever(library, 128)
    word = "refrigerator"  # said once, in one of the two meetings
    ranking = retrieve(SuiteQuestion(id="q", question=f"What about the {word} and its remote?"))
    assert word in ranking.passages[0].text.lower()
    scoped = retrieve(SuiteQuestion(id="q", question="remote control", transcripts=(MEETINGS[1],)))
    assert scoped.passages and {p.transcript_id for p in scoped.passages} == {MEETINGS[1]}
    # The suite filter keeps answerable, history-free questions whose evidence is present.
    kept = suite_questions(questions, [MEETINGS[0]], corpus_only=False)
    assert kept and all(q.evidence[0].transcript_id == MEETINGS[0] for q in kept)
    assert suite_questions(questions, list(MEETINGS)) == []  # every one is scoped to its meeting
