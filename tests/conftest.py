"""Shared fixtures: where the real data lives, and skipping when it is absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from embeddings.offline import use_offline_hub

use_offline_hub()  # before any test imports transformers or sentence-transformers

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("TQA_SHARED_DATA", REPO.parent / "shared" / "data"))


def require_shared(*parts: str) -> Path:
    """The path under ../shared/data, or skip the test saying why."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data not found at {path} (a user's clone has no ../shared)")
    return path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return require_shared()


@pytest.fixture(scope="session")
def seed_file() -> Path:
    return require_shared("seed", "meeting-with-nursultan-nazarbayev-2021-06-30.txt")


@pytest.fixture(scope="session")
def kremlin_dir() -> Path:
    return require_shared("kremlin", "html")


@pytest.fixture(scope="session")
def qmsum_dir() -> Path:
    return require_shared("qmsum", "val")


@pytest.fixture(scope="session")
def qmsum_evidence_dir() -> Path:
    return require_shared("qmsum", "evidence", "val")


# Small real pages of different kinds: a 2020 meeting with Nazarbayev, a bank CEO, a minister.
SAMPLE_PAGES = ("62966.html", "58748.html", "63754.html")


def sample_paths() -> list[Path]:
    """The seed transcript and a few kremlin.ru pages (skips when the data is absent)."""
    kremlin = require_shared("kremlin", "html")
    return [require_shared("seed"), *(kremlin / name for name in SAMPLE_PAGES)]


@pytest.fixture(scope="session")
def real_encoder():  # type: ignore[no-untyped-def]
    """The bundled all-MiniLM-L6-v2, loaded once per test session."""
    from embeddings.loading import load_encoder
    from embeddings.models import DEFAULT_MODEL

    return load_encoder(DEFAULT_MODEL)


@pytest.fixture(scope="session")
def real_library(tmp_path_factory: pytest.TempPathFactory, real_encoder):  # type: ignore[no-untyped-def]
    """A library of the sample transcripts embedded with the real model (built once)."""
    from qa.ingest.pipeline import ingest
    from qa.serialize import ingest_report_json
    from qa.store.library import Library

    library = Library(tmp_path_factory.mktemp("real-library"), real_encoder)
    report = ingest(library, sample_paths())
    assert report.count("failed") == 0, ingest_report_json(report)
    return library


@pytest.fixture(scope="session")
def real_dir() -> Path:
    """../shared/data/real: real transcript exports as people have them (see its MANIFEST.md)."""
    return require_shared("real")
