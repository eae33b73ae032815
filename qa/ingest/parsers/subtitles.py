"""Subtitles: WebVTT and SRT cues -> utterances with start and end times.

Cues are read leniently where real exports differ from the specification (Teams' unpadded
`0:0:1.130` times, YouTube's one-space line after the timing, Webex's speaker in the cue
identifier), then YouTube's rolling captions are reduced to the words said once, and the cues
are merged into sentence-complete utterances (see merging.py).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from qa.clock import parse_clock
from qa.errors import TranscriptFormatError
from qa.ingest.parsers._common import Turn, make_transcript, normalize_text
from qa.ingest.parsers._labels import split_label
from qa.ingest.parsers.merging import merge_pieces
from qa.models import Transcript

VTT = "vtt"
SRT = "srt"

_ARROW_RE = re.compile(r"^\s*(\S+)\s+-->\s+(\S+)(?:\s+.*)?$")
_VOICE_RE = re.compile(r"<v(?:\.[\w.-]+)?\s+([^>]+)>(.*?)(?:</v>|$)", re.IGNORECASE)
_INLINE_TIME_RE = re.compile(r"<\d{1,2}:\d{2}(?::\d{2})?[.,]\d{3}>")
_CLASS_TAG_RE = re.compile(r"</?(?:c|i|b|u|lang|ruby|rt|v|font|span)(?:[.\s][^>]*)?>", re.I)
_ASS_TAG_RE = re.compile(r"\{\\[^}]*\}")  # SRT files converted from ASS: "{\an8}"
# "[JOHN] Hello", and WhisperX's "[SPEAKER_00]: Hello".
_BRACKET_SPEAKER_RE = re.compile(r"^\[([A-Z][\w .'-]{0,40})\]:?\s*(.+)$")
# Webex puts the speaker in the cue identifier: `12 "Name Surname" (1063281152)`.
_WEBEX_ID_RE = re.compile(r'^\d+\s+"([^"]{1,80})"(?:\s+\(\d+\))?\s*$')
# Hours optional; minutes and seconds one or two digits: Teams writes `0:0:0.210`.
_CUE_TIME_RE = re.compile(r"(?:\d{1,3}:)?\d{1,2}:\d{1,2}[.,]\d{1,3}")
# A whole caption line that only describes sound: "[MUSIC PLAYING]", "(applause)", "♪ ... ♪".
_NON_SPEECH_RE = re.compile(r"^(?:\[[^\]]*\]|\([^)]*\)|♪[^♪]*♪?|♪)$")
# A share of cues opening with a line of the previous cue, above which captions roll.
_ROLLING_SHARE = 0.3


def _cue_time(value: str) -> float | None:
    """'00:01:02.500', '01:02,500', '0:0:1.130' -> seconds; None unless it has that shape."""
    return parse_clock(value) if _CUE_TIME_RE.fullmatch(value) else None


def _clean(text: str) -> str:
    text = _INLINE_TIME_RE.sub("", text)
    text = _ASS_TAG_RE.sub("", text)
    text = _CLASS_TAG_RE.sub("", text)
    return normalize_text(text)


@dataclass
class _Cue:
    start: float
    end: float
    ident_speaker: str | None
    lines: list[str]  # raw payload lines


def _turn_marker(line: str) -> tuple[bool, str]:
    """('- words' or '>> words') -> (True, 'words'): the captioner marks a new speaker."""
    if line.startswith(">>"):
        return True, line.lstrip(">").strip()
    if line.startswith("- "):
        return True, line[2:]
    return False, line


def _speaker_lines(payload: list[str]) -> list[tuple[str | None, str, bool]]:
    """(speaker, text, new turn) pieces of one cue: a `<v Name>` tag or a 'NAME:' prefix."""
    pieces: list[tuple[str | None, str, bool]] = []
    for raw in payload:
        voices = _VOICE_RE.findall(raw)
        if voices:
            for name, words in voices:
                pieces.append((normalize_text(name), _clean(words), False))
            continue
        line = _clean(raw)
        if not line:
            continue
        marked, dialogue = _turn_marker(line)
        bracket = _BRACKET_SPEAKER_RE.match(dialogue)
        split = split_label(dialogue) if bracket is None else (bracket[1], bracket[2])
        if split is not None:
            pieces.append((split[0], split[1], marked))
        elif pieces and not marked:
            speaker, words, was_marked = pieces[-1]
            pieces[-1] = (speaker, f"{words} {dialogue}".strip(), was_marked)
        else:
            pieces.append((None, dialogue, marked))
    return pieces


def _blocks(lines: list[str], start: int) -> list[tuple[int, list[str]]]:
    """(first line index, lines) of each blank-line separated block.

    A whitespace-only line right after a timing line is the cue's first (empty) payload line,
    as YouTube writes it, not the end of the cue.
    """
    blocks: list[tuple[int, list[str]]] = []
    i = start
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        first = i
        block: list[str] = []
        while i < len(lines) and (lines[i].strip() or (block and "-->" in block[-1])):
            block.append(lines[i])
            i += 1
        blocks.append((first, block))
    return blocks


def _read_cues(text: str, *, source: str, fmt: str) -> list[_Cue]:
    lines = text.splitlines()
    i = 0
    if fmt == VTT:
        while i < len(lines) and lines[i].strip():
            i += 1  # the WEBVTT line and its header ("Kind: captions", "Language: en")
    cues: list[_Cue] = []
    for block_start, block in _blocks(lines, i):
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
        ident = _WEBEX_ID_RE.match(head) if timing_at == 1 else None
        speaker = normalize_text(ident.group(1)) if ident else None
        cues.append(_Cue(start, end, speaker or None, block[timing_at + 1 :]))
    return cues


def _is_rolling(cue_lines: list[list[str]]) -> bool:
    """Whether the captions roll: most cues repeat a line of the cue before (YouTube auto)."""
    repeats = sum(1 for before, now in itertools.pairwise(cue_lines) if now and now[0] in before)
    return len(cue_lines) >= 3 and repeats >= _ROLLING_SHARE * (len(cue_lines) - 1)


def _unrolled(cues: list[_Cue]) -> tuple[list[_Cue], int]:
    """Rolling captions with each line kept once (at its first cue); (cues, lines dropped)."""
    cleaned = [[c for c in (_clean(line) for line in cue.lines) if c] for cue in cues]
    if not _is_rolling(cleaned):
        return cues, 0
    out: list[_Cue] = []
    dropped = 0
    previous: list[str] = []
    for cue, lines in zip(cues, cleaned, strict=True):
        fresh = [line for line in lines if line not in previous]
        dropped += len(lines) - len(fresh)
        previous = lines
        if fresh:
            out.append(_Cue(cue.start, cue.end, cue.ident_speaker, fresh))
    return out, dropped


def _parse_cues(text: str, *, source: str, fmt: str) -> tuple[list[Turn], dict[str, list[str]]]:
    cues, dropped = _unrolled(_read_cues(text, source=source, fmt=fmt))
    meta: dict[str, list[str]] = {"cues": [str(len(cues))]}
    if dropped:
        meta["rolling_captions"] = [f"{dropped} repeated caption lines dropped"]
    pieces: list[Turn] = []
    speaker: str | None = None
    non_speech: list[str] = []
    for cue in cues:
        if cue.ident_speaker is not None:
            speaker = cue.ident_speaker
        for cue_speaker, words, marked in _speaker_lines(cue.lines):
            if cue_speaker is not None:
                speaker = cue_speaker
            elif marked:
                speaker = None  # a new, unnamed speaker
            if _NON_SPEECH_RE.match(words):
                non_speech.append(words)
            elif words:
                # A cue without its own speaker continues the previous speaker.
                pieces.append(Turn(speaker, words, cue.start, cue.end, new_turn=marked))
    if non_speech:
        meta["non_speech"] = non_speech  # sound descriptions, kept out of the utterances
    return merge_pieces(pieces), meta


def parse_vtt(text: str, *, source: str, transcript_id: str) -> Transcript:
    """Parse WebVTT: `<v Name>` voice tags, 'NAME:' prefixes or Webex cue ids give speakers."""
    body = text.lstrip("\ufeff")
    if not body.startswith("WEBVTT"):
        raise TranscriptFormatError(source, "not WebVTT: the first line must start with WEBVTT")
    turns, meta = _parse_cues(body, source=source, fmt=VTT)
    return make_transcript(
        turns,
        source=source,
        transcript_id=transcript_id,
        title=transcript_id,
        format=VTT,
        metadata=meta,
    )


def parse_srt(text: str, *, source: str, transcript_id: str) -> Transcript:
    """Parse SRT: numbered cues with '00:00:01,000 --> 00:00:04,000' timings."""
    turns, meta = _parse_cues(text.lstrip("\ufeff"), source=source, fmt=SRT)
    return make_transcript(
        turns,
        source=source,
        transcript_id=transcript_id,
        title=transcript_id,
        format=SRT,
        metadata=meta,
    )
