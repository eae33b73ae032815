"""The ten_million stage's streaming pieces: batches regenerate the same vectors, and the
running top k over batches equals a brute force over all of them."""

from __future__ import annotations

import numpy as np

from benchmarks.bench_index import merge_top_k, vector_batches
from embeddings.base import HashEncoder

SENTENCES = [
    "Now in Karaganda, this enterprise produces a Russian vaccine of the same quality.",
    "Despite the pandemic we can see an increase of about 20 percent in our trade.",
    "I was supposed to come to Sochi, but the heads of state were there.",
    "We regularly meet and are in contact with the President of Kazakhstan.",
    "The Government has prepared a programme to support small and medium-sized businesses.",
]


def test_batches_start_with_the_real_vectors_and_repeat_exactly() -> None:
    real = HashEncoder(32).encode(SENTENCES)
    first = list(vector_batches(real, 23, batch=10))
    again = list(vector_batches(real, 23, batch=10))
    assert [len(ids) for ids, _ in first] == [10, 10, 3]
    assert np.concatenate([ids for ids, _ in first]).tolist() == list(range(23))
    assert np.array_equal(first[0][1][:5], real)
    for (_, a), (_, b) in zip(first, again, strict=True):
        assert np.array_equal(a, b)
    assert np.allclose(np.linalg.norm(first[1][1], axis=1), 1.0, atol=1e-5)


def test_streaming_top_k_equals_brute_force() -> None:
    real = HashEncoder(32).encode(SENTENCES)
    queries = HashEncoder(32).encode(["vaccine made in Karaganda", "trade grew in the pandemic"])
    k = 4
    best = (np.full((2, k), -np.inf, np.float32), np.full((2, k), -1))
    everything = []
    for ids, vectors in vector_batches(real, 57, batch=8):
        best = merge_top_k(best, queries @ vectors.T, ids, k)
        everything.append(vectors)
    scores = queries @ np.vstack(everything).T
    want = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    assert np.allclose(best[0], np.take_along_axis(scores, want, axis=1), atol=1e-6)
    assert {tuple(sorted(row)) for row in best[1].tolist()} == {
        tuple(sorted(row)) for row in want.tolist()
    }
