"""Ingest and reindex: files -> transcripts -> chunks -> vectors -> the library's write.

`ingest` runs in two phases. Phase one makes the files searchable: it lists the files under the
paths, reads and parses each (a bad file is reported with its name and why, and the rest of the
batch still lands), skips a transcript whose content hash is unchanged, and every
FILES_PER_COMMIT files chunks and embeds the new and changed transcripts and hands them to
Library.write, one transaction per batch, which also lists them as pending sentences. Phase two
(`complete_sentences`, run by the same ingest after phase one, or by `tqa serve` in the
background) splits each pending transcript's utterances into sentences, puts the quotable ones'
vectors in the embedding cache and stores the spans, one transcript at a time; until then the
answerer splits and embeds the few sentences it needs itself. `reindex` does phase one for every
stored transcript with the current chunker and model, then phase two.

Embedding goes through the library's embedding cache, committed every EMBED_BATCH texts and
apart from the library transaction: a kill loses at most one batch of files (whose vectors the
next run finds in the cache) and the one EMBED_BATCH being encoded; a kill in phase two leaves
the transcripts it had not finished pending, for the next ingest or `tqa serve` to complete.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from embeddings.base import content_hash
from embeddings.index import VectorIndex
from qa.errors import TranscriptFormatError, TranscriptQAError
from qa.ingest.chunking import ChunkerSettings, chunk_transcript
from qa.ingest.parsers import EXTENSIONS, read_file_bytes, transcript_from_bytes
from qa.models import Transcript, Utterance
from qa.sentences import is_quotable, sentence_spans
from qa.store.library import Library, PreparedTranscript

__all__ = [
    "FileResult",
    "IngestReport",
    "Progress",
    "complete_sentences",
    "file_hash",
    "ingest",
    "iter_transcript_files",
    "reindex",
]

# Files per transaction during a batch ingest: a kill loses at most this much work (the
# embedding cache is committed separately, so even that is not re-embedded).
FILES_PER_COMMIT = 25
# Texts sent to the encoder between two commits of the embedding cache: a kill loses at most
# this much embedding work, and progress is reported this often.
EMBED_BATCH = 256
# Distinct sentences embedded per slice of phase two: their vectors only go to the cache, so a
# slice bounds the vectors held in memory at once (and the work a kill can lose).
SENTENCE_SLICE = 2048

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class FileResult:
    """What ingest did with one file: added, replaced, skipped (unchanged) or failed."""

    path: str
    status: str
    transcript_id: str | None = None
    utterances: int = 0
    chunks: int = 0
    error: str | None = None


@dataclass
class IngestReport:
    files: list[FileResult] = field(default_factory=list)
    embedded: int = 0  # chunk texts sent to the encoder (cache misses)
    sentences_embedded: int = 0  # quotable sentences sent to the encoder, for the answerer
    seconds: float = 0.0
    # Phase one's end: from here every file of the run was searchable and answerable.
    searchable_seconds: float = 0.0
    # Transcripts whose sentence vectors are still to be stored when the run ends (phase two
    # was not asked for, or another process is doing it).
    sentences_pending: int = 0
    encoder: str = ""  # the model name the vectors were made with (int8 ones say so)

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)


# A parsed transcript waiting for its batch: (transcript, content hash, its result).
_Pending = tuple[Transcript, str, FileResult]


def iter_transcript_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Files under the given paths (recursively) whose suffix ingest reads, sorted per folder."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.suffix.lower() in EXTENSIONS:
                    yield child
        else:
            yield path


def file_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def ingest(
    library: Library,
    paths: Sequence[Path],
    *,
    format: str | None = None,
    progress: Progress | None = None,
    sentences: bool = True,
) -> IngestReport:
    """Add new files, replace changed ones, skip unchanged ones; report each file. Then, with
    `sentences`, store the sentence vectors of every pending transcript (phase two)."""
    started = time.perf_counter()
    chunker = _chunker(library)
    report = IngestReport(encoder=library.encoder.name)
    files = list(iter_transcript_files(paths))
    with library.write_lock():
        library.require_current()
        pending: list[_Pending] = []
        for done, path in enumerate(files, 1):
            result = _prepare(library, path, format, pending)
            report.files.append(result)
            if len(pending) >= FILES_PER_COMMIT:
                _commit(library, chunker, pending, report, progress)
                pending = []
            if progress:
                progress("parse", done, len(files))
        if pending:
            _commit(library, chunker, pending, report, progress)
    report.searchable_seconds = time.perf_counter() - started
    if sentences:
        report.sentences_embedded += complete_sentences(library, progress)
    report.sentences_pending = len(library.pending_sentences())
    report.seconds = time.perf_counter() - started
    return report


def reindex(library: Library, progress: Progress | None = None) -> int:
    """Re-chunk and re-embed every transcript with the current settings; returns chunk count."""
    chunker = _chunker(library)
    with library.write_lock():
        ids = library.transcript_ids()
        digests = library.content_hashes()
        items = [(library.transcript(tid), digests[tid]) for tid in ids]
        counts, _ = _store(library, chunker, items, library.new_index(), ids, progress)
    complete_sentences(library, progress)
    return sum(counts)


def complete_sentences(
    library: Library,
    progress: Progress | None = None,
    stop: Callable[[], bool] | None = None,
) -> int:
    """Phase two: for each pending transcript, embed its quotable sentences into the cache, then
    store its sentence spans and mark it done. Returns the sentences encoded.

    One process at a time does this (Library.sentences_lock; another returns 0 at once) and it
    goes on until none are pending, new ones included. A kill loses no committed work: vectors
    are committed every EMBED_BATCH and a transcript is marked done only after its vectors are
    stored. `stop()` true ends it between slices (a server shutting down).
    """
    if not library.sentence_vectors or library.mismatch():
        # (A library made with another model waits for `tqa reindex`, which redoes this.)
        return 0
    encoded = 0
    with library.sentences_lock() as held:
        if not held:
            return 0
        done = 0
        while pending := library.pending_sentences():
            total = done + len(pending)
            for part in _sentence_slices(library, pending):
                if stop is not None and stop():
                    return encoded
                spans = {
                    tid: {u.index: sentence_spans(u.text) for u in utterances}
                    for tid, _, utterances in part
                }
                texts = {
                    u.text[a:b]: None
                    for tid, _, utterances in part
                    for u in utterances
                    for a, b in spans[tid][u.index]
                    if is_quotable(u.text[a:b])
                }
                encoded += _embed(library, list(texts), None, "sentences")[1]
                for tid, digest, _ in part:
                    library.store_sentences(tid, digest, spans[tid])
                done += len(part)
                if progress:
                    progress("sentences", done, total)
    return encoded


def _sentence_slices(
    library: Library, pending: Sequence[tuple[str, str]]
) -> Iterator[list[tuple[str, str, list[Utterance]]]]:
    """The pending transcripts with their utterances, in slices of about SENTENCE_SLICE
    sentences' worth of text (estimated from the length of the text)."""
    part: list[tuple[str, str, list[Utterance]]] = []
    size = 0
    for tid, digest in pending:
        utterances = library.utterances(tid)
        part.append((tid, digest, utterances))
        # About 120 characters a sentence in speech transcripts.
        size += sum(len(u.text) for u in utterances) // 120
        if size >= SENTENCE_SLICE:
            yield part
            part, size = [], 0
    if part:
        yield part


