"""QMSum, WebVTT, SRT, Whisper JSON and plain labelled text."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from qa.errors import TranscriptFormatError
from qa.ingest.parsers import parse_text, read_transcript_file
from qa.ingest.parsers._common import date_in_name
from qa.ingest.parsers.qmsum import OPENING_TURNS, committee_sitting
from qa.models import Transcript

# --- QMSum -----------------------------------------------------------------------------------


def _evidence(node: Any) -> list[dict[str, Any]]:
    """Every {"turn_index", "speaker", "content"} item anywhere in an evidence file."""
    if isinstance(node, dict):
        if "turn_index" in node and "content" in node:
            return [node]
        return [item for value in node.values() for item in _evidence(value)]
    if isinstance(node, list):
        return [item for value in node for item in _evidence(value)]
    return []


def test_every_qmsum_turn_is_the_utterance_with_its_index(qmsum_dir: Path) -> None:
    files = sorted(qmsum_dir.glob("*.json"))
    assert len(files) == 35
    for path in files:
        turns = json.loads(path.read_text(encoding="utf-8"))["meeting_transcripts"]
        t = read_transcript_file(path)
        assert (t.format, t.id) == ("qmsum", path.stem)
        assert t.title.startswith(path.stem), t.title
        assert len(t.utterances) == len(turns), path.name
        for u, turn in zip(t.utterances, turns, strict=True):
            assert u.text == " ".join(turn["content"].split()), (path.name, u.index)
            assert u.speaker == turn["speaker"], (path.name, u.index)


def test_a_qmsum_meeting_is_titled_with_what_its_code_stands_for(qmsum_dir: Path) -> None:
    meetings = {p.stem: read_transcript_file(p) for p in sorted(qmsum_dir.glob("*.json"))}
    titles = {code: t.title for code, t in meetings.items()}
    assert titles["TS3009a"] == "TS3009a: kick-off meeting, the first of four"
    assert titles["TS3009d"] == "TS3009d: detailed design meeting, the fourth and final of four"
    assert titles["Bmr005"] == "Bmr005: ICSI Meeting Recorder group meeting"
    assert titles["Bro022"] == "Bro022: ICSI Robustness group meeting"
    # A committee sitting is titled by what its chair's opening names: the committee, the
    # sitting when numbered, the business.
    assert titles["covid_6"] == (
        "covid_6: House of Commons Special Committee on the COVID-19 Pandemic, the 12th meeting"
    )
    assert titles["education_22"] == (
        "education_22: Children, Young People and Education Committee, session with the Minister"
        " for Children and Social Care on the Welsh Government's childcare offer"
    )
    assert titles["education_18"] == (
        "education_18: Children, Young People and Education Committee, scrutiny session with a"
        " focus on higher and further education"
    )
    # The meetings say so themselves: where an AMI meeting's project manager names the meeting
    # in its opening ("this is our functional design meeting"), its title names the same one.
    named = re.compile(
        r"(kick-off|functional design|conceptual design|detail(?:ed)? design) meeting"
    )
    checked = 0
    for code, title in titles.items():
        opening = " ".join(u.text for u in meetings[code].utterances[:10])
        found = named.search(opening.lower())
        if found and re.fullmatch(r"(ES|IS|TS)\d{4}[a-d]", code):
            phase = found.group(1).replace("detail design", "detailed design")
            assert f"{phase} meeting" in title, (code, found.group(0), title)
            checked += 1
    assert checked >= 8


def test_a_committee_sitting_is_named_as_its_chair_opens_it(qmsum_dir: Path) -> None:
    for path in sorted(qmsum_dir.glob("*.json")):
        t = read_transcript_file(path)
        opening = " ".join(u.text for u in t.utterances[:OPENING_TURNS])
        sitting = committee_sitting(opening)
        if path.stem.startswith(("covid_", "education_")):
            assert sitting is not None and t.title == f"{t.id}: {sitting}", path.name
            # Every word of the title is the opening's own.
            assert set(re.findall(r"\w+", sitting)) <= set(re.findall(r"\w+", opening)), path.name
        else:
            assert sitting is None, (path.name, sitting)
    # Welcoming someone to the committee is no committee's name; nor is the first item.
    assert committee_sitting("I'd like to welcome Suzy Davies to the committee. Item 1 is") is None
    assert committee_sitting(
        "Welcome to the Children, Young People and Education Committee. Item 1 on our agenda"
        " today is introductions, apologies, substitutions and declarations of interest. We will"
        " move on then to item 2, and our inquiry into the impact of Brexit on higher and"
        " further education, and our first evidence session."
    ) == (
        "Children, Young People and Education Committee, inquiry into the impact of Brexit on"
        " higher and further education"
    )
    numbered = committee_sitting(
        "Welcome to meeting number 22 of the House of Commons Special Committee on the COVID-19"
        " Pandemic. A reminder to all members"
    )
    assert (
        numbered == "House of Commons Special Committee on the COVID-19 Pandemic, meeting number 22"
    )


def test_qmsum_keeps_corpus_tokens_and_empty_turns(qmsum_dir: Path) -> None:
    t = read_transcript_file(qmsum_dir / "Bed002.json")
    assert t.utterances[0].text == "I guess ."
    assert any(" 's " in u.text or " 're " in u.text for u in t.utterances)
    turns = json.loads((qmsum_dir / "Bed002.json").read_text(encoding="utf-8"))
    empty = [i for i, x in enumerate(turns["meeting_transcripts"]) if not x["content"].strip()]
    assert len(empty) == 3
    assert all(t.utterances[i].text == "" for i in empty)
    assert t.metadata["topics"][0] == "Setting up recording equipment and explaining its use"


def test_qmsum_evidence_sentences_sit_in_the_cited_turn(
    qmsum_dir: Path, qmsum_evidence_dir: Path
) -> None:
    checked = 0
    for path in sorted(qmsum_evidence_dir.glob("*.json")):
        t = read_transcript_file(qmsum_dir / path.name)
        for item in _evidence(json.loads(path.read_text(encoding="utf-8"))):
            u = t.utterances[item["turn_index"]]
            assert u.speaker == item["speaker"]
            assert " ".join(item["content"].split()) in u.text
            checked += 1
    assert checked > 3000


def test_qmsum_speakers_are_canonical(qmsum_dir: Path) -> None:
    t = read_transcript_file(qmsum_dir / "covid_2.json")
    chair = next(u for u in t.utterances if u.speaker and u.speaker.startswith("The Chair (Hon."))
    assert chair.canonical_speaker == "Anthony Rota"
    names = set(t.speakers)
    assert "Justin Trudeau" in names
    assert not any(n.startswith(("Hon.", "Mr.", "Right Hon.")) for n in names)


# --- subtitles -------------------------------------------------------------------------------

SRT = """1
00:00:01,000 --> 00:00:04,200
JOHN: Good evening, and welcome.

