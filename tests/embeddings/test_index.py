"""VectorIndex against brute-force NumPy: exact top-k, filters, removals, save/load, HNSW recall."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import embeddings.index as index_module
from embeddings.base import HashEncoder
from embeddings.errors import IndexFileError
from embeddings.index import VectorIndex, choose_kind

DIM = 48
KINDS = ["flat", "hnsw"]


def unit_rows(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def seeded_vectors(n: int, dim: int = DIM, seed: int = 0) -> np.ndarray:
    """Seeded Gaussian unit vectors: a reference comparison, not a model."""
    return unit_rows(np.random.default_rng(seed).standard_normal((n, dim)))


def brute_force(
    vectors: np.ndarray, ids: np.ndarray, query: np.ndarray, k: int, allowed: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """The reference: every score computed, sorted by score."""
    if allowed is not None:
        keep = np.isin(ids, allowed)
        vectors, ids = vectors[keep], ids[keep]
    scores = vectors @ query
    order = np.argsort(-scores, kind="stable")[:k]
    return scores[order], ids[order]


def built(kind: str, vectors: np.ndarray, ids: np.ndarray) -> VectorIndex:
    index = VectorIndex.create(vectors.shape[1], kind)
    index.add(ids, vectors)
    return index


@pytest.fixture(scope="module")
def corpus() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(vectors, sparse non-contiguous chunk ids, queries)."""
    vectors = seeded_vectors(3000)
    ids = (np.arange(3000, dtype=np.int64) * 7 + 11)[::-1].copy()
    queries = seeded_vectors(25, seed=1)
    return vectors, ids, queries


@pytest.mark.parametrize("kind", KINDS)
def test_unfiltered_exact_top_k_matches_numpy(corpus: tuple, kind: str) -> None:
    vectors, ids, queries = corpus
    index = built(kind, vectors, ids)
    if kind == "hnsw":
        index.ef_search = 256  # wide enough on 3k vectors to be all but exact
    for query in queries:
        scores, found = index.search(query, 10)
        _, want_ids = brute_force(vectors, ids, query, 10, None)
        assert found.dtype == np.int64 and scores.dtype == np.float32
        if kind == "flat":
            assert found.tolist() == want_ids.tolist()
        else:
            assert len(set(found.tolist()) & set(want_ids.tolist())) >= 9
        assert np.all(np.diff(scores) <= 1e-6)
    # and the scores are the inner products of the stored vectors
    scores, found = index.search(queries[0], 5)
    assert np.allclose(scores, index.vectors(found) @ queries[0], atol=1e-5)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n_allowed", [40, 2500])  # scored in NumPy / by a FAISS selector scan
def test_filtered_search_matches_numpy_and_fills_k(
    corpus: tuple, kind: str, n_allowed: int
) -> None:
    vectors, ids, queries = corpus
    index = built(kind, vectors, ids)
    rng = np.random.default_rng(2)
    allowed = rng.choice(ids, size=n_allowed, replace=False)
    for query in queries:
        scores, found = index.search(query, 10, allowed_ids=allowed)
        want_scores, want_ids = brute_force(vectors, ids, query, 10, allowed)
        assert found.tolist() == want_ids.tolist()
        assert np.allclose(scores, want_scores, atol=1e-5)
    few = allowed[:3]
    assert sorted(index.search(queries[0], 10, allowed_ids=few)[1].tolist()) == sorted(few)
    unknown = np.array([1, 2, 3], dtype=np.int64)  # not chunk ids of this corpus
    assert len(index.search(queries[0], 10, allowed_ids=unknown)[1]) == 0


