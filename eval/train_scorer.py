"""Train the sentence scorer (qa/answer/scorer_weights.json): logistic regression in numpy.

    PYTHONPATH=$PWD python -m eval.train_scorer \\
        --qmsum ../shared/data/qmsum/train --evidence ../shared/data/qmsum/evidence/train \\
        [--dev eval/suites/dev.jsonl --library LIB] -o qa/answer/scorer_weights.json

Examples are candidate sentences with the features the answerer computes
(qa.answer.extractive.candidate_features), labelled:
- QMSum *train* specific queries: the meeting is cut into turn windows of about a chunk, the
  windows ranked by keyword overlap with the query stand in for retrieved passages; a sentence
  holding one of ETRI's evidence sentences for the query is positive, the others negative;
- the same query asked against the next meeting (the wrong transcript): every sentence negative;
- with --dev and --library: each suite question retrieved and answered as `tqa ask` does; a
  sentence holding a gold answer (or inside a gold quote) is positive; an unanswerable question's
  sentences are all negative. The abstention threshold is chosen on these questions (best
  abstention F1 plus share of answerable questions answered), else --threshold is kept.

Deterministic: meetings in name order, no sampling, Newton's method from zeros.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from eval.metrics import normalize, normalize_answer
from eval.suite import SuiteQuestion, load_suite
from qa.answer.answer_types import answer_type, sentence_types
from qa.answer.assistant import TYPES_REQUIRED
from qa.answer.extractive import (
    Candidate,
    candidate_features,
    candidate_sentences,
    fact_terms,
    occasion_prior,
    prune_candidates,
)
from qa.answer.scorer import FEATURES
from qa.models import Passage, Utterance
from qa.sentences import sentence_spans
from qa.text import plain_words, stem, topic_terms

Embed = Callable[[list[str]], np.ndarray]

WINDOW_WORDS = 150  # about a 200-token chunk of QMSum's spaced-out tokens
WINDOWS = 8  # the retrieved passages of a question (top_k)
L2 = 1.0
DEV_WEIGHT = 3.0  # a dev example counts this many QMSum ones: the kinds of question we answer


@dataclass
class Examples:
    """Feature rows, labels, weights, and per question the rows it owns (for the threshold)."""

    rows: list[list[float]]
    labels: list[int]
    weights: list[float]

    def add(self, rows: Sequence[Sequence[float]], labels: Sequence[int], weight: float) -> None:
        self.rows.extend(list(r) for r in rows)
        self.labels.extend(labels)
        self.weights.extend([weight] * len(labels))


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
                examples.add(rows, [int(_holds(c.text, quotes)) for c in pool], 1.0)
            wrong = turns_of[other]
            pool = _pool(text, ranked_passages(other.stem, wrong, text), wrong)
            if pool:
                rows = candidate_features(text, pool, embed, previous=_previous(wrong))
                examples.add(rows, [0] * len(pool), 1.0)
    return examples


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


def _is_gold(text: str, question: SuiteQuestion) -> bool:
    padded = f" {normalize_answer(text)} "
    if question.answers and any(
        f" {g} " in padded for g in (normalize_answer(a) for a in question.answers) if g
    ):
        return True
    return _holds(text, [e.quote for e in question.evidence if e.quote])


def dev_questions(suite: Path, library_dir: Path) -> list[DevQuestion]:
    """Each suite question retrieved as `tqa ask` retrieves it, its candidates labelled."""
    from eval.runner import TurnCache, history_turns
    from qa.answer.extractive import candidate_sentences as sentences_of
    from qa.models import Filters
    from qa.runtime import build_assistant, open_library
    from qa.settings import load_settings

    settings = load_settings(library=str(library_dir), llm_base_url="")
    library = open_library(settings)
    assistant = build_assistant(settings, library)
    # The same answerer without a probability threshold: what its rules alone refuse.
    rules_only = build_assistant(settings.with_overrides(abstain_threshold=0.0), library)
    cache: TurnCache = {}
    occasion_words = assistant.occasion_words()
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
            facts=fact_terms(standalone.question, terms, occasion_words),
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
            )
        )
    return out


def _type_ok(wanted: str, text: str, question: str) -> bool:
    return wanted not in TYPES_REQUIRED or wanted in sentence_types(text, question)


def choose_threshold(questions: Sequence[DevQuestion], weights: np.ndarray, bias: float) -> float:
    """The probability threshold with the best sum of abstention F1 and the share of answerable
    questions answered (the two targets; F1 alone refuses half the answerable ones), as the
    answerer decides: it abstains when its rules refuse the question (`ruled_out`), when its
    best sentence showing a required answer type (a number, a date) is below the threshold, or
    when there is none. Ties go to the lower one."""
    tops: list[tuple[float, bool]] = []
    for q in questions:
        allowed = [i for i, ok in enumerate(q.types_ok) if ok]
        if not allowed or q.ruled_out:
            tops.append((-1.0, q.answerable))
            continue
        z = np.asarray([q.rows[i] for i in allowed]) @ weights + bias
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
        tops.append((float(p.max()), q.answerable))
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


def _cached_qmsum(
    qmsum_dir: Path, evidence_dir: Path, embed: Embed, meetings: int | None, cache: Path | None
) -> Examples:
    key = json.dumps([str(qmsum_dir.resolve()), meetings, list(FEATURES)])
    if cache is not None and cache.exists():
        data = np.load(cache, allow_pickle=False)
        if str(data["key"]) == key:
            rows, labels, weights = data["rows"], data["labels"], data["weights"]
            return Examples(rows.tolist(), labels.tolist(), weights.tolist())
    examples = qmsum_examples(qmsum_dir, evidence_dir, embed, meetings=meetings)
    if cache is not None:
        np.savez(
            cache,
            key=np.asarray(key),
            rows=np.asarray(examples.rows),
            labels=np.asarray(examples.labels),
            weights=np.asarray(examples.weights),
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
) -> dict[str, Any]:
    """The weights file's object, trained on QMSum (and dev questions when given).

    `cache` (an .npz file) keeps the QMSum examples between runs: they depend only on the
    meetings, the features and the encoder, and take most of the time.
    """
    examples = _cached_qmsum(qmsum_dir, evidence_dir, embed, meetings, cache)
    qmsum_count = len(examples.labels)
    for q in dev:
        examples.add(q.rows, q.labels, DEV_WEIGHT)
    x = np.asarray(examples.rows, dtype=np.float64)
    y = np.asarray(examples.labels, dtype=np.float64)
    w = np.asarray(examples.weights, dtype=np.float64)
    weights, bias = fit_logistic(x, y, w)
    if dev:
        threshold = choose_threshold(dev, weights, bias)
    return {
        "features": list(FEATURES),
        "weights": [round(float(v), 6) for v in weights],
        "bias": round(bias, 6),
        "threshold": threshold,
        "trained_on": {
            "qmsum_meetings": meetings if meetings is not None else "all with ETRI evidence",
            "qmsum_examples": qmsum_count,
            "qmsum_positives": int(sum(examples.labels[:qmsum_count])),
            "dev_questions": len(dev),
            "dev_examples": len(examples.labels) - qmsum_count,
            "dev_positives": int(sum(examples.labels[qmsum_count:])),
            "l2": L2,
            "dev_weight": DEV_WEIGHT,
        },
    }


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m eval.train_scorer", description=__doc__.split("\n")[0]
    )
    p.add_argument("--qmsum", type=Path, required=True, help="QMSum train meetings (*.json)")
    p.add_argument("--evidence", type=Path, required=True, help="ETRI evidence for them")
    p.add_argument("--meetings", type=int, help="only the first N meetings (a quick run)")
    p.add_argument("--dev", type=Path, help="a suite to learn from and choose the threshold on")
    p.add_argument("--library", type=Path, help="the library the --dev suite is asked of")
    p.add_argument("--threshold", type=float, default=0.5, help="kept when there is no --dev")
    p.add_argument("--cache", type=Path, help="an .npz file keeping the QMSum examples")
    p.add_argument("-o", "--output", type=Path, required=True)
    a = p.parse_args(argv)
    if (a.dev is None) != (a.library is None):
        p.error("--dev and --library go together")
    from embeddings.loading import load_encoder
    from embeddings.models import DEFAULT_MODEL
    from embeddings.offline import use_offline_hub

    use_offline_hub()
    dev = dev_questions(a.dev, a.library) if a.dev else []
    encoder = load_encoder(DEFAULT_MODEL)
    model = train(
        a.qmsum,
        a.evidence,
        encoder.encode,
        meetings=a.meetings,
        dev=dev,
        threshold=a.threshold,
        cache=a.cache,
    )
    a.output.write_text(json.dumps(model, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(model["trained_on"]), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
