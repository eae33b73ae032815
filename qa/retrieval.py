"""Hybrid retrieval: dense (FAISS) and keyword (FTS5 BM25) rankings fused by reciprocal rank.

The ranking logic (fusion, merging adjacent hits, query parsing) is pure; `Retriever` only wires it
to the library.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from qa.library import Library, StoredChunk
from qa.models import Filters, Passage, Utterance

RETRIEVERS = ("hybrid", "dense", "keyword")
RRF_K = 60  # the constant of Cormack et al. (2009); rank 1 scores 1/61
# Speaker labels that are roles, not people: never turned into a filter from a question.
GENERIC_SPEAKERS = frozenset({"question", "remark", "answer", "reply", "response", "voice"})

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?", re.UNICODE)
_STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "aren't",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "didn't",
        "do",
        "does",
        "doesn't",
        "doing",
        "don't",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "isn't",
        "it",
        "it's",
        "its",
        "itself",
        "just",
        "let",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "that's",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "s",
        "t",
        "don",
        "ve",
        "ll",
        "re",
        "m",
        "d",
        "o",
        "y",
    ]
)
# Words that frame a question rather than name its topic ("What did the group discuss about X?").
_QUESTION_FRAME = frozenset(
    [
        "say",
        "said",
        "says",
        "saying",
        "tell",
        "told",
        "talk",
        "talked",
        "talking",
        "speak",
        "spoke",
        "spoken",
        "mention",
        "mentioned",
        "mentions",
        "think",
        "thought",
        "thinks",
        "discuss",
        "discussed",
        "discussion",
        "discussions",
        "summarize",
        "summarise",
        "summary",
        "opinion",
        "opinions",
        "view",
        "views",
        "answer",
        "answered",
        "ask",
        "asked",
        "question",
        "questions",
        "happen",
        "happened",
        "describe",
        "described",
        "explain",
        "explained",
        "meeting",
        "meetings",
        "group",
        "team",
        "according",
        "regarding",
        "concerning",
        "towards",
        "toward",
        "whole",
        "would",
        "could",
        "might",
        "please",
    ]
)
_SPEECH_VERBS = frozenset(
    [
        "say",
        "said",
        "says",
        "tell",
        "told",
        "talk",
        "talked",
        "talks",
        "mention",
        "mentioned",
        "mentions",
        "think",
        "thought",
        "thinks",
        "answer",
        "answered",
        "answers",
        "reply",
        "replied",
        "respond",
        "responded",
        "speak",
        "spoke",
        "claim",
        "claimed",
        "describe",
        "described",
        "explain",
        "explained",
        "argue",
        "argued",
        "suggest",
        "suggested",
        "propose",
        "proposed",
        "feel",
        "felt",
        "believe",
        "believed",
        "on",
    ]
)
_AUX = frozenset(["did", "does", "do", "has", "had", "have", "would", "will", "was", "is"])


def content_terms(question: str) -> list[str]:
    """The question's topic words, lowercased and deduplicated, without stopwords or framing."""
    terms: dict[str, None] = {}
    for match in _WORD.finditer(question.lower()):
        word = match.group(0).replace("'s", "")
        if word in _STOPWORDS or word in _QUESTION_FRAME or (len(word) < 2 and not word.isdigit()):
            continue
        terms.setdefault(word, None)
    return list(terms)


def topic_terms(question: str, speakers: Sequence[str] = ()) -> list[str]:
    """The content terms without the words of the speakers' names ("What did Putin say about
    trade?" asks about trade)."""
    names = {part.lower() for name in speakers for part in name.split()}
    return [t for t in content_terms(question) if t not in names]


