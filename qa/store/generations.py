"""Index generations: every committed state of the library names one FAISS file of its folder,
index-<generation>.faiss, whose int64 ids are the chunk ids.

Atomicity: every change is one SQLite transaction that also records which index generation
matches it. The new index file is written and fsynced *before* that transaction commits
(`publish`), and old generations are deleted only after it commits (`clean_up`); a kill at any
moment leaves the previous state or the new one, and an index file the database does not name
is an orphan removed on the next write.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from pathlib import Path

from embeddings.index import VectorIndex

MANIFEST_NAME = "manifest.json"


def index_path(folder: Path, generation: int) -> Path:
    return folder / f"index-{generation}.faiss"


def generation_of(path: Path) -> int | None:
    """The generation an index file's name gives, or None for a name not of that form."""
    stem = path.name.split(".")[0]
    try:
        return int(stem.removeprefix("index-"))
    except ValueError:
        return None


def newest_file_generation(folder: Path) -> int:
    """The highest generation among the index files present (committed or orphaned), or -1."""
    gens = [generation_of(p) for p in folder.glob("index-*.faiss")]
    return max([g for g in gens if g is not None], default=-1)


def publish(
    db: sqlite3.Connection,
    folder: Path,
    index: VectorIndex,
    committed: int,
    manifest: dict[str, object],
) -> int:
    """Write the index as the next generation after `committed` (and after any orphan file),
    point the open transaction of `db` at it with the manifest, and commit; returns the
    generation. The file is fsynced before the commit, so a committed generation always has
    its file."""
    generation = max(committed, newest_file_generation(folder)) + 1
    index.save(index_path(folder, generation))
    db.execute(
        "INSERT OR REPLACE INTO meta(key, value) VALUES ('index_generation', ?)",
        (str(generation),),
    )
    db.execute(
        "INSERT OR REPLACE INTO meta(key, value) VALUES ('manifest', ?)",
        (json.dumps(manifest),),
    )
    db.execute("COMMIT")
    return generation


def clean_up(folder: Path, current: int, manifest: dict[str, object] | None) -> None:
    """After a commit: remove index files older than the previous generation (kept for a reader
    that read its number just before the commit), and orphans; refresh manifest.json."""
    for path in folder.glob("index-*.faiss*"):
        gen = generation_of(path)
        if gen is None or gen < current - 1 or gen > current:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
    if manifest is not None:
        write_json_atomically(folder / MANIFEST_NAME, manifest)


def write_json_atomically(path: Path, data: object) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
