"""Train the sentence scorer (qa/answer/scorer_weights.json): logistic regression in numpy.

    PYTHONPATH=$PWD python -m eval.train_scorer \\
        --qmsum ../shared/data/qmsum/train --evidence ../shared/data/qmsum/evidence/train \\
        [--dev SUITE --library LIB]... [--folds 5] -o qa/answer/scorer_weights.json

Examples are candidate sentences with the features the answerer computes
(qa.answer.extractive.candidate_features), labelled:
- QMSum *train* specific queries: the meeting is cut into turn windows of about a chunk, the
  windows ranked by keyword overlap with the query stand in for retrieved passages; a sentence
  holding one of ETRI's evidence sentences for the query is positive, the others negative;
- the same query asked against the next meeting (the wrong transcript): every sentence negative;
- with --dev and --library: each suite question retrieved and answered as `tqa ask` does; a
  sentence holding a gold answer (or inside a gold quote) is positive; an unanswerable question's
  sentences are all negative. --dev/--library repeat: every suite we have looked at is data to
  learn from (a suite not yet run stays out, to measure on). The abstention threshold is chosen
  on these questions (best abstention F1 plus share of answerable questions answered), else
  --threshold is kept.

With --dev, a QuestionAdapter (qa.answer.scorer) is learned from the suite questions' gold
sentences as well, and shipped in the same file; the regression learns from its feature
(answer_dense) cross-fitted by transcript, as a new transcript would show it.

With --folds K the suite questions are also cross-validated, grouped by transcript (a
question's group is its id's tag, e.g. "msft" of "msft-capex", so one transcript's questions
never sit on both sides): the top-1 gold rate and the abstention figures out of fold are
printed, the honest estimate for transcripts nobody here wrote.

Deterministic: meetings in name order, no sampling, Newton's method and Adam from zeros.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.models import BUNDLED_MODEL, model_of
from embeddings.pair_scorer import pair_text
from eval.metrics import normalize, normalize_answer
from eval.suite import SuiteQuestion, load_suite
from qa.answer.answer_types import answer_type, sentence_types
from qa.answer.assistant import TYPES_REQUIRED
from qa.answer.extractive import (
    Candidate,
    candidate_features,
    candidate_sentences,
    occasion_prior,
    prune_candidates,
)
from qa.answer.scorer import FEATURES, QuestionAdapter
from qa.models import Passage, Utterance
from qa.sentences import sentence_spans
from qa.text import plain_words, stem, topic_terms

Embed = Callable[[list[str]], np.ndarray]

ANSWER_DENSE = FEATURES.index("answer_dense")
WINDOW_WORDS = 150  # about a 200-token chunk of QMSum's spaced-out tokens
WINDOWS = 8  # the retrieved passages of a question (top_k)
L2 = 1.0
DEV_WEIGHT = 3.0  # a dev example counts this many QMSum ones: the kinds of question we answer
# The QuestionAdapter: squared-norm penalty, rank kept, Adam steps and rate, and the softmax
# temperature over a question's candidates (cosines differ by hundredths; x20 makes them count).
# Chosen by grouped cross-validation over the suites: 0.01 and 0.03 gave the same top-1, rank 8
# to 384 the same; QMSum's queries (summaries of a meeting's discussion) did not transfer to
# the suites' questions (top-1 0.392 -> 0.395), so it learns from the suites alone.
ADAPTER_L2 = 0.03
ADAPTER_RANK = 16
ADAPTER_STEPS = 100
ADAPTER_RATE = 0.003
ADAPTER_TEMPERATURE = 20.0
# Folds of the cross-fitting that gives the logistic regression out-of-fold answer_dense values.
CROSSFIT_FOLDS = 4


# (question vector, its candidates' sentence vectors): what the QuestionAdapter maps and reads.
Vectors = tuple[np.ndarray, np.ndarray]


@dataclass
class Examples:
    """Feature rows, labels and weights; per question added, its vectors (for answer_dense)."""

    rows: list[list[float]]
    labels: list[int]
    weights: list[float]
    vectors: list[Vectors] = field(default_factory=list)

    def add(
        self,
        rows: Sequence[Sequence[float]],
        labels: Sequence[int],
        weight: float,
        vectors: Vectors | None = None,
    ) -> None:
        self.rows.extend(list(r) for r in rows)
        self.labels.extend(labels)
        self.weights.extend([weight] * len(labels))
        if vectors is not None:
            self.vectors.append(vectors)


# --- the model -----------------------------------------------------------------------------


def fit_logistic(
    x: np.ndarray, y: np.ndarray, w: np.ndarray, l2: float = L2, iterations: int = 50
) -> tuple[np.ndarray, float]:
    """Weighted L2-regularised logistic regression by Newton's method (bias unpenalised)."""
    n, d = x.shape
    design = np.hstack([x, np.ones((n, 1))])
    beta = np.zeros(d + 1)
    penalty = np.full(d + 1, l2)
    penalty[-1] = 0.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(design @ beta, -30, 30)))
        gradient = design.T @ (w * (p - y)) + penalty * beta
        hessian = (design * (w * p * (1 - p))[:, None]).T @ design + np.diag(penalty)
        step = np.linalg.solve(hessian + 1e-9 * np.eye(d + 1), gradient)
        beta -= step
        if float(np.max(np.abs(step))) < 1e-8:
            break
    return beta[:-1], float(beta[-1])


