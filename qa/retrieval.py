"""Hybrid retrieval: dense (FAISS) and keyword (FTS5 BM25) rankings fused into one.

Fusion (the default, "scores"): each list's scores are min-max scaled to [0, 1] and added with
equal weights, then every chunk gains half the mean fused score of its two neighbours in the
transcript, so a hit inside a stretch of talk about the topic outranks an isolated one. Reciprocal
rank fusion is kept as the alternative ("rrf"). Both were measured on the QMSum benchmark
(`python -m eval.bench_retrieval`): score fusion finds more of the evidence within a token budget.

The ranking logic (fusion, merging adjacent hits, query parsing) is pure; `Retriever` only wires it
to the library.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from embeddings.encoder import Encoder
from qa.library import Library, StoredChunk
from qa.models import Filters, Passage, Utterance

RETRIEVERS = ("hybrid", "dense", "keyword")
RRF_K = 60  # the constant of Cormack et al. (2009); rank 1 scores 1/61
FUSIONS = ("scores", "rrf")
DENSE_WEIGHT = 0.5  # share of the dense list in score fusion; the keyword list has the rest
NEIGHBOUR_WEIGHT = 0.5  # how much the mean fused score of a chunk's two neighbours adds to it
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
# Words that frame a question rather than name its topic ("What did the group discuss about X?"),
# with their inflections: "when discussing X" asks about X.
_QUESTION_FRAME = frozenset(
    [
        "say",
        "said",
        "says",
        "saying",
        "tell",
        "told",
        "tells",
        "telling",
        "talk",
        "talked",
        "talks",
        "talking",
        "speak",
        "spoke",
        "spoken",
        "speaks",
        "speaking",
        "mention",
        "mentioned",
        "mentions",
        "mentioning",
        "think",
        "thought",
        "thinks",
        "thinking",
        "discuss",
        "discussed",
        "discusses",
        "discussing",
        "discussion",
        "discussions",
        "summarize",
        "summarise",
        "summarized",
        "summarised",
        "summarizes",
        "summarises",
        "summarizing",
        "summarising",
        "summary",
        "opinion",
        "opinions",
        "view",
        "views",
        "answer",
        "answered",
        "answers",
        "answering",
        "ask",
        "asked",
        "asks",
        "asking",
        "question",
        "questions",
        "happen",
        "happened",
        "happens",
        "happening",
        "describe",
        "described",
        "describes",
        "describing",
        "explain",
        "explained",
        "explains",
        "explaining",
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
    names = {part.lower() for name in speakers for part in _WORD.findall(name)}
    return [t for t in content_terms(question) if t not in names]


def fts_query(question: str, speakers: Sequence[str] = ()) -> str:
    """An FTS5 MATCH expression OR-ing the question's terms, each quoted (no operator injection).

    The words of speakers the search is already filtered to are left out: "Putin" matches most
    of a kremlin.ru library, which made the search slow and told it nothing.
    """
    terms = topic_terms(question, speakers) or content_terms(question)
    return " OR ".join(f'"{t}"' for t in terms)


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


_ARTICLES = frozenset(["the", "a", "an"])
# Words before a name that make it the name of someone speaking ("agreed with Marketing",
# "suggested by Marketing"), unlike "the discussion about Marketing strategy".
_SPEAKER_CUES = _AUX | frozenset(["by", "with", "from", "and", "asked", "told"])


@dataclass(frozen=True)
class _Mention:
    first: int  # word positions in the question, inclusive
    last: int
    name: str


@dataclass(frozen=True)
class _SpeakerNames:
    """A library's speaker names, indexed for detect_speakers."""

    # first lowercase word -> (frequency rank, name, lowercase words), for whole-name matches
    by_first_word: dict[str, list[tuple[int, str, list[str]]]]
    by_surname: dict[str, list[str]]  # "peskov" -> ["Dmitry Peskov"], most frequent first
    by_role: dict[str, list[str]]  # "professor" -> ["Professor C"]


