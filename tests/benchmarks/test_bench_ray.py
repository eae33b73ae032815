"""The ray_ingest stage's check that two libraries are the same (library_differences), and the
stage itself on two pages."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from benchmarks import bench
from benchmarks.bench_ray import VECTOR_TOLERANCE, library_differences
from embeddings.base import HashEncoder
from qa.ingest.pipeline import ingest
from qa.store.library import Library
from tests.conftest import require_shared


class _Nudged(HashEncoder):
    """The hash encoder with every vector moved by `by` in its first coordinate."""

    def __init__(self, by: float) -> None:
        super().__init__(64)
        self.by = by

    def encode(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        vectors = super().encode(texts)
        vectors[:, 0] += self.by
        return vectors

    def encode_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        vectors, pooled = super().encode_spans(texts, spans)
        for rows in pooled:
            rows[:, 0] += self.by
        return vectors, pooled


def _pages(tmp_path: Path) -> list[Path]:
    kremlin = require_shared("kremlin", "html")
    pages = []
    for name in ("62966.html", "58748.html"):
        shutil.copyfile(kremlin / name, tmp_path / name)
        pages.append(tmp_path / name)
    return pages


def test_library_differences_sees_texts_and_vectors(tmp_path: Path) -> None:
    pages = _pages(tmp_path)
    libraries = {}
    for name, encoder in (
        ("a", HashEncoder(64)),
        ("same", _Nudged(VECTOR_TOLERANCE / 10)),
        ("moved", _Nudged(VECTOR_TOLERANCE * 10)),
    ):
        libraries[name] = Library(tmp_path / name, encoder)
        ingest(libraries[name], pages)
    a = libraries["a"]
    assert library_differences(a, libraries["same"]) == []
    moved = library_differences(a, libraries["moved"])
    assert moved[0].startswith("chunk vectors differ by up to 1.0")
    assert any(d.startswith("sentence vectors of 62966 differ") for d in moved)

    changed = Library(tmp_path / "changed", HashEncoder(64))
    pages[1].write_text(
        pages[1].read_text(encoding="utf-8").replace("Vladimir Putin:", "Vladimir Putin: Well,", 1)
    )
    ingest(changed, pages)
    found = library_differences(a, changed)
    assert "transcripts or their content hashes differ" in found
    assert any(d.startswith("chunk ") and d.endswith(" differs") for d in found)


def test_ray_ingest_stage_on_two_pages(kremlin_dir: Path, tmp_path: Path) -> None:
    pytest.importorskip("ray", reason="Ray is not installed: pip install 'transcript-qa[scale]'")
    options = ["--pages", "2", "--model", "hash:64", "--kremlin", str(kremlin_dir)]
    args = bench.parse_args([*options, "--work", str(tmp_path)])
    result = bench.run_stage("ray_ingest", args)
    assert result["identical"] is True and result["differences"] == []
    assert result["pages"] == 2 and result["workers"] == 2 and result["chunks"] > 0
    assert 0 < result["ray_ingest_s"] < result["ray_s"]
    # The ratio is of the unrounded times; the times shown are rounded to 0.01 s, so on two
    # pages (a fraction of a second single-process) the ratio of the shown times can differ by
    # more than any fixed share: it must lie within what that rounding allows.
    ray_s, single_s, half = result["ray_s"], result["single_process_s"], 0.005
    assert single_s > half
    lowest, highest = (ray_s - half) / (single_s + half), (ray_s + half) / (single_s - half)
    assert lowest <= result["overhead_ratio"] <= highest
    per_worker = result["per_worker_word_pieces_per_s"]
    assert result["projected_word_pieces_per_s"]["8"] == pytest.approx(8 * per_worker, abs=1)