def _chunker(library: Library) -> ChunkerSettings:
    """The chunk size the library is written with (SettingsError for an impossible one)."""
    return ChunkerSettings(
        budget_tokens=library.chunk_tokens, max_model_tokens=library.encoder.max_tokens
    )


def _prepare(
    library: Library, path: Path, format: str | None, pending: list[_Pending]
) -> FileResult:
    """Read and parse one file; queue it in `pending` when it is new or changed."""
    result = FileResult(path=str(path), status="failed")
    try:
        if not path.is_file():
            raise TranscriptFormatError(str(path), "no such file")
        # One bounded read: a file over max_file_bytes is refused before it is read.
        data = read_file_bytes(path, max_bytes=library.max_file_bytes)
        digest = file_hash(data + (format or "").encode())
        transcript = transcript_from_bytes(data, path, format=format)
    except TranscriptQAError as exc:
        result.error = str(exc)
        return result
    except OSError as exc:
        result.error = f"{path}: cannot read ({exc.strerror or exc})"
        return result
    result.transcript_id = transcript.id
    result.utterances = len(transcript.utterances)
    if any(t.id == transcript.id for t, _, _ in pending):
        result.error = f"{path}: another file in this batch has the id {transcript.id!r}"
        return result
    stored = library.stored_hash(transcript.id)
    if stored is not None and stored == digest:
        result.status = "skipped"
        result.chunks = library.transcript_chunk_count(transcript.id)
        return result
    result.status = "replaced" if stored is not None else "added"
    pending.append((transcript, digest, result))
    return result