@lru_cache(maxsize=8)
def _speaker_names(known: tuple[str, ...]) -> _SpeakerNames:
    # Built once per speaker list (it changes only when the library does): a library of a
    # thousand speakers made this the larger part of a question's retrieval time.
    by_first_word: dict[str, list[tuple[int, str, list[str]]]] = {}
    by_surname: dict[str, list[str]] = {}
    by_role: dict[str, list[str]] = {}
    for order, name in enumerate(known):
        if name.lower() in GENERIC_SPEAKERS:
            continue
        parts = [t.lower() for t in _WORD.findall(name)]
        if not parts:
            continue
        by_first_word.setdefault(parts[0], []).append((order, name, parts))
        if len(parts) > 1 and len(parts[-1]) >= 3:
            by_surname.setdefault(parts[-1], []).append(name)
        elif len(parts) == 2 and len(parts[-1]) == 1 and len(parts[0]) >= 3:
            by_role.setdefault(parts[0], []).append(name)  # "Professor C", "Grad E"
    return _SpeakerNames(by_first_word, by_surname, by_role)


def detect_speakers(question: str, known: Sequence[str]) -> list[str]:
    """Library speakers the question asks about ("What did Peskov say…" -> Dmitry Peskov).

    `known` is ordered from the most to the least frequent speaker. A name counts when its words
    are written capitalised: the whole name ("Huw Irranca-Davies", "PhD A", "Project Manager"),
    or the last word of a longer one ("Peskov", "Manager"). A one-word name ("Marketing") or a
    role without its letter ("the Professor" for the only "Professor C") must also read as
    someone speaking: possessive, the subject of "did…", or after "by"/"with"; a role shared by
    several speakers names none of them.
    """
    matches = list(_WORD.finditer(question))
    words = [m.group(0) for m in matches]
    lowered = [w.lower().removesuffix("'s") for w in words]
    possessive = [
        w.lower().endswith("'s") or question[m.end() : m.end() + 1] in ("'", "’")
        for w, m in zip(words, matches, strict=True)
    ]
    capital = [w[:1].isupper() or w[:1].isdigit() for w in words]

    def speaking(first: int, last: int) -> bool:
        before = first - 1
        if before >= 0 and lowered[before] in _ARTICLES:
            before -= 1
        return (
            possessive[last]
            or (before >= 0 and lowered[before] in _SPEAKER_CUES)
            or (last + 1 < len(lowered) and lowered[last + 1] in _SPEECH_VERBS)
        )

    names = _speaker_names(tuple(known))
    found: list[_Mention] = []
    taken: set[int] = set()
    # Whole names first, the longest first, so "Huw Irranca-Davies" is not read as "Davies";
    # among equally long ones the more frequent speaker first, and each name's first mention.
    whole = [
        (-len(parts), order, first, name, parts)
        for first, word in enumerate(lowered)
        for order, name, parts in names.by_first_word.get(word, [])
        if lowered[first : first + len(parts)] == parts
    ]
    done: set[str] = set()
    for _, _, first, name, parts in sorted(whole):
        span = range(first, first + len(parts))
        if name in done or taken.intersection(span):
            continue
        if not all(capital[i] for i in span) or (len(parts) == 1 and not speaking(first, first)):
            continue
        found.append(_Mention(first, first + len(parts) - 1, name))
        taken.update(span)
        done.add(name)
    by_surname, by_role = names.by_surname, names.by_role
    for position, word in enumerate(lowered):
        if position in taken or not capital[position]:
            continue
        # Several speakers sharing the surname: the one who speaks most is meant.
        candidates = by_surname.get(word, [])[:1]
        if not candidates:
            roles = by_role.get(word, [])
            candidates = roles if len(roles) == 1 and speaking(position, position) else []
        if candidates and candidates[0] not in (m.name for m in found):
            found.append(_Mention(position, position, candidates[0]))
            taken.add(position)
    found.sort(key=lambda m: m.first)
    if len(found) <= 1:
        return [m.name for m in found]
    # Several people named: keep the one(s) the question makes the subject of speech.
    subjects = [
        m.name
        for m in found
        if (m.first > 0 and lowered[m.first - 1] in _AUX)
        or (m.first > 1 and lowered[m.first - 1] in _ARTICLES and lowered[m.first - 2] in _AUX)
        or (m.last + 1 < len(lowered) and lowered[m.last + 1] in _SPEECH_VERBS)
    ]
    return list(dict.fromkeys(subjects)) or [found[0].name]


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
        return Filters(speakers=speakers, since=since, until=until)

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
        )
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


def widen(library: Library, passage: Passage, around: int = 2) -> list[Utterance]:
    """The passage's utterances with `around` neighbours on each side, for display."""
    return library.utterances(
        passage.transcript_id,
        max(0, passage.utterance_start - around),
        passage.utterance_end + around,
    )
