"""Answers written by an LLM, held to the same citation checks as the extractive ones.

The model cites passages ([n]); each such marker becomes a citation of the sentence in that
passage that best supports the claim, verified against the stored utterances. A marker naming no
passage is removed; a sentence left without a valid citation is flagged as unsupported.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

from qa.answer.extractive import (
    Candidate,
    candidate_sentences,
    cite,
    keyword_overlap,
    verify_citation,
)
from qa.answer.llm import answer_messages, is_refusal, split_marked_sentences
from qa.models import Answer, Citation, Passage, Utterance
from qa.retrieve.retriever import Retrieval
from qa.text import content_terms

if TYPE_CHECKING:
    from qa.answer.llm_client import ChatClient
    from qa.retrieve.followup import Standalone

log = logging.getLogger(__name__)

UNSUPPORTED_FLAG = "[unsupported]"
# Below this share of the claim's content words, the cited passage is not taken as support.
MIN_SUPPORT_OVERLAP = 0.2


def supporting_sentence(claim: str, candidates: Sequence[Candidate]) -> Candidate | None:
    """The sentence of a passage that shares most content words with the claim."""
    terms = content_terms(claim)
    best = max(candidates, key=lambda c: keyword_overlap(terms, c.text), default=None)
    if best is None or keyword_overlap(terms, best.text) < MIN_SUPPORT_OVERLAP:
        return None
    return best


def cited_answer(
    raw: str,
    passages: Sequence[Passage],
    utterances_of_passage: Callable[[Passage], Sequence[Utterance]],
    utterances_of_citation: Callable[[Citation], Sequence[Utterance]],
) -> tuple[str, list[Citation]]:
    """The LLM's text with its markers renumbered to verified citations, and those citations."""
    sentences, unknown = split_marked_sentences(raw, len(passages))
    if unknown:
        log.warning("LLM cited passages that do not exist: %s", unknown)
    per_passage = {
        n: candidate_sentences([passages[n - 1]], utterances_of_passage)
        for n in range(1, len(passages) + 1)
    }
    citations: list[Citation] = []
    parts: list[str] = []
    for sentence in sentences:
        numbers: list[int] = []
        for marker in sentence.markers:
            best = supporting_sentence(sentence.text, per_passage.get(marker, []))
            if best is None:
                log.warning("LLM citation [%d] does not support: %s", marker, sentence.text)
                continue
            citation = cite(best, len(citations) + 1)
            problem = verify_citation(citation, utterances_of_citation(citation))
            if problem:
                log.warning("citation dropped: %s", problem)
                continue
            if any(c.ref == citation.ref and c.quote == citation.quote for c in citations):
                numbers.append(next(c.n for c in citations if c.ref == citation.ref))
                continue
            citations.append(citation)
            numbers.append(citation.n)
        if numbers:
            marks = "".join(f"[{n}]" for n in dict.fromkeys(numbers))
            parts.append(f"{sentence.text} {marks}")
        else:
            parts.append(f"{sentence.text} {UNSUPPORTED_FLAG}")
    return " ".join(parts), citations


def llm_answer_stream(
    llm: ChatClient,
    question: str,
    standalone: Standalone,
    retrieval: Retrieval,
    *,
    max_words: int,
    utterances_of_passage: Callable[[Passage], Sequence[Utterance]],
    utterances_of_citation: Callable[[Citation], Sequence[Utterance]],
    abstain: Callable[[tuple[str, ...]], Answer],
) -> Iterator[str | Answer]:
    """Partial texts while the model writes, then the verified Answer (AnswererError on failure).

    `abstain(notices)` is the abstention to give when the model refuses or cites nothing that the
    transcripts support.
    """
    passages = retrieval.passages
    messages = answer_messages(standalone.question, passages, max_words=max_words)
    raw = ""
    for delta in llm.stream_chat(messages):
        raw += delta
        yield raw
    if is_refusal(raw):
        yield abstain(("The LLM found no answer in the closest passages.",))
        return
    text, citations = cited_answer(raw, passages, utterances_of_passage, utterances_of_citation)
    if not citations:
        yield abstain(("The LLM's answer had no citation that the transcripts support.",))
        return
    yield Answer(
        question=question,
        standalone_question=standalone.question,
        text=text,
        citations=tuple(citations),
        passages=passages,
        abstained=False,
        filters=retrieval.filters,
    )
