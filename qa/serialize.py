"""The JSON shapes scripts rely on (`--json` outputs, results.jsonl). Add keys; never rename."""

from __future__ import annotations

from collections.abc import Sequence

from qa.models import Answer, Citation, Passage, Transcript, Utterance


def utterance_json(u: Utterance) -> dict[str, object]:
    return {
        "index": u.index,
        "speaker": u.speaker,
        "canonical_speaker": u.canonical_speaker,
        "text": u.text,
        "start_s": u.start_s,
        "end_s": u.end_s,
    }


def transcript_json(t: Transcript) -> dict[str, object]:
    return {
        "id": t.id,
        "title": t.title,
        "date": t.date,
        "time": t.time,
        "place": t.place,
        "lead": t.lead,
        "source_path": t.source_path,
        "format": t.format,
        "metadata": t.metadata,
        "speakers": t.speakers,
        "utterances": [utterance_json(u) for u in t.utterances],
    }


def citation_json(c: Citation) -> dict[str, object]:
    return {
        "n": c.n,
        "transcript_id": c.transcript_id,
        "title": c.title,
        "date": c.date,
        "speaker": c.speaker,
        "utterance_start": c.utterance_start,
        "utterance_end": c.utterance_end,
        "quote": c.quote,
        "start_s": c.start_s,
        "ref": c.ref,
    }


def passage_json(p: Passage, rank: int) -> dict[str, object]:
    return {
        "rank": rank,
        "transcript_id": p.transcript_id,
        "title": p.title,
        "date": p.date,
        "utterance_start": p.utterance_start,
        "utterance_end": p.utterance_end,
        "speakers": list(p.speakers),
        "text": p.text,
        "score": round(p.score, 6),
        "dense_rank": p.dense_rank,
        "keyword_rank": p.keyword_rank,
    }


def passages_json(passages: Sequence[Passage]) -> list[dict[str, object]]:
    return [passage_json(p, rank) for rank, p in enumerate(passages, 1)]


def answer_json(a: Answer) -> dict[str, object]:
    """The `tqa ask --json` object."""
    return {
        "question": a.question,
        "standalone_question": a.standalone_question,
        "answer": a.text,
        "abstained": a.abstained,
        "filters": a.filters.to_json(),
        "citations": [citation_json(c) for c in a.citations],
        "passages": passages_json(a.passages),
        "notices": list(a.notices),
    }
