"""Bad and strange files through `qa.ingest.pipeline.ingest`, each in a batch with one good
real transcript.

A bad file gives one line naming the file and the reason, the good file still lands, and the
library holds nothing of the bad one. Strange but readable files (UTF-16, NULs deep inside,
right-to-left text, huge labels, 100 000 utterances) ingest and can be found again.
"""

from __future__ import annotations

import io
import json
import re
import struct
import time
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from embeddings.base import HashEncoder
from qa.ingest.pipeline import FileResult, ingest
from qa.retrieve.retriever import Retriever
from qa.serialize import file_result_json
from qa.store.library import Library

SEED_ID = "meeting-with-nursultan-nazarbayev-2021-06-30"
MB = 1024 * 1024
LIMIT = 100 * MB  # the default max_file_mb, as qa.runtime.open_library sets it
BUDGET = 200  # the default chunk budget (cl100k tokens)
RUSSIAN = (
    "Владимир Путин: Добрый день, уважаемые коллеги! Сегодня мы обсудим развитие экономики.\n"
    "Дмитрий Песков: Спасибо, Владимир Владимирович. Начнём с бюджета регионов.\n"
)


def png_bytes() -> bytes:
    """A real 1x1 PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x80\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def zip_bytes() -> bytes:
    """A ZIP archive holding a perfectly good transcript (ingest does not open archives)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("meeting.txt", "Alice: The harbour budget is agreed.\nBob: Good.\n")
    return buffer.getvalue()


