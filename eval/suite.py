"""Evaluation suites: one JSONL line per question, read and written as `SuiteQuestion`s."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa.errors import TranscriptQAError

__all__ = [
    "SUITE_KEYS",
    "Evidence",
    "SuiteFormatError",
    "SuiteQuestion",
    "load_suite",
    "question_from_json",
    "question_to_json",
    "write_suite",
]

# The contract's keys, in the order they are written.
SUITE_KEYS = (
    "id",
    "question",
    "history",
    "transcripts",
    "answerable",
    "evidence",
    "answers",
    "kind",
)


class SuiteFormatError(TranscriptQAError):
    """A suite line is not a valid question; the message names the file and the line."""


@dataclass(frozen=True)
class Evidence:
    """One gold evidence item: a verbatim quote, an utterance index, or both."""

    transcript_id: str
    utterance: int | None = None
    quote: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"transcript_id": self.transcript_id}
        if self.quote is not None:
            out["quote"] = self.quote
        if self.utterance is not None:
            out["utterance"] = self.utterance
        return out


@dataclass(frozen=True)
class SuiteQuestion:
    id: str
    question: str
    history: tuple[str, ...] = ()
    transcripts: tuple[str, ...] = ()  # scope; empty = the whole library
    answerable: bool = True
    evidence: tuple[Evidence, ...] = ()
    answers: tuple[str, ...] = ()
    kind: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=True, hash=False)


def _str_list(value: object, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"'{key}' must be a list of strings, got {value!r}")
    return tuple(value)


def _evidence(value: object) -> tuple[Evidence, ...]:
    if not isinstance(value, list):
        raise ValueError(f"'evidence' must be a list, got {value!r}")
    items: list[Evidence] = []
    for item in value:
        if not isinstance(item, dict):
            raise ValueError(f"an evidence item must be an object, got {item!r}")
        tid = item.get("transcript_id")
        if not isinstance(tid, str) or not tid:
            raise ValueError(f"evidence needs a non-empty 'transcript_id', got {item!r}")
        utterance = item.get("utterance")
        quote = item.get("quote")
        if utterance is not None and (
            isinstance(utterance, bool) or not isinstance(utterance, int) or utterance < 0
        ):
            raise ValueError(f"evidence 'utterance' must be an integer >= 0, got {utterance!r}")
        if quote is not None and (not isinstance(quote, str) or not quote.strip()):
            raise ValueError(f"evidence 'quote' must be a non-empty string, got {quote!r}")
        if utterance is None and quote is None:
            raise ValueError(f"evidence needs a 'quote' or an 'utterance', got {item!r}")
        unknown = set(item) - {"transcript_id", "utterance", "quote"}
        if unknown:
            raise ValueError(f"evidence has unknown keys {sorted(unknown)} in {item!r}")
        items.append(Evidence(tid, utterance, quote))
    return tuple(items)


def question_from_json(obj: object) -> SuiteQuestion:
    """A `SuiteQuestion` from one decoded suite line; ValueError says what is wrong."""
    if not isinstance(obj, dict):
        raise ValueError(f"a suite line must be a JSON object, got {type(obj).__name__}")
    qid = obj.get("id")
    if not isinstance(qid, str) or not qid.strip():
        raise ValueError(f"'id' must be a non-empty string, got {qid!r}")
    question = obj.get("question")
    if not isinstance(question, str) or not question.strip():
        raise ValueError(f"'question' must be a non-empty string, got {question!r}")
    answerable = obj.get("answerable", True)
    if not isinstance(answerable, bool):
        raise ValueError(f"'answerable' must be true or false, got {answerable!r}")
    kind = obj.get("kind", "")
    if not isinstance(kind, str):
        raise ValueError(f"'kind' must be a string, got {kind!r}")
    return SuiteQuestion(
        id=qid,
        question=question,
        history=_str_list(obj.get("history", []), "history"),
        transcripts=_str_list(obj.get("transcripts", []), "transcripts"),
        answerable=answerable,
        evidence=_evidence(obj.get("evidence", [])),
        answers=_str_list(obj.get("answers", []), "answers"),
        kind=kind,
        extra={k: v for k, v in obj.items() if k not in SUITE_KEYS},
    )


def question_to_json(q: SuiteQuestion) -> dict[str, Any]:
    """The suite line of q: the contract's keys in order, then its extra keys."""
    out: dict[str, Any] = {
        "id": q.id,
        "question": q.question,
        "history": list(q.history),
        "transcripts": list(q.transcripts),
        "answerable": q.answerable,
        "evidence": [e.to_json() for e in q.evidence],
        "answers": list(q.answers),
        "kind": q.kind,
    }
    for key, value in q.extra.items():
        if key not in out:
            out[key] = value
    return out


def load_suite(path: str | Path) -> list[SuiteQuestion]:
    """Read a JSONL suite; a bad line raises SuiteFormatError naming file and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SuiteFormatError(f"{path}: cannot read the suite ({exc})") from exc
    questions: list[SuiteQuestion] = []
    seen: dict[str, int] = {}
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            q = question_from_json(json.loads(line))
        except json.JSONDecodeError as exc:
            raise SuiteFormatError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from exc
        except ValueError as exc:
            raise SuiteFormatError(f"{path}:{lineno}: {exc}") from exc
        if q.id in seen:
            raise SuiteFormatError(
                f"{path}:{lineno}: duplicate id {q.id!r} (first on line {seen[q.id]})"
            )
        seen[q.id] = lineno
        questions.append(q)
    return questions


def write_suite(questions: Iterable[SuiteQuestion], path: str | Path) -> None:
    """Write questions as a JSONL suite (UTF-8, one object a line)."""
    lines = [json.dumps(question_to_json(q), ensure_ascii=False) for q in questions]
    Path(path).write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def add_suite_arguments(parser: argparse.ArgumentParser) -> None:
    """--suite S --library L, repeated: each suite asked of the library in its position (the
    training scripts' way of naming what they learn from)."""
    parser.add_argument("--suite", type=Path, action="append", default=[], required=True)
    parser.add_argument(
        "--library",
        type=Path,
        action="append",
        default=[],
        help="the library the --suite in the same position is asked of",
    )


def suites_and_libraries(
    parser: argparse.ArgumentParser, args: argparse.Namespace
) -> list[tuple[Path, Path]]:
    """The (suite, library) pairs `add_suite_arguments` read; a usage error when unpaired."""
    if len(args.suite) != len(args.library):
        parser.error("each --suite needs its --library")
    return list(zip(args.suite, args.library, strict=True))
