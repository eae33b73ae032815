"""Helpers shared by the format parsers: text normalisation and building a Transcript."""

from __future__ import annotations

import datetime
import html
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from qa.errors import TranscriptFormatError
from qa.models import Transcript, Utterance
from qa.speakers import canonical_speakers

# Invisible characters that carry no text: zero-width spaces and joiners, BOM, soft hyphen,
# and the control characters that are not whitespace (a NUL past the binary sniff, "\u0000" in
# JSON): stored, they would hide inside words and break exports.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1b\x7f]")
_INVISIBLE_RE = re.compile(r"[\x00-\x08\x0e-\x1b\x7f\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_ENTITY_RE = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# Only real HTML/subtitle tag names, so "a <b> c" in prose is the one rare casualty.
_TAG_RE = re.compile(
    r"</?(a|abbr|b|big|blockquote|br|c|center|del|div|em|font|h[1-6]|hr|i|img|ins|lang|li|mark"
    r"|ol|p|ruby|rt|s|small|span|strike|strong|sub|sup|table|td|th|tr|tt|u|ul|v)"
    r"(?:[\s.][^<>]*)?/?>",
    re.IGNORECASE,
)
# Tags that break a line become a space; inline ones ("<i>again</i>,") vanish.
_BLOCK_TAG_RE = re.compile(r"blockquote|br|center|div|h[1-6]|hr|li|ol|p|table|td|th|tr|ul", re.I)
_ELISION_RE = re.compile(r"^[<\[(]\s*(?:…|\.\.\.)\s*[>\])]$")


# A date in a file name or title: "council-2013-06-05", "Call - 2025/01/16", "2017_08_22",
# Zoom's "GMT20230615-140000": digits that are no part of a longer number.
_NAMED_DATE_RE = re.compile(
    r"(?<![\d])((?:19|20)\d\d)([-_./]?)(0[1-9]|1[0-2])\2(0[1-9]|[12]\d|3[01])(?![\d])"
)


def date_in_name(text: str) -> str | None:
    """The ISO date a file name or title carries (year, month, day in that order), or None:
    exports from meeting tools and recorders rarely state it inside, and a question names its
    occasion by date ("at the June 2013 council meeting")."""
    for match in _NAMED_DATE_RE.finditer(text):
        year, _, month, day = match.groups()
        try:
            return datetime.date(int(year), int(month), int(day)).isoformat()
        except ValueError:  # the 31st of a short month
            continue
    return None


def drop_controls(text: str) -> str:
    """Text without control characters other than whitespace (NUL, ESC, DEL, ...)."""
    return _CONTROL_RE.sub("", text)


def collapse_ws(text: str) -> str:
    """Whitespace runs (including NBSP) -> one space; strip the ends."""
    return " ".join(_INVISIBLE_RE.sub("", text).split())


def normalize_text(text: str) -> str:
    """Unescape HTML entities, drop stray tags and invisible characters, collapse whitespace."""
    if "&" in text:
        text = _ENTITY_RE.sub(lambda m: html.unescape(m.group(0)), text)
    if "<" in text:
        text = _TAG_RE.sub(lambda m: " " if _BLOCK_TAG_RE.fullmatch(m.group(1)) else "", text)
    return collapse_ws(text)


def is_elision(text: str) -> bool:
    """'<…>' (or '[…]', '<...>') marks text the publisher left out."""
    return bool(_ELISION_RE.match(text.strip()))


def strip_elisions(text: str) -> str:
    """An inline '<…>' becomes '…' so no markup-like text stays in an utterance."""
    return re.sub(r"<\s*(…|\.\.\.)\s*>", "…", text) if "<" in text else text


@dataclass
class Turn:
    """One utterance before indices and canonical names are assigned."""

    speaker: str | None
    text: str
    start_s: float | None = None
    end_s: float | None = None
    part: int = 0
    # The source marks a change of speaker here ("- " or ">>" in captions) without naming one.
    new_turn: bool = False
    # Pieces merged into this turn: (character offset in text, their start), see Utterance.
    marks: list[tuple[int, float]] = field(default_factory=list)


def build_utterances(turns: Iterable[Turn], *, keep_empty: bool = False) -> tuple[Utterance, ...]:
    """Number the turns in order and give each its canonical speaker."""
    kept = [t for t in turns if keep_empty or t.text]
    names = canonical_speakers(t.speaker for t in kept)
    return tuple(
        Utterance(
            index=i,
            speaker=t.speaker,
            canonical_speaker=names.get(t.speaker) if t.speaker is not None else None,
            text=t.text,
            start_s=t.start_s,
            end_s=t.end_s,
            part=t.part,
            marks=tuple(t.marks),
        )
        for i, t in enumerate(kept)
    )


def make_transcript(
    turns: Iterable[Turn],
    *,
    source: str,
    transcript_id: str,
    title: str,
    format: str,
    keep_empty: bool = False,
    date: str | None = None,
    time: str | None = None,
    place: str | None = None,
    lead: str | None = None,
    metadata: dict[str, list[str]] | None = None,
) -> Transcript:
    """A Transcript from turns, refusing one without any utterance."""
    utterances = build_utterances(turns, keep_empty=keep_empty)
    if not utterances:
        raise TranscriptFormatError(source, f"no utterances found (read as {format})")
    return Transcript(
        id=transcript_id,
        title=title,
        utterances=utterances,
        format=format,
        date=date,
        time=time,
        place=place,
        lead=lead or None,
        metadata=metadata or {},
    )


def load_json(text: str, source: str) -> Any:
    """json.loads, with a syntax error turned into a TranscriptFormatError naming the line."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise TranscriptFormatError(
            source, f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from exc
    except RecursionError as exc:
        raise TranscriptFormatError(source, "invalid JSON: nested too deeply") from exc
