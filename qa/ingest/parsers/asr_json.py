"""JSON of ASR services: Deepgram, AssemblyAI, Rev (editor JSON and the Rev.ai API).

Each service's own turn unit becomes an utterance: AssemblyAI utterances and Rev monologues are
speaker turns and are kept as they are; Deepgram utterances are pause-split pieces and are merged
like cues (merging.py). Without utterances, the words are cut into sentences and merged.
Numeric speaker ids are named as the services print them: 'Speaker 0', 'Speaker A'.
"""

from __future__ import annotations

import math
from typing import Any

from qa.errors import TranscriptFormatError
from qa.ingest.parsers._common import Turn, collapse_ws, load_json, make_transcript, normalize_text
from qa.ingest.parsers.merging import ends_sentence, merge_pieces
from qa.models import Transcript

DEEPGRAM = "deepgram"
ASSEMBLYAI = "assemblyai"
REV = "rev"

# Keys only an AssemblyAI transcript object has together with "text".
_ASSEMBLYAI_KEYS = frozenset({"audio_url", "acoustic_model", "language_model", "speaker_labels"})


def json_kind(data: Any) -> str | None:
    """Which service wrote this JSON object, from its keys; None when none of these."""
    if not isinstance(data, dict):
        return None
    results = data.get("results")
    if isinstance(results, dict) and ("channels" in results or "utterances" in results):
        return DEEPGRAM
    if isinstance(data.get("monologues"), list):
        return REV
    if "text" in data and (
        _ASSEMBLYAI_KEYS & data.keys()
        or (isinstance(data.get("utterances"), list) and "segments" not in data)
    ):
        return ASSEMBLYAI
    return None


def _time(value: Any, scale: float = 1.0) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or value < 0:
        return None
    return float(value) if scale == 1.0 else round(value * scale, 3)


def _speaker(value: Any, prefix: str = "Speaker ") -> str | None:
    if isinstance(value, str) and collapse_ws(value):
        return value if value.lower().startswith("speaker") else f"{prefix}{collapse_ws(value)}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{prefix}{value}"
    return None


def sentence_pieces(
    words: list[Any],
    *,
    text_keys: tuple[str, ...],
    scale: float = 1.0,
    speaker_key: str = "speaker",
) -> list[Turn]:
    """Word objects -> one piece per sentence (or per speaker change), with times."""
    pieces: list[Turn] = []
    current: Turn | None = None
    for word in words:
        if not isinstance(word, dict):
            continue
        token = next((word[k] for k in text_keys if isinstance(word.get(k), str)), "")
        token = normalize_text(token)
        if not token:
            continue
        speaker = _speaker(word.get(speaker_key))
        start, end = _time(word.get("start"), scale), _time(word.get("end"), scale)
        if current is None or current.speaker != speaker or ends_sentence(current.text):
            current = Turn(speaker, token, start, end)
            pieces.append(current)
        else:
            current.text = f"{current.text} {token}"
            current.end_s = end if end is not None else current.end_s
    return pieces


def _refuse(source: str, what: str) -> TranscriptFormatError:
    return TranscriptFormatError(source, what)


def parse_deepgram(text: str, *, source: str, transcript_id: str) -> Transcript:
    """Deepgram pre-recorded response: `results.utterances`, else the words of channel 0."""
    data = load_json(text, source)
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, dict):
        raise _refuse(source, 'not a Deepgram response: expected {"results": {...}}')
    meta: dict[str, list[str]] = {}
    utterances = results.get("utterances")
    pieces: list[Turn] = []
    if isinstance(utterances, list) and utterances:
        for item in utterances:
            if isinstance(item, dict) and isinstance(item.get("transcript"), str):
                pieces.append(
                    Turn(
                        _speaker(item.get("speaker")),
                        normalize_text(item["transcript"]),
                        _time(item.get("start")),
                        _time(item.get("end")),
                    )
                )
        meta["unit"] = ["results.utterances"]
    else:
        alt = _first_alternative(results)
        words = alt.get("words") if alt else None
        if isinstance(words, list) and words:
            pieces = sentence_pieces(words, text_keys=("punctuated_word", "word"))
            meta["unit"] = ["results.channels[0].alternatives[0].words"]
        elif alt and isinstance(alt.get("transcript"), str):
            pieces = [Turn(None, normalize_text(alt["transcript"]))]
            meta["warnings"] = ["no utterances or words: the transcript is one utterance"]
    info = data.get("metadata")
    if isinstance(info, dict) and isinstance(info.get("request_id"), str):
        meta["request_id"] = [info["request_id"]]
    return make_transcript(
        merge_pieces(pieces),
        source=source,
        transcript_id=transcript_id,
        title=transcript_id,
        format=DEEPGRAM,
        metadata=meta,
    )


