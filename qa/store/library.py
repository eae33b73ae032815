"""The library on disk: the store below ingest. SQLite for transcripts, utterances, sentence
spans and chunks (+ FTS5), a FAISS index of the chunk vectors; reading, filtering, keyword search,
the write lock, and the one write transaction that changes it (`Library.write`, `remove`).

Layout of the folder:
    library.sqlite          transcripts, utterances, chunks, chunks_fts, embedding cache, meta
                             (qa.store.schema)
    index-<generation>.faiss the vectors; int64 ids are chunk ids (qa.store.generations)
    manifest.json            a readable copy of the manifest (schema, model, chunker, index)
    write.lock               held by the one process that writes

Atomicity: every change is one SQLite transaction that also records which index generation
matches it; the new index file is fsynced before that commit and old ones are deleted after it,
so a kill at any moment leaves the previous state or the new one (qa.store.generations).
The store takes transcripts already chunked and embedded (PreparedTranscript); parsing,
chunking and embedding are qa.ingest.pipeline's.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
import threading
import time
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from embeddings.base import Encoder, content_hash
from embeddings.errors import IndexFileError
from embeddings.index import VectorIndex, choose_kind
from qa.errors import LibraryError, LibraryLockedError
from qa.models import Chunk, Filters, Transcript, Utterance
from qa.store import generations
from qa.store.cache import EmbeddingCache
from qa.store.schema import SCHEMA_VERSION, SQL_IN_BATCH, Manifest, connect

LOCK_NAME = "write.lock"
# Held by the one process storing sentence vectors (the second phase of an ingest), apart from
# the write lock so that ingests, removals and uploads go on meanwhile.
SENTENCES_LOCK_NAME = "sentences.lock"


# The metadata fields parsers fill with what a transcript is about or who is in it (not its
# url, publication stamps, counts or tool notes).
DESCRIBING_METADATA = (
    "topics",
    "persons",
    "geography",
    "captions",
    "header",
    "attendees",
    "company",
    "quarter",
    "notes",
    "sections",
)


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


@dataclass(frozen=True)
class PreparedTranscript:
    """A transcript ready to store: the hash of its source, its chunks, and the sentence spans
    of its utterances by utterance index (empty when sentences are not stored). With
    `sentences_pending` the spans and vectors come later (`store_sentences`, the second phase of
    an ingest): the transcript is searchable at once and listed in pending_sentences until then."""

    transcript: Transcript
    content_hash: str
    chunks: Sequence[Chunk]
    sentences: Mapping[int, Sequence[tuple[int, int]]]
    sentences_pending: bool = False


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
        # The chunk budget (cl100k tokens) the library's chunks are made with; recorded in the
        # manifest with the encoder's max_tokens, so a change calls for a reindex.
        self.chunk_tokens = chunk_tokens
        self.index_kind_setting = index_kind
        self.index_auto_threshold = index_auto_threshold
        # How the library is written, followed by qa.ingest.pipeline: files larger than this
        # are refused unread, and
        self.max_file_bytes = max_file_bytes
        # embedding every quotable sentence at ingest (into the embedding cache) spares the
        # answerer the model calls that were most of an answer's time.
        self.sentence_vectors = sentence_vectors
        self._index: VectorIndex | None = None
        self._index_generation = -1
        self._facts: tuple[int, _ChunkFacts] | None = None
        self._vocabulary: tuple[int, dict[str, int]] | None = None
        # The UI's threads share this connection: one read transaction at a time on it.
        self._snapshot_lock = threading.RLock()
        self.folder.mkdir(parents=True, exist_ok=True)
        self._db = connect(self.folder)
        self.cache = EmbeddingCache(self._db, encoder.name)

    # ----------------------------------------------------------------------------- opening

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
            chunk_tokens=self.chunk_tokens,
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
        if manifest.chunk_tokens != self.chunk_tokens:
            return (
                f"the library was chunked at {manifest.chunk_tokens} tokens, the current "
                f"setting is {self.chunk_tokens}"
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
                self._index = VectorIndex.load(generations.index_path(self.folder, generation))
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

    @contextlib.contextmanager
    def sentences_lock(self) -> Iterator[bool]:
        """Try to become the one process storing sentence vectors: yields whether it did (the
        holder goes on until none are pending, so the others need not wait)."""
        with open(self.folder / SENTENCES_LOCK_NAME, "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def reopened(self) -> Library:
        """The same library with its own database connection (for another thread to write on)."""
        return Library(
            self.folder,
            self.encoder,
            chunk_tokens=self.chunk_tokens,
            index_kind=self.index_kind_setting,
            index_auto_threshold=self.index_auto_threshold,
            max_file_bytes=self.max_file_bytes,
            sentence_vectors=self.sentence_vectors,
        )

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

    def transcript_descriptions(self, transcript_ids: Collection[str]) -> dict[str, str]:
        """What names each transcript besides its utterances, as one text: its id (the file
        stem), title, place, lead and descriptive metadata (DESCRIBING_METADATA: kremlin.ru's
        topics, persons and geography, a call's company, a meeting's attendees). "The Hamburg
        G20 news conference" is named by its place, not its words."""
        ids = list(transcript_ids)
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self._db.execute(
            f"SELECT id, title, place, lead, metadata_json FROM transcripts WHERE id IN ({marks})",
            ids,
        ).fetchall()
        described: dict[str, str] = {}
        for tid, title, place, lead, metadata in rows:
            fields = json.loads(metadata)
            values = [v for key in DESCRIBING_METADATA for v in fields.get(key, ())]
            described[tid] = "\n".join([tid, title, place or "", lead or "", *values])
        return described

    def utterances(
        self, transcript_id: str, start: int | None = None, end: int | None = None
    ) -> list[Utterance]:
        """Utterances of a transcript, optionally only indices start..end (inclusive)."""
        lo = -1 if start is None else start
        hi = 2**62 if end is None else end
        rows = self._db.execute(
            "SELECT u.idx, speaker, canonical_speaker, text, start_s, end_s, part, marks_json "
            "FROM utterances u LEFT JOIN utterance_marks m "
            "ON m.transcript_id = u.transcript_id AND m.idx = u.idx "
            "WHERE u.transcript_id=? AND u.idx BETWEEN ? AND ? ORDER BY u.idx",
            (transcript_id, lo, hi),
        ).fetchall()
        return [
            Utterance(r[0], r[1], r[2], r[3], r[4], r[5], r[6], _marks(r[7]) if r[7] else ())
            for r in rows
        ]

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

    def speaker_names(self, transcript_id: str) -> dict[str, str]:
        """The names users gave the transcript's speakers: label as written -> name (empty when
        none; kept across a re-ingest of the transcript's file, see qa.ingest.speaker_names)."""
        rows = self._db.execute(
            "SELECT label, name FROM speaker_names WHERE transcript_id=? ORDER BY label",
            (transcript_id,),
        ).fetchall()
        return {str(r[0]): str(r[1]) for r in rows}

    def all_speaker_names(self) -> dict[str, dict[str, str]]:
        """speaker_names of every transcript that has any, by transcript id."""
        names: dict[str, dict[str, str]] = {}
        rows = self._db.execute(
            "SELECT transcript_id, label, name FROM speaker_names ORDER BY transcript_id, label"
        )
        for tid, label, name in rows:
            names.setdefault(str(tid), {})[str(label)] = str(name)
        return names

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
        for start in range(0, len(ids), SQL_IN_BATCH):
            batch = [int(i) for i in ids[start : start + SQL_IN_BATCH]]
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
            wanted &= np.array([filters.admits_date(d) for d in facts.dates], dtype=bool)
        keep = wanted[facts.transcript_of] if len(facts.ids) else np.zeros(0, dtype=bool)
        if filters.speakers:
            spoken = [facts.by_speaker.get(name, _NO_IDS) for name in filters.speakers]
            keep &= np.isin(facts.ids, np.concatenate(spoken))
        if filters.from_s is not None or filters.to_s is not None:
            keep &= np.isin(facts.ids, self.timed_chunk_ids(filters.from_s, filters.to_s))
        return facts.ids[keep]

    def timed_chunk_ids(self, from_s: float | None, to_s: float | None) -> np.ndarray:
        """Ids of the chunks whose utterance times overlap from_s..to_s (untimed ones never)."""
        where, params = _time_sql(from_s, to_s, "chunks")
        rows = self._db.execute(f"SELECT id FROM chunks WHERE {where}", params).fetchall()
        return np.array([r[0] for r in rows], dtype=np.int64)

    def has_times(self, transcript_ids: Sequence[str] = ()) -> bool:
        """Whether any chunk (of these transcripts, or of any) has utterance times."""
        sql = "SELECT 1 FROM chunks WHERE start_s IS NOT NULL"
        params: list[str] = []
        if transcript_ids:
            sql += f" AND transcript_id IN ({','.join('?' * len(transcript_ids))})"
            params = list(transcript_ids)
        return self._db.execute(sql + " LIMIT 1", params).fetchone() is not None

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
        return self.phrase_count([term])

    def phrase_count(self, words: Sequence[str]) -> int:
        """Chunks holding the words one after another (FTS5 stemming applies); 0 when one of
        them is not a word."""
        if not words or not all(w.isalnum() for w in words):
            return 0
        row = self._db.execute(
            "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?", (f'"{" ".join(words)}"',)
        ).fetchone()
        return int(row[0])

    def transcripts_mentioning(
        self, prefixes: Sequence[str], transcript_ids: Collection[str]
    ) -> set[str]:
        """The transcripts among `transcript_ids` with a chunk holding a word that starts with
        one of the prefixes (letters and digits only; others are ignored)."""
        words = [p.lower() for p in prefixes if p.isalnum()]
        ids = list(transcript_ids)
        if not words or not ids:
            return set()
        match = " OR ".join(f'"{w}"*' for w in words)
        marks = ",".join("?" * len(ids))
        rows = self._db.execute(
            "SELECT DISTINCT c.transcript_id FROM chunks_fts "
            "JOIN chunks c ON c.id = chunks_fts.rowid "
            f"WHERE chunks_fts MATCH ? AND c.transcript_id IN ({marks})",
            (match, *ids),
        ).fetchall()
        return {str(r[0]) for r in rows}

    def keyword_vocabulary(self) -> dict[str, int]:
        """{term: chunks holding it} of the keyword index (terms as FTS5 stores them: lowercase,
        Porter-stemmed), for matching misspelt names; cached per index generation."""
        generation = self.generation()
        if self._vocabulary is not None and self._vocabulary[0] == generation:
            return self._vocabulary[1]
        with self._snapshot():
            # fts5vocab reads the index itself; a temp table lives only on this connection.
            self._db.execute(
                "CREATE VIRTUAL TABLE IF NOT EXISTS temp.chunks_vocab "
                "USING fts5vocab(main, chunks_fts, 'row')"
            )
            rows = self._db.execute("SELECT term, doc FROM temp.chunks_vocab").fetchall()
        vocabulary = {str(term): int(doc) for term, doc in rows}
        self._vocabulary = (generation, vocabulary)
        return vocabulary

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

    def stored_hash(self, transcript_id: str) -> str | None:
        """The content hash the transcript was stored with, or None when it is not stored."""
        row = self._db.execute(
            "SELECT content_hash FROM transcripts WHERE id=?", (transcript_id,)
        ).fetchone()
        return None if row is None else str(row[0])

    def content_hashes(self) -> dict[str, str]:
        """Every stored transcript's content hash, by transcript id."""
        return dict(self._db.execute("SELECT id, content_hash FROM transcripts").fetchall())

    def pending_sentences(self) -> list[tuple[str, str]]:
        """(transcript id, content hash) of the transcripts whose sentences are still to be
        stored, in the order they were written."""
        return [
            (str(r[0]), str(r[1]))
            for r in self._db.execute(
                "SELECT transcript_id, content_hash FROM pending_sentences ORDER BY rowid"
            )
        ]

    def store_sentences(
        self, transcript_id: str, content_hash: str, spans: Mapping[int, Sequence[tuple[int, int]]]
    ) -> bool:
        """Store the sentence spans of a pending transcript and mark it done, in one transaction;
        the caller has put their vectors in the cache first. False (and nothing written) when
        that version of the transcript is no longer pending: removed, replaced or done already.
        Needs no write lock: it touches no chunk and no index generation."""
        db = self._db
        with self._snapshot_lock:
            db.execute("BEGIN IMMEDIATE")
            try:
                gone = (
                    db.execute(
                        "DELETE FROM pending_sentences WHERE transcript_id=? AND content_hash=?",
                        (transcript_id, content_hash),
                    ).rowcount
                    == 0
                )
                if not gone:
                    db.executemany(
                        "INSERT OR REPLACE INTO sentences(transcript_id, idx, spans_json) "
                        "VALUES (?,?,?)",
                        [(transcript_id, i, json.dumps(list(s))) for i, s in spans.items()],
                    )
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        return not gone

    def chunk_texts(self, transcript_id: str) -> list[str]:
        """The texts of a transcript's chunks, in order."""
        return [
            str(r[0])
            for r in self._db.execute(
                "SELECT text FROM chunks WHERE transcript_id=? ORDER BY ordinal", (transcript_id,)
            )
        ]

    def transcript_chunk_count(self, transcript_id: str) -> int:
        return int(
            self._db.execute(
                "SELECT count(*) FROM chunks WHERE transcript_id=?", (transcript_id,)
            ).fetchone()[0]
        )

    def index_copy(self) -> VectorIndex:
        """A copy of the current index, for write() to change (the library's stays as it is)."""
        return self.index().copy()

    def new_index(self) -> VectorIndex:
        """An empty index for write() to rebuild the library into; its kind is sized by today's
        chunk count, and write() changes the kind if the new count calls for it."""
        kind = choose_kind(self.index_kind_setting, self.chunk_count(), self.index_auto_threshold)
        return VectorIndex.create(self.encoder.dimension, kind)

    def write(
        self,
        prepared: Sequence[PreparedTranscript],
        vectors: np.ndarray,
        index: VectorIndex,
        delete: Sequence[str] = (),
        speaker_names: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        """In one transaction: delete the transcripts `delete` names, insert the prepared ones
        (`vectors`: one row per chunk, in order), set the speaker names of the transcripts
        `speaker_names` has (transcript id -> label -> name; replacing theirs), add the vectors
        to `index` (index_copy() or new_index()) and publish it as the next generation. The
        caller holds write_lock() and has put every vector it embedded in the cache already
        (the cache commits on its own)."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            for tid, names in (speaker_names or {}).items():
                db.execute("DELETE FROM speaker_names WHERE transcript_id=?", (tid,))
                db.executemany(
                    "INSERT INTO speaker_names(transcript_id, label, name) VALUES (?,?,?)",
                    [(tid, label, name) for label, name in names.items()],
                )
            index.remove(self._delete_transcripts(delete))
            new_ids: list[int] = []
            for item in prepared:
                self._insert_transcript(item)
                new_ids.extend(self._insert_chunk(c) for c in item.chunks)
            if new_ids:
                index.add(np.asarray(new_ids, dtype=np.int64), vectors)
            self._publish(self._maybe_change_kind(index))
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self._after_commit()

    def remove(self, transcript_ids: Sequence[str]) -> list[str]:
        """Delete transcripts with their chunks, vectors and speaker names; returns the ids that
        were present."""
        with self.write_lock():
            present = [tid for tid in transcript_ids if tid in set(self.transcript_ids())]
            if not present:
                return []
            index = self.index_copy()
            self._db.execute("BEGIN IMMEDIATE")
            try:
                # Removing forgets the names too: a file added again later starts afresh.
                self._db.executemany(
                    "DELETE FROM speaker_names WHERE transcript_id=?", [(t,) for t in present]
                )
                index.remove(self._delete_transcripts(present))
                self._publish(index)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._after_commit()
            return present

    def _maybe_change_kind(self, index: VectorIndex) -> VectorIndex:
        kind = choose_kind(self.index_kind_setting, len(index), self.index_auto_threshold)
        return index if kind == index.kind else index.copy(kind)

    def _publish(self, index: VectorIndex) -> None:
        """Write the index as the next generation, point the open transaction at it, commit."""
        manifest = self.expected_manifest(index.kind).to_json()
        generation = generations.publish(self._db, self.folder, index, self.generation(), manifest)
        self._index = index
        self._index_generation = generation

    def _after_commit(self) -> None:
        """Remove index files older than the previous generation, and orphans; refresh manifest."""
        manifest = self.manifest()
        generations.clean_up(
            self.folder, self.generation(), None if manifest is None else manifest.to_json()
        )

    def _delete_transcripts(self, transcript_ids: Sequence[str]) -> list[int]:
        chunk_ids: list[int] = []
        for tid in transcript_ids:
            chunk_ids.extend(
                r[0]
                for r in self._db.execute("SELECT id FROM chunks WHERE transcript_id=?", (tid,))
            )
            self._db.execute("DELETE FROM chunks WHERE transcript_id=?", (tid,))
            self._db.execute("DELETE FROM utterances WHERE transcript_id=?", (tid,))
            self._db.execute("DELETE FROM utterance_marks WHERE transcript_id=?", (tid,))
            self._db.execute("DELETE FROM sentences WHERE transcript_id=?", (tid,))
            self._db.execute("DELETE FROM pending_sentences WHERE transcript_id=?", (tid,))
            self._db.execute("DELETE FROM transcripts WHERE id=?", (tid,))
        return chunk_ids

    def _insert_transcript(self, item: PreparedTranscript) -> None:
        t = item.transcript
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
                item.content_hash,
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
            "INSERT INTO utterance_marks(transcript_id, idx, marks_json) VALUES (?,?,?)",
            [(t.id, u.index, json.dumps(u.marks)) for u in t.utterances if u.marks],
        )
        self._db.executemany(
            "INSERT INTO sentences(transcript_id, idx, spans_json) VALUES (?,?,?)",
            [
                (t.id, u.index, json.dumps(item.sentences[u.index]))
                for u in t.utterances
                if u.index in item.sentences
            ],
        )
        if item.sentences_pending:
            self._db.execute(
                "INSERT OR REPLACE INTO pending_sentences(transcript_id, content_hash) "
                "VALUES (?, ?)",
                (t.id, item.content_hash),
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
            "AND (t2.date >= ? AND t2.date <= ?"
            + (" OR t2.date IS NULL))" if filters.undated else "))")
        )
        params.extend([filters.since or "0000-00-00", filters.until or "9999-99-99"])
    if filters.from_s is not None or filters.to_s is not None:
        where, times = _time_sql(filters.from_s, filters.to_s, alias)
        clauses.append(where)
        params.extend(times)
    return " AND ".join(clauses), params


def _time_sql(from_s: float | None, to_s: float | None, alias: str) -> tuple[str, list[object]]:
    """Chunks (aliased) with times overlapping from_s..to_s; a chunk without an end time is
    taken to end where it starts."""
    lo = -1.0 if from_s is None else from_s
    hi = 1e18 if to_s is None else to_s
    return (
        f"{alias}.start_s IS NOT NULL AND coalesce({alias}.end_s, {alias}.start_s) >= ? "
        f"AND {alias}.start_s <= ?",
        [lo, hi],
    )


def _marks(stored: str) -> tuple[tuple[int, float], ...]:
    return tuple((int(at), float(start_s)) for at, start_s in json.loads(stored))
