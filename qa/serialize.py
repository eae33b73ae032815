"""The JSON shapes scripts rely on (`--json` outputs, the UI's API, results.jsonl): every one is
built here and nowhere else. Add keys; never rename."""

from __future__ import annotations

from collections.abc import Sequence

from qa.answer.lookup import QuoteMatch
from qa.ingest.pipeline import FileResult, IngestReport, RenameReport
from qa.ingest.speaker_names import SpeakerSummary
from qa.models import Answer, Citation, Filters, Passage, Transcript, Utterance
from qa.retrieve.retriever import Boosts, Retrieval
from qa.store.library import TranscriptInfo


def filters_json(f: Filters) -> dict[str, object]:
    return {
        "speakers": list(f.speakers),
        "transcripts": list(f.transcripts),
        "since": f.since,
        "until": f.until,
        "undated": f.undated,
        "from_s": f.from_s,
        "to_s": f.to_s,
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
        "boosts": boosts_json(r.boosts),
    }


def boosts_json(b: Boosts) -> dict[str, object]:
    """What the question favours without filtering: people it asks about, a hinted date range,
    the transcripts whose title, place or date carry it (best five), names found respelt."""
    titles = sorted(b.titles.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    return {
        "speakers": list(b.speakers),
        "since": b.since,
        "until": b.until,
        "titles": {tid: round(share, 4) for tid, share in titles},
        "names": {name: list(variants) for name, variants in b.names.items()},
    }


def file_result_json(f: FileResult) -> dict[str, object]:
    return {
        "path": f.path,
        "status": f.status,
        "transcript_id": f.transcript_id,
        "utterances": f.utterances,
        "chunks": f.chunks,
        "error": f.error,
        # label -> name: names kept for labels the changed file no longer has
        "unused_speaker_names": dict(f.unused_speaker_names),
    }


def ingest_report_json(r: IngestReport) -> dict[str, object]:
    """The `tqa ingest --json` object."""
    return {
        "files": [file_result_json(f) for f in r.files],
        # files of the folders that are not transcripts (images, PDFs...), with the reason
        "skipped_files": [{"path": s.path, "reason": s.reason} for s in r.skipped_files],
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
        # where the work ran: None in this process, else the Ray cluster and its workers
        "ray": None
        if r.ray_address is None
        else {"address": r.ray_address, "workers": r.ray_workers},
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


def speaker_summary_json(transcript_id: str, s: SpeakerSummary) -> dict[str, object]:
    """One speaker of `tqa speakers --json`."""
    return {
        "name": s.name,
        "labels": list(s.labels),
        "utterances": s.utterances,
        "sample": s.sample,
        "sample_ref": f"{transcript_id}#u{s.sample_index}",
    }


def speakers_json(
    transcript: Transcript,
    speakers: Sequence[SpeakerSummary],
    rename: RenameReport | None = None,
) -> dict[str, object]:
    """The `tqa speakers --json` object; with --rename also what the rename did."""
    data: dict[str, object] = {
        "transcript_id": transcript.id,
        "title": transcript.title,
        "speakers": [speaker_summary_json(transcript.id, s) for s in speakers],
    }
    if rename is not None:
        data |= {
            "renamed": dict(rename.renamed),
            "chunks": rename.chunks,
            "embedded": rename.embedded,
            "sentences_embedded": rename.sentences_embedded,
            "seconds": round(rename.seconds, 3),
        }
    return data
