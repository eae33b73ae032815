"""The background sentence worker of `tqa serve`: it completes what ingests left pending."""

from __future__ import annotations

from pathlib import Path

from embeddings.base import HashEncoder
from qa.ingest.background import SentenceWorker
from qa.ingest.pipeline import ingest
from qa.sentences import quotable_sentences
from qa.store.library import Library
from tests.conftest import sample_paths


def test_worker_stores_pending_sentences_at_start_and_when_woken(tmp_path: Path) -> None:
    seed, *pages = sample_paths()
    library = Library(tmp_path / "lib", HashEncoder(64))
    assert ingest(library, [seed], sentences=False).sentences_pending == 1
    worker = SentenceWorker(library)
    worker.start()
    try:
        assert worker.wait_idle(120)
        assert library.pending_sentences() == []
        # An upload while it runs: searchable at once, its sentences stored once woken.
        report = ingest(library, pages[:2], sentences=False)
        assert report.sentences_pending == 2 and report.count("added") == 2
        worker.wake()
        assert worker.wait_idle(120)
        assert library.pending_sentences() == []
        assert worker.encoded > 0
    finally:
        worker.stop(30)
    for tid in library.transcript_ids():
        utterances = library.utterances(tid)
        quotable = [u.text[a:b] for u in utterances for a, b in quotable_sentences(u.text)]
        assert set(library.cache.sentence_vectors(quotable)) == set(quotable), tid
