"""Ingest on a Ray cluster: `tqa ingest PATH... --ray [ADDRESS]`.

This process (the driver) stays the library's one writer. It lists the files, reads each and
hashes it, keeps the embedding cache, and commits every batch of FILES_PER_COMMIT new or changed
transcripts in the library's usual transaction, in the same order as a local ingest
(qa.ingest.pipeline.ingest with `workers`). The CPU work runs on the cluster: each worker is a
Ray actor that loads the library's encoder once (the same EncoderSpec the local ingest loads)
and then parses and chunks files (chunking counts the encoder's word pieces, so it needs the
tokenizer the actor already holds), embeds parts of chunk texts, and in phase two splits
utterances into sentences and embeds the quotable ones.

Why an actor pool rather than Ray Data: the writer must see every file's result in order, commit
it batch by batch and decide per batch what to embed (the cache spares texts embedded before, a
killed run's included); a Ray Data pipeline would hand results back as its own blocks, with a
second copy of the skip and cache logic on the workers. And why one pool for all the CPU work
rather than stateless tasks for parsing beside encoder actors: on CPUs both compete for the same
cores, an actor reserving a CPU for the encoder would starve the tasks on a small cluster, and
the encoder and its tokenizer load once per actor instead of once per task.

Failures: a worker that dies is restarted by Ray (max_restarts) and its unfinished calls are
sent again (max_task_retries); every call is a pure function of its arguments, so a retry gives
the same result. A killed driver leaves what a killed local ingest leaves: the library as of
its last commit, the embedding cache as of its last part; its actors die with it, and the next
run skips what was committed and takes the vectors from the cache.

Ray is imported only here, and only when an ingest asks for it.
"""

from __future__ import annotations

import logging
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from embeddings.base import span_encoder
from embeddings.errors import ModelError
from embeddings.loading import EncoderSpec
from qa.errors import ClusterError, LibraryError, MissingExtraError, SettingsError
from qa.ingest.pipeline import (
    FileJob,
    FileResult,
    IngestReport,
    ParsedFile,
    PrepareContext,
    Progress,
    ingest,
    parse_file,
)
from qa.sentences import answer_spans
from qa.store.library import Library

__all__ = ["INSTALL_HINT", "RayTarget", "RayWorkers", "ingest_on_ray", "ray_workers"]

INSTALL_HINT = "pip install 'transcript-qa[scale]'"
LOCAL = "local"  # the address that starts a Ray for the run instead of joining one
# Chunk texts per encoder call on a worker: small enough that a batch of files is spread over
# every worker (a batch of 25 kremlin pages is ~700 chunks), large enough that the call's
# overhead (~2 ms) is lost in its ~2 s of encoding.
PART_SIZE = 64
# Calls queued per worker at once: one running, one waiting, so no worker idles while the
# driver collects a result; more would only hold more files in the object store.
IN_FLIGHT = 2
# A started-here Ray's shared-memory object store: the driver holds at most a few batches of
# files and vectors in it at once.
LOCAL_OBJECT_STORE_BYTES = 512 * 1024 * 1024
# Restarts of a dead worker, and retries of its unfinished calls.
MAX_RESTARTS = 3


@dataclass(frozen=True)
class RayTarget:
    """Where to run: LOCAL (a Ray started for the run) or a running cluster's address
    ("host:port", or "auto" for the one this machine belongs to); `workers` actors, 0 for one
    per CPU of the cluster."""

    address: str = LOCAL
    workers: int = 0


def import_ray() -> ModuleType:
    """The ray module, or MissingExtraError saying how to install it."""
    try:
        import ray
    except ImportError:
        raise MissingExtraError(
            f"ingest --ray needs Ray, which is not installed: {INSTALL_HINT}"
        ) from None
    return ray


