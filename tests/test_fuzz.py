"""Property-based fuzzing of every parser, the format detection and decoding path, and the chunker.

Inputs are built near-valid (cue lists with corrupted times, kremlin-like pages with random labels
and nesting, JSON of random shapes), so that they reach deep into the parsers, then broken at
random. The only exception a parser may raise is TranscriptFormatError; a parse that succeeds
gives numbered utterances without control characters; every example has a deadline, so a hang
or a quadratic blow-up fails the test.

Default: about a minute in all. A longer run: `TQA_FUZZ_EXAMPLES=5000 pytest tests/test_fuzz.py`
(examples per test). The number of inputs tried is printed at the end of the module.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from embeddings.base import HashEncoder
from qa.errors import SettingsError, TranscriptFormatError
from qa.ingest.chunking import ChunkerSettings, chunk_transcript, speaker_prefix
from qa.ingest.parsers import FORMATS, decode_bytes, parse_text, transcript_from_bytes
from qa.models import Transcript, Utterance
from qa.tokens import count_tokens

LONG_RUN = int(os.environ.get("TQA_FUZZ_EXAMPLES", "0"))
TRIED: Counter[str] = Counter()
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x7f]")


def examples(default: int) -> int:
    return LONG_RUN or default


def fuzz(default: int) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Hypothesis settings for one fuzz test: its example count and a per-example deadline."""
    return settings(
        max_examples=examples(default),
        deadline=timedelta(seconds=5),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


@pytest.fixture(scope="module", autouse=True)
def report_counts(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    total = sum(TRIED.values())
    line = f"fuzz: {total} inputs tried ({', '.join(f'{k} {v}' for k, v in sorted(TRIED.items()))})"
    capture = request.config.pluginmanager.getplugin("capturemanager")
    if capture is None:
        print(line)
        return
    with capture.global_and_fixture_disabled():
        print(f"\n{line}")


# ------------------------------------------------------------------------------ building blocks

NAMES = [
    "Vladimir Putin",
    "President of Russia Vladimir Putin",
    "Question",
    "Remark",
    "SPEAKER_00",
    "Speaker 1",
    "PERSON3",
    "JOHN",
    "Dmitry Peskov",
    "Olympic figure skating silver medallist Yevgenia Medvedeva",
    "أحمد المنصوري",
    "דוד כהן",
    "Zoë Müller",
    "Note",
    "What I said was",
    "We agreed with Vladimir Putin",
    "",
]
WORDS = [
    "trade",
    "the",
    "pandemic",
    "Karaganda",
    "vaccine",
    "20",
    "percent",
    "—",
    "«quoted»",
    "&amp;",
    "&nbsp;",
    "&#x41;",
    "<b>",
    "</b>",
    "<i>again</i>",
    "<…>",
    "[…]",
    "* * *",
    "http://en.kremlin.ru/events/1",
    "a:b",
    ":",
    "?",
    "Mr.",
    "U.S.",
    "\u00a0",
    "\u200b",
    "\x00",
    "\t",
    "🙂",
    "👍🏽",
    "ميزانية",
    "שלום",
    "预算",
    "Добрый",
    "x" * 300,
    "-->",
    "00:00:01,000",
]
junk = st.text(
    alphabet=st.sampled_from(list("abcXYZ :;,.-<>/[]{}()\"'*&#_\n\t0123456789→\u00a0\x00")),
    max_size=30,
)
words = st.lists(st.one_of(st.sampled_from(WORDS), junk), min_size=0, max_size=12).map(" ".join)
names = st.one_of(st.sampled_from(NAMES), st.text(max_size=20), st.just("Z" * 300))


@st.composite
def corrupted(draw: st.DrawFn, text: str) -> str:
    """The text after 0-3 random edits: replace, delete, insert, truncate, duplicate a line."""
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["replace", "delete", "insert", "truncate", "dup", "arrow"]))
        at = draw(st.integers(0, len(text)))
        if kind == "replace" and text:
            at = min(at, len(text) - 1)
            text = text[:at] + draw(st.characters()) + text[at + 1 :]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 40)) :]
        elif kind == "insert":
            piece = draw(st.one_of(junk, st.sampled_from(["\n\n", "-->", "WEBVTT", "\ufeff"])))
            text = text[:at] + piece + text[at:]
        elif kind == "truncate":
            text = text[:at]
        elif kind == "dup":
            lines = text.split("\n")
            i = draw(st.integers(0, len(lines) - 1))
            lines.insert(i, lines[i])
            text = "\n".join(lines)
        elif kind == "arrow":
            text = text.replace("-->", draw(st.sampled_from(["->", "--> -->", "— >", ""])), 1)
    return text


