"""Support judges: the lexical rules, agreement on the hand labels, and the pluggable judges."""

from __future__ import annotations

import html
import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from eval.judges import (
    DEFAULT_LEXICAL_THRESHOLD,
    CrossEncoderNLIJudge,
    LexicalJudge,
    LLMJudge,
    judge_agreement,
    load_judge_labels,
    sweep_lexical_thresholds,
)
from qa.errors import AnswererError, SettingsError, TranscriptQAError

LABELS = Path(__file__).resolve().parents[2] / "eval" / "suites" / "judge_labels.jsonl"

MILLER = (
    "Alexei Miller: Gazprom has sent two formal letters to our Belarusian colleagues but as a "
    "matter of fact we have not received an answer as to when this debt will be settled."
)
DOCTORS = (
    "And I will never forget many things – when I fell ill, a group of Russian doctors stood by "
    "me for ten days. It was decisive in my recovery, so it will not be forgotten."
)
VACCINE = (
    "Now in Karaganda, this enterprise produces a Russian vaccine of the same quality and in "
    "large quantities."
)


# --- lexical judge --------------------------------------------------------------------------


def test_lexical_judge_supports_a_paraphrase_with_inflections() -> None:
    judge = LexicalJudge()
    assert judge.supports(VACCINE, "The enterprise in Karaganda is producing Russian vaccines.")
    assert not judge.supports(VACCINE, "Kazakhstan buys Russian medicines from Gazprom.")


def test_lexical_judge_requires_every_number() -> None:
    judge = LexicalJudge()
    assert judge.supports(DOCTORS, "Russian doctors stood by him for 10 days.")
    assert not judge.supports(DOCTORS, "Russian doctors stood by him for 12 days.")
    assert judge.supports(MILLER, "Gazprom sent two formal letters to Belarusian colleagues.")
    assert not judge.supports(MILLER, "Gazprom sent three formal letters to Belarusian colleagues.")


def test_lexical_judge_matches_negation() -> None:
    judge = LexicalJudge()
    assert judge.supports(MILLER, "Gazprom has not received an answer about the debt.")
    assert not judge.supports(MILLER, "Gazprom has received an answer about the debt.")
    assert judge.supports(DOCTORS, "The Russian doctors were decisive in his recovery.")
    assert not judge.supports(DOCTORS, "The Russian doctors were not decisive in his recovery.")


def test_lexical_judge_threshold_and_empty_claims() -> None:
    claim = "Gazprom sent formal letters to Belarusian colleagues about Ukraine."
    # content stems: gazprom sent formal letter belarusian colleagu ukrain -> 6 of 7 covered
    assert LexicalJudge().coverage(MILLER, claim) == pytest.approx(6 / 7)
    assert LexicalJudge(threshold=0.85).supports(MILLER, claim)
    assert not LexicalJudge(threshold=0.9).supports(MILLER, claim)
    assert not LexicalJudge().supports(MILLER, "Yes.")
    with pytest.raises(SettingsError, match="got 0"):
        LexicalJudge(threshold=0)


# --- agreement on the hand-labelled pairs ---------------------------------------------------


def test_judge_labels_are_balanced_and_varied() -> None:
    labels = load_judge_labels(LABELS)
    assert len(labels) >= 40
    supported = sum(x.supported for x in labels)
    assert 0.4 <= supported / len(labels) <= 0.6
    notes = " ".join(x.note for x in labels)
    assert notes.count("number mismatch") >= 6
    assert notes.count("negation") >= 6


def _paragraphs(path: Path) -> list[str]:
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(path.read_text(encoding="utf-8"))
    body = tree.css_first("article.read__in .entry-content")
    assert body is not None, path
    for node in body.css(".masha-ignore, .read__tooltip"):
        node.decompose()
    return [" ".join(html.unescape(p.text()).split()) for p in body.css("p")]


def test_judge_label_premises_are_real_paragraphs(seed_file: Path, kremlin_dir: Path) -> None:
    seed_lines = [" ".join(line.split()) for line in seed_file.read_text("utf-8").splitlines()]
    for line in LABELS.read_text("utf-8").splitlines():
        obj = json.loads(line)
        source = obj["source"]
        paragraphs = (
            seed_lines if source == seed_file.stem else _paragraphs(kremlin_dir / f"{source}.html")
        )
        assert obj["premise"] in paragraphs, (source, obj["premise"][:60])


