"""The learned sentence scorer: the probability that a candidate sentence answers the question.

A logistic regression over a few features of the question, the sentence and where it sits
(`FEATURES`), trained by `eval/train_scorer.py` on QMSum *train* with ETRI's evidence, negatives
from asking a question against the wrong transcript, and the suites already looked at. The
weights ship as `scorer_weights.json` next to this module, with the abstention threshold chosen
on those questions and the QuestionAdapter learned from them.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.models import model_of
from qa.answer.answer_types import is_question_sentence, sentence_types
from qa.errors import AnswererError
from qa.sentences import split_sentences
from qa.text import plain_words, stem

__all__ = [
    "FACT_STEM_LETTERS",
    "FEATURES",
    "WEIGHTS_PATH",
    "CandidateContext",
    "QuestionAdapter",
    "SentenceScorer",
    "adapter_from_json",
    "fact_share",
    "feature_vector",
    "is_procedural",
    "load_scorer",
    "logistic_weights",
    "pool_term_weights",
    "question_sentences",
    "rare_overlap",
    "read_weights",
    "scorer_from_json",
    "stem_keys",
]

WEIGHTS_PATH = Path(__file__).with_name("scorer_weights.json")

FEATURES = (
    "dense",  # cosine of the question and the sentence (all-MiniLM-L6-v2)
    "overlap",  # share of the question's topic terms (stemmed) in the sentence
    "overlap_all",  # 1 when every topic term is there
    "type_match",  # the question wants a number/date/person/… and the sentence shows one
    "type_missing",  # it wants one and the sentence shows none
    "is_question",  # the sentence asks (ends with "?"): never the answer
    "has_question",  # some sentence of the quote, or of its utterance, asks
    "reply_dense",  # the previous turn, by someone else, asks a question like the user's
    "reply_overlap",
    "speaker_match",  # the question names the sentence's speaker
    "rank_prior",  # 1 / (1 + rank of its passage)
    "first_sentence",  # the sentence opens its utterance
    "log_words",  # log(1 + words)
    "narration",  # no speaker
    "fact_share",  # a number/date question: share of the words naming its fact in the sentence
    "procedural",  # an operator's or moderator's turn, a greeting or a thank-you: not an answer
    "occasion",  # the sentence's transcript is the occasion the question names (title, date)
    "answer_dense",  # cosine of the sentence and the question mapped toward its answers (below)
    "rare_overlap",  # overlap with the terms weighted by how few of the pool use each
)

# Letters of a Snowball stem compared for fact words: it leaves derivations apart
# ("recovered"/"recovery").
FACT_STEM_LETTERS = 5
# Speaker labels of people who run the event rather than speak to its subject;
# kremlin.ru labels an unnamed journalist's turn "Question" or "Remark": the premise of a
# question, not an answer to one.
_PROCEDURAL_SPEAKER = re.compile(
    r"^\s*(operator|moderator|clerk|announcer|coordinator)\b|^\s*(question|remark)\s*$", re.I
)
# Sentences that run the event: a greeting, a welcome, thanks, handing over, moving on.
_PROCEDURAL_SENTENCE = re.compile(
    r"^\W*(greetings|good\s+(morning|afternoon|evening)|hello|hi|welcome|thank\s+you|thanks|"
    r"moving\s+on|next\s+question|(ladies\s+and\s+gentlemen|colleagues|friends),)\b|"
    r"\b(welcome\s+to\s+the|this\s+(conference|call|meeting)\s+is\s+being\s+recorded|"
    r"it\s+is\s+now\s+my\s+pleasure|please\s+go\s+ahead|(our|the)\s+next\s+question)\b",
    re.I,
)


@dataclass(frozen=True)
class CandidateContext:
    """What the features need to know of one candidate, apart from the dense similarities."""

    text: str
    utterance_text: str
    speaker: str | None
    passage_rank: int
    first_sentence: bool
    # The previous utterance when another speaker said it, else None.
    previous_text: str | None = None
    # How strongly the question names this transcript's occasion (0..1, retrieval's title and
    # date boosts relative to the best-named transcript); 0 when it names none.
    occasion: float = 0.0


def _stems(text: str) -> set[str]:
    return {stem(w) for w in plain_words(text.lower())}


def pool_term_weights(terms: Sequence[str], texts: Sequence[str]) -> dict[str, float]:
    """Per stem of the topic terms, log((1 + n) / (1 + sentences of the n using it)): a term few
    candidates use tells the answer from its neighbours ("*test* operation" against "full
    operation"); one they all share does not."""
    stems = {stem(t) for t in terms}
    used = Counter(s for text in texts for s in _stems(text) & stems)
    return {s: math.log((1 + len(texts)) / (1 + used[s])) for s in stems}


def rare_overlap(term_weights: Mapping[str, float], stems: Collection[str]) -> float:
    """Share of the term weights (pool_term_weights) on the text's `stems`; where no term tells
    the candidates apart (every one uses every term: a speaker's single turn), the plain share
    of the terms."""
    total = sum(term_weights.values())
    if total <= 0:
        return sum(s in stems for s in term_weights) / len(term_weights) if term_weights else 0.0
    return sum(w for s, w in term_weights.items() if s in stems) / total


def question_sentences(text: str) -> list[str]:
    """The sentences of an utterance that ask (split as ingest splits them, so that their
    vectors are usually stored already)."""
    return [
        sentence
        for sentence in split_sentences(text)
        if is_question_sentence(sentence) and len(sentence.split()) >= 3
    ]


def stem_keys(text: str, key: Callable[[str], str] = stem) -> set[str]:
    """The first FACT_STEM_LETTERS letters of the keys of the text's words: their Snowball
    stems, unless another `key` is given."""
    return {key(w)[:FACT_STEM_LETTERS] for w in plain_words(text.lower())}


def fact_share(facts: Sequence[str], text: str, key: Callable[[str], str] = stem) -> float:
    """Share of the fact words that the text uses, their keys (Snowball stems unless another
    `key` is given) compared by their first letters."""
    if not facts:
        return 0.0
    keys = stem_keys(text, key)
    return sum(key(t)[:FACT_STEM_LETTERS] in keys for t in facts) / len(facts)


def is_procedural(text: str, speaker: str | None) -> bool:
    """Whether the sentence runs the event (an operator's turn, a greeting, thanks) rather than
    says something about its subject."""
    return bool(
        (speaker and _PROCEDURAL_SPEAKER.search(speaker)) or _PROCEDURAL_SENTENCE.search(text)
    )


def feature_vector(
    context: CandidateContext,
    *,
    wanted_type: str,
    terms: Sequence[str],
    speakers: Sequence[str],
    dense: float,
    reply_dense: float,
    facts: Sequence[str] = (),
    question: str = "",
    answer_dense: float | None = None,
    term_weights: Mapping[str, float] | None = None,
) -> list[float]:
    """The FEATURES of one candidate, in order. `reply_dense` is the cosine of the user's
    question and the previous turn's closest question (0 when there is none); `answer_dense`
    the cosine with the question mapped by a QuestionAdapter (`dense` without one); `facts` the
    words naming the fact a number or date question asks for (extractive.fact_terms);
    `question` the question, whose own figures and names do not count as an answer's;
    `term_weights` pool_term_weights of the candidates scored with it (the terms alike
    without)."""
    term_stems = {stem(t) for t in terms}
    words = _stems(context.text)
    overlap = len(term_stems & words) / len(term_stems) if term_stems else 0.0
    types = sentence_types(context.text, question)
    specific = wanted_type != "other"
    reply_overlap = 0.0
    if context.previous_text and term_stems and "?" in context.previous_text:
        asked = _stems(" ".join(question_sentences(context.previous_text)))
        reply_overlap = len(term_stems & asked) / len(term_stems)
    return [
        dense,
        overlap,
        float(bool(term_stems) and overlap == 1.0),
        float(specific and wanted_type in types),
        float(specific and wanted_type not in types),
        float(is_question_sentence(context.text)),
        float("?" in context.text or "?" in context.utterance_text),
        reply_dense if context.previous_text else 0.0,
        reply_overlap,
        float(bool(speakers) and context.speaker in speakers),
        1.0 / (1 + context.passage_rank),
        float(context.first_sentence),
        math.log1p(len(context.text.split())),
        float(context.speaker is None),
        fact_share(facts, context.text) if wanted_type in {"number", "date"} else 0.0,
        float(is_procedural(context.text, context.speaker)),
        context.occasion,
        dense if answer_dense is None else answer_dense,
        rare_overlap(term_weights or dict.fromkeys(term_stems, 1.0), words),
    ]


@dataclass(frozen=True)
class QuestionAdapter:
    """A learned low-rank map of a question's vector toward the vectors of its answers.

    The plain cosine favours a sentence that restates the question ("When does the aquatic
    center open, Mr. President?") over the one that answers it ("First week in September."):
    answers look unlike their questions, in a way a few directions of the embedding space
    capture. The question q becomes q + right (left^T q), normalised; eval/train_scorer.py
    learns left and right from the suites' gold sentences. Vectors of another model live in
    another space: the map applies only to the model it was learned on (`fits`).
    """

    model: str
    left: np.ndarray  # (dimension, rank)
    right: np.ndarray  # (dimension, rank)

    def fits(self, encoder_name: str, dimension: int) -> bool:
        """Whether vectors of this encoder are the ones the map was learned on (its int8
        variants' are, to a cosine of 0.999)."""
        return model_of(encoder_name) == self.model and dimension == self.left.shape[0]

    def map(self, query: np.ndarray) -> np.ndarray:
        """The question's vector moved toward its answers', L2-normalised."""
        mapped = query + self.right @ (self.left.T @ query)
        norm = float(np.linalg.norm(mapped))
        return (mapped / norm if norm > 0 else mapped).astype(np.float32)

    def to_json(self) -> dict[str, object]:
        return {
            "model": self.model,
            "left": [[round(float(v), 6) for v in row] for row in self.left],
            "right": [[round(float(v), 6) for v in row] for row in self.right],
        }


def adapter_from_json(data: object, source: str) -> QuestionAdapter:
    """A QuestionAdapter from its JSON object; AnswererError names what is wrong."""
    try:
        if not isinstance(data, dict):
            raise TypeError("not an object")
        left = np.asarray(data["left"], dtype=np.float64)
        right = np.asarray(data["right"], dtype=np.float64)
        model = str(data["model"])
    except (KeyError, TypeError, ValueError) as exc:
        raise AnswererError(f"{source}: bad 'adapter' ({exc})") from exc
    if left.ndim != 2 or left.shape != right.shape:
        raise AnswererError(f"{source}: the adapter's 'left' and 'right' must be equal matrices")
    if not (np.isfinite(left).all() and np.isfinite(right).all()):
        raise AnswererError(f"{source}: the adapter holds a non-number")
    return QuestionAdapter(model, left, right)


@dataclass(frozen=True)
class SentenceScorer:
    """Logistic regression weights over FEATURES, and the probability below which to abstain."""

    weights: tuple[float, ...]
    bias: float
    threshold: float
    features: tuple[str, ...] = FEATURES
    adapter: QuestionAdapter | None = None

    def probabilities(self, rows: Sequence[Sequence[float]]) -> np.ndarray:
        """P(the sentence answers the question) for each feature row."""
        if not rows:
            return np.zeros(0)
        x = np.asarray(rows, dtype=np.float64)
        z = x @ np.asarray(self.weights) + self.bias
        return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


def logistic_weights(
    data: object, source: str, what: str, features: Sequence[str], trainer: str
) -> tuple[dict[str, Any], tuple[float, ...], float, float]:
    """A weights file's object with its weights, bias and threshold, checked against the
    `features` this code computes (`trainer` writes them); AnswererError names what is wrong."""
    if not isinstance(data, dict):
        raise AnswererError(f"{source}: the {what} weights must be a JSON object")
    names = tuple(data.get("features") or ())
    if names != tuple(features):
        raise AnswererError(
            f"{source}: weights for features {list(names)}, this code computes "
            f"{list(features)}; retrain with {trainer}"
        )
    weights = data.get("weights")
    if not isinstance(weights, list) or len(weights) != len(features):
        raise AnswererError(f"{source}: 'weights' must list {len(features)} numbers")
    try:
        numbers = tuple(float(w) for w in weights)
        bias, threshold = float(data["bias"]), float(data["threshold"])
    except (KeyError, TypeError, ValueError) as exc:
        raise AnswererError(f"{source}: bad 'bias' or 'threshold' ({exc})") from exc
    if not all(math.isfinite(v) for v in (*numbers, bias, threshold)):
        raise AnswererError(f"{source}: the {what} weights hold a non-number")
    return data, numbers, bias, threshold


def read_weights(path: Path, what: str) -> object:
    """A weights file's JSON; AnswererError names the file and why it cannot be read."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise AnswererError(f"{path}: cannot read the {what} weights ({exc})") from exc


def scorer_from_json(data: object, source: str) -> SentenceScorer:
    """A SentenceScorer from its JSON object; AnswererError names what is wrong."""
    found, weights, bias, threshold = logistic_weights(
        data, source, "scorer", FEATURES, "eval/train_scorer.py"
    )
    adapter = adapter_from_json(found["adapter"], source) if "adapter" in found else None
    return SentenceScorer(weights, bias, threshold, adapter=adapter)


@lru_cache(maxsize=4)
def load_scorer(path: Path = WEIGHTS_PATH) -> SentenceScorer:
    """The shipped (or given) weights, read once."""
    return scorer_from_json(read_weights(path, "sentence scorer's"), str(path))
