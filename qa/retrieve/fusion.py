"""Rank fusion and passage assembly: pure functions over scored chunk ids.

Fusion (the default, "scores"): each list's scores are min-max scaled to [0, 1] and added with
weights (dense 0.5 inside named transcripts, 0.3 over the whole library), then every chunk gains
half the mean fused score of its two neighbours in the transcript, so a hit inside a stretch of
talk about the topic outranks an isolated one. Reciprocal rank fusion is kept as the alternative
("rrf"). Both were measured on the QMSum benchmark (`python -m benchmarks.bench_retrieval`): score
fusion finds more of the evidence within a token budget.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from qa.models import Passage
from qa.store.library import StoredChunk

RRF_K = 60  # the constant of Cormack et al. (2009); rank 1 scores 1/61
FUSIONS = ("scores", "rrf")
DENSE_WEIGHT = 0.5  # share of the dense list in score fusion; the keyword list has the rest
# The dense list's share when the search spans the library rather than named transcripts: over
# hundreds of transcripts the exact words (names, numbers, places) tell passages apart better
# than meaning does (dev suite, 59 kremlin.ru questions asked of all 508 pages: R@1000 0.746 ->
# 0.831; within one QMSum meeting 0.3 lost, 0.468 -> 0.439, so named transcripts keep 0.5).
CORPUS_DENSE_WEIGHT = 0.3
NEIGHBOUR_WEIGHT = 0.5  # how much the mean fused score of a chunk's two neighbours adds to it
MERGE_CHUNKS = 3  # neighbouring chunks one passage holds at most


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[int]], k: int = RRF_K
) -> list[tuple[int, float]]:
    """Fuse ranked id lists: score(id) = sum over lists of 1 / (k + rank); best first."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, 1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


def min_max(scored: Sequence[tuple[int, float]]) -> dict[int, float]:
    """One list's scores scaled to [0, 1]: its best 1, its worst candidate 0 (all 1 if equal)."""
    if not scored:
        return {}
    values = [score for _, score in scored]
    lo, hi = min(values), max(values)
    if hi <= lo:
        return {item: 1.0 for item, _ in scored}
    return {item: (score - lo) / (hi - lo) for item, score in scored}


def score_fusion(
    rankings: Sequence[Sequence[tuple[int, float]]], weights: Sequence[float] | None = None
) -> list[tuple[int, float]]:
    """Fuse scored lists: the weighted sum of each list's min-max scaled scores, an id absent
    from a list adding 0 for it; best first (ties by id)."""
    if weights is None:
        weights = [1.0 / len(rankings)] * len(rankings) if rankings else []
    if len(weights) != len(rankings):
        raise ValueError(f"need one weight per ranking, got {len(weights)} for {len(rankings)}")
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for item, scaled in min_max(ranking).items():
            fused[item] = fused.get(item, 0.0) + weight * scaled
    return sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))


def neighbour_boost(
    scores: Mapping[int, float],
    places: Mapping[int, tuple[str, int]],
    weight: float = NEIGHBOUR_WEIGHT,
) -> list[tuple[int, float]]:
    """Each chunk's score plus `weight` times the mean score of the chunks just before and after
    it in its transcript (0 for a neighbour that is not scored); best first (ties by id).

    `places` maps a chunk id to (transcript id, ordinal). Talk about one topic runs over several
    chunks, so a hit whose neighbours also match is the better bet than an isolated one.
    """
    by_place = {place: scores[cid] for cid, place in places.items() if cid in scores}
    boosted: dict[int, float] = {}
    for cid, score in scores.items():
        place = places.get(cid)
        if place is None:
            boosted[cid] = score
            continue
        transcript, ordinal = place
        around = by_place.get((transcript, ordinal - 1), 0.0) + by_place.get(
            (transcript, ordinal + 1), 0.0
        )
        boosted[cid] = score + weight * around / 2
    return sorted(boosted.items(), key=lambda kv: (-kv[1], kv[0]))


@dataclass(frozen=True)
class Hit:
    chunk: StoredChunk
    score: float
    dense_rank: int | None
    keyword_rank: int | None


def merge_adjacent(hits: Sequence[Hit], k: int) -> list[Passage]:
    """Passages from ranked hits: a hit next to a better one of the same transcript joins it.

    Chunks are disjoint slices of a transcript, so neighbours (consecutive ordinals) are merged
    into one passage that keeps the better rank; the list then never shows several slices of one
    turn as separate results. A passage holds at most MERGE_CHUNKS chunks; a hit next to a full
    one starts a passage of its own.
    """
    groups: list[list[Hit]] = []
    for hit in hits:
        home = next(
            (
                g
                for g in groups
                if g[0].chunk.chunk.transcript_id == hit.chunk.chunk.transcript_id
                and any(abs(h.chunk.chunk.ordinal - hit.chunk.chunk.ordinal) <= 1 for h in g)
            ),
            None,
        )
        if home is not None and len(home) < MERGE_CHUNKS:
            home.append(hit)
        elif len(groups) < k:
            # A new passage, also for a hit next to a full one: dropping it lost evidence
            # (QMSum R@1000 0.468 -> 0.471 with it kept).
            groups.append([hit])
    return [_passage(group) for group in groups]


def _passage(group: list[Hit]) -> Passage:
    ordered = sorted(group, key=lambda h: h.chunk.chunk.ordinal)
    first = ordered[0].chunk
    speakers: dict[str, None] = {}
    for h in ordered:
        for s in h.chunk.chunk.speakers:
            speakers.setdefault(s, None)
    best = group[0]
    return Passage(
        transcript_id=first.chunk.transcript_id,
        title=first.title,
        date=first.date,
        utterance_start=min(h.chunk.chunk.utterance_start for h in ordered),
        utterance_end=max(h.chunk.chunk.utterance_end for h in ordered),
        speakers=tuple(speakers),
        text="\n".join(h.chunk.chunk.text for h in ordered),
        score=best.score,
        dense_rank=best.dense_rank,
        keyword_rank=best.keyword_rank,
        chunk_ids=tuple(h.chunk.id for h in ordered),
    )
