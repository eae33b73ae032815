"""The library on disk: SQLite for transcripts, utterances and chunks (+ FTS5), a FAISS index.

Layout of the folder:
    library.sqlite          transcripts, utterances, chunks, chunks_fts, embedding cache, meta
    index-<generation>.faiss the vectors; int64 ids are chunk ids
    manifest.json            a readable copy of the manifest (schema, model, chunker, index)
    write.lock               held by the one process that writes

Atomicity: every change is one SQLite transaction that also records which index generation
matches it. The new index file is written and fsynced *before* that transaction commits, and old
generations are deleted only after it commits; a kill at any moment leaves the previous state or
the new one, and an index file the database does not name is an orphan removed on the next write.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from embeddings.base import Encoder, content_hash
from embeddings.errors import IndexFileError
from embeddings.index import VectorIndex, choose_kind
from qa.errors import LibraryError, LibraryLockedError, TranscriptFormatError, TranscriptQAError
from qa.ingest.chunking import ChunkerSettings, chunk_transcript
from qa.ingest.parsers import EXTENSIONS, read_file_bytes, transcript_from_bytes
from qa.models import Chunk, Filters, Transcript, Utterance
from qa.sentences import is_quotable, sentence_spans

SCHEMA_VERSION = 1
DB_NAME = "library.sqlite"
MANIFEST_NAME = "manifest.json"
LOCK_NAME = "write.lock"
# Files per transaction during a batch ingest: a kill loses at most this much work (the
# embedding cache is committed separately, so even that is not re-embedded).
FILES_PER_COMMIT = 25

# Sentence spans of utterances, by (transcript id, utterance index).
Sentences = dict[tuple[str, int], list[tuple[int, int]]]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS transcripts(
    id TEXT PRIMARY KEY, title TEXT NOT NULL, date TEXT, time TEXT, place TEXT, lead TEXT,
    source_path TEXT, format TEXT NOT NULL, metadata_json TEXT NOT NULL,
    content_hash TEXT NOT NULL, utterance_count INTEGER NOT NULL, speakers_json TEXT NOT NULL,
    ingested_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS utterances(
    transcript_id TEXT NOT NULL REFERENCES transcripts(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL, speaker TEXT, canonical_speaker TEXT, text TEXT NOT NULL,
    start_s REAL, end_s REAL, part INTEGER NOT NULL,
    PRIMARY KEY(transcript_id, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS chunks(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    transcript_id TEXT NOT NULL REFERENCES transcripts(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL, utterance_start INTEGER NOT NULL, utterance_end INTEGER NOT NULL,
    speakers_json TEXT NOT NULL, text TEXT NOT NULL, token_count INTEGER NOT NULL,
    start_s REAL, end_s REAL, embed_hash TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_by_transcript ON chunks(transcript_id, ordinal);
CREATE TABLE IF NOT EXISTS chunk_speakers(
    chunk_id INTEGER NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
    speaker TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS chunk_speakers_by_speaker ON chunk_speakers(speaker);
CREATE INDEX IF NOT EXISTS chunk_speakers_by_chunk ON chunk_speakers(chunk_id);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    text, content='chunks', content_rowid='id', tokenize='porter unicode61');
CREATE TRIGGER IF NOT EXISTS chunks_fts_insert AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER IF NOT EXISTS chunks_fts_delete AFTER DELETE ON chunks BEGIN
    INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TABLE IF NOT EXISTS embedding_cache(hash TEXT PRIMARY KEY, vector BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS sentences(
    transcript_id TEXT NOT NULL REFERENCES transcripts(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL, spans_json TEXT NOT NULL,
    PRIMARY KEY(transcript_id, idx)) WITHOUT ROWID;
"""


@dataclass(frozen=True)
class Manifest:
    schema_version: int
    embedding_model: str
    dimension: int
    chunk_tokens: int
    max_model_tokens: int
    index_kind: str

    def to_json(self) -> dict[str, object]:
        return {
            "schema_version": self.schema_version,
            "embedding_model": self.embedding_model,
            "dimension": self.dimension,
            "chunk_tokens": self.chunk_tokens,
            "max_model_tokens": self.max_model_tokens,
            "index_kind": self.index_kind,
        }


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

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)