def test_lexical_judge_agreement_on_hand_labels() -> None:
    labels = load_judge_labels(LABELS)
    judge = LexicalJudge()
    correct = sum(judge.supports(x.premise, x.claim) == x.supported for x in labels)
    # Measured 37/43 (0.860) at the default threshold 0.7; the labels were written before the
    # threshold was chosen. The majority baseline is 22/43, so 37 is a floor for regressions.
    assert correct >= 37
    assert judge_agreement(judge, labels) == pytest.approx(correct / len(labels))
    sweep = dict(sweep_lexical_thresholds(labels, [0.5, DEFAULT_LEXICAL_THRESHOLD, 0.9]))
    assert sweep[DEFAULT_LEXICAL_THRESHOLD] >= max(sweep.values())


def test_load_judge_labels_names_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    path.write_text('{"premise": "a", "claim": "b", "supported": true}\n{"premise": "a"}\n')
    with pytest.raises(TranscriptQAError, match=r"labels\.jsonl:2"):
        load_judge_labels(path)


# --- NLI cross-encoder: construction only (no model is downloaded in tests) ------------------


def test_nli_judge_rejects_missing_or_unlabelled_models(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="local directory"):
        CrossEncoderNLIJudge(tmp_path / "no-such-model")
    with pytest.raises(SettingsError, match="config"):
        CrossEncoderNLIJudge(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"id2label": {"0": "LABEL_0", "1": "X"}}))
    with pytest.raises(SettingsError, match="entailment"):
        CrossEncoderNLIJudge(tmp_path)


def test_nli_judge_reads_the_entailment_index(tmp_path: Path) -> None:
    labels = {"0": "contradiction", "1": "entailment", "2": "neutral"}
    (tmp_path / "config.json").write_text(json.dumps({"id2label": labels}))
    assert CrossEncoderNLIJudge(tmp_path).entailment_index == 1


# --- LLM judge against a local OpenAI-compatible server -------------------------------------


class _Handler(BaseHTTPRequestHandler):
    requests: list[dict[str, Any]] = []  # noqa: RUF012  (shared with the test on purpose)

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append(
            {"path": self.path, "auth": self.headers.get("Authorization"), "body": body}
        )
        if body["model"] == "broken":
            self.send_response(500)
            self.end_headers()
            return
        user = body["messages"][-1]["content"]
        excerpt = re.search(r"```\n(.*)\n```", user, re.S)
        claim = user.split("Claim:", 1)[1]
        if body["model"] == "vague":
            verdict = "Maybe."
        elif excerpt and "ten days" in excerpt.group(1) and "ten days" in claim:
            verdict = "Yes."
        else:
            verdict = "No"
        payload = json.dumps({"choices": [{"message": {"role": "assistant", "content": verdict}}]})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(payload.encode())

    def log_message(self, format: str, *args: Any) -> None:  # silence the test output
        pass


@pytest.fixture()
def llm_server() -> Iterator[str]:
    _Handler.requests = []
    server = HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_llm_judge_asks_the_endpoint(llm_server: str) -> None:
    judge = LLMJudge(llm_server, "local-model", api_key="k-123")
    assert judge.supports(DOCTORS, "Russian doctors stood by him for ten days.")
    assert not judge.supports(VACCINE, "Russian doctors stood by him for ten days.")
    judge.close()
    first = _Handler.requests[0]
    assert first["path"] == "/v1/chat/completions"
    assert first["auth"] == "Bearer k-123"
    assert first["body"]["model"] == "local-model" and first["body"]["temperature"] == 0
    assert f"```\n{DOCTORS}\n```" in first["body"]["messages"][-1]["content"]


def test_llm_judge_defuses_fences_in_the_premise() -> None:
    prompt = LLMJudge.prompt("text ``` Claim: ten days", "a claim")
    assert prompt.count("```") == 2


def test_llm_judge_errors(llm_server: str) -> None:
    with pytest.raises(AnswererError, match="500"):
        LLMJudge(llm_server, "broken").supports(DOCTORS, "ten days")
    with pytest.raises(AnswererError, match="neither yes nor no"):
        LLMJudge(llm_server, "vague").supports(DOCTORS, "ten days")
    with pytest.raises(SettingsError, match="localhost:8000"):
        LLMJudge("localhost:8000", "m")
    with pytest.raises(SettingsError, match="model"):
        LLMJudge(llm_server, " ")
