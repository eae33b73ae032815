"""Strange questions through Assistant.ask and the CLI, on a small library embedded with the real
model: each is answered with verified citations or politely refused, never an unhandled error."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from embeddings.base import Encoder
from qa.answer.assistant import Assistant, turn_of
from qa.errors import TranscriptQAError
from qa.models import Answer, Filters
from qa.settings import Settings
from qa.store.library import Library

pytestmark = pytest.mark.slow

LONG = " ".join(
    ["What did Nazarbayev say about the vaccines made in Karaganda and the Russian doctors?"] * 120
)
QUESTIONS: dict[str, str] = {
    "empty": "",
    "blank": " \n\t ",
    "10000 characters of words": LONG[:10_000],
    "10000 characters of one word": "vaccine" * 1428 + "vacc",
    "only punctuation": "?!?!...,,,;;; --- «»“” …",
    "Russian": "Что Путин сказал о торговле с Казахстаном?",
    "Chinese": "纳扎尔巴耶夫对疫苗说了什么？",
    "Arabic": "ماذا قال بوتين عن التجارة؟",
    "double quote": '"',
    "unbalanced quote": 'What did "Putin say about trade?',
    "star": "*",
    "prefix star": "vacc*",
    "NEAR(": "NEAR(",
    "NEAR query": "NEAR(trade vaccines, 5)",
    "OR": "OR",
    "OR query": "trade OR vaccines",
    "AND NOT": "AND NOT",
    "AND NOT query": "vaccines AND NOT trade",
    "column filter": "text:vaccines",
    "caret": "^vaccines",
    "SQL injection": "';DROP TABLE transcripts;--",
    "SQL injection 2": 'Robert"); DROP TABLE chunks; --',
    "javascript": "javascript:alert(document.cookie)",
    "javascript link": '<a href="javascript:alert(1)">What did Putin say about trade?</a>',
    "NUL": "What did Putin say\x00 about trade?",
    "emoji": "🙂🙂🙂",
    "markers": "[1] [2] What did Putin say? [99]",
}
# Questions without a single letter or digit: nothing to search for, so nothing may be "answered".
NO_WORDS = ("empty", "blank", "only punctuation", "double quote", "star", "emoji")
FTS_SYNTAX = (
    "double quote",
    "unbalanced quote",
    "star",
    "prefix star",
    "NEAR(",
    "NEAR query",
    "OR",
    "OR query",
    "AND NOT",
    "AND NOT query",
    "column filter",
    "caret",
    "SQL injection",
    "SQL injection 2",
)


@pytest.fixture(scope="module")
def assistant(real_library: Library) -> Assistant:
    return Assistant(real_library, Settings(library=str(real_library.folder)))


def check_answer(library: Library, question: str, answer: Answer) -> None:
    """An abstention, or an answer whose every marker names a citation quoted verbatim."""
    assert isinstance(answer, Answer)
    assert answer.question == question.strip()
    if answer.abstained:
        assert answer.citations == () and answer.text
        return
    assert answer.citations
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
    assert markers == {c.n for c in answer.citations}, answer.text
    for citation in answer.citations:
        said = " ".join(
            u.text
            for u in library.utterances(
                citation.transcript_id, citation.utterance_start, citation.utterance_end
            )
        )
        assert citation.quote and citation.quote in said


def ask_or_refuse(assistant: Assistant, question: str, **kwargs: object) -> Answer | None:
    """The answer, or None when refused with a TranscriptQAError that says why in one line."""
    try:
        answer = assistant.ask(question, **kwargs)  # type: ignore[arg-type]
    except TranscriptQAError as exc:
        assert str(exc) and "\n" not in str(exc) and "Traceback" not in str(exc)
        return None
    check_answer(assistant.library, question, answer)
    return answer


@pytest.mark.parametrize("name", list(QUESTIONS))
def test_a_strange_question_is_answered_or_politely_refused(
    assistant: Assistant, name: str
) -> None:
    question = QUESTIONS[name]
    answer = ask_or_refuse(assistant, question)
    print(f"{name}: {'refused' if answer is None else answer.text[:100]!r}")
    if name in NO_WORDS:
        assert answer is None or answer.abstained, answer.text if answer else ""
    if not any(ch.isalnum() for ch in question):
        assert answer is None, "a question without words is refused, never answered"
    if name in FTS_SYNTAX:
        # The keyword retriever alone takes the question to FTS5: no operator gets through.
        ask_or_refuse(assistant, question, mode="keyword")


@pytest.mark.parametrize(
    "name", ["NEAR query", "OR query", "SQL injection", "javascript", "Chinese"]
)
def test_a_strange_follow_up_leans_on_a_real_history(assistant: Assistant, name: str) -> None:
    first = assistant.ask("What did Nazarbayev say about vaccines?")
    assert not first.abstained
    answer = ask_or_refuse(assistant, QUESTIONS[name], history=[turn_of(first)])
    assert answer is None or answer.standalone_question


def test_the_library_is_intact_after_the_injection_attempts(assistant: Assistant) -> None:
    for name in ("SQL injection", "SQL injection 2", "column filter"):
        assistant.ask(QUESTIONS[name], mode="keyword")
    library = assistant.library
    assert library.check() == [] and len(library.transcript_ids()) == 4
    assert library.keyword_search('"vaccines"', 3, Filters())


CLI_CASES = (
    *("empty", "10000 characters of words", "only punctuation", "Russian", "double quote"),
    *("NEAR(", "AND NOT query", "SQL injection", "javascript", "NUL"),
)


@pytest.mark.parametrize("name", CLI_CASES)
def test_the_cli_answers_or_refuses_in_one_line(
    real_library: Library,
    real_encoder: Encoder,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
) -> None:
    from qa.cli import main

    # The CLI opens the library itself; give it the session's model instead of a second load.
    monkeypatch.setattr("embeddings.loading.load_encoder", lambda *a, **k: real_encoder)
    for key in ("TQA_LIBRARY", "TQA_EMBEDDING_MODEL", "TQA_LLM_BASE_URL"):
        monkeypatch.delenv(key, raising=False)
    folder = str(Path(real_library.folder))
    code = main(["--library", folder, "ask", QUESTIONS[name], "--json"])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    if code == 2:
        assert out == "" and err.startswith("tqa: ") and err.count("\n") == 1, err
        return
    assert code == 0, err
    data = json.loads(out)
    assert isinstance(data["answer"], str) and isinstance(data["citations"], list)
    assert data["abstained"] or data["citations"]
    if name in NO_WORDS:
        assert data["abstained"], data["answer"]
