"""The learned choice of the lead among the scorer's best sentences (qa.answer.lead)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from qa.answer.extractive import Candidate
from qa.answer.lead import (
    LEAD_FEATURES,
    LEAD_PATH,
    LeadModel,
    lead_features,
    lead_from_json,
    led_by_choice,
    load_lead_model,
)
from qa.errors import AnswererError
from tests.answer.test_rerank import (
    ASKING,
    KARAGANDA,
    THANKS,
    VACCINE,
    _candidates,
    _kremlin_lead,
    _reading,
)
from tests.conftest import require_shared

FEATURE = {name: n for n, name in enumerate(LEAD_FEATURES)}


def _anyone(_: Candidate) -> bool:
    return True


def _weighing(**weights: float) -> LeadModel:
    return LeadModel(tuple(weights.get(name, 0.0) for name in LEAD_FEATURES))


def test_the_features_read_what_restates_the_question_and_what_is_new() -> None:
    ranked = _candidates([(THANKS, 0.62), (KARAGANDA, 0.41), (ASKING, 0.2)])
    rows = lead_features(VACCINE, ranked, [1.0, 5.0, 2.0], _anyone)
    thanks, karaganda, asking = ({name: row[n] for name, n in FEATURE.items()} for row in rows)
    assert [thanks["lead"], karaganda["lead"]] == [1.0, 0.0]
    assert karaganda["place"] == pytest.approx(1 / 7)
    # Pair logits against the lead's (1.0) and the best one's (5.0).
    assert (karaganda["pair_over_lead"], karaganda["pair_under_best"]) == (4.0, 0.0)
    assert (thanks["pair_over_lead"], thanks["pair_under_best"]) == (0.0, -4.0)
    # "Where is the Russian vaccine produced?" says only what the question does.
    assert (asking["restating"], asking["novelty"], asking["asks"]) == (1.0, 0.0, 1.0)
    assert karaganda["restating"] < 0.5 < karaganda["novelty"]
    # Two of the question's four words each ("Russian", "vaccine" / "Russian", "Kazakhstan").
    assert karaganda["coverage"] == thanks["coverage"] == 0.5
    # A "where" question wants a place: Karaganda names one; no cause is asked for.
    assert (karaganda["typed"], karaganda["cause"]) == (1.0, 0.0)
    assert thanks["scorer"] > karaganda["scorer"] > asking["scorer"]


def test_the_best_scored_sentence_that_may_lead_leads_and_the_places_keep_their_scores() -> None:
    ranked = _candidates([(THANKS, 0.62), ("Thank you.", 0.3), (KARAGANDA, 0.2)])
    pair_minded = _weighing(pair_over_lead=1.0)
    out = led_by_choice(VACCINE, ranked, _reading("Karaganda"), pair_minded, _anyone)  # type: ignore[arg-type]
    assert [(c.text, c.score) for c in out] == [
        (KARAGANDA, 0.62),
        (THANKS, 0.3),
        ("Thank you.", 0.2),
    ]

    # Not when `eligible` turns it down, nor by less than the model's margin.
    def no_place(c: Candidate) -> bool:
        return "Karaganda" not in c.text

    kept = led_by_choice(VACCINE, ranked, _reading("Karaganda"), pair_minded, no_place)  # type: ignore[arg-type]
    assert kept == ranked
    wary = LeadModel(pair_minded.weights, margin=4.0)
    assert led_by_choice(VACCINE, ranked, _reading("Karaganda"), wary, _anyone) == ranked  # type: ignore[arg-type]
    # A sentence that asks never leads, however the model scores it.
    asking = _candidates([(THANKS, 0.62), (ASKING, 0.3)])
    out = led_by_choice(VACCINE, asking, _reading("produced"), pair_minded, _anyone)  # type: ignore[arg-type]
    assert out == asking
    assert led_by_choice(VACCINE, ranked[:1], _reading("x"), pair_minded, _anyone) == ranked[:1]  # type: ignore[arg-type]


def test_weights_for_other_features_are_refused_with_the_file_named(tmp_path: Path) -> None:
    shipped = json.loads(LEAD_PATH.read_text(encoding="utf-8"))
    assert lead_from_json(shipped, "x") == load_lead_model()
    stale = {**shipped, "features": shipped["features"][:-1]}
    with pytest.raises(AnswererError, match=r"stale\.json: weights for features .*eval/train_lead"):
        lead_from_json(stale, "stale.json")
    bad = tmp_path / "lead.json"
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(AnswererError, match=r"lead\.json: cannot read the lead weights"):
        load_lead_model(bad)


@pytest.mark.slow
def test_the_shipped_choice_leads_with_the_cause_not_the_restatement() -> None:
    # Sechin to Putin, August 2020 (kremlin.ru 63904; heldout21): the scorer puts first the
    # sentence that names the project the question asks about (so did the pair scorer shipped
    # before stop 67); the one that says why it waits comes second.
    from embeddings.pair_scorer import load_pair_scorer

    require_shared("kremlin", "html", "63904.html")
    question = (
        "Why did Rosneft put its Eastern petrochemical complex on hold, according to what "
        "Igor Sechin told Putin in August 2020?"
    )
    restating = "Mr President, if you remember, we had plans to build a new Eastern petrochemical"
    cause = "We were forced to delay this project’s implementation for a while because of tax"
    other = "Although the Komsomolsk Refinery is operating at full capacity to meet Far Eastern"
    # The probabilities of the scorer's first three places for this question.
    ranked = [
        replace(_kremlin_lead("63904", start), score=score)
        for start, score in ((restating, 0.056), (cause, 0.041), (other, 0.041))
    ]
    ranked = [replace(c, end=c.utterance.text.index(".", c.start) + 1) for c in ranked]
    scores = load_pair_scorer().scores
    out = led_by_choice(question, ranked, scores, load_lead_model(), _anyone)
    assert out[0].text.startswith(cause) and out[0].text.endswith("tax regime changes.")
    assert [c.score for c in out] == [0.056, 0.041, 0.041]