BLOG_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Ten tips for better meetings</title></head>
<body><header><nav><a href="/">Home</a> <a href="/blog">Blog</a></nav></header>
<main><h1>Ten tips for better meetings</h1>
<p>Note: meetings run long when nobody owns the agenda.</p>
<p>Tip one: send the agenda a day before.</p></main>
<footer>&copy; 2024 Example Ltd.</footer></body></html>
"""

KREMLIN_NEWS_PAGE = """<!DOCTYPE html>
<html><head><meta property="og:url" content="http://en.kremlin.ru/events/president/news/1">
</head><body><div class="read__in"><h1>Telephone conversation</h1>
<p>Vladimir Putin had a telephone conversation with the Prime Minister.</p></div></body></html>
"""

# (file name, its bytes, what the one-line error must say)
REFUSED: list[tuple[str, bytes | Callable[[], bytes], str]] = [
    ("empty.txt", b"", r"empty file"),
    ("blank.txt", b"\n  \n\t\n", r"empty file"),
    ("photo.png", png_bytes, r"not a text file: this is a PNG image"),
    ("scan.txt", png_bytes, r"PNG image"),
    ("transcripts.zip", zip_bytes, r"ZIP archive"),
    ("minutes.txt", zip_bytes, r"ZIP archive"),
    ("interview-ru.txt", RUSSIAN.encode("cp1251"), r"not UTF-8 text .*Windows-1251 Cyrillic"),
    (
        "entretien.txt",
        "Zoë Müller: Ça va très bien, merci. La réunion a été très productive.\n".encode("latin-1"),
        r"not UTF-8 text \(byte 0xeb at offset 2\) \(it looks like Latin-1",
    ),
    ("garbage.txt", bytes(range(0x80, 0x100)) * 4, r"not UTF-8 text \(byte 0x80 at offset 0\)"),
    ("utf16-no-bom.txt", RUSSIAN.encode("utf-16-le"), r"NUL byte at offset 1"),
    ("nul.txt", b"Alice: hello\x00world\nBob: fine\n", r"binary data, not text \(NUL byte"),
    ("blog.html", BLOG_PAGE.encode(), r"an HTML page that is not a kremlin\.ru event page"),
    ("blog.txt", BLOG_PAGE.encode(), r"an HTML page that is not a kremlin\.ru event page"),
    ("news.html", KREMLIN_NEWS_PAGE.encode(), r"not a kremlin\.ru event page|truncated HTML"),
    ("items.json", b'{"items": [1, 2, 3]}', r"JSON of the wrong shape \(an object with keys"),
    ("numbers.json", b"[1, 2, 3]", r"JSON of the wrong shape \(a list\)"),
    ("quoted.json", b'"just a string"', r"JSON of the wrong shape \(a str\)"),
    ("cut.json", b'{"segments": [{"start": 0, "text": "hi"', r"invalid JSON at line 1"),
    ("deep.json", b"[" * 100_000 + b"]" * 100_000, r"invalid JSON: nested too deeply"),
    (
        "bad-turn.json",
        b'{"meeting_transcripts": [{"speaker": "A", "content": "hi"}, 7]}',
        r"meeting_transcripts\[1\] is not a",
    ),
    (
        "bad-time.json",
        b'{"segments": [{"start": "soon", "end": 1, "text": "hi"}]}',
        r"segments\[0\]\.start should be a number of seconds, got 'soon'",
    ),
    (
        "letters.srt",
        b"1\n00:00:01,000 --> 00:00:0x,000\nJOHN: Good evening.\n",
        r"malformed cue time on line 2: '00:00:01,000 --> 00:00:0x,000'",
    ),
    (
        "minutes61.srt",
        b"1\n00:00:01,000 --> 00:00:04,000\nHi.\n\n2\n00:61:00,000 --> 00:61:02,000\nBye.\n",
        r"malformed cue time on line 6",
    ),
    (
        "no-arrow.srt",
        b"1\n00:00:01,000 00:00:04,000\nJOHN: Good evening.\n",
        r"malformed cue time on line 2",
    ),
    (
        "later.vtt",
        b"WEBVTT\n\n00:01.000 --> later\n<v Alice>Hello.\n",
        r"malformed cue time on line 3: '00:01\.000 --> later'",
    ),
    ("no-header.vtt", b"00:01.000 --> 00:04.000\nHello.\n", r"not WebVTT"),
]


@pytest.fixture(scope="module")
def good(seed_file: Path) -> Path:
    return seed_file


@pytest.fixture(scope="module")
def good_chunks(good: Path, tmp_path_factory: pytest.TempPathFactory) -> int:
    """Chunks of the good transcript alone: what the library holds when the bad file is refused."""
    library = Library(tmp_path_factory.mktemp("good-only"), HashEncoder(64))
    assert ingest(library, [good]).count("added") == 1
    return library.chunk_count()


def ingest_with_good(folder: Path, bad: Path, good: Path) -> tuple[Library, FileResult]:
    """A new library with the bad file ingested in one batch with the good one; and its result."""
    library = Library(folder / "library", HashEncoder(64), max_file_bytes=LIMIT)
    report = ingest(library, [bad, good])
    results = {Path(f.path): f for f in report.files}
    assert results[good].status == "added", file_result_json(results[good])
    assert results[good].transcript_id == SEED_ID
    return library, results[bad]


def assert_refused(
    library: Library, result: FileResult, bad: Path, reason: str, good_chunks: int
) -> None:
    assert result.status == "failed", file_result_json(result)
    error = result.error or ""
    assert "\n" not in error and "Traceback" not in error
    assert error.startswith(f"{bad}: "), error  # names the file first
    assert re.search(reason, error), error
    # Nothing of the bad file is in the library; the good one is whole.
    assert library.transcript_ids() == [SEED_ID]
    assert library.chunk_count() == good_chunks
    assert library.check() == []


@pytest.mark.parametrize(("name", "content", "reason"), REFUSED, ids=[r[0] for r in REFUSED])
def test_a_bad_file_is_refused_in_one_line_and_the_good_one_lands(
    tmp_path: Path,
    good: Path,
    good_chunks: int,
    name: str,
    content: bytes | Callable[[], bytes],
    reason: str,
) -> None:
    bad = tmp_path / name
    bad.write_bytes(content() if callable(content) else content)
    library, result = ingest_with_good(tmp_path, bad, good)
    assert_refused(library, result, bad, reason, good_chunks)


def test_a_200_mb_file_is_refused_by_its_size_without_being_read(
    tmp_path: Path, good: Path, good_chunks: int
) -> None:
    huge = tmp_path / "all-hands-recording.txt"
    with open(huge, "wb") as handle:
        handle.write(b"Alice: The quarterly numbers are in.\n")
        handle.truncate(200 * MB)  # sparse: 200 MB on paper, nothing on disk
    tracemalloc.start()
    try:
        library, result = ingest_with_good(tmp_path, huge, good)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert_refused(
        library,
        result,
        huge,
        r"file is 209,715,200 bytes, over the limit of 104,857,600",
        good_chunks,
    )
    # Reading the file would have allocated 200 MB; the refusal allocates next to nothing.
    assert peak < 20 * MB, f"peak Python allocation {peak / MB:.1f} MB while refusing"


@pytest.mark.parametrize(
    ("name", "encode"),
    [
        ("utf16le-bom.txt", lambda text: text.encode("utf-16")),  # LE with BOM on this machine
        ("utf16be-bom.txt", lambda text: b"\xfe\xff" + text.encode("utf-16-be")),
        ("utf8-bom.txt", lambda text: b"\xef\xbb\xbf" + text.encode("utf-8")),
        ("crlf.txt", lambda text: text.replace("\n", "\r\n").encode("utf-8")),
    ],
)
def test_utf16_and_bom_files_are_read_as_their_text(
    tmp_path: Path, good: Path, name: str, encode: Callable[[str], bytes]
) -> None:
    path = tmp_path / name
    path.write_bytes(encode(RUSSIAN))
    library, result = ingest_with_good(tmp_path, path, good)
    assert result.status == "added", result.error
    transcript = library.transcript(path.stem)
    assert [(u.speaker, u.text) for u in transcript.utterances] == [
        (
            "Владимир Путин",
            "Добрый день, уважаемые коллеги! Сегодня мы обсудим развитие экономики.",
        ),
        ("Дмитрий Песков", "Спасибо, Владимир Владимирович. Начнём с бюджета регионов."),
    ]
    assert library.check() == []
    found = Retriever(library, mode="keyword").retrieve("бюджета регионов", 3)
    assert found.passages and found.passages[0].transcript_id == path.stem


def test_nul_bytes_past_the_binary_sniff_are_dropped_not_stored(tmp_path: Path, good: Path) -> None:
    # The first 8 KiB decide text or binary; a NUL further in is a stray byte in a text file.
    head = "".join(f"Alice: Item {i} of the harbour agenda is settled.\n" for i in range(200))
    assert len(head) > 8192
    path = tmp_path / "late-nul.txt"
    path.write_bytes((head + "Bob: The light\x00house budget is \x00approved.\n").encode())
    library, result = ingest_with_good(tmp_path, path, good)
    assert result.status == "added", result.error
    texts = [u.text for u in library.transcript("late-nul").utterances]
    assert not any("\x00" in t for t in texts)
    assert texts[-1] == "The lighthouse budget is approved."
    found = Retriever(library, mode="keyword").retrieve("lighthouse", 3)
    assert found.passages[0].transcript_id == "late-nul"
    chunk_ids = list(found.passages[0].chunk_ids)
    assert all("\x00" not in s.chunk.text for s in library.chunks(chunk_ids).values())


def test_right_to_left_and_emoji_text_ingests_with_speakers_and_is_found_by_keyword(
    tmp_path: Path, good: Path
) -> None:
    path = tmp_path / "majlis.txt"
    path.write_text(
        "أحمد المنصوري: نناقش اليوم ميزانية الميناء الجديدة 🚢 وخطة الصيد.\n"
        "דוד כהן: תודה רבה. התקציב של הנמל מאושר 👍🏽\n"
        "Amira: The 🐟 harvest was great this year — مرحبا!\n",
        encoding="utf-8",
    )
    library, result = ingest_with_good(tmp_path, path, good)
    assert result.status == "added", result.error
    transcript = library.transcript("majlis")
    assert [u.speaker for u in transcript.utterances] == ["أحمد المنصوري", "דוד כהן", "Amira"]
    assert "🚢" in transcript.utterances[0].text and "👍🏽" in transcript.utterances[1].text
    assert library.check() == []
    keyword = Retriever(library, mode="keyword")
    for word, speaker in (
        ("ميزانية", "أحمد المنصوري"),
        ("התקציב", "דוד כהן"),
        ("harvest", "Amira"),
    ):
        passages = keyword.retrieve(word, 3).passages
        assert passages and passages[0].transcript_id == "majlis", word
        assert speaker in passages[0].speakers
    speakers = dict(library.speakers())
    assert "أحمد المنصوري" in speakers and "דוד כהן" in speakers


LONG = "Z" * 5000
LONG_LABELS = {
    "long-label.txt": LONG + ": The harbour budget is agreed.\nBob: Good, harbour it is.\n",
    "long-label.json": json.dumps(
        {
            "segments": [
                {"start": 0, "end": 2, "text": "The harbour budget is agreed.", "speaker": LONG},
                {"start": 2, "end": 3, "text": "Good.", "speaker": "Harbour master " * 333},
            ]
        }
    ),
    "long-label-qmsum.json": json.dumps(
        {
            "meeting_transcripts": [
                {"speaker": LONG, "content": "The harbour budget is agreed ."},
                {"speaker": "Bob", "content": "Good ."},
            ]
        }
    ),
    "long-label.vtt": (
        f"WEBVTT\n\n00:01.000 --> 00:04.000\n<v {LONG}>The harbour budget is agreed.\n"
    ),
}


@pytest.mark.parametrize("name", sorted(LONG_LABELS))
def test_speaker_labels_of_5000_characters_ingest_and_chunks_stay_in_budget(
    tmp_path: Path, good: Path, name: str
) -> None:
    path = tmp_path / name
    path.write_text(LONG_LABELS[name], encoding="utf-8")
    library, result = ingest_with_good(tmp_path, path, good)
    assert result.status == "added", result.error
    assert library.check() == []
    tid = path.stem
    transcript = library.transcript(tid)
    assert "The harbour budget is agreed" in " ".join(u.text for u in transcript.utterances)
    if not name.endswith(".txt"):  # a 5000-character "label" in plain text is no label
        assert transcript.utterances[0].speaker == LONG
    found = Retriever(library, mode="keyword").retrieve("harbour budget agreed", 3).passages
    assert found and found[0].transcript_id == tid
    for stored in library.chunks(list(found[0].chunk_ids)).values():
        assert stored.chunk.token_count <= BUDGET
        assert library.encoder.count_tokens(stored.chunk.text) <= library.encoder.max_tokens - 2
        assert "harbour budget is agreed" in stored.chunk.text


def test_100000_one_word_utterances_ingest_in_bounded_time(tmp_path: Path, good: Path) -> None:
    names = ("Alice Brown", "Bob", "Carol Diaz", "Dmitry Peskov")
    words = ("agreed", "harbour", "no", "yes", "pineapple", "tomorrow", "budget")
    path = tmp_path / "roll-call.txt"
    path.write_text(
        "".join(f"{names[i % 4]}: {words[i % 7]}{i}\n" for i in range(100_000)), encoding="utf-8"
    )
    started = time.perf_counter()
    library, result = ingest_with_good(tmp_path, path, good)
    seconds = time.perf_counter() - started
    print(f"100 000 utterances: {result.chunks} chunks in {seconds:.1f} s")
    assert result.status == "added", result.error
    assert result.utterances == 100_000
    assert library.check() == []
    transcript = library.transcript("roll-call")
    assert transcript.utterances[-1].text == f"{words[99_999 % 7]}99999"
    assert transcript.utterances[-1].speaker == "Dmitry Peskov"
    found = Retriever(library, mode="keyword").retrieve(f"{words[77_774 % 7]}77774", 1).passages
    assert found and found[0].utterance_start <= 77774 <= found[0].utterance_end
    # A hang guard, not a speed test: linear work takes well under a minute here (see report).
    assert seconds < 300