# --- QMSum train ---------------------------------------------------------------------------


def _windows(turns: Sequence[Utterance]) -> list[tuple[int, int]]:
    """Consecutive turns packed to about WINDOW_WORDS words: (first, last) turn indices."""
    out: list[tuple[int, int]] = []
    start, words = 0, 0
    for u in turns:
        n = len(u.text.split())
        if words and words + n > WINDOW_WORDS:
            out.append((start, u.index - 1))
            start, words = u.index, 0
        words += n
    if turns:
        out.append((start, turns[-1].index))
    return out


def ranked_passages(meeting_id: str, turns: Sequence[Utterance], query: str) -> list[Passage]:
    """The WINDOWS windows sharing most (idf-weighted) query terms, best first: retrieval's
    stand-in, so passage ranks mean what they mean at run time."""
    stems = {stem(t) for t in topic_terms(query)}
    windows = _windows(turns)
    bags = [
        {stem(w) for u in turns[a : b + 1] for w in plain_words(u.text.lower())} for a, b in windows
    ]
    idf = {s: math.log((1 + len(bags)) / (1 + sum(s in bag for bag in bags))) + 1 for s in stems}
    scores = [sum(idf[s] for s in stems if s in bag) for bag in bags]
    order = sorted(range(len(windows)), key=lambda i: (-scores[i], i))[:WINDOWS]
    return [
        Passage(meeting_id, meeting_id, None, windows[i][0], windows[i][1], (), "", scores[i])
        for i in order
    ]


def qmsum_turns(path: Path) -> list[Utterance]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return [
        Utterance(i, t.get("speaker"), t.get("speaker"), str(t.get("content") or ""))
        for i, t in enumerate(data.get("meeting_transcripts") or [])
    ]


_SPANS: dict[str, list[tuple[int, int]]] = {}


def _spans(_: str, utterance: Utterance) -> list[tuple[int, int]]:
    # A meeting's turns meet every query of the meeting: split each once.
    if utterance.text not in _SPANS:
        _SPANS[utterance.text] = sentence_spans(utterance.text)
    return _SPANS[utterance.text]


class CachedEmbed:
    """An encoder's vectors, each text embedded once (queries of a meeting share sentences)."""

    def __init__(self, encode: Embed) -> None:
        self.encode = encode
        self.vectors: dict[str, np.ndarray] = {}

    def __call__(self, texts: list[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self.vectors))
        if missing:
            self.vectors.update(zip(missing, self.encode(missing), strict=True))
        return np.stack([self.vectors[t] for t in texts])


