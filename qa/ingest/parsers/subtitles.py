"""Subtitles: WebVTT and SRT cues -> utterances with start and end times."""

from __future__ import annotations

import re

from qa.errors import TranscriptFormatError
from qa.ingest.parsers._common import Turn, make_transcript, normalize_text, parse_clock
from qa.ingest.parsers._labels import split_label
from qa.models import Transcript

VTT = "vtt"
SRT = "srt"

_ARROW_RE = re.compile(r"^\s*(\S+)\s+-->\s+(\S+)(?:\s+.*)?$")
_VOICE_RE = re.compile(r"<v(?:\.[\w.-]+)?\s+([^>]+)>(.*?)(?:</v>|$)", re.IGNORECASE)
_INLINE_TIME_RE = re.compile(r"<\d{1,2}:\d{2}(?::\d{2})?[.,]\d{3}>")
_CLASS_TAG_RE = re.compile(r"</?(?:c|i|b|u|lang|ruby|rt|v|font|span)(?:[.\s][^>]*)?>", re.I)
_ASS_TAG_RE = re.compile(r"\{\\[^}]*\}")  # SRT files converted from ASS: "{\an8}"
_BRACKET_SPEAKER_RE = re.compile(r"^\[([A-Z][\w .'-]{0,40})\]\s*(.+)$")  # "[JOHN] Hello"


_CUE_TIME_RE = re.compile(r"(?:\d{1,3}:)?\d{1,2}:\d{2}[.,]\d{1,3}")


def _cue_time(value: str) -> float | None:
    """'00:01:02.500', '01:02,500' -> seconds; None unless it has that shape."""
    return parse_clock(value) if _CUE_TIME_RE.fullmatch(value) else None


def _clean(text: str) -> str:
    text = _INLINE_TIME_RE.sub("", text)
    text = _ASS_TAG_RE.sub("", text)
    text = _CLASS_TAG_RE.sub("", text)
    return normalize_text(text)


def _speaker_lines(payload: list[str]) -> list[tuple[str | None, str]]:
    """(speaker, text) pieces of one cue: a `<v Name>` tag or a 'NAME:' prefix per line."""
    pieces: list[tuple[str | None, str]] = []
    for raw in payload:
        voices = _VOICE_RE.findall(raw)
        if voices:
            for name, words in voices:
                pieces.append((normalize_text(name), _clean(words)))
            continue
        line = _clean(raw)
        if not line:
            continue
        dialogue = line[2:] if line.startswith("- ") else line  # "- Name: words" dialogue dash
        bracket = _BRACKET_SPEAKER_RE.match(dialogue)
        split = split_label(dialogue) if bracket is None else (bracket[1], bracket[2])
        if split is not None:
            pieces.append((split[0], split[1]))
        elif pieces:
            speaker, words = pieces[-1]
            pieces[-1] = (speaker, f"{words} {dialogue}".strip())
        else:
            pieces.append((None, dialogue))
    return pieces


def _parse_cues(text: str, *, source: str, fmt: str) -> list[Turn]:
    lines = text.splitlines()
    turns: list[Turn] = []
    speaker: str | None = None
    i = 0
    if fmt == VTT:
        while i < len(lines) and lines[i].strip():
            i += 1  # the WEBVTT line and its header ("Kind: captions", "Language: en")
    while i < len(lines):
        line = lines[i].strip()
        if not line:
            i += 1
            continue
        block_start = i
        block: list[str] = []
        while i < len(lines) and lines[i].strip():
            block.append(lines[i])
            i += 1
        head = block[0].strip()
        if fmt == VTT and (head.startswith(("NOTE", "STYLE", "REGION")) and "-->" not in head):
            continue
        # The timing line comes first, or second after a cue number (SRT) or identifier (VTT).
        timing_at = 0 if "-->" in head or len(block) == 1 else 1
        timing = block[timing_at]
        line_no = block_start + timing_at + 1
        match = _ARROW_RE.match(timing)
        start = _cue_time(match.group(1)) if match else None
        end = _cue_time(match.group(2)) if match else None
        if match is None or start is None or end is None:
            example = "00:00:01,000 --> 00:00:04,000" if fmt == SRT else "00:01.000 --> 00:04.000"
            raise TranscriptFormatError(
                source,
                f"malformed cue time on line {line_no}: {timing.strip()[:80]!r} "
                f"(expected like {example!r})",
            )
        for cue_speaker, words in _speaker_lines(block[timing_at + 1 :]):
            if cue_speaker is not None:
                speaker = cue_speaker
            if words:
                # A cue without its own speaker continues the previous speaker.
                turns.append(Turn(speaker, words, start_s=start, end_s=end))
    return turns


def parse_vtt(text: str, *, source: str, transcript_id: str) -> Transcript:
    """Parse WebVTT: `<v Name>` voice tags or 'NAME:' prefixes give speakers."""
    body = text.lstrip("\ufeff")
    if not body.startswith("WEBVTT"):
        raise TranscriptFormatError(source, "not WebVTT: the first line must start with WEBVTT")
    turns = _parse_cues(body, source=source, fmt=VTT)
    return make_transcript(
        turns, source=source, transcript_id=transcript_id, title=transcript_id, format=VTT
    )


def parse_srt(text: str, *, source: str, transcript_id: str) -> Transcript:
    """Parse SRT: numbered cues with '00:00:01,000 --> 00:00:04,000' timings."""
    turns = _parse_cues(text.lstrip("\ufeff"), source=source, fmt=SRT)
    return make_transcript(
        turns, source=source, transcript_id=transcript_id, title=transcript_id, format=SRT
    )
