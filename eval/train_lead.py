"""Train the lead choice (qa/answer/lead_weights.json): which of the scorer's best sentences
leads the answer (qa.answer.lead).

    PYTHONPATH=$PWD HF_HUB_OFFLINE=1 python -m eval.train_lead \\
        --suite eval/suites/train1.jsonl --library EVALLIB [--suite S --library L]... \\
        [--pair-folds PAIRFOLDS] -o qa/answer/lead_weights.json

Each suite question is asked as `tqa eval` asks it, with a choice that keeps the scorer's lead
and records the sentences it was shown: their LEAD_FEATURES and which of them may lead. A
sentence holding a gold answer (eval.metrics.answer_recall: what "answer first" reads) is an
answer; a question with an answer among its sentences is a group, one without teaches nothing
about choosing. The loss is the softmax over a group's sentences against a target shared among
its answers (a conditional logit), an answer that holds another (two sentences quoted together
around the one that answers) counting PADDED_SHARE of one that does not, plus L2 on the
standardised features; Newton's method from zero, so one machine always writes the same
file.

Leave-one-suite-out (a suite is a set of transcripts nobody had looked at when it was written),
the shares of groups led by an answer and by a shortest answer are printed and written into
the file for the scorer's lead kept, the pair scorer's surest sentence, the rule the choice
replaced (the pair scorer's surest when surer than of the lead by more than three logits) and
the learned choice.

The pair scorer's logits are features, and the shipped pair scorer is surer of the suites it
learned from than of a user's question: --pair-folds asks each suite with the fold model that
never saw it (eval.train_pair_scorer --fold-weights), as eval.train_answerability does.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from eval.metrics import answer_recall
from eval.runner import asked_in_turn
from eval.suite import add_suite_arguments, suites_and_libraries
from eval.train_pair_scorer import add_pair_folds_argument, fold_scorers, pair_folds_of
from qa.answer.extractive import Candidate, PairScores
from qa.answer.lead import LEAD_FEATURES, LeadModel

# A quote that holds the answer and pads it with a neighbour counts half an answer in the
# target: leave one training suite out, 0 / 0.25 / 0.5 / 0.75 / 1 led with an answer in 0.736
# / 0.755 / 0.768 / 0.782 / 0.793 of the groups and with the shortest in 0.732 / 0.705 / 0.644
# / 0.550 / 0.457, where the rule the choice replaced gives 0.757 and 0.572: 0.5 is the largest
# share better than it on both (README, Training the lead choice).
PADDED_SHARE = 0.5
# In an offline trial on the training suites (every answer counted alike, gradient descent),
# 0.1 led with an answer in 325 of 546 groups out of fold against 331 for 0.01.
L2 = 0.01
NEWTON_STEPS = 50
# The rule the learned choice replaced: the pair scorer's surest sentence led when its logit
# was above the lead's by more than this (README, Figures).
REPLACED_MARGIN = 3.0
_PAIR = LEAD_FEATURES.index("pair")


@dataclass(frozen=True)
class RecordingLead(LeadModel):
    """A choice that keeps the scorer's lead and records each set of sentences it was shown."""

    shown: list[tuple[list[str], list[list[float]], list[int]]] = field(default_factory=list)

    def lead(
        self, candidates: Sequence[Candidate], rows: Sequence[Sequence[float]], allowed: list[int]
    ) -> int:
        self.shown.append(([c.text for c in candidates], [list(r) for r in rows], list(allowed)))
        return 0


@dataclass(frozen=True)
class Group:
    """One question's best sentences: feature rows, which may lead, which hold a gold answer
    and which of those hold no other (the shortest quotes of it)."""

    suite: str
    rows: tuple[tuple[float, ...], ...]
    allowed: tuple[int, ...]
    answers: tuple[int, ...]
    shortest: tuple[int, ...]


def asked_groups(
    suite: Path, library_dir: Path, pair_scores: PairScores | None = None
) -> list[Group]:
    """The groups of the suite's questions asked of the library, as `tqa eval` asks them (with
    the given pair scorer, else the shipped one)."""
    from qa.answer.assistant import Assistant
    from qa.runtime import open_library
    from qa.settings import load_settings

    settings = load_settings(library=str(library_dir), llm_base_url="")
    recorder = RecordingLead(weights=(0.0,) * len(LEAD_FEATURES))
    assistant = Assistant(
        open_library(settings), settings, lead_model=recorder, pair_scores=pair_scores
    )
    groups = []
    for q, _ in asked_in_turn(assistant, suite, recorder.shown.clear):
        for texts, rows, allowed in recorder.shown:
            answers = [n for n, text in enumerate(texts) if answer_recall(text, q.answers)]
            if answers:
                shortest = shortest_of(texts, answers)
                rows_t = tuple(map(tuple, rows))
                groups.append(Group(suite.stem, rows_t, tuple(allowed), tuple(answers), shortest))
    return groups


