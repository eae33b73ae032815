"""Ingest on Ray (`tqa ingest --ray`) on a real local Ray with two workers, against a local
ingest; the two-node cluster is test_distributed_cluster's. No mocks of Ray.

One local Ray serves the module (its start-up takes seconds on a loaded machine).
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.bench_ray import library_differences
from embeddings.loading import EncoderSpec
from qa.ingest import pipeline
from qa.ingest.pipeline import IngestReport, ingest, rename_speakers
from qa.store.library import Library
from tests.conftest import require_shared, sample_paths

ray = pytest.importorskip(
    "ray", reason="Ray is not installed: pip install 'transcript-qa[scale]' (make test does)"
)

from qa.ingest.distributed import RayTarget, ingest_on_ray, ray_workers  # noqa: E402

HASH = EncoderSpec("hash:64")  # the tests' deterministic encoder, loaded by the workers too
RAY_BIN = Path(sys.executable).with_name("ray")


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    """A local Ray with two worker CPUs for this module's in-process tests."""
    temp = tempfile.mkdtemp(prefix="tqa-ray-")  # short: Ray's socket paths must stay short
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        object_store_memory=100 * 1024 * 1024,
        _temp_dir=temp,
        logging_level=logging.WARNING,
        log_to_driver=False,
    )
    yield
    ray.shutdown()
    shutil.rmtree(temp, ignore_errors=True)


@pytest.fixture
def few_files(monkeypatch: pytest.MonkeyPatch) -> None:
    # Two files per commit: the sample makes several transactions, as a large archive does.
    monkeypatch.setattr(pipeline, "FILES_PER_COMMIT", 2)


def _ingest_both(
    tmp_path: Path, paths: list[Path], spec: EncoderSpec = HASH
) -> tuple[Library, Library, IngestReport, IngestReport]:
    here = Library(tmp_path / "here", spec.load())
    there = Library(tmp_path / "there", spec.load())
    return here, there, ingest(here, paths), ingest_on_ray(there, paths, RayTarget(), spec)


def _files(report: IngestReport) -> list[tuple[str, str, str | None, int, int, str | None]]:
    return [
        (f.path, f.status, f.transcript_id, f.utterances, f.chunks, f.error) for f in report.files
    ]


def test_ray_ingest_makes_the_library_a_local_ingest_makes(
    local_ray: None, few_files: None, tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for path in sample_paths():
        if path.is_dir():
            shutil.copytree(path, corpus / path.name)
        else:
            shutil.copyfile(path, corpus / path.name)
    (corpus / "broken.vtt").write_text("WEBVTT\n\n00:00:01.000 --> nonsense\nHello\n")
    here, there, local, on_ray = _ingest_both(tmp_path, [corpus])

    assert on_ray.ray_workers == 2 and on_ray.ray_address
    assert _files(on_ray) == _files(local)
    assert on_ray.count("added") == 4 and on_ray.count("failed") == 1
    assert [s.path for s in on_ray.skipped_files] == [s.path for s in local.skipped_files]
    assert (on_ray.embedded, on_ray.sentences_embedded) == (
        local.embedded,
        local.sentences_embedded,
    )
    assert on_ray.sentences_pending == 0 and there.check() == []
    assert library_differences(here, there) == []

    # A speaker named, then a file changed: the workers apply the stored names as this
    # process does, and the unchanged files are skipped by both.
    renames = [("Nursultan Nazarbayev", "N. Nazarbayev")]
    for library in (here, there):
        rename_speakers(library, "62966", renames)
    page = corpus / "62966.html"
    page.write_text(page.read_text(encoding="utf-8").replace("</p>", " Indeed.</p>", 1))
    local = ingest(here, [corpus])
    on_ray = ingest_on_ray(there, [corpus], RayTarget(), HASH)
    assert _files(on_ray) == _files(local)
    assert on_ray.count("replaced") == 1 and on_ray.count("skipped") == 3
    assert "N. Nazarbayev" in {u.canonical_speaker for u in there.transcript("62966").utterances}
    assert library_differences(here, there) == []


def test_a_killed_worker_is_restarted_and_its_calls_retried(
    local_ray: None, few_files: None, tmp_path: Path
) -> None:
    """SIGKILL one worker's process in the middle of the run: Ray restarts it and sends its
    unfinished call again; the library is the one a local ingest makes."""
    kremlin = require_shared("kremlin", "html")
    pages = sorted(kremlin.glob("*.html"))[:6]
    # Phase one only: the kill falls in it, and sentence splitting is slow on a busy machine.
    here = Library(tmp_path / "here", HASH.load(), sentence_vectors=False)
    ingest(here, pages)
    there = Library(tmp_path / "there", HASH.load(), sentence_vectors=False)
    killed: list[int] = []
    with ray_workers(RayTarget(), HASH, there) as workers:
        pids = [ray.get(a.describe.remote())[3] for a in workers.actors]

        def kill_once(stage: str, done: int, total: int) -> None:
            # At the first file's result the workers hold the next files' calls.
            if not killed:
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])

        report = ingest(there, pages, progress=kill_once, workers=workers)
        after = ray.get(workers.actors[0].describe.remote())[3]
    assert killed and after != pids[0]  # the worker died and a new process took its place
    assert report.count("added") == len(pages)
    assert library_differences(here, there) == []


@pytest.mark.slow
def test_workers_load_the_real_model_and_give_its_vectors(local_ray: None, tmp_path: Path) -> None:
    from embeddings.models import DEFAULT_MODEL

    kremlin = require_shared("kremlin", "html")
    paths = [require_shared("seed"), kremlin / "62966.html"]
    here, there, local, on_ray = _ingest_both(tmp_path, paths, EncoderSpec(DEFAULT_MODEL))
    assert on_ray.encoder == local.encoder == here.encoder.name
    assert on_ray.embedded == local.embedded > 0 and on_ray.sentences_embedded > 0
    assert library_differences(here, there) == []
