"""Recordings: kept inside the library, found beside a transcript, read from the source's address;
nothing outside the library's media folder is ever handed out."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from embeddings.base import HashEncoder
from qa.errors import InputError, LibraryError
from qa.ingest.parsers import transcript_from_bytes
from qa.ingest.pipeline import ingest
from qa.models import Filters
from qa.store.library import Library
from qa.store.media import (
    MediaSource,
    MediaStore,
    find_beside,
    link_at,
    url_source,
    youtube_id,
)
from tests.conftest import require_shared

# A WAV header and a little silence: enough for the sniffing, not a test of audio.
WAV = (
    b"RIFF\x2c\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x22\x56\x00\x00"
    b"\x44\xac\x00\x00\x02\x00\x10\x00data\x08\x00\x00\x00" + b"\x00" * 8
)


@pytest.fixture()
def subtitles(tmp_path: Path) -> Path:
    """A real YouTube caption file (kazminigor1988/youtube-subtitles, via ../shared/data/real)
    under the yt-dlp name it had there."""
    source = require_shared("real", "youtube-chrome64-devtools.en.vtt")
    folder = tmp_path / "in"
    folder.mkdir()
    target = folder / "Chrome 64 - What's New in DevTools-90wNAn05Cf4.en.vtt"
    shutil.copyfile(source, target)
    return target


@pytest.fixture()
def library(tmp_path: Path, subtitles: Path) -> Library:
    lib = Library(tmp_path / "lib", HashEncoder(64))
    report = ingest(lib, [subtitles])
    assert report.count("failed") == 0
    return lib


def test_youtube_ids_from_yt_dlp_names() -> None:
    assert youtube_id("Chrome 64 - What's New in DevTools-90wNAn05Cf4.en.vtt") == "90wNAn05Cf4"
    assert youtube_id("/x/Opher Vishnia - JSConf Iceland 2018-JCATu2WkOq8.en.vtt") == "JCATu2WkOq8"
    assert youtube_id("Some talk [dQw4w9WgXcQ].en-GB.vtt") == "dQw4w9WgXcQ"
    assert youtube_id("medford-council-2013-06-05-first141cues.srt") is None
    assert youtube_id("3b1b-bitcoin.en.srt") is None
    assert youtube_id("board-notes12345.en.vtt") is None  # 11 characters, but no capital
    assert youtube_id("huntsville-council-2026-07-10-budget-work-session.captions.vtt") is None
    assert youtube_id(None) is None


def test_links_to_a_moment() -> None:
    video = MediaSource("t", "youtube", "90wNAn05Cf4")
    assert link_at(video, 727.6) == "https://www.youtube.com/watch?v=90wNAn05Cf4&t=727s"
    assert link_at(video, None) == "https://www.youtube.com/watch?v=90wNAn05Cf4"
    page = MediaSource("t", "page", "http://en.kremlin.ru/events/president/news/17108")
    assert link_at(page, 30) == page.location
    local = MediaSource("t", "file", "t.wav")
    assert link_at(local, 18.3, "/files/t.wav") == "/files/t.wav#t=18"


def test_a_kremlin_page_links_to_its_own_address() -> None:
    page = require_shared("kremlin", "html", "17108.html")
    transcript = transcript_from_bytes(page.read_bytes(), page)
    source = url_source(transcript.id, transcript.source_path, transcript.metadata)
    assert source == MediaSource(
        "17108", "page", "http://en.kremlin.ru/events/president/news/17108"
    )


def test_only_web_addresses_become_links() -> None:
    assert url_source("t", None, {"url": ["javascript:alert(1)"]}) is None
    assert url_source("t", None, {"url": ["file:///etc/passwd"]}) is None
    assert url_source("t", "notes.txt", {}) is None


def test_a_recording_beside_the_transcript_is_found(tmp_path: Path) -> None:
    (tmp_path / "talk.en.vtt").write_text("WEBVTT\n", encoding="utf-8")
    assert find_beside(tmp_path / "talk.en.vtt") is None
    (tmp_path / "talk.mp3").write_bytes(b"ID3")
    assert find_beside(tmp_path / "talk.en.vtt") == tmp_path / "talk.mp3"
    (tmp_path / "talk.en.ogg").write_bytes(b"OggS")
    assert find_beside(tmp_path / "talk.en.vtt") == tmp_path / "talk.en.ogg"


def test_a_recording_is_kept_inside_the_library(
    library: Library, subtitles: Path, tmp_path: Path
) -> None:
    store = MediaStore(library)
    tid = library.transcript_ids()[0]
    # Without a file: the YouTube video the file name names.
    assert store.source(tid) == MediaSource(tid, "youtube", "90wNAn05Cf4")
    recording = tmp_path / "elsewhere" / "talk.wav"
    recording.parent.mkdir()
    recording.write_bytes(WAV)
    attached = store.attach(tid, recording)
    kept = store.path(attached.location)
    assert kept.parent == (library.folder / "media").resolve()
    assert kept.read_bytes() == WAV
    assert store.source(tid) == attached
    # A hard link or a copy: the original may go. A changed transcript, ingested again (its
    # rows deleted and written anew), keeps its recording; removing it deletes the file.
    recording.unlink()
    with open(subtitles, "a", encoding="utf-8") as handle:
        handle.write("\n00:03:30.000 --> 00:03:31.000\nThanks for watching.\n")
    assert ingest(library, [subtitles]).files[0].status == "replaced"
    assert store.source(tid) == attached
    assert store.path(attached.location) == kept
    store.detach([tid])
    assert not kept.exists()
    assert store.source(tid) == MediaSource(tid, "youtube", "90wNAn05Cf4")


def test_nothing_outside_the_media_folder_is_handed_out(library: Library, tmp_path: Path) -> None:
    store = MediaStore(library)
    outside = tmp_path / "secret.wav"
    outside.write_bytes(WAV)
    (library.folder / "media").mkdir(exist_ok=True)
    (library.folder / "media" / "link.wav").symlink_to(outside)
    for name in ("../library.sqlite", str(outside), "link.wav", "", "."):
        with pytest.raises(LibraryError, match=r"refused|missing"):
            store.path(name)


def test_what_is_not_a_recording_is_refused(library: Library, tmp_path: Path) -> None:
    store = MediaStore(library)
    tid = library.transcript_ids()[0]
    text = tmp_path / "notes.mp3"
    text.write_text("not audio at all", encoding="utf-8")
    with pytest.raises(InputError, match=r"notes\.mp3: not a mp3 recording"):
        store.attach(tid, text)
    with pytest.raises(InputError, match=r"slides\.pdf: not a recording we can play"):
        store.attach(tid, tmp_path / "slides.pdf")
    with pytest.raises(InputError, match="no such file"):
        store.attach(tid, tmp_path / "missing.wav")
    good = tmp_path / "ok.wav"
    good.write_bytes(WAV)
    with pytest.raises(InputError, match="no transcript 'nope'"):
        store.attach("nope", good)


def test_a_time_filter_keeps_only_timed_chunks_in_range(library: Library) -> None:
    everything = library.filtered_chunk_ids(Filters(transcripts=tuple(library.transcript_ids())))
    first_minute = library.filtered_chunk_ids(Filters(from_s=0.0, to_s=60.0))
    later = library.filtered_chunk_ids(Filters(from_s=150.0))
    assert everything is not None and first_minute is not None and later is not None
    assert 0 < len(first_minute) < len(everything)
    assert 0 < len(later) < len(everything)
    starts = library.chunks([int(i) for i in first_minute])
    assert all(s.chunk.start_s is not None and s.chunk.start_s <= 60.0 for s in starts.values())
    assert library.has_times()


def test_utterance_marks_are_stored_and_read_back(tmp_path: Path) -> None:
    from embeddings.base import HashEncoder
    from qa.ingest.pipeline import ingest
    from qa.store.library import Library

    vtt = tmp_path / "talk.vtt"
    vtt.write_text(
        "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nWe opened the plant\n\n"
        "00:00:03.200 --> 00:00:05.000\nin Karaganda last spring.\n",
        encoding="utf-8",
    )
    library = Library(tmp_path / "library", HashEncoder(64))
    ingest(library, [vtt])
    (u,) = Library(tmp_path / "library", HashEncoder(64)).utterances("talk")
    assert u.text == "We opened the plant in Karaganda last spring."
    assert u.marks == ((20, 3.2),)
    assert (u.time_at(0), u.time_at(u.text.index("Karaganda"))) == (1.0, 3.2)
