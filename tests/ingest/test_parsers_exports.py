"""Exports with no real file in ../shared/data/real, on small fixtures written in their shape:
Teams WebVTT with GUID cue ids, Otter .txt, Rev.ai API JSON, Rev/Riverside/Descript text,
AssemblyAI and Deepgram utterances; and cue merging, turn markers and refusals."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from qa.errors import TranscriptFormatError
from qa.ingest.parsers import parse_text, read_transcript_file, transcript_from_bytes
from qa.ingest.parsers._common import Turn
from qa.ingest.parsers.merging import HARD_MAX_WORDS, MAX_WORDS, merge_pieces


def rows(text: str, source: str, fmt: str | None = None) -> list[tuple[object, ...]]:
    t = parse_text(text, source=source, format=fmt)
    return [(u.speaker, u.text, u.start_s, u.end_s) for u in t.utterances]


TEAMS = """WEBVTT

7a9a5c4b-1f0e-4a1e-9d0c-3f1b2e4d5a6b/12-0
00:00:03.120 --> 00:00:05.480
<v Taylor Smith>So the first item is the budget</v>

7a9a5c4b-1f0e-4a1e-9d0c-3f1b2e4d5a6b/12-1
00:00:05.480 --> 00:00:07.900
<v Taylor Smith>for next year.</v>

7a9a5c4b-1f0e-4a1e-9d0c-3f1b2e4d5a6b/13-0
00:00:08.300 --> 00:00:09.100
<v Jordan Lee>Agreed.</v>
"""


def test_teams_guid_cue_ids_and_voice_tags() -> None:
    assert rows(TEAMS, "standup.vtt") == [
        ("Taylor Smith", "So the first item is the budget for next year.", 3.12, 7.9),
        ("Jordan Lee", "Agreed.", 8.3, 9.1),
    ]


def test_caption_turn_markers_start_new_utterances() -> None:
    text = (
        "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n>> Good evening and welcome\n\n"
        "00:00:03.000 --> 00:00:05.000\nto the meeting.\n\n"
        "00:00:05.000 --> 00:00:06.000\n>> Thank you.\n\n"
        "00:00:06.000 --> 00:00:08.000\n>> COUNCILOR REED: I move we adopt it.\n"
    )
    assert rows(text, "council.vtt") == [
        (None, "Good evening and welcome to the meeting.", 1.0, 5.0),
        (None, "Thank you.", 5.0, 6.0),  # same (unknown) speaker label, but a marked new turn
        ("COUNCILOR REED", "I move we adopt it.", 6.0, 8.0),
    ]


OTTER_TXT = """Taylor Smith  0:03
Thanks everyone for joining. We have a lot to cover.

Jordan Lee  0:09
Happy to be here.