def _first_alternative(results: dict[str, Any]) -> dict[str, Any] | None:
    channels = results.get("channels")
    if not isinstance(channels, list) or not channels or not isinstance(channels[0], dict):
        return None
    alternatives = channels[0].get("alternatives")
    if not isinstance(alternatives, list) or not alternatives:
        return None
    alt = alternatives[0]
    return alt if isinstance(alt, dict) else None


def parse_assemblyai(text: str, *, source: str, transcript_id: str) -> Transcript:
    """AssemblyAI transcript: `utterances` (speaker turns, times in ms), else words or text."""
    data = load_json(text, source)
    if not isinstance(data, dict):
        raise _refuse(source, 'not an AssemblyAI transcript: expected an object with "text"')
    meta: dict[str, list[str]] = {"time_unit": ["milliseconds (AssemblyAI)"]}
    utterances = data.get("utterances")
    words = data.get("words")
    turns: list[Turn] = []
    if isinstance(utterances, list) and utterances:
        for item in utterances:
            if isinstance(item, dict) and isinstance(item.get("text"), str):
                turns.append(
                    Turn(
                        _speaker(item.get("speaker")),
                        normalize_text(item["text"]),
                        _time(item.get("start"), 0.001),
                        _time(item.get("end"), 0.001),
                    )
                )
    elif isinstance(words, list) and words:
        turns = merge_pieces(sentence_pieces(words, text_keys=("text",), scale=0.001))
    elif isinstance(data.get("text"), str):
        turns = [Turn(None, normalize_text(data["text"]))]
        meta["warnings"] = ["no utterances or words: the text is one utterance"]
    if isinstance(data.get("language_code"), str):
        meta["language"] = [data["language_code"]]
    return make_transcript(
        turns,
        source=source,
        transcript_id=transcript_id,
        title=transcript_id,
        format=ASSEMBLYAI,
        metadata=meta,
    )


def parse_rev(text: str, *, source: str, transcript_id: str) -> Transcript:
    """Rev JSON: a monologue is a turn. Editor JSON (`spans` with `ts`/`endTs`, speaker ids
    named in `speakers`) and the Rev.ai API (`elements` with `ts`/`end_ts`)."""
    data = load_json(text, source)
    monologues = data.get("monologues") if isinstance(data, dict) else None
    if not isinstance(monologues, list):
        raise _refuse(source, 'not Rev JSON: expected {"monologues": [...]}')
    names: dict[int | str, str] = {}
    listed = data.get("speakers")
    for speaker in listed if isinstance(listed, list) else []:
        sid = speaker.get("id") if isinstance(speaker, dict) else None
        if isinstance(sid, int | str) and isinstance(speaker.get("name"), str):
            names[sid] = collapse_ws(speaker["name"])
    turns: list[Turn] = []
    for mono in monologues:
        if not isinstance(mono, dict):
            continue
        parts = mono.get("elements") if "elements" in mono else mono.get("spans")
        parts = parts if isinstance(parts, list) else []
        values = [p.get("value") for p in parts if isinstance(p, dict)]
        said = normalize_text("".join(v for v in values if isinstance(v, str)))
        starts = [_time(p.get("ts")) for p in parts if isinstance(p, dict)]
        ends = [_time(p.get("endTs", p.get("end_ts"))) for p in parts if isinstance(p, dict)]
        start = _time(mono.get("startTime"))
        if start is None:  # 4 of 23 monologues of a real Rev file have no startTime
            start = next((t for t in starts if t is not None), None)
        end = next((t for t in reversed(ends) if t is not None), _time(mono.get("endTime")))
        sid = mono.get("speaker")
        speaker = (
            collapse_ws(mono["speaker_name"])
            if isinstance(mono.get("speaker_name"), str) and mono["speaker_name"].strip()
            else (names.get(sid) if isinstance(sid, int | str) else None) or _speaker(sid)
        )
        turns.append(Turn(speaker, said, start, end))
    return make_transcript(
        turns,
        source=source,
        transcript_id=transcript_id,
        title=transcript_id,
        format=REV,
    )
