"""Concurrency: two processes on one library (one writer at a time, readers unharmed while a
writer commits) and the served app under load from a second process (benchmarks/load_test.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from embeddings.base import Encoder, HashEncoder
from qa.errors import LibraryLockedError
from qa.ingest.pipeline import ingest, reindex, rename_speakers
from qa.retrieve.retriever import Retriever
from qa.settings import Settings
from qa.store.library import Library
from tests.conftest import REPO, require_shared, sample_paths
from tests.ui.browser_conftest import build_library, free_port, served

_HOLDER = """
import sys
from pathlib import Path
sys.path.insert(0, {repo!r})
from embeddings.base import HashEncoder
from qa.store.library import Library
library = Library(Path(sys.argv[1]), HashEncoder(64))
with library.write_lock():
    print("locked", flush=True)
    sys.stdin.readline()
print("released", flush=True)
"""

_WRITER = """
import sys
from pathlib import Path
sys.path.insert(0, {repo!r})
import qa.ingest.pipeline
from embeddings.base import HashEncoder
from qa.ingest.pipeline import ingest
from qa.store.library import Library
qa.ingest.pipeline.FILES_PER_COMMIT = 2  # many commits for the reader to run into
library = Library(Path(sys.argv[1]), HashEncoder(64))
print("started", flush=True)
report = ingest(library, [Path(p) for p in sys.argv[2:]])
print("failed", report.count("failed"), flush=True)
"""


def script(tmp_path: Path, name: str, source: str) -> Path:
    path = tmp_path / name
    path.write_text(source.format(repo=str(REPO)), encoding="utf-8")
    return path


@pytest.fixture()
def pages() -> list[Path]:
    kremlin = require_shared("kremlin", "html")
    return sorted(kremlin.glob("*.html"))[:30]


@pytest.fixture()
def holder(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    """Another process holding the write lock of a library (with the sample transcripts)."""
    folder = tmp_path / "library"
    ingest(Library(folder, HashEncoder(64)), sample_paths())
    process = subprocess.Popen(
        [sys.executable, str(script(tmp_path, "hold.py", _HOLDER)), str(folder)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "locked"
    try:
        yield process, folder
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


def test_a_second_writer_process_is_refused_with_a_clear_message(
    holder: tuple[subprocess.Popen[str], Path], tmp_path: Path
) -> None:
    process, folder = holder
    library = Library(folder, HashEncoder(64))
    before = library.transcript_ids()
    note = tmp_path / "note.txt"
    note.write_text("Alice: The budget meeting moved to Thursday.\n", encoding="utf-8")
    message = f"the library at {folder} is being written by process {process.pid}; try again"
    for write in (
        lambda: ingest(library, [note]),
        lambda: library.remove(before[:1]),
        lambda: reindex(library),
        lambda: rename_speakers(
            library, "meeting-with-nursultan-nazarbayev-2021-06-30", [("Vladimir Putin", "VVP")]
        ),
    ):
        with pytest.raises(LibraryLockedError) as refused:
            write()
        assert str(refused.value).startswith(message), str(refused.value)
    # Readers are not held up by the writer, and nothing changed.
    assert library.transcript_ids() == before and library.check() == []
    assert Retriever(library).retrieve("vaccines Karaganda", 3).passages
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write("\n")
    process.stdin.flush()
    assert process.stdout.readline().strip() == "released"
    assert ingest(library, [note]).count("added") == 1 and library.check() == []


def test_a_writer_killed_while_holding_the_lock_does_not_lock_the_library_forever(
    holder: tuple[subprocess.Popen[str], Path], tmp_path: Path
) -> None:
    process, folder = holder
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    note = tmp_path / "note.txt"
    note.write_text("Alice: The budget meeting moved to Thursday.\n", encoding="utf-8")
    library = Library(folder, HashEncoder(64))
    assert ingest(library, [note]).count("added") == 1  # the kernel released the dead lock
    assert library.check() == []


def test_a_reader_process_sees_a_consistent_library_while_another_ingests(
    tmp_path: Path, pages: list[Path]
) -> None:
    folder = tmp_path / "library"
    reader = Library(folder, HashEncoder(64))  # created first: the writer finds the schema
    writer = subprocess.Popen(
        [sys.executable, str(script(tmp_path, "write.py", _WRITER)), str(folder), *map(str, pages)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    retriever = Retriever(reader)
    rounds = 0
    generations: set[int] = set()
    counts: list[int] = []
    problems: list[str] = []
    try:
        while writer.poll() is None or rounds == 0:
            rounds += 1
            try:
                generations.add(reader.generation())
                problems += [f"round {rounds}: {p}" for p in reader.check()]
                infos = reader.transcripts()  # one statement: one snapshot
                counts.append(len(infos))
                for info in infos:
                    if info.chunk_count == 0 or info.utterance_count == 0:
                        problems.append(f"round {rounds}: {info.id} listed half-written")
                for passage in retriever.retrieve("Putin said about the economy", 5).passages:
                    if not passage.text.strip():
                        problems.append(f"round {rounds}: an empty passage {passage}")
            except Exception as exc:  # any error at all harms the reader
                problems.append(f"round {rounds}: {type(exc).__name__}: {exc}")
        out, err = writer.communicate(timeout=600)
    finally:
        if writer.poll() is None:
            writer.kill()
    assert writer.returncode == 0 and "failed 0" in out, err
    assert problems == []
    # The reader really ran during the commits, and never saw the library shrink.
    assert len(generations) >= 3, f"{rounds} reads saw generations {sorted(generations)}"
    assert counts == sorted(counts)
    assert sorted(reader.transcript_ids()) == sorted(p.stem for p in pages)
    assert reader.check() == []
    print(f"reader: {rounds} rounds over {len(generations)} index generations, no error")


# --------------------------------------------------------------------------- the app under load

LOAD_SECONDS = 30  # the script's default is 60 s; half keeps the suite's time reasonable

UPLOAD = """\
# Harbour council
Date: 2024-03-01

