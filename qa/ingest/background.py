"""Phase two of an ingest (sentence vectors) in a background thread of a long-running process.

`tqa serve` starts one: it completes what an earlier ingest left pending (killed, or run with
`sentences=False`) and, woken after each upload, the uploads' sentences, while the UI already
answers over them (the answerer embeds the sentences not stored yet itself).
"""

from __future__ import annotations

import logging
import threading

from qa.ingest.pipeline import complete_sentences
from qa.store.library import Library

__all__ = ["SentenceWorker"]

log = logging.getLogger("tqa.sentences")

# Progress is logged about this often (share of the pending transcripts).
_LOG_STEP = 0.1


class SentenceWorker:
    """A daemon thread that runs complete_sentences on its own connection to the library: once
    at start, and again each time it is woken."""

    def __init__(self, library: Library) -> None:
        self.library = library
        self.done = 0  # transcripts completed in the current round
        self.total = 0
        self.encoded = 0  # sentences encoded since start
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._idle = threading.Event()
        self._logged = 0.0
        self._thread = threading.Thread(target=self._run, name="tqa-sentences", daemon=True)

    def start(self) -> None:
        self._wake.set()
        self._thread.start()

    def wake(self) -> None:
        """New transcripts are pending (an ingest finished): store their sentences."""
        self._idle.clear()
        self._wake.set()

    def stop(self, timeout: float | None = None) -> None:
        """Stop after the slice in progress (its work is committed)."""
        self._stopping.set()
        self._wake.set()
        self._thread.join(timeout)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until nothing is pending that this worker could do; False on timeout."""
        return self._idle.wait(timeout)

    def _progress(self, stage: str, done: int, total: int) -> None:
        self.done, self.total = done, total
        share = done / max(total, 1)
        if share - self._logged >= _LOG_STEP or done == total:
            self._logged = share
            log.info("sentence vectors: %d of %d transcripts stored", done, total)

    def _run(self) -> None:
        library = self.library.reopened()
        try:
            while not self._stopping.is_set():
                self._wake.wait()
                self._wake.clear()
                if self._stopping.is_set():
                    break
                self._logged = 0.0
                try:
                    self.encoded += complete_sentences(
                        library, self._progress, stop=self._stopping.is_set
                    )
                except Exception:
                    # The next wake (or the next start) retries: nothing half-done is stored.
                    log.exception("storing sentence vectors failed")
                if not self._wake.is_set():
                    self._idle.set()
        finally:
            library.close()
