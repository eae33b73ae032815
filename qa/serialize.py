"""The JSON shapes scripts rely on (`--json` outputs, the UI's API, results.jsonl): every one is
built here and nowhere else. Add keys; never rename."""

from __future__ import annotations

from collections.abc import Sequence

from qa.answer.lookup import QuoteMatch
from qa.ingest.pipeline import FileResult, IngestReport
from qa.models import Answer, Citation, Filters, Passage, Transcript, Utterance
from qa.retrieve.retriever import Retrieval
from qa.store.library import TranscriptInfo


def filters_json(f: Filters) -> dict[str, object]:
    return {
        "speakers": list(f.speakers),
        "transcripts": list(f.transcripts),
        "since": f.since,
        "until": f.until,
    }


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
        "filters": filters_json(a.filters),
        "citations": [citation_json(c) for c in a.citations],
        "passages": passages_json(a.passages),
        "notices": list(a.notices),
    }


def retrieval_json(r: Retrieval) -> dict[str, object]:
    """The `tqa retrieve --json` object."""
    return {
        "query": r.query,
        "filters": filters_json(r.filters),
        "detected_filters": filters_json(r.detected),
        "passages": passages_json(r.passages),
    }


def file_result_json(f: FileResult) -> dict[str, object]:
    return {
        "path": f.path,
        "status": f.status,
        "transcript_id": f.transcript_id,
        "utterances": f.utterances,
        "chunks": f.chunks,
        "error": f.error,
    }


def ingest_report_json(r: IngestReport) -> dict[str, object]:
    """The `tqa ingest --json` object."""
    return {
        "files": [file_result_json(f) for f in r.files],
        "added": r.count("added"),
        "replaced": r.count("replaced"),
        "skipped": r.count("skipped"),
        "failed": r.count("failed"),
        "embedded": r.embedded,
        "sentences_embedded": r.sentences_embedded,
        "seconds": round(r.seconds, 3),
        "searchable_seconds": round(r.searchable_seconds, 3),
        "sentences_pending": r.sentences_pending,
        "encoder": r.encoder,
    }


def transcript_info_json(i: TranscriptInfo) -> dict[str, object]:
    """One row of `tqa list --json`."""
    return {
        "id": i.id,
        "title": i.title,
        "date": i.date,
        "time": i.time,
        "place": i.place,
        "format": i.format,
        "source_path": i.source_path,
        "utterances": i.utterance_count,
        "chunks": i.chunk_count,
        "speakers": list(i.speakers),
    }


def quote_match_json(m: QuoteMatch) -> dict[str, object]:
    """One match of `tqa lookup --json` and of the UI's lookup API."""
    return {
        "ref": m.ref,
        "transcript_id": m.transcript_id,
        "title": m.title,
        "date": m.date,
        "speaker": m.utterance.canonical_speaker or m.utterance.speaker,
        "similarity": m.similarity,
        "matched_text": m.matched_text,
        "utterance": utterance_json(m.utterance),
        "context": [utterance_json(u) for u in m.context],
    }
