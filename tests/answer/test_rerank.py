"""The pair scorer reorders the scorer's best sentences; the scorer's probabilities stay with
the places. The shipped pair scorer reads answers in the seed transcript."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pytest

from qa.answer.answer_types import answer_type, asks_name
from qa.answer.extractive import (
    FACT_PAIR_LOGIT,
    LEAD_PAIR_MARGIN,
    LIST_GROW_MARGIN,
    POINTER_GROW_MARGIN,
    REASON_GROW_MARGIN,
    RERANK_DEPTH,
    RERANK_MARGIN,
    RERANK_WEIGHT,
    Candidate,
    grow_margin,
    grown_back_to_answer,
    grown_to_answer,
    joined_when_consecutive,
    led_by_answer,
    read_as_answers,
    rerank_order,
    reranked,
)
from qa.ingest.parsers import read_transcript_file
from qa.models import Passage, Utterance
from tests.conftest import require_shared

# Nazarbayev, Moscow, 30 June 2021 (the seed transcript).
VACCINE = "Where is the Russian vaccine produced in Kazakhstan?"
THANKS = (
    "And sincerely, in person, I would like to thank the Russian side for supporting Kazakhstan "
    "during the pandemic both with vaccines and medicines, and so on."
)
KARAGANDA = (
    "Now in Karaganda, this enterprise produces a Russian vaccine of the same quality and in "
    "large quantities."
)
ASKING = "Where is the Russian vaccine produced?"


def _candidates(
    texts_and_scores: Sequence[tuple[str, float]], speakers: Sequence[str] = ()
) -> list[Candidate]:
    """Candidates of the seed's speaker, or of `speakers` (one per text) when given."""
    out = []
    for i, (text, score) in enumerate(texts_and_scores):
        speaker = speakers[i] if speakers else "Nursultan Nazarbayev"
        utterance = Utterance(i, speaker, speaker, text)
        passage = Passage(
            "seed", "Meeting with Nursultan Nazarbayev", "2021-06-30", i, i, (), "", 1
        )
        out.append(replace(Candidate(0, passage, utterance, 0, len(text)), score=score))
    return out


def _reading(favoured: str, logit: float = 4.0) -> object:
    def pair_scores(question: str, texts: Sequence[str]) -> np.ndarray:
        assert question == VACCINE
        assert all(t.startswith("Nursultan Nazarbayev: ") for t in texts)
        return np.asarray([logit if favoured in t else 0.0 for t in texts])

    return pair_scores


def test_the_pair_scorer_orders_and_the_places_keep_their_probabilities() -> None:
    ranked = _candidates([(THANKS, 0.62), (KARAGANDA, 0.41), ("Thank you.", 0.05)])
    out = reranked(VACCINE, ranked, _reading("Karaganda"))  # type: ignore[arg-type]
    assert [c.text for c in out] == [KARAGANDA, THANKS, "Thank you."]
    assert [c.score for c in out] == [0.62, 0.41, 0.05]
    # A pair logit overturns a surer scorer only when RERANK_WEIGHT times it is more than the
    # scorer's gap: logit(0.62) - logit(0.05) is 3.4.
    gap = math.log(0.62 / 0.38) - math.log(0.05 / 0.95)
    below = _reading("Thank you", gap / RERANK_WEIGHT - 0.1)
    assert reranked(VACCINE, ranked, below)[0].text == THANKS  # type: ignore[arg-type]
    above = _reading("Thank you", gap / RERANK_WEIGHT + 0.1)
    assert reranked(VACCINE, ranked, above)[0].text == "Thank you."  # type: ignore[arg-type]
    out = reranked(VACCINE, ranked, _reading("Thank you", 0.0))  # type: ignore[arg-type]
    assert out[0].text == THANKS


def test_a_sentence_that_asks_and_those_below_the_depth_stay_put() -> None:
    below = [(f"Sentence {i} on Karaganda.", 0.45) for i in range(RERANK_DEPTH)]
    ranked = _candidates([(THANKS, 0.6), *below, (ASKING, 0.0)])
    out = reranked(VACCINE, ranked, _reading("Karaganda"))  # type: ignore[arg-type]
    # logit(0.45) + 4 * RERANK_WEIGHT > logit(0.6): a Karaganda sentence leads, with the lead's
    # probability.
    assert out[0].text == "Sentence 0 on Karaganda." and out[0].score == 0.6
    assert out[RERANK_DEPTH - 1].text == THANKS
    # The last Karaganda sentence is past the depth, and the asking one (0) is never moved.
    assert [c.text for c in out[RERANK_DEPTH:]] == [
        f"Sentence {RERANK_DEPTH - 1} on Karaganda.",
        ASKING,
    ]
    single = _candidates([(THANKS, 0.6), (ASKING, 0.0)])
    assert reranked(VACCINE, single, _reading("Asking")) == single  # type: ignore[arg-type]