def check_transcript(transcript: Transcript, fmt: str | None) -> None:
    """What every successful parse promises."""
    assert transcript.utterances
    assert [u.index for u in transcript.utterances] == list(range(len(transcript.utterances)))
    if transcript.format != "qmsum":  # QMSum keeps empty turns: turn i is utterance i
        assert all(u.text for u in transcript.utterances)
    if fmt is not None:
        assert transcript.format == fmt
    for u in transcript.utterances:
        assert not _CONTROL.search(u.text), u.text
        assert u.speaker is None or not _CONTROL.search(u.speaker)
        for t in (u.start_s, u.end_s):
            assert t is None or (math.isfinite(t) and t >= 0), t


def parse_or_refuse(text: str, fmt: str | None, source: str) -> Transcript | None:
    """parse_text, allowing only TranscriptFormatError (which must name the source)."""
    TRIED[fmt or "detect"] += 1
    try:
        transcript = parse_text(text, source=source, format=fmt)
    except TranscriptFormatError as exc:
        assert exc.source == source and exc.reason and "\n" not in exc.reason
        return None
    check_transcript(transcript, fmt)
    return transcript


# -------------------------------------------------------------------------------- subtitles


def clock(ms: int, *, srt: bool, short: bool) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    sep = "," if srt else "."
    if short and not hours:
        return f"{minutes:02d}:{seconds:02d}{sep}{millis:03d}"
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{sep}{millis:03d}"


def cue_line(vtt: bool) -> st.SearchStrategy[str]:
    said = st.tuples(names, words)
    forms = [
        words,
        said.map(lambda nw: f"{nw[0]}: {nw[1]}"),
        said.map(lambda nw: f"- {nw[0]}: {nw[1]}"),
        said.map(lambda nw: f"[{nw[0].upper()}] {nw[1]}"),
        said.map(lambda nw: f"[{nw[0]}]: {nw[1]}"),
        said.map(lambda nw: f">> {nw[0]}: {nw[1]}"),
        words.map(lambda w: f">> {w}"),
        words.map(lambda w: f"<i>{w}</i>"),
        words.map(lambda w: "{\\an8}" + w),
    ]
    if vtt:
        forms += [
            said.map(lambda nw: f"<v {nw[0]}>{nw[1]}</v>"),
            said.map(lambda nw: f"<v.loud {nw[0]}>{nw[1]}"),
            words.map(lambda w: f"<c.yellow>{w}</c> <00:00:01.500>{w}"),
        ]
    return st.one_of(forms)


@st.composite
def subtitles(draw: st.DrawFn, vtt: bool) -> str:
    blocks: list[str] = []
    if vtt:
        header = "WEBVTT" + draw(st.sampled_from(["", " - Meeting", "\nKind: captions"]))
        blocks.append(header)
        if draw(st.booleans()):
            blocks.append("NOTE " + draw(words))
        if draw(st.booleans()):
            blocks.append("STYLE\n::cue { color: yellow }")
    start = draw(st.integers(0, 4_000_000))
    for n in range(1, draw(st.integers(1, 7)) + 1):
        end = start + draw(st.integers(0, 9000))
        short = vtt and draw(st.booleans())
        timing = (
            f"{clock(start, srt=not vtt, short=short)} --> {clock(end, srt=not vtt, short=short)}"
        )
        if vtt and draw(st.booleans()):
            timing += " align:start position:10%"
        idents = ["", str(n), f"cue-{n}", f'{n} "{draw(names)}" (1063281152)', f"7a9a/{n}-0"]
        ident = str(n) if not vtt else draw(st.sampled_from(idents))
        lines = draw(st.lists(cue_line(vtt), max_size=3))
        if draw(st.integers(0, 3)) == 0:
            lines.insert(0, " ")  # YouTube: a one-space line after the timing
        blocks.append("\n".join([x for x in (ident, timing) if x] + lines))
        start = end + draw(st.integers(0, 3000))
    return draw(corrupted("\n\n".join(blocks) + "\n"))


