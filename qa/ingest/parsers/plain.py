"""Plain speaker-labelled text and Markdown transcripts.

'Name: words', '(PERSON3) words', '[00:01:02] Name: words', '**Name:** words',
'**[00:01] SPEAKER_00:** words', Otter's 'Name  0:03' line (also as a '### ' heading) and
Rev/Riverside's 'Name (00:01:23):' line before the words. Markdown escapes (`\\[laughs\\]`) are
undone; a leading `[04:22]` gives the utterance its time and leaves the text. Front matter,
header fields (`**Date:** ...`, and a label used once above the talk with a short value, such
as `Company: MSFT`), headings, attendee lists and export footers go to the metadata.
"""

from __future__ import annotations

import re
from collections import Counter

from qa.clock import parse_clock
from qa.ingest.parsers._common import Turn, make_transcript, normalize_text
from qa.ingest.parsers._labels import is_label, merge_split_labels, split_label, split_timestamp
from qa.models import Transcript

FORMAT = "plain"

_MAX_WORDS = 6
_MAX_CHARS = 60
_HEADING_RE = re.compile(r"^#{1,6}\s+(.*)$")
_HEADER_KEYS = {"date": "date", "time": "time", "place": "place", "location": "place"}
_ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CLOCK = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
# Markdown backslash escapes: "\[laughs\]" is "[laughs]".
_MD_ESCAPE_RE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>|])")
_MD_LINK_RE = re.compile(r"\[([^\[\]]+)\]\((?:https?://|/|#)[^()\s]*\)")  # [Plan 9](https://..)
# "**Name:** words", "**[00:01] SPEAKER_00:** words", "**Name**: words".
_BOLD_LABEL_RE = re.compile(r"^\*\*([^*]{1,80}?)\*\*\s*(.*)$")
# Otter: "Bryan Robinson  0:02" (as written, or as a Markdown heading).
_OTTER_RE = re.compile(r"^(?:#{1,6}\s+)?([^:]+?)\s+(" + _CLOCK + r")$")
# Rev, Riverside, Descript text: "Speaker 1 (00:01:23):" or "Jane Doe (01:23)".
_PAREN_TIME_RE = re.compile(r"^([^:]+?)\s*[(\[](" + _CLOCK + r")[)\]]:?\s*(.*)$")
_BARE_TIME_RE = re.compile(r"^" + _CLOCK + r"$")  # Google Meet: "00:05:00" every 5 minutes
_INLINE_STAMP_RE = re.compile(r"^\[(" + _CLOCK + r")\]\s*")
_EMPTY_LABEL_RE = re.compile(r"^:\s*(.*)$")
_RULE_RE = re.compile(r"^(?:-{3,}|\*{3,}|_{3,})$")
_SLIDE_RE = re.compile(r"^-{2,}\s*(.+?)\s*-{2,}$")  # "--Title page--" in lecture transcripts
_FOOTER_RE = re.compile(r"^(?:Transcribed by https?://otter\.ai|Meeting ended after\b)", re.I)
_BOILERPLATE_RE = re.compile(r"^_?This editable transcript was computer generated", re.I)
_HEADER_NOTE_RE = re.compile(r"^\]\s*(.*)$")  # "] Discussion of ..." above committee hearings
_HEADER_VALUE_WORDS = 8


def _markdown(line: str) -> str:
    """A Markdown line as plain text: escapes undone, a bold label unwrapped."""
    if "\\" in line:
        line = _MD_ESCAPE_RE.sub(r"\1", line)
    if "](" in line:
        line = _MD_LINK_RE.sub(r"\1", line)
    bold = _BOLD_LABEL_RE.match(line)
    if bold and (bold.group(1).rstrip().endswith(":") or bold.group(2).startswith(":")):
        line = f"{bold.group(1).strip()} {bold.group(2).strip()}".replace(" :", ":", 1)
    return line


def _timed_label(line: str) -> tuple[str, float, str] | None:
    """(speaker, start, words) of an Otter or 'Name (00:01):' line; None otherwise."""
    for regex in (_PAREN_TIME_RE, _OTTER_RE):
        match = regex.match(line)
        if not match:
            continue
        name = match.group(1).strip().strip("*").strip()
        start = parse_clock(match.group(2))
        words = match.group(3).strip() if regex is _PAREN_TIME_RE else ""
        # "Dinner 7:30" is not an Otter line: a single word must look like a name there.
        single = regex is _PAREN_TIME_RE
        if start is not None and is_label(
            name, max_words=_MAX_WORDS, max_chars=_MAX_CHARS, allow_single=single
        ):
            return name, start, words
    return None


def _split(line: str) -> tuple[str, str] | None:
    return split_label(line, max_words=_MAX_WORDS, max_chars=_MAX_CHARS)


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
        stripped = _markdown(stripped)
        _, rest = split_timestamp(stripped)
        if _split(rest) or _timed_label(stripped):
            count += 1
    return count


