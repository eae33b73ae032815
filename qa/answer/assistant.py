"""The assistant: question (+ history, filters) -> standalone question -> passages -> answer."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, TypeVar

import numpy as np
from rapidfuzz import fuzz

from embeddings.base import RememberingEncoder
from embeddings.pair_scorer import pair_scorer_for
from qa.answer.answer_types import (
    answer_type,
    asked_quantity,
    asks_address,
    asks_count,
    asks_day,
    asks_money,
    asks_name,
    asks_share,
    asks_year,
    counted_nouns,
    counts,
    counts_loosely,
    is_opening,
    is_question_sentence,
    is_who_said,
    says_sum,
    says_what_is_called,
    sentence_types,
    shows_address,
    shows_count,
    shows_day,
    shows_figure,
    shows_money,
    shows_name,
    shows_share,
    shows_year,
)
from qa.answer.answerability import (
    AnswerabilityModel,
    Decision,
    answerability_features,
    load_answerability,
)
from qa.answer.counting import (
    Enumeration,
    enumerate_mentions,
    is_enumeration,
    mention_pattern,
    names_the_speaker,
)
from qa.answer.extractive import (
    ABSTAIN_TEXT,
    MAX_ANSWER_SENTENCES,
    RERANK_DEPTH,
    Candidate,
    Claim,
    PairScores,
    answer_text,
    best_word_window,
    candidate_sentences,
    continue_quote,
    explain_quote,
    fact_terms,
    full_names,
    grow_margin,
    grown_back,
    grown_back_to_answer,
    grown_to_answer,
    joined_when_consecutive,
    led_by_answer,
    led_by_outright_answer,
    mentions_any,
    name_key,
    occasion_prior,
    overlaps,
    pair_logits,
    proper_names,
    question_names,
    read_as_answers,
    render_claims,
    score_candidates,
    select_sentences,
    topic_coverage,
    trim_quote,
    verified_claims,
)
from qa.answer.lead import LeadModel, led_by_choice, load_lead_model
from qa.answer.llm import rewrite_messages, standalone_from_reply
from qa.answer.llm_answer import llm_answer_stream
from qa.answer.replies import asking_turn, names_a_role, reply_turn, role_words
from qa.errors import AnswererError, LibraryError, TranscriptQAError
from qa.models import Answer, Citation, Filters, Passage, Timings, Utterance
from qa.retrieve.followup import Standalone, Turn, make_standalone
from qa.retrieve.names import family_in
from qa.retrieve.occasion import names_an_occasion
from qa.retrieve.query import detect_speakers
from qa.retrieve.retriever import Boosts, Retrieval, Retriever
from qa.retrieve.spanning import spanning_parts
from qa.sentences import sentence_spans
from qa.settings import Settings
from qa.store.cache import StoredFirstEncoder
from qa.store.library import Library
from qa.text import plain_words, topic_terms

if TYPE_CHECKING:
    from qa.answer.llm_client import ChatClient

log = logging.getLogger(__name__)

# Whether a quote's text shows what a check asks for.
TextCheck = Callable[[str], bool]
# Longest quote shown for one sentence; a longer sentence shows its best window.
MAX_QUOTE_WORDS = 45
MAX_LISTED_MENTIONS = 10
# Longest continuation added to a lead quote that ends mid-clause, in words and in utterances
# (subtitle cues of a few words each).
CONTINUATION_WORDS = 30
CONTINUATION_CUES = 3
# A reply's opening shorter than this ("No.", "I don't think so.") is quoted with the sentence
# after it.
REPLY_MIN_WORDS = 8
# Answer types whose absence from the lead sentence means the evidence lacks the fact: a
# quantity, a date. (Person and place are read from capitals, too loosely to refuse on.)
TYPES_REQUIRED = frozenset({"number", "date"})
# How far down a yes/no question's quotes a yes or a no said outright is looked for to lead.
OUTRIGHT_DEPTH = 8
# Answer types whose questions frame what they ask for rather than name it.
FRAMED_TYPES = frozenset({"reason", "person", "place", "list"})
# How close (rapidfuzz ratio, 0-100) a name must be to a speaker's or a title's word to count as
# that name misspelt.
NAME_SIMILARITY = 80
# Letters of a question's name a transcript's word must start with to mention it.
NAME_PREFIX_LETTERS = 5
# The shortest part of a compound name said as two words ("Tik Tok").
MIN_COMPOUND_PART = 3
# A name in more than this share of the library's chunks does not tell its transcripts apart.
COMMON_NAME_SHARE = 0.05
COMMON_NAME_MIN_CHUNKS = 10


@dataclass
class AnswerEvent:
    """A step of a streamed answer: partial text while it is written, then the final Answer
    with the whole ranking it was answered from (`retrieval`, possibly deeper than its passages).
    """

    text: str
    answer: Answer | None = None
    retrieval: Retrieval | None = None


@dataclass
class Conversation:
    """The turns of one chat, enough for follow-ups to lean on."""

    turns: list[Turn] = field(default_factory=list)

    def add(self, answer: Answer) -> None:
        self.turns.append(turn_of(answer))


def turn_of(answer: Answer) -> Turn:
    speakers = tuple(dict.fromkeys(c.speaker for c in answer.citations if c.speaker))
    transcripts = tuple(dict.fromkeys(c.transcript_id for c in answer.citations))
    return Turn(
        answer.question,
        answer.standalone_question,
        answer.filters,
        speakers,
        transcripts,
        answer.text,
        tuple(
            (c.transcript_id, u)
            for c in answer.citations
            for u in range(c.utterance_start, c.utterance_end + 1)
        ),
    )


T = TypeVar("T")


def in_turn(lists: Sequence[Sequence[T]]) -> Iterator[tuple[int, T]]:
    """The lists' items taken in turn, first of each, then second of each…, with their rank."""
    for rank in range(max((len(items) for items in lists), default=0)):
        for items in lists:
            if rank < len(items):
                yield rank, items[rank]


def interleaved(rankings: Sequence[Sequence[Passage]]) -> tuple[Passage, ...]:
    """The rankings' passages taken in turn, each passage once."""
    seen: set[tuple[str, int, int]] = set()
    out: list[Passage] = []
    for _, p in in_turn(rankings):
        key = (p.transcript_id, p.utterance_start, p.utterance_end)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return tuple(out)