def fts_query(question: str) -> str:
    """An FTS5 MATCH expression OR-ing the question's terms, each quoted (no operator injection)."""
    return " OR ".join(f'"{t}"' for t in content_terms(question))


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[int]], k: int = RRF_K
) -> list[tuple[int, float]]:
    """Fuse ranked id lists: score(id) = sum over lists of 1 / (k + rank); best first."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, 1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


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
    turn as separate results.
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
        if home is not None and len(home) < 3:
            home.append(hit)
        elif home is None:
            if len(groups) == k:
                continue
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


def detect_speakers(question: str, known: Sequence[str]) -> list[str]:
    """Library speakers the question asks about ("What did Peskov say…" -> Dmitry Peskov).

    `known` is ordered from the most to the least frequent speaker.
    """
    words = [m.group(0) for m in _WORD.finditer(question)]
    lowered = [w.lower().removesuffix("'s") for w in words]
    by_surname: dict[str, list[str]] = {}
    for name in known:
        if name.lower() in GENERIC_SPEAKERS:
            continue
        parts = name.lower().split()
        if parts and len(parts[-1]) >= 3:
            by_surname.setdefault(parts[-1], []).append(name)
    found: list[tuple[int, str]] = []
    for position, word in enumerate(lowered):
        names = by_surname.get(word)
        if not names or not words[position][:1].isupper():
            continue
        if len(names) > 1:
            # Several speakers share the surname: the first name decides when it is written;
            # otherwise the one who speaks most (`known` is ordered by frequency) is meant.
            named = [
                n for n in names if position > 0 and n.lower().split()[0] == lowered[position - 1]
            ]
            names = named or names[:1]
        if len(names) == 1 and names[0] not in (n for _, n in found):
            found.append((position, names[0]))
    if len(found) <= 1:
        return [n for _, n in found]
    # Several people named: keep the one(s) the question makes the subject of speech.
    subjects = [
        name
        for position, name in found
        if (position > 0 and lowered[position - 1] in _AUX)
        or (position + 1 < len(lowered) and lowered[position + 1] in _SPEECH_VERBS)
    ]
    return subjects or [found[0][1]]


_YEAR = r"((?:19|20)\d\d)"
_YEAR_RANGE = re.compile(rf"\b(?:between|from)\s+{_YEAR}\s+(?:and|to|until|till)\s+{_YEAR}\b", re.I)
_YEAR_IN = re.compile(rf"\b(?:in|during|throughout)\s+{_YEAR}\b", re.I)
_YEAR_SINCE = re.compile(rf"\b(?:since|after)\s+{_YEAR}\b", re.I)
_YEAR_BEFORE = re.compile(rf"\b(?:before|until|prior to)\s+{_YEAR}\b", re.I)
_YEAR_ALONE = re.compile(
    rf"^\W*(?:and\s+|what\s+about\s+|how\s+about\s+)?(?:in\s+)?{_YEAR}\W*$", re.I
)


def detect_dates(question: str) -> tuple[str | None, str | None]:
    """An ISO date range the question asks about ("in 2014", "since 2018"), or (None, None)."""
    if m := _YEAR_RANGE.search(question):
        lo, hi = sorted((m.group(1), m.group(2)))
        return f"{lo}-01-01", f"{hi}-12-31"
    if m := (_YEAR_IN.search(question) or _YEAR_ALONE.search(question)):
        return f"{m.group(1)}-01-01", f"{m.group(1)}-12-31"
    if m := _YEAR_SINCE.search(question):
        return f"{m.group(1)}-01-01", None
    if m := _YEAR_BEFORE.search(question):
        return None, f"{int(m.group(1)) - 1}-12-31"
    return None, None


@dataclass(frozen=True)
class Retrieval:
    """Ranked passages and the filters that were applied (given and detected)."""

    query: str
    passages: tuple[Passage, ...]
    filters: Filters
    detected: Filters  # the part of `filters` read from the question itself


class Retriever:
    """Runs dense, keyword or hybrid search over a library, inside filters."""

    def __init__(self, library: Library, *, mode: str = "hybrid", candidates: int = 60) -> None:
        if mode not in RETRIEVERS:
            raise ValueError(f"retriever must be one of {', '.join(RETRIEVERS)}, got {mode!r}")
        if candidates < 1:
            raise ValueError(f"candidates must be greater than 0, got {candidates}")
        self.library = library
        self.mode = mode
        self.candidates = candidates

    def detect_filters(self, question: str, given: Filters) -> Filters:
        """Filters named in the question that the user did not set; only ones that exist."""
        speakers: tuple[str, ...] = ()
        if not given.speakers:
            known = [name for name, _ in self.library.speakers()]
            speakers = tuple(detect_speakers(question, known))
        since, until = (None, None)
        if not (given.since or given.until):
            since, until = detect_dates(question)
            if since or until:
                lo, hi = self.library.date_range()
                if lo is None or (since and hi and since > hi) or (until and lo and until < lo):
                    since, until = None, None
        return Filters(speakers=speakers, since=since, until=until)

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
        given = filters or Filters()
        detected = self.detect_filters(question, given) if detect else Filters()
        applied = Filters(
            speakers=given.speakers or detected.speakers,
            transcripts=given.transcripts,
            since=given.since or detected.since,
            until=given.until or detected.until,
        )
        depth = max(self.candidates, 4 * k)
        dense = self._dense(question, depth, applied) if mode in ("hybrid", "dense") else []
        keyword = self._keyword(question, depth, applied) if mode in ("hybrid", "keyword") else []
        if mode == "hybrid":
            fused = reciprocal_rank_fusion([dense, keyword])
        else:
            ranking = dense or keyword
            fused = [(cid, 1.0 / (RRF_K + r)) for r, cid in enumerate(ranking, 1)]
        dense_rank = {cid: r for r, cid in enumerate(dense, 1)}
        keyword_rank = {cid: r for r, cid in enumerate(keyword, 1)}
        stored = self.library.chunks([cid for cid, _ in fused])
        hits = [
            Hit(stored[cid], score, dense_rank.get(cid), keyword_rank.get(cid))
            for cid, score in fused
            if cid in stored
        ]
        passages = merge_adjacent(hits, k)
        return Retrieval(question, tuple(passages), applied, detected)

    def _dense(self, question: str, depth: int, filters: Filters) -> list[int]:
        allowed = self.library.filtered_chunk_ids(filters)
        if allowed is not None and len(allowed) == 0:
            return []
        query = self.library.encoder.encode([question])[0]
        _scores, ids = self.library.index().search(query, depth, allowed_ids=allowed)
        return [int(i) for i in ids]

    def _keyword(self, question: str, depth: int, filters: Filters) -> list[int]:
        return [cid for cid, _ in self.library.keyword_search(fts_query(question), depth, filters)]


def widen(library: Library, passage: Passage, around: int = 2) -> list[Utterance]:
    """The passage's utterances with `around` neighbours on each side, for display."""
    return library.utterances(
        passage.transcript_id,
        max(0, passage.utterance_start - around),
        passage.utterance_end + around,
    )