def test_a_sure_scorer_is_not_asked() -> None:
    # The scorer's best is surer than the second (at 0.5, logit 0) by more than the margin: its
    # lead stands, and the pair scorer is not run.
    sure = 1.0 / (1.0 + math.exp(-(RERANK_MARGIN + 0.2)))
    ranked = _candidates([(THANKS, sure), (KARAGANDA, 0.5)])

    def never(question: str, texts: Sequence[str]) -> np.ndarray:
        raise AssertionError("asked")

    assert reranked(VACCINE, ranked, never) == ranked


def test_ties_keep_the_scorers_order() -> None:
    w = RERANK_WEIGHT
    assert rerank_order([w, w / 2, 0.0], [0.0, 0.5, 1.0]) == [0, 1, 2]
    assert rerank_order([0.0, 0.0], [0.0, 0.5]) == [1, 0]


def test_a_quote_the_pair_scorer_is_sure_of_answers_in_its_own_words() -> None:
    # The number and date checks ask this of quotes that never use the question's fact words:
    # only a sentence the pair scorer is sure answers stands in for them.
    ranked = _candidates([(THANKS, 0.62), ("Thank you.", 0.3), (KARAGANDA, 0.25)])
    sure = FACT_PAIR_LOGIT + 0.5
    out = read_as_answers(VACCINE, ranked, _reading("Karaganda", sure))  # type: ignore[arg-type]
    # Only the quote read as the answer stays.
    assert [(c.text, c.score) for c in out] == [(KARAGANDA, 0.25)]
    unsure = _reading("Karaganda", FACT_PAIR_LOGIT)
    assert read_as_answers(VACCINE, ranked, unsure) == []  # type: ignore[arg-type]
    assert read_as_answers(VACCINE, [], unsure) == []  # type: ignore[arg-type]

    def surest_last(question: str, texts: Sequence[str]) -> np.ndarray:
        return np.asarray([sure, 0.0, sure + 1.0])

    # Surest first; the probabilities stay with the places of the quotes kept.
    out = read_as_answers(VACCINE, ranked, surest_last)
    assert [(c.text, c.score) for c in out] == [(KARAGANDA, 0.62), (THANKS, 0.25)]


def test_the_quote_the_pair_scorer_is_surer_answers_leads_the_chosen() -> None:
    chosen = _candidates([(THANKS, 0.62), ("Thank you.", 0.3), (KARAGANDA, 0.25)])
    surer = _reading("Karaganda", LEAD_PAIR_MARGIN + 0.5)
    out = led_by_answer(VACCINE, chosen, surer)  # type: ignore[arg-type]
    # The answer leads, the others keep their order; the probabilities stay with the places.
    assert [(c.text, c.score) for c in out] == [
        (KARAGANDA, 0.62),
        (THANKS, 0.3),
        ("Thank you.", 0.25),
    ]
    # Not surer of it than of the lead by the margin: the scorer's order stands.
    barely = _reading("Karaganda", LEAD_PAIR_MARGIN)
    assert led_by_answer(VACCINE, chosen, barely) == chosen  # type: ignore[arg-type]
    assert led_by_answer(VACCINE, chosen[2:], surer) == chosen[2:]  # type: ignore[arg-type]
    # A quote that asks is never moved to the front, however sure the pair scorer is of it.
    asking = _candidates([(THANKS, 0.62), (ASKING, 0.3)])
    sure_of_asking = _reading("produced", LEAD_PAIR_MARGIN + 5.0)
    assert led_by_answer(VACCINE, asking, sure_of_asking) == asking  # type: ignore[arg-type]