@dataclass(frozen=True)
class TranscriptInfo:
    id: str
    title: str
    date: str | None
    time: str | None
    place: str | None
    format: str
    source_path: str | None
    utterance_count: int
    chunk_count: int
    speakers: tuple[str, ...]


@dataclass(frozen=True)
class StoredChunk:
    id: int
    chunk: Chunk
    title: str
    date: str | None


Progress = Callable[[str, int, int], None]  # (stage, done, total)


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


_NO_IDS = np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class _ChunkFacts:
    """Every chunk's id, transcript and speakers, for filtering and counting without a query."""

    ids: np.ndarray  # chunk ids, ascending
    transcript_of: np.ndarray  # per chunk: position of its transcript in `transcripts`
    transcripts: list[str]
    dates: list[str | None]  # per transcript
    by_speaker: dict[str, np.ndarray]  # canonical speaker -> chunk ids


class Library:
    """One library folder. Readers may be many; writing takes an exclusive lock."""

    def __init__(
        self,
        folder: Path,
        encoder: Encoder,
        *,
        chunk_tokens: int = 200,
        index_kind: str = "auto",
        index_auto_threshold: int = 50_000,
        max_file_bytes: int | None = None,
        sentence_vectors: bool = True,
    ) -> None:
        self.folder = Path(folder)
        self.encoder = encoder
        self.chunker = ChunkerSettings(
            budget_tokens=chunk_tokens, max_model_tokens=encoder.max_tokens
        )
        self.index_kind_setting = index_kind
        self.index_auto_threshold = index_auto_threshold
        self.max_file_bytes = max_file_bytes
        # Embedding every quotable sentence at ingest (into the embedding cache) spares the
        # answerer the model calls that were most of an answer's time.
        self.sentence_vectors = sentence_vectors
        self._index: VectorIndex | None = None
        self._index_generation = -1
        self._facts: tuple[int, _ChunkFacts] | None = None
        # The UI's threads share this connection: one read transaction at a time on it.
        self._snapshot_lock = threading.RLock()
        self.folder.mkdir(parents=True, exist_ok=True)
        self._db = self._connect()

    # ----------------------------------------------------------------------------- opening

    def _connect(self) -> sqlite3.Connection:
        try:
            db = sqlite3.connect(
                self.folder / DB_NAME, timeout=30, isolation_level=None, check_same_thread=False
            )
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA foreign_keys=ON")
            # SQLite's default 2 MB page cache churns on a corpus library (the keyword index and
            # the stored sentence vectors); 64 MB keeps a question's pages in memory.
            db.execute("PRAGMA cache_size=-65536")
            db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise LibraryError(f"cannot open the library at {self.folder}: {exc}") from exc
        return db

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def manifest(self) -> Manifest | None:
        raw = self._meta("manifest")
        if raw is None:
            return None
        data = json.loads(raw)
        return Manifest(**data)

    def expected_manifest(self, index_kind: str) -> Manifest:
        return Manifest(
            schema_version=SCHEMA_VERSION,
            embedding_model=self.encoder.name,
            dimension=self.encoder.dimension,
            chunk_tokens=self.chunker.budget_tokens,
            max_model_tokens=self.encoder.max_tokens,
            index_kind=index_kind,
        )

    def mismatch(self) -> str | None:
        """Why the library's vectors don't match the current settings, or None."""
        manifest = self.manifest()
        if manifest is None:
            return None
        if manifest.schema_version != SCHEMA_VERSION:
            return (
                f"the library has schema version {manifest.schema_version}, this program "
                f"writes {SCHEMA_VERSION}"
            )
        if manifest.embedding_model != self.encoder.name:
            return (
                f"the library was embedded with {manifest.embedding_model!r}, the current "
                f"model is {self.encoder.name!r}"
            )
        if manifest.chunk_tokens != self.chunker.budget_tokens:
            return (
                f"the library was chunked at {manifest.chunk_tokens} tokens, the current "
                f"setting is {self.chunker.budget_tokens}"
            )
        return None

    def require_current(self) -> None:
        """Raise unless the stored vectors were made with the current model and chunker."""
        problem = self.mismatch()
        if problem:
            raise LibraryError(f"{problem}; run `tqa reindex` to rebuild the library")

    def generation(self) -> int:
        raw = self._meta("index_generation")
        return -1 if raw is None else int(raw)

    def _index_path(self, generation: int) -> Path:
        return self.folder / f"index-{generation}.faiss"

    def index(self) -> VectorIndex:
        """The FAISS index matching the committed database, reloaded when another process wrote."""
        for _attempt in range(5):
            generation = self.generation()
            if self._index is not None and generation == self._index_generation:
                return self._index
            if generation < 0:
                self._index = VectorIndex.create(self.encoder.dimension, "flat")
                self._index_generation = generation
                return self._index
            try:
                self._index = VectorIndex.load(self._index_path(generation))
            except IndexFileError as exc:
                raise LibraryError(str(exc)) from exc
            except FileNotFoundError:
                # A writer replaced that generation between our two reads: read again.
                time.sleep(0.05)
                continue
            self._index_generation = generation
            return self._index
        raise LibraryError(f"the index of {self.folder} keeps changing or is missing")

    # ----------------------------------------------------------------------------- locking

    @contextlib.contextmanager
    def write_lock(self) -> Iterator[None]:
        path = self.folder / LOCK_NAME
        with open(path, "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                raise LibraryLockedError(
                    f"the library at {self.folder} is being written by {holder}; "
                    "try again when it has finished"
                ) from None
            handle.seek(0)
            handle.truncate()
            handle.write(f"process {os.getpid()}")
            handle.flush()
            try:
                yield
            finally:
                handle.seek(0)
                handle.truncate()
                fcntl.flock(handle, fcntl.LOCK_UN)

    # ----------------------------------------------------------------------------- reading

    def transcripts(self) -> list[TranscriptInfo]:
        rows = self._db.execute(
            "SELECT t.id, t.title, t.date, t.time, t.place, t.format, t.source_path, "
            "t.utterance_count, (SELECT count(*) FROM chunks c WHERE c.transcript_id = t.id), "
            "t.speakers_json FROM transcripts t ORDER BY t.date IS NULL, t.date, t.id"
        ).fetchall()
        return [
            TranscriptInfo(
                r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], tuple(json.loads(r[9]))
            )
            for r in rows
        ]

    def transcript(self, transcript_id: str) -> Transcript:
        with self._snapshot():  # the row and its utterances from one committed state
            row = self._db.execute(
                "SELECT id, title, date, time, place, lead, source_path, format, metadata_json "
                "FROM transcripts WHERE id=?",
                (transcript_id,),
            ).fetchone()
            if row is None:
                raise LibraryError(
                    f"no transcript {transcript_id!r} in the library at {self.folder}"
                )
            utterances = tuple(self.utterances(transcript_id))
        return Transcript(
            id=row[0],
            title=row[1],
            date=row[2],
            time=row[3],
            place=row[4],
            lead=row[5],
            source_path=row[6],
            format=row[7],
            metadata=json.loads(row[8]),
            utterances=utterances,
        )

    def utterances(
        self, transcript_id: str, start: int | None = None, end: int | None = None
    ) -> list[Utterance]:
        """Utterances of a transcript, optionally only indices start..end (inclusive)."""
        lo = -1 if start is None else start
        hi = 2**62 if end is None else end
        rows = self._db.execute(
            "SELECT idx, speaker, canonical_speaker, text, start_s, end_s, part FROM utterances "
            "WHERE transcript_id=? AND idx BETWEEN ? AND ? ORDER BY idx",
            (transcript_id, lo, hi),
        ).fetchall()
        return [Utterance(r[0], r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows]

    def sentence_spans(
        self, transcript_id: str, start: int, end: int
    ) -> dict[int, list[tuple[int, int]]]:
        """Sentence spans stored at ingest for utterances start..end, by utterance index (empty
        for a library ingested without them)."""
        rows = self._db.execute(
            "SELECT idx, spans_json FROM sentences WHERE transcript_id=? AND idx BETWEEN ? AND ?",
            (transcript_id, start, end),
        ).fetchall()
        return {r[0]: [(a, b) for a, b in json.loads(r[1])] for r in rows}

    def speakers(self) -> list[tuple[str, int]]:
        """Canonical speakers with the number of chunks they appear in, most frequent first."""
        # Every question asks (twice): counted from the chunk facts, read once per generation.
        counts = [(name, len(ids)) for name, ids in self._chunk_facts().by_speaker.items()]
        return sorted(counts, key=lambda item: (-item[1], item[0]))

    def chunk_count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM chunks").fetchone()[0])

    def chunks(self, ids: Sequence[int]) -> dict[int, StoredChunk]:
        """Chunks by id (ids not in the library are absent from the result)."""
        found: dict[int, StoredChunk] = {}
        for start in range(0, len(ids), 500):
            batch = [int(i) for i in ids[start : start + 500]]
            marks = ",".join("?" * len(batch))
            rows = self._db.execute(
                "SELECT c.id, c.transcript_id, c.ordinal, c.utterance_start, c.utterance_end, "
                "c.speakers_json, c.text, c.token_count, c.start_s, c.end_s, t.title, t.date "
                "FROM chunks c JOIN transcripts t ON t.id = c.transcript_id "
                f"WHERE c.id IN ({marks})",
                batch,
            ).fetchall()
            for r in rows:
                chunk = Chunk(
                    r[1], r[2], r[3], r[4], tuple(json.loads(r[5])), r[6], r[7], r[8], r[9]
                )
                found[r[0]] = StoredChunk(r[0], chunk, r[10], r[11])
        return found

    def filtered_chunk_ids(self, filters: Filters) -> np.ndarray | None:
        """Chunk ids that pass the filters, or None when there are no filters (the same rule
        as filter_sql, applied in memory: a speaker in most chunks made the query ~20 ms)."""
        if filters.is_empty():
            return None
        facts = self._chunk_facts()
        wanted = np.ones(len(facts.transcripts), dtype=bool)
        if filters.transcripts:
            wanted &= np.isin(np.asarray(facts.transcripts, dtype=object), filters.transcripts)
        if filters.since or filters.until:
            lo, hi = filters.since or "0000-00-00", filters.until or "9999-99-99"
            wanted &= np.array([d is not None and lo <= d <= hi for d in facts.dates], dtype=bool)
        keep = wanted[facts.transcript_of] if len(facts.ids) else np.zeros(0, dtype=bool)
        if filters.speakers:
            spoken = [facts.by_speaker.get(name, _NO_IDS) for name in filters.speakers]
            keep &= np.isin(facts.ids, np.concatenate(spoken))
        return facts.ids[keep]

    def _chunk_facts(self) -> _ChunkFacts:
        """What the filters look at, for every chunk; read again when the library changes."""
        generation = self.generation()
        cached = self._facts
        if cached is not None and cached[0] == generation:
            return cached[1]
        with self._snapshot():
            generation = self.generation()
            rows = self._db.execute("SELECT id, date FROM transcripts ORDER BY id").fetchall()
            chunks = self._db.execute("SELECT id, transcript_id FROM chunks ORDER BY id").fetchall()
            spoken = self._db.execute(
                "SELECT speaker, chunk_id FROM chunk_speakers ORDER BY speaker, chunk_id"
            ).fetchall()
        code = {tid: i for i, (tid, _) in enumerate(rows)}
        by_speaker: dict[str, list[int]] = {}
        for speaker, chunk_id in spoken:
            by_speaker.setdefault(speaker, []).append(chunk_id)
        facts = _ChunkFacts(
            ids=np.array([c[0] for c in chunks], dtype=np.int64),
            transcript_of=np.array([code[c[1]] for c in chunks], dtype=np.int64),
            transcripts=[r[0] for r in rows],
            dates=[r[1] for r in rows],
            by_speaker={k: np.array(v, dtype=np.int64) for k, v in by_speaker.items()},
        )
        self._facts = (generation, facts)
        return facts

    def keyword_search(self, match: str, k: int, filters: Filters) -> list[tuple[int, float]]:
        """(chunk id, bm25) best first for an FTS5 MATCH expression, inside the filters."""
        if not match:
            return []
        where, params = filter_sql(filters)
        try:
            rows = self._db.execute(
                "SELECT c.id, bm25(chunks_fts) AS score FROM chunks_fts "
                "JOIN chunks c ON c.id = chunks_fts.rowid "
                f"WHERE chunks_fts MATCH ? AND {where} ORDER BY score LIMIT ?",
                (match, *params, k),
            ).fetchall()
        except sqlite3.OperationalError as exc:
            raise LibraryError(f"keyword search failed for {match!r}: {exc}") from exc
        # FTS5's bm25() is lower-is-better; flip so that higher is better everywhere.
        return [(int(r[0]), -float(r[1])) for r in rows]

    def term_count(self, term: str) -> int:
        """Chunks whose text contains the word (FTS5 stemming applies); 0 for a non-word."""
        if not term.isalnum():
            return 0
        row = self._db.execute(
            "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?", (f'"{term}"',)
        ).fetchone()
        return int(row[0])

    def transcript_ids(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT id FROM transcripts ORDER BY id")]

    def date_range(self) -> tuple[str | None, str | None]:
        row = self._db.execute("SELECT min(date), max(date) FROM transcripts").fetchone()
        return row[0], row[1]

    @contextlib.contextmanager
    def _snapshot(self) -> Iterator[None]:
        """Reads inside one read transaction: one committed state of the library, even when
        another process commits between them (WAL keeps the snapshot)."""
        with self._snapshot_lock:
            if self._db.in_transaction:
                yield
                return
            self._db.execute("BEGIN")
            try:
                yield
            finally:
                self._db.execute("COMMIT")

    def check(self) -> list[str]:
        """Problems with the library's consistency (empty when sound)."""
        problems: list[str] = []
        with self._snapshot():
            db_ids = {r[0] for r in self._db.execute("SELECT id FROM chunks")}
            index_ids = {int(i) for i in self.index().ids()}
            bad = self._db.execute(
                "SELECT t.id FROM transcripts t WHERE t.utterance_count != "
                "(SELECT count(*) FROM utterances u WHERE u.transcript_id = t.id) "
                "OR NOT EXISTS (SELECT 1 FROM chunks c WHERE c.transcript_id = t.id)"
            ).fetchall()
        if db_ids - index_ids:
            problems.append(f"{len(db_ids - index_ids)} chunks have no vector")
        if index_ids - db_ids:
            problems.append(f"{len(index_ids - db_ids)} vectors have no chunk")
        problems.extend(f"transcript {r[0]} is incomplete" for r in bad)
        return problems

    # ----------------------------------------------------------------------------- writing

    def ingest(
        self,
        paths: Sequence[Path],
        *,
        format: str | None = None,
        progress: Progress | None = None,
    ) -> IngestReport:
        """Add new files, replace changed ones, skip unchanged ones; report each file."""
        started = time.perf_counter()
        report = IngestReport()
        files = list(iter_transcript_files(paths))
        with self.write_lock():
            self.require_current()
            pending: list[tuple[Transcript, str, FileResult]] = []
            for done, path in enumerate(files, 1):
                result = self._prepare(path, format, pending)
                report.files.append(result)
                if len(pending) >= FILES_PER_COMMIT:
                    self._commit(pending, report, progress)
                    pending = []
                if progress:
                    progress("parse", done, len(files))
            if pending:
                self._commit(pending, report, progress)
        report.seconds = time.perf_counter() - started
        return report

    def _prepare(
        self, path: Path, format: str | None, pending: list[tuple[Transcript, str, FileResult]]
    ) -> FileResult:
        result = FileResult(path=str(path), status="failed")
        try:
            if not path.is_file():
                raise TranscriptFormatError(str(path), "no such file")
            # One bounded read: a file over max_file_bytes is refused before it is read.
            data = read_file_bytes(path, max_bytes=self.max_file_bytes)
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
        row = self._db.execute(
            "SELECT content_hash FROM transcripts WHERE id=?", (transcript.id,)
        ).fetchone()
        if row is not None and row[0] == digest:
            result.status = "skipped"
            result.chunks = int(
                self._db.execute(
                    "SELECT count(*) FROM chunks WHERE transcript_id=?", (transcript.id,)
                ).fetchone()[0]
            )
            return result
        result.status = "replaced" if row is not None else "added"
        pending.append((transcript, digest, result))
        return result

    def _chunk(self, transcript: Transcript) -> list[Chunk]:
        return chunk_transcript(transcript, self.chunker, self.encoder.count_tokens)

    def _embed(
        self, texts: Sequence[str], progress: Progress | None, stage: str = "embed"
    ) -> tuple[np.ndarray, int]:
        """Vectors for texts, from the cache where possible; (vectors, how many were encoded)."""
        hashes = [content_hash(t, self.encoder.name) for t in texts]
        cached = self._cached_vectors(hashes)
        missing = sorted({h: i for i, h in enumerate(hashes) if h not in cached}.items())
        encoded = 0
        batch = 256
        for start in range(0, len(missing), batch):
            part = missing[start : start + batch]
            vectors = self.encoder.encode([texts[i] for _, i in part])
            encoded += len(part)
            # Committed at once, outside the library transaction: a kill loses no embedding work.
            with self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO embedding_cache(hash, vector) VALUES (?, ?)",
                    [
                        (h, v.astype(np.float32).tobytes())
                        for (h, _), v in zip(part, vectors, strict=True)
                    ],
                )
            for (h, _), v in zip(part, vectors, strict=True):
                cached[h] = v
            if progress:
                progress(stage, start + len(part), len(missing))
        matrix = np.zeros((len(texts), self.encoder.dimension), dtype=np.float32)
        for i, h in enumerate(hashes):
            matrix[i] = cached[h]
        return matrix, encoded

    def _cached_vectors(self, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(hashes))
        for start in range(0, len(unique), 500):
            batch = unique[start : start + 500]
            marks = ",".join("?" * len(batch))
            for h, blob in self._db.execute(
                f"SELECT hash, vector FROM embedding_cache WHERE hash IN ({marks})", batch
            ):
                found[h] = np.frombuffer(blob, dtype=np.float32)
        return found

    def _split_sentences(self, transcripts: Sequence[Transcript]) -> Sentences:
        """Each utterance's sentence spans by (transcript id, utterance index), when stored."""
        if not self.sentence_vectors:
            return {}
        return {(t.id, u.index): sentence_spans(u.text) for t in transcripts for u in t.utterances}

    def _embed_sentences(
        self, transcripts: Sequence[Transcript], sentences: Sentences, progress: Progress | None
    ) -> int:
        """Put the vectors of the transcripts' quotable sentences in the embedding cache."""
        texts = {
            u.text[start:end]: None
            for t in transcripts
            for u in t.utterances
            for start, end in sentences.get((t.id, u.index), [])
            if is_quotable(u.text[start:end])
        }
        encoded = 0
        # In slices: the vectors are only cached here, never held for a whole batch of files.
        unique = list(texts)
        for start in range(0, len(unique), 2048):
            encoded += self._embed(unique[start : start + 2048], progress, "sentences")[1]
        return encoded

    def stored_vectors(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Vectors of those texts the embedding cache holds for this library's model."""
        hashes = {content_hash(t, self.encoder.name): t for t in texts}
        return {hashes[h]: v for h, v in self._cached_vectors(list(hashes)).items()}

    def _commit(
        self,
        pending: list[tuple[Transcript, str, FileResult]],
        report: IngestReport,
        progress: Progress | None,
    ) -> None:
        """Store a batch of new and changed transcripts (see _store)."""
        replaced = [t.id for t, _, r in pending if r.status == "replaced"]
        items = [(t, digest) for t, digest, _ in pending]
        counts, encoded, sentences = self._store(items, self._copy_of_index(), replaced, progress)
        for (_, _, result), count in zip(pending, counts, strict=True):
            result.chunks = count
        report.embedded += encoded
        report.sentences_embedded += sentences

    def _store(
        self,
        items: Sequence[tuple[Transcript, str]],
        index: VectorIndex,
        delete: Sequence[str],
        progress: Progress | None,
    ) -> tuple[list[int], int, int]:
        """Chunk and embed transcripts (with their content hashes), then in one transaction
        delete the transcripts `delete` names, insert these, add their vectors to `index` and
        publish it as the next generation. Returns (chunks per transcript, chunk texts encoded,
        sentences encoded)."""
        chunked = [(t, digest, self._chunk(t)) for t, digest in items]
        texts = [c.text for _, _, chunks in chunked for c in chunks]
        vectors, encoded = self._embed(texts, progress)
        transcripts = [t for t, _ in items]
        sentences = self._split_sentences(transcripts)
        sentences_encoded = self._embed_sentences(transcripts, sentences, progress)
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            index.remove(self._delete_transcripts(delete))
            new_ids: list[int] = []
            for transcript, digest, chunks in chunked:
                self._insert_transcript(transcript, digest, sentences)
                new_ids.extend(self._insert_chunk(c) for c in chunks)
            if new_ids:
                index.add(np.asarray(new_ids, dtype=np.int64), vectors)
            self._publish(self._maybe_change_kind(index))
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self._after_commit()
        return [len(chunks) for _, _, chunks in chunked], encoded, sentences_encoded

    def _copy_of_index(self) -> VectorIndex:
        current = self.index()
        copy = VectorIndex.create(current.dimension, current.kind)
        ids = current.ids()
        if len(ids):
            copy.add(ids, current.vectors(ids))
        return copy

    def _maybe_change_kind(self, index: VectorIndex) -> VectorIndex:
        kind = choose_kind(self.index_kind_setting, len(index), self.index_auto_threshold)
        if kind == index.kind:
            return index
        rebuilt = VectorIndex.create(index.dimension, kind)
        ids = index.ids()
        if len(ids):
            rebuilt.add(ids, index.vectors(ids))
        return rebuilt

    def _publish(self, index: VectorIndex) -> None:
        """Write the index as the next generation and point the (uncommitted) database at it."""
        generation = max(self.generation(), self._newest_file_generation()) + 1
        index.save(self._index_path(generation))
        self._db.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES ('index_generation', ?)",
            (str(generation),),
        )
        manifest = self.expected_manifest(index.kind)
        self._db.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES ('manifest', ?)",
            (json.dumps(manifest.to_json()),),
        )
        self._db.execute("COMMIT")
        self._index = index
        self._index_generation = generation

    def _newest_file_generation(self) -> int:
        gens = [_generation_of(p) for p in self.folder.glob("index-*.faiss")]
        return max([g for g in gens if g is not None], default=-1)

    def _after_commit(self) -> None:
        """Remove index files older than the previous generation, and orphans; refresh manifest."""
        current = self.generation()
        for path in self.folder.glob("index-*.faiss*"):
            gen = _generation_of(path)
            if gen is None or gen < current - 1 or gen > current:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
        manifest = self.manifest()
        if manifest is not None:
            _write_json_atomically(self.folder / MANIFEST_NAME, manifest.to_json())

    def _delete_transcripts(self, transcript_ids: Sequence[str]) -> list[int]:
        chunk_ids: list[int] = []
        for tid in transcript_ids:
            chunk_ids.extend(
                r[0]
                for r in self._db.execute("SELECT id FROM chunks WHERE transcript_id=?", (tid,))
            )
            self._db.execute("DELETE FROM chunks WHERE transcript_id=?", (tid,))
            self._db.execute("DELETE FROM utterances WHERE transcript_id=?", (tid,))
            self._db.execute("DELETE FROM sentences WHERE transcript_id=?", (tid,))
            self._db.execute("DELETE FROM transcripts WHERE id=?", (tid,))
        return chunk_ids

    def _insert_transcript(self, t: Transcript, digest: str, sentences: Sentences) -> None:
        self._db.execute(
            "INSERT INTO transcripts(id, title, date, time, place, lead, source_path, format, "
            "metadata_json, content_hash, utterance_count, speakers_json, ingested_at) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                t.id,
                t.title,
                t.date,
                t.time,
                t.place,
                t.lead,
                t.source_path,
                t.format,
                json.dumps(t.metadata),
                digest,
                len(t.utterances),
                json.dumps(t.speakers),
                time.time(),
            ),
        )
        self._db.executemany(
            "INSERT INTO utterances(transcript_id, idx, speaker, canonical_speaker, text, "
            "start_s, end_s, part) VALUES (?,?,?,?,?,?,?,?)",
            [
                (t.id, u.index, u.speaker, u.canonical_speaker, u.text, u.start_s, u.end_s, u.part)
                for u in t.utterances
            ],
        )
        self._db.executemany(
            "INSERT INTO sentences(transcript_id, idx, spans_json) VALUES (?,?,?)",
            [
                (t.id, u.index, json.dumps(sentences[(t.id, u.index)]))
                for u in t.utterances
                if (t.id, u.index) in sentences
            ],
        )

    def _insert_chunk(self, c: Chunk) -> int:
        cursor = self._db.execute(
            "INSERT INTO chunks(transcript_id, ordinal, utterance_start, utterance_end, "
            "speakers_json, text, token_count, start_s, end_s, embed_hash) "
            "VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                c.transcript_id,
                c.ordinal,
                c.utterance_start,
                c.utterance_end,
                json.dumps(list(c.speakers)),
                c.text,
                c.token_count,
                c.start_s,
                c.end_s,
                content_hash(c.text, self.encoder.name),
            ),
        )
        chunk_id = int(cursor.lastrowid or 0)
        self._db.executemany(
            "INSERT INTO chunk_speakers(chunk_id, speaker) VALUES (?, ?)",
            [(chunk_id, s) for s in dict.fromkeys(c.speakers)],
        )
        return chunk_id

    def remove(self, transcript_ids: Sequence[str]) -> list[str]:
        """Delete transcripts with their chunks and vectors; returns the ids that were present."""
        with self.write_lock():
            present = [tid for tid in transcript_ids if tid in set(self.transcript_ids())]
            if not present:
                return []
            index = self._copy_of_index()
            self._db.execute("BEGIN IMMEDIATE")
            try:
                index.remove(self._delete_transcripts(present))
                self._publish(index)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._after_commit()
            return present

    def reindex(self, progress: Progress | None = None) -> int:
        """Re-chunk and re-embed every transcript with the current settings; returns chunk count."""
        with self.write_lock():
            ids = self.transcript_ids()
            digests = dict(self._db.execute("SELECT id, content_hash FROM transcripts").fetchall())
            items = [(self.transcript(tid), digests[tid]) for tid in ids]
            # Sized by today's chunk count; _store changes the kind if the new count calls for it.
            kind = choose_kind(
                self.index_kind_setting, self.chunk_count(), self.index_auto_threshold
            )
            index = VectorIndex.create(self.encoder.dimension, kind)
            counts, _, _ = self._store(items, index, ids, progress)
            return sum(counts)


