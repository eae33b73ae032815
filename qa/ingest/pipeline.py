"""Ingest and reindex: files -> transcripts -> chunks -> vectors -> the library's write.

`ingest` lists the files under the paths, reads and parses each (a bad file is reported with
its name and why, and the rest of the batch still lands), skips a transcript whose content hash
is unchanged, and every FILES_PER_COMMIT files chunks and embeds the new and changed transcripts
and hands them to Library.write, one transaction per batch. The answerer also needs a vector
for each quotable sentence: when the encoder can (embeddings.base.SpanEncoder), the pass that
embeds a chunk also gives each of its sentences the mean of its word pieces there, so the
transcripts land with their sentence spans and vectors at once (split just before: a thread
splitting ahead of the encoder took the CPU the encoder's workers needed, and saved nothing).

Otherwise (`sentences=False`, which the UI's uploads use to be searchable sooner, an encoder
that cannot pool, or Ray workers) Library.write lists the transcripts as pending sentences,
and phase two (`complete_sentences`, run by the same ingest after phase one, or by `tqa serve`
in the background) splits each pending transcript's utterances into sentences, puts the
quotable ones' vectors in the embedding cache (pooled from its chunks embedded again, or each
encoded alone) and stores the spans, one transcript at a time; until then the answerer splits
and embeds the few sentences it needs itself. `reindex` re-chunks and re-embeds every stored
transcript with the current chunker and model. `rename_speakers` names a transcript's speakers
and writes it again the same way; the names users gave are applied to every transcript before
it is chunked, so a changed file re-ingested keeps them (qa.ingest.speaker_names).

With `workers` (qa.ingest.distributed: Ray actors) the parsing, chunking, sentence splitting
and embedding run in other processes, and this one still reads the files, keeps the embedding
cache and makes every commit: the same library, in the same transactions in the same order.

Embedding goes through the library's embedding cache, committed every EMBED_BATCH texts and
apart from the library transaction: a kill loses at most one batch of files (whose vectors the
next run finds in the cache) and the one EMBED_BATCH being encoded; a kill in phase two leaves
the transcripts it had not finished pending, for the next ingest or `tqa serve` to complete.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from embeddings.base import content_hash, in_chunk_name, span_encoder
from embeddings.index import VectorIndex
from qa.errors import TranscriptFormatError, TranscriptQAError
from qa.ingest.chunking import ChunkerSettings, chunk_transcript, place_sentences
from qa.ingest.parsers import (
    EXTENSIONS,
    PARSER_VERSION,
    not_transcript_reason,
    read_file_bytes,
    transcript_from_bytes,
)
from qa.ingest.speaker_names import apply_names, clean_name, renamed_labels, unused_names
from qa.models import Chunk, Transcript, Utterance
from qa.sentences import answer_spans, is_quotable
from qa.store.library import Library, PreparedTranscript
from qa.store.media import MEDIA_EXTENSIONS, find_beside

__all__ = [
    "FileJob",
    "FileResult",
    "IngestReport",
    "ParsedFile",
    "PrepareContext",
    "Progress",
    "RenameReport",
    "SkippedFile",
    "Workers",
    "complete_sentences",
    "file_hash",
    "ingest",
    "iter_transcript_files",
    "parse_file",
    "reindex",
    "rename_speakers",
    "scan_paths",
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
    # A replaced file: the speaker names given to labels it no longer has (label -> name).
    unused_speaker_names: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SkippedFile:
    """A file in a folder that is not read as a transcript (an image, a PDF...), and why."""

    path: str
    reason: str


@dataclass
class IngestReport:
    files: list[FileResult] = field(default_factory=list)
    skipped_files: list[SkippedFile] = field(default_factory=list)  # not transcripts
    embedded: int = 0  # chunk texts sent to the encoder (cache misses)
    # Quotable sentences given a vector for the answerer (pooled from their chunks, or each
    # encoded alone).
    sentences_embedded: int = 0
    seconds: float = 0.0
    # Phase one's end: from here every file of the run was searchable and answerable.
    searchable_seconds: float = 0.0
    # Transcripts whose sentence vectors are still to be stored when the run ends (phase two
    # was not asked for, or another process is doing it).
    sentences_pending: int = 0
    encoder: str = ""  # the model name the vectors were made with (int8 ones say so)
    # Where the parsing, chunking and embedding ran when not in this process: the Ray
    # cluster's address and the number of workers (qa.ingest.distributed); None: here.
    ray_address: str | None = None
    ray_workers: int = 0

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)


# A parsed transcript waiting for its batch: (transcript, content hash, its result, its chunks
# when a worker made them already, else None: _store chunks it).
_Pending = tuple[Transcript, str, FileResult, list[Chunk] | None]


@dataclass(frozen=True)
class FileJob:
    """A file the driver read, for a worker to parse (workers need not see the driver's disk)."""

    path: str
    data: bytes
    digest: str


@dataclass(frozen=True)
class PrepareContext:
    """What a worker needs besides the file to parse and chunk it as this process would: the
    chunker, the forced format, and, as the library was when the run began (under its write
    lock), each transcript's content hash and the speaker names users gave."""

    format: str | None
    chunker: ChunkerSettings
    stored: Mapping[str, str]
    names: Mapping[str, Mapping[str, str]]


@dataclass(frozen=True)
class ParsedFile:
    """A worker's result for one file: the transcript (with its speaker names applied when it
    was chunked) and its chunks, None when the file was unchanged as the run began; or why
    the file could not be parsed."""

    job: FileJob
    transcript: Transcript | None
    chunks: list[Chunk] | None = None
    error: str | None = None


class Workers(Protocol):
    """Processes other than this one that do an ingest's CPU work (qa.ingest.distributed runs
    them on Ray). This process stays the library's one writer: it reads the files, keeps the
    embedding cache and commits every batch as a local ingest does."""

    # Texts per part sent to one encoder call; the cache is committed part by part.
    part_size: int

    def parse(
        self, jobs: Iterable[FileJob | FileResult], context: PrepareContext
    ) -> Iterator[ParsedFile | FileResult]:
        """parse_file of each job, yielded in the order of the jobs; a FileResult (a file that
        could not be read) passes through in its place. Jobs are read as they are sent."""
        ...

    def encode_parts(self, parts: Sequence[Sequence[str]]) -> Iterator[tuple[int, np.ndarray]]:
        """(position of the part, its vectors) for each part, in the order they are done."""
        ...

    def encode_span_parts(
        self, parts: Sequence[Sequence[str]], spans: Sequence[Sequence[Sequence[tuple[int, int]]]]
    ) -> Iterator[tuple[int, np.ndarray, list[np.ndarray]]]:
        """encode_parts, with the vectors of each text's spans as SpanEncoder.encode_spans
        gives them (spans[n][i]: those of text i of part n)."""
        ...

    def sentence_spans(self, texts: Sequence[Sequence[str]]) -> list[list[list[tuple[int, int]]]]:
        """answer_spans of each text of each list (a transcript's utterances), in order."""
        ...


def parse_file(
    job: FileJob, context: PrepareContext, count_tokens: Callable[[str], int]
) -> ParsedFile:
    """Parse one file read by the driver and, when it is new or changed since the run began,
    give it its speaker names and chunk it (`count_tokens`: the encoder's word pieces). Pure:
    it runs on a worker."""
    try:
        transcript = transcript_from_bytes(job.data, Path(job.path), format=context.format)
    except TranscriptQAError as exc:
        return ParsedFile(job, None, error=str(exc))
    if context.stored.get(transcript.id) == job.digest:
        # Skipped by the driver (unless an earlier file of the run had this id: it chunks then).
        return ParsedFile(job, transcript)
    named = apply_names(transcript, context.names.get(transcript.id, {}))
    return ParsedFile(job, named, chunk_transcript(named, context.chunker, count_tokens))


def iter_transcript_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Files under the given paths (recursively) whose suffix ingest reads, sorted per folder."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.suffix.lower() in EXTENSIONS:
                    yield child
        else:
            yield path


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def scan_paths(paths: Iterable[Path]) -> tuple[list[Path], list[SkippedFile]]:
    """The transcript files under the paths (as iter_transcript_files) and the other files of
    the folders with the reason each is passed over. Hidden files and folders (.git,
    .DS_Store) are passed over without a word."""
    files: list[Path] = []
    others: list[Path] = []
    for path in paths:
        if not path.is_dir():
            files.append(path)
            continue
        for child in sorted(path.rglob("*")):
            if not child.is_file() or _hidden(child, path):
                continue
            (files if child.suffix.lower() in EXTENSIONS else others).append(child)
    # A recording beside its transcript is attached to it (the report's media), not skipped.
    recordings = {found for f in files if (found := find_beside(f)) is not None}
    skipped = [
        SkippedFile(str(other), _other_file_reason(other))
        for other in others
        if other not in recordings
    ]
    return files, skipped


def _other_file_reason(path: Path) -> str:
    reason = not_transcript_reason(path)
    if path.suffix.lower() in MEDIA_EXTENSIONS:
        # A recording with no transcript of its name beside it: say how to pair it too.
        reason += "; or attach it to its transcript with `tqa ingest TRANSCRIPT --media FILE`"
    return reason


def file_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def ingest(
    library: Library,
    paths: Sequence[Path],
    *,
    format: str | None = None,
    progress: Progress | None = None,
    sentences: bool = True,
    workers: Workers | None = None,
) -> IngestReport:
    """Add new files, replace changed ones, skip unchanged ones; report each file. Then, with
    `sentences`, store the sentence vectors of every pending transcript (phase two).

    With `workers` they parse, chunk and embed (phase two: split and embed the sentences)
    while this process reads the files and commits: the same transactions, in the same order,
    as without them."""
    started = time.perf_counter()
    chunker = _chunker(library)
    files, skipped = scan_paths(paths)
    report = IngestReport(skipped_files=skipped, encoder=library.encoder.name)
    with library.write_lock():
        library.require_current()
        pending: list[_Pending] = []
        if workers is None:
            results: Iterable[FileResult] = (
                _prepare(library, path, format, pending) for path in files
            )
        else:
            results = _prepare_on(workers, library, files, format, chunker, pending)
        for done, result in enumerate(results, 1):
            report.files.append(result)
            if len(pending) >= FILES_PER_COMMIT:
                _commit(library, chunker, pending, report, progress, workers, sentences)
                pending.clear()  # in place: the results being prepared append to this list
            if progress:
                progress("parse", done, len(files))
        if pending:
            _commit(library, chunker, pending, report, progress, workers, sentences)
    report.searchable_seconds = time.perf_counter() - started
    if sentences:
        report.sentences_embedded += complete_sentences(library, progress, workers=workers)
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
        counts, _, _ = _store(
            library, chunker, items, library.new_index(), ids, progress, pool_sentences=True
        )
    complete_sentences(library, progress)
    return sum(counts)


def complete_sentences(
    library: Library,
    progress: Progress | None = None,
    stop: Callable[[], bool] | None = None,
    workers: Workers | None = None,
) -> int:
    """Phase two: for each pending transcript, embed its quotable sentences into the cache, then
    store its sentence spans and mark it done. Returns the sentences encoded.

    One process at a time does this (Library.sentences_lock; another returns 0 at once) and it
    goes on until none are pending, new ones included. A kill loses no committed work: vectors
    are committed every EMBED_BATCH and a transcript is marked done only after its vectors are
    stored. `stop()` true ends it between slices (a server shutting down). With `workers`
    they split and embed the sentences; this process still commits, in the same steps.
    """
    if not library.sentence_vectors or library.mismatch():
        # (A library made with another model waits for `tqa reindex`, which redoes this.)
        return 0
    encoded = 0
    with library.sentences_lock() as held:
        if not held:
            return 0
        done = 0
        # The next slice is split (pysbd: pure Python, a quarter of phase two's time when
        # done in turn) on another thread while the current one is encoded: the encoder
        # releases the GIL, so the split takes the CPU time the encoder's workers leave.
        # Splitting commits nothing; the commits stay here, in the same order. Ray workers
        # split in parallel already (and their call bookkeeping is not for two threads).
        with ThreadPoolExecutor(1, thread_name_prefix="sentence-split") as splitter:

            def start(part: list[tuple[str, str, list[Utterance]]]) -> Future[_Spans]:
                if workers is None:
                    return splitter.submit(_split, part, None)
                split: Future[_Spans] = Future()
                split.set_result(_split(part, workers))
                return split

            while pending := library.pending_sentences():
                total = done + len(pending)
                slices = _sentence_slices(library, pending)
                part = next(slices, None)
                split = start(part) if part else None
                while part is not None and split is not None:
                    if stop is not None and stop():
                        split.cancel()
                        return encoded
                    spans = split.result()
                    following = next(slices, None)
                    split = start(following) if following else None
                    encoded += _embed_sentences(library, part, spans, workers)
                    for tid, digest, _ in part:
                        library.store_sentences(tid, digest, spans[tid])
                    done += len(part)
                    if progress:
                        progress("sentences", done, total)
                    part = following
    return encoded


# Sentence spans of each utterance (by index) of each transcript (by id).
_Spans = dict[str, dict[int, list[tuple[int, int]]]]


def _embed_sentences(
    library: Library,
    part: Sequence[tuple[str, str, list[Utterance]]],
    spans: _Spans,
    workers: Workers | None,
) -> int:
    """Put the vectors of the quotable sentences of a slice of transcripts in the cache:
    pooled from their chunks' word pieces (here or on the workers) when the encoder can, else
    each sentence encoded alone. Returns how many were made."""
    if _pools_sentences(library):
        chunk_texts: list[str] = []
        placed: list[list[tuple[int, int, str]]] = []
        for tid, _, utterances in part:
            stored = library.chunk_texts(tid)
            chunk_texts += stored
            placed += _placed(stored, utterances, spans[tid])
        return _embed(library, chunk_texts, None, "sentences", workers, placed)[2]
    distinct = {s: None for tid, _, utterances in part for s in _quotable(utterances, spans[tid])}
    return _embed(library, list(distinct), None, "sentences", workers)[1]


def _split(part: Sequence[tuple[str, str, list[Utterance]]], workers: Workers | None) -> _Spans:
    """The sentence spans of each utterance of each transcript of a slice, by transcript id."""
    if workers is None:
        return {tid: _utterance_spans(utterances) for tid, _, utterances in part}
    found = workers.sentence_spans([[u.text for u in utterances] for _, _, utterances in part])
    return {
        tid: {u.index: spans for u, spans in zip(utterances, per_utterance, strict=True)}
        for (tid, _, utterances), per_utterance in zip(part, found, strict=True)
    }


def _utterance_spans(utterances: Sequence[Utterance]) -> dict[int, list[tuple[int, int]]]:
    """The sentence spans (answer_spans) of each utterance, by its index."""
    return {u.index: answer_spans(u.text) for u in utterances}


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


@dataclass
class RenameReport:
    """What a rename did: the names asked for (current -> new), the transcript's chunks after
    it, and what had to be embedded (chunks whose text carries a renamed label; the sentence
    vectors hold no label, so they come from the cache)."""

    transcript_id: str
    renamed: dict[str, str]
    chunks: int = 0
    embedded: int = 0
    sentences_embedded: int = 0
    seconds: float = 0.0


def rename_speakers(
    library: Library,
    transcript_id: str,
    renames: Sequence[tuple[str, str]],
    progress: Progress | None = None,
) -> RenameReport:
    """Name a transcript's speakers ((current name, new name) pairs, applied at once) and
    rewrite that transcript alone in one transaction: its utterances, its chunks re-labelled
    (the keyword index follows them), their vectors (only changed chunk texts are encoded)
    and the stored names. Other transcripts and their vectors stay as they are."""
    started = time.perf_counter()
    chunker = _chunker(library)
    report = RenameReport(transcript_id, {old: clean_name(new) for old, new in renames})
    with library.write_lock():
        library.require_current()
        transcript = library.transcript(transcript_id)  # LibraryError when absent
        stored = library.speaker_names(transcript_id)
        names = renamed_labels(transcript, renames, stored)
        digest = library.stored_hash(transcript_id)
        assert digest is not None  # the transcript was just read under the lock
        if apply_names(transcript, names) == transcript:
            # Every speaker already has the name asked for: nothing to write (a map entry
            # that changes no name would change none at re-ingest either).
            report.chunks = library.transcript_chunk_count(transcript_id)
        else:
            # The texts are unchanged, so are their sentences and their vectors: the stored
            # spans are kept (no phase two for a rename).
            spans = library.sentence_spans(transcript_id, 0, len(transcript.utterances))
            known = None
            if library.sentence_vectors and len(spans) == len(transcript.utterances):
                known = {transcript_id: {idx: list(s) for idx, s in spans.items()}}
            counts, encoded, pooled = _store(
                library,
                chunker,
                [(transcript, digest)],
                library.index_copy(),
                [transcript_id],
                progress,
                names={transcript_id: names},
                sentences=known,
            )
            report.chunks, report.embedded = counts[0], encoded
            report.sentences_embedded += pooled
    report.seconds = time.perf_counter() - started
    return report


def _chunker(library: Library) -> ChunkerSettings:
    """The chunk size the library is written with (SettingsError for an impossible one)."""
    return ChunkerSettings(
        budget_tokens=library.chunk_tokens, max_model_tokens=library.encoder.max_tokens
    )


def _prepare(
    library: Library, path: Path, format: str | None, pending: list[_Pending]
) -> FileResult:
    """Read and parse one file; queue it in `pending` when it is new or changed."""
    read = _read(library, path, format)
    if isinstance(read, FileResult):
        return read
    try:
        transcript = transcript_from_bytes(read.data, path, format=format)
    except TranscriptQAError as exc:
        return FileResult(path=str(path), status="failed", error=str(exc))
    return _queue(
        library, FileResult(path=str(path), status="failed"), transcript, read.digest, pending
    )


def _read(library: Library, path: Path, format: str | None) -> FileJob | FileResult:
    """The file's bytes and content hash, or its failed result saying why it cannot be read."""
    try:
        if not path.is_file():
            raise TranscriptFormatError(str(path), "no such file")
        # One bounded read: a file over max_file_bytes is refused before it is read.
        data = read_file_bytes(path, max_bytes=library.max_file_bytes)
    except TranscriptQAError as exc:
        return FileResult(path=str(path), status="failed", error=str(exc))
    except OSError as exc:
        error = f"{path}: cannot read ({exc.strerror or exc})"
        return FileResult(path=str(path), status="failed", error=error)
    return FileJob(str(path), data, file_hash(data + f"{format or ''}|{PARSER_VERSION}".encode()))


def _prepare_on(
    workers: Workers,
    library: Library,
    files: Sequence[Path],
    format: str | None,
    chunker: ChunkerSettings,
    pending: list[_Pending],
) -> Iterator[FileResult]:
    """_prepare with the parsing and chunking done by the workers, file by file in order."""
    # The library cannot change under the write lock but by this run's own commits, which
    # _queue sees: the snapshot only spares the workers chunking unchanged files.
    context = PrepareContext(format, chunker, library.content_hashes(), library.all_speaker_names())
    # Read lazily, as the workers take them: an archive is not held in memory.
    reads = (_read(library, path, format) for path in files)
    for parsed in workers.parse(reads, context):
        if isinstance(parsed, FileResult):
            yield parsed  # could not be read
            continue
        result = FileResult(path=parsed.job.path, status="failed")
        if parsed.transcript is None:
            result.error = parsed.error
            yield result
        else:
            yield _queue(
                library, result, parsed.transcript, parsed.job.digest, pending, parsed.chunks
            )


def _queue(
    library: Library,
    result: FileResult,
    transcript: Transcript,
    digest: str,
    pending: list[_Pending],
    chunks: list[Chunk] | None = None,
) -> FileResult:
    """Skip the transcript when stored with this content hash, else queue it in `pending`."""
    path = result.path
    result.transcript_id = transcript.id
    result.utterances = len(transcript.utterances)
    if any(t.id == transcript.id for t, _, _, _ in pending):
        result.error = f"{path}: another file in this batch has the id {transcript.id!r}"
        return result
    stored = library.stored_hash(transcript.id)
    if stored is not None and stored == digest:
        result.status = "skipped"
        result.chunks = library.transcript_chunk_count(transcript.id)
        return result
    result.status = "replaced" if stored is not None else "added"
    if stored is not None:
        result.unused_speaker_names = unused_names(transcript, library.speaker_names(transcript.id))
    pending.append((transcript, digest, result, chunks))
    return result


def _commit(
    library: Library,
    chunker: ChunkerSettings,
    pending: list[_Pending],
    report: IngestReport,
    progress: Progress | None,
    workers: Workers | None = None,
    sentences: bool = False,
) -> None:
    """Store a batch of new and changed transcripts (see _store); with `sentences`, their
    sentence vectors too when the encoder pools them."""
    replaced = [t.id for t, _, r, _ in pending if r.status == "replaced"]
    items = [(t, digest) for t, digest, _, _ in pending]
    made = {t.id: chunks for t, _, _, chunks in pending if chunks is not None}
    index = library.index_copy()
    counts, encoded, pooled = _store(
        library,
        chunker,
        items,
        index,
        replaced,
        progress,
        chunked=made,
        workers=workers,
        pool_sentences=sentences,
    )
    for (_, _, result, _), count in zip(pending, counts, strict=True):
        result.chunks = count
    report.embedded += encoded
    report.sentences_embedded += pooled


def _store(
    library: Library,
    chunker: ChunkerSettings,
    items: Sequence[tuple[Transcript, str]],
    index: VectorIndex,
    delete: Sequence[str],
    progress: Progress | None,
    names: Mapping[str, Mapping[str, str]] | None = None,
    sentences: Mapping[str, Mapping[int, Sequence[tuple[int, int]]]] | None = None,
    chunked: Mapping[str, list[Chunk]] | None = None,
    workers: Workers | None = None,
    pool_sentences: bool = False,
) -> tuple[list[int], int, int]:
    """Chunk and embed transcripts (with their content hashes), then have the library, in one
    transaction, delete the transcripts `delete` names, insert these, store `names` (new
    speaker names by transcript id), add their vectors to `index` and publish it. Each
    transcript is first given its speaker names: those of `names`, else those stored. Its
    sentences are left pending (phase two), unless `sentences` gives its spans already (a
    rename: the texts are unchanged, so are their spans and vectors). A transcript `chunked`
    gives chunks of was named and chunked by a worker (parse_file) already; `workers` embed.
    With `pool_sentences` and no workers, an encoder that pools spans gives the sentence
    vectors as it embeds the chunks, and no sentence is left pending. Returns (chunks per
    transcript, chunk texts encoded, sentence vectors pooled)."""
    made = chunked or {}
    done = [
        (t, digest, made[t.id])
        if t.id in made
        else _named_chunks(library, chunker, t, digest, names)
        for t, digest in items
    ]
    texts = [c.text for _, _, chunks in done for c in chunks]
    known = sentences or {}
    placed = None
    if pool_sentences and sentences is None and workers is None and _pools_sentences(library):
        # The sentences are split now, and their vectors pooled as the chunks are embedded:
        # a second encode of every sentence in phase two would cost about as much again.
        # (Ray workers split them in phase two, in parallel, and pool them from the chunks.)
        known = {t.id: _utterance_spans(t.utterances) for t, _, _ in done}
        placed = [
            row
            for t, _, chunks in done
            for row in _placed([c.text for c in chunks], t.utterances, known[t.id])
        ]
    vectors, encoded, pooled = _embed(library, texts, progress, workers=workers, sentences=placed)
    prepared = [
        PreparedTranscript(
            transcript=t,
            content_hash=digest,
            chunks=chunks,
            sentences=known.get(t.id, {}),
            sentences_pending=library.sentence_vectors and t.id not in known,
        )
        for t, digest, chunks in done
    ]
    library.write(prepared, vectors, index, delete, speaker_names=names)
    return [len(chunks) for _, _, chunks in done], encoded, pooled


def _named_chunks(
    library: Library,
    chunker: ChunkerSettings,
    transcript: Transcript,
    digest: str,
    names: Mapping[str, Mapping[str, str]] | None,
) -> tuple[Transcript, str, list[Chunk]]:
    """The transcript with its speaker names (those of `names`, else those stored) and its
    chunks, as parse_file makes them on a worker."""
    given = names[transcript.id] if names and transcript.id in names else None
    named = apply_names(
        transcript, library.speaker_names(transcript.id) if given is None else given
    )
    return named, digest, chunk_transcript(named, chunker, library.encoder.count_tokens)


# Per text, the sentences whose vectors are pooled from its word pieces: (start, end, sentence)
# with start and end in the text.
_Placed = Sequence[Sequence[tuple[int, int, str]]]


def _embed(
    library: Library,
    texts: Sequence[str],
    progress: Progress | None,
    stage: str = "embed",
    workers: Workers | None = None,
    sentences: _Placed | None = None,
) -> tuple[np.ndarray, int, int]:
    """Vectors for texts, from the cache where possible; (vectors, how many texts were encoded,
    how many sentence vectors were pooled).

    With `sentences` (for an encoder that pools spans), each text's sentences get vectors from
    the same pass, cached under in_chunk_name(model): a text is encoded again, though cached,
    when one of its sentences has no vector yet."""
    encoder = library.encoder
    hashes = [content_hash(t, encoder.name) for t in texts]
    cached = library.cache.get(hashes)
    pooler = span_encoder(encoder) if sentences is not None else None
    sentence_hashes: list[list[str]] = []
    have: set[str] = set()
    if pooler is not None and sentences is not None:
        name = in_chunk_name(encoder.name)
        sentence_hashes = [[content_hash(s, name) for _, _, s in row] for row in sentences]
        have = library.cache.present([h for row in sentence_hashes for h in row])
    # A sentence said in several chunks (or transcripts) takes its vector from the first: the
    # library is then the same whatever order the encoder's parts finish in, or a kill left.
    owner: dict[str, int] = {}
    for i, row in enumerate(sentence_hashes):
        for h in row:
            if h not in have:
                owner.setdefault(h, i)
    lacking = set(owner.values())
    first: dict[str, int] = {}
    for i, h in enumerate(hashes):
        if h not in cached or i in lacking:
            first.setdefault(h, i)
    # Each distinct text once, longest first: every encoder call then gets texts of about one
    # length, so its batches carry almost no padding (characters stand in for word pieces).
    missing = sorted(first.items(), key=lambda item: -len(texts[item[1]]))
    size = EMBED_BATCH if workers is None else workers.part_size
    parts = [missing[start : start + size] for start in range(0, len(missing), size)]
    texts_of = [[texts[i] for _, i in part] for part in parts]
    done: Iterable[tuple[int, np.ndarray, list[np.ndarray] | None]]
    if pooler is not None and sentences is not None:
        spans_of = [[[(a, b) for a, b, _ in sentences[i]] for _, i in part] for part in parts]
        done = (
            workers.encode_span_parts(texts_of, spans_of)
            if workers is not None
            else ((n, *pooler.encode_spans(part, spans_of[n])) for n, part in enumerate(texts_of))
        )
    elif workers is None:
        done = ((n, encoder.encode(part), None) for n, part in enumerate(texts_of))
    else:
        done = ((n, vectors, None) for n, vectors in workers.encode_parts(texts_of))
    encoded = pooled_count = 0
    for n, vectors, pooled in done:
        part = parts[n]
        encoded += len(part)
        fresh = [(h, v) for (h, _), v in zip(part, vectors, strict=True)]
        for (_, i), rows in zip(part, pooled, strict=True) if pooled is not None else ():
            for h, row in zip(sentence_hashes[i], rows, strict=True):
                # A sentence with no whole word piece in the text (none of the model's) is
                # left for an answer to embed.
                if owner.get(h) == i and row.any():
                    fresh.append((h, row))
                    pooled_count += 1
        # Committed at once, outside the library transaction: a kill loses no embedding work.
        library.cache.put(fresh)
        for (h, _), v in zip(part, vectors, strict=True):
            cached[h] = v
        if progress:
            progress(stage, encoded, len(missing))
    matrix = np.zeros((len(texts), encoder.dimension), dtype=np.float32)
    for i, h in enumerate(hashes):
        matrix[i] = cached[h]
    return matrix, encoded, pooled_count


def _pools_sentences(library: Library) -> bool:
    """Whether the library's sentence vectors are pooled from the chunks' word pieces."""
    return library.sentence_vectors and span_encoder(library.encoder) is not None


def _quotable(
    utterances: Sequence[Utterance], spans: Mapping[int, Sequence[tuple[int, int]]]
) -> list[str]:
    """The quotable sentences of the utterances, in order, given their spans."""
    return [
        u.text[a:b]
        for u in utterances
        for a, b in spans.get(u.index, ())
        if is_quotable(u.text[a:b])
    ]


def _placed(
    chunk_texts: Sequence[str],
    utterances: Sequence[Utterance],
    spans: Mapping[int, Sequence[tuple[int, int]]],
) -> list[list[tuple[int, int, str]]]:
    """The quotable sentences of a transcript placed in its chunks' texts (see _Placed); one
    that straddles two chunks is in neither, and an answer embeds it when it needs it."""
    return place_sentences(chunk_texts, _quotable(utterances, spans))[0]
