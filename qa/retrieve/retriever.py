"""The Retriever: dense (FAISS) and keyword (FTS5 BM25) search over a library, inside filters,
fused into ranked passages (see qa.retrieve.fusion and qa.retrieve.query for the pure parts)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from embeddings.base import Encoder
from qa.models import Filters, Passage
from qa.retrieve.fusion import (
    DENSE_WEIGHT,
    FUSIONS,
    NEIGHBOUR_WEIGHT,
    RRF_K,
    Hit,
    merge_adjacent,
    neighbour_boost,
    reciprocal_rank_fusion,
    score_fusion,
)
from qa.retrieve.query import detect_dates, detect_speakers, fts_query
from qa.retrieve.times import clip_to_times, detect_time_range, without_time
from qa.settings import RETRIEVERS
from qa.store.library import Library


@dataclass(frozen=True)
class Retrieval:
    """Ranked passages and the filters that were applied (given and detected)."""

    query: str
    passages: tuple[Passage, ...]
    filters: Filters
    detected: Filters  # the part of `filters` read from the question itself


class Retriever:
    """Runs dense, keyword or hybrid search over a library, inside filters."""

    def __init__(
        self,
        library: Library,
        *,
        mode: str = "hybrid",
        candidates: int = 60,
        fusion: str = "scores",
        neighbour_weight: float = NEIGHBOUR_WEIGHT,
        encoder: Encoder | None = None,
    ) -> None:
        if mode not in RETRIEVERS:
            raise ValueError(f"retriever must be one of {', '.join(RETRIEVERS)}, got {mode!r}")
        if candidates < 1:
            raise ValueError(f"candidates must be greater than 0, got {candidates}")
        if fusion not in FUSIONS:
            raise ValueError(f"fusion must be one of {', '.join(FUSIONS)}, got {fusion!r}")
        if not neighbour_weight >= 0:
            raise ValueError(f"neighbour_weight must be 0 or more, got {neighbour_weight}")
        self.library = library
        self.mode = mode
        self.candidates = candidates
        self.fusion = fusion
        self.neighbour_weight = neighbour_weight
        # The question's encoder: the library's, or one that remembers (see the Assistant).
        self.encoder = encoder or library.encoder

    def detect_filters(self, question: str, given: Filters) -> Filters:
        """Filters named in the question that the user did not set; only ones that exist.

        A speaker is looked for only among those of the transcripts and dates in scope, so a
        name shared with someone elsewhere in the library never empties a scoped search.
        """
        since, until = (None, None)
        if not (given.since or given.until):
            since, until = detect_dates(question)
            if since or until:
                lo, hi = self.library.date_range()
                if lo is None or (since and hi and since > hi) or (until and lo and until < lo):
                    since, until = None, None
        speakers: tuple[str, ...] = ()
        if not given.speakers:
            scope = Filters(
                transcripts=given.transcripts,
                since=given.since or since,
                until=given.until or until,
            )
            speakers = tuple(detect_speakers(question, self.known_speakers(scope)))
        # A time into the recording ("around minute 12") only where some transcript has times.
        span = None
        if given.from_s is None and given.to_s is None:
            span = detect_time_range(question)
            if span and not self.library.has_times(given.transcripts):
                span = None
        return Filters(
            speakers=speakers,
            since=since,
            until=until,
            from_s=span.from_s if span else None,
            to_s=span.to_s if span else None,
        )

    def known_speakers(self, scope: Filters) -> list[str]:
        """Speakers of the transcripts inside the scope's transcripts and dates, most frequent
        first (speakers filters are ignored)."""
        known = [name for name, _ in self.library.speakers()]
        if not (scope.transcripts or scope.since or scope.until):
            return known
        present: set[str] = set()
        for info in self.library.transcripts():
            if scope.transcripts and info.id not in scope.transcripts:
                continue
            if scope.since and (info.date is None or info.date < scope.since):
                continue
            if scope.until and (info.date is None or info.date > scope.until):
                continue
            present.update(info.speakers)
        return [name for name in known if name in present]

    def retrieve(
        self,
        question: str,
        k: int = 8,
        filters: Filters | None = None,
        *,
        detect: bool = True,
        mode: str | None = None,
    ) -> Retrieval:
        """The k best passages for the question, inside the filters (given + detected)."""
        if k < 1:
            raise ValueError(f"k must be greater than 0, got {k}")
        mode = mode or self.mode
        if mode not in RETRIEVERS:
            raise ValueError(f"retriever must be one of {', '.join(RETRIEVERS)}, got {mode!r}")
        given = filters or Filters()
        detected = self.detect_filters(question, given) if detect else Filters()
        applied = Filters(
            speakers=given.speakers or detected.speakers,
            transcripts=given.transcripts,
            since=given.since or detected.since,
            until=given.until or detected.until,
            from_s=given.from_s if given.from_s is not None else detected.from_s,
            to_s=given.to_s if given.to_s is not None else detected.to_s,
        )
        if detected.from_s is not None or detected.to_s is not None:
            question = without_time(question, detect_time_range(question))
        depth = max(self.candidates, 4 * k)
        dense = self._dense(question, depth, applied) if mode in ("hybrid", "dense") else []
        # In hybrid mode the keyword side leaves out the names of filtered-to speakers (the dense
        # side fills the ranking; QMSum R@1000 0.451 -> 0.465); alone it keeps them, or it
        # runs out of matches (0.422 -> 0.408).
        named = applied.speakers if mode == "hybrid" else ()
        keyword = self._keyword(question, depth, applied, named) if mode != "dense" else []
        fuse_scores = mode == "hybrid" and self.fusion == "scores"
        if fuse_scores:
            fused = score_fusion([dense, keyword], [DENSE_WEIGHT, 1.0 - DENSE_WEIGHT])
        elif mode == "hybrid":
            fused = reciprocal_rank_fusion([[c for c, _ in dense], [c for c, _ in keyword]])
        else:
            ranking = dense or keyword
            fused = [(cid, 1.0 / (RRF_K + r)) for r, (cid, _) in enumerate(ranking, 1)]
        stored = self.library.chunks([cid for cid, _ in fused])
        if fuse_scores:
            places = {cid: (s.chunk.transcript_id, s.chunk.ordinal) for cid, s in stored.items()}
            fused = neighbour_boost(dict(fused), places, self.neighbour_weight)
        dense_rank = {cid: r for r, (cid, _) in enumerate(dense, 1)}
        keyword_rank = {cid: r for r, (cid, _) in enumerate(keyword, 1)}
        hits = [
            Hit(stored[cid], score, dense_rank.get(cid), keyword_rank.get(cid))
            for cid, score in fused
            if cid in stored
        ]
        passages = merge_adjacent(hits, k)
        if applied.from_s is not None or applied.to_s is not None:
            passages = clip_to_times(
                passages, self.library.utterances, applied.from_s, applied.to_s
            )
        return Retrieval(question, tuple(passages), applied, detected)

    def _dense(self, question: str, depth: int, filters: Filters) -> list[tuple[int, float]]:
        allowed = self.library.filtered_chunk_ids(filters)
        if allowed is not None and len(allowed) == 0:
            return []
        query = self.encoder.encode([question])[0]
        scores, ids = self.library.index().search(query, depth, allowed_ids=allowed)
        return [(int(i), float(s)) for s, i in zip(scores, ids, strict=True)]

    def _keyword(
        self, question: str, depth: int, filters: Filters, unsearched: Sequence[str] = ()
    ) -> list[tuple[int, float]]:
        return self.library.keyword_search(fts_query(question, unsearched), depth, filters)
