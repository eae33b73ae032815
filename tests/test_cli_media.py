"""The CLI with recordings: `tqa ingest --media`, a recording found beside a transcript, times on
citations, `tqa ask --format markdown`, a time range in a question, `tqa remove`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from qa.cli import main
from tests.conftest import require_shared
from tests.ui.recording import make_recording

STEM = "putin-nazarbayev-recording"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_recording(tmp_path_factory.mktemp("rec"))


def test_ingest_with_media_ask_in_markdown_and_remove(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], recording: tuple[Path, Path]
) -> None:
    wav, vtt = recording
    lib = tmp_path / "lib"
    base = ["--library", str(lib), "--model", "hash:64"]
    # The transcript alone in a folder (nothing beside it), its recording given with --media.
    alone = tmp_path / "in" / vtt.name
    alone.parent.mkdir()
    shutil.copyfile(vtt, alone)
    code, out, _ = run(capsys, *base, "ingest", str(alone), "--media", str(wav), "--json")
    report = json.loads(out)
    assert code == 0 and report["media"] == [{"transcript_id": STEM, "file": f"{STEM}.wav"}]
    assert (lib / "media" / f"{STEM}.wav").read_bytes() == wav.read_bytes()

    code, out, _ = run(
        capsys, *base, "ask", "What did Nazarbayev say about Karaganda?", "--format", "markdown"
    )
    assert code == 0
    assert "Karaganda" in out
    kept = (lib / "media" / f"{STEM}.wav").resolve().as_uri()
    assert f"[1] Nursultan Nazarbayev — *{STEM}*, 0:18 · `{STEM}#u1` · " in out
    assert f"[recording at 0:18](<{kept}#t=18>)" in out

    # A time range in the question: only what was said in it, and the answer says so.
    question = "What did Putin say about the future in the first ten seconds?"
    code, out, _ = run(capsys, *base, "ask", question)
    assert code == 0 and "filters: speaker: Vladimir Putin · time 0:00–0:10" in out
    assert f"0:06 {STEM}#u0" in out and "#u1" not in out

    code, out, _ = run(capsys, *base, "remove", STEM)
    assert code == 0 and not (lib / "media" / f"{STEM}.wav").exists()


def test_a_recording_beside_the_transcript_is_attached(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], recording: tuple[Path, Path]
) -> None:
    _wav, vtt = recording
    base = ["--library", str(tmp_path / "lib"), "--model", "hash:64"]
    page = require_shared("kremlin", "html", "17108.html")
    code, out, _ = run(capsys, *base, "ingest", str(vtt.parent), str(page))
    assert code == 0 and f"media    {STEM}  (recording {STEM}.wav)" in out
    code, out, _ = run(
        capsys, *base, "ask", "What did Putin say about the election campaign?", "--json"
    )
    assert code == 0
    cited = json.loads(out)["citations"]
    assert cited and all(c["start_s"] is None for c in cited if c["transcript_id"] == "17108")


def test_bad_media_is_refused_before_anything_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], recording: tuple[Path, Path]
) -> None:
    _wav, vtt = recording
    lib = tmp_path / "lib"
    base = ["--library", str(lib), "--model", "hash:64"]
    fake = tmp_path / "notes.mp3"
    fake.write_text("minutes of the meeting", encoding="utf-8")
    code, _, err = run(capsys, *base, "ingest", str(vtt), "--media", str(fake))
    assert (
        code == 2 and err == f"tqa: {fake}: not a mp3 recording (its first bytes say otherwise)\n"
    )
    code, _, err = run(capsys, *base, "ingest", str(vtt), str(vtt), "--media", str(fake))
    assert code == 2 and "--media goes with one transcript file" in err
    assert not lib.exists()