2
00:00:04,500 --> 00:00:06,000
<i>Tonight we talk about the budget.</i>

3
00:01:02,100 --> 00:01:05,900
- MARY: Thank you, John.
- JOHN: Let us begin.
"""

VTT = """WEBVTT
Kind: captions
Language: en

NOTE recorded at the town hall

intro
00:00:01.000 --> 00:00:04.000 align:start position:10%
<v Alice Smith>Hello &amp; welcome to the <b>town hall</b>.</v>

00:04.500 --> 00:06.000
We have three items tonight.

00:00:06.100 --> 00:00:08.000
<v.loud Bob Jones>Thank you, Alice.
"""


def test_srt_cues_times_and_speakers(tmp_path: Path) -> None:
    path = tmp_path / "budget-debate.srt"
    path.write_text(SRT, encoding="utf-8")
    t = read_transcript_file(path)
    assert (t.format, t.id) == ("srt", "budget-debate")
    got = [(u.speaker, u.text, u.start_s, u.end_s) for u in t.utterances]
    assert got == [
        # a cue without a speaker continues the previous one and merges into its utterance
        # (start of the first cue, end of the last); markup removed
        ("JOHN", "Good evening, and welcome. Tonight we talk about the budget.", 1.0, 6.0),
        # "- " marks a new turn: never merged with the turn before
        ("MARY", "Thank you, John.", 62.1, 65.9),
        ("JOHN", "Let us begin.", 62.1, 65.9),
    ]


def test_vtt_voice_tags_header_and_notes(tmp_path: Path) -> None:
    path = tmp_path / "town-hall.vtt"
    path.write_text(VTT, encoding="utf-8")
    t = read_transcript_file(path)
    assert t.format == "vtt"
    got = [(u.speaker, u.text, u.start_s, u.end_s) for u in t.utterances]
    assert got == [
        ("Alice Smith", "Hello & welcome to the town hall. We have three items tonight.", 1.0, 6.0),
        ("Bob Jones", "Thank you, Alice.", 6.1, 8.0),
    ]


def test_vtt_name_prefix_gives_the_speaker() -> None:
    text = "WEBVTT\n\n00:00:00.000 --> 00:00:02.500\nSPEAKER_01: Are we recording?\n"
    t = parse_text(text, source="call.vtt")
    assert [(u.speaker, u.canonical_speaker) for u in t.utterances] == [
        ("SPEAKER_01", "SPEAKER_01")
    ]


@pytest.mark.parametrize(
    ("name", "text", "line"),
    [
        (
            "bad.srt",
            "1\n00:00:01,000 --> 00:00:04,000\nHello.\n\n2\n00:00:05,000 --> 00:0x:06,000\nBye.\n",
            6,
        ),
        ("bad.srt", "1\n00:00:01,000 -> 00:00:04,000\nHello.\n", 2),
        ("bad.vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:61.000\nHello.\n", 3),
    ],
)
def test_malformed_cue_time_names_the_line(name: str, text: str, line: int) -> None:
    with pytest.raises(TranscriptFormatError) as caught:
        parse_text(text, source=name)
    assert caught.value.source == name
    assert f"malformed cue time on line {line}" in str(caught.value)
    assert name in str(caught.value)


# --- Whisper ---------------------------------------------------------------------------------

WHISPERX = {
    "segments": [
        {"start": 0.0, "end": 3.52, "text": " Welcome back to the show.", "speaker": "SPEAKER_00"},
        {"start": 3.52, "end": 5.1, "text": " Thanks for having me.", "speaker": "SPEAKER_01"},
        {"start": 5.1, "end": 7.0, "text": "  So, where do we start?", "words": []},
        {"start": 7.0, "end": 7.4, "text": "   "},
    ],
    "language": "en",
}


def test_whisperx_segments_with_and_without_speakers(tmp_path: Path) -> None:
    path = tmp_path / "episode-12.json"
    path.write_text(json.dumps(WHISPERX), encoding="utf-8")
    t = read_transcript_file(path)
    assert t.format == "whisper"
    got = [(u.index, u.speaker, u.text, u.start_s, u.end_s) for u in t.utterances]
    assert got == [
        (0, "SPEAKER_00", "Welcome back to the show.", 0.0, 3.52),
        (1, "SPEAKER_01", "Thanks for having me.", 3.52, 5.1),
        (2, None, "So, where do we start?", 5.1, 7.0),
    ]
    assert t.metadata["language"] == ["en"]


def test_whisper_bare_segment_list() -> None:
    segments = [{"start": 0, "end": 2, "text": "Hello there."}]
    t = parse_text(json.dumps(segments), source="clip.json")
    assert (t.format, t.utterances[0].text, t.utterances[0].end_s) == (
        "whisper",
        "Hello there.",
        2.0,
    )


def test_whisper_segment_time_must_be_a_number() -> None:
    bad = {"segments": [{"start": "zero", "end": 1, "text": "Hi."}]}
    with pytest.raises(TranscriptFormatError, match=r"clip\.json: segments\[0\]\.start"):
        parse_text(json.dumps(bad), source="clip.json")


# --- plain labelled text ---------------------------------------------------------------------

PLAIN = """# Weekly planning meeting
Date: 2024-03-01

