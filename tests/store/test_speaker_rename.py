"""Renaming speakers in the library: one transaction for one transcript (its utterances, chunks,
keyword index and vectors), names kept across re-ingest, a failure midway leaving it as it was.

On a real diarized podcast export (SPEAKER_00..03) beside the seed transcript, with the hash
encoder."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from embeddings.base import HashEncoder
from qa.errors import InputError, LibraryError
from qa.ingest.pipeline import ingest, reindex, rename_speakers
from qa.ingest.speaker_names import unused_names_message
from qa.models import Filters
from qa.retrieve.retriever import Retriever
from qa.serialize import file_result_json
from qa.store import generations
from qa.store.library import Library
from tests.conftest import require_shared

PODCAST = "rational-reminder-ep299.diarized"
SEED_ID = "meeting-with-nursultan-nazarbayev-2021-06-30"
FELIX = "Benjamin Felix"
PASSMORE = "Cameron Passmore"


class CountingEncoder(HashEncoder):
    """A hash encoder that counts the texts it is asked to embed, and can be made to fail."""

    def __init__(self) -> None:
        super().__init__(64)
        self.texts_encoded = 0
        self.fail = False

    def encode(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        if self.fail:
            raise RuntimeError("the encoder failed (injected)")
        self.texts_encoded += len(texts)
        return super().encode(texts, show_progress=show_progress)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(a library of the podcast and the seed transcript, the folder of their files)."""
    files = tmp_path_factory.mktemp("speaker-files")
    shutil.copy(require_shared("real", f"{PODCAST}.json"), files)
    shutil.copy(require_shared("seed", f"{SEED_ID}.txt"), files)
    folder = tmp_path_factory.mktemp("speaker-lib") / "lib"
    with Library(folder, HashEncoder(64)) as library:
        report = ingest(library, [files])
        assert report.count("added") == 2, [f.error for f in report.files]
    return folder, files


@pytest.fixture()
def library(built: tuple[Path, Path], tmp_path: Path) -> Iterator[Library]:
    """A fresh copy of the built library, opened with a counting encoder."""
    shutil.copytree(built[0], tmp_path / "lib")
    with Library(tmp_path / "lib", CountingEncoder()) as opened:
        yield opened


@pytest.fixture()
def files(built: tuple[Path, Path], tmp_path: Path) -> Path:
    """A copy of the source files the test may change."""
    return Path(shutil.copytree(built[1], tmp_path / "files"))


def state(library: Library, transcript_id: str = PODCAST) -> dict[str, object]:
    """What a rename may change, read from the database and the index."""
    chunk_rows = library._db.execute(
        "SELECT id, text, speakers_json FROM chunks WHERE transcript_id=? ORDER BY id",
        (transcript_id,),
    ).fetchall()
    ids = [r[0] for r in chunk_rows]
    return {
        "generation": library.generation(),
        "utterances": library.transcript(transcript_id).utterances,
        "chunks": chunk_rows,
        "vectors": library.index().vectors(ids).tolist(),
        "keyword": library.keyword_search('"speaker 00"', 1000, Filters()),
        "names": library.speaker_names(transcript_id),
        "speakers": library.speakers(),
    }


def encoder_of(library: Library) -> CountingEncoder:
    assert isinstance(library.encoder, CountingEncoder)
    return library.encoder


def test_rename_relabels_one_transcript_and_embeds_only_what_changed(library: Library) -> None:
    seed_before = state(library, SEED_ID)
    chunks_before = state(library)["chunks"]
    assert isinstance(chunks_before, list)
    labelled = sum("SPEAKER_00:" in text or "SPEAKER_01:" in text for _, text, _ in chunks_before)
    encoder = encoder_of(library)

    report = rename_speakers(library, PODCAST, [("SPEAKER_00", FELIX), ("SPEAKER_01", PASSMORE)])

    assert report.renamed == {"SPEAKER_00": FELIX, "SPEAKER_01": PASSMORE}
    transcript = library.transcript(PODCAST)
    first = transcript.utterances[0]
    # The name is the canonical speaker; the label as written stays.
    assert (first.speaker, first.canonical_speaker) == ("SPEAKER_00", FELIX)
    assert transcript.speakers == [FELIX, PASSMORE, "SPEAKER_02", "SPEAKER_03"]
    assert library.speaker_names(PODCAST) == {"SPEAKER_00": FELIX, "SPEAKER_01": PASSMORE}
    rows = library._db.execute(
        "SELECT id, text, speakers_json FROM chunks WHERE transcript_id=?", (PODCAST,)
    ).fetchall()
    assert report.chunks == len(rows)
    for _, text, speakers in rows:
        assert "SPEAKER_00" not in text and "SPEAKER_01" not in text
        for name in json.loads(speakers):
            assert f"{name}: " in text
    # Only chunks whose text changed were embedded (the rest came from the cache); sentence
    # vectors carry no label, so none of them.
    assert 0 < report.embedded <= labelled and report.sentences_embedded == 0
    assert encoder.texts_encoded == report.embedded
    # The keyword index follows: every chunk Felix speaks in matches his surname, and the old
    # label is gone from it.
    felix = library.filtered_chunk_ids(Filters(speakers=(FELIX,)))
    assert felix is not None and len(felix) > 20
    hits = {cid for cid, _ in library.keyword_search('"felix"', 1000, Filters(speakers=(FELIX,)))}
    assert hits == set(felix.tolist())
    assert library.keyword_search('"speaker 00"', 1000, Filters(transcripts=(PODCAST,))) == []
    # The library-wide speaker list (cached per generation) has the names, not the labels.
    names = [name for name, _ in library.speakers()]
    assert FELIX in names and PASSMORE in names and "SPEAKER_00" not in names
    # The other transcript is untouched: same chunk ids, texts and vectors.
    assert state(library, SEED_ID) | {"generation": 0, "speakers": 0, "keyword": 0} == (
        seed_before | {"generation": 0, "speakers": 0, "keyword": 0}
    )
    assert library.check() == []


