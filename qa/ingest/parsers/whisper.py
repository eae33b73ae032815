"""Whisper / WhisperX JSON: `{"segments": [{"start", "end", "text", "speaker"?}]}` or a list."""

from __future__ import annotations

import math
from typing import Any

from qa.errors import TranscriptFormatError
from qa.ingest.parsers._common import Turn, collapse_ws, load_json, make_transcript, normalize_text
from qa.models import Transcript

FORMAT = "whisper"


def segments_of(data: Any) -> list[Any] | None:
    """The segment list of a Whisper result (an object with "segments", or a bare list)."""
    if isinstance(data, dict):
        segments = data.get("segments")
        return segments if isinstance(segments, list) else None
    return data if isinstance(data, list) else None


def _seconds(value: Any, *, source: str, i: int, key: str) -> float | None:
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
    turns: list[Turn] = []
    for i, seg in enumerate(segments):
        if not isinstance(seg, dict) or not isinstance(seg.get("text"), str):
            raise TranscriptFormatError(
                source, f'segments[{i}] has no "text" string: {str(seg)[:80]!r}'
            )
        speaker = seg.get("speaker")
        turns.append(
            Turn(
                collapse_ws(speaker) or None if isinstance(speaker, str) else None,
                normalize_text(seg["text"]),
                start_s=_seconds(seg.get("start"), source=source, i=i, key="start"),
                end_s=_seconds(seg.get("end"), source=source, i=i, key="end"),
            )
        )
    meta: dict[str, list[str]] = {}
    if isinstance(data, dict) and isinstance(data.get("language"), str):
        meta["language"] = [data["language"]]
    return make_transcript(
        turns,
        source=source,
        transcript_id=transcript_id,
        title=transcript_id,
        format=FORMAT,
        metadata=meta,
    )
