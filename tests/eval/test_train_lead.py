"""eval/train_lead.py: which sentences count as the answer, and a fit that learns to lead with
the shortest of them."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.train_lead import Group, cross_validation, fit, main, shortest_of
from eval.train_pair_scorer import write_folds
from qa.answer.lead import LeadModel, lead_features
from tests.answer.test_rerank import KARAGANDA, THANKS, VACCINE, _candidates

# The seed transcript: the sentence before Karaganda's, quoted with it as a pair.
EXHIBITION = (
    "Remember, we went to an exhibition in St Petersburg, and then we agreed on a joint enterprise."
)
PAIR = f"{EXHIBITION} {KARAGANDA}"


def test_the_shortest_answers_are_those_holding_no_other() -> None:
    texts = [THANKS, PAIR, KARAGANDA, EXHIBITION]
    assert shortest_of(texts, [1, 2]) == (2,)
    # Alone in holding the answer, the pair is the shortest there is.
    assert shortest_of(texts, [1]) == (1,)
    assert shortest_of([KARAGANDA, KARAGANDA], [0, 1]) == (0, 1)


def _group(suite: str, order: list[str], logits: list[float]) -> Group:
    scores = [0.6, 0.4, 0.3, 0.2][: len(order)]
    ranked = _candidates(list(zip(order, scores, strict=True)))
    rows = lead_features(VACCINE, ranked, logits, lambda c: True)
    answers = [n for n, text in enumerate(order) if KARAGANDA in text]
    return Group(
        suite,
        tuple(map(tuple, rows)),
        tuple(range(len(order))),
        tuple(answers),
        shortest_of(order, answers),
    )


def test_the_fit_leads_with_the_answer_and_not_its_padded_pair() -> None:
    # The pair scorer is surer of the topic than of the answer; the padded pair holds it, read
    # surer or less sure than the answer alone.
    orders = [
        ([THANKS, PAIR, KARAGANDA], [3.0, 2.5, 2.0]),
        ([PAIR, THANKS, KARAGANDA], [2.0, 3.0, 2.5]),
        ([THANKS, KARAGANDA, PAIR], [3.0, 2.2, 2.4]),
        ([KARAGANDA, THANKS, PAIR], [2.5, 3.0, 2.0]),
    ]
    groups = [_group(suite, order, logits) for suite in "abc" for order, logits in orders]
    model = LeadModel(fit(groups))
    for g in groups[:4]:
        assert model.choice(g.rows, g.allowed) in g.shortest
    # Out of fold (each suite left out in turn) it learns the same, where the pair scorer's
    # surest never leads with the answer and the scorer's lead does in one order of four.
    figures = cross_validation(groups)
    assert figures["learned"] == {"answer": 1.0, "shortest": 1.0}
    assert figures["pair_surest"] == {"answer": 0.0, "shortest": 0.0}
    assert figures["scorer_lead"] == {"answer": 0.5, "shortest": 0.25}


def test_each_suite_is_asked_with_the_pair_scorer_of_its_fold(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The lead choice reads pair logits; a suite the shipped pair scorer learned from must be
    # asked with the fold model that never saw it, so a folder lacking the suite is an error.
    write_folds(tmp_path, {"train1": "shipped.npz"})
    args = ["--suite", "eval/suites/train2.jsonl", "--library", str(tmp_path)]
    with pytest.raises(SystemExit):
        main([*args, "--pair-folds", str(tmp_path), "-o", str(tmp_path / "lead.json")])
    assert "no pair scorer for train2" in capsys.readouterr().err
