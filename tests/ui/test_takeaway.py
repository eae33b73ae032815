"""Answers to take away and the reader: "Copy with sources" Markdown (exactly, on a fixture), the
conversation's export, times on citations, the recording on a card, and the windowed reader."""

from __future__ import annotations

import json
import time
from pathlib import Path

from qa.export import answer_markdown, citation_links, conversation_json, conversation_markdown
from qa.models import Answer, Citation, Filters, Transcript, Utterance
from qa.store.library import TranscriptInfo
from qa.store.media import MediaSource
from ui.present import (
    READER_WINDOW,
    MediaView,
    answer_html,
    library_table,
    reader_html,
    search_transcript,
    sources_section,
    speaker_counts,
)

FIXTURES = Path(__file__).parent / "fixtures"
SEED = "meeting-with-nursultan-nazarbayev-2021-06-30"
TITLE = "Meeting with Nursultan Nazarbayev"
# Quotes of the seed transcript (kremlin.ru, 30 June 2021) and of the generated recording of it.
ANSWER = Answer(
    question="Where is the Russian vaccine produced?",
    standalone_question="Where is the Russian vaccine produced?",
    text=(
        "Nursultan Nazarbayev said: “Now in Karaganda, this enterprise produces a Russian "
        "vaccine of the same quality and in large quantities.” [1] Vladimir Putin said: "
        "“I must say that, thanks to your helping hand, the dynamics of Russian-Kazakhstani "
        "relations give us the opportunity to look confidently into the future.” [2] "
        "Nazarbayev added: “a group of Russian doctors stood by me for ten days.” [3]"
    ),
    citations=(
        Citation(
            1,
            "putin-nazarbayev-recording",
            "putin-nazarbayev-recording",
            None,
            "Nursultan Nazarbayev",
            3,
            3,
            "Now in Karaganda, this enterprise produces a Russian vaccine of the same quality "
            "and in large quantities.",
            18.305,
        ),
        Citation(
            2,
            SEED,
            TITLE,
            "2021-06-30",
            "Vladimir Putin",
            2,
            2,
            "I must say that, thanks to your helping hand, the dynamics of Russian-Kazakhstani "
            "relations give us the opportunity to look confidently into the future.",
        ),
        Citation(
            3,
            "talk-dQw4w9WgXcQ",
            "A *starred* [talk](x) <b>",
            "2021-07-01",
            "Nursultan Nazarbayev",
            12,
            12,
            "a group of Russian doctors stood by me for ten days.",
            727.9,
        ),
    ),
    passages=(),
    abstained=False,
    filters=Filters(from_s=0.0, to_s=900.0),
)
SOURCES = {
    "putin-nazarbayev-recording": MediaSource(
        "putin-nazarbayev-recording", "file", "putin-nazarbayev-recording.wav"
    ),
    SEED: MediaSource(SEED, "page", "http://en.kremlin.ru/events/president/news/65995"),
    "talk-dQw4w9WgXcQ": MediaSource("talk-dQw4w9WgXcQ", "youtube", "dQw4w9WgXcQ"),
}


def file_url(source: MediaSource) -> str:
    return f"/gradio_api/file=/lib/media/{source.location}"


def test_copy_with_sources_gives_the_fixture_exactly() -> None:
    links = citation_links(ANSWER, SOURCES, file_url)
    expected = (FIXTURES / "copy-with-sources.md").read_text(encoding="utf-8")
    assert answer_markdown(ANSWER, links) == expected


def test_the_conversation_exports_as_markdown_and_json() -> None:
    links = [citation_links(ANSWER, SOURCES, file_url)]
    md = conversation_markdown([ANSWER, ANSWER], links)
    assert md.startswith("# Conversation\n\n## Where is the Russian vaccine produced?\n")
    assert md.count("Sources:") == 2
    data = json.loads(json.dumps(conversation_json([ANSWER], links)))
    turn = data["turns"][0]
    assert turn["citations"][0]["start_s"] == 18.305
    assert turn["filters"]["to_s"] == 900.0
    assert turn["links"]["3"] == "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=727s"


def test_citation_times_show_in_the_answer_and_the_card_plays_the_recording() -> None:
    html = answer_html(ANSWER, 0).replace("&#58;", ":")  # esc() writes colons as entities
    assert '[1<span class="when"> 0:18</span>]' in html
    assert "[2]</a>" in html  # no time: the kremlin.ru page has none
    assert "time 0:00–15:00" in html  # the time range it was limited to
    views = {
        tid: MediaView(s, file_url(s) if s.kind == "file" else "") for tid, s in SOURCES.items()
    }
    section = sources_section(ANSWER, 0, lambda t, a, b: [], media=views, markdown="# md")
    assert (
        '<audio id="player-0-1" class="media" controls preload="metadata" '
        'src="/gradio_api/file=/lib/media/putin-nazarbayev-recording.wav" data-start="18.305">'
    ) in section
    assert 'href="https://www.youtube.com/watch?v=dQw4w9WgXcQ&amp;t=727s"' in section
    assert 'href="http://en.kremlin.ru/events/president/news/65995"' in section
    assert 'data-tid="talk-dQw4w9WgXcQ" data-u="12" data-end="12"' in section
    assert 'class="copy-md" data-md="%23%20md"' in section


def _long_transcript(n: int) -> Transcript:
    speakers = ["Chair", "Ms Okafor", "Mr Lindqvist", None]
    utterances = tuple(
        Utterance(
            i,
            speakers[i % 4],
            speakers[i % 4],
            f"Item {i}: the committee <b>discussed</b> budget line {i % 97}.",
            i * 4.0,
            i * 4.0 + 3.5,
        )
        for i in range(n)
    )
    return Transcript("hearing", "A long hearing", utterances, "vtt")


def test_the_reader_renders_a_window_of_a_long_transcript() -> None:
    transcript = _long_transcript(12_000)
    began = time.perf_counter()
    html = reader_html(transcript, 9_000, 9_001, query="budget line 42")
    took = time.perf_counter() - began
    assert html.count('class="r-utt') == READER_WINDOW
    assert 'class="r-utt cited target" id="ru-9000"' in html
    assert 'class="r-utt cited" id="ru-9001"' in html
    assert "utterances 8970–9119 of 12000" in html
    assert "&#60;b&#62;discussed&#60;/b&#62;" in html  # transcript text is data
    assert "124 utterances with “budget line 42”" in html
    assert "<mark>budget line 42</mark>" in html
    assert took < 1.0, took
    # From the Library (end before start): nothing highlighted, the first turns shown.
    opened = reader_html(transcript, 0, -1)
    assert "cited" not in opened and 'class="r-utt target" id="ru-0"' in opened


def test_speakers_and_search_within_a_transcript() -> None:
    transcript = _long_transcript(10)
    assert speaker_counts(transcript.utterances) == [
        ("Chair", 3),
        ("Ms Okafor", 3),
        ("Mr Lindqvist", 2),
        ("Narration", 2),
    ]
    assert search_transcript(transcript.utterances, "budget   LINE 7") == [7]
    assert search_transcript(transcript.utterances, "   ") == []


def test_the_library_table_opens_the_reader() -> None:
    info = TranscriptInfo(SEED, TITLE, "2021-06-30", None, None, "kremlin-text", None, 20, 5, ())
    assert f'data-tid="{SEED}" data-u="0" data-end="-1">Read</a>' in library_table([info])
