"""Speaker names as pure functions: summaries, rename requests, the stored map applied."""

from __future__ import annotations

import pytest

from qa.errors import InputError
from qa.ingest.parsers import transcript_from_bytes
from qa.ingest.speaker_names import (
    MAX_NAME_CHARS,
    apply_names,
    parse_rename,
    renamed_labels,
    speaker_summaries,
)
from qa.models import Transcript, Utterance
from tests.conftest import require_shared


@pytest.fixture(scope="module")
def podcast() -> Transcript:
    path = require_shared("real", "rational-reminder-ep299.diarized.json")
    return transcript_from_bytes(path.read_bytes(), path)


def test_summaries_count_each_speaker_and_show_a_line_that_says_something(
    podcast: Transcript,
) -> None:
    summaries = speaker_summaries(podcast)
    assert [(s.name, s.utterances) for s in summaries] == [
        ("SPEAKER_00", 62),
        ("SPEAKER_01", 43),
        ("SPEAKER_02", 58),
        ("SPEAKER_03", 2),
    ]
    first = summaries[0]
    assert first.labels == ("SPEAKER_00",) and first.sample_index == 0
    assert first.sample.startswith("This is the Rational Reminder Podcast, a weekly reality check")
    assert first.sample.endswith(" …") and len(first.sample.split()) == 31
    assert summaries[2].sample_index == 4 and summaries[2].sample.startswith("I do. The only")
    # SPEAKER_03 says two short things: the longer one is shown.
    assert summaries[3].sample == "I'm good."


def test_the_sample_skips_short_replies_and_narration_is_not_a_speaker() -> None:
    transcript = Transcript(
        "t",
        "T",
        (
            Utterance(0, None, None, "The meeting opened at ten with all members present."),
            Utterance(1, "Ann", "Ann", "Yeah."),
            Utterance(2, "Ann", "Ann", "Right, right."),
            Utterance(3, "Ann", "Ann", "The budget for the parks has to come from the reserve."),
        ),
        "plain",
    )
    (ann,) = speaker_summaries(transcript)
    assert (ann.name, ann.utterances, ann.sample_index) == ("Ann", 3, 3)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SPEAKER_00=Taylor Smith", ("SPEAKER_00", "Taylor Smith")),
        ("  Speaker 1 =  Taylor\n Smith: ", ("Speaker 1", "Taylor Smith")),
        ("SPEAKER_00=Dr. A=B", ("SPEAKER_00", "Dr. A=B")),  # only the first '=' splits
    ],
)
def test_parse_rename(text: str, expected: tuple[str, str]) -> None:
    assert parse_rename(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("SPEAKER_00 Taylor", "a rename is OLD=NEW"),
        ("=Taylor", "needs the current name"),
        ("SPEAKER_00=  ", "cannot be empty"),
        ("SPEAKER_00=:", "cannot be empty"),
        ("SPEAKER_00=" + "x" * (MAX_NAME_CHARS + 1), f"at most {MAX_NAME_CHARS} characters"),
    ],
)
def test_bad_renames_are_refused_with_the_value(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_rename(text)


def test_renames_map_labels_compose_and_apply(podcast: Transcript) -> None:
    names = renamed_labels(podcast, [("SPEAKER_00", "Ben"), ("SPEAKER_03", "SPEAKER_02")], {})
    assert names == {"SPEAKER_00": "Ben", "SPEAKER_03": "SPEAKER_02"}
    renamed = apply_names(podcast, names)
    assert renamed.speakers == ["Ben", "SPEAKER_01", "SPEAKER_02"]
    assert renamed.utterances[0].speaker == "SPEAKER_00"  # the label as written stays
    assert [u.text for u in renamed.utterances] == [u.text for u in podcast.utterances]
    # Renaming the merged speaker renames both of its labels; the earlier name composes.
    again = renamed_labels(renamed, [("SPEAKER_02", "Mark"), ("Ben", "Benjamin Felix")], names)
    assert again == {"SPEAKER_00": "Benjamin Felix", "SPEAKER_02": "Mark", "SPEAKER_03": "Mark"}
    # Applying the map to the file parsed afresh gives the same names: it is idempotent.
    assert apply_names(podcast, again) == apply_names(apply_names(podcast, names), again)
    assert apply_names(podcast, {}) is podcast


def test_unknown_speaker_lists_the_transcripts_speakers(podcast: Transcript) -> None:
    with pytest.raises(InputError) as caught:
        renamed_labels(podcast, [("Speaker 0", "X")], {})
    message = str(caught.value)
    assert "'rational-reminder-ep299.diarized' has no speaker 'Speaker 0'" in message
    assert "'SPEAKER_00', 'SPEAKER_01', 'SPEAKER_02', 'SPEAKER_03'" in message
    with pytest.raises(InputError, match="no rename given"):
        renamed_labels(podcast, [], {})