class StoredFirstEncoder:
    """The library's encoder, answering from the vectors stored at ingest where it can (the
    quotable sentences; see Library.sentence_vectors) and from the model for the rest."""

    def __init__(self, library: Library) -> None:
        self.library = library
        self.name = library.encoder.name
        self.dimension = library.encoder.dimension
        self.max_tokens = library.encoder.max_tokens

    def encode(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        """(len(texts), dimension) float32 array of L2-normalised rows, in input order."""
        found = self.library.stored_vectors(texts)
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            encoded = self.library.encoder.encode(missing, show_progress=show_progress)
            found.update(zip(missing, encoded, strict=True))
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            out[row] = found[text]
        return out

    def count_tokens(self, text: str) -> int:
        """Word pieces of text without special tokens, with the model's own tokenizer."""
        return self.library.encoder.count_tokens(text)


def filter_sql(filters: Filters, alias: str = "c") -> tuple[str, list[object]]:
    """A WHERE clause over chunks (aliased) for the filters, with its parameters."""
    clauses: list[str] = ["1"]
    params: list[object] = []
    if filters.speakers:
        marks = ",".join("?" * len(filters.speakers))
        clauses.append(
            f"EXISTS (SELECT 1 FROM chunk_speakers s WHERE s.chunk_id = {alias}.id "
            f"AND s.speaker IN ({marks}))"
        )
        params.extend(filters.speakers)
    if filters.transcripts:
        marks = ",".join("?" * len(filters.transcripts))
        clauses.append(f"{alias}.transcript_id IN ({marks})")
        params.extend(filters.transcripts)
    if filters.since or filters.until:
        clauses.append(
            f"EXISTS (SELECT 1 FROM transcripts t2 WHERE t2.id = {alias}.transcript_id "
            "AND t2.date >= ? AND t2.date <= ?)"
        )
        params.extend([filters.since or "0000-00-00", filters.until or "9999-99-99"])
    return " AND ".join(clauses), params


def _generation_of(path: Path) -> int | None:
    stem = path.name.split(".")[0]
    try:
        return int(stem.removeprefix("index-"))
    except ValueError:
        return None


def _write_json_atomically(path: Path, data: object) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