def _commit(
    library: Library,
    chunker: ChunkerSettings,
    pending: list[_Pending],
    report: IngestReport,
    progress: Progress | None,
) -> None:
    """Store a batch of new and changed transcripts (see _store)."""
    replaced = [t.id for t, _, r in pending if r.status == "replaced"]
    items = [(t, digest) for t, digest, _ in pending]
    index = library.index_copy()
    counts, encoded = _store(library, chunker, items, index, replaced, progress)
    for (_, _, result), count in zip(pending, counts, strict=True):
        result.chunks = count
    report.embedded += encoded


def _store(
    library: Library,
    chunker: ChunkerSettings,
    items: Sequence[tuple[Transcript, str]],
    index: VectorIndex,
    delete: Sequence[str],
    progress: Progress | None,
) -> tuple[list[int], int]:
    """Chunk and embed transcripts (with their content hashes), then have the library, in one
    transaction, delete the transcripts `delete` names, insert these (their sentences pending,
    when the library stores sentence vectors), add their vectors to `index` and publish it.
    Returns (chunks per transcript, chunk texts encoded)."""
    chunked = [
        (t, digest, chunk_transcript(t, chunker, library.encoder.count_tokens))
        for t, digest in items
    ]
    texts = [c.text for _, _, chunks in chunked for c in chunks]
    vectors, encoded = _embed(library, texts, progress)
    prepared = [
        PreparedTranscript(
            transcript=t,
            content_hash=digest,
            chunks=chunks,
            sentences={},
            sentences_pending=library.sentence_vectors,
        )
        for t, digest, chunks in chunked
    ]
    library.write(prepared, vectors, index, delete)
    return [len(chunks) for _, _, chunks in chunked], encoded


def _embed(
    library: Library, texts: Sequence[str], progress: Progress | None, stage: str = "embed"
) -> tuple[np.ndarray, int]:
    """Vectors for texts, from the cache where possible; (vectors, how many were encoded)."""
    encoder = library.encoder
    hashes = [content_hash(t, encoder.name) for t in texts]
    cached = library.cache.get(hashes)
    # Each distinct text once, longest first: every encoder call then gets texts of about one
    # length, so its batches carry almost no padding (characters stand in for word pieces).
    missing = sorted(
        {h: i for i, h in enumerate(hashes) if h not in cached}.items(),
        key=lambda item: -len(texts[item[1]]),
    )
    encoded = 0
    for start in range(0, len(missing), EMBED_BATCH):
        part = missing[start : start + EMBED_BATCH]
        vectors = encoder.encode([texts[i] for _, i in part])
        encoded += len(part)
        # Committed at once, outside the library transaction: a kill loses no embedding work.
        library.cache.put((h, v) for (h, _), v in zip(part, vectors, strict=True))
        for (h, _), v in zip(part, vectors, strict=True):
            cached[h] = v
        if progress:
            progress(stage, start + len(part), len(missing))
    matrix = np.zeros((len(texts), encoder.dimension), dtype=np.float32)
    for i, h in enumerate(hashes):
        matrix[i] = cached[h]
    return matrix, encoded
