"""Train the answerability check (qa/answer/answerability_weights.json): logistic regression.

    PYTHONPATH=$PWD python -m eval.train_answerability \\
        --suite eval/suites/dev.jsonl --library DEVLIB [--suite S --library L]... \\
        -o qa/answer/answerability_weights.json

Each suite question is asked as `tqa eval` asks it, with a check that never refuses and
records the decision the answerer reaches when every rule has let it answer
(qa.answer.answerability.Decision). Those decisions are the examples: an unanswerable
question's is positive, an answerable one's negative. Questions the rules already refuse, and
those asked in two parts (two decisions), are not examples; they still count in the figures.

The threshold is chosen on out-of-fold probabilities, each suite's questions scored by a model
fitted on the other suites (a suite is a set of transcripts nobody had looked at when it was
written): the one with the best sum of abstention F1 and twice the answer recall, the two
targets the check trades between (F1 alone would refuse many right answers). Those figures,
before and after, are written into the file. Deterministic: suites in the order given,
Newton's method.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.pair_scorer import PAIR_WEIGHTS
from eval.metrics import abstention_scores, answer_recall
from eval.runner import asked_in_turn
from eval.suite import add_suite_arguments, suites_and_libraries
from eval.train_pair_scorer import add_pair_folds_argument, fold_scorers, pair_folds_of
from eval.train_scorer import fit_logistic
from qa.answer.answerability import ANSWERABILITY_FEATURES, AnswerabilityModel
from qa.answer.extractive import PairScores

L2 = 1.0  # by fold over the suites, 0.1 and 10 separated the questions no better
THRESHOLDS = np.round(np.arange(0.05, 0.96, 0.01), 2)
# A right answer refused is lost, while a near-miss answered still shows verified quotes that
# a reader sees do not say it: answer recall weighs twice abstention F1 in the threshold's
# choice. (By fold over the twelve looked-at suites, weighed alike they chose 0.38: abstention
# F1 0.679, answer recall 0.710; weighed twice, 0.39: 0.682 and 0.711. From 0.36 to 0.42,
# F1 falls 0.681 -> 0.658 as answer recall rises 0.707 -> 0.716.)
ANSWER_WEIGHT = 2.0


@dataclass(frozen=True)
class RecordingCheck(AnswerabilityModel):
    """A check that refuses nothing and keeps the feature rows it was shown."""

    rows: list[list[float]] = field(default_factory=list)

    def refuses(self, features: Sequence[float]) -> bool:
        self.rows.append(list(features))
        return False


def recording_check() -> RecordingCheck:
    return RecordingCheck(weights=(), bias=0.0, threshold=1.0)


@dataclass(frozen=True)
class Asked:
    """One suite question as the answerer met it without the check."""

    suite: str
    answerable: bool
    refused: bool  # by the answerer's rules
    recall: float  # answer recall of its answer (0 when refused or without gold answers)
    rows: tuple[tuple[float, ...], ...]  # one decision, or two for a question asked in parts

    @property
    def example(self) -> bool:
        return not self.refused and len(self.rows) == 1


def asked_questions(
    suite: Path, library_dir: Path, pair_scores: PairScores | None = None
) -> list[Asked]:
    """Every question of the suite asked of the library, as `tqa eval` asks it (with the given
    pair scorer, else the shipped one)."""
    from qa.answer.assistant import Assistant
    from qa.runtime import open_library
    from qa.settings import load_settings

    settings = load_settings(library=str(library_dir), llm_base_url="")
    check = recording_check()
    assistant = Assistant(
        open_library(settings), settings, answerability=check, pair_scores=pair_scores
    )
    out = []
    for q, answer in asked_in_turn(assistant, suite, check.rows.clear):
        recall = 0.0 if answer.abstained else answer_recall(answer.text, q.answers) or 0.0
        rows = tuple(tuple(r) for r in check.rows)
        out.append(Asked(suite.stem, q.answerable, answer.abstained, recall, rows))
    return out


def cache_key(
    suites: Sequence[Path], libraries: Sequence[Path], pair_weights: Sequence[Path] = ()
) -> str:
    """What the kept decisions depend on: each suite's questions, each library's manifest and
    index generation (an ingest publishes a new one), and the answerer that reached them (its
    code, the scorer's weights and the pair scorer's). A cache written under another key is
    asked again."""
    digest = hashlib.sha256()
    answerer = Path(__file__).resolve().parents[1] / "qa" / "answer"
    files = [*suites, *sorted(answerer.glob("*.py")), answerer / "scorer_weights.json"]
    files += pair_weights or [PAIR_WEIGHTS]
    for library in libraries:
        files.append(library / "manifest.json")
        digest.update(" ".join(sorted(p.name for p in library.glob("index-*"))).encode())
    for file in files:
        digest.update(file.name.encode())
        digest.update(file.read_bytes() if file.is_file() else b"-")
    return digest.hexdigest()


def read_cache(path: Path, key: str) -> list[Asked] | None:
    """The decisions kept by an earlier run under the same key; None when anything they
    depend on has changed (or the file predates keys)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("key") != key:
        return None
    return [
        Asked(q["suite"], q["answerable"], q["refused"], q["recall"], tuple(map(tuple, q["rows"])))
        for q in data["asked"]
    ]


