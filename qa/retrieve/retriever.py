"""The Retriever: dense (FAISS) and keyword (FTS5 BM25) search over a library, inside filters,
fused into ranked passages, then lifted by what the question says of the occasion and people
(see qa.retrieve.fusion, qa.retrieve.query, qa.retrieve.occasion and qa.retrieve.names for the
pure parts).

Filters come from the user and from the question where it is explicit: a speaker whose words it
asks for ("What did Peskov say…"), a date that dates the event ("in December 2019"). Everything
else the question says becomes a boost, never a filter, so it cannot empty the search: a person
it asks about ("How did X vote?"), a year that only hints ("the 1998 crisis"), the words of a
transcript's title, place and date ("at the annual news conference"), and the exchange a
follow-up leans on. A boosted scope is also searched on its own, so its chunks are among the
candidates even when the whole library has closer ones; the occasion's, without the words that
name it, and fused on its own.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import snowballstemmer

from embeddings.base import Encoder
from qa.models import Filters, Passage
from qa.retrieve.fusion import (
    CORPUS_DENSE_WEIGHT,
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
from qa.retrieve.names import close_names
from qa.retrieve.occasion import (
    OccasionIndex,
    TitledTranscript,
    detect_date_mention,
    transcripts_named_by_id,
)
from qa.retrieve.query import fts_query, read_people
from qa.retrieve.times import clip_to_times, detect_time_range, without_time
from qa.settings import RETRIEVERS
from qa.store.library import Library, StoredChunk, TranscriptInfo
from qa.text import STOPWORDS, WORD, content_terms, plain_words


@dataclass(frozen=True)
class BoostWeights:
    """What each boost adds to a chunk's fused score (which runs 0 to about 1.5); the defaults
    measured on the dev suite's kremlin.ru questions (see README, Figures)."""

    date: float = 0.5  # the transcript's date lies in the range the question hints at
    title: float = 0.5  # times the share of the question's word weight in title, place, date
    subject: float = 0.15  # a person the question asks about speaks in the chunk
    near: float = 0.3  # the chunk holds, or is next to, an utterance the last answer cited
    favoured: float = 0.2  # the chunk's transcript is the one the last answer cited


NEAR_UTTERANCES = 3  # how far from a cited utterance a chunk still counts as its exchange
# Transcripts whose title carries at least this share of the question are searched on their own.
TITLE_SCOPE_SHARE = 0.25
TITLE_SCOPE_TRANSCRIPTS = 3
# A word in at least this many chunks is a word of the library, never a misspelt name.
COMMON_WORD_CHUNKS = 2

# FTS5's porter tokenizer, to look a word up in the keyword vocabulary. A Snowball stemmer keeps
# state on the instance and the UI's threads share this module: one at a time.
_porter = snowballstemmer.stemmer("porter")
_porter_lock = threading.Lock()


@lru_cache(maxsize=65536)
def _porter_stem(word: str) -> str:
    with _porter_lock:
        return str(_porter.stemWord(word))


@dataclass(frozen=True)
class _Catalogue:
    """What the Retriever reads of a library generation once: its transcripts and speakers."""

    generation: int
    infos: list[TranscriptInfo]
    titled: list[TitledTranscript]
    occasions: OccasionIndex
    speakers: list[str]  # most frequent first
    # Lowercased words of every transcript's place and speakers: the answerer reads them as
    # words a question names its occasion with, not the fact it asks for.
    place_and_speaker_words: frozenset[str]


@dataclass(frozen=True)
class Boosts:
    """What the question makes likelier without filtering on it (see the module docstring)."""

    speakers: tuple[str, ...] = ()  # people it asks about, not for their words
    since: str | None = None  # a date range it hints at
    until: str | None = None
    titles: Mapping[str, float] = field(default_factory=dict)  # transcript -> share of question
    near: tuple[tuple[str, int], ...] = ()  # (transcript, utterance) the last answer cited
    favoured: tuple[str, ...] = ()  # transcripts a follow-up may well continue in
    # a name as the question writes it -> the library's spellings of it (keyword index terms,
    # title and file-name words), when the library lacks it as written
    names: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # people it names as spoken to ("Who asked Putin…?"): their own turns are not the answer
    addressed: tuple[str, ...] = ()
    # meetings of a series whose sibling the question names more (OccasionIndex.outnamed)
    outnamed: frozenset[str] = frozenset()

    def titled(self) -> tuple[str, ...]:
        """The transcripts whose titles carry at least TITLE_SCOPE_SHARE of the question (the
        occasions it names), in `titles` order; of a series of meetings, only the one it names
        most ("the final TS3009 meeting")."""
        return tuple(
            tid
            for tid, share in self.titles.items()
            if share >= TITLE_SCOPE_SHARE and tid not in self.outnamed
        )


