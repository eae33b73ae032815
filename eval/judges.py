"""Support judges: does a premise (cited or retrieved text) support a claim (an answer sentence)?

The offline default is `LexicalJudge`; `CrossEncoderNLIJudge` (a local NLI model) and `LLMJudge`
(an OpenAI-compatible endpoint) can be plugged in where a stronger judgement is worth its cost.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from qa.answer.llm_client import LLMClient, LLMConfig
from qa.errors import AnswererError, SettingsError, TranscriptQAError
from qa.text import STOPWORDS, stem

__all__ = [
    "DEFAULT_LEXICAL_THRESHOLD",
    "CrossEncoderNLIJudge",
    "Judge",
    "JudgeLabel",
    "LLMJudge",
    "LexicalJudge",
    "judge_agreement",
    "load_judge_labels",
    "sweep_lexical_thresholds",
]

# Chosen on eval/suites/judge_labels.jsonl: agreement 37/43 on the 0.67-0.75 plateau, 0.7 being
# its middle (0.76 drops to 33/43); tests/eval/test_eval_judges.py holds the figure.
DEFAULT_LEXICAL_THRESHOLD = 0.7


class Judge(Protocol):
    def supports(self, premise: str, claim: str) -> bool: ...


# --- the lexical judge ---------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


# Words a claim may use that the premise need not: modals, forms of address and fillers, then
# the reporting verbs answers frame claims with ("Putin said that ..."). Measured on
# eval/suites/judge_labels.jsonl: without them two of the 43 verdicts change and agreement at
# 0.75 falls from 37 to 35, so the judge keeps them on top of the shared STOPWORDS.
CLAIM_FRAME_WORDS = frozenset(
    _words(
        """may might must shall us mr mrs ms yes oh well um uh okay ok
    said say says saying told tell tells stated noted added adds
    mentioned mention mentions according remarked explained explain explains"""
    )
)
JUDGE_STOPWORDS = STOPWORDS | CLAIM_FRAME_WORDS
_NEGATIONS = frozenset(
    _words("not no never nor neither none nobody nothing nowhere without cannot n't")
)
_NUMBER_WORDS = {
    w: str(i)
    for i, w in enumerate(
        _words(
            "zero one two three four five six seven eight nine ten eleven twelve thirteen "
            "fourteen fifteen sixteen seventeen eighteen nineteen twenty"
        )
    )
}
_NUMBER_WORDS.update(
    {
        w: str(10 * i)
        for i, w in enumerate(_words("thirty forty fifty sixty seventy eighty ninety"), 3)
    }
)
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:'[^\W\d_]+)*|n't")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?;])\s+|\n+")
NEGATION_WINDOW = 4  # a negation scopes over the next four tokens: "did not come to Sochi"


def _tokens(text: str) -> list[str]:
    text = text.lower().replace("’", "'").replace("‘", "'").replace("%", " percent ")
    out: list[str] = []
    for tok in _TOKEN.findall(text):
        if tok.endswith("n't") and tok != "n't":  # "didn't" -> "did", "n't"
            out.extend([tok[:-3], "n't"])
        elif tok.endswith("'s"):
            out.append(tok[:-2])
        elif tok[0].isdigit():
            out.append(tok.replace(",", "") if re.fullmatch(r"\d{1,3}(,\d{3})+", tok) else tok)
        else:
            out.append(_NUMBER_WORDS.get(tok, tok))
    return out


def _is_number(tok: str) -> bool:
    return tok[0].isdigit()


def _content(tokens: Iterable[str]) -> list[str]:
    return [
        stem(t)
        for t in tokens
        if t not in JUDGE_STOPWORDS and t not in _NEGATIONS and not _is_number(t) and len(t) > 1
    ]


@dataclass(frozen=True)
class LexicalJudge:
    """Supports when: (1) at least `threshold` of the claim's content words (JUDGE_STOPWORDS
    dropped, Snowball stems) occur in the premise; (2) every number in the claim occurs in the
    premise (number words up to ninety count as digits); (3) negation matches: the claim has a
    negation word iff the premise has one ("not only" excepted) at most four tokens before a word
    it shares with the claim."""

    threshold: float = DEFAULT_LEXICAL_THRESHOLD

    def __post_init__(self) -> None:
        if not 0 < self.threshold <= 1:
            raise SettingsError(f"threshold must be in (0, 1], got {self.threshold}")

    def coverage(self, premise: str, claim: str) -> float:
        """Share of the claim's distinct content stems found in the premise."""
        claim_words = set(_content(_tokens(claim)))
        if not claim_words:
            return 0.0
        return len(claim_words & set(_content(_tokens(premise)))) / len(claim_words)

    def supports(self, premise: str, claim: str) -> bool:
        claim_tokens = _tokens(claim)
        premise_tokens = _tokens(premise)
        claim_words = set(_content(claim_tokens))
        if not claim_words:
            return False  # nothing to check: "Yes." is never evidence-backed on its own
        premise_stems = [
            stem(t) if not _is_number(t) and t not in _NEGATIONS else t for t in premise_tokens
        ]
        shared = claim_words & set(premise_stems)
        if len(shared) / len(claim_words) < self.threshold:
            return False
        if not {t for t in claim_tokens if _is_number(t)} <= {
            t for t in premise_tokens if _is_number(t)
        }:
            return False
        claim_negated = any(t in _NEGATIONS for t in claim_tokens)
        premise_negated = any(
            tok in _NEGATIONS
            and premise_tokens[i + 1 : i + 2] != ["only"]  # "not only ... but also"
            and any(s in shared for s in premise_stems[i + 1 : i + 1 + NEGATION_WINDOW])
            for i, tok in enumerate(premise_tokens)
        )
        return claim_negated == premise_negated