class IngestWorker:
    """One Ray actor (one CPU): the encoder loaded once, then the calls of an ingest."""

    def __init__(self, spec: EncoderSpec, threads: int) -> None:
        from embeddings.offline import use_offline_hub

        use_offline_hub()  # a worker never downloads a model either
        # One ONNX Runtime thread per CPU Ray gave the actor: the actors share the cores.
        self.encoder = spec.load(threads=threads)
        self._context: tuple[Any, PrepareContext] | None = None

    def describe(self) -> tuple[str, int, int | None, int, str]:
        """(encoder name, dimension, max tokens, pid, node address): checked by the driver."""
        import ray

        node = ray.get_runtime_context().get_node_id()
        return (
            self.encoder.name,
            self.encoder.dimension,
            self.encoder.max_tokens,
            os.getpid(),
            node,
        )

    def parse(self, job: FileJob, context_ref: list[Any]) -> ParsedFile:
        # The context comes wrapped in a list so that Ray does not resolve it for every call:
        # it is fetched once per run (and again by a restarted actor).
        if self._context is None or self._context[0] != context_ref[0]:
            import ray

            self._context = (context_ref[0], ray.get(context_ref[0]))
        return parse_file(job, self._context[1], self.encoder.count_tokens)

    def encode(self, n: int, texts: Sequence[str]) -> tuple[int, np.ndarray]:
        return n, self.encoder.encode(texts)

    def encode_spans(
        self, n: int, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[int, np.ndarray, list[np.ndarray]]:
        pooler = span_encoder(self.encoder)
        if pooler is None:  # the driver checked its own encoder, loaded from the same spec
            raise ModelError(f"{self.encoder.name} cannot pool the vectors of spans")
        return (n, *pooler.encode_spans(texts, spans))

    def spans(self, texts: Sequence[str]) -> list[list[tuple[int, int]]]:
        return [answer_spans(text) for text in texts]


class RayWorkers:
    """qa.ingest.pipeline.Workers on Ray actors: each call goes to the actor with the fewest
    calls queued, at most IN_FLIGHT each."""

    part_size = PART_SIZE

    def __init__(self, ray: ModuleType, actors: Sequence[Any], address: str) -> None:
        self._ray = ray
        self.actors = list(actors)
        self.address = address
        self._load = [0] * len(self.actors)

    def _pick(self) -> int:
        i = min(range(len(self.actors)), key=self._load.__getitem__)
        self._load[i] += 1
        return i

    def parse(
        self, jobs: Iterable[FileJob | FileResult], context: PrepareContext
    ) -> Iterator[ParsedFile | FileResult]:
        ref = [self._ray.put(context)]
        window: deque[tuple[int, Any]] = deque()  # (actor, call) or (-1, a failed read)
        limit = IN_FLIGHT * len(self.actors)

        def oldest() -> ParsedFile | FileResult:
            i, item = window.popleft()
            if i < 0:
                result: FileResult = item
                return result
            self._load[i] -= 1
            parsed: ParsedFile = self._ray.get(item)
            return parsed

        for job in jobs:
            if isinstance(job, FileResult):
                window.append((-1, job))
            else:
                i = self._pick()
                window.append((i, self.actors[i].parse.remote(job, ref)))
            # Results leave in file order: the writer queues and commits them in that order.
            while sum(self._load) >= limit:
                yield oldest()
        while window:
            yield oldest()

    def encode_parts(self, parts: Sequence[Sequence[str]]) -> Iterator[tuple[int, np.ndarray]]:
        return self._spread(lambda actor, n: actor.encode.remote(n, list(parts[n])), len(parts))

    def encode_span_parts(
        self, parts: Sequence[Sequence[str]], spans: Sequence[Sequence[Sequence[tuple[int, int]]]]
    ) -> Iterator[tuple[int, np.ndarray, list[np.ndarray]]]:
        return self._spread(
            lambda actor, n: actor.encode_spans.remote(n, list(parts[n]), list(spans[n])),
            len(parts),
        )

    def _spread(self, call: Callable[[Any, int], Any], count: int) -> Iterator[Any]:
        """The results of call(actor, n) for n in range(count), each on the least loaded
        actor, at most IN_FLIGHT per actor at once, in the order they are done."""
        todo = deque(range(count))
        running: dict[Any, int] = {}
        limit = IN_FLIGHT * len(self.actors)
        while todo or running:
            while todo and len(running) < limit:
                i = self._pick()
                running[call(self.actors[i], todo.popleft())] = i
            ready, _ = self._ray.wait(list(running), num_returns=1)
            for ref in ready:
                self._load[running.pop(ref)] -= 1
                yield self._ray.get(ref)

    def sentence_spans(self, texts: Sequence[Sequence[str]]) -> list[list[list[tuple[int, int]]]]:
        calls = []
        for utterances in texts:
            i = self._pick()
            calls.append((i, self.actors[i].spans.remote(list(utterances))))
        found: list[list[list[tuple[int, int]]]] = []
        for i, call in calls:
            found.append(self._ray.get(call))
            self._load[i] -= 1
        return found


@contextmanager
def ray_workers(target: RayTarget, spec: EncoderSpec, library: Library) -> Iterator[RayWorkers]:
    """Workers on the Ray of `target`, each with the encoder of `spec`, which must be the
    library's. Joins the Ray this process has initialised already, if any (tests share one);
    else starts a local one or connects to the cluster, and shuts it down after."""
    ray = import_ray()
    started_here = not ray.is_initialized()
    if started_here:
        _connect(ray, target)
    actors: list[Any] = []
    try:
        cpus = int(ray.cluster_resources().get("CPU", 0))
        count = target.workers or cpus
        if count < 1 or count > cpus:
            raise SettingsError(
                f"ray_workers must be between 1 and the cluster's {cpus} CPUs "
                f"(0 for one per CPU), got {target.workers}"
            )
        remote = ray.remote(num_cpus=1, max_restarts=MAX_RESTARTS, max_task_retries=MAX_RESTARTS)
        worker = remote(IngestWorker)
        # SPREAD: across the nodes of a cluster, not packed on the head first.
        actors = [
            worker.options(scheduling_strategy="SPREAD").remote(spec, 1) for _ in range(count)
        ]
        for name, dimension, max_tokens, _, _ in ray.get([a.describe.remote() for a in actors]):
            expected = library.encoder
            if (name, dimension, max_tokens) != (
                expected.name,
                expected.dimension,
                expected.max_tokens,
            ):
                raise LibraryError(
                    f"a Ray worker loaded the encoder {name!r} ({dimension} dimensions), the "
                    f"library's is {expected.name!r} ({expected.dimension}): install the same "
                    "model on every node"
                )
        yield RayWorkers(ray, actors, ray.get_runtime_context().gcs_address)
    except ray.exceptions.RayError as exc:
        # A worker that failed past its retries, or a lost cluster: what was committed stays,
        # and the next run continues from it.
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ClusterError(f"the Ray ingest stopped: {reason}") from exc
    finally:
        for actor in actors:
            ray.kill(actor)
        if started_here:
            ray.shutdown()


def _connect(ray: ModuleType, target: RayTarget) -> None:
    quiet = {"logging_level": logging.WARNING, "log_to_driver": False}
    if target.address == LOCAL:
        ray.init(
            address="local",
            include_dashboard=False,
            object_store_memory=LOCAL_OBJECT_STORE_BYTES,
            **quiet,
        )
        return
    try:
        ray.init(address=target.address, **quiet)
    except (ConnectionError, ValueError, RuntimeError) as exc:
        raise ClusterError(f"cannot join the Ray cluster at {target.address}: {exc}") from exc


def ingest_on_ray(
    library: Library,
    paths: Sequence[Path],
    target: RayTarget,
    spec: EncoderSpec,
    *,
    format: str | None = None,
    progress: Progress | None = None,
    sentences: bool = True,
) -> IngestReport:
    """qa.ingest.pipeline.ingest with the parsing, chunking and embedding on Ray workers (and
    phase two's sentence splitting and embedding): the same library as a local ingest."""
    with ray_workers(target, spec, library) as workers:
        report = ingest(
            library, paths, format=format, progress=progress, sentences=sentences, workers=workers
        )
    report.ray_address = workers.address
    report.ray_workers = len(workers.actors)
    return report
