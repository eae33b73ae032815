"""Times into a recording that a question names: "around minute 12", "in the first ten minutes",
"between minute 5 and 10", "at 12:07", "after the first hour".

Pure functions. The range becomes Filters.from_s / to_s (seconds from the start); the store
keeps the chunks whose utterance times overlap it, and transcripts without times drop out of a
question that asks for a time (the Retriever only applies the range when some have times).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from qa.clock import clock, parse_clock
from qa.models import Passage, Utterance

# "around minute 12" is read as 11:00 to 14:00: a minute either side of the minute named, so a
# remark at 11:40 that a listener remembers as "about twelve minutes in" is still found.
AROUND_S = 60.0

_NUMBERS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "twenty-five": 25,
    "thirty": 30,
    "forty": 40,
    "forty-five": 45,
    "fifty": 50,
    "sixty": 60,
    "ninety": 90,
}
_NUM = r"(\d{1,3}|" + "|".join(sorted(_NUMBERS, key=len, reverse=True)) + ")"
_UNIT = r"(minutes?|mins?|hours?|seconds?|secs?)"
_CLOCK = r"(\d{1,2}:\d{2}(?::\d{2})?)"
_AROUND = r"(?:around|about|near|roughly|approximately|circa)"

_FIRST = re.compile(
    rf"\b(?:in\s+|during\s+|within\s+)?the\s+first\s+(?:{_NUM}\s+{_UNIT}|(half\s+(?:an\s+)?hour)"
    rf"|(minute|hour))\b",
    re.I,
)
_BETWEEN = re.compile(
    rf"\b(?:between|from)\s+(?:the\s+)?(?:minutes?\s+)?{_NUM}\s+(?:minutes?\s+)?(?:and|to|until)"
    rf"\s+(?:minute\s+)?{_NUM}(?:\s+minutes?)?\b",
    re.I,
)
_CLOCK_BETWEEN = re.compile(
    rf"\b(?:between|from)\s+{_CLOCK}\s+(?:and|to|until)\s+{_CLOCK}\b",
    re.I,
)
_AROUND_MINUTE = re.compile(
    rf"\b(?:{_AROUND}\s+)?(?:at\s+|in\s+)?(?:the\s+)?(?:{_AROUND}\s+)?minute\s+{_NUM}\b"
    rf"|\b{_AROUND}\s+(?:the\s+)?{_NUM}[- ]minute(?:\s+mark)?\b"
    rf"|\b{_AROUND}\s+{_NUM}\s+minutes?\s+in\b",
    re.I,
)
_CLOCK_AT = re.compile(rf"\b(?:(?:{_AROUND}|at)\s+){_CLOCK}\b", re.I)
_AFTER = re.compile(
    rf"\b(?:after|past|beyond)\s+(?:the\s+)?(?:first\s+)?(?:minute\s+{_NUM}|{_NUM}[- ]minute"
    rf"(?:\s+mark)?|{_NUM}\s+{_UNIT}|(hour|half\s+(?:an\s+)?hour))\b",
    re.I,
)
_BEFORE = re.compile(rf"\b(?:before|until|by)\s+(?:the\s+)?minute\s+{_NUM}\b", re.I)


@dataclass(frozen=True)
class TimeRange:
    """Seconds into the recording (None: open) and the words of the question that said so."""

    from_s: float | None
    to_s: float | None
    phrase: str


def _number(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBERS[word.lower()]


def _seconds(count: int, unit: str) -> float:
    unit = unit.lower()
    if unit.startswith("h"):
        return count * 3600.0
    if unit.startswith("s"):
        return float(count)
    return count * 60.0


def detect_time_range(question: str) -> TimeRange | None:
    """The part of a recording the question asks about, or None when it names no time."""
    # "after the first hour" before "the first hour".
    if m := _AFTER.search(question):
        if m.group(1) or m.group(2):
            start = _number(m.group(1) or m.group(2)) * 60.0
        elif m.group(3):
            start = _seconds(_number(m.group(3)), m.group(4))
        else:
            start = 3600.0 if m.group(5).lower() == "hour" else 1800.0
        return TimeRange(start, None, m.group(0))
    if m := _FIRST.search(question):
        if m.group(1):
            end = _seconds(_number(m.group(1)), m.group(2))
        elif m.group(3):
            end = 1800.0
        else:
            end = 3600.0 if m.group(4).lower() == "hour" else 60.0
        return TimeRange(0.0, end, m.group(0))
    # A clock that is not a time ("12:75") names no range; the other readings still apply.
    if m := _CLOCK_BETWEEN.search(question):
        first, second = parse_clock(m.group(1)), parse_clock(m.group(2))
        if first is not None and second is not None:
            lo, hi = sorted((first, second))
            return TimeRange(lo, hi, m.group(0))
    if m := _BETWEEN.search(question):
        lo, hi = sorted((_number(m.group(1)), _number(m.group(2))))
        return TimeRange(lo * 60.0, (hi + 1) * 60.0, m.group(0))
    if m := _BEFORE.search(question):
        return TimeRange(None, _number(m.group(1)) * 60.0, m.group(0))
    if m := _AROUND_MINUTE.search(question):
        word = next(g for g in m.groups() if g)
        minute = _number(word) * 60.0
        return TimeRange(max(0.0, minute - AROUND_S), minute + 60.0 + AROUND_S, m.group(0))
    if (m := _CLOCK_AT.search(question)) and (at := parse_clock(m.group(1))) is not None:
        return TimeRange(max(0.0, at - AROUND_S), at + AROUND_S, m.group(0))
    return None


def in_range(u: Utterance, from_s: float | None, to_s: float | None) -> bool:
    """Whether the utterance was said (at least partly) inside from_s..to_s."""
    if u.start_s is None:
        return False
    end = u.start_s if u.end_s is None else u.end_s
    return (from_s is None or end >= from_s) and (to_s is None or u.start_s <= to_s)


def clip_to_times(
    passages: Sequence[Passage],
    utterances: Callable[[str, int, int], list[Utterance]],
    from_s: float | None,
    to_s: float | None,
) -> list[Passage]:
    """The passages narrowed to their utterances inside the time range (a chunk can run on past
    it); a passage with none inside is dropped. utterances: (transcript, first, last) -> them."""
    clipped: list[Passage] = []
    for p in passages:
        inside = [
            u.index
            for u in utterances(p.transcript_id, p.utterance_start, p.utterance_end)
            if in_range(u, from_s, to_s)
        ]
        if inside:
            clipped.append(replace(p, utterance_start=inside[0], utterance_end=inside[-1]))
    return clipped


def without_time(question: str, found: TimeRange | None) -> str:
    """The question with the time phrase taken out, so "minute" and "first" are not searched
    for as topic words."""
    if found is None or not found.phrase:
        return question
    rest = question.replace(found.phrase, " ", 1)
    return re.sub(r"\s+([?.!,])", r"\1", " ".join(rest.split()))


def describe_time_range(from_s: float | None, to_s: float | None) -> str:
    """`time 11:00–14:00`, `time from 30:00`, `time until 5:00`; empty for no range."""
    if from_s is not None and to_s is not None:
        return f"time {clock(from_s)}–{clock(to_s)}"
    if from_s is not None:
        return f"time from {clock(from_s)}"
    if to_s is not None:
        return f"time until {clock(to_s)}"
    return ""
