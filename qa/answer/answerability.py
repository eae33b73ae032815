"""Whether the quotes the answerer chose answer the question at all: a learned check.

The sentence scorer ranks sentences; its probability alone does not tell a near-miss (the
topic is there, the fact is not: "How many beds will the Voronezh centre have?" against "a
temporary centre … with 1,420 beds … in Kubinka") from an answer. This logistic regression
reads the whole decision instead: how sure the scorer is of its lead quote and by how much,
how much of the question's rarer words the lead and its utterance hold, whether the words
naming the fact asked for are there, and what kind of answer is wanted. It is trained by
`eval/train_answerability.py` on the answerer's own decisions over the suites we have looked
at, and ships as `answerability_weights.json` next to this module with the probability from
which the answerer abstains.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from qa.answer.answer_types import MONTHS
from qa.answer.scorer import fact_share, logistic_weights, read_weights
from qa.text import plain_words, stem

__all__ = [
    "ANSWERABILITY_FEATURES",
    "ANSWERABILITY_PATH",
    "AnswerabilityModel",
    "Decision",
    "answerability_features",
    "answerability_from_json",
    "load_answerability",
    "subject_terms",
]

ANSWERABILITY_PATH = Path(__file__).with_name("answerability_weights.json")

ANSWERABILITY_FEATURES = (
    "best",  # the sentence scorer's probability for the lead quote
    "margin",  # its lead over the next quote's probability
    # Of the question's subject terms: its topic terms less the words naming its occasion (the
    # transcript chosen has them, its sentences need not), months and numbers.
    # Words are compared by stem, an irregular verb's past forms by its base ("grew"/"grown").
    "coverage",  # share of the subject terms in the lead, each weighted by its rarity (idf)
    "coverage_near",  # the same over the lead's utterance and the one before it (answerer._near)
    "missing_rarest",  # rarity (idf / 10) of the rarest subject term the lead's utterance lacks
    "fact_share",  # share of the words naming the fact asked for near the lead; 1 without any
    "leaning",  # a follow-up that continues the conversation's transcript
    "wants_number",
    "wants_date",
    "wants_reason",
    "names",  # the question names someone or something that tells transcripts apart
    "terms",  # subject terms of the question / 10
    # The pair scorer's logit of the lead, which reads question and quote together. It learned
    # against an empty slot of logit 0 ("no sentence here answers"), so above 0 the lead is
    # likelier an answer than nothing; 0 without a pair scorer.
    "pair",
)


@dataclass(frozen=True)
class Decision:
    """What the answerer knows when it has chosen its lead quote and is about to answer."""

    scores: Sequence[float]  # the scorer's probabilities of its quotes, the lead's first
    lead: str  # the lead quote
    near: str  # the lead's utterance with the one before it
    terms: Sequence[str]  # the question's topic terms
    occasion: Collection[str]  # lowercase words naming occasions (titles, places, speakers)
    # In how many of the library's `chunks` a term occurs (FTS, stemmed): asked only of the
    # subject terms.
    document_frequency: Callable[[str], int]
    chunks: int
    facts: Sequence[str]  # words naming the fact a number or date question asks for
    wanted: str  # answer_types.answer_type of the question
    leaning: bool
    names: bool
    pair: float = 0.0  # the pair scorer's logit of the lead; 0 without one


# Past forms of irregular verbs, which the Snowball stemmer leaves apart from their base: a
# question asks how much trade "had grown", the answer says it "grew by 19.7 percent".
_IRREGULAR = {
    base: forms.split()
    for base, forms in {
        "arise": "arose arisen",
        "become": "became",
        "begin": "began begun",
        "bring": "brought",
        "build": "built",
        "buy": "bought",
        "choose": "chose chosen",
        "come": "came",
        "deal": "dealt",
        "do": "did done",
        "draw": "drew drawn",
        "drive": "drove driven",
        "fall": "fell fallen",
        "feel": "felt",
        "fight": "fought",
        "find": "found",
        "fly": "flew flown",
        "forget": "forgot forgotten",
        "freeze": "froze frozen",
        "get": "got gotten",
        "give": "gave given",
        "go": "went gone",
        "grow": "grew grown",
        "have": "had",
        "hold": "held",
        "keep": "kept",
        "know": "knew known",
        "lay": "laid",
        "lead": "led",
        "leave": "left",
        "lend": "lent",
        "lose": "lost",
        "make": "made",
        "mean": "meant",
        "meet": "met",
        "pay": "paid",
        "rise": "rose risen",
        "run": "ran",
        "say": "said",
        "see": "saw seen",
        "seek": "sought",
        "sell": "sold",
        "send": "sent",
        "shake": "shook shaken",
        "show": "shown",
        "sink": "sank sunk",
        "speak": "spoke spoken",
        "spend": "spent",
        "stand": "stood",
        "steal": "stole stolen",
        "strike": "struck",
        "take": "took taken",
        "teach": "taught",
        "tell": "told",
        "think": "thought",
        "throw": "threw thrown",
        "understand": "understood",
        "win": "won",
        "write": "wrote written",
    }.items()
}
_BASE_FORM = {form: base for base, forms in _IRREGULAR.items() for form in forms}


def _key(word: str) -> str:
    """The word's Snowball stem, from its base form when it is an irregular past form."""
    word = word.lower()
    return stem(_BASE_FORM.get(word, word))


