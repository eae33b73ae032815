"""Ingest on a real Ray cluster of two nodes started with `ray start` on this machine (a head
and a second node, one CPU each): the CLI joins it, and a driver killed at random moments leaves
the library whole. No mocks of Ray.

The cluster serves the module. Its processes are ended by their process groups (`ray start
--block` in a session of its own), never by `ray stop`, which would end every Ray of the machine.
"""

from __future__ import annotations

import contextlib
import json
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
from qa.ingest.pipeline import ingest
from qa.store.library import Library
from tests.conftest import REPO, require_shared, sample_paths

pytest.importorskip(
    "ray", reason="Ray is not installed: pip install 'transcript-qa[scale]' (make test does)"
)

HASH = EncoderSpec("hash:64")  # the tests' deterministic encoder, loaded by the workers too
RAY_BIN = Path(sys.executable).with_name("ray")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    """End `ray start --block` processes and every process each started (its process group)."""
    # (SIGTERM ends a raylet, but the head's GCS outlives it: SIGKILL after a short wait.)
    for sig, wait in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 5.0)):
        for process in processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and any(_alive(p) for p in processes):
            time.sleep(0.2)
    for process in processes:
        process.poll()


def _alive(process: subprocess.Popen[bytes]) -> bool:
    """Whether a process of its group is still running (zombies aside)."""
    found = subprocess.run(
        ["ps", "-o", "stat=", "-g", str(process.pid)], capture_output=True, text=True
    )
    return any(not stat.startswith("Z") for stat in found.stdout.split())


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
        _stop(nodes)
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
    """SIGKILL the driver of a Ray ingest at random moments, each run continuing the killed
    one: the library opens whole after every kill, and the last run completes it to the library
    of a run never killed (itself the library of a local ingest, as the tests above show)."""
    address, env = cluster
    kremlin = require_shared("kremlin", "html")
    pages = [str(p) for p in sorted(kremlin.glob("*.html"))[:6]]
    script = tmp_path / "driver.py"
    script.write_text(_DRIVER.format(repo=str(REPO)), encoding="utf-8")

    def start(folder: Path) -> tuple[subprocess.Popen[bytes], float]:
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

    process, started = start(tmp_path / "never-killed")
    assert process.wait(timeout=300) == 0
    full = time.perf_counter() - started
    rng = random.Random(20261130)
    folder = tmp_path / "lib"
    kills = 0
    for attempt in range(3):
        process, started = start(folder)
        try:
            process.wait(timeout=rng.uniform(0.05, 0.6) * full)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait()
            kills += 1
        with Library(folder, HASH.load()) as library:
            assert library.check() == [], f"after killed driver {attempt}"
    assert kills >= 2, f"only {kills} of 3 runs could be interrupted"
    # The next run continues: it skips what was committed and completes the rest.
    process, _ = start(folder)
    assert process.wait(timeout=300) == 0
    with (
        Library(tmp_path / "never-killed", HASH.load()) as reference,
        Library(folder, HASH.load()) as library,
    ):
        assert library_differences(reference, library) == []