@pytest.mark.slow
def test_the_shipped_pair_scorer_reads_the_answer_not_the_topic() -> None:
    from embeddings.pair_scorer import load_pair_scorer, pair_text

    seed = require_shared("seed", "meeting-with-nursultan-nazarbayev-2021-06-30.txt")
    transcript = read_transcript_file(seed)
    said = " ".join(u.text for u in transcript.utterances if "Nazarbayev" in (u.speaker or ""))
    cases = [
        (VACCINE, KARAGANDA, THANKS),
        (
            "Who stood by Nazarbayev when he fell ill?",
            "And I will never forget many things – when I fell ill, a group of Russian doctors "
            "stood by me for ten days.",
            "It was decisive in my recovery, so it will not be forgotten.",
        ),
        (
            "Why did Nazarbayev not come to Sochi?",
            "I was supposed to come to Sochi, but the Kyrgyzstani, Tajikistani, and then "
            "Belarusian heads of state were there – and I decided not to stand in line.",
            "I am now a free man, not the President for the third year.",
        ),
    ]
    scorer = load_pair_scorer()
    for question, answer, topic in cases:
        assert answer in said and topic in said
        logits = scorer.scores(
            question, [pair_text("Nursultan Nazarbayev", t) for t in (answer, topic)]
        )
        assert logits[0] > logits[1], question


@pytest.mark.slow
def test_the_reply_leads_the_question_it_answers() -> None:
    # Tver Carriage Works, January 2018 (kremlin.ru 56635): a welder asks, Putin replies.
    from embeddings.pair_scorer import load_pair_scorer

    page = require_shared("kremlin", "html", "56635.html")
    speakers = ("Olga Pylayeva", "Vladimir Putin")
    utterances = read_transcript_file(page).utterances
    said = {who: " ".join(u.text for u in utterances if u.speaker == who) for who in speakers}
    asked = "I wanted to ask a question about education in higher educational institutions"
    reply = "No, there will be no fundamental changes."
    assert asked in said["Olga Pylayeva"] and reply in said["Vladimir Putin"]
    chosen = _candidates([(asked, 0.7), (reply, 0.5)], speakers)
    question = "Will Putin change free higher education, as a Tver welder asked him?"
    out = led_by_answer(question, chosen, load_pair_scorer().scores)
    assert [c.text for c in out] == [reply, asked]


def _kremlin_lead(page: str, sentence: str) -> Candidate:
    """The sentence of the kremlin.ru page as a candidate lead."""
    path = require_shared("kremlin", "html", f"{page}.html")
    turn = next(u for u in read_transcript_file(path).utterances if sentence in u.text)
    start = turn.text.index(sentence)
    passage = Passage(page, page, None, turn.index, turn.index, (), "", 1.0)
    return Candidate(0, passage, turn, start, start + len(sentence))


def _kremlin_utterance_at(page: str, index: int) -> Utterance | None:
    path = require_shared("kremlin", "html", f"{page}.html")
    return next((u for u in read_transcript_file(path).utterances if u.index == index), None)


def test_quotes_that_go_straight_on_from_each_other_are_one_quote() -> None:
    # Putin in Krasnoyarsk, March 2017 (kremlin.ru 53972): the new system, then where its
    # laboratory will be, in the next sentence of his turn.
    system = _kremlin_lead("53972", "It will be transferred from the Sports Ministry")
    system = replace(system, end=system.utterance.text.index(" The laboratory"))
    laboratory = _kremlin_lead("53972", "The laboratory will be located on premises")
    joined = joined_when_consecutive([system, laboratory])
    assert [q.text for q in joined] == [f"{system.text} {laboratory.text}"]
    # A sentence between them: two quotes, as chosen.
    hope = _kremlin_lead("53972", "I hope that our independent specialists")
    assert joined_when_consecutive([system, hope]) == [system, hope]
    assert joined_when_consecutive([laboratory, system]) == [laboratory, system]
    # Rakhmanov (USC), July 2020 (kremlin.ru 63757): his paragraph ends, his next opens.
    vessel = _kremlin_lead("63757", "You may remember our presentation at the Agency")
    vessel = replace(vessel, end=len(vessel.utterance.text.rstrip()))
    design = _kremlin_lead("63757", "We have finally completed the design")
    (grown,) = joined_when_consecutive([vessel, design])
    assert [u.index for u, _ in grown.tail] == [vessel.utterance.index + 1]
    assert grown.text == f"{vessel.text} {design.text}"


