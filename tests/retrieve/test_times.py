"""Times into a recording named by a question: the range, the words left to search, clipping."""

from __future__ import annotations

import pytest

from qa.clock import clock, parse_clock
from qa.models import Passage, Utterance
from qa.retrieve.times import (
    clip_to_times,
    describe_time_range,
    detect_time_range,
    without_time,
)


@pytest.mark.parametrize(
    ("question", "from_s", "to_s", "rest"),
    [
        (
            "What was said around minute 12 of the hearing?",
            660,
            840,
            "What was said of the hearing?",
        ),
        ("What did she say in the first ten minutes?", 0, 600, "What did she say?"),
        ("What did he say in the first 90 seconds?", 0, 90, "What did he say?"),
        ("What was discussed in the first half hour?", 0, 1800, "What was discussed?"),
        ("What was said between minute 5 and 10?", 300, 660, "What was said?"),
        ("What was said between 1:02:00 and 1:05:30?", 3720, 3930, "What was said?"),
        ("What was said at 12:07 about tariffs?", 667, 787, "What was said about tariffs?"),
        ("What did they agree after the first hour?", 3600, None, "What did they agree?"),
        ("Who spoke after minute 30?", 1800, None, "Who spoke?"),
        ("What was said before minute 3?", None, 180, "What was said?"),
        ("What did Putin say around the 12-minute mark?", 660, 840, "What did Putin say?"),
    ],
)
def test_a_time_range_is_read_from_the_question(
    question: str, from_s: float | None, to_s: float | None, rest: str
) -> None:
    found = detect_time_range(question)
    assert found is not None
    assert (found.from_s, found.to_s) == (from_s, to_s)
    assert without_time(question, found) == rest


@pytest.mark.parametrize(
    "question",
    [
        "What did Putin say about trade in 2014?",  # a year is a date, not a time
        "How many minutes did the minister speak?",
        "What did Nazarbayev say about the first vaccine?",
        "Which ten regions were named?",
    ],
)
def test_no_time_range_without_one(question: str) -> None:
    assert detect_time_range(question) is None


def test_clock_and_description() -> None:
    assert clock(727.4) == "12:07"
    assert clock(3723) == "1:02:03"
    assert clock(None) == "" and clock(-1) == ""
    assert describe_time_range(660, 840) == "time 11:00–14:00"
    assert describe_time_range(1800, None) == "time from 30:00"
    assert describe_time_range(None, 180) == "time until 3:00"


def _u(index: int, start: float | None, end: float | None) -> Utterance:
    return Utterance(index, "A", "A", f"words {index}", start, end)


def test_passages_are_clipped_to_the_utterances_inside_the_range() -> None:
    # Cues of 20 s from 0:00: a chunk of utterances 0-9 asked about 1:00-2:00 keeps 3-6.
    utterances = {("t", i): _u(i, i * 20.0, i * 20.0 + 18.0) for i in range(10)}
    untimed = {("n", i): _u(i, None, None) for i in range(3)}
    everything = {**utterances, **untimed}

    def fetch(tid: str, start: int, end: int) -> list[Utterance]:
        return [everything[(tid, i)] for i in range(start, end + 1) if (tid, i) in everything]

    passages = [
        Passage("t", "T", None, 0, 9, ("A",), "text", 1.0),
        Passage("n", "N", None, 0, 2, ("A",), "text", 0.5),
        Passage("t", "T", None, 8, 9, ("A",), "text", 0.4),
    ]
    clipped = clip_to_times(passages, fetch, 60.0, 120.0)
    assert [(p.transcript_id, p.utterance_start, p.utterance_end) for p in clipped] == [("t", 3, 6)]


def test_one_clock_reader_for_questions_and_transcripts() -> None:
    # The parsers' reading of a cue time and the question's "at 12:07" are the same function.
    assert parse_clock("12:07") == 727.0
    assert parse_clock("01:02:03,500") == 3723.5
    assert parse_clock("12:75") is None
    assert detect_time_range("What was said at 12:75?") is None
    at = detect_time_range("What was said at 12:07?")
    assert at is not None and at.from_s == 667.0 and at.to_s == 787.0