The meeting opened at ten.

[00:00:05] Alice Chen: Let's start with the budget.
We have a lot to cover today.

Second, the schedule slipped a week.
Bob: Sure.
Note: the budget is due on Friday.
(PERSON3) I agree with that.
SPEAKER_00: One question from the floor.
Dr Maria Lopez
: I will send the figures tonight.
"""


def test_plain_labels_turns_and_paragraphs() -> None:
    t = parse_text(PLAIN, source="planning.md")
    assert (t.format, t.title, t.date) == ("plain", "Weekly planning meeting", "2024-03-01")
    got = [(u.speaker, u.canonical_speaker, u.text, u.start_s) for u in t.utterances]
    assert got == [
        (None, None, "The meeting opened at ten.", None),
        (
            "Alice Chen",
            "Alice Chen",
            "Let's start with the budget. We have a lot to cover today.",
            5.0,
        ),
        # a blank line: a new utterance by the same speaker
        ("Alice Chen", "Alice Chen", "Second, the schedule slipped a week.", None),
        # "Note: the ..." is a sentence, so it continues Bob's turn
        ("Bob", "Bob", "Sure. Note: the budget is due on Friday.", None),
        ("PERSON3", "PERSON3", "I agree with that.", None),
        ("SPEAKER_00", "SPEAKER_00", "One question from the floor.", None),
        ("Dr Maria Lopez", "Maria Lopez", "I will send the figures tonight.", None),
    ]


@pytest.mark.parametrize(
    "line",
    [
        "Note: the budget is due on Friday.",
        "The reason is simple: we ran out of time.",
        "See https://example.org/minutes for details.",
        "At 10:30 we broke for coffee.",
        "First: we agreed on the plan.",
        "What I said was: no.",
    ],
)
def test_plain_sentences_with_colons_are_not_labels(line: str) -> None:
    t = parse_text(f"Alice: Hello.\n{line}\n", source="notes.txt")
    assert [(u.speaker, u.text) for u in t.utterances] == [("Alice", f"Hello. {line}")]


def test_plain_names_that_are_also_words() -> None:
    text = "Theresa May: Thank you.\nWill Smith: Good to be here.\nWhat I said was: no.\n"
    t = parse_text(text, source="talk.txt")
    assert [(u.speaker, u.text) for u in t.utterances] == [
        ("Theresa May", "Thank you."),
        ("Will Smith", "Good to be here. What I said was: no."),
    ]


def test_plain_text_normalisation() -> None:
    t = parse_text("Alice:\u00a0Fish &amp; chips\u00a0 <i>again</i>,  please.\n", source="x.txt")
    assert t.utterances[0].text == "Fish & chips again, please."


def _speakers(t: Transcript) -> list[str | None]:
    return [u.canonical_speaker for u in t.utterances]


def test_plain_unlabelled_txt_is_narration(tmp_path: Path) -> None:
    path = tmp_path / "speech.txt"
    path.write_text("Friends, colleagues.\n\nThank you for coming.\n", encoding="utf-8")
    t = read_transcript_file(path)
    assert _speakers(t) == [None, None]
    assert t.title == "speech"


def test_a_date_in_a_name_is_read_only_when_it_is_one() -> None:
    assert date_in_name("GMT20230615-140000_Recording") == "2023-06-15"  # Zoom's cloud files
    assert date_in_name("board 2019_11_04 minutes") == "2019-11-04"
    assert date_in_name("standup-2024-02-30") is None  # no such day
    assert date_in_name("ticket-120230615") is None  # part of a longer number
    assert date_in_name("2023-0615") is None  # the separators must agree
    assert date_in_name("run-2019-12-31-then-2020-01-02") == "2019-12-31"