@fuzz(300)
@given(text=subtitles(vtt=False))
def test_fuzz_srt(text: str) -> None:
    parse_or_refuse(text, "srt", "cues.srt")


@fuzz(200)
@given(text=subtitles(vtt=True))
def test_fuzz_vtt(text: str) -> None:
    parse_or_refuse(text, "vtt", "cues.vtt")


# ------------------------------------------------------------------------------ kremlin pages


@st.composite
def inline(draw: st.DrawFn, depth: int = 0) -> str:
    """Paragraph content: text, bold/italic runs, tooltips and hidden widgets, nested."""
    pieces = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["text", "b", "i", "strong", "tooltip", "ignore", "br", "a"]))
        if kind == "text" or depth > 3:
            pieces.append(draw(words))
        elif kind == "br":
            pieces.append("<br>")
        elif kind == "tooltip":
            pieces.append(f'<span class="read__tooltip">{draw(words)}</span>')
        elif kind == "ignore":
            pieces.append(f'<div class="masha-ignore">{draw(words)}</div>')
        elif kind == "a":
            pieces.append(f'<a href="/events/{draw(st.integers(0, 9))}">{draw(words)}</a>')
        else:
            pieces.append(f"<{kind}>{draw(inline(depth + 1))}</{kind}>")
    return "".join(pieces)


@st.composite
def kremlin_paragraph(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["label", "label-after", "remark", "plain", "sep", "h", "li"]))
    body = draw(inline())
    name = draw(names)
    if kind == "label":
        return f"<p><b>{name}:</b> {body}</p>"
    if kind == "label-after":
        return f"<p><b>{name}</b><i>({draw(words)})</i><b>:</b> {body}</p>"
    if kind == "remark":
        return f"<p><i>({draw(words)})</i></p>"
    if kind == "sep":
        return "<p><b>* * *</b></p>"
    if kind == "h":
        return f"<h3>{body}</h3>"
    if kind == "li":
        return f"<ul><li>{body}</li><li><b>{name}:</b> {draw(words)}</li></ul>"
    return f"<p>{body}</p>"


@st.composite
def kremlin_pages(draw: st.DrawFn) -> str:
    paragraphs = draw(st.lists(kremlin_paragraph(), min_size=0, max_size=10))
    nest = draw(st.integers(0, 30))
    content = "<div>" * nest + "".join(paragraphs) + "</div>" * nest
    if draw(st.booleans()):  # unclosed tags, stray closers
        content += draw(st.sampled_from(["<b>", "</p></div>", "<p><b>Vladimir Putin:", "</i>"]))
    date = draw(st.sampled_from(["2021-06-30", "2021-13-45", "", "yesterday"]))
    page = (
        "<!DOCTYPE html><html><head>"
        '<meta property="og:url" content="http://en.kremlin.ru/events/president/transcripts/1">'
        '</head><body><div class="read"><article class="read__in">'
        f'<h1>{draw(words)}</h1><time class="read__published" datetime="{date}">x</time>'
        f'<div class="read__time">{draw(st.sampled_from(["18:40", "9:05", "", "25:99"]))}</div>'
        f'<div class="read__place">{draw(words)}</div>'
        f'<div class="read__lead">{draw(words)}</div>'
        f'<div class="entry-content">{content}</div>'
        '<div class="read__bottommeta"><div class="read__tags"><div class="read__tagscol">'
        f"<h3>Topics</h3><ul><li>{draw(words)}</li></ul></div></div></div>"
        "</article></div></body></html>"
    )
    return draw(corrupted(page))


@fuzz(120)
@given(text=kremlin_pages())
def test_fuzz_kremlin_html(text: str) -> None:
    parse_or_refuse(text, "kremlin-html", "17108.html")