def _pool(query: str, passages: Sequence[Passage], turns: Sequence[Utterance]) -> list[Candidate]:
    """The sentences the answerer would score first. Pairs of sentences are left out: a pair
    holds a gold sentence twice as often, which would teach length, not answering."""
    candidates = candidate_sentences(
        passages, lambda p: turns[p.utterance_start : p.utterance_end + 1], _spans
    )
    return prune_candidates(query, candidates)


def _holds(candidate_text: str, quotes: Sequence[str]) -> bool:
    """Whether the sentence holds a gold quote (>= 4 words) or lies inside one."""
    text = normalize(candidate_text)
    for quote in quotes:
        q = normalize(quote)
        if len(q.split()) >= 4 and q in text:
            return True
        if len(text.split()) >= 4 and text in q:
            return True
    return False


def qmsum_examples(
    qmsum_dir: Path, evidence_dir: Path, embed: Embed, *, meetings: int | None = None
) -> Examples:
    """Examples from the specific queries of QMSum meetings with ETRI evidence, and the same
    queries asked against the next meeting."""
    embed = CachedEmbed(embed)
    paths = [p for p in sorted(qmsum_dir.glob("*.json")) if (evidence_dir / p.name).exists()]
    if meetings is not None:
        paths = paths[:meetings]
    if len(paths) < 2:
        raise SystemExit(f"{qmsum_dir}: need at least two meetings with ETRI evidence")
    examples = Examples([], [], [])
    turns_of = {p: qmsum_turns(p) for p in paths}
    for n, path in enumerate(paths):
        turns = turns_of[path]
        etri = json.loads((evidence_dir / path.name).read_text(encoding="utf-8"))
        queries = (etri.get("qmsum") or {}).get("specific_query_list") or []
        other = paths[(n + 1) % len(paths)]
        for query in queries:
            text = str(query.get("query") or "")
            quotes = [
                str(s.get("content") or "")
                for group in query.get("evidence") or []
                for s in group  # central and peripheral evidence, as eval.importers reads it
            ]
            if not text or not quotes:
                continue
            pool = _pool(text, ranked_passages(path.stem, turns, text), turns)
            if pool:
                rows = candidate_features(text, pool, embed, previous=_previous(turns))
                labels = [int(_holds(c.text, quotes)) for c in pool]
                examples.add(rows, labels, 1.0, _vectors(embed, text, pool))
            wrong = turns_of[other]
            pool = _pool(text, ranked_passages(other.stem, wrong, text), wrong)
            if pool:
                rows = candidate_features(text, pool, embed, previous=_previous(wrong))
                examples.add(rows, [0] * len(pool), 1.0, _vectors(embed, text, pool))
    return examples


def _vectors(embed: Embed, question: str, pool: Sequence[Candidate]) -> Vectors:
    return (
        np.asarray(embed([question])[0], dtype=np.float32),
        np.asarray(embed([c.text for c in pool]), dtype=np.float32),
    )


def _previous(turns: Sequence[Utterance]) -> Callable[[Candidate], Utterance | None]:
    return lambda c: turns[c.utterance.index - 1] if c.utterance.index > 0 else None


# --- dev questions -------------------------------------------------------------------------


@dataclass(frozen=True)
class DevQuestion:
    """One dev question's candidates: feature rows, labels, and what the threshold needs."""

    answerable: bool
    rows: list[list[float]]
    labels: list[int]
    types_ok: list[bool]  # per row: the sentence shows the answer type the question requires
    # The answerer abstains whatever the threshold: its rules (no quantity naming the fact, no
    # number of what "how many" counts, no amount of money, the evidence gap) refuse it.
    ruled_out: bool = False
    # The question's vector and its rows' sentences' (answer_dense is recomputed from them).
    vectors: Vectors | None = field(default=None, compare=False)
    # The question as asked of the library (a follow-up made standalone) and each row's
    # sentence as the pair scorer reads it (eval/train_pair_scorer.py learns from them).
    question: str = field(default="", compare=False)
    pair_texts: list[str] = field(default_factory=list, compare=False)


