"""Transcript parsers: detect a file's format, decode it, and parse it into a Transcript.

`parse_text` is pure; `read_transcript_file` is the I/O edge (bytes -> text -> Transcript).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO

from qa.errors import TranscriptFormatError
from qa.ingest.parsers._common import date_in_name, load_json
from qa.ingest.parsers.asr_json import json_kind, parse_assemblyai, parse_deepgram, parse_rev
from qa.ingest.parsers.court import court_score, parse_court
from qa.ingest.parsers.docx import docx_text, is_docx, parse_docx_text
from qa.ingest.parsers.hansard import looks_like_hansard, parse_hansard
from qa.ingest.parsers.kremlin_html import parse_kremlin_html
from qa.ingest.parsers.kremlin_text import looks_like_kremlin_text, parse_kremlin_text
from qa.ingest.parsers.plain import label_lines, parse_plain
from qa.ingest.parsers.qmsum import parse_qmsum
from qa.ingest.parsers.subtitles import parse_srt, parse_vtt
from qa.ingest.parsers.tabular import (
    looks_like_coraal,
    looks_like_rev_nlp,
    parse_coraal,
    parse_rev_nlp,
)
from qa.ingest.parsers.whisper import parse_whisper, segments_of
from qa.models import Transcript

__all__ = [
    "EXTENSIONS",
    "FORMATS",
    "PARSER_VERSION",
    "decode_bytes",
    "detect_format",
    "not_transcript_reason",
    "parse_text",
    "read_file_bytes",
    "read_transcript_file",
    "transcript_from_bytes",
]

# Part of every file's content hash (qa.ingest.pipeline): a library skips a file it has stored
# with the same hash, so without it an improved parser would never reach files ingested before
# (a front matter read as speech stays speech). Change it with any parser change that changes
# what an existing file parses to, or the sentences ingest stores for it (answer_spans: a
# change in how an utterance is cut into quotable sentences); the next ingest then re-parses
# every file, and the chunks whose text did not change come from the embedding cache.
PARSER_VERSION = "2026-12-06.1"

log = logging.getLogger(__name__)

FORMATS: tuple[str, ...] = (
    "kremlin-html",
    "kremlin-text",
    "plain",
    "qmsum",
    "vtt",
    "srt",
    "whisper",
    "deepgram",
    "assemblyai",
    "rev",
    "rev-nlp",
    "coraal",
    "court",
    "hansard",
    "docx",
)
EXTENSIONS: frozenset[str] = frozenset(
    {".html", ".htm", ".txt", ".md", ".json", ".vtt", ".srt", ".xml", ".nlp", ".tsv", ".docx"}
)

_PARSERS: dict[str, Callable[..., Transcript]] = {
    "kremlin-html": parse_kremlin_html,
    "kremlin-text": parse_kremlin_text,
    "plain": parse_plain,
    "qmsum": parse_qmsum,
    "vtt": parse_vtt,
    "srt": parse_srt,
    "whisper": parse_whisper,
    "deepgram": parse_deepgram,
    "assemblyai": parse_assemblyai,
    "rev": parse_rev,
    "rev-nlp": parse_rev_nlp,
    "coraal": parse_coraal,
    "court": parse_court,
    "hansard": parse_hansard,
    "docx": parse_docx_text,
}

_SRT_RE = re.compile(r"^\s*\d+\s*\n\s*\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}\s*-->", re.MULTILINE)
_HTML_RE = re.compile(r"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.I | re.S)

# Files that are certainly not text, by their first bytes.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document; export its text first"),
    (b"PK\x03\x04", "a ZIP archive (or a .docx/.xlsx file, which are ZIP archives)"),
    (b"PK\x05\x06", "an empty ZIP archive"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office document"),
    (b"ID3", "an MP3 audio file; transcribe it first (e.g. to Whisper JSON)"),
    (b"OggS", "an Ogg audio file; transcribe it first"),
    (b"fLaC", "a FLAC audio file; transcribe it first"),
    (b"RIFF", "a RIFF media file (WAV/AVI); transcribe it first"),
    (b"\x1a\x45\xdf\xa3", "a Matroska/WebM video; transcribe it first"),
)
_NUL_SCAN_BYTES = 8192
_HIGH_RUN_RE = re.compile(rb"[\x80-\xff]+")
_READ_BLOCK = 1 << 20
# A UTF-8 file with a few stray bytes (one real kremlin.ru page has one) is read with U+FFFD in
# their place and a warning; more than this is a file in another encoding and is refused.
_MAX_BAD_BYTES = 3
_MIN_BYTES_PER_BAD = 10_000


def _binary_kind(data: bytes) -> str | None:
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    if data[4:8] == b"ftyp":
        return "an MP4/M4A media file; transcribe it first"
    return None


def not_transcript_reason(path: Path) -> str:
    """Why a file found in a folder is not read as a transcript (its kind, or its extension)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(16)
    except OSError as exc:
        return f"cannot read it: {exc.strerror or exc}"
    kind = _binary_kind(head)
    suffix = path.suffix.lower() or "(none)"
    if kind:
        return f"not a transcript: {kind}"
    return (
        f"extension {suffix} is not one ingest reads ({', '.join(sorted(EXTENSIONS))}); "
        "if it is a transcript, rename it or ingest the file itself with --format"
    )


