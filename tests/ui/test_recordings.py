"""The UI's handlers with recordings: an uploaded recording plays with its transcript, the reader
opens at a cited utterance with the player, and the conversation exports (no browser)."""

from __future__ import annotations

import html
import json
import shutil
from pathlib import Path

import pytest

from embeddings.base import HashEncoder
from qa.runtime import build_assistant
from qa.settings import Settings
from qa.store.library import Library
from tests.ui.recording import make_recording
from ui.handlers import ChatSession, Handlers

STEM = "putin-nazarbayev-recording"


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_recording(tmp_path_factory.mktemp("rec"))


@pytest.fixture()
def handlers(tmp_path: Path) -> Handlers:
    library = Library(tmp_path / "lib", HashEncoder(64))
    settings = Settings(library=str(library.folder), embedding_model="hash:64")
    return Handlers(build_assistant(settings, library), settings)


def test_an_uploaded_recording_plays_with_its_transcript(
    handlers: Handlers, recording: tuple[Path, Path], tmp_path: Path
) -> None:
    wav, vtt = recording
    # As gradio hands uploads over: each in a folder of its own, under the client's name.
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "c").mkdir()
    up_vtt = Path(shutil.copy(vtt, tmp_path / "a" / vtt.name))
    up_wav = Path(shutil.copy(wav, tmp_path / "b" / wav.name))
    stray = tmp_path / "c" / "interview.ogg"
    stray.write_bytes(b"OggS" + b"\0" * 60)
    shown = html.unescape(handlers.upload([str(up_vtt), str(up_wav), str(stray)]))
    assert f"<b>{STEM}.wav</b> plays with <code>{STEM}</code>" in shown
    assert "<b>interview.ogg</b> no transcript named 'interview' in this upload" in shown
    assert handlers.media.source(STEM) is not None
    kept = handlers.media.path(f"{STEM}.wav")
    assert kept.read_bytes() == wav.read_bytes()

    # The reader at utterance 1 (Nazarbayev's three cues, merged): highlighted, with the player
    # cued from the library's file at the utterance's start.
    reader = handlers.open_reader(json.dumps({"tid": STEM, "u": 1, "end": 1}))
    assert 'class="r-utt cited target" id="ru-1"' in reader
    assert f'src="/gradio_api/file={kept}"' in reader
    assert 'data-start="15.626"' in reader
    # Opened from a citation of the utterance's last sentence: the player is cued to that
    # sentence's own cue, not to the turn's start.
    marks = handlers.library.transcript(STEM).utterances[1].marks
    assert len(marks) >= 2
    cited_s = marks[-1][1]
    cued = handlers.open_reader(json.dumps({"tid": STEM, "u": 1, "end": 1, "t": cited_s}))
    assert (
        f'data-start="{cited_s:.3f}"' in cued
        and 'data-start="15.626"' not in cued.split("reader-turns")[0]
    )
    bad = handlers.open_reader(json.dumps({"tid": STEM, "u": 1, "end": 1, "t": -5}))
    assert 'data-start="15.626"' in bad
    searched, request = handlers.search_reader("Russian doctors", json.dumps({"tid": STEM, "u": 0}))
    assert "1 utterance with" in searched and json.loads(request)["q"] == "Russian doctors"
    assert "no transcript" in handlers.open_reader(json.dumps({"tid": "missing", "u": 0}))
    assert "Open a transcript here" in handlers.open_reader("not json")

    # Removing the transcript deletes its recording.
    handlers.remove([STEM])
    assert not kept.exists()


def test_the_conversation_exports(handlers: Handlers, recording: tuple[Path, Path]) -> None:
    handlers.upload([str(recording[1]), str(recording[0])])
    session = ChatSession()
    for _ in handlers.respond("What did Nazarbayev say about Karaganda?", [], session):
        pass
    md_path, json_path = handlers.export_files(session, "http://127.0.0.1:7860")
    md = Path(md_path).read_text(encoding="utf-8")
    assert md.startswith("# Conversation\n\n## What did Nazarbayev say about Karaganda?\n")
    assert "(<http://127.0.0.1:7860/gradio_api/file=" in md and ".wav#t=18>)" in md
    data = json.loads(Path(json_path).read_text(encoding="utf-8"))
    assert data["turns"][0]["citations"][0]["start_s"] == pytest.approx(18.305)
    assert data["turns"][0]["links"]["1"].endswith(".wav#t=18")

    # Exported after every answer: the session's two files are rewritten in place, and each
    # session has a folder of its own, all inside the one folder the handlers remove.
    for _ in handlers.respond("And what did Putin answer?", [], session):
        pass
    again = handlers.export_files(session, "http://127.0.0.1:7860")
    assert again == (md_path, json_path)
    assert len(json.loads(Path(json_path).read_text(encoding="utf-8"))["turns"]) == 2
    other = handlers.export_files(ChatSession())
    assert Path(other[0]).parent != Path(md_path).parent
    assert Path(other[0]).parent.parent == Path(md_path).parent.parent
    assert sorted(p.name for p in Path(md_path).parent.iterdir()) == [
        "conversation.json",
        "conversation.md",
    ]