Taylor Smith  1:02:15
Let's wrap up.
"""


def test_otter_txt_name_and_time_lines() -> None:
    assert rows(OTTER_TXT, "otter_export.txt") == [
        ("Taylor Smith", "Thanks everyone for joining. We have a lot to cover.", 3.0, None),
        ("Jordan Lee", "Happy to be here.", 9.0, None),
        ("Taylor Smith", "Let's wrap up.", 3735.0, None),
    ]


def test_rev_riverside_and_descript_text() -> None:
    rev = (
        "Speaker 1 (00:00:02):\nWelcome to the show.\n\nJane Doe (01:05):\nThanks for having me.\n"
    )
    assert rows(rev, "rev.txt") == [
        ("Speaker 1", "Welcome to the show.", 2.0, None),
        ("Jane Doe", "Thanks for having me.", 65.0, None),
    ]
    descript = "[00:00:05] Jane Doe: Hello there.\n[00:00:09] Sam Roe: Hi, Jane.\n"
    assert rows(descript, "descript.txt") == [
        ("Jane Doe", "Hello there.", 5.0, None),
        ("Sam Roe", "Hi, Jane.", 9.0, None),
    ]


REVAI = {
    "monologues": [
        {
            "speaker": 0,
            "elements": [
                {"type": "text", "value": "Hello", "ts": 0.5, "end_ts": 0.9, "confidence": 1},
                {"type": "punct", "value": ","},
                {"type": "punct", "value": " "},
                {"type": "text", "value": "everyone", "ts": 1.0, "end_ts": 1.6},
                {"type": "punct", "value": "."},
            ],
        },
        {
            "speaker": 1,
            "speaker_name": "Dana Cruz",
            "elements": [
                {"type": "text", "value": "Hi", "ts": 2.0, "end_ts": 2.3},
                {"type": "punct", "value": "."},
            ],
        },
    ]
}


def test_revai_api_json() -> None:
    assert rows(json.dumps(REVAI), "call.json") == [
        ("Speaker 0", "Hello, everyone.", 0.5, 1.6),
        ("Dana Cruz", "Hi.", 2.0, 2.3),
    ]


def test_assemblyai_utterances_and_words() -> None:
    data = {
        "id": "x",
        "text": "Hi there. Hello.",
        "audio_url": "https://example.org/a.mp3",
        "utterances": [
            {"speaker": "A", "start": 250, "end": 1200, "text": "Hi there."},
            {"speaker": "B", "start": 1500, "end": 2100, "text": "Hello."},
        ],
    }
    assert rows(json.dumps(data), "a.json") == [
        ("Speaker A", "Hi there.", 0.25, 1.2),
        ("Speaker B", "Hello.", 1.5, 2.1),
    ]
    words = [
        {"text": "Hi", "start": 250, "end": 400},
        {"text": "there.", "start": 400, "end": 1200},
        {"text": "Hello.", "start": 1500, "end": 2100},
    ]
    data = {"text": "Hi there. Hello.", "audio_url": "u", "utterances": None, "words": words}
    assert rows(json.dumps(data), "a.json") == [(None, "Hi there. Hello.", 0.25, 2.1)]


def test_deepgram_utterances_merge_and_words_fallback() -> None:
    utterances = [
        {"start": 0.5, "end": 1.5, "transcript": "So the plan", "speaker": 0},
        {"start": 1.6, "end": 2.5, "transcript": "is ready.", "speaker": 0},
        {"start": 2.7, "end": 3.0, "transcript": "Great.", "speaker": 1},
    ]
    data = {"metadata": {"request_id": "r1"}, "results": {"utterances": utterances}}
    assert rows(json.dumps(data), "dg.json") == [
        ("Speaker 0", "So the plan is ready.", 0.5, 2.5),
        ("Speaker 1", "Great.", 2.7, 3.0),
    ]
    words = [
        {"word": "so", "punctuated_word": "So", "start": 0.5, "end": 0.7, "speaker": 0},
        {"word": "ready", "punctuated_word": "ready.", "start": 0.8, "end": 1.2, "speaker": 0},
        {"word": "great", "punctuated_word": "Great.", "start": 1.5, "end": 1.9, "speaker": 1},
    ]
    alt = {"transcript": "so ready great", "words": words}
    data = {"results": {"channels": [{"alternatives": [alt]}]}}
    assert rows(json.dumps(data), "dg.json") == [
        ("Speaker 0", "So ready.", 0.5, 1.2),
        ("Speaker 1", "Great.", 1.5, 1.9),
    ]


def test_segment_times_in_milliseconds_by_key_and_by_size() -> None:
    by_key = [{"start_ms": 1500, "end_ms": 2500, "text": "One."}]
    t = parse_text(json.dumps({"segments": by_key}), source="x.json")
    assert (t.utterances[0].start_s, t.utterances[0].end_s) == (1.5, 2.5)
    by_size = {"result": {"segments": [{"start_time": 8282, "end_time": 22120, "text": "Two."}]}}
    t = parse_text(json.dumps(by_size), source="x.json")
    assert (t.utterances[0].start_s, t.utterances[0].end_s) == (8.282, 22.12)
    assert "milliseconds" in t.metadata["time_unit"][0]
    unknown = {"segments": [{"offset_time": 3, "text": "Three."}]}
    t = parse_text(json.dumps(unknown), source="x.json")
    assert t.utterances[0].start_s is None
    assert t.metadata["warnings"] == ["segment times not read: unknown time keys ['offset_time']"]


def test_court_record_labels() -> None:
    text = (
        "UNITED STATES DISTRICT COURT\n\n"
        "      THE COURT:  Good morning. Please be\nseated.\n"
        "      MR. SMITH:  Thank you, Your Honor.\n"
        "      THE COURT:  Call your first witness.\n"
        "BY MR. SMITH:\n"
        "      Q. State your name.\n"
        "      A. Ann Lee.\n"
    )
    t = parse_text(text, source="hearing.txt")
    assert t.format == "court"
    assert [(u.speaker, u.text) for u in t.utterances] == [
        ("THE COURT", "Good morning. Please be seated."),
        ("MR. SMITH", "Thank you, Your Honor."),
        ("THE COURT", "Call your first witness."),
        ("MR. SMITH", "State your name."),
        ("THE WITNESS", "Ann Lee."),
    ]
    assert t.metadata["header"] == ["UNITED STATES DISTRICT COURT"]


def _docx_bytes(paragraphs: list[str]) -> bytes:
    import docx

    document = docx.Document()
    for p in paragraphs:
        document.add_paragraph(p)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_docx_with_labels(tmp_path: Path) -> None:
    path = tmp_path / "interview.docx"
    path.write_bytes(_docx_bytes(["Interview", "Speaker 1 (00:00:04):", "Hello.", "Ann: Hi."]))
    t = read_transcript_file(path)
    assert (t.format, t.title) == ("docx", "interview")
    assert [(u.speaker, u.text, u.start_s) for u in t.utterances] == [
        (None, "Interview", None),
        ("Speaker 1", "Hello.", 4.0),
        ("Ann", "Hi.", None),
    ]


def test_docx_refusals(tmp_path: Path) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(TranscriptFormatError, match=r"book\.xlsx: not a text file"):
        transcript_from_bytes(archive.getvalue(), Path("book.xlsx"))
    with pytest.raises(TranscriptFormatError, match=r"book\.docx: not a \.docx document"):
        transcript_from_bytes(archive.getvalue(), Path("book.docx"), format="docx")
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as z:
        z.writestr("word/document.xml", "<not-word")
    with pytest.raises(TranscriptFormatError, match=r"x\.docx: not a readable \.docx"):
        transcript_from_bytes(broken.getvalue(), Path("x.docx"))


def test_unknown_xml_is_refused_with_advice() -> None:
    with pytest.raises(TranscriptFormatError, match=r"feed\.xml: no transcript format fits"):
        parse_text("<rss><channel><item>hi</item></channel></rss>", source="feed.xml")
    with pytest.raises(TranscriptFormatError, match=r"s\.xml: invalid XML"):
        parse_text("<housecommons><p>open", source="s.xml")


# ----------------------------------------------------------------------------- cue merging


def piece(text: str, start: float, end: float, speaker: str | None = "A") -> Turn:
    return Turn(speaker, text, start, end)


def test_merge_joins_until_a_sentence_ends() -> None:
    merged = merge_pieces(
        [piece("We went to", 0, 1), piece("the market.", 1, 2), piece("It was shut.", 2, 3)]
    )
    assert [(m.text, m.start_s, m.end_s) for m in merged] == [
        ("We went to the market. It was shut.", 0, 3)
    ]


def test_merge_breaks_on_speaker_pause_and_marker() -> None:
    pieces = [
        piece("Yes.", 0, 1),
        piece("No.", 1, 2, "B"),
        piece("Later.", 5.5, 6, "B"),  # 3.5 s of silence
        Turn("B", "Again.", 6, 7, new_turn=True),
    ]
    assert [(m.speaker, m.text) for m in merge_pieces(pieces)] == [
        ("A", "Yes."),
        ("B", "No."),
        ("B", "Later."),
        ("B", "Again."),
    ]


def test_merge_is_bounded() -> None:
    sentence = "one two three four five six seven eight nine ten."
    merged = merge_pieces([piece(sentence, i, i + 1) for i in range(20)])
    assert all(len(m.text.split()) <= MAX_WORDS for m in merged)
    assert sum(len(m.text.split()) for m in merged) == 200
    run_on = merge_pieces([piece("and then we", i, i + 1) for i in range(100)])
    assert all(len(m.text.split()) <= HARD_MAX_WORDS + 3 for m in run_on)
    assert run_on[1].start_s == run_on[0].end_s  # each utterance starts where its words start


def test_header_fields_are_metadata_but_a_short_first_turn_is_not() -> None:
    text = "Company: ACME\nQuarter: Q2 2024\n\nOperator: Welcome.\nAnn: Thanks.\nOperator: Next.\n"
    t = parse_text(text, source="call.md")
    assert t.metadata == {"company": ["ACME"], "quarter": ["Q2 2024"]}
    assert [u.speaker for u in t.utterances] == ["Operator", "Ann", "Operator"]
    text = "Chair: Order, order.\nAnn: Thank you.\nBob: Yes.\nAnn: Good.\n"
    t = parse_text(text, source="sitting.txt")
    assert [u.speaker for u in t.utterances] == ["Chair", "Ann", "Bob", "Ann"]


def test_plain_text_with_some_titled_labels_stays_plain() -> None:
    turns = ["MR. SMITH: Good morning.", "Jane Doe: Morning.", "MS. LEE: Hello."] * 4
    t = parse_text("\n".join(turns), source="meeting.txt")
    assert t.format == "plain"
    assert {u.speaker for u in t.utterances} == {"MR. SMITH", "Jane Doe", "MS. LEE"}
