"""The answerability check: its features, the shipped weights, and the training script."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import pytest

from embeddings.pair_scorer import load_pair_scorer, pair_text
from eval.suite import SuiteQuestion, write_suite
from eval.train_answerability import (
    Asked,
    asked_questions,
    cache_key,
    choose_threshold,
    figures,
    out_of_fold,
    read_cache,
    recording_check,
    train,
    write_cache,
)
from eval.train_pair_scorer import read_folds, write_folds
from qa.answer.answerability import (
    ANSWERABILITY_FEATURES,
    ANSWERABILITY_PATH,
    AnswerabilityModel,
    Decision,
    answerability_features,
    answerability_from_json,
    load_answerability,
)
from qa.errors import AnswererError
from qa.store.library import Library

# heldout6: "How many beds will the new military medical centre in Voronezh have, according to
# Shoigu's May 2020 report?" The report gives beds of a centre in Kubinka, none for Voronezh.
TERMS = ["beds", "military", "medical", "centre", "voronezh", "shoigu", "report"]
FREQUENCY = {
    "beds": 30,
    "military": 400,
    "medical": 300,
    "centre": 900,
    "voronezh": 12,
    "shoigu": 80,
    "report": 700,
}


def _frequency(term: str) -> int:
    return FREQUENCY.get(term, 0)


KUBINKA = (
    "At present, a temporary centre for treating patients with the novel coronavirus infection "
    "with 1,420 beds has been established in cooperation with the Moscow Region Government in "
    "Kubinka in the Moscow Region."
)
VORONEZH = "The military medical centre in Voronezh will have 200 beds."


def _decision(lead: str, near: str | None = None, **changes: object) -> Decision:
    decision = Decision(
        scores=[0.6, 0.2],
        lead=lead,
        near=near or lead,
        terms=TERMS,
        occasion={"shoigu", "report"},
        document_frequency=_frequency,
        chunks=12_000,
        facts=["beds"],
        wanted="number",
        leaning=False,
        names=True,
    )
    return replace(decision, **changes)


def _features(lead: str, near: str | None = None, **changes: object) -> dict[str, float]:
    decision = _decision(lead, near, **changes)
    return dict(zip(ANSWERABILITY_FEATURES, answerability_features(decision), strict=True))


def test_a_lead_without_the_question_s_rare_words_covers_less_of_it() -> None:
    near_miss, answer = _features(KUBINKA), _features(VORONEZH)
    assert near_miss["coverage"] < answer["coverage"]
    # "Voronezh" is in 12 of 12,000 chunks: the rarest word, and the one the near-miss lacks.
    assert near_miss["missing_rarest"] == pytest.approx(math.log(12_001 / 13) / 10)
    assert answer["missing_rarest"] < near_miss["missing_rarest"]
    assert near_miss["fact_share"] == answer["fact_share"] == 1.0  # both say "beds"
    assert near_miss["best"] == 0.6 and near_miss["margin"] == pytest.approx(0.4)
    assert near_miss["wants_number"] == 1.0 and near_miss["wants_date"] == 0.0


def test_the_lead_s_utterance_counts_for_the_near_coverage() -> None:
    got = _features("It will have 200 beds.", near=f"In Voronezh, the centre. {VORONEZH}")
    assert got["coverage_near"] > got["coverage"]


def test_an_irregular_verb_s_past_forms_meet_in_its_base() -> None:
    # "How much did Putin say trade with Kazakhstan had grown…?" (kremlin.ru 62966)
    lead = "Our trade is on the upsurge. I think last year it grew by 19.7 or 19.6 percent."
    got = _features(lead, terms=["trade", "grown"], facts=["trade", "grown"])
    assert got["coverage"] == 1.0 and got["fact_share"] == 1.0
    assert got["missing_rarest"] == 0.0
    rose = _features("Prices rose by 4 percent.", terms=["prices", "risen"], facts=["risen"])
    assert rose["coverage"] == 1.0 and rose["fact_share"] == 1.0


def test_without_fact_words_or_a_runner_up_the_features_stay_defined() -> None:
    got = _features(VORONEZH, facts=[], scores=[0.7], terms=[])
    assert got["fact_share"] == 1.0
    assert got["margin"] == 0.7
    assert got["coverage"] == got["coverage_near"] == 1.0 and got["missing_rarest"] == 0.0
    assert got["terms"] == 0.0


N = len(ANSWERABILITY_FEATURES)


def test_the_model_refuses_from_its_threshold() -> None:
    model = AnswerabilityModel(weights=(2.0,) + (0.0,) * (N - 1), bias=-1.0, threshold=0.5)
    low, high = [0.0] * N, [1.0] + [0.0] * (N - 1)
    assert model.unanswerable(low) == pytest.approx(1 / (1 + math.e))
    assert not model.refuses(low) and model.refuses(high)


def test_the_shipped_weights_load_and_refuse_only_some_decisions() -> None:
    model = load_answerability()
    assert 0.0 < model.threshold < 1.0
    data = json.loads(ANSWERABILITY_PATH.read_text(encoding="utf-8"))
    assert data["features"] == list(ANSWERABILITY_FEATURES)
    assert (
        data["cross_validation"]["with_check"]["abstention_f1"]
        > (data["cross_validation"]["without_check"]["abstention_f1"])
    )
    # The pair scorer's logit above its empty slot's (0) is an answer more likely than none.
    unsure = {"scores": [0.5, 0.3], "occasion": set()}
    doubted = answerability_features(_decision(VORONEZH, **unsure, pair=-4.0))
    believed = answerability_features(_decision(VORONEZH, **unsure, pair=4.0))
    assert model.unanswerable(doubted) > model.threshold > model.unanswerable(believed)


@pytest.mark.slow
def test_the_shipped_check_doubts_the_near_miss_more_than_the_answer() -> None:
    # Each lead with its own pair logit, as the answerer reads it: the Kubinka centre's beds
    # are the topic, not the Voronezh centre's.
    question = (
        "How many beds will the new military medical centre in Voronezh have, according to "
        "Shoigu's May 2020 report?"
    )
    logits = load_pair_scorer().scores(
        question, [pair_text("Sergei Shoigu", KUBINKA), pair_text("Sergei Shoigu", VORONEZH)]
    )
    unsure = {"scores": [0.5, 0.3], "occasion": set()}
    near_miss = answerability_features(_decision(KUBINKA, **unsure, pair=float(logits[0])))
    answer = answerability_features(_decision(VORONEZH, **unsure, pair=float(logits[1])))
    model = load_answerability()
    assert model.unanswerable(near_miss) > model.unanswerable(answer)


def test_the_pair_logit_is_read_as_given_and_even_odds_without_a_pair_scorer() -> None:
    assert _features(VORONEZH)["pair"] == 0.0
    assert _features(VORONEZH, pair=-3.5)["pair"] == -3.5


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"features": ["best"]}, "retrain"),
        ({"weights": [1.0]}, f"must list {N}"),
        ({"bias": "x"}, "bad 'bias'"),
        ({"threshold": float("nan")}, "non-number"),
    ],
)
def test_bad_weights_are_named(change: dict[str, object], message: str) -> None:
    good = {
        "features": list(ANSWERABILITY_FEATURES),
        "weights": [0.0] * N,
        "bias": 0.0,
        "threshold": 0.5,
    }
    with pytest.raises(AnswererError, match=message):
        answerability_from_json({**good, **change}, "w.json")


def test_unreadable_weights_are_named(tmp_path: Path) -> None:
    path = tmp_path / "w.json"
    path.write_text("{", encoding="utf-8")
    with pytest.raises(AnswererError, match="cannot read the answerability weights"):
        load_answerability(path)


def test_the_recording_check_keeps_rows_and_refuses_nothing() -> None:
    check = recording_check()
    assert not check.refuses([1.0] * N)
    assert check.rows == [[1.0] * N]


def _asked(suite: str, answerable: bool, x: float, recall: float = 1.0) -> Asked:
    row = (x,) + (0.0,) * (N - 1)
    return Asked(suite, answerable, False, recall if answerable else 0.0, (row,))


def test_figures_count_the_rules_refusals_and_the_check_s() -> None:
    asked = [
        _asked("a", True, 0.1),
        _asked("a", False, 0.9),
        Asked("a", False, True, 0.0, ()),  # refused by a rule
        _asked("b", True, 0.2, recall=0.5),
    ]
    before = figures(asked, [False] * 4)
    assert before["abstention_precision"] == 1.0 and before["abstention_recall"] == 0.5
    assert before["answer_recall"] == 0.75
    after = figures(asked, [False, True, False, True])
    assert after["abstention_recall"] == 1.0 and after["abstention_precision"] == pytest.approx(
        2 / 3
    )
    assert after["answer_recall"] == 0.5


def test_training_separates_held_out_suites_and_picks_a_threshold_between() -> None:
    # The first feature tells them apart in every suite; each suite is scored by the others.
    asked = [
        _asked(suite, answerable, x)
        for suite in ("a", "b", "c")
        for answerable, x in [(True, 0.1), (True, 0.2), (True, 0.3), (False, 0.8), (False, 0.9)]
    ]
    held_out = out_of_fold(asked, l2=0.01)
    assert all((p > 0.5) == (not a.answerable) for p, a in zip(held_out, asked, strict=True)), (
        held_out
    )
    threshold = choose_threshold(asked, held_out)
    flagged = [p >= threshold for p in held_out]
    assert flagged == [not a.answerable for a in asked]
    model = train(asked, l2=0.01)
    assert model["cross_validation"]["with_check"]["abstention_f1"] == 1.0
    assert model["cross_validation"]["without_check"]["abstention_f1"] == 0.0
    assert model["trained_on"]["examples"] == 15


def test_training_needs_both_kinds_of_question() -> None:
    with pytest.raises(ValueError, match="both"):
        train([_asked("a", True, 0.1), _asked("b", True, 0.2)])


@pytest.mark.slow
def test_asking_a_suite_records_the_decisions_the_rules_let_through(
    real_library: Library, tmp_path: Path
) -> None:
    suite = tmp_path / "gref.jsonl"
    write_suite(
        [
            SuiteQuestion(
                "gref-mortgages",
                "By how much had residential loans and mortgages grown year-on-year, according "
                "to Gref in October 2018?",
                answers=("74 percent",),
            ),
            # Gref says the net profit "has been affected", never what it was.
            SuiteQuestion(
                "gref-profit",
                "What was Sberbank's net profit in 2018, according to Gref?",
                answerable=False,
            ),
            SuiteQuestion("mars", "What did Putin say about the Mars landing?", answerable=False),
        ],
        suite,
    )
    mortgages, profit, mars = asked_questions(suite, real_library.folder)
    assert mortgages.example and mortgages.recall == 1.0 and mortgages.answerable
    assert profit.example and not profit.answerable
    assert len(mortgages.rows[0]) == len(ANSWERABILITY_FEATURES)
    # The rules refuse it (no transcript says "Mars"): no decision to learn from.
    assert mars.refused and not mars.example and mars.suite == "gref"
    # The decisions are kept under what they depend on, and read back only under it.
    cache = tmp_path / "asked.json"
    key = cache_key([suite], [real_library.folder])
    write_cache(cache, key, [mortgages, profit, mars])
    assert read_cache(cache, key) == [mortgages, profit, mars]
    write_suite([SuiteQuestion("mars", "What did Putin say about Mars?", answerable=False)], suite)
    assert cache_key([suite], [real_library.folder]) != key


def test_a_cache_is_stale_once_the_library_is_ingested_into(tmp_path: Path) -> None:
    suite = tmp_path / "dev.jsonl"
    write_suite([SuiteQuestion("q", "What did Gref say about mortgages?", answers=("74",))], suite)
    library = tmp_path / "library"
    library.mkdir()
    (library / "manifest.json").write_text('{"embedding_model": "all-MiniLM-L6-v2"}')
    (library / "index-1.faiss").write_bytes(b"")
    key = cache_key([suite], [library])
    cache = tmp_path / "asked.json"
    write_cache(cache, key, [_asked("dev", True, 0.1)])
    assert read_cache(cache, key) == [_asked("dev", True, 0.1)]
    # An ingest publishes the next generation of the index.
    (library / "index-1.faiss").rename(library / "index-2.faiss")
    assert read_cache(cache, cache_key([suite], [library])) is None
    # A cache written before keys (a bare list) is asked again too.
    cache.write_text("[]")
    assert read_cache(cache, key) is None


def test_each_suite_is_asked_with_the_pair_scorer_that_never_saw_it(tmp_path: Path) -> None:
    folds = tmp_path / "folds"
    folds.mkdir()
    write_folds(folds, {"dev": "fold-0.npz", "heldout": "fold-1.npz"})
    suites = [Path("eval/suites/dev.jsonl"), Path("eval/suites/heldout.jsonl")]
    assert read_folds(folds, suites) == {
        "dev": folds / "fold-0.npz",
        "heldout": folds / "fold-1.npz",
    }
    with pytest.raises(ValueError, match="no pair scorer for heldout2"):
        read_folds(folds, [*suites, Path("eval/suites/heldout2.jsonl")])


def test_the_cache_key_holds_the_pair_scorers_weights(tmp_path: Path) -> None:
    suite = tmp_path / "dev.jsonl"
    write_suite([SuiteQuestion("q", "What did Gref say about mortgages?", answers=("74",))], suite)
    weights = tmp_path / "fold-0.npz"
    weights.write_bytes(b"one")
    key = cache_key([suite], [tmp_path], [weights])
    assert key != cache_key([suite], [tmp_path])  # the shipped weights
    weights.write_bytes(b"two")
    assert cache_key([suite], [tmp_path], [weights]) != key