@st.composite
def kremlin_text_pages(draw: st.DrawFn) -> str:
    lines = ["Events", draw(words), draw(words)]
    lines.append(draw(st.sampled_from(["June 30, 2021", "February 30, 2021", "June 30 2021"])))
    lines.append(draw(st.sampled_from(["18:40", "9:05", "99:99"])))
    lines.append(draw(st.sampled_from(["The Kremlin, Moscow", "Sochi", ""])))
    for _ in range(draw(st.integers(0, 2))):
        lines += [f"{draw(st.integers(1, 9))} of {draw(st.integers(1, 9))}", draw(words)]
    for _ in range(draw(st.integers(0, 10))):
        kind = draw(st.sampled_from(["label", "split", "plain", "elision", "sep"]))
        if kind == "label":
            lines.append(f"{draw(names)}: {draw(words)}")
        elif kind == "split":
            lines += [draw(names), f": {draw(words)}"]
        elif kind == "elision":
            lines.append("<…>")
        elif kind == "sep":
            lines.append("* * *")
        else:
            lines.append(draw(words))
    for heading in draw(st.lists(st.sampled_from(["Geography", "Topics", "Persons"]))):
        lines += [heading, draw(words)]
    if draw(st.booleans()):
        lines += ["Publication status", "Published in sections: News, Transcripts"]
        lines += ["Publication date: June 30, 2021, 18:40", "Text version"]
    return draw(corrupted("\n".join(lines)))


@fuzz(200)
@given(text=kremlin_text_pages())
def test_fuzz_kremlin_text(text: str) -> None:
    parse_or_refuse(text, "kremlin-text", "seed.txt")


@st.composite
def plain_texts(draw: st.DrawFn) -> str:
    lines: list[str] = []
    if draw(st.booleans()):
        lines += [f"# {draw(words)}", f"Date: {draw(st.sampled_from(['2021-06-30', 'June']))}"]
    if draw(st.integers(0, 4)) == 0:
        lines = ["---", f"title: {draw(words)}", f"date: '{draw(words)}'", "---", *lines]
    if draw(st.integers(0, 4)) == 0:
        lines += [f"**Company:** {draw(words)}", f"Quarter: {draw(words)}"]
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(
            st.sampled_from(["label", "paren", "stamp", "bold", "cont", "blank", "h", "md"])
        )
        if kind == "label":
            lines.append(f"{draw(names)}: {draw(words)}")
        elif kind == "md":
            lines.append(
                draw(
                    st.sampled_from(
                        [
                            f"**[{draw(st.sampled_from(['00:01', '1:02:03', '99:99']))}] "
                            f"{draw(names)}:** {draw(words)}",
                            f"### {draw(names)}  {draw(st.sampled_from(['0:02', '12:61']))}  ",
                            f"{draw(names)} (00:01:02):",
                            f"\\[04:22\\] {draw(words)} \\[laughs\\]",
                            f"**{draw(names)}**: {draw(words)}",
                            "[00:22:41]  : " + draw(words),
                            "00:05:00",
                            "---",
                            "] Discussion of " + draw(words),
                            "--Title page--",
                            "Transcribed by https://otter.ai",
                            f"[{draw(words)}](https://example.org/x)",
                        ]
                    )
                )
            )
        elif kind == "paren":
            lines.append(f"(PERSON{draw(st.integers(0, 99))}) {draw(words)}")
        elif kind == "stamp":
            stamp = draw(st.sampled_from(["[00:01:02]", "(1:02)", "00:00:05.5 -", "[99:99]"]))
            lines.append(f"{stamp} {draw(names)}: {draw(words)}")
        elif kind == "bold":
            lines.append(f"**{draw(names)}:** {draw(words)}")
        elif kind == "blank":
            lines.append("")
        elif kind == "h":
            lines.append(f"## {draw(words)}")
        else:
            lines.append(draw(words))
    return draw(corrupted("\n".join(lines)))


@fuzz(300)
@given(text=plain_texts())
def test_fuzz_plain(text: str) -> None:
    parse_or_refuse(text, "plain", "notes.txt")


# ------------------------------------------------------------------------------------ JSON

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    words,
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.sampled_from(["text", "speaker", "start", "end", "content", "x"]), inner
        ),
    ),
    max_leaves=12,
)