@dataclass(frozen=True)
class Retrieval:
    """Ranked passages and the filters that were applied (given and detected)."""

    query: str
    passages: tuple[Passage, ...]
    filters: Filters
    detected: Filters  # the part of `filters` read from the question itself
    boosts: Boosts = Boosts()  # what the question favours without filtering on it


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
        weights: BoostWeights | None = None,
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
        self.weights = weights or BoostWeights()
        # The question's encoder: the library's, or one that remembers (see the Assistant).
        self.encoder = encoder or library.encoder
        # Per library generation: the transcripts' titles as an index, and the name vocabulary.
        self._cached: _Catalogue | None = None
        self._names: tuple[int, dict[str, int]] | None = None
        self._query_vector: tuple[str, np.ndarray] | None = None

    def detect_filters(self, question: str, given: Filters) -> Filters:
        """Filters named in the question that the user did not set; only ones that exist."""
        return self.read_question(question, given)[0]

    def read_question(
        self,
        question: str,
        given: Filters,
        near: Sequence[tuple[str, int]] = (),
        favoured: Sequence[str] = (),
    ) -> tuple[Filters, Boosts]:
        """The filters the question names that the user did not set (only ones that match a
        transcript in scope), and what it favours without filtering.

        A speaker is looked for only among those of the transcripts and dates in scope, so a
        name shared with someone elsewhere in the library never empties a scoped search.
        """
        since, until = (None, None)
        soft_since, soft_until = (None, None)
        if not (given.since or given.until):
            mention = detect_date_mention(question)
            if mention is not None:
                if mention.firm and self._dates_exist(mention.since, mention.until, given):
                    since, until = mention.since, mention.until
                else:
                    # A hint, or a date no transcript in scope has: a boost, so that a wrong
                    # or approximate date cannot empty the search.
                    soft_since, soft_until = mention.since, mention.until
        vocabulary = self.name_vocabulary()
        speakers: tuple[str, ...] = ()
        subjects: tuple[str, ...] = ()
        addressed: tuple[str, ...] = ()
        if not given.speakers:
            scope = Filters(
                transcripts=given.transcripts,
                since=given.since or since,
                until=given.until or until,
                undated=given.undated if given.since or given.until else True,
            )
            people = read_people(
                question, self.known_speakers(scope), lambda w: _is_common(w, vocabulary)
            )
            speakers, subjects, addressed = people.speakers, people.subjects, people.addressees
        occasions = self.occasions()
        scored = occasions.scores(question, ignore=(*given.speakers, *speakers))
        # A speaker it names may be a role whose words a meeting's title shares ("the TS3009
        # industrial designer", "the functional design meeting"): they tell no meeting of a
        # series from another.
        known = self.known_speakers(given)
        lowered = question.lower()
        roles = [name for name in known if name.lower() in lowered]
        unroled = (
            occasions.scores(question, ignore=(*given.speakers, *speakers, *roles))
            if roles
            else scored
        )
        if given.transcripts:
            scored = {tid: v for tid, v in scored.items() if tid in given.transcripts}
            unroled = {tid: v for tid, v in unroled.items() if tid in given.transcripts}
        boosts = Boosts(
            speakers=subjects,
            since=soft_since,
            until=soft_until,
            titles=scored,
            near=tuple(near),
            favoured=tuple(favoured),
            names=self.name_variants(question, vocabulary),
            addressed=addressed,
            outnamed=occasions.outnamed(unroled),
        )
        # A time into the recording ("around minute 12") only where some transcript has times.
        span = None
        if given.from_s is None and given.to_s is None:
            span = detect_time_range(question)
            if span and not self.library.has_times(given.transcripts):
                span = None
        # "In the TS3009d meeting, …": a transcript named by its file name is where to look.
        named = (
            ()
            if given.transcripts
            else transcripts_named_by_id(question, (info.id for info in self._transcripts()))
        )
        detected = Filters(
            speakers=speakers,
            transcripts=named,
            since=since,
            until=until,
            undated=since is not None or until is not None,
            from_s=span.from_s if span else None,
            to_s=span.to_s if span else None,
        )
        return detected, boosts

    def _dates_exist(self, since: str | None, until: str | None, given: Filters) -> bool:
        lo, hi = since or "0000-00-00", until or "9999-99-99"
        return any(
            info.date is not None
            and lo <= info.date <= hi
            and (not given.transcripts or info.id in given.transcripts)
            for info in self._transcripts()
        )

    def _catalogue(self) -> _Catalogue:
        # Read once per library generation (every write moves it on): a question used to read
        # the speakers, and for a dated scope every transcript, from SQLite.
        generation = self.library.generation()
        cached = self._cached
        if cached is None or cached.generation != generation:
            infos = self.library.transcripts()
            titled = [
                TitledTranscript(i.id, i.title, i.date, i.place, i.source_path) for i in infos
            ]
            cached = _Catalogue(
                generation,
                infos,
                titled,
                OccasionIndex(titled),
                [name for name, _ in self.library.speakers()],
                frozenset(
                    w.lower()
                    for i in infos
                    for text in (i.place or "", *i.speakers)
                    for w in plain_words(text)
                ),
            )
            self._cached = cached
        return cached

    def _transcripts(self) -> list[TitledTranscript]:
        return self._catalogue().titled

    def transcripts(self) -> list[TranscriptInfo]:
        """The library's transcripts, read once per library generation."""
        return self._catalogue().infos

    def place_and_speaker_words(self) -> frozenset[str]:
        """Lowercased words of every transcript's place and speakers (once per generation)."""
        return self._catalogue().place_and_speaker_words

    def occasions(self) -> OccasionIndex:
        """The library's titles, places and dates as a small index (rebuilt when it changes)."""
        return self._catalogue().occasions

    def name_vocabulary(self) -> dict[str, int]:
        """The words a name may be found as: the keyword index's terms and the words of the
        transcripts' titles and file names (a title counts as a mention)."""
        generation = self.library.generation()
        if self._names is None or self._names[0] != generation:
            words = dict(self.library.keyword_vocabulary())
            for t in self._transcripts():
                source = (t.source_path or "").rsplit("/", 1)[-1].rsplit(".", 1)[0]
                for w in WORD.findall(f"{t.title} {source.replace('_', ' ').replace('-', ' ')}"):
                    words[w.lower()] = words.get(w.lower(), 0) + 1
            self._names = (generation, words)
        return self._names[1]

    def name_variants(
        self, question: str, vocabulary: Mapping[str, int] | None = None
    ) -> dict[str, tuple[str, ...]]:
        """{name as the question writes it: the library's close spellings} for its capitalised
        words that no transcript, title or file name has as written ("Tokaev" -> "tokayev")."""
        if vocabulary is None:
            vocabulary = self.name_vocabulary()
        out: dict[str, tuple[str, ...]] = {}
        for position, match in enumerate(WORD.finditer(question)):
            word = match.group(0).removesuffix("'s")
            low = word.lower()
            if position == 0 or not word[:1].isupper() or not word.isalpha() or low in STOPWORDS:
                continue
            if low in vocabulary or _porter_stem(low) in vocabulary:
                continue
            found = close_names(low, vocabulary)
            if found.variants:
                out[word] = found.variants
        return out

    def known_speakers(self, scope: Filters) -> list[str]:
        """Speakers of the transcripts inside the scope's transcripts and dates, most frequent
        first (speakers filters are ignored)."""
        catalogue = self._catalogue()
        known = catalogue.speakers
        if not (scope.transcripts or scope.since or scope.until):
            return list(known)
        present: set[str] = set()
        for info in catalogue.infos:
            if scope.transcripts and info.id not in scope.transcripts:
                continue
            if not scope.admits_date(info.date):
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
        near: Sequence[tuple[str, int]] = (),
        favoured: Sequence[str] = (),
    ) -> Retrieval:
        """The k best passages for the question, inside the filters (given + detected).

        `near`: (transcript id, utterance index) pairs the previous answer cited; a follow-up
        favours that exchange, and `favoured` transcripts (qa.retrieve.followup.Standalone).
        """
        if k < 1:
            raise ValueError(f"k must be greater than 0, got {k}")
        mode = mode or self.mode
        if mode not in RETRIEVERS:
            raise ValueError(f"retriever must be one of {', '.join(RETRIEVERS)}, got {mode!r}")
        given = filters or Filters()
        if detect:
            detected, boosts = self.read_question(question, given, near, favoured)
        else:
            detected, boosts = Filters(), Boosts(near=tuple(near), favoured=tuple(favoured))
        applied = given.over(detected)
        if detected.from_s is not None or detected.to_s is not None:
            question = without_time(question, detect_time_range(question))
        depth = max(self.candidates, 4 * k)
        # In hybrid mode the keyword side leaves out the names of filtered-to speakers (the dense
        # side fills the ranking; QMSum R@1000 0.451 -> 0.465); alone it keeps them, or it
        # runs out of matches (0.422 -> 0.408).
        named = applied.speakers if mode == "hybrid" else ()
        extra = [v for variants in boosts.names.values() for v in variants]
        dense, keyword = self._candidates(question, depth, applied, named, extra, mode)
        fuse_scores = mode == "hybrid" and self.fusion == "scores"
        inside_occasion: list[tuple[int, float]] = []
        for scope, names_occasion in self._boosted_scopes(applied, boosts):
            if names_occasion and fuse_scores:
                inside_occasion = self._inside_occasion(question, depth, scope, named, extra)
                continue
            more_dense, more_keyword = self._candidates(question, depth, scope, named, extra, mode)
            dense, keyword = _union(dense, more_dense), _union(keyword, more_keyword)
        if fuse_scores:
            share = DENSE_WEIGHT if applied.transcripts else CORPUS_DENSE_WEIGHT
            fused = _union(score_fusion([dense, keyword], [share, 1.0 - share]), inside_occasion)
        elif mode == "hybrid":
            fused = reciprocal_rank_fusion([[c for c, _ in dense], [c for c, _ in keyword]])
        else:
            ranking = dense or keyword
            fused = [(cid, 1.0 / (RRF_K + r)) for r, (cid, _) in enumerate(ranking, 1)]
        stored = self.library.chunks([cid for cid, _ in fused])
        if fuse_scores:
            places = {cid: (s.chunk.transcript_id, s.chunk.ordinal) for cid, s in stored.items()}
            fused = neighbour_boost(dict(fused), places, self.neighbour_weight)
        fused = self._boosted(fused, stored, boosts, scale=1.0 if fuse_scores else 1.0 / RRF_K)
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
        return Retrieval(question, tuple(passages), applied, detected, boosts)

    def _candidates(
        self,
        question: str,
        depth: int,
        filters: Filters,
        named: Sequence[str],
        extra: Sequence[str],
        mode: str,
    ) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
        dense = self._dense(question, depth, filters) if mode in ("hybrid", "dense") else []
        keyword = self._keyword(question, depth, filters, named, extra) if mode != "dense" else []
        return dense, keyword

    def _boosted_scopes(self, applied: Filters, boosts: Boosts) -> list[tuple[Filters, bool]]:
        """The scopes searched on their own besides the whole one, each with whether it is the
        occasion the question names: the hinted dates, the exchange cited last, and the
        transcripts whose titles carry much of the question (last)."""
        scopes: list[tuple[Filters, bool]] = []
        if boosts.since or boosts.until:
            scopes.append(
                (Filters(applied.speakers, applied.transcripts, boosts.since, boosts.until), False)
            )
        ranked = sorted(boosts.titled(), key=lambda tid: -boosts.titles[tid])
        # The best few, and any tied with the last of them: a series of meetings whose titles
        # the question names alike ("ES2006" for ES2006a to ES2006d) is searched whole.
        least = min((boosts.titles[tid] for tid in ranked[:TITLE_SCOPE_TRANSCRIPTS]), default=0.0)
        titled = tuple(tid for tid in ranked if boosts.titles[tid] >= least)
        near = tuple(dict.fromkeys([*(tid for tid, _ in boosts.near), *boosts.favoured]))
        if applied.transcripts:
            near = tuple(tid for tid in near if tid in applied.transcripts)
        for transcripts, names_occasion in ((near, False), (titled, True)):
            if transcripts and set(transcripts) != set(applied.transcripts):
                scope = Filters(
                    applied.speakers,
                    transcripts,
                    applied.since,
                    applied.until,
                    undated=applied.undated,
                )
                scopes.append((scope, names_occasion))
        return scopes

    def _inside_occasion(
        self,
        question: str,
        depth: int,
        scope: Filters,
        named: Sequence[str],
        extra: Sequence[str],
    ) -> list[tuple[int, float]]:
        """The occasion's chunks ranked by the question without the words naming it, which its
        passages all match alike: "How many volunteers…, per the February 2018 meeting on
        preparations for the 2019 Winter Universiade?" asks that meeting about volunteers. Fused
        on their own (at the dense share of a named transcript), so that the library's scores
        of the whole question do not outweigh that order."""
        asked = self.occasions().without_occasion(question, scope.transcripts)
        if len(content_terms(asked)) < 2:
            asked = question  # the question is mostly its occasion ("What happened at …?")
        dense, keyword = self._candidates(asked, depth, scope, named, extra, "hybrid")
        return score_fusion([dense, keyword], [DENSE_WEIGHT, 1.0 - DENSE_WEIGHT])

    def _boosted(
        self,
        fused: Sequence[tuple[int, float]],
        stored: Mapping[int, StoredChunk],
        boosts: Boosts,
        scale: float,
    ) -> list[tuple[int, float]]:
        """The fused scores plus the boosts (scaled to the fusion's range); best first."""
        if not (
            boosts.speakers
            or boosts.since
            or boosts.until
            or boosts.titles
            or boosts.near
            or boosts.favoured
        ):
            return list(fused)
        lo, hi = boosts.since or "0000-00-00", boosts.until or "9999-99-99"
        dated = boosts.since is not None or boosts.until is not None
        subjects = set(boosts.speakers)
        near: dict[str, list[int]] = {}
        for tid, utterance in boosts.near:
            near.setdefault(tid, []).append(utterance)
        out: list[tuple[int, float]] = []
        for cid, score in fused:
            s = stored.get(cid)
            if s is None:
                out.append((cid, score))
                continue
            c = s.chunk
            w = self.weights
            extra = w.title * boosts.titles.get(c.transcript_id, 0.0)
            if dated and s.date is not None and lo <= s.date <= hi:
                extra += w.date
            if subjects.intersection(c.speakers):
                extra += w.subject
            if any(
                c.utterance_start - NEAR_UTTERANCES <= u <= c.utterance_end + NEAR_UTTERANCES
                for u in near.get(c.transcript_id, ())
            ):
                extra += w.near
            if c.transcript_id in boosts.favoured:
                extra += w.favoured
            out.append((cid, score + scale * extra))
        return sorted(out, key=lambda kv: (-kv[1], kv[0]))

    def _dense(self, question: str, depth: int, filters: Filters) -> list[tuple[int, float]]:
        allowed = self.library.filtered_chunk_ids(filters)
        if allowed is not None and len(allowed) == 0:
            return []
        # Boosted scopes search again with the same question: its vector is made once (read
        # into a local: the UI's threads share the Retriever).
        cached = self._query_vector
        if cached is None or cached[0] != question:
            cached = (question, self.encoder.encode([question])[0])
            self._query_vector = cached
        query = cached[1]
        scores, ids = self.library.index().search(query, depth, allowed_ids=allowed)
        return [(int(i), float(s)) for s, i in zip(scores, ids, strict=True)]

    def _keyword(
        self,
        question: str,
        depth: int,
        filters: Filters,
        unsearched: Sequence[str] = (),
        extra: Sequence[str] = (),
    ) -> list[tuple[int, float]]:
        match = fts_query(question, unsearched, extra)
        return self.library.keyword_search(match, depth, filters)


def _union(
    first: Sequence[tuple[int, float]], second: Sequence[tuple[int, float]]
) -> list[tuple[int, float]]:
    """Two scored lists of one search (same query, other scopes) as one, best first."""
    best = dict(first)
    for cid, score in second:
        if cid not in best or score > best[cid]:
            best[cid] = score
    return sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))


def _is_common(word: str, vocabulary: Mapping[str, int]) -> bool:
    low = word.lower()
    return max(vocabulary.get(low, 0), vocabulary.get(_porter_stem(low), 0)) >= (COMMON_WORD_CHUNKS)
