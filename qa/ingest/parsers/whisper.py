"""Whisper / WhisperX JSON and other segment lists: `{"segments": [{"start", "end", "text"}]}`.

The segment list may sit inside an envelope (`{"bucket_name": ..., "result": {"segments": [...]}}`),
be a bare list, or use other common time keys (`start_time`/`end_time`, `startTime`/`endTime`,
`start_ms`/`end_ms`) in seconds or milliseconds. Segments are merged into sentence-complete
utterances (merging.py); a time or speaker that cannot be read is named in the metadata's
warnings, never dropped without a word.
"""

from __future__ import annotations

import math
import statistics
from typing import Any

from qa.errors import TranscriptFormatError
from qa.ingest.parsers._common import Turn, collapse_ws, load_json, make_transcript, normalize_text
from qa.ingest.parsers.merging import merge_pieces
from qa.models import Transcript

FORMAT = "whisper"

# (start key, end key) pairs, in the order they are tried.
TIME_KEYS: tuple[tuple[str, str], ...] = (
    ("start", "end"),
    ("start_time", "end_time"),
    ("startTime", "endTime"),
    ("start_ms", "end_ms"),
    ("start_s", "end_s"),
    ("ts", "end_ts"),
    ("begin", "end"),
)
SPEAKER_KEYS: tuple[str, ...] = ("speaker", "speaker_label", "speaker_name", "speaker_id", "spk")
_ENVELOPE_DEPTH = 3
# Integer times whose median segment lasts this many units or more are milliseconds: no ASR
# segment lasts a median of 50 seconds, and few last under 50 ms.
_MS_MEDIAN_UNITS = 50


def segments_of(data: Any, depth: int = 0) -> list[Any] | None:
    """The segment list of a Whisper result: "segments" of an object (also inside an
    envelope object such as {"result": {"segments": [...]}}), or a bare list."""
    if isinstance(data, list):
        return data if depth == 0 else None
    if not isinstance(data, dict):
        return None
    segments = data.get("segments")
    if isinstance(segments, list):
        return segments
    if depth >= _ENVELOPE_DEPTH:
        return None
    for value in data.values():
        if isinstance(value, dict):
            found = segments_of(value, depth + 1)
            if found is not None:
                return found
    return None


def _container_of(data: Any, segments: list[Any], depth: int = 0) -> dict[str, Any] | None:
    """The object holding the segment list (for its "language")."""
    if isinstance(data, dict) and depth <= _ENVELOPE_DEPTH:
        if data.get("segments") is segments:
            return data
        for value in data.values():
            found = _container_of(value, segments, depth + 1)
            if found is not None:
                return found
    return None


def _number(value: Any, *, source: str, i: int, key: str) -> float | None:
    if value is None:
        return None
    # JSON admits NaN and Infinity (and Python's json reads them): no time of a segment.
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
    ):
        raise TranscriptFormatError(
            source, f"segments[{i}].{key} should be a number of seconds, got {value!r}"
        )
    return float(value)


def time_keys(segments: list[dict[str, Any]]) -> tuple[str, str] | None:
    """The first (start, end) key pair that the segments use."""
    for start_key, end_key in TIME_KEYS:
        if any(start_key in s or end_key in s for s in segments):
            return start_key, end_key
    return None


def time_scale(segments: list[dict[str, Any]], keys: tuple[str, str]) -> tuple[float, str | None]:
    """(factor to seconds, a note saying why when not 1): milliseconds by key name or by size."""
    start_key, end_key = keys
    if start_key.endswith("_ms"):
        return 0.001, f"times read as milliseconds ({start_key}/{end_key})"
    values: list[tuple[int, int]] = [
        (s[start_key], s[end_key])
        for s in segments
        if isinstance(s.get(start_key), int) and isinstance(s.get(end_key), int)
    ]
    every_int = all(
        isinstance(s.get(k), int) and not isinstance(s.get(k), bool)
        for s in segments
        for k in keys
        if s.get(k) is not None
    )
    if every_int and values:
        median = statistics.median(max(0, end - start) for start, end in values)
        if median >= _MS_MEDIAN_UNITS:
            return 0.001, (
                f"times read as milliseconds ({start_key}/{end_key} are integers and the "
                f"median segment lasts {median:g} units)"
            )
    return 1.0, None


def _scaled(value: float | None, scale: float) -> float | None:
    """Seconds from the file's unit; milliseconds stay exact to the millisecond."""
    if value is None:
        return None
    return value if scale == 1.0 else round(value * scale, 3)


def speaker_of(segment: dict[str, Any], prefix: str = "Speaker ") -> str | None:
    """The segment's speaker label: a string as written, a number as 'Speaker N'."""
    for key in SPEAKER_KEYS:
        value = segment.get(key)
        if isinstance(value, str) and collapse_ws(value):
            return collapse_ws(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{prefix}{value}"
    return None


def parse_whisper(text: str, *, source: str, transcript_id: str) -> Transcript:
    """Parse Whisper or WhisperX output; the speaker is kept when diarisation gave one."""
    data = load_json(text, source)
    segments = segments_of(data)
    if segments is None:
        raise TranscriptFormatError(
            source,
            'not Whisper JSON: expected {"segments": [...]} or a list of '
            '{"start", "end", "text"} segments',
        )
    for i, seg in enumerate(segments):
        if not isinstance(seg, dict) or not isinstance(seg.get("text"), str):
            raise TranscriptFormatError(
                source, f'segments[{i}] has no "text" string: {str(seg)[:80]!r}'
            )
    keys = time_keys(segments)
    meta: dict[str, list[str]] = {}
    warnings: list[str] = []
    scale, note = time_scale(segments, keys) if keys else (1.0, None)
    if note:
        meta["time_unit"] = [note]
    if keys is None and segments:
        timeish = sorted({k for s in segments for k in s if "time" in k.lower() or k == "ts"})
        if timeish:
            warnings.append(f"segment times not read: unknown time keys {timeish[:4]}")
    pieces: list[Turn] = []
    for i, seg in enumerate(segments):
        start = end = None
        if keys is not None:
            start = _number(seg.get(keys[0]), source=source, i=i, key=keys[0])
            end = _number(seg.get(keys[1]), source=source, i=i, key=keys[1])
        pieces.append(
            Turn(
                speaker_of(seg),
                normalize_text(seg["text"]),
                start_s=_scaled(start, scale),
                end_s=_scaled(end, scale),
            )
        )
    container = _container_of(data, segments)
    if container is not None and isinstance(container.get("language"), str):
        meta["language"] = [container["language"]]
    meta["segments"] = [str(len(segments))]
    if warnings:
        meta["warnings"] = warnings
    return make_transcript(
        merge_pieces(pieces),
        source=source,
        transcript_id=transcript_id,
        title=transcript_id,
        format=FORMAT,
        metadata=meta,
    )