def _is_gold(text: str, question: SuiteQuestion) -> bool:
    padded = f" {normalize_answer(text)} "
    if question.answers and any(
        f" {g} " in padded for g in (normalize_answer(a) for a in question.answers) if g
    ):
        return True
    return _holds(text, [e.quote for e in question.evidence if e.quote])


def dev_questions(suite: Path, library_dir: Path, *, pair_scorer: int = 1) -> list[DevQuestion]:
    """Each suite question retrieved as `tqa ask` retrieves it, its candidates labelled.

    `pair_scorer` 0 answers (for `ruled_out`) without the pair scorer: training one needs no
    weights file yet."""
    from eval.runner import TurnCache, history_turns
    from qa.answer.extractive import candidate_sentences as sentences_of
    from qa.models import Filters
    from qa.runtime import build_assistant, open_library
    from qa.settings import load_settings

    settings = load_settings(library=str(library_dir), llm_base_url="", pair_scorer=pair_scorer)
    library = open_library(settings)
    assistant = build_assistant(settings, library)
    # The same answerer without a probability threshold: what its rules alone refuse.
    rules_only = build_assistant(settings.with_overrides(abstain_threshold=0.0), library)
    cache: TurnCache = {}
    out: list[DevQuestion] = []
    for q in load_suite(suite):
        filters = Filters(transcripts=tuple(q.transcripts))
        turns = history_turns(assistant, q.history, filters, cache)
        standalone, retrieval = assistant.retrieve(q.question, turns, filters)
        ruled_out = rules_only.ask(q.question, turns, filters).abstained
        known: dict[tuple[str, int], Utterance] = {}

        def utterances_of(p: Passage, known: dict[tuple[str, int], Utterance] = known) -> Any:
            found = library.utterances(
                p.transcript_id, max(0, p.utterance_start - 1), p.utterance_end
            )
            known.update(((p.transcript_id, u.index), u) for u in found)
            return [u for u in found if u.index >= p.utterance_start]

        candidates = sentences_of(
            retrieval.passages, utterances_of, assistant.stored_spans(retrieval.passages)
        )
        speakers = retrieval.filters.speakers
        singles = prune_candidates(standalone.question, candidates, speakers)
        if not singles:
            out.append(DevQuestion(q.answerable, [], [], [], ruled_out))
            continue

        def previous(
            c: Candidate, known: dict[tuple[str, int], Utterance] = known
        ) -> Utterance | None:
            return known.get((c.passage.transcript_id, c.utterance.index - 1))

        boosts = retrieval.boosts
        terms = topic_terms(standalone.question, speakers)
        rows = candidate_features(
            standalone.question,
            singles,
            assistant.encoder.encode,
            speakers,
            previous=previous,
            facts=assistant.fact_words(standalone.question, terms, boosts),
            occasion=occasion_prior(boosts.titles, boosts.since, boosts.until),
        )
        wanted = answer_type(standalone.question)
        out.append(
            DevQuestion(
                q.answerable,
                rows,
                [int(q.answerable and _is_gold(c.text, q)) for c in singles],
                [_type_ok(wanted, c.text, standalone.question) for c in singles],
                ruled_out,
                _vectors(assistant.encoder.encode, standalone.question, singles),
                standalone.question,
                [pair_text(c.utterance.canonical_speaker, c.text) for c in singles],
            )
        )
    return out


def _type_ok(wanted: str, text: str, question: str) -> bool:
    return wanted not in TYPES_REQUIRED or wanted in sentence_types(text, question)


def best_probability(q: DevQuestion, weights: np.ndarray, bias: float) -> float:
    """The probability the answerer compares with its threshold: that of the best sentence
    showing the required answer type; -1 when its rules refuse the question or none shows it."""
    allowed = [i for i, ok in enumerate(q.types_ok) if ok]
    if not allowed or q.ruled_out:
        return -1.0
    z = np.asarray([q.rows[i] for i in allowed]) @ weights + bias
    return float((1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))).max())