def _keys(text: str) -> set[str]:
    return {_key(w) for w in plain_words(text)}


def subject_terms(decision: Decision) -> list[str]:
    """The topic terms less the occasion's words, months and numbers."""
    return [
        t
        for t in decision.terms
        if t not in decision.occasion and t not in MONTHS and not t.isdigit()
    ]


def _rarity(decision: Decision) -> dict[str, float]:
    n = decision.chunks
    return {
        t: math.log((n + 1) / (decision.document_frequency(t) + 1)) for t in subject_terms(decision)
    }


def _weighted_coverage(rarity: Mapping[str, float], text: str) -> float:
    """Share of the terms' rarity on terms the text uses (1 without terms)."""
    total = sum(rarity.values())
    if total <= 0:
        return 1.0
    keys = _keys(text)
    return sum(w for t, w in rarity.items() if _key(t) in keys) / total


def answerability_features(decision: Decision) -> list[float]:
    """The ANSWERABILITY_FEATURES of a decision, in order."""
    scores = list(decision.scores) or [0.0]
    best = scores[0]
    runner_up = scores[1] if len(scores) > 1 else 0.0
    rarity = _rarity(decision)
    near_keys = _keys(decision.near)
    missing = [w for t, w in rarity.items() if _key(t) not in near_keys]
    return [
        best,
        best - runner_up,
        _weighted_coverage(rarity, decision.lead),
        _weighted_coverage(rarity, decision.near),
        max(missing, default=0.0) / 10,
        # Nothing is missing when the question names no fact.
        fact_share(decision.facts, decision.near, key=_key) if decision.facts else 1.0,
        float(decision.leaning),
        float(decision.wanted == "number"),
        float(decision.wanted == "date"),
        float(decision.wanted == "reason"),
        float(decision.names),
        len(rarity) / 10,
        decision.pair,
    ]


@dataclass(frozen=True)
class AnswerabilityModel:
    """Logistic regression weights over ANSWERABILITY_FEATURES giving P(the question has no
    answer in the chosen quotes), and the probability from which the answerer abstains."""

    weights: tuple[float, ...]
    bias: float
    threshold: float

    def unanswerable(self, features: Sequence[float]) -> float:
        """P(the quotes do not answer the question) for one feature row."""
        z = sum(w * x for w, x in zip(self.weights, features, strict=True)) + self.bias
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def refuses(self, features: Sequence[float]) -> bool:
        return self.unanswerable(features) >= self.threshold


def answerability_from_json(data: object, source: str) -> AnswerabilityModel:
    """An AnswerabilityModel from its JSON object; AnswererError names what is wrong."""
    _, weights, bias, threshold = logistic_weights(
        data, source, "answerability", ANSWERABILITY_FEATURES, "eval/train_answerability.py"
    )
    return AnswerabilityModel(weights, bias, threshold)


@lru_cache(maxsize=4)
def load_answerability(path: Path = ANSWERABILITY_PATH) -> AnswerabilityModel:
    """The shipped (or given) weights, read once."""
    return answerability_from_json(read_weights(path, "answerability"), str(path))