def test_renaming_to_an_existing_name_merges_and_renames_compose(library: Library) -> None:
    before = {u.canonical_speaker for u in library.transcript(PODCAST).utterances}
    assert before == {"SPEAKER_00", "SPEAKER_01", "SPEAKER_02", "SPEAKER_03"}
    rename_speakers(library, PODCAST, [("SPEAKER_03", "SPEAKER_02")])
    counts = Counter(u.canonical_speaker for u in library.transcript(PODCAST).utterances)
    assert counts == {"SPEAKER_00": 62, "SPEAKER_01": 43, "SPEAKER_02": 60}
    # The merged speaker renamed again carries both labels as written.
    rename_speakers(library, PODCAST, [("SPEAKER_02", "Mark McGrath")])
    assert library.speaker_names(PODCAST) == {
        "SPEAKER_02": "Mark McGrath",
        "SPEAKER_03": "Mark McGrath",
    }
    merged = Counter(u.canonical_speaker for u in library.transcript(PODCAST).utterances)
    assert merged["Mark McGrath"] == 60
    # A rename to the name a speaker has writes nothing.
    generation = library.generation()
    unchanged = rename_speakers(library, PODCAST, [("Mark McGrath", "Mark McGrath")])
    assert library.generation() == generation and unchanged.embedded == 0
    # Several renames apply at once: a swap swaps.
    rename_speakers(library, PODCAST, [("SPEAKER_00", "SPEAKER_01"), ("SPEAKER_01", "SPEAKER_00")])
    swapped = library.transcript(PODCAST).utterances
    assert (swapped[0].speaker, swapped[0].canonical_speaker) == ("SPEAKER_00", "SPEAKER_01")
    assert library.check() == []


def test_unknown_transcript_or_speaker_is_refused_and_changes_nothing(library: Library) -> None:
    before = state(library)
    with pytest.raises(LibraryError, match="no transcript 'nope'"):
        rename_speakers(library, "nope", [("SPEAKER_00", FELIX)])
    with pytest.raises(InputError, match="has no speaker 'SPEAKER_09'; its speakers: 'SPEAKER_00'"):
        rename_speakers(library, PODCAST, [("SPEAKER_00", FELIX), ("SPEAKER_09", "X")])
    assert state(library) == before
    rename_speakers(library, PODCAST, [("SPEAKER_00", FELIX)])
    # The label as written, once renamed, is pointed to its name.
    with pytest.raises(InputError, match="'SPEAKER_00' is now named 'Benjamin Felix'"):
        rename_speakers(library, PODCAST, [("SPEAKER_00", "Ben")])
    with pytest.raises(InputError, match="renamed twice"):
        rename_speakers(library, PODCAST, [(FELIX, "A"), (FELIX, "B")])