@pytest.mark.slow
def test_a_lead_that_sets_the_answer_up_grows_to_the_sentence_giving_it() -> None:
    from embeddings.pair_scorer import load_pair_scorer

    scores = load_pair_scorer().scores
    lead_of, utterance_at = _kremlin_lead, _kremlin_utterance_at
    # Putin to heads of news agencies, June 2019 (kremlin.ru 60675): the lead has the
    # question's words, the next sentence the city.
    came = lead_of("60675", "The US Secretary of State came here.")
    question = "In which city did Putin say he had met the US Secretary of State?"
    grown = grown_to_answer(question, came, scores, utterance_at)
    assert grown.text == f"{came.text} We met in Sochi, and he spoke along the same lines."
    # Rakhmanov (USC) to Putin, July 2020 (kremlin.ru 63757): the lead ends its paragraph, and
    # the date opens his next.
    vessel = lead_of("63757", "You may remember our presentation at the Agency")
    vessel = replace(vessel, end=len(vessel.utterance.text.rstrip()))
    asked = "When is the student research vessel built with Sevastopol State University due?"
    grown = grown_to_answer(asked, vessel, scores, utterance_at)
    assert [u.index for u, _ in grown.tail] == [vessel.utterance.index + 1]
    assert grown.text.endswith("the ship is scheduled to be commissioned in the summer of 2021.")
    # A lead that answers is not padded with the sentence after it ("It was decisive in my
    # recovery…"), which the pair scorer reads as barely better.
    seed = require_shared("seed", "meeting-with-nursultan-nazarbayev-2021-06-30.txt")
    doctors = "a group of Russian doctors stood by me for ten days."
    turn = next(u for u in read_transcript_file(seed).utterances if doctors in u.text)
    end = turn.text.index(doctors) + len(doctors)
    passage = Passage("seed", "seed", None, turn.index, turn.index, (), "", 1.0)
    stood = Candidate(0, passage, turn, turn.text.index("And I will never forget"), end)
    assert turn.text[end:].strip().startswith("It was decisive")
    asked = "Who stood by Nazarbayev when he fell ill?"
    assert grown_to_answer(asked, stood, scores, utterance_at) == stood


@pytest.mark.slow
def test_a_list_lead_grows_to_the_sentence_the_items_go_on_in() -> None:
    from embeddings.pair_scorer import load_pair_scorer

    scores = load_pair_scorer().scores
    # Putin to TASS, March 2020 (kremlin.ru 63034): the lead says there are many, the next
    # sentence names them; the pair scorer reads the two a little surer than the lead alone.
    numerous = _kremlin_lead("63034", "People like me, irrespective of the country they live in")
    numerous = replace(numerous, end=numerous.utterance.text.index(".", numerous.start) + 1)
    asked = "What sources of information does Putin say he and other leaders rely on?"
    assert answer_type(asked) == "list"
    margin = grow_margin("list", numerous)
    assert margin == LIST_GROW_MARGIN < LEAD_PAIR_MARGIN
    grown = grown_to_answer(asked, numerous, scores, _kremlin_utterance_at, 30, margin)
    assert grown.text.startswith(numerous.text)
    assert grown.text.endswith("security services’ reports and the media, of course.")
    # Any other lead needs the two read surer by LEAD_PAIR_MARGIN.
    assert grown_to_answer(asked, numerous, scores, _kremlin_utterance_at) == numerous
    # So does a list of names: the names the next sentence would bring would vouch for the
    # answer. Olga Golodets at the Government meeting, April 2018 (kremlin.ru 57275): the
    # lead names the regions (the pair scorer shipped before stop 67 read it with "But every
    # region is paying the benefit." at least as surely as alone).
    regions = "The most active areas in this respect are the Rostov Region"
    active = _kremlin_lead("57275", regions)
    active = replace(active, end=active.utterance.text.index(".", active.start) + 1)
    asked = "Which regions did Olga Golodets name as the most active in taking up the new benefits?"
    assert answer_type(asked) == "list" and asks_name(asked)
    margin = grow_margin("list", active, asks_for_name=True)
    assert margin == LEAD_PAIR_MARGIN
    assert grown_to_answer(asked, active, scores, _kremlin_utterance_at, 30, margin) == active


def _surer_with(words: str, logit: float = 2.0) -> object:
    """A pair scorer that reads a text holding `words` as the answer by `logit`."""

    def pair_scores(question: str, texts: Sequence[str]) -> np.ndarray:
        return np.asarray([logit if words in t else 0.0 for t in texts])

    return pair_scores