def shortest_of(texts: Sequence[str], answers: Sequence[int]) -> tuple[int, ...]:
    """The answers that hold no other: two sentences quoted together around the one that
    answers pad it with the neighbour ("The first shop … reached its design capacity in 2001.
    The second shop was launched in 2007.")."""
    return tuple(
        n
        for n in answers
        if not any(texts[m] != texts[n] and texts[m] in texts[n] for m in answers)
    )


def fit(groups: Sequence[Group], l2: float = L2) -> tuple[float, ...]:
    """Conditional-logit weights over LEAD_FEATURES (on the raw features: the standardising is
    folded in, and its offset, the same for every sentence, dropped). A group's target shares
    its weight among its answers, a padded one (not among the shortest) counting PADDED_SHARE
    of a shortest one."""
    stacked = np.array([row for g in groups for row in g.rows])
    mean, scale = stacked.mean(axis=0), stacked.std(axis=0) + 1e-6
    data = []
    for g in groups:
        target = np.zeros(len(g.rows))
        target[list(g.answers)] = PADDED_SHARE
        target[list(g.shortest)] = 1.0
        data.append(((np.array(g.rows) - mean) / scale, target / target.sum()))
    w = np.zeros(stacked.shape[1])
    for _ in range(NEWTON_STEPS):
        gradient = l2 * w
        hessian = l2 * np.eye(len(w))
        for x, target in data:
            s = x @ w
            p = np.exp(s - s.max())
            p /= p.sum()
            gradient += x.T @ (p - target) / len(data)
            expected = x.T @ p  # the features' mean under the model's probabilities
            hessian += (x.T * p) @ x / len(data) - np.outer(expected, expected) / len(data)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if float(np.max(np.abs(step))) < 1e-8:
            break
    return tuple(float(v) for v in w / scale)


def _pair_surest(g: Group, margin: float) -> int:
    best = max(g.allowed, key=lambda n: g.rows[n][_PAIR])
    return best if g.rows[best][_PAIR] > g.rows[0][_PAIR] + margin else 0


def shares(groups: Sequence[Group], chosen: Sequence[int]) -> dict[str, float]:
    """Of the groups, the share led by an answer and the share led by a shortest one."""
    pairs = list(zip(groups, chosen, strict=True))
    n = max(1, len(pairs))
    return {
        "answer": round(sum(c in g.answers for g, c in pairs) / n, 3),
        "shortest": round(sum(c in g.shortest for g, c in pairs) / n, 3),
    }


def cross_validation(groups: Sequence[Group]) -> dict[str, Any]:
    """Leave-one-suite-out, each choice's shares (`shares`)."""
    suites = list(dict.fromkeys(g.suite for g in groups))
    ordered: list[Group] = []
    learned: list[int] = []
    for suite in suites:
        model = LeadModel(fit([g for g in groups if g.suite != suite]))
        held = [g for g in groups if g.suite == suite]
        ordered += held
        learned += [model.choice(g.rows, g.allowed) for g in held]
    return {
        "groups": len(groups),
        "scorer_lead": shares(ordered, [0] * len(ordered)),
        "pair_surest": shares(ordered, [_pair_surest(g, -math.inf) for g in ordered]),
        "replaced_rule": shares(ordered, [_pair_surest(g, REPLACED_MARGIN) for g in ordered]),
        "learned": shares(ordered, learned),
    }


def train(groups: Sequence[Group], suites: Sequence[str]) -> dict[str, Any]:
    """The weights file's object: features, weights, the margin, what it learned from."""
    return {
        "features": list(LEAD_FEATURES),
        "weights": [round(w, 6) for w in fit(groups)],
        "bias": 0.0,
        "threshold": 0.0,
        "trained_on": {
            "suites": list(suites),
            "groups": len(groups),
            "l2": L2,
            "newton_steps": NEWTON_STEPS,
            "padded_share": PADDED_SHARE,
        },
        "cross_validation": cross_validation(groups),
    }


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m eval.train_lead", description=__doc__.split("\n")[0]
    )
    add_suite_arguments(p)
    add_pair_folds_argument(p)
    p.add_argument("-o", "--output", type=Path, required=True)
    a = p.parse_args(argv)
    pairs = suites_and_libraries(p, a)
    fold_of = pair_folds_of(p, a)
    from embeddings.offline import use_offline_hub

    use_offline_hub()
    scorers = fold_scorers(fold_of)
    groups: list[Group] = []
    for suite, library in pairs:
        groups += asked_groups(suite, library, scorers.get(suite.stem))
        print(f"{suite.name}: {len(groups)} groups so far", file=sys.stderr)
    model = train(groups, [s.stem for s in a.suite])
    a.output.write_text(json.dumps(model, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(model["cross_validation"]), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