def _front_matter(lines: list[str]) -> tuple[int, dict[str, str]]:
    """(lines it takes, its 'key: value' fields) of a YAML front matter block at the top."""
    if not lines or lines[0].strip() != "---":
        return 0, {}
    fields: dict[str, str] = {}
    for i, line in enumerate(lines[1:], 1):
        if line.strip() == "---":
            return i + 1, fields
        key, sep, value = line.partition(":")
        if sep and key and not key.startswith((" ", "\t", "-")):
            fields[key.strip().lower()] = value.strip().strip("'\"")
    return 0, {}  # no closing line: not front matter


def parse_plain(text: str, *, source: str, transcript_id: str, format: str = FORMAT) -> Transcript:
    """Parse speaker-labelled text; unlabelled lines continue the current turn.

    A blank line ends an utterance: the next paragraph is a new utterance by the same
    speaker. Lines before the first label are narration (no speaker).
    """
    raw_lines = text.splitlines()
    skip, front = _front_matter(raw_lines)
    lines = merge_split_labels(
        [_markdown(normalize_text(line)) for line in raw_lines[skip:]],
        max_words=_MAX_WORDS,
        max_chars=_MAX_CHARS,
    )
    label_counts = Counter(s[0] for ln in lines if (s := _split(split_timestamp(ln)[1])))
    repeated = any(n >= 2 for n in label_counts.values())
    title = front.get("title") or transcript_id
    meta: dict[str, list[str]] = {}
    fields: dict[str, str] = {k: v for k, v in front.items() if k in ("date", "time", "place")}
    turns: list[Turn] = []
    speaker: str | None = None
    current: Turn | None = None
    pending_start: float | None = None  # a bare time line applies to the next utterance
    talk_started = False
    footer = False
    attendees_next = False

    def note(key: str, value: str) -> None:
        meta.setdefault(key, []).append(value)

    for line in lines:
        if footer:
            if line:
                note("footer", line)
            continue
        if not line:
            # A blank line: the next line starts a new utterance, unless the current one is
            # only its label so far ("Speaker 1 (00:00:04):", then the words, in .docx files).
            if current is not None and current.text:
                current = None
            continue
        if _FOOTER_RE.match(line):
            footer = True
            note("footer", line)
            continue
        if _BOILERPLATE_RE.match(line.lstrip("#").strip()) or _RULE_RE.match(line):
            if not _RULE_RE.match(line):
                note("boilerplate", line.lstrip("#").strip().strip("_"))
            current = None
            continue
        if attendees_next:
            attendees_next = False
            note("attendees", line)
            continue
        slide = _SLIDE_RE.match(line)
        heading = _HEADING_RE.match(line) or slide
        timed = _timed_label(line)
        if heading and not timed:
            words = heading.group(1).strip().strip("_*").strip()
            if title == transcript_id and not turns and not slide:
                title = words or title
            elif words.lower() in ("attendees", "participants", "present"):
                attendees_next = True
            elif words.lower().rstrip(":") == "transcript" and not talk_started:
                for turn in turns:  # show notes above the transcript proper
                    note("notes", turn.text)
                turns = []
            elif words:
                note("sections", words)
            current = None
            continue
        if not talk_started and (header := _HEADER_NOTE_RE.match(line)):
            note("header", header.group(1))
            continue
        if _BARE_TIME_RE.match(line):
            pending_start = parse_clock(line)
            current = None
            continue
        if timed:
            speaker, at, words = timed
            talk_started = True
            current = Turn(speaker, words, start_s=at)
            turns.append(current)
            continue
        stamp, rest = split_timestamp(line)
        start = parse_clock(stamp) if stamp else None
        if start is None:
            start, pending_start = pending_start, None
        else:
            pending_start = None
        empty = _EMPTY_LABEL_RE.match(rest) if stamp else None
        if empty:  # "[00:22:41]  : Ms. Weber." names no one: an unknown speaker
            speaker = None
            talk_started = True
            current = Turn(None, empty.group(1).strip(), start_s=start)
            turns.append(current)
            continue
        split = _split(rest)
        if split is None and speaker is None:
            key, _, value = rest.partition(":")
            field = _HEADER_KEYS.get(key.strip().strip("*_").strip().lower())
            if field and value.strip() and field not in fields:
                fields[field] = value.strip()  # "Date: 2021-06-30" in a header
                continue
        if (
            split is not None
            and not talk_started
            and repeated
            and label_counts[split[0]] == 1
            and 0 < len(split[1].split()) <= _HEADER_VALUE_WORDS
            and not split[1].rstrip().endswith((".", "?", "!", "…"))  # "Chair: Order, order."
        ):
            note(split[0].lower(), split[1])  # "Company: MSFT" above the talk
            continue
        if split is not None:
            speaker, words = split
            talk_started = True
            inline = _INLINE_STAMP_RE.match(words)  # "Rob Pike: [04:22] 45 minutes."
            if inline and start is None:
                start = parse_clock(inline.group(1))
                words = words[inline.end() :]
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
        format=format,
        date=date,
        time=fields.get("time"),
        place=fields.get("place"),
        metadata=meta,
    )
