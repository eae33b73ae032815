"""Turn public QA sets and simple question lists into suites."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path
from typing import Any

from eval.suite import Evidence, SuiteFormatError, SuiteQuestion, question_from_json

__all__ = ["import_qmsum", "import_questions"]

_QMSUM_KINDS = (("general_query_list", "general"), ("specific_query_list", "specific"))


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SuiteFormatError(f"{path}: cannot read as JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise SuiteFormatError(f"{path}: expected a JSON object, got {type(data).__name__}")
    return data


def _qmsum_evidence(
    path: Path, where: str, query: dict[str, Any], meeting_id: str, n_turns: int
) -> tuple[Evidence, ...]:
    """All CES and PES sentences of one ETRI query, deduplicated, in first-seen order."""
    groups = query.get("evidence")
    if not isinstance(groups, list):
        raise SuiteFormatError(f"{path}: {where} has no 'evidence' list")
    seen: set[tuple[int, int]] = set()
    items: list[Evidence] = []
    for group in groups:  # one group per reference-answer sentence
        if not isinstance(group, list):
            raise SuiteFormatError(f"{path}: {where} evidence group is not a list: {group!r}")
        for sent in group:
            turn, sent_index, content = (
                sent.get("turn_index"),
                sent.get("sent_index"),
                sent.get("content"),
            )
            if not isinstance(turn, int) or not 0 <= turn < n_turns:
                raise SuiteFormatError(
                    f"{path}: {where} turn_index {turn!r} is outside the meeting's {n_turns} turns"
                )
            if not isinstance(content, str) or not isinstance(sent_index, int):
                raise SuiteFormatError(f"{path}: {where} malformed evidence sentence {sent!r}")
            if (turn, sent_index) in seen:
                continue
            seen.add((turn, sent_index))
            items.append(Evidence(meeting_id, utterance=turn, quote=content))
    return tuple(items)


def import_qmsum(
    qmsum_dir: str | Path, evidence_dir: str | Path, *, include_general: bool = False
) -> list[SuiteQuestion]:
    """One question per QMSum query with its ETRI evidence sentences as quotes.

    The reference benchmark (237 queries on the 35 val meetings) uses the specific queries; the
    general ones ("Summarize the whole meeting") are added with include_general=True.
    """
    qmsum_dir, evidence_dir = Path(qmsum_dir), Path(evidence_dir)
    meetings = sorted(qmsum_dir.glob("*.json"))
    if not meetings:
        raise SuiteFormatError(f"{qmsum_dir}: no QMSum meeting files (*.json)")
    kinds = _QMSUM_KINDS if include_general else _QMSUM_KINDS[1:]
    questions: list[SuiteQuestion] = []
    for meeting_path in meetings:
        meeting_id = meeting_path.stem
        evidence_path = evidence_dir / meeting_path.name
        if not evidence_path.exists():
            raise SuiteFormatError(f"{evidence_path}: no ETRI evidence file for {meeting_path}")
        meeting = _read_json(meeting_path)
        etri = _read_json(evidence_path)
        turns = meeting.get("meeting_transcripts")
        if not isinstance(turns, list):
            raise SuiteFormatError(f"{meeting_path}: no 'meeting_transcripts' list")
        etri_queries = etri.get("qmsum")
        if not isinstance(etri_queries, dict):
            raise SuiteFormatError(f"{evidence_path}: no 'qmsum' object")
        for key, label in kinds:
            queries = meeting.get(key, [])
            evidence_queries = etri_queries.get(key, [])
            if len(queries) != len(evidence_queries):
                raise SuiteFormatError(
                    f"{evidence_path}: {len(evidence_queries)} {key} entries, "
                    f"but {meeting_path} has {len(queries)}"
                )
            for i, (query, ev_query) in enumerate(zip(queries, evidence_queries, strict=True)):
                where = f"{key}[{i}]"
                if query.get("query") != ev_query.get("query"):
                    raise SuiteFormatError(
                        f"{evidence_path}: {where} query {ev_query.get('query')!r} differs "
                        f"from {meeting_path}'s {query.get('query')!r}"
                    )
                extra: dict[str, Any] = {
                    "reference_answer": query.get("answer", ""),
                    "domain": etri.get("domain"),
                }
                spans = query.get("relevant_text_span")
                if isinstance(spans, list):
                    extra["relevant_text_span"] = [[int(a), int(b)] for a, b in spans]
                questions.append(
                    SuiteQuestion(
                        id=f"{meeting_id}/{label}/{i}",
                        question=str(query.get("query", "")),
                        transcripts=(meeting_id,),
                        answerable=True,
                        evidence=_qmsum_evidence(
                            evidence_path, where, ev_query, meeting_id, len(turns)
                        ),
                        answers=(),
                        kind=f"qmsum-{label}",
                        extra=extra,
                    )
                )
    return questions


_TRUE = {"true", "yes", "1", "y", "t"}
_FALSE = {"false", "no", "0", "n", "f"}


def _split_bar(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split("|") if v.strip()]


def _csv_questions(path: Path, text: str) -> list[SuiteQuestion]:
    reader = csv.DictReader(text.splitlines())
    if reader.fieldnames is None or "question" not in reader.fieldnames:
        raise SuiteFormatError(
            f"{path}: a question CSV needs a 'question' column, got {reader.fieldnames!r}"
        )
    questions: list[SuiteQuestion] = []
    for row in reader:
        lineno = reader.line_num
        question = (row.get("question") or "").strip()
        if not question:
            raise SuiteFormatError(f"{path}:{lineno}: empty question")
        raw_answerable = (row.get("answerable") or "").strip().lower()
        if raw_answerable and raw_answerable not in _TRUE | _FALSE:
            raise SuiteFormatError(
                f"{path}:{lineno}: 'answerable' must be true or false, got {raw_answerable!r}"
            )
        questions.append(
            SuiteQuestion(
                id=(row.get("id") or "").strip() or f"{path.stem}/{len(questions)}",
                question=question,
                transcripts=tuple(_split_bar(row.get("transcripts"))),
                answerable=raw_answerable not in _FALSE,
                answers=tuple(_split_bar(row.get("answers"))),
                kind=(row.get("kind") or "").strip(),
            )
        )
    return questions


def _jsonl_questions(path: Path, text: str) -> list[SuiteQuestion]:
    questions: list[SuiteQuestion] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            if isinstance(obj, dict) and "id" not in obj:
                obj = {"id": f"{path.stem}/{len(questions)}", **obj}
            questions.append(question_from_json(obj))
        except json.JSONDecodeError as exc:
            raise SuiteFormatError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from exc
        except ValueError as exc:
            raise SuiteFormatError(f"{path}:{lineno}: {exc}") from exc
    return questions


def import_questions(path: str | Path) -> list[SuiteQuestion]:
    """Questions from a CSV (`question` column; optional id, answers and transcripts split on
    '|', answerable, kind) or a JSONL file whose lines have at least `question`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SuiteFormatError(f"{path}: cannot read the question list ({exc})") from exc
    if path.suffix.lower() == ".csv":
        questions = _csv_questions(path, text)
    elif path.suffix.lower() in {".jsonl", ".json", ".ndjson"}:
        questions = _jsonl_questions(path, text)
    else:
        raise SuiteFormatError(f"{path}: expected a .csv or .jsonl file, got {path.suffix!r}")
    duplicates = sorted(i for i, n in Counter(q.id for q in questions).items() if n > 1)
    if duplicates:
        raise SuiteFormatError(f"{path}: duplicate ids {duplicates}")
    return questions
