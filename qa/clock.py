"""Times into a recording as people write them: `1:02:03`, `12:07`, `01:02:03,500`, `83.2`.

One reader for the parsers (cue and stamp times) and the questions ("at 12:07"), so a time a
user types and a time a transcript gives are read by the same rules.
"""

from __future__ import annotations

import math
import re

_CLOCK_RE = re.compile(r"(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)")
_SECONDS_RE = re.compile(r"\d+(?:\.\d+)?")


def parse_clock(value: str) -> float | None:
    """'01:02:03.5', '01:02:03,500', '02:03' or '83.2' -> seconds; None when malformed
    (minutes or seconds of 60 and more under a larger unit are a typo, not a time)."""
    text = value.strip().replace(",", ".")
    if match := _CLOCK_RE.fullmatch(text):
        hours = int(match.group(1) or 0)
        minutes = int(match.group(2))
        seconds = float(match.group(3))
        if minutes >= 60 or seconds >= 60:
            return None
        return hours * 3600 + minutes * 60 + seconds
    if _SECONDS_RE.fullmatch(text):
        return float(text)
    return None


def clock(seconds: float | None) -> str:
    """`1:02:03` or `12:07` for a time into a recording; empty when unknown."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return ""
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