def choose_threshold(questions: Sequence[DevQuestion], weights: np.ndarray, bias: float) -> float:
    """The probability threshold with the best sum of abstention F1 and the share of answerable
    questions answered (the two targets; F1 alone refuses half the answerable ones), as the
    answerer decides: it abstains when its rules refuse the question (`ruled_out`), when its
    best sentence showing a required answer type (a number, a date) is below the threshold, or
    when there is none. Ties go to the lower one."""
    tops = [(best_probability(q, weights, bias), q.answerable) for q in questions]
    actual = sum(not answerable for _, answerable in tops)
    answerable_count = max(1, len(tops) - actual)
    best_f1, best_t = -1.0, 0.5
    for t in np.round(np.arange(0.01, 0.96, 0.01), 2):
        abstained = [p < t for p, _ in tops]
        tp = sum(a and not ans for a, (_, ans) in zip(abstained, tops, strict=True))
        predicted = sum(abstained)
        f1 = 2 * tp / (predicted + actual) if predicted + actual else 0.0
        answered = sum(not a and ans for a, (_, ans) in zip(abstained, tops, strict=True))
        objective = f1 + answered / answerable_count
        if objective > best_f1 + 1e-12:
            best_f1, best_t = objective, float(t)
    return best_t


def question_group(suite_name: str, question_id: str) -> str:
    """The cross-validation group of a suite question: its suite and its id's transcript tag."""
    return f"{suite_name}:{question_id.split('-')[0]}"


@dataclass(frozen=True)
class FoldReport:
    """Out-of-fold figures of grouped cross-validation over the suite questions."""

    folds: int
    top1: float  # answerable questions with a gold candidate: the best-scored one is gold
    top1_questions: int
    abstention_precision: float
    abstention_recall: float
    abstention_f1: float
    wrongly_refused: int  # answerable questions refused (rules or threshold)
    answerable: int


def fold_of(groups: Sequence[str], folds: int, seed: int = 0) -> dict[str, int]:
    """Each group's fold, groups assigned in a fixed shuffled order."""
    names = sorted(set(groups))
    order = np.random.RandomState(seed).permutation(len(names))
    return {names[j]: k % folds for k, j in enumerate(order)}


def cross_validate(
    base: Examples,
    questions: Sequence[DevQuestion],
    groups: Sequence[str],
    folds: int,
    model: str = BUNDLED_MODEL,
) -> FoldReport:
    """Train on the QMSum examples and the other folds' questions (the adapter too, and the
    logistic regression on their cross-fitted answer_dense), score each fold's questions."""
    fold_of_group = fold_of(groups, folds)
    hits = counted = 0
    refused: list[tuple[bool, bool]] = []  # (abstained, answerable)
    for fold in range(folds):
        inside = [fold_of_group[g] != fold for g in groups]
        train_part = [q for q, keep in zip(questions, inside, strict=True) if keep]
        train_groups = [g for g, keep in zip(groups, inside, strict=True) if keep]
        adapter = train_adapter(train_part, model)
        fitted = crossfit_adapter(train_part, train_groups, CROSSFIT_FOLDS, model)
        weights, bias = _fit(examples_with_adapter(base, adapter), fitted)
        threshold = choose_threshold(fitted, weights, bias)
        for q, keep in zip(questions, inside, strict=True):
            if keep:
                continue
            q = with_adapter(q, adapter)
            if q.answerable and q.rows and any(q.labels):
                scores = np.asarray(q.rows) @ weights + bias
                hits += q.labels[int(np.argmax(scores))]
                counted += 1
            refused.append((best_probability(q, weights, bias) < threshold, q.answerable))
    tp = sum(a and not ans for a, ans in refused)
    predicted = sum(a for a, _ in refused)
    actual = sum(not ans for _, ans in refused)
    precision = tp / predicted if predicted else 0.0
    recall = tp / actual if actual else 0.0
    return FoldReport(
        folds,
        hits / counted if counted else 0.0,
        counted,
        precision,
        recall,
        2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        sum(a and ans for a, ans in refused),
        sum(ans for _, ans in refused),
    )