def _encoding_hint(data: bytes) -> str:
    """A guess for the message only; the bytes are never decoded with it."""
    high = [b for b in data if b >= 0x80]
    runs = _HIGH_RUN_RE.findall(data)
    # Accented letters of Western European text stand alone inside ASCII words ("café",
    # "Müller"); Cyrillic letters of Windows-1251 text come in runs, whole words.
    if runs and sum(len(r) == 1 for r in runs) / len(runs) > 0.6:
        return " (it looks like Latin-1/Windows-1252 text)"
    if high and sum(b >= 0xC0 for b in high) / len(high) > 0.6:
        try:
            sample = data.decode("cp1251")
        except UnicodeDecodeError:
            return ""
        cyrillic = sum("\u0400" <= ch <= "\u04ff" for ch in sample)
        if cyrillic >= 0.6 * len(high):
            return " (it looks like Windows-1251 Cyrillic text)"
    return ""


def _decode(data: bytes, source: str) -> tuple[str, list[str]]:
    """Text of the bytes and any warnings; TranscriptFormatError for binary or non-UTF text."""
    kind = _binary_kind(data)
    if kind:
        raise TranscriptFormatError(source, f"not a text file: this is {kind}")
    for bom, codec in (
        (b"\xff\xfe\x00\x00", "utf-32-le"),
        (b"\x00\x00\xfe\xff", "utf-32-be"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
    ):
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(codec), []
            except UnicodeDecodeError as exc:
                raise TranscriptFormatError(
                    source,
                    f"not valid {codec.upper()} text despite its byte-order mark "
                    f"(bad bytes at offset {exc.start + len(bom)}); re-save it as UTF-8",
                ) from exc
    nul = data.find(b"\x00", 0, _NUL_SCAN_BYTES)
    if nul >= 0:
        raise TranscriptFormatError(
            source,
            f"binary data, not text (NUL byte at offset {nul}); if it is UTF-16 text, "
            "re-save it as UTF-8",
        )
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        text = data.decode("utf-8", errors="replace")
        bad = text.count("\ufffd") - data.count("\ufffd".encode())
        if bad <= _MAX_BAD_BYTES and bad * _MIN_BYTES_PER_BAD <= len(data):
            warning = (
                f"{bad} byte(s) that are not UTF-8 (first: 0x{data[exc.start]:02x} at offset "
                f"{exc.start}) were replaced by U+FFFD"
            )
            log.warning("%s: %s", source, warning)
            return text, [warning]
        raise TranscriptFormatError(
            source,
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})"
            f"{_encoding_hint(data)}; re-save it as UTF-8",
        ) from exc


def decode_bytes(data: bytes, source: str) -> str:
    """Bytes -> text: UTF-8 (BOM optional) or UTF-16/32 with a BOM; binary is refused."""
    return _decode(data, source)[0]


def _json_format(text: str, source: str) -> str:
    data = load_json(text, source)
    if isinstance(data, dict) and "meeting_transcripts" in data:
        return "qmsum"
    kind = json_kind(data)
    if kind is not None:
        return kind
    segments = segments_of(data)
    if segments is not None and all(isinstance(s, dict) and "text" in s for s in segments[:5]):
        return "whisper"
    shape = (
        f"an object with keys {sorted(data)[:6]}"
        if isinstance(data, dict)
        else (f"a {type(data).__name__}")
    )
    raise TranscriptFormatError(
        source,
        f"JSON of the wrong shape ({shape}): expected QMSum "
        '({"meeting_transcripts": [{"speaker", "content"}, ...]}), Whisper '
        '({"segments": [{"start", "end", "text"}, ...]}), Deepgram, AssemblyAI or Rev JSON; '
        "for another tool's JSON, export it as SRT or WebVTT",
    )


def detect_format(text: str, filename: str = "") -> str:
    """The format of a transcript from its content, with the file extension as a hint."""
    source = filename or "<text>"
    ext = Path(filename).suffix.lower()
    body = text.lstrip("\ufeff \t\r\n")
    if not body:
        raise TranscriptFormatError(source, "empty file (no text)")
    if ext == ".json" or body[0] == "{" or (body[0] == "[" and body[1:2].strip() in ("", "{", "]")):
        return _json_format(body, source)
    if body.startswith("WEBVTT"):
        return "vtt"
    if looks_like_rev_nlp(body):
        return "rev-nlp"
    if looks_like_coraal(body):
        return "coraal"
    if looks_like_hansard(body):
        return "hansard"
    if _HTML_RE.match(body) or ext in (".html", ".htm"):
        if "read__in" in text or "kremlin.ru" in text[:50_000]:
            return "kremlin-html"
        raise TranscriptFormatError(
            source,
            "an HTML page that is not a kremlin.ru event page; save the transcript as text "
            "('Name: words' lines) instead",
        )
    if ext == ".vtt":
        raise TranscriptFormatError(source, "not WebVTT: the first line must start with WEBVTT")
    if _SRT_RE.search(body[:4000]) or ext == ".srt":
        return "srt"
    lines = body.splitlines()
    if looks_like_kremlin_text(lines):
        return "kremlin-text"
    if court_score(lines[:3000]):
        return "court"
    labelled = label_lines(body)
    if labelled >= 2 or (labelled == 1 and len([ln for ln in lines if ln.strip()]) <= 3):
        return "plain"
    if ext in (".txt", ".md"):
        return "plain"  # unlabelled text: read as narration
    raise TranscriptFormatError(
        source,
        "no transcript format fits: not WebVTT or SRT, not JSON of a known tool, not Hansard "
        "XML, and no 'Name: words' speaker labels; name the format with --format, or save it "
        "as .txt with one 'Name: words' line per turn",
    )