Harriet Quill: The lighthouse keepers of Skerryvore counted four hundred puffins on the north \
cliff this spring, and the harbour budget will pay for a new landing stage.
Tobias Finch: The fishermen welcome the landing stage and ask for it before the herring season.
"""


@pytest.mark.slow
def test_twenty_conversations_under_load_with_an_upload_stay_apart(
    tmp_path_factory: pytest.TempPathFactory, real_encoder: Encoder, tmp_path: Path
) -> None:
    library = build_library(tmp_path_factory.mktemp("load-library"), real_encoder, sample_paths())
    upload = tmp_path / "harbour-council.txt"
    upload.write_text(UPLOAD, encoding="utf-8")
    settings = Settings(library=str(library.folder), port=free_port())
    with served(library, settings) as url:
        assert url.startswith("http://127.0.0.1:")
        command = [
            sys.executable,
            "-m",
            "benchmarks.load_test",
            "--url",
            url,
            "--conversations",
            "20",
            "--seconds",
            str(LOAD_SECONDS),
            "--upload",
            str(upload),
            "--json",
        ]
        started = time.monotonic()
        done = subprocess.run(
            command, cwd=REPO, capture_output=True, text=True, timeout=LOAD_SECONDS + 600
        )
        took = time.monotonic() - started
    assert done.stdout, done.stderr
    summary = json.loads(done.stdout)
    print(
        f"load: {summary['conversations']} conversations, {summary['requests']} requests in "
        f"{took:.0f} s, p50 {summary['latency_s']['p50']} s, p95 {summary['latency_s']['p95']} s, "
        f"{summary['isolation_checks']} isolation checks"
    )
    assert summary["errors"] == []
    assert summary["isolation_violations"] == []
    assert done.returncode == 0, done.stderr
    kinds = summary["requests_by_kind"]
    assert kinds.get("ask", 0) >= 10 and kinds.get("chat", 0) >= 20 and kinds.get("upload") == 1
    assert summary["isolation_checks"] >= 20
    assert summary["upload"]["transcript_id"] == "harbour-council"
    assert "harbour-council" in library.transcript_ids() and library.check() == []