def _never(transcript_id: str, index: int) -> Utterance | None:
    """An utterance lookup that must not be asked: the sentence before is in the lead's own."""
    raise AssertionError(f"looked up {transcript_id}#u{index}")


def test_a_lead_pointing_back_grows_to_the_sentence_before_it() -> None:
    # Putin reading the ombudsman's report, April 2018 (kremlin.ru 57265): the lead says what
    # the sentence before it lists.
    matters = _kremlin_lead("57265", "These are three matters that concern people the most.")
    asked = "What were the three most common subjects of complaints to the ombudsman?"
    surer = _surer_with("criminal and procedural law")
    grown = grown_back_to_answer(asked, matters, surer, _never)  # type: ignore[arg-type]
    assert grown.text == (
        "Most of them concern criminal and procedural law; housing legislation comes second "
        "and the criminal and penal law takes third position. " + matters.text
    )
    assert (grown.utterance, grown.end, grown.tail) == (matters.utterance, matters.end, ())
    # Only when the pair scorer reads the two surer than the lead alone by the margin.
    level = _surer_with("three matters")
    assert grown_back_to_answer(asked, matters, level, _never) == matters  # type: ignore[arg-type]
    above = _surer_with("criminal and procedural law", POINTER_GROW_MARGIN + 0.5)
    stricter = POINTER_GROW_MARGIN + 1
    kept = grown_back_to_answer(asked, matters, above, _never, 30, stricter)  # type: ignore[arg-type]
    assert kept == matters
    # At most max_words of the sentence before: its last words.
    third = _surer_with("third position")
    grown = grown_back_to_answer(asked, matters, third, _never, 5)  # type: ignore[arg-type]
    assert grown.text == "penal law takes third position. " + matters.text
    # A lead that points at nothing is left as it is, however the pair scorer reads it.
    last = _kremlin_lead("57265", "The last one is labour legislation.")
    assert grown_back_to_answer(asked, last, _surer_with("three matters"), _never) == last  # type: ignore[arg-type]


def test_a_lead_opening_its_turn_grows_back_into_the_same_speakers_turn_before_it() -> None:
    # Rakhmanov (USC) to Putin, July 2020 (kremlin.ru 63757): "This is a very profitable
    # business" opens his paragraph; what it is ends the paragraph before.
    business = _kremlin_lead("63757", "This is a very profitable business")
    before = _kremlin_utterance_at("63757", business.utterance.index - 1)
    assert before is not None and before.canonical_speaker == "Alexei Rakhmanov"
    asked = "How quickly can tank containers be reloaded?"
    surer = _surer_with("24 hours")
    grown = grown_back_to_answer(asked, business, surer, _kremlin_utterance_at)  # type: ignore[arg-type]
    assert grown.text == (
        "Tank containers can be reloaded within a matter of 24 hours. " + business.text
    )
    assert grown.utterance == before
    assert grown.tail == ((business.utterance, business.end),)
    assert grown.last_index == business.utterance.index
    # Another speaker's turn before it is no part of the lead's.
    putin = replace(before, speaker="Vladimir Putin", canonical_speaker="Vladimir Putin")
    assert grown_back_to_answer(asked, business, surer, lambda *_: putin) == business  # type: ignore[arg-type]
    # Nor is a question before it.
    asks = replace(before, text="Can tank containers be reloaded within a matter of 24 hours?")
    assert grown_back_to_answer(asked, business, surer, lambda *_: asks) == business  # type: ignore[arg-type]


@pytest.mark.slow
def test_the_pair_scorer_reads_a_pointing_lead_with_what_it_points_at() -> None:
    from embeddings.pair_scorer import load_pair_scorer

    scores = load_pair_scorer().scores
    # Each from a suite (train10, heldout38) whose answer led with the pointer alone before: the
    # shipped pair scorer reads the two sentences together a little surer (0.8-0.9 logit).
    pointed = [
        (
            "57265",
            "These are three matters that concern people the most.",
            "What were the three most common subjects of complaints to the human rights "
            "ombudsman, as Putin read them from Tatyana Moskalkova's annual report in April 2018?",
            "criminal and procedural law",
        ),
        # Mishustin to Putin, November 2019 (kremlin.ru 62084).
        (
            "62084",
            "This is a fairly large number, but I would like to say that there are over 200 "
            "million receipts printed every day",
            "How many receipts do shoppers check every day with the tax service's new "
            "receipt-checking service, according to Mikhail Mishustin's November 2019 meeting "
            "with Putin?",
            "Over 720,000 receipts are checked daily.",
        ),
    ]
    for page, sentence, asked, answer in pointed:
        lead = _kremlin_lead(page, sentence)
        lead = replace(lead, end=lead.utterance.text.index(".", lead.end - 1) + 1)
        grown = grown_back_to_answer(asked, lead, scores, _never)
        assert answer in grown.text and grown.text.endswith(lead.text), asked