def parse_text(
    text: str,
    *,
    source: str,
    format: str | None = None,
    transcript_id: str | None = None,
) -> Transcript:
    """Parse transcript text; `source` names it in errors, the id defaults to its stem."""
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise TranscriptFormatError(source, "empty file (no text)")
    if format is not None and format not in _PARSERS:
        raise TranscriptFormatError(
            source, f"unknown format {format!r}; choose one of {', '.join(FORMATS)}"
        )
    fmt = format or detect_format(text, source)
    tid = transcript_id if transcript_id is not None else Path(source).stem or source
    if not tid.strip():
        raise TranscriptFormatError(source, f"transcript id must not be blank, got {tid!r}")
    return _PARSERS[fmt](text, source=source, transcript_id=tid)


def _read_bounded(handle: BinaryIO, size: int, max_bytes: int | None) -> bytes:
    """The file's bytes, at most max_bytes + 1 of them even when it grew after the size check.

    read(n) allocates n bytes before reading, so the first read asks for the size the file
    reported (plus one byte, to notice growth), never for the limit.
    """
    expected = size if max_bytes is None else min(size, max_bytes)
    data = handle.read(expected + 1)
    if len(data) <= expected:
        return data
    parts = [data]
    total = len(data)
    while max_bytes is None or total <= max_bytes:
        block = handle.read(_READ_BLOCK)
        if not block:
            break
        parts.append(block)
        total += len(block)
    return b"".join(parts)


def read_file_bytes(path: Path, *, max_bytes: int | None = None) -> bytes:
    """The bytes of a file, never more than max_bytes: a larger file is refused unread."""
    path = Path(path)
    source = str(path)
    if max_bytes is not None and max_bytes <= 0:
        raise ValueError(f"max_bytes must be a positive number of bytes, got {max_bytes}")
    try:
        if path.is_dir():
            raise TranscriptFormatError(source, "is a directory, not a transcript file")
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if max_bytes is not None and size > max_bytes:
                raise TranscriptFormatError(
                    source, f"file is {size:,} bytes, over the limit of {max_bytes:,} bytes"
                )
            data = _read_bounded(handle, size, max_bytes)
    except FileNotFoundError as exc:
        raise TranscriptFormatError(source, "file not found") from exc
    except OSError as exc:
        raise TranscriptFormatError(source, f"cannot read the file: {exc.strerror or exc}") from exc
    if max_bytes is not None and len(data) > max_bytes:
        raise TranscriptFormatError(
            source, f"file is over the limit of {max_bytes:,} bytes (it grew while read)"
        )
    if not data:
        raise TranscriptFormatError(source, "empty file (0 bytes)")
    return data


def transcript_from_bytes(
    data: bytes,
    path: Path,
    *,
    format: str | None = None,
    transcript_id: str | None = None,
) -> Transcript:
    """Decode and parse the bytes read from path; every failure is a TranscriptFormatError."""
    path = Path(path)
    source = str(path)
    warnings: list[str] = []
    if format in (None, "docx") and is_docx(data):
        text, format = docx_text(data, source), "docx"
    elif format == "docx" and data.startswith(b"PK"):
        raise TranscriptFormatError(source, "not a .docx document (no word/document.xml inside)")
    else:
        text, warnings = _decode(data, source)
    transcript = parse_text(
        text, source=source, format=format, transcript_id=transcript_id or path.stem
    )
    metadata = dict(transcript.metadata)
    if warnings:
        metadata["warnings"] = [*metadata.get("warnings", []), *warnings]
    date = transcript.date or date_in_name(path.stem) or date_in_name(transcript.title)
    return replace(transcript, source_path=source, metadata=metadata, date=date)


def read_transcript_file(
    path: Path,
    *,
    format: str | None = None,
    transcript_id: str | None = None,
    max_bytes: int | None = None,
) -> Transcript:
    """Read, decode and parse one transcript file; every failure is a TranscriptFormatError."""
    data = read_file_bytes(path, max_bytes=max_bytes)
    return transcript_from_bytes(data, path, format=format, transcript_id=transcript_id)
