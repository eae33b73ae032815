"""Ingest on Ray (`tqa ingest --ray`): a real local Ray with two workers, and a real cluster of
a head and a second node started with `ray start` on this machine. No mocks of Ray.

One local Ray serves the in-process tests and one two-node cluster the subprocess ones (start-up
takes seconds on a loaded machine). The cluster's processes are ended by their process group
(`ray start --block` in a session of its own), never by `ray stop`, which would end every Ray
of the machine.
"""

from __future__ import annotations

import json
import logging
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.bench_ray import library_differences
from embeddings.loading import EncoderSpec
from qa.ingest import pipeline
from qa.ingest.pipeline import IngestReport, ingest, rename_speakers
from qa.store.library import Library
from tests.conftest import REPO, require_shared, sample_paths

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
    pages = sorted(kremlin.glob("*.html"))[:8]
    here = Library(tmp_path / "here", HASH.load())
    ingest(here, pages)
    there = Library(tmp_path / "there", HASH.load())
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


# ----------------------------------------------------------------- a cluster of two nodes


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stop(process: subprocess.Popen[bytes]) -> None:
    """End a `ray start --block` and every process it started (its process group)."""
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if subprocess.run(["pgrep", "-g", str(process.pid)], capture_output=True).stdout == b"":
                break
            time.sleep(0.2)
        process.poll()


@pytest.fixture(scope="module")
def cluster() -> Iterator[tuple[str, dict[str, str]]]:
    """A head and a second node, one CPU each, on this machine (127.0.0.1, a random port and
    a token of their own); (address, the environment that joins it)."""
    if not RAY_BIN.exists():
        pytest.skip(f"no `ray` command beside {sys.executable}")
    temp = Path(tempfile.mkdtemp(prefix="tqa-rc-"))
    token = temp / "token"
    token.write_text(secrets.token_hex(32))
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "RAY_AUTH_MODE": "token",
        "RAY_AUTH_TOKEN_PATH": str(token),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    port = _free_port()
    address = f"127.0.0.1:{port}"
    common = ["--num-cpus=1", "--node-ip-address=127.0.0.1", "--disable-usage-stats", "--block"]
    common += ["--object-store-memory=100000000"]
    nodes: list[subprocess.Popen[bytes]] = []
    try:
        for args in (
            ["--head", f"--port={port}", "--include-dashboard=false", f"--temp-dir={temp}"],
            [f"--address={address}"],
        ):
            log = (temp / f"node{len(nodes)}.log").open("wb")
            nodes.append(
                subprocess.Popen(
                    [str(RAY_BIN), "start", *args, *common],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # its own process group, ended as one
                )
            )
            _wait_for_nodes(address, env, len(nodes))
        yield address, env
    finally:
        for node in reversed(nodes):
            _stop(node)
        shutil.rmtree(temp, ignore_errors=True)


_COUNT_NODES = """
import ray, sys
ray.init(address=sys.argv[1], logging_level="ERROR", log_to_driver=False)
print(sum(1 for n in ray.nodes() if n["Alive"]))
"""


def _wait_for_nodes(address: str, env: dict[str, str], count: int) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        found = subprocess.run(
            [sys.executable, "-c", _COUNT_NODES, address],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if found.returncode == 0 and found.stdout.strip() == str(count):
            return
        time.sleep(1)
    raise AssertionError(f"the Ray cluster at {address} did not reach {count} nodes")


def test_cli_ingests_on_a_cluster_of_two_nodes(
    cluster: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    """`tqa ingest --ray ADDRESS --json` joins the running cluster: a worker on each node, the
    library a local ingest makes, and `ray` in the JSON."""
    address, env = cluster
    paths = [str(p) for p in sample_paths()]
    library = str(tmp_path / "there")
    command = [sys.executable, "-m", "qa.cli", "--library", library, "ingest", *paths]
    run = subprocess.run(
        [*command, "--ray", address, "--json"],
        env={**env, "TQA_EMBEDDING_MODEL": HASH.model},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    shown = json.loads(run.stdout)
    assert shown["ray"]["workers"] == 2 and shown["ray"]["address"].endswith(
        f":{address.split(':')[1]}"
    )
    assert shown["added"] == 4 and shown["sentences_pending"] == 0
    here = Library(tmp_path / "here", HASH.load())
    ingest(here, [Path(p) for p in paths])
    assert library_differences(here, Library(tmp_path / "there", HASH.load())) == []


_DRIVER = """
import sys
from pathlib import Path
sys.path.insert(0, {repo!r})
import ray
from embeddings.loading import EncoderSpec
import qa.ingest.pipeline
from qa.ingest.distributed import RayTarget, ray_workers
from qa.ingest.pipeline import ingest
from qa.store.library import Library
qa.ingest.pipeline.FILES_PER_COMMIT = 2
qa.ingest.distributed.RayWorkers.part_size = 8
spec = EncoderSpec("hash:64")
library = Library(Path(sys.argv[2]), spec.load())
with ray_workers(RayTarget(sys.argv[1]), spec, library) as workers:
    nodes = {{ray.get(a.describe.remote())[4] for a in workers.actors}}
    print("started", len(nodes), flush=True)
    ingest(library, [Path(p) for p in sys.argv[3:]], workers=workers)
print("done", flush=True)
"""


def test_a_driver_killed_at_any_moment_leaves_the_library_whole(
    cluster: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    """SIGKILL the driver of a Ray ingest at random moments: the library opens whole each time,
    and the next run (on Ray) completes it to the library a local ingest makes."""
    address, env = cluster
    kremlin = require_shared("kremlin", "html")
    pages = [str(p) for p in sorted(kremlin.glob("*.html"))[:10]]
    script = tmp_path / "driver.py"
    script.write_text(_DRIVER.format(repo=str(REPO)), encoding="utf-8")
    folder = tmp_path / "lib"

    def start() -> tuple[subprocess.Popen[bytes], float]:
        process = subprocess.Popen(
            [sys.executable, str(script), address, str(folder), *pages],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert process.stdout is not None
        line = process.stdout.readline().split()
        assert line[:1] == [b"started"], process.stderr.read() if process.stderr else b""
        assert line[1] == b"2"  # a worker on each node
        return process, time.perf_counter()

    process, started = start()
    assert process.wait(timeout=300) == 0
    full = time.perf_counter() - started
    reference = Library(tmp_path / "here", HASH.load())
    ingest(reference, [Path(p) for p in pages])
    rng = random.Random(20261130)
    kills = 0
    for attempt in range(4):
        shutil.rmtree(folder)
        process, started = start()
        moment = rng.uniform(0.1, 0.9) * full
        try:
            process.wait(timeout=moment)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait()
            kills += 1
        with Library(folder, HASH.load()) as library:
            assert library.check() == [], f"after killed driver {attempt}"
            stored = len(library.transcript_ids())
        # The next run continues: it skips what was committed and completes the rest.
        process, _ = start()
        assert process.wait(timeout=300) == 0
        with Library(folder, HASH.load()) as library:
            assert library_differences(reference, library) == [], (attempt, stored)
    assert kills >= 2, f"only {kills} of 4 runs could be interrupted"