def joined(question: str, rankings: Sequence[Retrieval]) -> Retrieval:
    """The parts' rankings as one: their passages in turn, filters that cover both."""
    first, *rest = rankings
    filters = first.filters
    for other in rest:
        filters = covering(filters, other.filters)
    return replace(
        first,
        query=question,
        passages=interleaved([r.passages for r in rankings]),
        filters=filters,
    )


def covering(a: Filters, b: Filters) -> Filters:
    """Filters that let through what either part's let through: the span of both parts'
    dates, and speakers or transcripts (both parts' together) only when each part has some."""
    return Filters(
        speakers=tuple(dict.fromkeys(a.speakers + b.speakers)) if a.speakers and b.speakers else (),
        transcripts=(
            tuple(dict.fromkeys(a.transcripts + b.transcripts))
            if a.transcripts and b.transcripts
            else ()
        ),
        since=min(a.since, b.since) if a.since and b.since else None,
        until=max(a.until, b.until) if a.until and b.until else None,
        undated=a.undated or b.undated,
    )


def each_in_turn(
    chosen: Sequence[Sequence[Candidate]], max_words: int, per_part: int = 2
) -> list[Candidate]:
    """The parts' quotes in turn, each part's best first, at most `per_part` of each, within
    max_words words (each part's best whatever its length) and never one quote twice."""
    out: list[Candidate] = []
    words = 0
    for rank, quote in in_turn(chosen):
        if rank >= per_part:
            break
        n = len(quote.text.split())
        if any(overlaps(q, quote) for q in out) or (rank and words + n > max_words):
            continue
        out.append(quote)
        words += n
    return out


