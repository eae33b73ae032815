"""kremlin.ru pages copied as text: header lines, one paragraph per line, a footer of tags."""

from __future__ import annotations

import re
from datetime import datetime

from qa.ingest.parsers._common import (
    Turn,
    is_elision,
    make_transcript,
    normalize_text,
    strip_elisions,
)
from qa.ingest.parsers._labels import ROLE_LABELS, merge_split_labels, split_label
from qa.models import Transcript

FORMAT = "kremlin-text"

_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
DATE_LINE_RE = re.compile(rf"^(?:{_MONTHS}) \d{{1,2}}, \d{{4}}$")
TIME_LINE_RE = re.compile(r"^\d{1,2}:\d{2}$")
_COUNTER_RE = re.compile(r"^\d+ of \d+$")  # photo gallery: "4 of 4"
_SEPARATOR_RE = re.compile(r"^\*(?:\s*\*)+$")
FOOTER_HEADINGS = frozenset({"Geography", "Topics", "Persons", "Publication status"})
_CAMEL_RE = re.compile(r"^[A-Z][a-z]{2,}[A-Z][a-z]{2,}$")
_SECTIONS = frozenset({"Events", "News", "Transcripts", "Speeches and transcripts", "President"})
# Kremlin labels carry long titles: "Deputy Prime Minister ... Envoy to the Far Eastern ...".
_MAX_LABEL_WORDS = 24
_MAX_LABEL_CHARS = 200


def looks_like_kremlin_text(lines: list[str]) -> bool:
    """A month-name date line and an HH:MM line in the header, or the page's footer keys."""
    head = [line.strip() for line in lines[:60] if line.strip()][:15]
    for i, line in enumerate(head):
        if DATE_LINE_RE.match(line) and i + 1 < len(head) and TIME_LINE_RE.match(head[i + 1]):
            return True
    stripped = {line.strip() for line in lines}
    return "Publication status" in stripped and any(
        line.strip().startswith("Publication date:") for line in lines
    )


def _label(line: str) -> tuple[str, str] | None:
    split = split_label(
        line, max_words=_MAX_LABEL_WORDS, max_chars=_MAX_LABEL_CHARS, allow_single=False
    )
    if split is None:
        return None
    label, words = split
    # A one-word label is a role ("Question:") or a name that lost its space ("VladimirPutin:"),
    # never "Second: I did not ..."
    if " " not in label and not (
        label.lower() in ROLE_LABELS or label.isupper() or _CAMEL_RE.match(label)
    ):
        return None
    if words.startswith(("“", '"', "«")):
        return None  # a message read out: 'Perm Territory: “Why are single-industry towns ...'
    return split


def _iso_date(line: str) -> str | None:
    try:
        return datetime.strptime(line, "%B %d, %Y").date().isoformat()
    except ValueError:
        return None


def _footer_start(lines: list[str]) -> int:
    """Index of the first footer heading after which no speaker turn follows."""
    for i, line in enumerate(lines):
        if line in FOOTER_HEADINGS and not any(
            _label(rest) for rest in lines[i + 1 :] if not rest.startswith("Publication")
        ):
            return i
    return len(lines)


def _footer(lines: list[str]) -> dict[str, list[str]]:
    meta: dict[str, list[str]] = {}
    key: str | None = None
    for line in lines:
        if line in FOOTER_HEADINGS:
            key = line.lower().replace(" ", "_")
            continue
        if line.startswith("Published in"):
            meta["publication_status"] = [line]
            meta["sections"] = [s.strip() for s in line.split(":", 1)[-1].split(",") if s.strip()]
        elif line.startswith("Publication date:"):
            meta["publication_date"] = [line.split(":", 1)[1].strip()]
        elif line.startswith("Direct link:"):
            meta["url"] = [line.split(":", 1)[1].strip()]
        elif line == "Text version":
            continue
        elif key and key != "publication_status":
            meta.setdefault(key, []).append(line)
    return meta


def parse_kremlin_text(text: str, *, source: str, transcript_id: str) -> Transcript:
    """Parse a kremlin.ru page copied as text (the seed's format)."""
    raw = [normalize_text(line) for line in text.splitlines()]
    lines = merge_split_labels(
        [line for line in raw if line], max_words=_MAX_LABEL_WORDS, max_chars=_MAX_LABEL_CHARS
    )
    meta: dict[str, list[str]] = {}
    title = transcript_id
    lead: str | None = None
    date = clock = place = None
    body_start = 0

    date_at = next(
        (i for i, line in enumerate(lines[:15]) if DATE_LINE_RE.match(line) and not _label(line)),
        None,
    )
    if date_at is not None:
        header = lines[:date_at]
        if len(header) >= 3 and (header[0] in _SECTIONS or len(header[0].split()) <= 2):
            meta["section"] = [header[0]]
            header = header[1:]
        if header:
            title = header[0]
            lead = " ".join(header[1:]) or None
        date = _iso_date(lines[date_at])
        i = date_at + 1
        if i < len(lines) and TIME_LINE_RE.match(lines[i]):
            clock = lines[i].zfill(5)
            i += 1
        if (
            i < len(lines)
            and not _COUNTER_RE.match(lines[i])
            and not _label(lines[i])
            and len(lines[i].split()) <= 8
            and not lines[i].endswith((".", "?", "!", ":"))
            and ". " not in lines[i]
        ):
            place = lines[i]
            i += 1
        # Photo counters ("4 of 4"), each followed by the photo's caption.
        while i < len(lines) and _COUNTER_RE.match(lines[i]):
            i += 1
            if i < len(lines) and not _label(lines[i]) and not _COUNTER_RE.match(lines[i]):
                meta.setdefault("captions", []).append(lines[i])
                i += 1
        body_start = i

    footer_at = _footer_start(lines)
    meta.update(_footer(lines[footer_at:]))

    turns: list[Turn] = []
    speaker: str | None = None
    part = 0
    for line in lines[body_start:footer_at]:
        if is_elision(line):
            continue
        if _SEPARATOR_RE.match(line):
            if turns and turns[-1].part == part:
                part += 1
            continue
        split = _label(line)
        if split is not None:
            speaker, words = split
        else:
            words = line
        words = strip_elisions(words)
        if words:
            turns.append(Turn(speaker, words, part=part))
    return make_transcript(
        turns,
        source=source,
        transcript_id=transcript_id,
        title=title,
        format=FORMAT,
        date=date,
        time=clock,
        place=place,
        lead=lead,
        metadata=meta,
    )