@pytest.mark.parametrize("where", ["embedding", "publishing"])
def test_a_rename_that_fails_midway_leaves_the_library_as_it_was(
    library: Library, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    before = state(library)
    if where == "embedding":
        encoder_of(library).fail = True  # before the transaction: nothing written yet
    else:
        # Inside the transaction, after the transcript's rows were replaced and the names set.
        def fail(*args: object, **kwargs: object) -> int:
            raise OSError("disk full (injected)")

        monkeypatch.setattr(generations, "publish", fail)
    with pytest.raises((RuntimeError, OSError), match="injected"):
        rename_speakers(library, PODCAST, [("SPEAKER_00", FELIX)])
    assert state(library) == before
    monkeypatch.undo()
    # A fresh reader sees the same committed state, and the lock was released.
    with Library(library.folder, HashEncoder(64)) as other:
        assert state(other) == before and other.check() == []
    encoder_of(library).fail = False
    rename_speakers(library, PODCAST, [("SPEAKER_00", FELIX)])
    assert library.transcript(PODCAST).speakers[0] == FELIX


def test_names_survive_reingest_of_the_unchanged_and_the_changed_file(
    library: Library, files: Path
) -> None:
    rename_speakers(library, PODCAST, [("SPEAKER_00", FELIX), ("SPEAKER_01", PASSMORE)])
    renamed = state(library)
    encoder = encoder_of(library)
    encoded = encoder.texts_encoded

    report = ingest(library, [files])
    assert [f.status for f in report.files] == ["skipped", "skipped"]
    assert encoder.texts_encoded == encoded and state(library) == renamed

    # The file changes (a word of one utterance); its labels are the same, so the names apply
    # to the new parse.
    path = files / f"{PODCAST}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["segments"][0]["text"] = data["segments"][0]["text"].replace("weekly", "fortnightly")
    path.write_text(json.dumps(data), encoding="utf-8")
    report = ingest(library, [files])
    assert sorted(f.status for f in report.files) == ["replaced", "skipped"]
    transcript = library.transcript(PODCAST)
    assert "fortnightly" in transcript.utterances[0].text
    assert transcript.speakers == [FELIX, PASSMORE, "SPEAKER_02", "SPEAKER_03"]
    assert transcript.utterances[0].speaker == "SPEAKER_00"
    assert library.speaker_names(PODCAST) == {"SPEAKER_00": FELIX, "SPEAKER_01": PASSMORE}
    # One chunk's text changed: only it is embedded again.
    assert report.embedded == 1
    # A reindex keeps them too.
    reindex(library)
    assert library.transcript(PODCAST).speakers[:2] == [FELIX, PASSMORE]
    assert library.check() == []


def test_a_relabelled_file_reports_the_names_that_now_name_no_one(
    library: Library, files: Path
) -> None:
    rename_speakers(library, PODCAST, [("SPEAKER_00", FELIX), ("SPEAKER_03", "Guest")])
    # Diarized again: SPEAKER_03's segments now carry a new label; SPEAKER_00 is unchanged.
    path = files / f"{PODCAST}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    for segment in data["segments"]:
        if segment.get("speaker") == "SPEAKER_03":
            segment["speaker"] = "SPEAKER_04"
    path.write_text(json.dumps(data), encoding="utf-8")
    report = ingest(library, [files])
    result = next(f for f in report.files if f.transcript_id == PODCAST)
    assert result.status == "replaced"
    assert result.unused_speaker_names == {"SPEAKER_03": "Guest"}
    assert "SPEAKER_04" in library.transcript(PODCAST).speakers
    assert library.transcript(PODCAST).speakers[0] == FELIX
    # Kept (the label may come back), reported in the JSON the CLI prints.
    assert library.speaker_names(PODCAST)["SPEAKER_03"] == "Guest"
    assert file_result_json(result)["unused_speaker_names"] == {"SPEAKER_03": "Guest"}
    message = unused_names_message(PODCAST, result.unused_speaker_names)
    assert "'SPEAKER_03'" in message and "SPEAKER_03=Guest" in message
    # The file unchanged since: nothing to report.
    again = ingest(library, [files])
    assert all(f.unused_speaker_names == {} for f in again.files)


def test_removing_a_transcript_forgets_its_names(library: Library, files: Path) -> None:
    rename_speakers(library, PODCAST, [("SPEAKER_00", FELIX)])
    assert library.remove([PODCAST]) == [PODCAST]
    assert library.speaker_names(PODCAST) == {}
    ingest(library, [files])
    assert library.transcript(PODCAST).speakers[0] == "SPEAKER_00"


def test_retrieval_finds_the_renamed_speaker_by_filter_and_by_name(library: Library) -> None:
    rename_speakers(library, PODCAST, [("SPEAKER_00", FELIX)])
    retriever = Retriever(library)
    result = retriever.retrieve("the most important lessons in investing", 5, Filters((FELIX,)))
    assert result.passages and all(FELIX in p.speakers for p in result.passages)
    # A question naming him becomes a filter on him.
    named = retriever.retrieve("What did Felix say about index funds?", 5)
    assert named.detected.speakers == (FELIX,)
    assert named.passages and all(FELIX in p.speakers for p in named.passages)
    # The old label no longer filters anything.
    old = retriever.retrieve("investing", 5, Filters(("SPEAKER_00",)))
    assert old.passages == ()
