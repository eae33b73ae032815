"""Plain speaker-labelled text: 'Name: words', '(PERSON3) words', '[00:01:02] Name: words'."""

from __future__ import annotations

import re

from qa.ingest.parsers._common import Turn, make_transcript, normalize_text, parse_clock
from qa.ingest.parsers._labels import merge_split_labels, split_label, split_timestamp
from qa.models import Transcript

FORMAT = "plain"

_MAX_WORDS = 6
_MAX_CHARS = 60
_HEADING_RE = re.compile(r"^#{1,6}\s+(.*)$")
_HEADER_KEYS = {"date": "date", "time": "time", "place": "place", "location": "place"}
_ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def label_lines(text: str, limit: int = 200) -> int:
    """How many of the first `limit` non-blank lines open with a speaker label."""
    count = 0
    seen = 0
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        seen += 1
        if seen > limit:
            break
        _, rest = split_timestamp(stripped)
        if split_label(rest, max_words=_MAX_WORDS, max_chars=_MAX_CHARS):
            count += 1
    return count


def parse_plain(text: str, *, source: str, transcript_id: str) -> Transcript:
    """Parse speaker-labelled text; unlabelled lines continue the current turn.

    A blank line ends an utterance: the next paragraph is a new utterance by the same
    speaker. Lines before the first label are narration (no speaker).
    """
    lines = merge_split_labels(
        [normalize_text(line) for line in text.splitlines()],
        max_words=_MAX_WORDS,
        max_chars=_MAX_CHARS,
    )
    title = transcript_id
    meta: dict[str, list[str]] = {}
    fields: dict[str, str] = {}
    turns: list[Turn] = []
    speaker: str | None = None
    current: Turn | None = None
    for line in lines:
        if not line:
            current = None  # a blank line: the next line starts a new utterance
            continue
        heading = _HEADING_RE.match(line)
        if heading:
            if title == transcript_id and not turns:
                title = heading.group(1).strip() or title
            else:
                turns.append(Turn(None, heading.group(1).strip()))
            current = None
            continue
        stamp, rest = split_timestamp(line)
        start = parse_clock(stamp) if stamp else None
        split = split_label(rest, max_words=_MAX_WORDS, max_chars=_MAX_CHARS)
        if split is None and speaker is None:
            key, _, value = rest.partition(":")
            field = _HEADER_KEYS.get(key.strip().lower())
            if field and value.strip() and field not in fields:
                fields[field] = value.strip()  # "Date: 2021-06-30" in a header
                continue
        if split is not None:
            speaker, words = split
            current = Turn(speaker, words, start_s=start)
            turns.append(current)
        elif current is not None and start is None:
            current.text = f"{current.text} {rest}".strip()
        else:
            current = Turn(speaker, rest, start_s=start)
            turns.append(current)
    date = fields.get("date")
    if date and not _ISO_DATE_RE.match(date):
        meta["date_as_written"] = [date]
        date = None
    return make_transcript(
        turns,
        source=source,
        transcript_id=transcript_id,
        title=title,
        format=FORMAT,
        date=date,
        time=fields.get("time"),
        place=fields.get("place"),
        metadata=meta,
    )
