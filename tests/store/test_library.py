"""The library on disk: incremental ingest, removal, provenance, locking and crash safety."""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from embeddings.base import HashEncoder, content_hash, in_chunk_name
from qa.errors import LibraryError, LibraryLockedError
from qa.ingest import pipeline
from qa.ingest.pipeline import complete_sentences, ingest, reindex
from qa.models import Filters
from qa.sentences import answer_spans, is_quotable, quotable_sentences
from qa.store.cache import StoredFirstEncoder
from qa.store.library import Library
from tests.conftest import REPO, require_shared, sample_paths

SEED_ID = "meeting-with-nursultan-nazarbayev-2021-06-30"


class CountingEncoder(HashEncoder):
    """A hash encoder that counts the texts it is asked to embed."""

    def __init__(self) -> None:
        super().__init__(64)
        self.texts_encoded = 0

    def encode(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        self.texts_encoded += len(texts)
        return super().encode(texts, show_progress=show_progress)


@pytest.fixture()
def sample_copy(tmp_path: Path) -> Path:
    """The sample transcripts copied to a folder the test may change."""
    folder = tmp_path / "transcripts"
    folder.mkdir()
    for path in sample_paths():
        if path.is_dir():
            for child in path.iterdir():
                shutil.copy(child, folder / child.name)
        else:
            shutil.copy(path, folder / path.name)
    return folder


def test_ingest_adds_every_file_and_stays_consistent(tmp_path: Path, sample_copy: Path) -> None:
    library = Library(tmp_path / "lib", HashEncoder(64))
    report = ingest(library, [sample_copy])
    assert report.count("added") == 4 and report.count("failed") == 0
    assert library.check() == []
    ids = library.transcript_ids()
    assert SEED_ID in ids and "62966" in ids
    seed = library.transcript(SEED_ID)
    assert len(seed.utterances) == 14
    assert (tmp_path / "lib" / "manifest.json").exists()
    assert library.chunk_count() == len(library.index())


def test_reingest_of_unchanged_files_embeds_nothing(tmp_path: Path, sample_copy: Path) -> None:
    encoder = CountingEncoder()
    library = Library(tmp_path / "lib", encoder)
    ingest(library, [sample_copy])
    first = encoder.texts_encoded
    assert first > 0
    report = ingest(library, [sample_copy])
    assert report.count("skipped") == 4
    assert encoder.texts_encoded == first
    assert report.embedded == 0


def test_a_new_parser_version_reparses_every_file_and_embeds_only_new_chunk_texts(
    tmp_path: Path, sample_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    encoder = CountingEncoder()
    library = Library(tmp_path / "lib", encoder)
    ingest(library, [sample_copy], sentences=False)
    first = encoder.texts_encoded
    before = {tid: library.transcript(tid) for tid in library.transcript_ids()}
    # An upgrade whose parsers read files differently: they are parsed again, not skipped.
    monkeypatch.setattr(pipeline, "PARSER_VERSION", "a later parser")
    report = ingest(library, [sample_copy], sentences=False)
    assert report.count("replaced") == 4 and report.count("skipped") == 0
    # Here the parse is the same, so every chunk text comes from the embedding cache.
    assert report.embedded == 0 and encoder.texts_encoded == first
    assert {tid: library.transcript(tid) for tid in library.transcript_ids()} == before
    assert ingest(library, [sample_copy], sentences=False).count("skipped") == 4
    assert library.check() == []


def test_changed_file_replaces_its_chunks_and_vectors(tmp_path: Path, sample_copy: Path) -> None:
    encoder = CountingEncoder()
    library = Library(tmp_path / "lib", encoder)
    ingest(library, [sample_copy])
    before = set(library.index().ids().tolist())
    seed_file = next(sample_copy.glob("*.txt"))
    text = seed_file.read_text(encoding="utf-8")
    seed_file.write_text(
        text.replace("I sincerely wish you success", "I sincerely wish you luck"), encoding="utf-8"
    )
    encoded = encoder.texts_encoded
    report = ingest(library, [sample_copy])
    assert [f.status for f in report.files].count("replaced") == 1
    # Only the chunk whose text changed is embedded again, and the one sentence that changed
    # is pooled from it; the rest come from the cache.
    assert (report.embedded, report.sentences_embedded) == (1, 1)
    assert encoder.texts_encoded - encoded == 1
    after = set(library.index().ids().tolist())
    assert before != after and library.check() == []
    assert "luck" in " ".join(u.text for u in library.transcript(SEED_ID).utterances)


def test_quotable_sentences_are_embedded_once_at_ingest(tmp_path: Path, sample_copy: Path) -> None:
    encoder = CountingEncoder()
    library = Library(tmp_path / "lib", encoder)
    report = ingest(library, [sample_copy])
    seed = library.transcript(SEED_ID)
    sentences = [u.text[a:b] for u in seed.utterances for a, b in quotable_sentences(u.text)]
    assert report.sentences_embedded >= len(set(sentences)) > 20
    # Their vectors come from the pass that embeds the chunks: no text is encoded twice.
    assert encoder.texts_encoded == report.embedded == library.chunk_count()
    stored = library.cache.sentence_vectors([*sentences, "A sentence no transcript says."])
    assert set(stored) == set(sentences)
    assert library.cache.vectors(sentences) == {}  # none encoded alone
    # Each is the one its chunk gives it, in context, not the vector of the sentence alone.
    chunk = next(t for t in library.chunk_texts(SEED_ID) if sentences[0] in t)
    start = chunk.index(sentences[0])
    pooled = encoder.encode_spans([chunk], [[(start, start + len(sentences[0]))]])[1][0][0]
    np.testing.assert_allclose(stored[sentences[0]], pooled, atol=1e-6)
    assert float(stored[sentences[0]] @ encoder.encode(sentences[:1])[0]) < 0.9999
    # The answerer's encoder reads them instead of calling the model, and embeds only the rest.
    first = encoder.texts_encoded
    answering = StoredFirstEncoder(library)
    vectors = answering.encode([sentences[3], "Something new.", sentences[3]])
    assert encoder.texts_encoded == first + 1
    np.testing.assert_allclose(vectors[[0, 2]], [stored[sentences[3]]] * 2, atol=1e-6)
    np.testing.assert_allclose(vectors[1], encoder.encode(["Something new."])[0], atol=1e-6)
    assert ingest(library, [sample_copy]).sentences_embedded == 0
    # The sentence spans are stored too, so answers need not split sentences again.
    stored_spans = library.sentence_spans(SEED_ID, 0, len(seed.utterances))
    assert stored_spans == {u.index: answer_spans(u.text) for u in seed.utterances}
    library.remove([SEED_ID])
    assert library.sentence_spans(SEED_ID, 0, len(seed.utterances)) == {}


def test_a_sentence_pooled_in_its_chunk_comes_before_one_embedded_alone(tmp_path: Path) -> None:
    """A library ingested before pooling keeps its sentence vectors (each embedded alone) and
    the answerer still reads them; where both kinds exist, the pooled one is served."""
    encoder = HashEncoder(64)
    library = Library(tmp_path / "lib", encoder)
    both, alone_only = "We have vaccinated many people.", "The vaccine is Sputnik V."
    alone = encoder.encode([both, alone_only])
    pooled = encoder.encode_spans(["Putin: " + both], [[(7, 7 + len(both))]])[1][0]
    library.cache.put(
        [
            (content_hash(both, encoder.name), alone[0]),
            (content_hash(alone_only, encoder.name), alone[1]),
            (content_hash(both, in_chunk_name(encoder.name)), pooled[0]),
        ]
    )
    found = library.cache.sentence_vectors([both, alone_only, "Not stored."])
    assert set(found) == {both, alone_only}
    np.testing.assert_array_equal(found[both], pooled[0])
    np.testing.assert_array_equal(found[alone_only], alone[1])
    library.close()


def test_sentence_vectors_can_be_turned_off(tmp_path: Path, sample_copy: Path) -> None:
    encoder = CountingEncoder()
    library = Library(tmp_path / "lib", encoder, sentence_vectors=False)
    report = ingest(library, [sample_copy])
    assert report.sentences_embedded == 0
    assert encoder.texts_encoded == report.embedded == library.chunk_count()
    seed = library.transcript(SEED_ID)
    assert library.cache.sentence_vectors([u.text for u in seed.utterances]) == {}
    assert library.sentence_spans(SEED_ID, 0, len(seed.utterances)) == {}


def test_searchable_before_its_sentence_vectors(tmp_path: Path, sample_copy: Path) -> None:
    """Phase one publishes the transcripts; phase two stores their sentences later, and the
    answerer's encoder embeds what is not stored yet itself."""
    encoder = CountingEncoder()
    library = Library(tmp_path / "lib", encoder)
    report = ingest(library, [sample_copy], sentences=False)
    assert report.sentences_embedded == 0 and report.sentences_pending == 4
    assert report.searchable_seconds <= report.seconds
    assert library.check() == [] and len(library.transcript_ids()) == 4
    seed = library.transcript(SEED_ID)
    sentences = [u.text[a:b] for u in seed.utterances for a, b in quotable_sentences(u.text)]
    assert library.cache.sentence_vectors(sentences) == {}
    assert library.sentence_spans(SEED_ID, 0, len(seed.utterances)) == {}
    before = encoder.texts_encoded
    StoredFirstEncoder(library).encode(sentences[:3])
    assert encoder.texts_encoded == before + 3  # on the fly, as with sentence_vectors=0

    # A transcript replaced while pending is done in its new version only.
    page = sample_copy / "62966.html"
    page.write_text(
        page.read_text(encoding="utf-8").replace("<p>", "<p>An added opening sentence here. ", 1),
        encoding="utf-8",
    )
    assert ingest(library, [page], sentences=False).count("replaced") == 1
    digest = library.stored_hash("62966")
    assert digest is not None and ("62966", digest) in library.pending_sentences()
    assert not library.store_sentences("62966", "an-older-version", {0: [(0, 5)]})

    # Another process holding the sentences lock: this one leaves the work to it.
    with library.reopened() as other, other.sentences_lock() as held:
        assert held
        assert complete_sentences(library) == 0
    assert len(library.pending_sentences()) == 4

    encoded = complete_sentences(library)
    assert encoded >= len(set(sentences)) and library.pending_sentences() == []
    assert set(library.cache.sentence_vectors(sentences)) == set(sentences)
    stored_spans = library.sentence_spans(SEED_ID, 0, len(seed.utterances))
    assert stored_spans == {u.index: answer_spans(u.text) for u in seed.utterances}
    replaced = library.transcript("62966")
    assert library.sentence_spans("62966", 0, 0) == {0: answer_spans(replaced.utterances[0].text)}
    assert complete_sentences(library) == 0
    # The next ingest finds nothing to embed, and the answerer reads the stored vectors.
    assert ingest(library, [sample_copy]).sentences_embedded == 0
    before = encoder.texts_encoded
    StoredFirstEncoder(library).encode(sentences[:3])
    assert encoder.texts_encoded == before


def test_remove_deletes_rows_and_vectors(tmp_path: Path, sample_copy: Path) -> None:
    from qa.retrieve.retriever import Retriever

    library = Library(tmp_path / "lib", HashEncoder(64))
    ingest(library, [sample_copy])
    assert library.remove([SEED_ID]) == [SEED_ID]
    assert SEED_ID not in library.transcript_ids()
    assert library.check() == []
    hits = Retriever(library).retrieve("Karaganda vaccine Russian doctors ten days", 8)
    assert all(p.transcript_id != SEED_ID for p in hits.passages)
    # A fresh process sees the same: the removal is on disk.
    reopened = Library(tmp_path / "lib", HashEncoder(64))
    assert SEED_ID not in reopened.transcript_ids() and reopened.check() == []
    assert library.remove(["no-such-id"]) == []


def test_a_bad_file_is_reported_and_the_rest_lands(tmp_path: Path, sample_copy: Path) -> None:
    (sample_copy / "broken.json").write_text('{"not": "a transcript"}', encoding="utf-8")
    (sample_copy / "empty.txt").write_bytes(b"")
    library = Library(tmp_path / "lib", HashEncoder(64))
    report = ingest(library, [sample_copy])
    failed = {Path(f.path).name: f.error for f in report.files if f.status == "failed"}
    assert set(failed) == {"broken.json", "empty.txt"}
    assert all(name in (error or "") for name, error in failed.items())
    assert report.count("added") == 4 and library.check() == []


def test_a_different_model_is_refused_until_reindex(tmp_path: Path, sample_copy: Path) -> None:
    ingest(Library(tmp_path / "lib", HashEncoder(64)), [sample_copy])
    other = Library(tmp_path / "lib", HashEncoder(32))
    assert "hash-64" in (other.mismatch() or "")
    with pytest.raises(LibraryError, match="reindex"):
        ingest(other, [sample_copy])
    assert reindex(other) == other.chunk_count()
    assert other.mismatch() is None and other.check() == []
    assert other.index().dimension == 32


def test_one_writer_at_a_time(tmp_path: Path, sample_copy: Path) -> None:
    first = Library(tmp_path / "lib", HashEncoder(64))
    second = Library(tmp_path / "lib", HashEncoder(64))
    with first.write_lock():
        with pytest.raises(LibraryLockedError, match="being written"):
            ingest(second, [sample_copy])
        # Readers are not blocked by the writer.
        assert second.transcripts() == []
    assert ingest(second, [sample_copy]).count("added") == 4


def test_filtered_ids_follow_the_filters(tmp_path: Path, sample_copy: Path) -> None:
    library = Library(tmp_path / "lib", HashEncoder(64))
    ingest(library, [sample_copy])
    everything = library.filtered_chunk_ids(Filters())
    assert everything is None
    nazarbayev = library.filtered_chunk_ids(Filters(speakers=("Nursultan Nazarbayev",)))
    assert nazarbayev is not None and len(nazarbayev) > 0
    for stored in library.chunks(nazarbayev.tolist()).values():
        assert "Nursultan Nazarbayev" in stored.chunk.speakers
    only_2020 = library.filtered_chunk_ids(Filters(since="2020-01-01", until="2020-12-31"))
    assert only_2020 is not None
    dates = {s.date for s in library.chunks(only_2020.tolist()).values()}
    assert dates and all(d is not None and d.startswith("2020") for d in dates)


_SCRIPT = """
import sys
from pathlib import Path
sys.path.insert(0, {repo!r})
from embeddings.base import HashEncoder, content_hash, in_chunk_name
from qa.store.library import Library
import qa.ingest.pipeline
from qa.ingest.pipeline import complete_sentences, ingest, reindex
qa.ingest.pipeline.FILES_PER_COMMIT = 3
# Small slices, so that a kill in phase two falls between many commits.
qa.ingest.pipeline.SENTENCE_SLICE = 100
qa.ingest.pipeline.EMBED_BATCH = 32
library = Library(Path(sys.argv[2]), HashEncoder(64))
if sys.argv[1] == "ingest":
    ingest(library, [Path(p) for p in sys.argv[3:]])
elif sys.argv[1] == "phase-one":
    ingest(library, [Path(p) for p in sys.argv[3:]], sentences=False)
elif sys.argv[1] == "sentences":
    import time
    store = Library.store_sentences
    def slow_store(self, *args, **kwargs):
        # Phase two with the hash encoder takes milliseconds: a pause before each commit
        # spreads its commits over time, so kills fall between different ones.
        time.sleep(0.15)
        return store(self, *args, **kwargs)
    Library.store_sentences = slow_store
    print("started", flush=True)
    complete_sentences(library)
elif sys.argv[1] == "remove":
    library.remove(sys.argv[3:])
else:
    reindex(library)
print("done")
"""


def _timed_run(script: Path, *args: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, str(script), *args], check=True, capture_output=True)
    return time.perf_counter() - started


def _work_time(script: Path, *args: str) -> float:
    """How long the script works after printing "started" (its imports left out)."""
    process = subprocess.Popen(
        [sys.executable, str(script), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == b"started"
    started = time.perf_counter()
    assert process.wait() == 0
    return time.perf_counter() - started


def _killed_run(script: Path, seconds: float, *args: str, after_start: bool = False) -> bool:
    """Run the script and SIGKILL it after `seconds` (counted from its "started" line with
    `after_start`); True when it was killed before the end."""
    process = subprocess.Popen(
        [sys.executable, str(script), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    if after_start:
        assert process.stdout is not None
        process.stdout.readline()
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait()
        return True
    return False


def _assert_whole(folder: Path, what: str) -> None:
    library = Library(folder, HashEncoder(64))
    try:
        assert library.check() == [], what
    finally:
        library.close()


def test_killed_writes_leave_a_library_that_opens_and_answers(tmp_path: Path) -> None:
    """SIGKILL ingest, remove and reindex at random moments: the library is always whole."""
    kremlin = require_shared("kremlin", "html")
    pages = [str(p) for p in sorted(kremlin.glob("*.html"))[:24]]
    script = tmp_path / "write.py"
    script.write_text(_SCRIPT.format(repo=str(REPO)), encoding="utf-8")
    folder = tmp_path / "lib"
    full = _timed_run(script, "ingest", str(folder), *pages)
    rng = random.Random(20261126)
    kills = attempts = 0
    while kills < 20:
        attempts += 1
        assert attempts <= 40, f"only {kills} of {attempts} ingests could be interrupted"
        shutil.rmtree(folder)
        # Every other run starts from a partial library, so kills also hit skip-and-add runs.
        share = 1.0
        if attempts % 2:
            _timed_run(script, "ingest", str(folder), *pages[:8])
            share = 2 / 3
        moment = rng.uniform(0.05, 0.9) * share * full
        kills += _killed_run(script, moment, "ingest", str(folder), *pages)
        _assert_whole(folder, f"after killed ingest {attempts}")
        library = Library(folder, HashEncoder(64))
        assert ingest(library, [Path(p) for p in pages]).count("failed") == 0
        assert set(library.transcript_ids()) == {Path(p).stem for p in pages}
        library.close()

    ids = [Path(p).stem for p in pages]
    for operation, args in (("remove", ids[:12]), ("reindex", [])):
        duration = _timed_run(script, operation, str(folder), *args)
        for attempt in range(5):
            _timed_run(script, "ingest", str(folder), *pages)
            _killed_run(script, rng.uniform(0.05, 0.95) * duration, operation, str(folder), *args)
            _assert_whole(folder, f"after killed {operation} {attempt}")
            present = set(Library(folder, HashEncoder(64)).transcript_ids())
            if operation == "remove":
                # All of the removal happened, or none of it.
                assert present in (set(ids), set(ids) - set(ids[:12]))


_Spans = dict[str, dict[int, list[tuple[int, int]]]]


def _assert_sentences_whole(folder: Path, reference: _Spans | None, what: str) -> _Spans:
    """Every transcript not pending has all its sentence spans (those of `reference`, a run
    never killed, when given) and the vectors of all its quotable sentences stored; returns
    the spans stored, by transcript."""
    library = Library(folder, HashEncoder(64))
    try:
        assert library.check() == [], what
        pending = dict(library.pending_sentences())
        assert set(pending) <= set(library.transcript_ids()), what
        stored: _Spans = {}
        for tid in set(library.transcript_ids()) - set(pending):
            utterances = library.utterances(tid)
            spans = library.sentence_spans(tid, 0, len(utterances))
            assert len(spans) == len(utterances), (what, tid)
            if reference is not None:
                assert spans == reference[tid], (what, tid)
            texts = {u.index: u.text for u in utterances}
            quotable = [
                texts[i][a:b]
                for i, pairs in spans.items()
                for a, b in pairs
                if is_quotable(texts[i][a:b])
            ]
            assert set(library.cache.sentence_vectors(quotable)) == set(quotable), (what, tid)
            stored[tid] = spans
        return stored
    finally:
        library.close()


def test_killed_sentence_phase_loses_nothing(tmp_path: Path) -> None:
    """SIGKILL phase two (sentence vectors) at random moments: the library stays whole, every
    transcript is done or still pending, and the next run completes the rest."""
    kremlin = require_shared("kremlin", "html")
    pages = [str(p) for p in sorted(kremlin.glob("*.html"))[:12]]
    script = tmp_path / "write.py"
    script.write_text(_SCRIPT.format(repo=str(REPO)), encoding="utf-8")
    folder = tmp_path / "lib"
    _timed_run(script, "phase-one", str(folder), *pages)
    assert _assert_sentences_whole(folder, None, "after phase one") == {}
    backup = tmp_path / "phase-one"
    shutil.copytree(folder, backup)
    full = _work_time(script, "sentences", str(folder))
    reference = _assert_sentences_whole(folder, None, "after phase two")
    assert len(reference) == len(pages)
    first = Path(pages[0]).stem
    with Library(folder, HashEncoder(64)) as library:
        utterances = library.utterances(first)
    assert reference[first] == {u.index: answer_spans(u.text) for u in utterances}
    rng = random.Random(20261130)
    kills = attempts = 0
    done_at_kill: list[int] = []
    while kills < 8:
        attempts += 1
        assert attempts <= 24, f"only {kills} of {attempts} runs could be interrupted"
        shutil.rmtree(folder)
        shutil.copytree(backup, folder)
        # Every other kill hits a run that resumes an earlier killed one.
        if attempts % 2 == 0:
            _killed_run(
                script, rng.uniform(0.1, 0.5) * full, "sentences", str(folder), after_start=True
            )
        kills += _killed_run(
            script, rng.uniform(0.05, 0.95) * full, "sentences", str(folder), after_start=True
        )
        stored = _assert_sentences_whole(folder, reference, f"after killed phase two {attempts}")
        done_at_kill.append(len(stored))
        # The next ingest (nothing changed) completes what the killed one left.
        library = Library(folder, HashEncoder(64))
        report = ingest(library, [Path(p) for p in pages])
        assert report.count("skipped") == len(pages) and report.sentences_pending == 0
        library.close()
        assert len(_assert_sentences_whole(folder, reference, f"rerun {attempts}")) == len(pages)
    # The kills fell at different points of the work, not all before or after it.
    assert len(set(done_at_kill)) > 2 and min(done_at_kill) < len(pages)


def test_filters_in_memory_match_the_sql_filters(tmp_path: Path, sample_copy: Path) -> None:
    from qa.store.library import filter_sql

    library = Library(tmp_path / "lib", HashEncoder(64))
    ingest(library, [sample_copy])
    cases = [
        Filters(speakers=("Vladimir Putin",)),
        Filters(speakers=("Nursultan Nazarbayev", "Recep Tayyip Erdogan")),
        Filters(speakers=("Nobody At All",)),
        Filters(transcripts=(SEED_ID,)),
        Filters(transcripts=(SEED_ID, "62966"), speakers=("Vladimir Putin",)),
        Filters(since="2021-01-01"),
        Filters(until="2020-12-31", speakers=("Vladimir Putin",)),
        Filters(since="2030-01-01"),
    ]
    for filters in cases:
        where, params = filter_sql(filters)
        rows = library._db.execute(f"SELECT c.id FROM chunks c WHERE {where}", params)
        expected = sorted(r[0] for r in rows)
        found = library.filtered_chunk_ids(filters)
        assert found is not None and found.tolist() == expected, filters
    # A change to the library is seen at once.
    before = library.filtered_chunk_ids(Filters(transcripts=(SEED_ID,)))
    assert before is not None and len(before) > 0
    library.remove([SEED_ID])
    after = library.filtered_chunk_ids(Filters(transcripts=(SEED_ID,)))
    assert after is not None and len(after) == 0


def test_a_library_with_the_compressed_index_kind(
    tmp_path: Path, kremlin_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """index_kind=ivfpq: trained on the library's chunks, saved with its side files per
    generation, reopened, and kept in step with removals."""
    import embeddings.compressed as compressed_module

    monkeypatch.setattr(compressed_module, "MIN_TRAIN_VECTORS", 256)  # train on a small corpus
    pages = sorted(kremlin_dir.glob("*.html"))[:12]
    library = Library(tmp_path / "lib", HashEncoder(64), chunk_tokens=48, index_kind="ivfpq")
    ingest(library, pages)
    index = library.index()
    assert index.kind == "ivfpq" and library.chunk_count() >= 300
    assert index.compressed is not None and index.compressed.nlist > 0
    assert library.check() == []
    files = sorted(p.name for p in (tmp_path / "lib").glob("index-*"))
    generation = library.generation()
    assert f"index-{generation}.faiss.vectors.npy" in files
    assert f"index-{generation}.faiss.ids.npy" in files
    # every chunk finds itself through the IVF, re-ranked from the stored vectors
    ids = index.ids()
    for chunk_id in ids[::25]:
        assert index.search(index.vectors([chunk_id])[0], 3)[1][0] == chunk_id
    gone = library.transcript_ids()[0]
    assert library.remove([gone]) == [gone]
    assert library.check() == []
    reopened = Library(tmp_path / "lib", HashEncoder(64), chunk_tokens=48, index_kind="ivfpq")
    assert reopened.index().kind == "ivfpq"
    assert reopened.index().ids().tolist() == library.index().ids().tolist()
    assert len(reopened.index()) < len(ids) and reopened.check() == []
    # only the current and the previous generation keep files
    generations = {p.name.split(".")[0] for p in (tmp_path / "lib").glob("index-*")}
    assert len(generations) <= 2
    # setting flat again turns the index back on the next write
    flat = Library(tmp_path / "lib", HashEncoder(64), chunk_tokens=48, index_kind="flat")
    ingest(flat, pages)
    assert flat.index().kind == "flat" and flat.check() == []
