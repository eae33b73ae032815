"""Suite files: reading, writing, errors, simple question lists, and the shipped hand suite."""

from __future__ import annotations

import html
import json
from collections import Counter
from pathlib import Path

import pytest

from eval.importers import import_questions
from eval.metrics import MIN_QUOTE_WORDS, normalize, normalize_answer
from eval.suite import (
    Evidence,
    SuiteFormatError,
    SuiteQuestion,
    load_suite,
    question_to_json,
    write_suite,
)

HAND = Path(__file__).resolve().parents[2] / "eval" / "suites" / "hand.jsonl"


def test_write_then_load_round_trips_with_extra_keys(tmp_path: Path) -> None:
    questions = [
        SuiteQuestion(
            id="Bed002/specific/0",
            question="Summarize the discussion about setting up the recording equipment",
            transcripts=("Bed002",),
            evidence=(
                Evidence(
                    "Bed002", 65, "Um . So my particular interest is in the PDA of the future ."
                ),
                Evidence("Bed002", 70),
            ),
            kind="qmsum-specific",
            extra={"reference_answer": "They talked about the PDA.", "domain": "Academic(icsi)"},
        ),
        SuiteQuestion(
            id="f1",
            question="And what did Putin say about trade?",
            history=("What did Nazarbayev say about vaccines?",),
            answers=("20 percent",),
            kind="followup",
        ),
    ]
    path = tmp_path / "suite.jsonl"
    write_suite(questions, path)
    assert load_suite(path) == questions
    first = json.loads(path.read_text("utf-8").splitlines()[0])
    assert list(first)[:8] == [
        "id",
        "question",
        "history",
        "transcripts",
        "answerable",
        "evidence",
        "answers",
        "kind",
    ]
    assert first["evidence"][1] == {"transcript_id": "Bed002", "utterance": 70}
    assert first["reference_answer"] == "They talked about the PDA."


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"id": "a", "question": ', "not valid JSON"),
        ('{"id": "a"}', "'question' must be a non-empty string"),
        ('{"id": "a", "question": "q", "answerable": "yes"}', "'answerable' must be true or false"),
        ('{"id": "a", "question": "q", "evidence": [{"transcript_id": "t"}]}', "'quote' or an"),
        ('{"id": "a", "question": "q", "evidence": [{"quote": "x y"}]}', "transcript_id"),
        ('{"id": "a", "question": "q", "history": "earlier"}', "'history' must be a list"),
        ('{"id": "first", "question": "q"}', "duplicate id 'first'"),
    ],
)
def test_bad_suite_lines_name_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "first", "question": "What did Peskov say?"}\n\n' + line + "\n")
    with pytest.raises(SuiteFormatError, match=r"bad\.jsonl:3: ") as info:
        load_suite(path)
    assert message in str(info.value)


def test_import_questions_from_csv(tmp_path: Path) -> None:
    path = tmp_path / "questions.csv"
    path.write_text(
        "question,answers,transcripts,answerable,kind\n"
        'What did Peskov say about the summit?,"Geneva|June",17108|62966,true,speaker\n'
        "What did Putin say about the Mars landing?,,,false,unanswerable\n",
        encoding="utf-8",
    )
    qs = import_questions(path)
    assert [q.id for q in qs] == ["questions/0", "questions/1"]
    assert qs[0].answers == ("Geneva", "June") and qs[0].transcripts == ("17108", "62966")
    assert qs[0].answerable and not qs[1].answerable
    assert qs[1].kind == "unanswerable" and qs[1].answers == ()


def test_import_questions_csv_errors(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text("query\nWhat?\n")
    with pytest.raises(SuiteFormatError, match="'question' column"):
        import_questions(path)
    path.write_text("question,answerable\nWhat?,perhaps\n")
    with pytest.raises(SuiteFormatError, match="perhaps"):
        import_questions(path)


def test_import_questions_from_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "list.jsonl"
    path.write_text(
        '{"question": "Who is Tokayev?", "answers": ["President of Kazakhstan"], "team": "a"}\n'
        '{"id": "x", "question": "Where is Karaganda?"}\n'
    )
    qs = import_questions(path)
    assert [q.id for q in qs] == ["list/0", "x"]
    assert qs[0].extra == {"team": "a"} and qs[0].answerable
    path.write_text('{"answers": []}\n')
    with pytest.raises(SuiteFormatError, match=r"list\.jsonl:1: 'question'"):
        import_questions(path)


# --- the shipped hand suite -----------------------------------------------------------------


def test_hand_suite_shape() -> None:
    qs = load_suite(HAND)
    kinds = Counter(q.kind for q in qs)
    assert len(qs) >= 30
    assert kinds["unanswerable"] >= 8 and kinds["followup"] >= 4
    assert kinds["factual"] >= 10 and kinds["speaker"] >= 5
    for q in qs:
        if q.answerable:
            assert q.evidence and q.answers, q.id
            assert all(
                e.quote and len(normalize(e.quote).split()) >= MIN_QUOTE_WORDS for e in q.evidence
            )
            # Every gold answer is stated in the gold evidence.
            evidence_text = normalize_answer(" ".join(e.quote or "" for e in q.evidence))
            for answer in q.answers:
                assert f" {normalize_answer(answer)} " in f" {evidence_text} ", (q.id, answer)
        else:
            assert not q.evidence and not q.answers, q.id
        if q.kind == "followup":
            assert q.history, q.id
    assert json.loads(HAND.read_text("utf-8").splitlines()[0]) == question_to_json(qs[0])


def _page_paragraphs(path: Path) -> list[str]:
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(path.read_text(encoding="utf-8"))
    body = tree.css_first("article.read__in .entry-content")
    assert body is not None, path
    for node in body.css(".masha-ignore, .read__tooltip"):
        node.decompose()
    return [" ".join(html.unescape(p.text()).split()) for p in body.css("p")]


def test_hand_suite_quotes_are_verbatim(seed_file: Path, kremlin_dir: Path) -> None:
    seed_lines = [" ".join(line.split()) for line in seed_file.read_text("utf-8").splitlines()]
    qs = load_suite(HAND)
    ids = {e.transcript_id for q in qs for e in q.evidence} | {t for q in qs for t in q.transcripts}
    paragraphs = {
        tid: seed_lines if tid == seed_file.stem else _page_paragraphs(kremlin_dir / f"{tid}.html")
        for tid in ids
    }
    for q in qs:
        for e in q.evidence:
            assert e.quote is not None
            assert any(e.quote in p for p in paragraphs[e.transcript_id]), (q.id, e.quote)
