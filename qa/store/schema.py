"""The library database: its tables, the schema version, the manifest it records, opening it.

library.sqlite holds transcripts, utterances, sentence spans, chunks with their speakers, the
chunks_fts keyword index (FTS5, kept by triggers), the embedding cache, the speaker names users
gave (speaker_names), media (recordings kept in media/), meta (the index generation and the
manifest) and pending_sentences: the transcripts whose sentence spans and vectors the second
phase of an ingest has yet to store (a table added without a version change: an older library
has none pending). It runs in WAL mode: readers keep one committed state while the one writer
commits.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from qa.errors import LibraryError

SCHEMA_VERSION = 1
DB_NAME = "library.sqlite"
# Values per `IN (?, ?, ...)` list: reads by many ids or hashes go in batches of this many, under
# the 999 host parameters a statement may have on SQLite builds before 3.32.
SQL_IN_BATCH = 500

SCHEMA = """
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
-- Where the pieces merged into an utterance start (Utterance.marks), for utterances that have
-- them. A table of its own, so libraries written before it open unchanged.
CREATE TABLE IF NOT EXISTS utterance_marks(
    transcript_id TEXT NOT NULL REFERENCES transcripts(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL, marks_json TEXT NOT NULL,
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
-- Names users gave a transcript's speakers (`tqa speakers ID --rename`), by the label as the
-- source writes it. No foreign key: re-ingesting a changed file deletes and re-inserts its
-- transcript, and its names must outlive that (they are applied to the new parse); `remove`
-- deletes them. A new table, so libraries written before it open unchanged.
CREATE TABLE IF NOT EXISTS speaker_names(
    transcript_id TEXT NOT NULL, label TEXT NOT NULL, name TEXT NOT NULL,
    PRIMARY KEY(transcript_id, label)) WITHOUT ROWID;
-- A transcript's recording, a file in <library>/media (qa.store.media). No foreign key: a
-- transcript re-ingested (deleted and inserted again) keeps its recording.
CREATE TABLE IF NOT EXISTS media(
    transcript_id TEXT PRIMARY KEY, file TEXT NOT NULL, original TEXT NOT NULL,
    added_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS pending_sentences(
    transcript_id TEXT PRIMARY KEY, content_hash TEXT NOT NULL);
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


def connect(folder: Path) -> sqlite3.Connection:
    """The library database of the folder, created when new; LibraryError when unreadable."""
    try:
        db = sqlite3.connect(
            folder / DB_NAME, timeout=30, isolation_level=None, check_same_thread=False
        )
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA foreign_keys=ON")
        # SQLite's default 2 MB page cache churns on a corpus library (the keyword index and
        # the stored sentence vectors); 64 MB keeps a question's pages in memory.
        db.execute("PRAGMA cache_size=-65536")
        db.executescript(SCHEMA)
    except sqlite3.DatabaseError as exc:
        raise LibraryError(f"cannot open the library at {folder}: {exc}") from exc
    return db