# --- the question adapter ------------------------------------------------------------------


def train_adapter(questions: Sequence[DevQuestion], model: str) -> QuestionAdapter | None:
    """The QuestionAdapter learned from the answerable questions with a gold candidate (None
    without any): a full map D, q -> q + D^T q, trained so that a softmax over each question's
    candidates (cosines with the mapped question) puts its mass on the gold ones, with an L2
    penalty holding D near zero; Adam from zeros (deterministic), then cut to ADAPTER_RANK."""
    usable = [
        (q.labels, q.vectors)
        for q in questions
        if q.vectors is not None and q.answerable and any(q.labels)
    ]
    if not usable:
        return None
    dimension = usable[0][1][0].shape[0]
    width = max(len(labels) for labels, _ in usable)
    queries = np.stack([question for _, (question, _) in usable]).astype(np.float64)
    sentences = np.zeros((len(usable), width, dimension))
    present = np.zeros((len(usable), width), dtype=bool)
    gold = np.zeros((len(usable), width), dtype=bool)
    for i, (labels, (_, rows)) in enumerate(usable):
        sentences[i, : len(rows)] = rows
        present[i, : len(rows)] = True
        gold[i, : len(rows)] = np.asarray(labels) > 0
    d = np.zeros((dimension, dimension))
    moment, second = np.zeros_like(d), np.zeros_like(d)
    for step in range(1, ADAPTER_STEPS + 1):
        z = ADAPTER_TEMPERATURE * np.einsum("nwd,nd->nw", sentences, queries + queries @ d)
        z = np.where(present, z, -np.inf)
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        on_gold = p * gold
        on_gold /= on_gold.sum(axis=1, keepdims=True)
        # d(loss)/dz, then through z_i = T s_i . (q + D^T q): dz_i/dD = T q s_i^T.
        dz = ADAPTER_TEMPERATURE * (p - on_gold)
        gradient = queries.T @ np.einsum("nw,nwd->nd", dz, sentences) / len(usable)
        gradient += 2 * ADAPTER_L2 * d
        moment = 0.9 * moment + 0.1 * gradient
        second = 0.999 * second + 0.001 * gradient**2
        d -= (
            ADAPTER_RATE * (moment / (1 - 0.9**step)) / (np.sqrt(second / (1 - 0.999**step)) + 1e-8)
        )
    u, s, vt = np.linalg.svd(d)
    # D^T q = V S U^T q: right (left^T q) with left = U S, right = V.
    return QuestionAdapter(
        model, u[:, :ADAPTER_RANK] * s[:ADAPTER_RANK], vt[:ADAPTER_RANK].T.copy()
    )


def _with_column(
    rows: Sequence[Sequence[float]], values: Sequence[float] | np.ndarray
) -> list[list[float]]:
    return [
        [*r[:ANSWER_DENSE], float(v), *r[ANSWER_DENSE + 1 :]]
        for r, v in zip(rows, values, strict=True)
    ]


def with_adapter(q: DevQuestion, adapter: QuestionAdapter | None) -> DevQuestion:
    """The question with answer_dense computed by the adapter (unchanged without one, or
    without vectors)."""
    if adapter is None or q.vectors is None or not q.rows:
        return q
    question, sentences = q.vectors
    return replace(q, rows=_with_column(q.rows, sentences @ adapter.map(question)))


def examples_with_adapter(base: Examples, adapter: QuestionAdapter | None) -> Examples:
    """The QMSum examples with answer_dense computed by the adapter."""
    if adapter is None or not base.vectors:
        return base
    values = np.concatenate([sentences @ adapter.map(q) for q, sentences in base.vectors])
    return Examples(_with_column(base.rows, values), base.labels, base.weights, base.vectors)


