"""Paired bootstrap and permutation tests: deterministic, and they see a clear difference."""

from __future__ import annotations

import numpy as np
import pytest

from eval.stats import paired_bootstrap, paired_permutation_test

# Per-question EvidenceRecall-like scores of two runs on 40 questions: B is A plus about 0.2.
_rng = np.random.default_rng(7)
A = [float(x) for x in np.clip(_rng.uniform(0.0, 0.7, 40), 0, 1)]
B = [float(min(1.0, a + d)) for a, d in zip(A, _rng.uniform(0.1, 0.3, 40), strict=True)]


def test_bootstrap_is_deterministic_for_a_seed() -> None:
    assert paired_bootstrap(A, B, n=2000, seed=3) == paired_bootstrap(A, B, n=2000, seed=3)
    assert paired_bootstrap(A, B, n=2000, seed=3) != paired_bootstrap(A, B, n=2000, seed=4)


def test_bootstrap_detects_a_clear_difference() -> None:
    result = paired_bootstrap(A, B)
    assert result["delta"] == pytest.approx(float(np.mean(np.subtract(B, A))))
    assert 0 < result["ci_low"] < result["delta"] < result["ci_high"]
    assert result["p_value"] < 0.001
    flipped = paired_bootstrap(B, A)
    assert flipped["delta"] == pytest.approx(-result["delta"])
    assert flipped["ci_high"] < 0


def test_bootstrap_sees_no_difference_in_identical_runs() -> None:
    result = paired_bootstrap(A, A)
    assert result == {"delta": 0.0, "ci_low": 0.0, "ci_high": 0.0, "p_value": 1.0}


def test_bootstrap_on_a_noisy_small_difference_is_not_significant() -> None:
    # Half the questions up by 0.1, half down by 0.1 except one: mean +0.005.
    a = [0.5] * 20
    b = [0.6] * 10 + [0.4] * 9 + [0.5]
    result = paired_bootstrap(a, b)
    assert result["ci_low"] < 0 < result["ci_high"]
    assert result["p_value"] > 0.5


def test_permutation_test() -> None:
    clear = paired_permutation_test(A, B, n=5000)
    assert clear["p_value"] == pytest.approx(1 / 5001)
    assert paired_permutation_test(A, B, n=500, seed=1) == paired_permutation_test(
        A, B, n=500, seed=1
    )
    assert paired_permutation_test(A, A, n=500)["p_value"] == 1.0


def test_paired_inputs_are_validated() -> None:
    with pytest.raises(ValueError, match="same length, got 2 and 1"):
        paired_bootstrap([0.1, 0.2], [0.3])
    with pytest.raises(ValueError, match="empty"):
        paired_permutation_test([], [])
    with pytest.raises(ValueError, match="got 0"):
        paired_bootstrap(A, B, n=0)
