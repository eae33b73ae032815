"""The UI server (app.py) in a subprocess, for tests and the benchmark."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def app_process(
    args: list[str], env: dict[str, str], log: Path, timeout_s: float = 180.0
) -> Iterator[subprocess.Popen[bytes]]:
    """`python app.py ARGS` until its port answers on 127.0.0.1; terminated afterwards."""
    import httpx

    port = int(args[args.index("--port") + 1])
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, str(REPO / "app.py"), *args],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"app.py exited with {process.returncode}:\n{log.read_text()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/config", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"app.py did not start in {timeout_s} s:\n{log.read_text()}")
            time.sleep(0.1)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