def crossfit_adapter(
    questions: Sequence[DevQuestion], groups: Sequence[str], folds: int, model: str
) -> list[DevQuestion]:
    """Each question with answer_dense from an adapter that never saw its group. The logistic
    regression must learn from values like a new transcript's: in sample the adapter ranks the
    gold far better (QMSum train, same penalty: top-1 0.88 in sample, 0.28 on other meetings),
    and the weight on it would come out too high."""
    folds = min(folds, len(set(groups)))
    if folds < 2:
        return list(questions)
    fold_of_group = fold_of(groups, folds, seed=1)
    out = list(questions)
    for fold in range(folds):
        adapter = train_adapter(
            [q for q, g in zip(questions, groups, strict=True) if fold_of_group[g] != fold],
            model,
        )
        for i, g in enumerate(groups):
            if fold_of_group[g] == fold:
                out[i] = with_adapter(questions[i], adapter)
    return out


def _fit(base: Examples, questions: Sequence[DevQuestion]) -> tuple[np.ndarray, float]:
    examples = Examples(list(base.rows), list(base.labels), list(base.weights))
    for q in questions:
        examples.add(q.rows, q.labels, DEV_WEIGHT)
    x = np.asarray(examples.rows, dtype=np.float64)
    y = np.asarray(examples.labels, dtype=np.float64)
    w = np.asarray(examples.weights, dtype=np.float64)
    return fit_logistic(x, y, w)


def _cached_qmsum(
    qmsum_dir: Path, evidence_dir: Path, embed: Embed, meetings: int | None, cache: Path | None
) -> Examples:
    key = json.dumps([str(qmsum_dir.resolve()), meetings, list(FEATURES)])
    if cache is not None and cache.exists():
        data = np.load(cache, allow_pickle=False)
        if str(data["key"]) == key and "queries" in data:
            rows, labels, weights = data["rows"], data["labels"], data["weights"]
            ends = np.cumsum(data["sizes"])
            vectors = [
                (query, data["sentences"][end - size : end])
                for query, size, end in zip(data["queries"], data["sizes"], ends, strict=True)
            ]
            return Examples(rows.tolist(), labels.tolist(), weights.tolist(), vectors)
    examples = qmsum_examples(qmsum_dir, evidence_dir, embed, meetings=meetings)
    if cache is not None:
        np.savez(
            cache,
            key=np.asarray(key),
            rows=np.asarray(examples.rows),
            labels=np.asarray(examples.labels),
            weights=np.asarray(examples.weights),
            queries=np.stack([q for q, _ in examples.vectors]),
            sizes=np.asarray([len(s) for _, s in examples.vectors]),
            sentences=np.concatenate([s for _, s in examples.vectors]),
        )
    return examples


# --- the command ---------------------------------------------------------------------------


def train(
    qmsum_dir: Path,
    evidence_dir: Path,
    embed: Embed,
    *,
    meetings: int | None = None,
    dev: Sequence[DevQuestion] = (),
    threshold: float = 0.5,
    cache: Path | None = None,
    groups: Sequence[str] = (),
    folds: int = 0,
    suites: Sequence[str] = (),
    model_name: str = BUNDLED_MODEL,
) -> dict[str, Any]:
    """The weights file's object, trained on QMSum (and dev questions when given).

    `cache` (an .npz file) keeps the QMSum examples between runs: they depend only on the
    meetings, the features and the encoder, and take most of the time. With dev questions
    (and a `groups` entry for each: the transcript they were written from) the object holds
    a QuestionAdapter learned from them for `model_name`'s vectors; with `folds`, the grouped
    cross-validation figures; `suites` names the suites the dev questions came from.
    """
    if dev and len(groups) != len(dev):
        raise ValueError("dev questions need one group each (their transcript)")
    examples = _cached_qmsum(qmsum_dir, evidence_dir, embed, meetings, cache)
    qmsum_count = len(examples.labels)
    adapter = train_adapter(dev, model_name)
    fitted = crossfit_adapter(dev, groups, CROSSFIT_FOLDS, model_name)
    weights, bias = _fit(examples_with_adapter(examples, adapter), fitted)
    if dev:
        threshold = choose_threshold(fitted, weights, bias)
    model: dict[str, Any] = {
        "features": list(FEATURES),
        "weights": [round(float(v), 6) for v in weights],
        "bias": round(bias, 6),
        "threshold": threshold,
        "trained_on": {
            "qmsum_meetings": meetings if meetings is not None else "all with ETRI evidence",
            "qmsum_examples": qmsum_count,
            "qmsum_positives": int(sum(examples.labels)),
            "suites": list(suites),
            "dev_questions": len(dev),
            "dev_examples": sum(len(q.labels) for q in dev),
            "dev_positives": sum(sum(q.labels) for q in dev),
            "l2": L2,
            "dev_weight": DEV_WEIGHT,
            "adapter_l2": ADAPTER_L2,
            "adapter_rank": ADAPTER_RANK,
        },
    }
    if adapter is not None:
        model["adapter"] = adapter.to_json()
    if folds and dev:
        report = cross_validate(examples, dev, groups, folds, model_name)
        model["cross_validation"] = {
            k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(report).items()
        }
    return model


