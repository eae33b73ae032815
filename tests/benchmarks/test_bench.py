"""The benchmark's stages on three real pages with the hash encoder (structure, not speed)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from benchmarks import bench


def _args(kremlin_dir: Path, work: Path) -> argparse.Namespace:
    return bench.parse_args(
        [
            *("--pages", "3", "--model", "hash:64", "--kremlin", str(kremlin_dir)),
            *("--work", str(work), "--questions", "12", "--repeats", "1"),
            *("--million-size", "3000", "--million-queries", "10"),
        ]
    )


def test_stages_on_three_pages(kremlin_dir: Path, tmp_path: Path) -> None:
    args = _args(kremlin_dir, tmp_path)
    ingest = bench.run_stage("ingest", args)
    assert ingest["pages"] == 3
    assert ingest["runs"]["first"]["added"] == 3
    assert ingest["runs"]["first"]["embedded_chunks"] == ingest["chunks"] > 0
    assert ingest["runs"]["unchanged"]["embedded_chunks"] == 0
    assert ingest["runs"]["unchanged"]["skipped"] == 3
    changed = ingest["runs"]["one_changed"]
    assert (changed["replaced"], changed["skipped"]) == (1, 2)
    assert 0 < changed["embedded_chunks"] < ingest["chunks"]
    assert ingest["chunks_over_model_limit"] == 0
    assert ingest["share_embedded"] == 1.0
    assert ingest["transcript_words"] > 1000
    assert ingest["sentence_vectors"] is True
    assert ingest["runs"]["first"]["embedded_sentences"] > ingest["chunks"]
    assert ingest["sentence_word_pieces"] > 0
    assert ingest["all_word_pieces_per_s"] > ingest["word_pieces_per_s"]
    # The pages under ../shared are copied, never edited.
    assert all(not p.is_relative_to(tmp_path) for p in bench.kremlin_pages(kremlin_dir, 3))

    query = bench.run_stage("query", args)
    assert query["questions"] == 12
    assert 0 < query["retrieval_ms_p50"] <= query["retrieval_ms_p95"]
    assert 0 < query["answer_ms_p50"] <= query["answer_ms_p95"]
    assert 0 < query["answer_repeated_ms_p50"] <= query["answer_repeated_ms_p95"]

    million = bench.run_stage("million", args)
    assert million["vectors"] == 3000
    assert 0.0 <= million["hnsw_recall_at_10"] <= 1.0
    assert million["real_vectors"] == ingest["chunks"]

    table = bench.markdown({"ingest": ingest, "query": query})
    assert "| ingest | runs.unchanged.embedded_chunks | 0 |" in table
    json.dumps({"ingest": ingest, "query": query, "million": million})


def test_synthetic_vectors_are_unit_mixtures() -> None:
    rng = np.random.default_rng(1)
    real = rng.normal(size=(5, 8)).astype(np.float32)
    real /= np.linalg.norm(real, axis=1, keepdims=True)
    mixed = bench.synthetic_vectors(real, 40)
    assert mixed.shape == (40, 8)
    np.testing.assert_allclose(np.linalg.norm(mixed, axis=1), 1.0, atol=1e-5)
    # A mixture of unit vectors a, b is at least sqrt((1 + a.b) / 2) close to one of them.
    floor = np.sqrt((1 + (real @ real.T).min()) / 2)
    assert np.all((mixed @ real.T).max(axis=1) >= floor - 1e-5)


def test_llamaindex_stage_without_its_environment_says_how_to_build_it(
    kremlin_dir: Path, tmp_path: Path
) -> None:
    args = _args(kremlin_dir, tmp_path)
    args.llamaindex_python = str(tmp_path / "no-such-venv" / "python")
    result = bench.run_stage("llamaindex", args)
    assert "benchmarks/requirements-llamaindex.txt" in result["skipped"]


def test_comparison_divides_ours_by_theirs() -> None:
    ours_ingest = {
        "runs": {"first": {"wall_s": 30.0}},
        "chunks": 120,
        "chunks_over_model_limit": 0,
        "share_embedded": 1.0,
        "word_pieces_embedded": 18000,
        "word_pieces_per_s": 600.0,
    }
    theirs = {
        "ingest_s": 10.0,
        "chunks": 20,
        "chunks_over_model_limit": 20,
        "share_embedded": 0.25,
        "word_pieces_embedded": 5000,
        "word_pieces_per_s": 500.0,
        "retrieval_ms": {"p50": 20.0, "p95": 40.0},
    }
    table = bench.comparison(ours_ingest, {"retrieval_ms_p50": 5.0}, theirs)
    assert table["ingest_wall_s"] == {"ours": 30.0, "theirs": 10.0, "ours_over_theirs": 3.0}
    assert table["share_embedded"]["ours_over_theirs"] == 4.0
    assert table["word_pieces_embedded_per_s"]["ours_over_theirs"] == 1.2
    assert table["retrieval_ms_p50"]["ours_over_theirs"] == 0.25
    assert table["retrieval_ms_p95"]["ours_over_theirs"] is None  # ours not measured
    assert table["chunks_over_model_limit"]["ours_over_theirs"] == 0.0


def test_percentile() -> None:
    assert bench.percentile([1.0, 2.0, 3.0, 4.0, 5.0], 50) == 3.0
    assert bench.percentile([], 95) is None


def test_first_answer_stage_times_ours_and_says_when_theirs_is_missing(
    kremlin_dir: Path, tmp_path: Path
) -> None:
    args = _args(kremlin_dir, tmp_path)
    args.llamaindex_python = str(tmp_path / "no-such-venv" / "python")
    result = bench.run_stage("first_answer", args)["pages_3"]
    assert result["pages"] == 3 and "error" not in result
    # Searchable (every file in) before the first answer, and that before the ingest ended.
    assert 0 < result["ours_published_s"] <= result["ours_first_answer_s"]
    assert result["ours_first_answer_s"] <= result["ours_full_ingest_s"]
    assert result["ours_sentences_embedded"] > result["ours_embedded"] > 0
    assert result["ours_encoder"] == "hash-64"
    assert "make bench-env" in result["theirs"]