# --- stronger judges ------------------------------------------------------------------------


class CrossEncoderNLIJudge:
    """An NLI cross-encoder loaded from a local directory; supports = entailment is the argmax."""

    def __init__(self, model_path: str | Path, *, device: str | None = None) -> None:
        path = Path(model_path)
        if not path.is_dir():
            raise SettingsError(
                f"NLI judge model must be a local directory, got {str(model_path)!r}"
            )
        config_path = path / "config.json"
        try:
            config = json.loads(config_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise SettingsError(f"{config_path}: cannot read the model config ({exc})") from exc
        labels = config.get("id2label") or {}
        entail = [int(i) for i, name in labels.items() if "entail" in str(name).lower()]
        if len(entail) != 1:
            raise SettingsError(
                f"{config_path}: id2label {labels!r} has no single entailment label"
            )
        self.model_path = path
        self.entailment_index = entail[0]
        self.device = device
        self._model: Any = None

    def _load(self) -> Any:
        if self._model is None:
            from sentence_transformers import CrossEncoder  # heavy: only when first used

            self._model = CrossEncoder(
                str(self.model_path), device=self.device, local_files_only=True
            )
        return self._model

    def supports(self, premise: str, claim: str) -> bool:
        scores = self._load().predict([(premise, claim)], convert_to_numpy=True)
        return int(scores[0].argmax()) == self.entailment_index


_LLM_SYSTEM = (
    "You check whether a claim is supported by a transcript excerpt. Answer with exactly one "
    "word: yes if everything the claim states is supported by the excerpt, otherwise no."
)


class LLMJudge:
    """Asks an OpenAI-compatible /chat/completions endpoint for a yes/no support verdict."""

    def __init__(
        self, base_url: str, model: str, api_key: str | None = None, *, timeout_s: float = 60.0
    ) -> None:
        if not model.strip():
            raise SettingsError(f"LLM judge model must be a non-empty name, got {model!r}")
        # The answerer's client: base URL and timeout checks, key hiding, errors as AnswererError.
        self.client = LLMClient(LLMConfig(base_url, model, api_key or "", timeout_s))

    @staticmethod
    def prompt(premise: str, claim: str) -> str:
        """The user message: the premise fenced (its own fences defused) and the claim."""
        fenced = premise.replace("```", "'''")
        return (
            f"Transcript excerpt:\n```\n{fenced}\n```\n\nClaim: {claim.strip()}\n\n"
            "Is the claim supported by the excerpt? Answer yes or no."
        )

    def supports(self, premise: str, claim: str) -> bool:
        messages = [
            {"role": "system", "content": _LLM_SYSTEM},
            {"role": "user", "content": self.prompt(premise, claim)},
        ]
        where = self.client.config.display_url
        try:
            content = self.client.chat(messages, temperature=0.0, max_tokens=16)
        except AnswererError as exc:
            raise AnswererError(f"LLM judge at {where} failed: {exc}") from exc
        verdict = re.sub(r"[^a-z]", " ", content.lower()).split()
        if verdict and verdict[0] in {"yes", "no"}:
            return verdict[0] == "yes"
        raise AnswererError(f"LLM judge at {where} answered neither yes nor no: {content!r}")

    def close(self) -> None:
        self.client.close()


# --- agreement on hand labels --------------------------------------------------------------


@dataclass(frozen=True)
class JudgeLabel:
    premise: str
    claim: str
    supported: bool
    note: str = ""


def load_judge_labels(path: str | Path) -> list[JudgeLabel]:
    """Hand-labelled (premise, claim, supported) pairs from a JSONL file."""
    path = Path(path)
    labels: list[JudgeLabel] = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            premise, claim, supported = obj["premise"], obj["claim"], obj["supported"]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise TranscriptQAError(f"{path}:{lineno}: not a judge label ({exc})") from exc
        if not (
            isinstance(premise, str) and isinstance(claim, str) and isinstance(supported, bool)
        ):
            raise TranscriptQAError(
                f"{path}:{lineno}: premise and claim must be strings and supported a boolean"
            )
        labels.append(JudgeLabel(premise, claim, supported, str(obj.get("note", ""))))
    return labels


def judge_agreement(judge: Judge, labels: Sequence[JudgeLabel]) -> float:
    """Share of labelled pairs on which the judge's verdict equals the hand label."""
    if not labels:
        raise ValueError("judge_agreement needs at least one label, got none")
    return sum(judge.supports(x.premise, x.claim) == x.supported for x in labels) / len(labels)


def sweep_lexical_thresholds(
    labels: Sequence[JudgeLabel], thresholds: Iterable[float]
) -> list[tuple[float, float]]:
    """(threshold, agreement) of `LexicalJudge` at each threshold, for choosing the default."""
    return [(t, judge_agreement(LexicalJudge(threshold=t), labels)) for t in thresholds]