def weights_text(model: dict[str, Any]) -> str:
    """The weights file's text: indented JSON, each row of the adapter's matrices on one line
    (one number per line would be 12,000 lines)."""
    text = json.dumps({k: v for k, v in model.items() if k != "adapter"}, indent=1)
    adapter = model.get("adapter")
    if adapter is None:
        return text + "\n"

    def matrix(rows: list[list[float]]) -> str:
        return ",\n".join("   " + json.dumps(row) for row in rows)

    block = (
        f' "adapter": {{\n  "model": {json.dumps(adapter["model"])},\n'
        f'  "left": [\n{matrix(adapter["left"])}\n  ],\n'
        f'  "right": [\n{matrix(adapter["right"])}\n  ]\n }}'
    )
    return text.removesuffix("\n}") + ",\n" + block + "\n}\n"


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m eval.train_scorer", description=__doc__.split("\n")[0]
    )
    p.add_argument("--qmsum", type=Path, required=True, help="QMSum train meetings (*.json)")
    p.add_argument("--evidence", type=Path, required=True, help="ETRI evidence for them")
    p.add_argument("--meetings", type=int, help="only the first N meetings (a quick run)")
    p.add_argument(
        "--dev",
        type=Path,
        action="append",
        default=[],
        help="a suite to learn from and choose the threshold on (repeatable)",
    )
    p.add_argument(
        "--library",
        type=Path,
        action="append",
        default=[],
        help="the library the --dev suite in the same position is asked of",
    )
    p.add_argument("--threshold", type=float, default=0.5, help="kept when there is no --dev")
    p.add_argument(
        "--folds", type=int, default=0, help="grouped cross-validation of the suite questions"
    )
    p.add_argument("--cache", type=Path, help="an .npz file keeping the QMSum examples")
    p.add_argument("-o", "--output", type=Path, required=True)
    a = p.parse_args(argv)
    if len(a.dev) != len(a.library):
        p.error("each --dev needs its --library")
    if a.folds == 1 or a.folds < 0:
        p.error("--folds must be 0 (none) or at least 2")
    from embeddings.loading import load_encoder
    from embeddings.models import DEFAULT_MODEL
    from embeddings.offline import use_offline_hub

    use_offline_hub()
    dev: list[DevQuestion] = []
    groups: list[str] = []
    for suite, library in zip(a.dev, a.library, strict=True):
        dev += dev_questions(suite, library)
        groups += [question_group(suite.stem, q.id) for q in load_suite(suite)]
    encoder = load_encoder(DEFAULT_MODEL)
    model = train(
        a.qmsum,
        a.evidence,
        encoder.encode,
        meetings=a.meetings,
        dev=dev,
        threshold=a.threshold,
        cache=a.cache,
        groups=groups,
        folds=a.folds,
        suites=[s.name for s in a.dev],
        model_name=model_of(encoder.name),
    )
    a.output.write_text(weights_text(model), encoding="utf-8")
    print(json.dumps(model["trained_on"]), file=sys.stderr)
    if "cross_validation" in model:
        print(json.dumps(model["cross_validation"]), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
