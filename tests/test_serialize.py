"""Every JSON shape of qa.serialize, once: its keys are a contract (add, never rename)."""

from __future__ import annotations

import json

from qa.answer.lookup import QuoteMatch
from qa.ingest.pipeline import FileResult, IngestReport
from qa.models import Answer, Citation, Filters, Passage, Transcript, Utterance
from qa.retrieve.retriever import Retrieval
from qa.serialize import (
    answer_json,
    file_result_json,
    filters_json,
    ingest_report_json,
    quote_match_json,
    retrieval_json,
    transcript_info_json,
    transcript_json,
    utterance_json,
)
from qa.store.library import TranscriptInfo

TID = "meeting-with-nursultan-nazarbayev-2021-06-30"
TITLE = "Meeting with Nursultan Nazarbayev"
# Utterances of the seed transcript (kremlin.ru, 2021-06-30), as parsed.
PUTIN = Utterance(
    7, "Vladimir Putin", "Vladimir Putin", "Mr Nazarbayev, friend, I am very happy to see you."
)
NAZARBAYEV = Utterance(
    8,
    "Nursultan Nazarbayev",
    "Nursultan Nazarbayev",
    "And sincerely, in person, I would like to thank the Russian side for supporting Kazakhstan "
    "during the pandemic both with vaccines and medicines, and so on.",
    start_s=61.5,
    end_s=70.0,
)
QUOTE = "I would like to thank the Russian side for supporting Kazakhstan during the pandemic"
PASSAGE = Passage(
    TID,
    TITLE,
    "2021-06-30",
    7,
    8,
    ("Vladimir Putin", "Nursultan Nazarbayev"),
    f"Vladimir Putin: {PUTIN.text}\nNursultan Nazarbayev: {NAZARBAYEV.text}",
    0.8123456789,
    dense_rank=1,
    keyword_rank=3,
    chunk_ids=(41,),
)
CITATION = Citation(1, TID, TITLE, "2021-06-30", "Nursultan Nazarbayev", 8, 8, QUOTE, 61.5)
FILTERS = Filters(speakers=("Nursultan Nazarbayev",), since="2021-01-01", until="2021-12-31")


def test_filters_and_utterance() -> None:
    assert filters_json(FILTERS) == {
        "speakers": ["Nursultan Nazarbayev"],
        "transcripts": [],
        "since": "2021-01-01",
        "until": "2021-12-31",
        "undated": False,
        "from_s": None,
        "to_s": None,
    }
    assert utterance_json(NAZARBAYEV) == {
        "index": 8,
        "speaker": "Nursultan Nazarbayev",
        "canonical_speaker": "Nursultan Nazarbayev",
        "text": NAZARBAYEV.text,
        "start_s": 61.5,
        "end_s": 70.0,
    }


def test_answer_the_ask_contract() -> None:
    answer = Answer(
        "What did Nazarbayev say about vaccines?",
        "What did Nazarbayev say about vaccines?",
        f"Nursultan Nazarbayev said: \u201c{QUOTE}\u201d [1]",
        (CITATION,),
        (PASSAGE,),
        False,
        FILTERS,
        ("Filtered to Nursultan Nazarbayev.",),
    )
    shown = answer_json(answer)
    assert list(shown) == [
        "question",
        "standalone_question",
        "answer",
        "abstained",
        "filters",
        "citations",
        "passages",
        "notices",
    ]
    assert shown["citations"] == [
        {
            "n": 1,
            "transcript_id": TID,
            "title": TITLE,
            "date": "2021-06-30",
            "speaker": "Nursultan Nazarbayev",
            "utterance_start": 8,
            "utterance_end": 8,
            "quote": QUOTE,
            "start_s": 61.5,
            "ref": f"{TID}#u8",
        }
    ]
    assert shown["passages"] == [
        {
            "rank": 1,
            "transcript_id": TID,
            "title": TITLE,
            "date": "2021-06-30",
            "utterance_start": 7,
            "utterance_end": 8,
            "speakers": ["Vladimir Putin", "Nursultan Nazarbayev"],
            "text": PASSAGE.text,
            "score": 0.812346,
            "dense_rank": 1,
            "keyword_rank": 3,
        }
    ]
    assert shown["notices"] == ["Filtered to Nursultan Nazarbayev."]
    json.dumps(shown)  # plain JSON all the way down