def write_cache(path: Path, key: str, asked: Sequence[Asked]) -> None:
    path.write_text(json.dumps({"key": key, "asked": [asdict(q) for q in asked]}), "utf-8")


def figures(asked: Sequence[Asked], refused: Sequence[bool]) -> dict[str, float]:
    """Abstention precision, recall and F1, and answer recall over the answerable questions,
    when the check refuses the questions marked in `refused` (one flag per question)."""
    abstained = [a.refused or r for a, r in zip(asked, refused, strict=True)]
    scores = abstention_scores(abstained, [a.answerable for a in asked])
    answerable = [
        0.0 if gone else a.recall for a, gone in zip(asked, abstained, strict=True) if a.answerable
    ]
    return {
        "abstention_precision": scores["precision"] or 0.0,
        "abstention_recall": scores["recall"] or 0.0,
        "abstention_f1": scores["f1"] or 0.0,
        "answer_recall": sum(answerable) / max(1, len(answerable)),
    }


def _design(asked: Sequence[Asked]) -> tuple[np.ndarray, np.ndarray]:
    examples = [a for a in asked if a.example]
    x = np.asarray([a.rows[0] for a in examples], dtype=np.float64).reshape(
        -1, len(ANSWERABILITY_FEATURES)
    )
    y = np.asarray([float(not a.answerable) for a in examples])
    return x, y


def out_of_fold(asked: Sequence[Asked], l2: float = L2) -> list[float]:
    """Per question, P(unanswerable) from a model fitted on the other suites' examples (-1 for
    a question that is no example)."""
    out = [-1.0] * len(asked)
    for suite in dict.fromkeys(a.suite for a in asked):
        x, y = _design([a for a in asked if a.suite != suite])
        if not len(y) or y.min() == y.max():
            continue
        weights, bias = fit_logistic(x, y, np.ones(len(y)), l2)
        # Scored as the answerer scores a decision.
        fold = AnswerabilityModel(tuple(map(float, weights)), bias, threshold=1.0)
        for i, a in enumerate(asked):
            if a.suite == suite and a.example:
                out[i] = fold.unanswerable(a.rows[0])
    return out


def choose_threshold(asked: Sequence[Asked], probabilities: Sequence[float]) -> float:
    """The threshold with the best abstention F1 plus ANSWER_WEIGHT times answer recall; ties
    go to the higher one (the check refuses less)."""
    best, chosen = -1.0, 1.0
    for t in THRESHOLDS[::-1]:
        f = figures(asked, [p >= t for p in probabilities])
        objective = f["abstention_f1"] + ANSWER_WEIGHT * f["answer_recall"]
        if objective > best + 1e-12:
            best, chosen = objective, float(t)
    return chosen


def train(asked: Sequence[Asked], l2: float = L2) -> dict[str, Any]:
    """The weights file's object: fitted on every example, the threshold and the figures out
    of fold."""
    x, y = _design(asked)
    if not len(y) or y.min() == y.max():
        raise ValueError("need decisions on both answerable and unanswerable questions")
    weights, bias = fit_logistic(x, y, np.ones(len(y)), l2)
    held_out = out_of_fold(asked, l2)
    threshold = choose_threshold(asked, held_out)

    def rounded(f: dict[str, float]) -> dict[str, float]:
        return {k: round(v, 4) for k, v in f.items()}

    return {
        "features": list(ANSWERABILITY_FEATURES),
        "weights": [round(float(v), 6) for v in weights],
        "bias": round(bias, 6),
        "threshold": threshold,
        "trained_on": {
            "suites": list(dict.fromkeys(a.suite for a in asked)),
            "questions": len(asked),
            "examples": len(y),
            "unanswerable_examples": int(y.sum()),
            "l2": l2,
        },
        "cross_validation": {
            "folds": "one per suite",
            "without_check": rounded(figures(asked, [False] * len(asked))),
            "with_check": rounded(figures(asked, [p >= threshold for p in held_out])),
        },
    }


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m eval.train_answerability", description=__doc__.split("\n")[0]
    )
    add_suite_arguments(p)
    p.add_argument(
        "--cache",
        type=Path,
        help="a JSON file keeping the asked questions' decisions between runs (the slow part)",
    )
    add_pair_folds_argument(p)
    p.add_argument("-o", "--output", type=Path, required=True)
    a = p.parse_args(argv)
    pairs = suites_and_libraries(p, a)
    fold_of = pair_folds_of(p, a)
    key = cache_key(a.suite, a.library, sorted(set(fold_of.values())))
    asked = read_cache(a.cache, key) if a.cache and a.cache.exists() else None
    if asked is None:
        from embeddings.offline import use_offline_hub

        use_offline_hub()
        scorers = fold_scorers(fold_of)
        asked = []
        for suite, library in pairs:
            asked += asked_questions(suite, library, scorers.get(suite.stem))
            print(f"{suite.name}: {sum(q.example for q in asked)} examples so far", file=sys.stderr)
        if a.cache:
            write_cache(a.cache, key, asked)
    model = train(asked)
    a.output.write_text(json.dumps(model, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(model["cross_validation"]), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
