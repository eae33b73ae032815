"""Paired significance tests for comparing two runs question by question."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["paired_bootstrap", "paired_permutation_test"]


def _paired(a: Sequence[float], b: Sequence[float]) -> np.ndarray:
    if len(a) != len(b):
        raise ValueError(f"paired samples must have the same length, got {len(a)} and {len(b)}")
    if not a:
        raise ValueError("paired samples must not be empty")
    return np.asarray(b, dtype=float) - np.asarray(a, dtype=float)


def paired_bootstrap(
    a: Sequence[float], b: Sequence[float], n: int = 10000, seed: int = 0
) -> dict[str, float]:
    """Mean of b - a with a 95% percentile bootstrap interval over questions, and a two-sided
    p-value: twice the smaller share of resampled means on either side of zero (capped at 1)."""
    if n <= 0:
        raise ValueError(f"n must be a positive integer, got {n}")
    diff = _paired(a, b)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(diff), size=(n, len(diff)))
    means = diff[idx].mean(axis=1)
    delta = float(diff.mean())
    if np.all(diff == 0):
        p_value = 1.0
    else:
        p_value = min(1.0, 2 * min(float(np.mean(means <= 0)), float(np.mean(means >= 0))))
    return {
        "delta": delta,
        "ci_low": float(np.quantile(means, 0.025)),
        "ci_high": float(np.quantile(means, 0.975)),
        "p_value": p_value,
    }


def paired_permutation_test(
    a: Sequence[float], b: Sequence[float], n: int = 10000, seed: int = 0
) -> dict[str, float]:
    """Sign-flip permutation test of mean(b - a) = 0; p = (hits + 1) / (n + 1), two-sided."""
    if n <= 0:
        raise ValueError(f"n must be a positive integer, got {n}")
    diff = _paired(a, b)
    rng = np.random.default_rng(seed)
    signs = rng.choice(np.array([-1.0, 1.0]), size=(n, len(diff)))
    observed = abs(float(diff.mean()))
    permuted = np.abs((signs * diff).mean(axis=1))
    hits = int(np.sum(permuted >= observed - 1e-12))
    return {"delta": float(diff.mean()), "p_value": (hits + 1) / (n + 1)}
