"""Token and row formats: Rev's NLP token file and CORAAL's tab-separated transcripts.

Rev NLP (fstalign input): `token|speaker|ts|endTs|punctuation|case|tags|wer_tags`, one token a
line; the text is rebuilt by joining tokens and their punctuation, cut into sentences, and the
sentences merged per speaker (merging.py). CORAAL: `Line Spkr StTime Content EnTime`; a row is
a piece, `(pause 0.28)` rows are silences (kept out, and a long one starts a new utterance),
`[overlap]` brackets are dropped, `/RD-NAME-2/` redactions become `[name]`.
"""

from __future__ import annotations

import re

from qa.errors import TranscriptFormatError
from qa.ingest.parsers._common import Turn, make_transcript, normalize_text
from qa.ingest.parsers.merging import ends_sentence, merge_pieces
from qa.models import Transcript

REV_NLP = "rev-nlp"
CORAAL = "coraal"

REV_NLP_HEADER = "token|speaker|ts|endTs|punctuation"
CORAAL_HEADER = ("Line", "Spkr", "StTime", "Content", "EnTime")

_PAUSE_RE = re.compile(r"^\(pause\s+[\d.]+\)$", re.I)
_REDACTION_RE = re.compile(r"/RD-([A-Z]+)(?:-\d+)?/")
_UNCLEAR_RE = re.compile(r"/\?+/")
_ANGLE_RE = re.compile(r"^<([\w -]{1,40})>$")
_EVENT_RE = re.compile(r"<[^<>]{1,40}>")
_UNSURE_RE = re.compile(r"/([^/]+)/")  # CORAAL: /words/ transcribed with doubt


def _float(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if number >= 0 and number == number and number != float("inf") else None


def looks_like_rev_nlp(text: str) -> bool:
    return text.lstrip("\ufeff").startswith(REV_NLP_HEADER)


def parse_rev_nlp(text: str, *, source: str, transcript_id: str) -> Transcript:
    """Rev NLP tokens -> sentences per speaker -> merged utterances."""
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or not lines[0].startswith(REV_NLP_HEADER):
        raise TranscriptFormatError(
            source, f"not a Rev NLP file: the first line must be {REV_NLP_HEADER!r}..."
        )
    pieces: list[Turn] = []
    current: Turn | None = None
    for line_no, line in enumerate(lines[1:], 2):
        if not line.strip():
            continue
        fields = line.split("|")
        if len(fields) < 5:
            raise TranscriptFormatError(
                source, f"line {line_no} has {len(fields)} fields, expected 8: {line[:60]!r}"
            )
        # "<inaudible>" is a token of its own: written as "[inaudible]", never as markup.
        token = normalize_text(_ANGLE_RE.sub(r"[\1]", fields[0]))
        punct = normalize_text(fields[4])
        if not token and not punct:
            continue
        speaker = f"Speaker {fields[1].strip()}" if fields[1].strip() else None
        start, end = _float(fields[2]), _float(fields[3])
        word = token + punct
        if current is None or current.speaker != speaker or ends_sentence(current.text):
            current = Turn(speaker, word, start, end)
            pieces.append(current)
        else:
            current.text = f"{current.text} {word}".strip()
            current.end_s = end if end is not None else current.end_s
    return make_transcript(
        merge_pieces(pieces),
        source=source,
        transcript_id=transcript_id,
        title=transcript_id,
        format=REV_NLP,
    )


def looks_like_coraal(text: str) -> bool:
    first = text.lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")
    return tuple(first.split("\t")) == CORAAL_HEADER


def _coraal_text(content: str) -> str:
    # Square brackets mark speech that overlaps the other speaker's: the words are kept.
    content = re.sub(r"\[([^\]]*)\]", r"\1", content)
    content = _REDACTION_RE.sub(lambda m: f"[{m.group(1).lower()}]", content)
    content = _UNCLEAR_RE.sub("[unintelligible]", content)
    content = _UNSURE_RE.sub(r"\1", content)
    # Non-speech events ("<ts>", "<laugh>") are not words said.
    content = _EVENT_RE.sub(" ", content)
    return normalize_text(content)


def parse_coraal(text: str, *, source: str, transcript_id: str) -> Transcript:
    """CORAAL rows -> pieces per speaker (pause rows left out) -> merged utterances."""
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or tuple(lines[0].split("\t")) != CORAAL_HEADER:
        raise TranscriptFormatError(
            source,
            "not a CORAAL transcript: the first line must be Line Spkr StTime Content "
            "EnTime, separated by tabs",
        )
    pieces: list[Turn] = []
    pauses = 0
    for line_no, line in enumerate(lines[1:], 2):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != len(CORAAL_HEADER):
            raise TranscriptFormatError(
                source, f"line {line_no} has {len(fields)} tab-separated fields, expected 5"
            )
        _, speaker, start, content, end = fields
        if _PAUSE_RE.match(content.strip()):
            pauses += 1
            continue
        said = _coraal_text(content)
        if said:
            pieces.append(Turn(speaker.strip() or None, said, _float(start), _float(end)))
    return make_transcript(
        merge_pieces(pieces),
        source=source,
        transcript_id=transcript_id,
        title=transcript_id,
        format=CORAAL,
        metadata={"pause_rows": [str(pauses)]},
    )
