"""Fixtures shared by the UI tests (tests/test_app.py, tests/test_browser.py).

Import the fixtures into a test module (`from tests.ui.browser_conftest import minilm`); the real
model is loaded once per session and every library below is built with it.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from benchmarks.serving import app_process
from embeddings.base import Encoder
from embeddings.offline import offline_env
from qa.ingest.pipeline import ingest
from qa.settings import Settings
from qa.store.library import Library

# A transcript whose text, speaker label and title try to become markup, Markdown or script.
XSS_TRANSCRIPT = """\
# Pineapple <script>window.__xss=5</script> notes [x](javascript:window.__xss=6)
Date: 2023-05-04

Mallory: <script>window.__xss=1</script> <img src=x onerror="window.__xss=2"> \
[click](javascript:window.__xss=3) tells about the pineapple harvest. The pineapple harvest \
this year was the largest in a decade, javascript:alert(1) said the farmers.

Trent: Thank you, Mallory. The pineapple growers of the valley will be pleased.
"""


@pytest.fixture(scope="session")
def minilm() -> Encoder:
    """The bundled all-MiniLM-L6-v2, loaded once for the session."""
    from embeddings.loading import load_encoder

    return load_encoder(Settings().embedding_model)


def build_library(folder: Path, encoder: Encoder, files: Sequence[Path]) -> Library:
    """A library in folder holding the files (every one must ingest)."""
    library = Library(folder, encoder)
    report = ingest(library, list(files))
    failed = [f.error for f in report.files if f.status == "failed"]
    assert not failed, failed
    return library


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def served(library: Library, settings: Settings) -> Iterator[str]:
    """The app over the library, served in this process on settings.port; yields its URL."""
    from qa.runtime import build_assistant
    from ui.server import build_app, launch

    demo = build_app(build_assistant(settings, library), settings)
    url = launch(demo, settings, prevent_thread_lock=True, quiet=True)
    try:
        yield url.rstrip("/")
    finally:
        demo.close()


@contextlib.contextmanager
def served_process(settings: Settings, log: Path, timeout_s: float = 180.0) -> Iterator[str]:
    """`python app.py` over settings.library on settings.port in a subprocess; yields its URL."""
    env = offline_env()
    args = ["--library", settings.library, "--host", settings.host, "--port", str(settings.port)]
    with app_process(args, env, log, timeout_s):
        yield f"http://{settings.host}:{settings.port}"