def test_hnsw_graph_filter_falls_back_to_exact_when_short(
    corpus: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:
    vectors, ids, queries = corpus
    index = built("hnsw", vectors, ids)
    index.ef_search = 16
    monkeypatch.setattr(index_module, "EXACT_FILTER_MAX", 0)  # force the graph walk
    monkeypatch.setattr(index_module, "EXACT_FILTER_FRACTION", 0.0)
    monkeypatch.setattr(index_module, "_EF_SEARCH_CAP", 32)  # and make it come back short
    # A tiny allowed set far from the query: a narrow graph walk finds few of them.
    far = np.argsort(vectors @ queries[0])[:30]
    allowed = ids[far]
    _, found = index.search(queries[0], 20, allowed_ids=allowed)
    _, want = brute_force(vectors, ids, queries[0], 20, allowed)
    assert found.tolist() == want.tolist()


@pytest.mark.parametrize("kind", KINDS)
def test_removed_ids_are_never_returned(corpus: tuple, kind: str) -> None:
    vectors, ids, queries = corpus
    index = built(kind, vectors, ids)
    # remove each query's five best hits, plus an id that was never there
    removed = {int(i) for q in queries for i in brute_force(vectors, ids, q, 5, None)[1]}
    assert index.remove([*removed, 5]) == len(removed)
    assert len(index) == len(ids) - len(removed)
    assert set(index.ids().tolist()) == set(ids.tolist()) - removed
    keep = np.array([i not in removed for i in ids])
    for query in queries:
        _, found = index.search(query, 30)
        assert not removed & set(found.tolist())
        assert len(found) == 30
        _, found = index.search(query, 10, allowed_ids=np.array(sorted(removed)[:50]))
        assert len(found) == 0
        _, found = index.search(query, 10, allowed_ids=ids[:200])
        _, want = brute_force(vectors[keep], ids[keep], query, 10, ids[:200])
        assert found.tolist() == want.tolist()
    assert index.remove(sorted(removed)) == 0
    with pytest.raises(ValueError, match="not in the index"):
        index.vectors([next(iter(removed))])


@pytest.mark.parametrize("kind", KINDS)
def test_a_removed_id_can_be_added_again_with_a_new_vector(corpus: tuple, kind: str) -> None:
    vectors, ids, queries = corpus
    index = built(kind, vectors[:500], ids[:500])
    target = int(ids[0])
    index.remove([target])
    index.add(np.array([target]), queries[:1])
    scores, found = index.search(queries[0], 3)
    assert found[0] == target and scores[0] == pytest.approx(1.0, abs=1e-5)
    assert np.count_nonzero(found == target) == 1
    assert np.allclose(index.vectors([target])[0], queries[0])
    assert len(index) == 500


@pytest.mark.parametrize("kind", KINDS)
def test_save_and_load_keep_ids_vectors_and_removals(
    corpus: tuple, kind: str, tmp_path: Path
) -> None:
    vectors, ids, queries = corpus
    index = built(kind, vectors, ids)
    removed = ids[100:160].tolist()
    index.remove(removed)
    if kind == "hnsw":
        index.ef_search = 100
    path = tmp_path / "vectors.faiss"
    index.save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["vectors.faiss"]  # no temp file left

    loaded = VectorIndex.load(path)
    assert loaded.kind == kind and loaded.dimension == DIM
    assert loaded.ef_search == index.ef_search
    assert len(loaded) == len(ids) - 60
    assert np.array_equal(loaded.ids(), index.ids())
    assert np.array_equal(loaded.vectors(ids[:50]), vectors[:50])
    for query in queries[:5]:
        a_scores, a_ids = index.search(query, 20)
        b_scores, b_ids = loaded.search(query, 20)
        assert a_ids.tolist() == b_ids.tolist() and np.allclose(a_scores, b_scores)
        assert not set(removed) & set(b_ids.tolist())

    # saving over an existing file replaces it
    loaded.remove(ids[:10].tolist())
    loaded.save(path)
    assert len(VectorIndex.load(path)) == len(ids) - 70


def test_load_reports_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(IndexFileError, match="not found"):
        VectorIndex.load(tmp_path / "absent.faiss")
    garbage = tmp_path / "garbage.faiss"
    garbage.write_bytes(b"this is not a FAISS index at all")
    with pytest.raises(IndexFileError, match=r"garbage\.faiss"):
        VectorIndex.load(garbage)


def test_add_validates_ids_and_vectors() -> None:
    index = VectorIndex.create(DIM)
    vectors = seeded_vectors(4)
    ids = np.array([10, 20, 30, 40], dtype=np.int64)
    with pytest.raises(ValueError, match="float32"):
        index.add(ids, vectors.astype(np.float64))
    with pytest.raises(ValueError, match=r"\(n, 48\)"):
        index.add(ids, seeded_vectors(4, dim=16))
    with pytest.raises(ValueError, match="3 ids for 4 vectors"):
        index.add(ids[:3], vectors)
    with pytest.raises(ValueError, match=r"duplicate ids in one add: \[20\]"):
        index.add(np.array([10, 20, 20, 40]), vectors)
    with pytest.raises(ValueError, match="non-negative"):
        index.add(np.array([10, -20, 30, 40]), vectors)
    with pytest.raises(ValueError, match="integer"):
        index.add(ids.astype(np.float64), vectors)
    assert len(index) == 0
    index.add(ids, vectors)
    with pytest.raises(ValueError, match=r"already in the index: \[40\]"):
        index.add(np.array([40, 50]), vectors[:2])
    assert len(index) == 4


def test_search_validates_query_and_k() -> None:
    index = VectorIndex.create(DIM)
    assert [len(a) for a in index.search(seeded_vectors(1)[0], 5)] == [0, 0]
    index.add(np.array([1, 2]), seeded_vectors(2))
    with pytest.raises(ValueError, match=r"shape \(48,\)"):
        index.search(seeded_vectors(1), 5)
    with pytest.raises(ValueError, match="k must be greater than 0, got 0"):
        index.search(seeded_vectors(1)[0], 0)
    assert len(index.search(seeded_vectors(1)[0], 5)[1]) == 2  # k larger than the index


def test_hash_embeddings_of_real_text_find_their_own_sentence() -> None:
    sentences = [
        "Now in Karaganda, this enterprise produces a Russian vaccine of the same quality.",
        "Despite the pandemic we can see an increase of about 20 percent in our trade.",
        "I was supposed to come to Sochi, but the heads of state were there.",
        "We regularly meet and are in contact with the President of Kazakhstan.",
    ]
    encoder = HashEncoder(DIM)
    index = built("flat", encoder.encode(sentences), np.array([101, 102, 103, 104]))
    _, found = index.search(encoder.encode(["Russian vaccine made in Karaganda"])[0], 2)
    assert found[0] == 101


def test_choose_kind() -> None:
    assert choose_kind("auto", 200_000, 200_000) == "flat"
    assert choose_kind("auto", 200_001, 200_000) == "hnsw"
    assert choose_kind("flat", 10**7, 200_000) == "flat"
    assert choose_kind("hnsw", 3, 200_000) == "hnsw"
    with pytest.raises(ValueError, match="'ivf'"):
        choose_kind("ivf", 3, 200_000)


def test_create_rejects_unknown_kind() -> None:
    with pytest.raises(ValueError, match="'ivf'"):
        VectorIndex.create(DIM, "ivf")


def test_hnsw_recall_at_10_against_flat(monkeypatch: pytest.MonkeyPatch) -> None:
    # Sentence embeddings lie near a low-dimensional subspace; isotropic Gaussians in high
    # dimension are a much harder case than any text corpus (see the report for real vectors).
    rng = np.random.default_rng(0)
    basis = rng.standard_normal((24, 64))
    vectors = unit_rows(rng.standard_normal((20_000, 24)) @ basis)
    queries = unit_rows(rng.standard_normal((200, 24)) @ basis)
    ids = np.arange(20_000, dtype=np.int64) + 1
    flat = built("flat", vectors, ids)
    hnsw = built("hnsw", vectors, ids)
    assert hnsw.ef_search == index_module.HNSW_EF_SEARCH
    hits = 0
    for query in queries:
        truth = set(flat.search(query, 10)[1].tolist())
        hits += len(truth & set(hnsw.search(query, 10)[1].tolist()))
    recall = hits / (10 * len(queries))
    assert recall >= 0.95, recall

    # a filter keeping 60% of the ids walks the graph (here forced: 12k ids would be scored)
    monkeypatch.setattr(index_module, "EXACT_FILTER_MAX", 0)
    allowed = rng.choice(ids, size=12_000, replace=False)
    hits = 0
    for query in queries[:100]:
        truth = set(flat.search(query, 10, allowed_ids=allowed)[1].tolist())
        found = hnsw.search(query, 10, allowed_ids=allowed)[1]
        assert np.isin(found, allowed).all()
        hits += len(truth & set(found.tolist()))
    recall = hits / (10 * 100)
    assert recall >= 0.95, recall


@pytest.mark.parametrize(("kind", "to"), [("flat", None), ("flat", "hnsw"), ("hnsw", "flat")])
def test_a_copy_holds_the_live_vectors_and_leaves_the_original(
    corpus: tuple, kind: str, to: str | None
) -> None:
    vectors, ids, _ = corpus
    index = built(kind, vectors[:200], ids[:200])
    index.remove(ids[:20].tolist())
    copied = index.copy(to)
    assert copied.kind == (to or kind) and copied is not index
    assert sorted(copied.ids().tolist()) == sorted(ids[20:200].tolist())
    assert np.array_equal(copied.vectors(ids[20:200]), index.vectors(ids[20:200]))
    copied.remove(ids[20:30].tolist())
    assert len(index) == 180 and len(copied) == 170
