"""Which of the scorer's best sentences leads the answer: a learned choice.

The sentence scorer ranks sentences from features of each; the pair scorer reads question and
sentence together. Neither alone picks the sentence that answers. The pair scorer prefers the
sentence that restates the question in its words ("we had 2.7 trillion cubic metres of gas
reserves on the Yamal Peninsula alone") over the one that answers and repeats few of them
("These reserves have now increased to 4.2 trillion."); the scorer's place holds what the pair
scorer does not read (the reply to a question like the user's, the speaker asked about). This
conditional logit reads the best RERANK_DEPTH sentences side by side: each one's place and
probability, the pair scorer's logit and how it stands to the lead's and the best one's, how
much of the sentence restates the question and how much is new, and whether it gives the kind
of answer asked for. The sentence it scores highest leads, when it may (`eligible`). Trained by
`eval/train_lead.py` on the training suites; ships as `lead_weights.json` next to this module.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from qa.answer.answer_types import answer_type, gives_cause, sentence_types
from qa.answer.extractive import Candidate, PairScores, moved_to_front, pair_logits
from qa.answer.scorer import logistic_weights, read_weights
from qa.text import content_terms

__all__ = [
    "LEAD_FEATURES",
    "LEAD_PATH",
    "LeadModel",
    "lead_features",
    "lead_from_json",
    "led_by_choice",
    "load_lead_model",
]

LEAD_PATH = Path(__file__).with_name("lead_weights.json")

LEAD_FEATURES = (
    "lead",  # the scorer's first sentence (after the pair scorer's reordering)
    "place",  # its place among the best sentences / 7
    "scorer",  # the logit of the scorer's probability at that place
    "pair",  # the pair scorer's logit
    "pair_over_lead",  # that logit less the lead's
    "pair_under_best",  # that logit less the best of the sentences'
    "restating",  # share of the sentence's content words the question uses
    "novelty",  # the sentence's content words the question does not use / 10
    "coverage",  # share of the question's content words the sentence uses
    "typed",  # it gives the kind of answer asked for (a number, a date, a person…)
    "cause",  # a "why" question's sentence that gives a cause ("because…")
    "words",  # log(1 + the sentence's words)
    "asks",  # the sentence asks something (a "?")
    "eligible",  # it may lead (the lead's transcript, no opening, typed when a type is required)
    # It holds another of the sentences: two consecutive sentences quoted together around one
    # (extractive.score_candidates). The other is the shorter quote of the same words.
    "holds_another",
)

_ASKS = LEAD_FEATURES.index("asks")
_ELIGIBLE = LEAD_FEATURES.index("eligible")


def lead_features(
    question: str,
    candidates: Sequence[Candidate],
    logits: Sequence[float],
    eligible: Callable[[Candidate], bool],
) -> list[list[float]]:
    """The LEAD_FEATURES of each candidate (best first) against the others, in order."""
    wanted = answer_type(question)
    asked = set(content_terms(question))
    best = max(logits)
    texts = [c.text for c in candidates]
    rows = []
    for place, (c, text, logit) in enumerate(zip(candidates, texts, logits, strict=True)):
        own = set(content_terms(text))
        shared = len(own & asked)
        probability = min(max(c.score, 1e-6), 1 - 1e-6)
        rows.append(
            [
                float(place == 0),
                place / 7,
                math.log(probability / (1 - probability)),
                logit,
                logit - logits[0],
                logit - best,
                shared / max(1, len(own)),
                len(own - asked) / 10,
                shared / max(1, len(asked)),
                float(wanted != "other" and wanted in sentence_types(text, question)),
                float(wanted == "reason" and gives_cause(text)),
                math.log(1 + len(text.split())),
                float("?" in text),
                float(eligible(c)),
                float(any(other != text and other in text for other in texts)),
            ]
        )
    return rows


@dataclass(frozen=True)
class LeadModel:
    """Weights over LEAD_FEATURES scoring each sentence of one question's best; the best
    allowed leads when it scores above the lead by more than `margin`."""

    weights: tuple[float, ...]
    margin: float = 0.0

    def score(self, row: Sequence[float]) -> float:
        return sum(w * x for w, x in zip(self.weights, row, strict=True))

    def choice(self, rows: Sequence[Sequence[float]], allowed: Sequence[int]) -> int:
        """The index of the sentence that leads: the best-scored of `allowed`, or 0."""
        scores = [self.score(row) for row in rows]
        best = max(allowed, key=lambda n: scores[n], default=0)
        return best if scores[best] > scores[0] + self.margin else 0

    def lead(
        self, candidates: Sequence[Candidate], rows: Sequence[Sequence[float]], allowed: list[int]
    ) -> int:
        """The choice among the candidates (eval/train_lead.py's recorder keeps them here)."""
        return self.choice(rows, allowed)


def lead_from_json(data: object, source: str) -> LeadModel:
    """A LeadModel from its JSON object; AnswererError names what is wrong. Its "bias" is
    the same for every sentence (0: it never changes a choice) and its "threshold" is the
    margin over the lead."""
    _, weights, _, margin = logistic_weights(
        data, source, "lead", LEAD_FEATURES, "eval/train_lead.py"
    )
    return LeadModel(weights, margin)


@lru_cache(maxsize=4)
def load_lead_model(path: Path = LEAD_PATH) -> LeadModel:
    """The shipped (or given) weights, read once."""
    return lead_from_json(read_weights(path, "lead"), str(path))


def led_by_choice(
    question: str,
    ranked: Sequence[Candidate],
    pair_scores: PairScores,
    model: LeadModel,
    eligible: Callable[[Candidate], bool],
) -> list[Candidate]:
    """The scorer's best sentences (`ranked`, best first) with the one the model chooses in
    front; the others keep their order and the scores stay with the places (what reads them,
    abstaining and the share a later quote must reach, sees the ranking's as before). A
    sentence that asks is never moved there, nor one `eligible` turns down."""
    if len(ranked) < 2:
        return list(ranked)
    logits = pair_logits(question, ranked, pair_scores)
    rows = lead_features(question, ranked, logits, eligible)
    # The rows already say which sentences ask and which `eligible` lets lead.
    allowed = [n for n, row in enumerate(rows) if n == 0 or (not row[_ASKS] and row[_ELIGIBLE])]
    return moved_to_front(ranked, model.lead(ranked, rows, allowed))