def test_retrieval_the_retrieve_contract() -> None:
    retrieval = Retrieval("vaccines", (PASSAGE,), FILTERS, Filters(since="2021-01-01"))
    shown = retrieval_json(retrieval)
    assert list(shown) == ["query", "filters", "detected_filters", "passages", "boosts"]
    assert shown["detected_filters"] == {
        "speakers": [],
        "transcripts": [],
        "since": "2021-01-01",
        "until": None,
        "undated": False,
        "from_s": None,
        "to_s": None,
    }
    assert json.loads(json.dumps(shown))["passages"][0]["rank"] == 1
    assert shown["boosts"] == {
        "speakers": [],
        "since": None,
        "until": None,
        "titles": {},
        "names": {},
    }


def test_transcript_the_show_contract() -> None:
    transcript = Transcript(
        TID,
        TITLE,
        (PUTIN, NAZARBAYEV),
        "kremlin-text",
        date="2021-06-30",
        place="The Kremlin, Moscow",
        metadata={"persons": ["Nazarbayev Nursultan"]},
    )
    shown = transcript_json(transcript)
    assert list(shown) == [
        "id",
        "title",
        "date",
        "time",
        "place",
        "lead",
        "source_path",
        "format",
        "metadata",
        "speakers",
        "utterances",
    ]
    assert shown["speakers"] == ["Vladimir Putin", "Nursultan Nazarbayev"]
    assert shown["utterances"] == [utterance_json(PUTIN), utterance_json(NAZARBAYEV)]


def test_ingest_report_and_list_contracts() -> None:
    added = FileResult("seed/transcript.txt", "added", TID, utterances=31, chunks=9)
    failed = FileResult("broken.vtt", "failed", error="broken.vtt: malformed cue time at line 3")
    report = IngestReport(
        [added, failed],
        embedded=9,
        sentences_embedded=88,
        seconds=3.14159,
        searchable_seconds=1.23456,
        sentences_pending=2,
        encoder="all-MiniLM-L6-v2+onnx-int8",
    )
    shown = ingest_report_json(report)
    assert shown == {
        "files": [file_result_json(added), file_result_json(failed)],
        "skipped_files": [],
        "added": 1,
        "replaced": 0,
        "skipped": 0,
        "failed": 1,
        "embedded": 9,
        "sentences_embedded": 88,
        "seconds": 3.142,
        "searchable_seconds": 1.235,
        "sentences_pending": 2,
        "encoder": "all-MiniLM-L6-v2+onnx-int8",
        "ray": None,
    }
    report.ray_address, report.ray_workers = "10.0.0.5:6379", 8
    assert ingest_report_json(report)["ray"] == {"address": "10.0.0.5:6379", "workers": 8}
    assert list(file_result_json(failed)) == [
        "path",
        "status",
        "transcript_id",
        "utterances",
        "chunks",
        "error",
        "unused_speaker_names",
    ]
    info = TranscriptInfo(
        TID, TITLE, "2021-06-30", None, "Moscow", "kremlin-text", None, 31, 9, ("Vladimir Putin",)
    )
    assert transcript_info_json(info) == {
        "id": TID,
        "title": TITLE,
        "date": "2021-06-30",
        "time": None,
        "place": "Moscow",
        "format": "kremlin-text",
        "source_path": None,
        "utterances": 31,
        "chunks": 9,
        "speakers": ["Vladimir Putin"],
    }


def test_quote_match_one_shape_for_the_cli_and_the_ui() -> None:
    match = QuoteMatch(TID, TITLE, "2021-06-30", NAZARBAYEV, 0.93, QUOTE, (PUTIN, NAZARBAYEV))
    assert quote_match_json(match) == {
        "ref": f"{TID}#u8",
        "transcript_id": TID,
        "title": TITLE,
        "date": "2021-06-30",
        "speaker": "Nursultan Nazarbayev",
        "similarity": 0.93,
        "matched_text": QUOTE,
        "utterance": utterance_json(NAZARBAYEV),
        "context": [utterance_json(PUTIN), utterance_json(NAZARBAYEV)],
    }
    # Narration has no speaker: null, whichever of the two labels is missing.
    narration = Utterance(0, None, None, "Vladimir Putin met with Nursultan Nazarbayev.")
    unlabelled = QuoteMatch(TID, TITLE, None, narration, 1.0, narration.text, (narration,))
    assert quote_match_json(unlabelled)["speaker"] is None
