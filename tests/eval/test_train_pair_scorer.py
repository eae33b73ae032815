"""eval/train_pair_scorer.py: the groups it learns from, and updates that merge into the model
the answerer runs."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from embeddings.models import DEFAULT_MODEL, resolve_model
from embeddings.pair_scorer import (
    PAIR_WEIGHTS,
    load_pair_scorer,
    merged_model,
    read_pair_weights,
)
from eval.train_pair_scorer import (
    SEED,
    Group,
    TrainingStalled,
    fold_scorers,
    group_loss,
    main,
    question_groups,
    taught_groups,
    top1,
    train,
    train_past_plateau,
)
from eval.train_scorer import DevQuestion
from qa.answer.extractive import RERANK_MARGIN
from qa.answer.scorer import FEATURES, load_scorer

ANSWER_DENSE = FEATURES.index("answer_dense")


def _row(dense: float) -> list[float]:
    row = [0.0] * len(FEATURES)
    row[ANSWER_DENSE] = dense
    return row


def test_groups_hold_the_answers_first_then_the_scorers_best_other_sentences() -> None:
    assert load_scorer().weights[ANSWER_DENSE] > 0  # a higher cosine ranks higher
    texts = ["Putin: a", "Putin: b", "Putin: c", "Putin: d"]
    asked = DevQuestion(
        True,
        [_row(0.1), _row(0.9), _row(0.5), _row(0.7)],
        [1, 0, 0, 0],
        [True] * 4,
        question="Where?",
        pair_texts=texts,
    )
    # Answerable, but retrieval missed the answer: nothing to learn which sentence answers.
    no_gold = DevQuestion(True, [_row(0.3)], [0], [True], question="When?", pair_texts=["x"])
    # A near-miss: its scorer's best sentences, one more than an answerable group's negatives.
    near_miss = DevQuestion(
        False,
        [_row(0.2), _row(0.8), _row(0.4), _row(0.6)],
        [0, 0, 0, 0],
        [True] * 4,
        question="How much?",
        pair_texts=["u1", "u2", "u3", "u4"],
    )
    group, empty = question_groups("dev", [asked, no_gold, near_miss], negatives=2)
    assert group.texts == ("Putin: a", "Putin: b", "Putin: d")
    assert group.positives == 1 and group.labels == (1, 0, 0)
    assert group.scores[1] > group.scores[2] > group.scores[0]
    assert empty.texts == ("u2", "u4", "u3") and empty.positives == 0
    assert top1([group], None) == 0.0  # the scorer alone leads with "b"
    assert top1([group, empty], None) == 0.0  # an unanswerable group has no first answer

    class Reads:
        def logits(self, question: str, texts: list[str]) -> torch.Tensor:
            return torch.tensor([30.0 if t == "Putin: a" else 0.0 for t in texts])

    # Reordered where the answerer asks: only when the scorer's best two are close.
    close = group.scores[1] - group.scores[2] < RERANK_MARGIN
    assert top1([group], Reads()) == (1.0 if close else 0.0)
    sure = Group("dev", "Where?", group.texts, 1, (0.0, 5.0, 5.0 - 2 * RERANK_MARGIN), (1, 0, 0))
    unsure = Group("dev", "Where?", group.texts, 1, (0.0, 5.0, 5.0 - RERANK_MARGIN / 2), (1, 0, 0))
    assert top1([sure], Reads()) == 0.0 and top1([unsure], Reads()) == 1.0


def test_the_loss_weighs_the_answers_against_the_others_and_the_empty_slot() -> None:
    logits = torch.tensor([2.0, 0.5, -1.0])
    # An answerable group: the answers' share of the softmax over its sentences and a 0 logit.
    expected = -np.log(np.exp(2.0) / (np.exp(2.0) + np.exp(0.5) + np.exp(-1.0) + 1.0))
    assert float(group_loss(logits, 1)) == pytest.approx(expected, rel=1e-5)
    # An unanswerable group: the empty slot's share, so every logit is pushed below 0.
    expected = -np.log(1.0 / (np.exp(2.0) + np.exp(0.5) + np.exp(-1.0) + 1.0))
    assert float(group_loss(logits, 0)) == pytest.approx(expected, rel=1e-5)
    assert float(group_loss(torch.tensor([-20.0, -20.0]), 0)) < 1e-6


def test_a_taught_group_learns_the_teachers_mean_logits_whatever_its_labels() -> None:
    group = Group(
        "dev",
        "What did the minister say about the Karaganda coal mines?",
        ("The mines will be modernised by 2025.", "Thank you very much."),
        1,
        (1.0, 0.0),
        (1, 0),
    )
    # One teacher reads the first sentence as the answer, the other the empty slot.
    teachers = [
        lambda q, texts: np.asarray([3.0, -1.0]),
        lambda q, texts: np.asarray([-1.0, -3.0]),
    ]
    (taught,) = taught_groups([group], teachers)
    assert taught.taught == (1.0, -2.0) and taught.labels == group.labels
    at_mean = torch.tensor([1.0, -2.0], requires_grad=True)
    loss = group_loss(at_mean, taught.positives, taught.taught)
    loss.backward()
    # The mean is where the loss is least: no pull either way, and the labels' target is worse.
    assert at_mean.grad is not None and float(at_mean.grad.abs().max()) < 1e-6
    as_labelled = torch.tensor([8.0, -8.0])
    assert float(group_loss(as_labelled, 1, taught.taught)) > float(loss)
    assert float(group_loss(as_labelled, 1)) < float(group_loss(at_mean.detach(), 1))


def test_a_teacher_must_exist_and_cannot_teach_folds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["--dev", "eval/suites/dev.jsonl", "--library", str(tmp_path), "-o", "out.npz"]
    with pytest.raises(SystemExit):
        main([*common, "--teacher", str(tmp_path / "missing.npz")])
    assert "missing.npz: no such file" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([*common, "--folds", "2", "--teacher", str(PAIR_WEIGHTS)])
    assert "the teachers saw every suite" in capsys.readouterr().err


@pytest.mark.slow
def test_trained_updates_merge_into_the_same_logits(tmp_path: Path) -> None:
    _, model_path = resolve_model(DEFAULT_MODEL)
    groups = [
        Group(
            "seed",
            "Where is the Russian vaccine produced in Kazakhstan?",
            (
                "Nursultan Nazarbayev: Now in Karaganda, this enterprise produces a Russian "
                "vaccine of the same quality and in large quantities.",
                "Nursultan Nazarbayev: I sincerely wish you success and good health.",
            ),
            1,
            (0.0, 0.5),
            (1, 0),
        )
    ]
    model = train(groups, model_path, epochs=3, rate=1e-3)
    path = tmp_path / "pair.npz"
    np.savez_compressed(path, **model.updates())
    merged = merged_model(model_path, read_pair_weights(path))
    question, texts = groups[0].question, list(groups[0].texts)
    with torch.no_grad():
        trained = model.logits(question, texts).numpy()
        batch = {k: torch.from_numpy(v) for k, v in model.pieces.batch(question, texts).items()}
        shipped = merged(**batch).numpy()
    # The file holds the factors in float16: the same logits to a few thousandths.
    np.testing.assert_allclose(shipped, trained, atol=0.02)
    assert trained[0] > trained[1]  # three steps on one group learn it
    assert 0.0 < model.plateau_share < 1.0


def test_a_fold_model_is_loaded_once_for_all_its_suites(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Through the real loader (its cache), with PairScorer's constructor counting the loads.
    loaded: list[Path] = []

    class Loaded:
        def __init__(self, model_path: Path, weights: Path) -> None:
            loaded.append(weights)
            self.scores = weights

    monkeypatch.setattr("embeddings.pair_scorer.PairScorer", Loaded)
    load_pair_scorer.cache_clear()
    try:
        fold_of = {"dev": tmp_path / "fold-0.npz", "heldout3": tmp_path / "fold-0.npz"}
        fold_of["hand"] = tmp_path / "fold-1.npz"
        scorers = fold_scorers(fold_of)
    finally:
        load_pair_scorer.cache_clear()  # no fake is left for later tests
    assert sorted(loaded) == [tmp_path / "fold-0.npz", tmp_path / "fold-1.npz"]
    assert scorers == fold_of


def test_a_run_that_stays_on_the_plateau_is_trained_again_with_the_next_seed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Stop 67's first fold ended at a uniform softmax (ln 9 for 4,006 steps): its logits would
    # have taught the answerability check what a model that learned nothing says.
    seeds: list[int] = []

    def runs(groups: object, model_path: object, **kwargs: int) -> SimpleNamespace:
        seeds.append(kwargs["seed"])
        return SimpleNamespace(seed=kwargs["seed"], plateau_share=1.0 if len(seeds) < 2 else 0.4)

    monkeypatch.setattr("eval.train_pair_scorer.train", runs)
    assert train_past_plateau([], Path("model")).seed == SEED + 1
    assert f"seed {SEED}: the last tenth's loss is 1.00" in capsys.readouterr().err
    monkeypatch.setattr(
        "eval.train_pair_scorer.train", lambda *a, **k: SimpleNamespace(plateau_share=0.95)
    )
    with pytest.raises(TrainingStalled):
        train_past_plateau([], Path("model"))
    # Another training of the same groups starts from another seed (`--seed`).
    seeds.clear()
    monkeypatch.setattr("eval.train_pair_scorer.train", runs)
    assert train_past_plateau([], Path("model"), first_seed=1).seed == 2
    assert seeds == [1, 2]