def maybe(value: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Usually the value, sometimes any JSON value in its place, sometimes absent."""
    return st.one_of(value, value, value, json_values, st.just(...))


def json_object(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    def build(values: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in values.items() if v is not ...}

    return st.fixed_dictionaries({k: maybe(v) for k, v in fields.items()}).map(build)


qmsum_turn = json_object({"speaker": names, "content": words})
qmsum_meeting = json_object(
    {
        "meeting_transcripts": st.lists(qmsum_turn, max_size=8),
        "topic_list": st.lists(json_object({"topic": words, "relevant_text_span": json_values})),
    }
)
seconds = st.one_of(st.floats(min_value=0, max_value=1e7), st.integers(0, 10**7))
whisper_segment = json_object({"start": seconds, "end": seconds, "text": words, "speaker": names})
whisper_result = st.one_of(
    json_object({"segments": st.lists(whisper_segment, max_size=8), "language": words}),
    st.lists(whisper_segment, max_size=8),
)


def as_json(value: Any, draw: Callable[..., Any]) -> str:
    text = json.dumps(value, ensure_ascii=draw(st.booleans()), allow_nan=True)
    return draw(corrupted(text)) if draw(st.integers(0, 4)) == 0 else text


@fuzz(200)
@given(data=st.data(), value=st.one_of(qmsum_meeting, json_values))
def test_fuzz_qmsum(data: st.DataObject, value: Any) -> None:
    transcript = parse_or_refuse(as_json(value, data.draw), "qmsum", "meeting.json")
    if transcript is not None and isinstance(value, dict):
        # Utterance i is turn i, exactly: evaluation depends on it.
        assert len(transcript.utterances) == len(value["meeting_transcripts"])


@fuzz(300)
@given(data=st.data(), value=st.one_of(whisper_result, json_values))
def test_fuzz_whisper(data: st.DataObject, value: Any) -> None:
    parse_or_refuse(as_json(value, data.draw), "whisper", "asr.json")


deepgram_utterance = json_object(
    {"start": seconds, "end": seconds, "transcript": words, "speaker": st.integers(0, 3)}
)
deepgram_word = json_object(
    {"word": words, "punctuated_word": words, "start": seconds, "end": seconds, "speaker": names}
)
deepgram_result = json_object(
    {
        "metadata": json_object({"request_id": words}),
        "results": json_object(
            {
                "utterances": st.lists(deepgram_utterance, max_size=6),
                "channels": st.lists(
                    json_object(
                        {
                            "alternatives": st.lists(
                                json_object(
                                    {
                                        "transcript": words,
                                        "words": st.lists(deepgram_word, max_size=6),
                                    }
                                ),
                                max_size=2,
                            )
                        }
                    ),
                    max_size=2,
                ),
            }
        ),
    }
)
assemblyai_item = json_object(
    {"text": words, "start": st.integers(0, 10**7), "end": st.integers(0, 10**7), "speaker": names}
)
assemblyai_result = json_object(
    {
        "text": words,
        "audio_url": words,
        "utterances": st.one_of(st.none(), st.lists(assemblyai_item, max_size=6)),
        "words": st.lists(assemblyai_item, max_size=8),
        "language_code": words,
    }
)
rev_part = json_object(
    {
        "type": st.sampled_from(["text", "punct", 0]),
        "value": words,
        "ts": seconds,
        "end_ts": seconds,
        "endTs": seconds,
    }
)
rev_result = json_object(
    {
        "speakers": st.lists(json_object({"id": st.integers(0, 3), "name": names}), max_size=3),
        "monologues": st.lists(
            json_object(
                {
                    "speaker": st.one_of(st.integers(0, 3), names),
                    "speaker_name": names,
                    "startTime": seconds,
                    "elements": st.lists(rev_part, max_size=6),
                    "spans": st.lists(rev_part, max_size=6),
                }
            ),
            max_size=6,
        ),
    }
)


@fuzz(150)
@given(data=st.data(), value=st.one_of(deepgram_result, json_values))
def test_fuzz_deepgram(data: st.DataObject, value: Any) -> None:
    parse_or_refuse(as_json(value, data.draw), "deepgram", "dg.json")


@fuzz(150)
@given(data=st.data(), value=st.one_of(assemblyai_result, json_values))
def test_fuzz_assemblyai(data: st.DataObject, value: Any) -> None:
    parse_or_refuse(as_json(value, data.draw), "assemblyai", "aai.json")


@fuzz(150)
@given(data=st.data(), value=st.one_of(rev_result, json_values))
def test_fuzz_rev(data: st.DataObject, value: Any) -> None:
    parse_or_refuse(as_json(value, data.draw), "rev", "rev.json")


# -------------------------------------------------------------- tokens, rows, records, XML

cell = st.one_of(words, junk, st.sampled_from(["", "0", "1.5", "-3", "nan", "inf", "1e400"]))


@st.composite
def rev_nlp_files(draw: st.DrawFn) -> str:
    lines = ["token|speaker|ts|endTs|punctuation|case|tags|wer_tags"]
    for _ in range(draw(st.integers(0, 20))):
        token = draw(st.one_of(words, st.sampled_from(["<inaudible>", "Collin", "I"])))
        speaker = draw(st.sampled_from(["0", "1", "", "x"]))
        punct = draw(st.sampled_from(["", ".", ",", "?", "|"]))
        lines.append(f"{token}|{speaker}|{draw(cell)}|{draw(cell)}|{punct}|LC|[]|[]")
    return draw(corrupted("\r\n".join(lines)))


@st.composite
def coraal_files(draw: st.DrawFn) -> str:
    lines = ["Line\tSpkr\tStTime\tContent\tEnTime"]
    for n in range(draw(st.integers(0, 12))):
        content = draw(
            st.one_of(
                words,
                st.sampled_from(["(pause 0.28)", "[Okay], great.", "/??/", "/RD-NAME-2/", "<ts>"]),
            )
        )
        speaker = draw(st.sampled_from(["ROC_int_01", "ROC_se0_ag3_f_02", ""]))
        lines.append(f"{n}\t{speaker}\t{draw(cell)}\t{content}\t{draw(cell)}")
    return draw(corrupted("\n".join(lines)))


@st.composite
def court_records(draw: st.DrawFn) -> str:
    lines = [draw(words), "INTERVIEW OF:  " + draw(names).upper(), "APPEARANCES:"]
    for _ in range(draw(st.integers(0, 14))):
        kind = draw(st.sampled_from(["label", "by", "q", "a", "cont", "para", "note", "head"]))
        if kind == "label":
            title = draw(st.sampled_from(["MR.", "MS.", "THE COURT", "SENATOR", "DR."]))
            name = "" if title == "THE COURT" else " " + draw(names).upper()
            lines.append(f"      {title}{name}:  {draw(words)}")
        elif kind == "by":
            lines.append(f"BY {draw(st.sampled_from(['MS. SAWYER', 'THE WITNESS', 'MR. X']))}:")
        elif kind in ("q", "a"):
            lines.append(f"      {kind.upper()}. {draw(words)}")
        elif kind == "para":
            lines.append(f"      {draw(words)}")
        elif kind == "note":
            lines += [f"                   (Whereupon {draw(words)}", f"   {draw(words)})"]
        elif kind == "head":
            lines.append("                    EXAMINATION")
        else:
            lines.append(draw(words))
    return draw(corrupted("\n".join(lines)))


@st.composite
def hansard_sittings(draw: st.DrawFn) -> str:
    paragraphs = []
    for n in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(["speech", "question", "narration", "col"]))
        member = f"<member>{draw(names)}</member>"
        if kind == "speech":
            body = f"{draw(words)}<lb/>{draw(words)}<col>{n}</col>{draw(words)}"
            paragraphs.append(f"<p>{member}<membercontribution>: {body}</membercontribution></p>")
        elif kind == "question":
            paragraphs.append(f"<p>{n}. {member} asked {draw(words)}</p>")
        elif kind == "col":
            paragraphs.append(f"<col>{n}</col><image src='x'/>")
        else:
            paragraphs.append(f"<p><i>{draw(words)}</i></p>")
    body = "".join(paragraphs)
    date = draw(st.sampled_from(["1976-01-22", "1976-13-45", ""]))
    page = (
        f"<housecommons><title>{draw(words)}</title><date format='{date}'>x</date>"
        f"<debates><section><title>{draw(words)}</title>{body}</section></debates></housecommons>"
    )
    return draw(corrupted(page))


@fuzz(150)
@given(text=rev_nlp_files())
def test_fuzz_rev_nlp(text: str) -> None:
    parse_or_refuse(text, "rev-nlp", "call.nlp")


@fuzz(150)
@given(text=coraal_files())
def test_fuzz_coraal(text: str) -> None:
    parse_or_refuse(text, "coraal", "interview.txt")


@fuzz(200)
@given(text=court_records())
def test_fuzz_court(text: str) -> None:
    parse_or_refuse(text, "court", "deposition.txt")


@fuzz(150)
@given(text=hansard_sittings())
def test_fuzz_hansard(text: str) -> None:
    parse_or_refuse(text, "hansard", "sitting.xml")


# ---------------------------------------------------------------- detection and decoding path

any_document = st.one_of(
    subtitles(vtt=False),
    subtitles(vtt=True),
    kremlin_pages(),
    kremlin_text_pages(),
    plain_texts(),
    st.builds(json.dumps, qmsum_meeting),
    st.builds(json.dumps, whisper_result),
    st.builds(json.dumps, deepgram_result),
    st.builds(json.dumps, assemblyai_result),
    st.builds(json.dumps, rev_result),
    rev_nlp_files(),
    coraal_files(),
    court_records(),
    hansard_sittings(),
)
ENCODINGS: dict[str, Callable[[str], bytes]] = {
    "utf-8": lambda t: t.encode("utf-8", "surrogatepass"),
    "utf-8-bom": lambda t: b"\xef\xbb\xbf" + t.encode("utf-8", "surrogatepass"),
    "utf-16": lambda t: t.encode("utf-16", "surrogatepass"),
    "utf-16-be-bom": lambda t: b"\xfe\xff" + t.encode("utf-16-be", "surrogatepass"),
    "utf-32": lambda t: t.encode("utf-32", "surrogatepass"),
    "cp1251": lambda t: t.encode("cp1251", "replace"),
    "latin-1": lambda t: t.encode("latin-1", "replace"),
}


@st.composite
def flipped(draw: st.DrawFn, data: bytes) -> bytes:
    for _ in range(draw(st.integers(0, 2))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1 :]
    return data[: draw(st.integers(0, len(data)))] if draw(st.integers(0, 5)) == 0 else data


@fuzz(250)
@given(
    data=st.data(),
    text=any_document,
    encoding=st.sampled_from(sorted(ENCODINGS)),
    name=st.sampled_from(["t.txt", "t.srt", "t.vtt", "t.json", "t.html", "t.md", "t"]),
    forced=st.sampled_from([None, None, None, *FORMATS]),
)
def test_fuzz_detect_decode_and_read(
    data: st.DataObject, text: str, encoding: str, name: str, forced: str | None
) -> None:
    raw = data.draw(flipped(ENCODINGS[encoding](text)))
    TRIED["bytes"] += 1
    try:
        decoded = decode_bytes(raw, name)
    except TranscriptFormatError as exc:
        assert exc.source == name
        return
    parse_or_refuse(decoded, forced, name)
    # The read path (bytes -> Transcript, as the ingest pipeline uses it) agrees with the pieces.
    try:
        read = transcript_from_bytes(raw, Path(name), format=forced)
    except TranscriptFormatError:
        return
    assert read.utterances == parse_text(decoded, source=name, format=forced).utterances


# ----------------------------------------------------------------------------------- chunker

UNIT_WORDS = [
    "trade",
    "Karaganda",
    "vaccine.",
    "Why?",
    "Yes!",
    "—",
    "«quoted»",
    "🙂",
    "ميزانية",
    "预算预算预算",
    "x" * 120,
    "https://en.kremlin.ru/events/president/transcripts/65000",
    "Mr.",
    "20%",
]
texts = st.lists(st.one_of(st.sampled_from(UNIT_WORDS), st.text(max_size=15)), max_size=120).map(
    " ".join
)


@st.composite
def transcripts(draw: st.DrawFn, speaker_names: st.SearchStrategy[str | None]) -> Transcript:
    utterances = []
    part = 0
    for i in range(draw(st.integers(0, 25))):
        name = draw(speaker_names)
        part += draw(st.sampled_from([0, 0, 0, 1]))
        utterances.append(Utterance(i, name, name, draw(texts), part=part))
    return Transcript("fuzz", "Fuzz", tuple(utterances), "plain")


COUNTERS: dict[str, Callable[[str], int] | None] = {
    "none": None,
    "words": HashEncoder().count_tokens,
    "chars/3": lambda s: len(s) // 3 + 1,
}


def non_space(text: str) -> str:
    return "".join(text.split())


def check_chunks(
    transcript: Transcript,
    budget: int,
    max_model: int | None,
    counter: Callable[[str], int] | None,
) -> list[Any] | None:
    """The chunks, checked; None when the settings are invalid (and refused as they must be)."""
    TRIED["chunker"] += 1
    try:
        chunker = ChunkerSettings(budget_tokens=budget, max_model_tokens=max_model)
    except SettingsError:
        assert budget < 16 or (max_model is not None and max_model < 18)
        return None
    try:
        chunks = chunk_transcript(transcript, chunker, counter)
    except SettingsError:
        assert max_model is not None and counter is None
        return None
    spoken = [u for u in transcript.utterances if u.text.split()]
    if not spoken:
        assert chunks == []
        return chunks
    assert chunks
    first, last = transcript.utterances[0].index, transcript.utterances[-1].index
    assert chunks[0].utterance_start == first and chunks[-1].utterance_end == last
    for n, chunk in enumerate(chunks):
        assert chunk.ordinal == n and chunk.transcript_id == transcript.id
        assert chunk.utterance_start <= chunk.utterance_end
        if n:
            # Ranges tile the transcript: in order, no gap, no overlap (a long utterance cut in
            # pieces is the one case where neighbours share it).
            assert chunk.utterance_start in (
                chunks[n - 1].utterance_end,
                chunks[n - 1].utterance_end + 1,
            )
        assert chunk.token_count == count_tokens(chunk.text) <= budget
        if max_model is not None and counter is not None:
            assert counter(chunk.text) <= max_model - 2
        covered = transcript.utterances[chunk.utterance_start : chunk.utterance_end + 1]
        assert set(chunk.speakers) <= {u.canonical_speaker for u in covered}
    return chunks


@fuzz(200)
@given(
    transcript=transcripts(st.one_of(st.none(), names)),
    budget=st.integers(10, 300),
    max_model=st.one_of(st.none(), st.integers(10, 300)),
    counter=st.sampled_from(sorted(COUNTERS)),
)
def test_fuzz_chunker_keeps_ranges_budgets_and_speakers(
    transcript: Transcript, budget: int, max_model: int | None, counter: str
) -> None:
    chunks = check_chunks(transcript, budget, max_model, COUNTERS[counter])
    if chunks:
        # Nothing lost or reordered: every non-space character of the utterances, in order,
        # is in the chunk texts (the labels add characters in between).
        wanted = iter(non_space(" ".join(u.text for u in transcript.utterances)))
        have = non_space("".join(c.text for c in chunks))
        position = 0
        for ch in wanted:
            position = have.find(ch, position) + 1
            assert position, f"lost {ch!r}"


# Speaker names in Greek capitals, a script the texts never use, so labels can be taken off
# exactly and the rest compared character for character.
GREEK = st.lists(st.sampled_from("ΑΒΓΔΕΖΗΘ"), min_size=1, max_size=6).map("".join)
greek_names = st.lists(GREEK, min_size=1, max_size=3).map(" ".join)
_GREEK_LABEL = re.compile(r"^[Α-Ω ]+: ")
_GREEK = re.compile(r"[Α-Ω]")


@fuzz(200)
@given(
    transcript=transcripts(greek_names).filter(
        lambda t: not any(_GREEK.search(u.text) for u in t.utterances)
    ),
    budget=st.integers(40, 300),
    max_model=st.one_of(st.none(), st.integers(40, 300)),
    counter=st.sampled_from(sorted(COUNTERS)),
)
def test_fuzz_chunker_loses_nothing_and_labels_every_line(
    transcript: Transcript, budget: int, max_model: int | None, counter: str
) -> None:
    chunks = check_chunks(transcript, budget, max_model, COUNTERS[counter])
    if chunks is None:
        return
    bodies = []
    for chunk in chunks:
        for line in chunk.text.split("\n"):
            label = _GREEK_LABEL.match(line)
            assert label, f"a line without its speaker's label: {line[:60]!r}"
            name = label.group(0)[:-2]
            assert any(
                speaker_prefix(u).rstrip(": ").endswith(name)
                for u in transcript.utterances[chunk.utterance_start : chunk.utterance_end + 1]
            )
            bodies.append(line[label.end() :])
    assert non_space("".join(bodies)) == non_space("".join(u.text for u in transcript.utterances))
