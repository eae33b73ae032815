"""QMSum meeting JSON: `meeting_transcripts` turns; utterance i is turn i, always."""

from __future__ import annotations

from qa.errors import TranscriptFormatError
from qa.ingest.parsers._common import Turn, drop_controls, load_json, make_transcript
from qa.models import Transcript

FORMAT = "qmsum"


def _ws(text: str) -> str:
    """Whitespace normalisation (and no control characters): the corpus text is otherwise kept
    as it is."""
    return " ".join(drop_controls(text).split())


def parse_qmsum(text: str, *, source: str, transcript_id: str) -> Transcript:
    """Parse a QMSum meeting; turn texts keep the corpus tokenisation ("we 're").

    Evaluation spans index turns, so every turn is an utterance, even one with empty
    content (its text is then ""), and utterance i is always turn i.
    """
    data = load_json(text, source)
    turns_raw = data.get("meeting_transcripts") if isinstance(data, dict) else None
    if not isinstance(turns_raw, list):
        raise TranscriptFormatError(
            source, 'not a QMSum meeting: expected an object with a "meeting_transcripts" list'
        )
    turns: list[Turn] = []
    for i, turn in enumerate(turns_raw):
        if not isinstance(turn, dict) or not isinstance(turn.get("content", ""), str):
            raise TranscriptFormatError(
                source,
                f'meeting_transcripts[{i}] is not a {{"speaker", "content"}} object: '
                f"{str(turn)[:80]!r}",
            )
        speaker = turn.get("speaker")
        label = _ws(speaker) if isinstance(speaker, str) else None
        turns.append(Turn(label or None, _ws(turn.get("content") or "")))
    meta: dict[str, list[str]] = {}
    topics = data.get("topic_list")
    if isinstance(topics, list):
        meta["topics"] = [
            _ws(t["topic"])
            for t in topics
            if isinstance(t, dict) and isinstance(t.get("topic"), str)
        ]
    return make_transcript(
        turns,
        source=source,
        transcript_id=transcript_id,
        title=transcript_id,
        format=FORMAT,
        keep_empty=True,
        metadata=meta,
    )
