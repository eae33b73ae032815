"""Format detection, decoding, and the errors bad files raise."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.errors import TranscriptFormatError
from qa.ingest.parsers import (
    EXTENSIONS,
    FORMATS,
    decode_bytes,
    detect_format,
    parse_text,
    read_transcript_file,
)

SRT = "1\n00:00:01,000 --> 00:00:04,000\nJOHN: Good evening.\n"
VTT = "WEBVTT\n\n00:01.000 --> 00:04.000\n<v Alice>Hello.\n"
WHISPER = json.dumps({"segments": [{"start": 0.0, "end": 1.5, "text": " Hello."}]})
PLAIN = "Alice: Shall we start?\nBob: Yes, let's.\n"
RUSSIAN = "Президент России Владимир Путин: Добрый день, уважаемые коллеги!\n"


def test_public_constants() -> None:
    # Formats are only ever added (--format names are part of the CLI): the first seven stay.
    first = ("kremlin-html", "kremlin-text", "plain", "qmsum", "vtt", "srt", "whisper")
    assert FORMATS[:7] == first
    assert FORMATS[7:] == (
        "deepgram",
        "assemblyai",
        "rev",
        "rev-nlp",
        "coraal",
        "court",
        "hansard",
        "docx",
    )
    assert {".html", ".htm", ".txt", ".md", ".json", ".vtt", ".srt"} < EXTENSIONS
    assert {".xml", ".nlp", ".tsv", ".docx"} < EXTENSIONS


def test_detects_each_real_file_kind(seed_file: Path, kremlin_dir: Path, qmsum_dir: Path) -> None:
    seed = seed_file.read_text(encoding="utf-8")
    assert detect_format(seed, seed_file.name) == "kremlin-text"
    assert detect_format(seed) == "kremlin-text"  # from content alone
    page = (kremlin_dir / "17108.html").read_text(encoding="utf-8")
    assert detect_format(page, "17108.html") == "kremlin-html"
    assert detect_format(page) == "kremlin-html"
    meeting = (qmsum_dir / "Bed002.json").read_text(encoding="utf-8")
    assert detect_format(meeting, "Bed002.json") == "qmsum"
    assert detect_format(meeting) == "qmsum"


@pytest.mark.parametrize(
    ("text", "filename", "expected"),
    [
        (SRT, "a.srt", "srt"),
        (SRT, "", "srt"),
        (VTT, "a.vtt", "vtt"),
        (VTT, "", "vtt"),
        (WHISPER, "a.json", "whisper"),
        (WHISPER, "", "whisper"),
        (json.dumps([{"start": 0, "end": 1, "text": "Hi."}]), "", "whisper"),
        (PLAIN, "a.txt", "plain"),
        (PLAIN, "", "plain"),
        ("[00:00:05] Alice: Hello.\n[00:00:07] Bob: Hi.\n", "", "plain"),
        ("\ufeffAlice: Hello.\nBob: Hi.\n", "a.md", "plain"),
    ],
)
def test_detects_small_files(text: str, filename: str, expected: str) -> None:
    assert detect_format(text, filename) == expected


def test_kremlin_text_is_told_apart_from_plain_labelled_text(seed_file: Path) -> None:
    body = [line for line in seed_file.read_text(encoding="utf-8").splitlines()]
    # Only the labelled transcript lines, without the header's date/time or the footer.
    transcript = "\n".join(body[8:25])
    assert detect_format(transcript, "excerpt.txt") == "plain"


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.txt", b"", "empty file"),
        ("blank.txt", b"  \n\n", "empty file"),
        ("picture.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG image"),
        ("minutes.txt", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF document"),
        ("nul.txt", b"Alice: hi\x00\x00\x00", "NUL byte at offset 9"),
        ("russian.txt", RUSSIAN.encode("cp1251"), "not UTF-8 text (byte 0xcf at offset 0)"),
        ("broken.json", b'{"segments": [', "invalid JSON at line 1"),
        ("shape.json", b'{"utterances": []}', "JSON of the wrong shape"),
        ("shape2.json", b'{"meeting_transcripts": {"speaker": "A"}}', "meeting_transcripts"),
        (
            "bad-time.srt",
            b"1\n00:00:01,000 --> 00:00:04;000\nHi.\n",
            "malformed cue time on line 2",
        ),
        ("page.html", b"<html><body><p>Hello</p></body></html>", "not a kremlin.ru event page"),
        ("bad.vtt", b"1\n00:00:01.000 --> 00:00:02.000\nHi\n", "must start with WEBVTT"),
        ("words", b"just some words with no labels at all", "no transcript format fits"),
    ],
)
def test_bad_files_raise_with_name_and_reason(
    tmp_path: Path, name: str, data: bytes, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(TranscriptFormatError) as caught:
        read_transcript_file(path)
    message = str(caught.value)
    assert name in message
    assert reason in message
    assert caught.value.source == str(path)


def test_zip_is_refused(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("transcript.txt", PLAIN)
    path = tmp_path / "transcripts.zip"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(TranscriptFormatError, match=r"transcripts\.zip: not a text file: .*ZIP"):
        read_transcript_file(path)


def test_cp1251_is_refused_with_a_hint() -> None:
    with pytest.raises(TranscriptFormatError) as caught:
        decode_bytes(RUSSIAN.encode("cp1251"), "putin.txt")
    assert "Windows-1251" in caught.value.reason
    assert "re-save it as UTF-8" in caught.value.reason


def test_truncated_real_page_raises(kremlin_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "17108.html"
    path.write_bytes((kremlin_dir / "17108.html").read_bytes()[:3000])
    with pytest.raises(TranscriptFormatError) as caught:
        read_transcript_file(path)
    assert "17108.html" in str(caught.value)
    assert "truncated HTML" in caught.value.reason


def test_page_cut_inside_the_transcript_raises(kremlin_dir: Path) -> None:
    page = (kremlin_dir / "17108.html").read_text(encoding="utf-8")
    cut = page[: page.index("read__bottommeta") - 2000]
    with pytest.raises(TranscriptFormatError, match="inside the transcript"):
        parse_text(cut, source="17108.html")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (PLAIN.encode("utf-8"), PLAIN),
        (b"\xef\xbb\xbf" + PLAIN.encode("utf-8"), PLAIN),
        (RUSSIAN.encode("utf-8"), RUSSIAN),
        (RUSSIAN.encode("utf-16"), RUSSIAN),  # with a byte-order mark
        (b"\xfe\xff" + RUSSIAN.encode("utf-16-be"), RUSSIAN),
    ],
)
def test_decodes_utf8_and_utf16_with_bom(data: bytes, expected: str) -> None:
    assert decode_bytes(data, "x.txt") == expected


def test_utf16_without_bom_is_refused() -> None:
    with pytest.raises(TranscriptFormatError, match="NUL byte"):
        decode_bytes(RUSSIAN.encode("utf-16-le"), "x.txt")


def test_max_bytes_and_missing_files(tmp_path: Path) -> None:
    path = tmp_path / "meeting.txt"
    path.write_text(PLAIN, encoding="utf-8")
    assert read_transcript_file(path, max_bytes=len(PLAIN)).id == "meeting"
    size = len(PLAIN.encode("utf-8"))
    with pytest.raises(TranscriptFormatError, match=rf"meeting\.txt: file is {size} bytes, over"):
        read_transcript_file(path, max_bytes=10)
    with pytest.raises(TranscriptFormatError, match=r"gone\.txt: file not found"):
        read_transcript_file(tmp_path / "gone.txt")
    with pytest.raises(TranscriptFormatError, match="is a directory"):
        read_transcript_file(tmp_path)
    with pytest.raises(ValueError, match="max_bytes must be a positive number of bytes, got 0"):
        read_transcript_file(path, max_bytes=0)


def test_parse_text_options(tmp_path: Path) -> None:
    t = parse_text(PLAIN, source="notes/meeting-2024.txt")
    assert (t.id, t.title, t.format, t.source_path) == (
        "meeting-2024",
        "meeting-2024",
        "plain",
        None,
    )
    assert parse_text(PLAIN, source="x.txt", transcript_id="m1").id == "m1"
    forced = parse_text("Alice: hi\n", source="x.srt", format="plain")
    assert forced.format == "plain"
    with pytest.raises(TranscriptFormatError, match="unknown format 'pdf'; choose one of"):
        parse_text(PLAIN, source="x.txt", format="pdf")
    path = tmp_path / "standup.md"
    path.write_text(PLAIN, encoding="utf-8")
    read = read_transcript_file(path)
    assert (read.id, read.source_path) == ("standup", str(path))


def test_wrong_format_forced_gives_a_clear_error() -> None:
    with pytest.raises(TranscriptFormatError, match=r"x\.txt: not a QMSum meeting"):
        parse_text(WHISPER, source="x.txt", format="qmsum")
    with pytest.raises(TranscriptFormatError, match=r"x\.txt: not WebVTT"):
        parse_text(PLAIN, source="x.txt", format="vtt")
    with pytest.raises(TranscriptFormatError, match=r"x\.txt: not HTML"):
        parse_text(PLAIN, source="x.txt", format="kremlin-html")


_PIECES = st.sampled_from(
    [
        *'abAB :\n-<>/[](){}",.0123456789*&;#_',
        *("-->", "WEBVTT", "<b>", "</b>", "SPEAKER_00", "Vladimir Putin", "\u00a0", "<…>"),
        *('"segments"', '"meeting_transcripts"', "00:00:01,000"),
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    text=st.lists(_PIECES, max_size=40).map("".join),
    name=st.sampled_from(["a.txt", "a.srt", "a.vtt", "a.json", "a.html", "a"]),
    fmt=st.sampled_from([None, *FORMATS]),
)
def test_any_text_parses_or_raises_a_format_error(text: str, name: str, fmt: str | None) -> None:
    try:
        transcript = parse_text(text, source=name, format=fmt)
    except TranscriptFormatError as exc:
        assert exc.source == name
    else:
        assert transcript.utterances
        assert [u.index for u in transcript.utterances] == list(range(len(transcript.utterances)))


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=300))
def test_any_bytes_decode_or_raise_a_format_error(data: bytes) -> None:
    try:
        decode_bytes(data, "blob.bin")
    except TranscriptFormatError as exc:
        assert exc.source == "blob.bin"


def test_markdown_that_names_hansard_tags_is_not_xml() -> None:
    from qa.ingest.parsers import detect_format

    note = "# Notes\n\nSpeeches sit in `<membercontribution>` after `<member>`.\n\nAnn: Agreed.\n"
    assert detect_format(note, "notes.md") == "plain"