class Assistant:
    """Answers questions over one library; safe to share between conversations (no chat state)."""

    def __init__(
        self,
        library: Library,
        settings: Settings,
        llm: ChatClient | None = None,
        answerability: AnswerabilityModel | None = None,
        pair_scores: PairScores | None = None,
        lead_model: LeadModel | None = None,
    ) -> None:
        self.library = library
        self.settings = settings
        # The learned check that the chosen quotes answer at all (the shipped weights unless
        # given: eval/train_answerability.py gives one that records and never refuses).
        self.answerability = answerability or load_answerability()
        # Which of the best sentences leads (the shipped weights unless given:
        # eval/train_lead.py gives one that records and keeps the scorer's lead).
        self.lead_model = lead_model or load_lead_model()
        # One encoder for questions and answer sentences: sentence vectors stored at ingest come
        # from the library, and what it had to embed it remembers (the answerer meets the
        # question again, and follow-ups meet the same passages).
        self.encoder = RememberingEncoder(StoredFirstEncoder(library))
        self.retriever = Retriever(library, mode=settings.retriever, encoder=self.encoder)
        # The cross-encoder that reorders the scorer's best sentences: the shipped one for the
        # bundled model unless one is given or the setting is off.
        if pair_scores is None and settings.pair_scorer:
            scorer = pair_scorer_for(self.encoder.name)
            pair_scores = scorer.scores if scorer is not None else None
        self.pair_scores = pair_scores
        self.llm = llm  # a qa.answer.llm_client.LLMClient when an endpoint is configured

    # -------------------------------------------------------------------------------- asking

    def known_speakers(self) -> list[str]:
        """The library's speakers, the most frequent first (what detect_speakers reads)."""
        return [name for name, _ in self.library.speakers()]

    def standalone(self, question: str, history: Sequence[Turn]) -> Standalone:
        """The follow-up made self-contained: by the LLM when one is set, else offline."""
        home = history[-1].cited_transcripts[:1] if history else ()
        speaking_there = self.retriever.known_speakers(Filters(transcripts=home)) if home else ()
        offline = make_standalone(question, history, self.known_speakers(), speaking_there)
        if self.llm is None or not history:
            return offline
        pairs = [(t.question, t.answer) for t in history]
        try:
            reply = self.llm.chat(rewrite_messages(question, pairs))
        except AnswererError as exc:
            log.warning("LLM rewrite failed, using the offline one: %s", exc)
            return offline
        return Standalone(
            standalone_from_reply(reply, offline.question),
            offline.filters,
            reply_to=offline.reply_to,
            replier=offline.replier,
            reply_maybe=offline.reply_maybe,
        )

    def retrieve(
        self,
        question: str,
        history: Sequence[Turn] = (),
        filters: Filters | None = None,
        *,
        k: int | None = None,
        mode: str | None = None,
    ) -> tuple[Standalone, Retrieval]:
        """The standalone question and the passages retrieved for it."""
        user = filters or Filters()
        standalone = self.standalone(question, history)
        carried = standalone.filters
        merged = user.over(carried)
        retrieval = self.retriever.retrieve(
            standalone.question,
            k or self.settings.top_k,
            merged,
            mode=mode,
            near=standalone.near,
            favoured=standalone.favoured,
        )
        return standalone, retrieval

    def ask(
        self,
        question: str,
        history: Sequence[Turn] = (),
        filters: Filters | None = None,
        *,
        k: int | None = None,
        mode: str | None = None,
    ) -> Answer:
        """A cited answer (or an abstention with the closest passages)."""
        return self.ask_ranked(question, history, filters, k=k, mode=mode)[0]

    def ask_ranked(
        self,
        question: str,
        history: Sequence[Turn] = (),
        filters: Filters | None = None,
        *,
        k: int | None = None,
        mode: str | None = None,
        depth: int | None = None,
    ) -> tuple[Answer, Retrieval]:
        """The answer from the first k passages of one ranking `depth` passages deep, and that
        ranking: what an evaluation scores is then exactly what the answer used."""
        for event in self.stream(question, history, filters, k=k, mode=mode, depth=depth):
            if event.answer is not None and event.retrieval is not None:
                return event.answer, event.retrieval
        raise AssertionError("stream() always ends with the answer")

    def stream(
        self,
        question: str,
        history: Sequence[Turn] = (),
        filters: Filters | None = None,
        *,
        k: int | None = None,
        mode: str | None = None,
        depth: int | None = None,
    ) -> Iterator[AnswerEvent]:
        """Answer events: partial texts (LLM streaming), then one event carrying the Answer.

        `depth` (at least k) retrieves that many passages once and answers from the first k.
        """
        question = question.strip()
        if not any(ch.isalnum() for ch in question):
            # Without a word there is nothing to search for; any "answer" would be made up.
            raise TranscriptQAError(
                f"the question {question!r} has no words to search the transcripts for"
            )
        top_k = k or self.settings.top_k
        started = time.perf_counter()
        # "… in the 2018 NBC interview and in the 2019 FT interview?": each part is searched on
        # its own (one search would filter on one of the dates), the passages taken in turn.
        parts = None if is_enumeration(question) else spanning_parts(question)
        asked = [
            self.retrieve(part, history, filters, k=max(top_k, depth or 0), mode=mode)
            for part in parts or (question,)
        ]
        # Each part answers from its first k passages; the answer holds both parts'.
        answering = [(part, replace(r, passages=r.passages[:top_k])) for part, r in asked]
        if parts:
            standalone = self.standalone(question, history)
            ranking = joined(question, [r for _, r in asked])
            retrieval = replace(ranking, passages=interleaved([r.passages for _, r in answering]))
        else:
            (standalone, ranking), (_, retrieval) = asked[0], answering[0]
        retrieved = time.perf_counter()
        notices: list[str] = []
        answer: Answer | None = None
        if standalone.reply_to is not None and not parts:
            # "And what did Putin answer?": the reply is in the transcript's next turns, not
            # where the last question's words are.
            answer = self._reply(question, standalone, retrieval, ())
        if (
            answer is None
            and self.llm is not None
            and retrieval.passages
            and not is_enumeration(standalone.question)
        ):
            try:
                for partial in self._llm_stream(question, standalone, retrieval):
                    if isinstance(partial, Answer):
                        answer = partial
                    else:
                        yield AnswerEvent(partial)
            except AnswererError as exc:
                log.warning("LLM answerer failed: %s", exc)
                notices.append(f"The LLM endpoint failed ({exc}); showing the extractive answer.")
        if answer is None and is_enumeration(standalone.question):
            answer = self._enumeration(question, standalone, retrieval)
        if answer is None and parts:
            answer = self._in_parts(question, standalone, retrieval, answering, tuple(notices))
        if answer is None:
            answer = self._extractive(question, standalone, retrieval, tuple(notices))
        timings = Timings(retrieved - started, time.perf_counter() - started)
        answer = replace(answer, timings=timings)
        yield AnswerEvent(answer.text, answer, ranking)

    def _in_parts(
        self,
        question: str,
        standalone: Standalone,
        retrieval: Retrieval,
        asked: Sequence[tuple[Standalone, Retrieval]],
        notices: tuple[str, ...],
    ) -> Answer:
        """A question spanning two occasions answered part by part: each part's quotes from
        its own passages, the best of each in turn (`retrieval` holds both parts' passages)."""
        chosen = [self._choose(part.question, part, r, ()) for part, r in asked]
        said = [f"Asked in two parts: {' and '.join(f'“{p.question}”' for p, _ in asked)}."]
        for (part, _), quotes in zip(asked, chosen, strict=True):
            if isinstance(quotes, Answer):
                said += [f"No quote answers “{part.question}”.", *quotes.notices]
        quotes = each_in_turn(
            [[] if isinstance(c, Answer) else c for c in chosen], self.settings.answer_max_words
        )
        if not quotes:
            return self.abstention(question, standalone, retrieval, (*notices, *said))
        return self._rendered(question, standalone, retrieval, quotes, (*notices, *said))

    # --------------------------------------------------------------------- extractive answerer

    def _embed(self, texts: list[str]) -> np.ndarray:
        return self.encoder.encode(texts)

    def passage_utterances(self, passage: Passage) -> list[Utterance]:
        return self.library.utterances(
            passage.transcript_id, passage.utterance_start, passage.utterance_end
        )

    def stored_spans(
        self, passages: Sequence[Passage]
    ) -> Callable[[str, Utterance], list[tuple[int, int]]]:
        """Sentence spans of the passages' utterances: stored at ingest, else split now."""
        stored: dict[tuple[str, int], list[tuple[int, int]]] = {}
        for p in passages:
            spans = self.library.sentence_spans(p.transcript_id, p.utterance_start, p.utterance_end)
            stored.update(((p.transcript_id, index), s) for index, s in spans.items())

        def spans_of(transcript_id: str, utterance: Utterance) -> list[tuple[int, int]]:
            found = stored.get((transcript_id, utterance.index))
            return sentence_spans(utterance.text) if found is None else found

        return spans_of

    def citation_utterances(self, citation: Citation) -> list[Utterance]:
        return self.library.utterances(
            citation.transcript_id, citation.utterance_start, citation.utterance_end
        )

    def _extractive(
        self, question: str, standalone: Standalone, retrieval: Retrieval, notices: tuple[str, ...]
    ) -> Answer:
        chosen = self._choose(question, standalone, retrieval, notices)
        if isinstance(chosen, Answer):
            return chosen
        return self._rendered(question, standalone, retrieval, chosen, notices)

    def _reply(
        self, question: str, standalone: Standalone, retrieval: Retrieval, notices: tuple[str, ...]
    ) -> Answer | None:
        """The opening of the turn that replied to the exchange the last answer led with
        (qa.answer.replies), and its sentence most like the question asked there; an
        abstention when the person asked about does not reply there. None (the question is
        then searched) when the exchange is no longer in the library, when "What did X say?"
        finds no reply by X, or when the reply only asks back."""
        assert standalone.reply_to is not None
        transcript_id, index = standalone.reply_to
        try:
            transcript = self.library.transcript(transcript_id)
        except LibraryError:
            return None  # removed since the last answer
        at = {u.index: u for u in transcript.utterances}
        if index not in at:
            return None
        who = standalone.replier
        repliers = detect_speakers(who, self.known_speakers()) if who else []
        roles = [] if repliers else role_words(who)
        following = [u for u in transcript.utterances if u.index > index]
        # "the witness", "the Northern Ireland Secretary" may label nobody ("Mr. Rees"): the
        # next speaker replied. A name that labels nobody there is someone who did not.
        else_next = not who or (not repliers and names_a_role(who))
        asked = asking_turn(at[index], following)
        turn = reply_turn(asked, following, repliers, roles, else_next)
        if not turn and standalone.reply_maybe:
            return None  # "What did Rob Pike say?": what he said elsewhere, searched for
        if not turn:
            silent = (
                f"{' or '.join(repliers) or who} does not speak after the exchange the last answer "
                f"quoted ({transcript.title or transcript_id}, #u{index})."
            )
            return self.abstention(question, standalone, retrieval, (*notices, silent))
        passage = Passage(
            transcript_id,
            transcript.title,
            transcript.date,
            turn[0].index,
            turn[-1].index,
            tuple(dict.fromkeys(u.canonical_speaker for u in turn if u.canonical_speaker)),
            "\n".join(u.text for u in turn),
            score=0.0,
        )
        candidates = candidate_sentences([passage], lambda _: turn, self.stored_spans([passage]))
        telling = [c for c in candidates if not is_question_sentence(c.text)]
        if not telling:
            return None
        opening = telling[0]
        # "I don't think so." says little alone: the sentence after it goes with it.
        if not opening.pair and len(opening.text.split()) < REPLY_MIN_WORDS:
            paired = [c for c in telling if c.pair and c.start == opening.start]
            opening = next(iter(paired), opening)
        opening = trim_quote(opening, (), MAX_QUOTE_WORDS)
        utterance_at = self.utterance_at({(transcript_id, u.index): u for u in turn})
        opening = continue_quote(opening, utterance_at, CONTINUATION_WORDS, CONTINUATION_CUES)
        quotes = [opening]
        # A long reply answers the question asked further on too ("Well, this is just another
        # piece of nonsense." … "There was no relationship whatsoever."): its sentence most
        # like that question goes second.
        rest = [c for c in telling if not c.pair and not overlaps(c, opening)]
        if rest:
            vectors = self._embed([asked.text, *(c.text for c in rest)])
            closest = rest[int(np.argmax(vectors[1:] @ vectors[0]))]
            closest = trim_quote(closest, (), MAX_QUOTE_WORDS)
            words = len(opening.text.split()) + len(closest.text.split())
            if words <= self.settings.answer_max_words:
                quotes.append(closest)
        return self._rendered(question, standalone, retrieval, quotes, notices, said="replied")

    def _rendered(
        self,
        question: str,
        standalone: Standalone,
        retrieval: Retrieval,
        chosen: Sequence[Candidate],
        notices: tuple[str, ...],
        said: str = "said",
    ) -> Answer:
        """The chosen quotes as the answer's cited sentences; an abstention when none verifies."""
        several = len({c.passage.transcript_id for c in chosen}) > 1
        who = is_who_said(standalone.question)
        claims = verified_claims(
            render_claims(chosen, several_transcripts=several, said=said, as_labelled=who),
            self.citation_utterances,
        )
        if not claims:
            unverified = "None of the chosen quotes verifies against the utterance it cites."
            return self.abstention(question, standalone, retrieval, (*notices, unverified))
        return self._answer(question, standalone, retrieval, claims, notices)

    def _choose(
        self, question: str, standalone: Standalone, retrieval: Retrieval, notices: tuple[str, ...]
    ) -> list[Candidate] | Answer:
        """The quotes that answer, best first; or the abstention, with why."""
        passages = retrieval.passages
        # The utterances of the passages and the one before each: a reply's question.
        known: dict[tuple[str, int], Utterance] = {}

        def utterances_of(passage: Passage) -> list[Utterance]:
            start = max(0, passage.utterance_start - 1)
            found = self.library.utterances(passage.transcript_id, start, passage.utterance_end)
            known.update(((passage.transcript_id, u.index), u) for u in found)
            return [u for u in found if u.index >= passage.utterance_start]

        candidates = candidate_sentences(passages, utterances_of, self.stored_spans(passages))
        # The question as searched: the standalone one, less a time range it named ("around
        # minute 12" is a filter, not words to find).
        searched = retrieval.query
        # The question's topic words, once: for scoring, the evidence gap and the quote windows.
        terms = topic_terms(searched, retrieval.filters.speakers)
        boosts = retrieval.boosts
        # The words naming the occasion the question names: no fact's, and no subject a quote
        # must repeat (the answerability check below reads them too).
        occasion = self.occasion_words(set(boosts.titled()))
        wanted_terms = fact_terms(standalone.question, terms, occasion)
        scored = score_candidates(
            searched,
            candidates,
            self._embed,
            retrieval.filters.speakers,
            terms=terms,
            previous=lambda c: known.get((c.passage.transcript_id, c.utterance.index - 1)),
            facts=wanted_terms,
            occasion=occasion_prior(boosts.titles, boosts.since, boosts.until),
            addressed=boosts.addressed,
            encoder_name=self.encoder.name,
            pair_scores=self.pair_scores,
        )
        # "…at his December 2019 news conference", "…in the 3Blue1Brown video": when the
        # question names a transcript by its title, the answer comes from it, not from another
        # occasion's words on the same topic (on dev, 21 of 22 such questions are answered in
        # a named transcript).
        named_occasions = set(boosts.titled()) if names_an_occasion(standalone.question) else set()
        on_occasion = [c for c in scored if c.passage.transcript_id in named_occasions]
        wanted = answer_type(standalone.question)

        def gives_wanted(c: Candidate) -> bool:
            """Whether the quote gives the kind of answer asked for (a number, a date…)."""
            return wanted in sentence_types(c.text, standalone.question)

        # A question asking for a cause, a person, a place or a list frames it in words the
        # answer need not repeat ("Who was named volunteer of the year…", "Why did Zimin step
        # down…"); those of a figure, a date or a topic ("What did Putin say about trade…")
        # must be there.
        who_said = is_who_said(standalone.question)
        framed = wanted in FRAMED_TYPES or who_said
        if on_occasion and wanted_terms and not framed:
            there = [p for p in passages if p.transcript_id in named_occasions]
            # The named occasion's closest passages never use the words of the fact asked for,
            # and the pair scorer reads none of its sentences as the answer (speech says it in
            # its own words: "we initiated on August 24, 2016" for when an operation was
            # launched): the topic belongs to another occasion.
            if not any(mentions_any(wanted_terms, p.text) for p in there) and not (
                self.pair_scores is not None
                and read_as_answers(searched, on_occasion[:RERANK_DEPTH], self.pair_scores)
            ):
                titles = sorted({f"“{p.title or p.transcript_id}”" for p in there})
                absent = f"{' and '.join(titles)}: no passage mentions {', '.join(wanted_terms)}."
                return self.abstention(question, standalone, retrieval, (*notices, absent))
        # A follow-up that names no person, date or occasion of its own ("Where was the
        # second part filmed?") continues the conversation's transcript: retrieval favours it,
        # and the answer comes from it when it has any candidate.
        continuing = (
            []
            if named_occasions
            else [c for c in scored if c.passage.transcript_id in standalone.favoured]
        )
        scored = on_occasion or continuing or scored
        # The opening that names the hearing, the show or the lecture ("Good morning. This is
        # the transcribed interview of Glenn Simpson.", "In this episode of AWS Bytes, we'll
        # try to demystify…") shares the words the question names its occasion with, and holds
        # no claim: it comes after every other quote. It does say who speaks and where ("Hi
        # everyone, I'm Dr Federico Andreis and this is the third lecture…"): for a question
        # asking for a person or a place (not who said something) it keeps its rank.
        if who_said or wanted not in ("person", "place"):
            scored = sorted(scored, key=lambda c: is_opening(c.text))
        # "How many students enrolled on Wales's part-time PGCE?": a figure from a transcript
        # that never names Wales or the PGCE is about something else.
        names = self.telling_names(question_names(standalone.question, retrieval.filters.speakers))
        if names:
            naming = self.transcripts_naming(names, passages, boosts.names)
            # When no transcript of the passages names them, the names are the occasion's or
            # spelt otherwise ("the Kremlin meeting", "the Senedd committee", "SPIEF"), not what
            # tells the answer from another transcript's: the quotes stay, and the checks below
            # decide (refusing here, the looked-at suites lost 6 answerable questions for 1
            # near-miss).
            scored = [c for c in scored if c.passage.transcript_id in naming] or scored
        # A follow-up that stays in the last answer's exchange says little of its own and
        # refers back ("And what was the equivalent figure for the G7?", "And how many got them
        # in 2013?"): its words need not stand beside the figure, which is sought where the
        # conversation already is. Its figure is still required; the checks below only order.
        # (On the suites they refused 11 answerable follow-ups; none of their near-misses is one.)
        leaning = bool(continuing)

        def narrowed(pool: list[Candidate], kept: list[Candidate]) -> list[Candidate] | None:
            """The quotes a check keeps; None when it keeps none and so refuses the question
            (a leaning follow-up's quotes are only ordered: it keeps the pool)."""
            return kept or (pool if leaning else None)

        # The narrower kinds of figure the quotes showed one of ("What share…?": a share): the
        # lead must show it too.
        narrowing: list[TextCheck] = []
        if wanted in TYPES_REQUIRED:
            # "How much…" is answered by a sentence with a quantity, and a quantity near the
            # topic is not the one asked for: the best such sentence whose utterance uses a
            # word naming the fact ("net income") leads; without one the topic is there but
            # the fact is not.
            typed = [c for c in scored if gives_wanted(c)]
            # The quotes the pair scorer reads as the answer, for a check of the question's
            # words to fall back on: speech names a fact in its own words ("350,000 employees
            # on the company's payroll" for Rosneft's workforce, "we should target selling
            # price of twenty-five Euro" for the retail price).
            read: list[Candidate] | None = None

            def read_as_answering(pool: list[Candidate]) -> list[Candidate]:
                nonlocal read
                if leaning or self.pair_scores is None:
                    return []
                if read is None:
                    read = read_as_answers(searched, typed[:RERANK_DEPTH], self.pair_scores)
                return [c for c in read if any(c.text == kept.text for kept in pool)]

            if wanted_terms and typed:
                named = [c for c in typed if mentions_any(wanted_terms, self._near(c, known))]
                if not named:
                    named = read_as_answering(typed)
                kept = narrowed(typed, named)
                if kept is None:
                    absent = f"No quote with a {wanted} mentions {', '.join(wanted_terms)}."
                    return self.abstention(question, standalone, retrieval, (*notices, absent))
                typed = kept
            # "What was Kozhemyako's population figure…?": a figure beside other fact words
            # ("72 billion rubles" for the region) is not the population; the noun naming the
            # quantity asked for is there.
            head = asked_quantity(standalone.question)
            if typed and head in wanted_terms:
                headed = [c for c in typed if mentions_any([head], self._near(c, known))]
                kept = narrowed(typed, headed or read_as_answering(typed))
                if kept is None:
                    absent = f"No quote with a {wanted} mentions {head}."
                    return self.abstention(question, standalone, retrieval, (*notices, absent))
                typed = kept
            # Narrower kinds of the fact, each answered only by its own kind of figure: "How
            # much did Microsoft spend…?" by an amount of money (not a count or a share near the
            # topic); "In which year…?" by a year (not "for 2 or 3 years"); "How many test
            # launches…?" by a number of launches (not "38 new staff members").
            nouns = counted_nouns(standalone.question) if wanted == "number" else ()
            # Each check with the looser one it falls back on when no quote passes it.
            narrower: list[tuple[bool, TextCheck, TextCheck | None, str]] = [
                # A call or a meeting leaves the currency unsaid: "EBITDA finished at 20.4
                # million."
                (asks_money(standalone.question), shows_money, says_sum, "an amount of money"),
                # "By what percentage did the gross regional product grow?": not by "increased
                # to 1.811 trillion rubles".
                (asks_share(standalone.question), shows_share, None, "a share"),
                (
                    asks_count(standalone.question),
                    lambda text: shows_count(text, standalone.question),
                    None,
                    "a count",
                ),
                (wanted == "date" and asks_year(standalone.question), shows_year, None, "a year"),
                # Not the pair scorer's reading: it reads "The school has 940 students" as how
                # many students an ethnic studies course has.
                (
                    bool(nouns),
                    lambda text: any(counts(noun, text) for noun in nouns),
                    # Speech counts without naming the noun beside the figure.
                    lambda text: any(counts_loosely(noun, text) for noun in nouns),
                    f"a number of {' or '.join(nouns)}",
                ),
            ]
            for asked, shows, looser, kind in narrower:
                if not (asked and typed):
                    continue
                check = shows
                showing = [c for c in typed if check(c.text)]
                if not showing and looser is not None:
                    check = looser
                    showing = [c for c in typed if check(c.text)]
                kept = narrowed(typed, showing)
                if kept is None:
                    absent = f"No quote gives {kind}."
                    return self.abstention(question, standalone, retrieval, (*notices, absent))
                if showing:
                    narrowing.append(check)
                typed = kept
            # "On what date will Putin attend the festival?" is not answered by "next year, in
            # 2020". A check, not a choice: the quote naming a day need not be the answer, and
            # put first it let three near-misses through the learned check on the looked-at
            # suites (the lead choice below still reads the quotes side by side).
            if typed and wanted == "date" and asks_day(standalone.question):
                days = [c for c in typed if shows_day(c.text)]
                if narrowed(typed, days) is None:
                    absent = "No quote gives a day."
                    return self.abstention(question, standalone, retrieval, (*notices, absent))
            scored = typed[:1] + [c for c in scored if not typed or c is not typed[0]]
            if not typed:
                absent = f"No quote gives a {wanted}."
                return self.abstention(question, standalone, retrieval, (*notices, absent))
        # A name question's quotes are checked twice: the best three here, those it would cite
        # once they are chosen (below).
        asks_for_name = asks_name(standalone.question) and not leaning

        def gives_name(text: str) -> bool:
            return shows_name(text, standalone.question)

        # A speaker names a thing, then says what it is ("…a project called Childhood Vector
        # 2018. This project is aimed at…"): a quote that names nothing is grown back to the
        # sentence before it when that one says what the thing is called (not to any
        # capitalised word: "I congratulate the Russian participants…" names no tanker).
        def called_before(c: Candidate) -> Candidate | None:
            return grown_back(c, lambda text: says_what_is_called(text, standalone.question))

        # What the question asks to have spelt out, which one of the best quotes must spell.
        spelt: list[tuple[bool, Callable[[Candidate], bool], str]] = [
            # "What is the name of the US special envoy…?": quotes about the envoy that name
            # nobody the question does not already name are its topic, not its answer.
            (
                asks_for_name,
                lambda c: gives_name(c.text) or called_before(c) is not None,
                "a name",
            ),
            # "What exact provider URL do you type in?": talk about the URL spells out none.
            (
                asks_address(standalone.question) and not leaning,
                lambda c: shows_address(c.text),
                "an address",
            ),
        ]
        best = scored[:MAX_ANSWER_SENTENCES]
        for asked, spells, what in spelt:
            if asked and best and not any(spells(c) for c in best):
                absent = f"No quote gives {what}."
                return self.abstention(question, standalone, retrieval, (*notices, absent))
        if not scored:
            absent = "The closest passages hold no sentence to quote."
            return self.abstention(question, standalone, retrieval, (*notices, absent))
        # A quote of no probability at all (a sentence that asks) is never quoted
        # (select_sentences), whatever abstain_threshold says: with it at 0 the answer would
        # have nothing to cite.
        below = scored[0].score < self.settings.abstain_threshold
        if below or scored[0].score <= 0.0:
            unlike = (
                f"The best quote's probability of answering, {scored[0].score:.3f}, is below "
                f"abstain_threshold ({self.settings.abstain_threshold})."
                if below
                else "No quote has any probability of answering."
            )
            return self.abstention(question, standalone, retrieval, (*notices, unlike))
        gap = self.evidence_gap(searched, retrieval, terms, leaning=leaning)
        if gap:
            return self.abstention(question, standalone, retrieval, (*notices, gap))
        # A near-miss passes every check above: quotes on the topic, with a figure, that are
        # not the fact asked for. The learned check reads the whole decision.
        decision = Decision(
            scores=[c.score for c in scored[:2]],
            lead=scored[0].text,
            near=self._near(scored[0], known),
            terms=terms,
            occasion=occasion,
            document_frequency=lambda term: self.library.term_count(term.lower()),
            chunks=self.library.chunk_count(),
            facts=wanted_terms,
            wanted=wanted,
            leaning=leaning,
            names=bool(names),
            pair=self.pair_logit(searched, scored[0]),
        )
        if self.answerability.refuses(answerability_features(decision)):
            doubt = "The closest quotes are on the topic but do not seem to say what was asked."
            return self.abstention(question, standalone, retrieval, (*notices, doubt))
        if self.pair_scores is not None:
            lead = scored[0].passage.transcript_id

            def may_lead(c: Candidate) -> bool:
                """The lead's transcript chose the occasion, an opening holds no claim, and a
                figure or a date question is led by a quote that gives one, of the kind asked
                when the quotes show it ("…recruiting to about 65 per cent of those targets", not
                "…to consider (1) becoming a teacher, and (2)…", asked for a share)."""
                typed = wanted not in TYPES_REQUIRED or gives_wanted(c)
                kind = all(shows(c.text) for shows in narrowing)
                return c.passage.transcript_id == lead and not is_opening(c.text) and typed and kind

            # Which of the best sentences answers, read side by side (qa.answer.lead): the
            # pair scorer alone prefers the one that restates the question.
            best = led_by_choice(
                searched, scored[:RERANK_DEPTH], self.pair_scores, self.lead_model, may_lead
            )
            scored = [*best, *scored[RERANK_DEPTH:]]
        if wanted == "yesno":
            scored = led_by_outright_answer(scored, OUTRIGHT_DEPTH)
        chosen = select_sentences(scored, self._embed, max_words=self.settings.answer_max_words)
        # A long quote is cut to its window richest in the question's words; for a figure,
        # one that keeps a figure ("On May 21, 2014 in Shanghai, … a memorandum … was signed").
        shows_asked = (
            (lambda text: shows_figure(text, standalone.question))
            if wanted in TYPES_REQUIRED
            else None
        )
        chosen = [trim_quote(c, terms, MAX_QUOTE_WORDS, shows_asked) for c in chosen]
        if self.pair_scores is not None:
            # The scorer chose the quotes from features of each; the pair scorer, reading
            # question and quote together, says which of them answers: that one leads.
            chosen = led_by_answer(searched, chosen, self.pair_scores)
        quotes = joined_when_consecutive(
            self.finished(searched, chosen, wanted, known, asks_for_name)
        )
        # The check above read the best quotes by the scorer; those cited are chosen later and
        # can be others: "Which Moscow hospital…?" cited only "When you arrive at the hospital,
        # please call me." A name question is answered by a quote that names, and the answer
        # leads with it: a name further down ("Chairman Grassley…" after "…an official named
        # .") is another's.
        if asks_for_name and not (quotes and gives_name(quotes[0].text)):
            # A lead grown back to what the thing is called names it (shows_name reads what
            # says_what_is_called does): it is not read again.
            grown = called_before(quotes[0]) if quotes else None
            if grown is None:
                absent = "The quote it would lead with gives no name."
                return self.abstention(question, standalone, retrieval, (*notices, absent))
            quotes = [grown, *(q for q in quotes[1:] if not overlaps(grown, q))]
        return quotes

    def finished(
        self,
        question: str,
        chosen: Sequence[Candidate],
        wanted: str,
        known: dict[tuple[str, int], Utterance],
        asks_for_name: bool = False,
    ) -> list[Candidate]:
        """The chosen quotes, a "why" quote grown to its cause (extractive.explain_quote), the
        lead grown to the sentence after it that the pair scorer reads as the answer
        (extractive.grown_to_answer; a "why" lead that gives no cause unless it reads the two
        as clearly worse, a list's unless it reads them as worse, a list of names' only when
        it reads them as surer: extractive.grow_margin), and each finished when it ends mid-clause
        (extractive.continue_quote); a quote a grown one holds is dropped."""
        quotes: list[Candidate] = []
        utterance_at = self.utterance_at(known)
        for n, quote in enumerate(chosen):
            grown = quote
            if wanted == "reason":
                before = utterance_at(quote.passage.transcript_id, quote.utterance.index - 1)
                grown = explain_quote(quote, CONTINUATION_WORDS, before)
            if n == 0 and grown is quote and self.pair_scores is not None:
                margin = grow_margin(wanted, quote, asks_for_name)
                grown = grown_to_answer(
                    question, quote, self.pair_scores, utterance_at, CONTINUATION_WORDS, margin
                )
                if grown is quote:
                    grown = grown_back_to_answer(
                        question, quote, self.pair_scores, utterance_at, CONTINUATION_WORDS
                    )
            grown = continue_quote(grown, utterance_at, CONTINUATION_WORDS, CONTINUATION_CUES)
            if any(overlaps(q, grown) for q in quotes):
                # Grown into a quote before it: quoted as it was ("This is why I wear watch
                # here." after the sentence it concludes from).
                grown = quote
            if not any(overlaps(q, grown) for q in quotes):
                quotes.append(grown)
        return quotes

    def pair_logit(self, question: str, candidate: Candidate) -> float:
        """The pair scorer's logit of the candidate as an answer to the question; 0 (even odds
        with no answer) without a pair scorer."""
        if self.pair_scores is None:
            return 0.0
        return pair_logits(question, [candidate], self.pair_scores)[0]

    def telling_names(self, names: Sequence[str]) -> list[str]:
        """The names that tell transcripts apart: not those in more than COMMON_NAME_SHARE of
        the library's chunks (and more than a few): "Russia" in a kremlin.ru library, where an
        interview about emigration need never say it."""
        common = max(COMMON_NAME_SHARE * self.library.chunk_count(), COMMON_NAME_MIN_CHUNKS)
        return [n for n in names if self.library.term_count(n.lower()) <= common]

    def transcripts_naming(
        self,
        names: Sequence[str],
        passages: Sequence[Passage],
        spellings: Mapping[str, tuple[str, ...]],
    ) -> set[str]:
        """The passages' transcripts whose text, title, file name, place or description
        mentions one of the names anywhere (or a library spelling of it: ASR misspells names).
        Words are compared by their first letters ("Russian" names Russia)."""
        wanted = [v for name in names for v in (name, *spellings.get(name, ()))]
        prefixes = tuple(name_key(w, NAME_PREFIX_LETTERS) for w in wanted)
        ids = {p.transcript_id for p in passages}
        described = {
            tid
            for tid, text in self.library.transcript_descriptions(ids).items()
            if any(w.lower().startswith(prefixes) for w in plain_words(text))
        }
        return described | self.library.transcripts_mentioning(prefixes, ids)

    def utterance_at(
        self, known: dict[tuple[str, int], Utterance]
    ) -> Callable[[str, int], Utterance | None]:
        """A transcript's utterance by index: from those the passages brought, else stored."""

        def at(transcript_id: str, index: int) -> Utterance | None:
            found = known.get((transcript_id, index))
            if found is None:
                stored = self.library.utterances(transcript_id, index, index)
                found = stored[0] if stored else None
            return found

        return at

    @staticmethod
    def _near(c: Candidate, known: dict[tuple[str, int], Utterance]) -> str:
        """The candidate's utterance and the same speaker's utterance before it: a caption cue
        or an ASR segment often holds the number while the one before names what it counts
        ("full staffing for ladder trucks and hazmat units," / "the price point … $192,000").
        A reply takes the question it answers along, whoever asked it: "What's our production
        cost target?" / "Twelve and a half."."""
        before = known.get((c.passage.transcript_id, c.utterance.index - 1))
        if before is None or (
            before.canonical_speaker != c.utterance.canonical_speaker and "?" not in before.text
        ):
            return c.utterance.text
        return f"{before.text} {c.utterance.text}"

    def evidence_gap(
        self,
        question: str,
        retrieval: Retrieval,
        terms: Sequence[str] | None = None,
        *,
        leaning: bool = False,
    ) -> str | None:
        """Why the passages cannot answer, measured on the hand suite (see README), or None.

        The question's topic words (`terms`, computed here when not given) must occur in the
        retrieved passages at all, and a name it mentions must occur somewhere in the library
        (its text, or a transcript's title, place or speakers):
        "What did Putin say about TikTok?" has close-sounding passages but no transcript says
        TikTok. A follow-up `leaning` on the conversation's transcript asks in its own words
        what the transcript says in others ("And what is its total headcount now?" of a
        corporation whose chairman says "we employ…"): its words need not be there.
        """
        if terms is None:
            terms = topic_terms(question, retrieval.filters.speakers)
        if not leaning and topic_coverage(terms, [p.text for p in retrieval.passages]) == 0:
            return "None of the closest passages uses the question's words."
        speakers = {part for name in retrieval.filters.speakers for part in name.split()}
        # A transcript's place and speakers are mentioned whether or not anyone says them
        # ("after the BRICS summit in Brasilia": the page's place, never its text).
        place_and_speaker_words = self.retriever.place_and_speaker_words()
        unknown = [
            name
            for name in proper_names(question)
            if name not in speakers
            and name.lower() not in place_and_speaker_words
            # the retriever found the library's spellings of a name spelt otherwise
            and name not in retrieval.boosts.names
            and self.library.term_count(name) == 0
            and not self.names_like(name)
            and not family_in(name, self.retriever.name_vocabulary())
            and not self.said_apart(name)
        ]
        # "Mihai Alisie", "Michael Mauboussin" (the ASR wrote "Malbeson"), "Volodymyr Zelensky"
        # (kremlin.ru writes "Vladimir"): a name the library knows beside it says who is meant;
        # one misspelt or transliterated part is no gap.
        partnered = {
            part for name in full_names(question) if not set(name) <= set(unknown) for part in name
        }
        unknown = [name for name in unknown if name not in partnered]
        if unknown:
            return "No transcript in the library mentions " + ", ".join(unknown) + "."
        return None

    def fact_words(self, question: str, terms: Sequence[str], boosts: Boosts) -> list[str]:
        """The words naming the fact a number or date question asks for (extractive.fact_terms),
        less the words of the occasion it names."""
        return fact_terms(question, terms, self.occasion_words(set(boosts.titled())))

    def occasion_words(self, titled: Collection[str]) -> set[str]:
        """Lowercased words of the titles of the `titled` transcripts (those the question names)
        and of every transcript's place and speakers: a question names its occasion with them
        ("on the earnings call"), not the fact it asks for. Only the named titles: in a large
        library nearly every noun is in some title ("trade", "gas", "grain")."""
        # The retriever reads the transcripts once per library generation (reading them for
        # every question cost ~15 ms over 570 transcripts).
        named = {
            w.lower()
            for t in self.retriever.transcripts()
            if t.id in titled
            for w in plain_words(t.title)
        }
        return set(self.retriever.place_and_speaker_words()) | named

    def said_apart(self, name: str) -> bool:
        """Whether the library has the name as two words, as captions and ASR write a
        compound: "West world" for Westworld, "Power Point" for PowerPoint."""
        return any(
            self.library.phrase_count([name[:cut], name[cut:]])
            for cut in range(MIN_COMPOUND_PART, len(name) - MIN_COMPOUND_PART + 1)
        )

    def names_like(self, name: str) -> list[str]:
        """Words of the library's speaker names and titles spelt nearly like `name`: speech
        transcripts misspell names ("Lengsdorf" for Lengstorf), and so do questions."""
        words = {
            w
            for text in self.retriever.known_speakers(Filters())
            + [t.title for t in self.retriever.transcripts()]
            for w in plain_words(text)
            if len(w) >= 4
        }
        return [w for w in words if fuzz.ratio(name.lower(), w.lower()) >= NAME_SIMILARITY]

    def _answer(
        self,
        question: str,
        standalone: Standalone,
        retrieval: Retrieval,
        claims: Sequence[Claim],
        notices: tuple[str, ...],
    ) -> Answer:
        return Answer(
            question=question,
            standalone_question=standalone.question,
            text=answer_text(claims),
            citations=tuple(c.citation for c in claims),
            passages=retrieval.passages,
            abstained=False,
            filters=retrieval.filters,
            notices=notices,
        )

    def abstention(
        self, question: str, standalone: Standalone, retrieval: Retrieval, notices: tuple[str, ...]
    ) -> Answer:
        return Answer(
            question=question,
            standalone_question=standalone.question,
            text=ABSTAIN_TEXT,
            citations=(),
            passages=retrieval.passages,
            abstained=True,
            filters=retrieval.filters,
            notices=notices,
        )

    # ---------------------------------------------------------------------- counting questions

    def count_mentions(self, question: str, filters: Filters) -> Enumeration:
        """Every utterance inside the filters that uses the question's topic words, counted."""
        return enumerate_mentions(self.library, question, filters)

    def _enumeration(
        self, question: str, standalone: Standalone, retrieval: Retrieval
    ) -> Answer | None:
        filters = retrieval.filters
        if not names_the_speaker(standalone.question):
            # "How many times does Docker come up in the episode with Rob Pike?": everyone's.
            detected = set(retrieval.detected.speakers)
            filters = replace(
                filters, speakers=tuple(s for s in filters.speakers if s not in detected)
            )
            retrieval = replace(retrieval, filters=filters)
        found = self.count_mentions(standalone.question, filters)
        if not found.terms:
            return None
        if not found.mentions:
            absent = f"No utterance mentions {', '.join(found.terms)}."
            return self.abstention(question, standalone, retrieval, (absent,))
        said = mention_pattern(found.terms)
        claims: list[Claim] = []
        for n, mention in enumerate(found.mentions[:MAX_LISTED_MENTIONS], 1):
            u = mention.utterance
            spans = sentence_spans(u.text)
            start, end = next(
                ((a, b) for a, b in spans if said.search(u.text[a:b])),
                (0, len(u.text)),
            )
            start, end = best_word_window(u.text, start, end, found.terms, MAX_QUOTE_WORDS)
            quote = u.text[start:end]
            where = f"{mention.title}, {mention.date}" if mention.date else mention.title
            citation = Citation(
                n,
                mention.transcript_id,
                mention.title,
                mention.date,
                u.canonical_speaker,
                u.index,
                u.index,
                quote,
                u.time_at(start),
            )
            claims.append(Claim(f"{where}: \u201c{quote}\u201d", citation))
        claims = verified_claims(claims, self.citation_utterances)
        who = " and ".join(retrieval.filters.speakers) or "The transcripts"
        words = ", ".join(f"\u201c{t}\u201d" for t in found.terms)
        summary = (
            f"{who} used {words} in {len(found.mentions)} utterance"
            f"{'s' if len(found.mentions) != 1 else ''} ({found.occurrences} time"
            f"{'s' if found.occurrences != 1 else ''}) across {len(found.transcripts)} transcript"
            f"{'s' if len(found.transcripts) != 1 else ''}{_date_phrase(retrieval.filters)}."
        )
        if len(found.mentions) > len(claims):
            summary += f" The first {len(claims)}, in date order:"
        text = summary + " " + " ".join(f"{c.text} [{c.citation.n}]" for c in claims)
        if found.related:
            text += (
                f" {len(found.related)} more utterance"
                f"{'s' if len(found.related) != 1 else ''} discuss the topic in other words."
            )
        return Answer(
            question=question,
            standalone_question=standalone.question,
            text=text,
            citations=tuple(c.citation for c in claims),
            passages=retrieval.passages,
            abstained=False,
            filters=retrieval.filters,
        )

    # ---------------------------------------------------------------------------- LLM answerer

    def _llm_stream(
        self, question: str, standalone: Standalone, retrieval: Retrieval
    ) -> Iterator[str | Answer]:
        assert self.llm is not None
        yield from llm_answer_stream(
            self.llm,
            question,
            standalone,
            retrieval,
            max_words=self.settings.answer_max_words,
            utterances_of_passage=self.passage_utterances,
            utterances_of_citation=self.citation_utterances,
            abstain=lambda notices: self.abstention(question, standalone, retrieval, notices),
        )


def _date_phrase(filters: Filters) -> str:
    if filters.since and filters.until:
        return f" between {filters.since} and {filters.until}"
    if filters.since:
        return f" since {filters.since}"
    if filters.until:
        return f" until {filters.until}"
    return ""