@pytest.mark.slow
def test_a_why_lead_that_restates_the_question_grows_to_the_cause_after_it() -> None:
    from embeddings.pair_scorer import load_pair_scorer

    scores = load_pair_scorer().scores
    # Each lead restates what the question asks about and gives no cause; the cause after it
    # repeats none of the question's words, so the pair scorer reads lead and cause together
    # a little lower than the restatement alone (0.04-0.65 logit here): such a "why" lead
    # grows unless the two read clearly worse (REASON_GROW_MARGIN), any other lead only when
    # they read surer (LEAD_PAIR_MARGIN).
    restated_and_cause = [
        # Putin's TASS interview, February 2020 (kremlin.ru 62854).
        (
            "62854",
            "They need to be under constant administrative pressure.",
            "Why does Putin say officials in charge of the national projects must be kept "
            "under constant pressure?",
            "people generally begin to slack off.",
        ),
        # Viktor Zimin (Khakassia) to Putin, April 2017 (kremlin.ru 54343).
        (
            "54343",
            "The only request I have in this respect is that you issue an instruction",
            "Why did Viktor Zimin ask Putin for a government instruction to coordinate big "
            "energy and railway projects?",
            "Otherwise, we will see a collapse on the Trans-Siberian Railway in a year and a half.",
        ),
        # Putin at the trade unions' congress, May 2019 (kremlin.ru 60561).
        (
            "60561",
            "Please note that the largest investments in Russia are coming from countries",
            "How did Putin explain why Cyprus and the Netherlands are the largest sources of "
            "investment in Russia?",
            "Well, this is just the repatriation of capital, that's all.",
        ),
    ]
    for page, sentence, asked, cause in restated_and_cause:
        lead = _kremlin_lead(page, sentence)
        lead = replace(lead, end=lead.utterance.text.index(".", lead.start) + 1)
        assert answer_type(asked) == "reason"
        margin = grow_margin("reason", lead)
        assert margin == REASON_GROW_MARGIN < 0
        grown = grown_to_answer(asked, lead, scores, _kremlin_utterance_at, 30, margin)
        assert grown.text.startswith(lead.text) and grown.text.endswith(cause), asked
        assert grown_to_answer(asked, lead, scores, _kremlin_utterance_at, 30) == lead, asked
        assert grow_margin("fact", lead) == LEAD_PAIR_MARGIN
    # A "why" lead that gives a cause of its own ("thanks to your helping hand") keeps the
    # usual margin: the sentence after it wanders off to the trade figures (the opening of the
    # speaker's next paragraph), which the pair scorer reads only a little surer with the lead
    # (0.7 logit), enough for the lenient margin to add it.
    seed = require_shared("seed", "meeting-with-nursultan-nazarbayev-2021-06-30.txt")
    said = read_transcript_file(seed).utterances
    dynamics = "I must say that, thanks to your helping hand"
    turn = next(u for u in said if dynamics in u.text)
    start = turn.text.index(dynamics)
    passage = Passage("seed", "seed", None, turn.index, turn.index, (), "", 1.0)
    helped = Candidate(0, passage, turn, start, len(turn.text.rstrip()))
    assert said[turn.index + 1].text.startswith("Despite the fact that the pandemic")
    assert grow_margin("reason", helped) == LEAD_PAIR_MARGIN

    def seed_at(_: str, index: int) -> Utterance | None:
        return said[index] if 0 <= index < len(said) else None

    asked = "Why did Nazarbayev thank Russia?"
    assert grown_to_answer(asked, helped, scores, seed_at, 30, LEAD_PAIR_MARGIN) == helped
    assert grown_to_answer(asked, helped, scores, seed_at, 30, REASON_GROW_MARGIN) != helped
