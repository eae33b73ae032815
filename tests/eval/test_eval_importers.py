"""The QMSum importer on the real 35 val meetings, and its errors on broken inputs."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from eval.importers import import_qmsum
from eval.metrics import normalize
from eval.suite import SuiteFormatError, load_suite, write_suite


@pytest.fixture(scope="module")
def qmsum_suite(qmsum_dir: Path, qmsum_evidence_dir: Path) -> list:
    return import_qmsum(qmsum_dir, qmsum_evidence_dir)


def test_qmsum_import_has_the_237_reference_queries(qmsum_suite: list) -> None:
    assert len(qmsum_suite) == 237
    assert len({q.id for q in qmsum_suite}) == 237
    assert len({q.transcripts for q in qmsum_suite}) == 35
    assert Counter(q.kind for q in qmsum_suite) == {"qmsum-specific": 237}
    first = next(q for q in qmsum_suite if q.id == "Bed002/specific/0")
    assert first.question == "Summarize the discussion about setting up the recording equipment"
    assert first.transcripts == ("Bed002",) and first.answerable and first.answers == ()
    assert first.evidence[0].utterance == 65
    assert first.evidence[0].quote == "Um . So my particular interest is in the PDA of the future ."
    assert first.extra["reference_answer"] and first.extra["domain"] == "Academic(icsi)"
    assert all(q.evidence for q in qmsum_suite)


def test_qmsum_import_with_general_queries(qmsum_dir: Path, qmsum_evidence_dir: Path) -> None:
    qs = import_qmsum(qmsum_dir, qmsum_evidence_dir, include_general=True)
    assert Counter(q.kind for q in qs) == {"qmsum-specific": 237, "qmsum-general": 35}


def test_qmsum_quotes_are_in_their_turns(qmsum_suite: list, qmsum_dir: Path) -> None:
    turns = {
        p.stem: [t["content"] for t in json.loads(p.read_text("utf-8"))["meeting_transcripts"]]
        for p in qmsum_dir.glob("*.json")
    }
    items = [(e, q.transcripts[0]) for q in qmsum_suite for e in q.evidence]
    found = sum(normalize(e.quote) in normalize(turns[m][e.utterance]) for e, m in items)
    assert all(e.transcript_id == m for e, m in items)
    assert found / len(items) >= 0.95  # measured: 1.0 (2,189 of 2,189 evidence sentences)


def test_qmsum_evidence_is_deduplicated(qmsum_suite: list, qmsum_evidence_dir: Path) -> None:
    raw_total = 0
    for path in qmsum_evidence_dir.glob("*.json"):
        for query in json.loads(path.read_text("utf-8"))["qmsum"]["specific_query_list"]:
            raw_total += sum(len(group) for group in query["evidence"])
    ours = [(q.id, e.utterance, e.quote) for q in qmsum_suite for e in q.evidence]
    assert len(ours) == len(set(ours))
    assert len(ours) < raw_total  # the same sentence often supports two answer sentences


def test_qmsum_suite_round_trips(qmsum_suite: list, tmp_path: Path) -> None:
    write_suite(qmsum_suite, tmp_path / "qmsum.jsonl")
    assert load_suite(tmp_path / "qmsum.jsonl") == qmsum_suite


def _meeting(tmp: Path, query: str, etri_query: str, turn: int = 0) -> tuple[Path, Path]:
    qdir, edir = tmp / "val", tmp / "evidence"
    qdir.mkdir()
    edir.mkdir()
    meeting = {
        "topic_list": [],
        "general_query_list": [],
        "specific_query_list": [
            {"query": query, "answer": "A.", "relevant_text_span": [["0", "1"]]}
        ],
        "meeting_transcripts": [
            {"speaker": "Grad B", "content": "Maybe you want to enter a building ."},
            {"speaker": "Grad E", "content": "Mmm ."},
        ],
    }
    sentence = {
        "type": "CES",
        "turn_index": turn,
        "sent_index": 0,
        "speaker": "Grad B",
        "content": "Maybe you want to enter a building .",
    }
    etri = {
        "domain": "Academic(icsi)",
        "qmsum": {
            "general_query_list": [],
            "specific_query_list": [{"query": etri_query, "evidence": [[sentence, sentence]]}],
        },
    }
    (qdir / "Bed999.json").write_text(json.dumps(meeting))
    (edir / "Bed999.json").write_text(json.dumps(etri))
    return qdir, edir


def test_qmsum_small_meeting(tmp_path: Path) -> None:
    qdir, edir = _meeting(tmp_path, "What about buildings?", "What about buildings?")
    [q] = import_qmsum(qdir, edir)
    assert q.id == "Bed999/specific/0" and len(q.evidence) == 1
    assert q.extra["relevant_text_span"] == [[0, 1]]


def test_qmsum_errors_name_the_file(tmp_path: Path) -> None:
    qdir, edir = _meeting(tmp_path, "What about buildings?", "What about towers?")
    with pytest.raises(SuiteFormatError, match=r"Bed999\.json.*differs"):
        import_qmsum(qdir, edir)
    (edir / "Bed999.json").unlink()
    with pytest.raises(SuiteFormatError, match="no ETRI evidence file"):
        import_qmsum(qdir, edir)
    with pytest.raises(SuiteFormatError, match="no QMSum meeting files"):
        import_qmsum(tmp_path / "empty", edir)


def test_qmsum_turn_out_of_range(tmp_path: Path) -> None:
    qdir, edir = _meeting(tmp_path, "Q?", "Q?", turn=7)
    with pytest.raises(SuiteFormatError, match="turn_index 7 is outside"):
        import_qmsum(qdir, edir)
