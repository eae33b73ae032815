"""Answers: extractive answers with verified citations, abstention, follow-ups, counting, LLM."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import qa.answer.extractive as answer_module
from embeddings.base import HashEncoder
from eval.train_answerability import recording_check
from qa.answer.answer_types import (
    ends_mid_clause,
    is_opening,
    says_what_is_called,
    shows_figure,
    shows_name,
)
from qa.answer.assistant import Assistant, Conversation
from qa.answer.extractive import (
    ABSTAIN_TEXT,
    Candidate,
    candidate_sentences,
    cite,
    continue_quote,
    explain_quote,
    fact_terms,
    full_names,
    grown_back,
    led_by_outright_answer,
    mentions_any,
    name_key,
    question_names,
    render_claims,
    score_candidates,
    trim_quote,
    verify_citation,
)
from qa.ingest.parsers import read_transcript_file
from qa.ingest.pipeline import ingest
from qa.models import Answer, Citation, Filters, Passage, Utterance
from qa.retrieve.occasion import names_an_occasion
from qa.settings import Settings
from qa.store.library import Library
from tests.fake_llm_server import FakeLLMServer, unused_port

SEED = "meeting-with-nursultan-nazarbayev-2021-06-30"


def _utterance(index: int, speaker: str, text: str) -> Utterance:
    return Utterance(index, speaker, speaker, text)


def _citation(quote: str, speaker: str, start: int = 1, end: int = 1) -> Citation:
    return Citation(1, SEED, "Meeting", "2021-06-30", speaker, start, end, quote)


STORED = [
    _utterance(0, "Vladimir Putin", "Mr Nazarbayev, welcome."),
    _utterance(
        1, "Nursultan Nazarbayev", "Now in Karaganda, this enterprise produces a Russian vaccine."
    ),
]


# Nazarbayev's long turn in the seed transcript (kremlin.ru, 2021-06-30), sentence by sentence.
LONG_TURN = (
    "Thank you, Mr President. I will never forget many things. When I fell ill, a group of "
    "Russian doctors stood by me for ten days. Now in Karaganda, this enterprise produces a "
    "Russian vaccine of the same quality and in large quantities. Our trade is on the upsurge "
    "again this year. Despite the pandemic, we can see an increase of about 20 percent. The "
    "Eurasian Economic Union is working. I continue to do this work as its honorary chairman. "
    "Our people are close, and this dialogue yields good results. I wish you success."
)


def test_pairs_are_scored_only_around_the_best_sentences(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(answer_module, "MAX_SCORED_PAIRS", 4)
    utterance = Utterance(3, "Nursultan Nazarbayev", "Nursultan Nazarbayev", LONG_TURN)
    passage = Passage(SEED, "Meeting", "2021-06-30", 3, 3, ("Nursultan Nazarbayev",), "", 1.0)
    candidates = candidate_sentences([passage], lambda p: [utterance])
    singles = [c for c in candidates if not c.pair]
    pairs = [c for c in candidates if c.pair]
    assert len(singles) == 10 and len(pairs) == 9
    assert all(c.pair == (c.text.count(". ") == 1) for c in candidates)

    embedded: list[str] = []
    encoder = HashEncoder(64)

    def embed(texts: list[str]) -> np.ndarray:
        embedded.extend(t for t in texts if t != question)
        return encoder.encode(texts)

    question = "How much has trade grown this year?"
    scored = score_candidates(question, candidates, embed)
    scored_pairs = [c for c in scored if c.pair]
    assert len(scored_pairs) == answer_module.MAX_SCORED_PAIRS
    assert {c.text for c in singles} <= set(embedded)
    assert len(embedded) == len(singles) + answer_module.MAX_SCORED_PAIRS
    # The two pairs left out are those around the sentences that scored worst.
    single_score = {c.text: c.score for c in scored if not c.pair}
    left_out = [c for c in pairs if c.text not in embedded]
    best_half = {c.text: max(s for t, s in single_score.items() if t in c.text) for c in pairs}
    assert max(best_half[c.text] for c in left_out) <= min(best_half[c.text] for c in scored_pairs)
    assert scored == sorted(scored, key=lambda c: c.score, reverse=True)
    assert "20 percent" in scored[0].text


def test_the_pair_scorer_orders_the_sentences_the_pairs_are_formed_around(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(answer_module, "RERANK_MARGIN", float("inf"))  # asked however sure
    utterance = Utterance(3, "Nursultan Nazarbayev", "Nursultan Nazarbayev", LONG_TURN)
    passage = Passage(SEED, "Meeting", "2021-06-30", 3, 3, ("Nursultan Nazarbayev",), "", 1.0)
    candidates = candidate_sentences([passage], lambda p: [utterance])
    embed = HashEncoder(64).encode
    question = "How much has trade grown this year?"
    plain = [c for c in score_candidates(question, candidates, embed) if not c.pair]
    favoured = plain[1].text  # the scorer's second sentence
    asked: list[list[str]] = []

    def pair_scores(q: str, texts: list[str]) -> np.ndarray:
        asked.append(list(texts))
        return np.asarray([30.0 if t.endswith(favoured) else 0.0 for t in texts])

    scored = score_candidates(question, candidates, embed, pair_scores=pair_scores)
    # Asked once, of the scorer's best single sentences, each with its speaker.
    (texts,) = asked
    assert texts == [f"Nursultan Nazarbayev: {c.text}" for c in plain[: answer_module.RERANK_DEPTH]]
    singles = [c for c in scored if not c.pair]
    assert singles[0].text == favoured and singles[0].score == plain[0].score
    assert singles[1].text == plain[0].text and singles[1].score == plain[1].score


def test_a_quote_is_said_to_be_the_speaker_s_as_the_transcript_names_them(real_dir: Path) -> None:
    """A hearing names its people "MR. LEVY": "LEVY said" would name nobody in particular."""
    hearing = read_transcript_file(real_dir / "senate-judiciary-simpson-2017-08-22.txt")
    levy = next(u for u in hearing.utterances if "death threats" in u.text)
    start = levy.text.index("We've had death threats")
    passage = Passage(hearing.id, hearing.title, hearing.date, levy.index, levy.index, (), "", 1.0)
    first = Candidate(0, passage, levy, start, levy.text.index(".", start) + 1)
    claims = render_claims([first, replace(first, start=0)], several_transcripts=False)
    quote = "We've had death threats come to the company."
    assert claims[0].text == f"MR. LEVY said: \u201c{quote}\u201d"
    assert claims[0].citation.speaker == "LEVY"  # the canonical name, as the contract has it
    assert claims[1].text.startswith("LEVY added: ")


def test_who_said_is_answered_with_the_name_the_transcript_gives(real_dir: Path) -> None:
    """Hansard labels a member "Mr. Latham", whom the library knows as Michael Latham: asked
    "Which MP asked…?", the answer names him both ways, so that a reader finds him in the
    transcript; other answers keep the library's name."""
    hansard = read_transcript_file(real_dir / "hansard-uk-commons-1976-01-22.xml")
    latham = next(u for u in hansard.utterances if u.speaker == "Mr. Latham")
    assert latham.canonical_speaker == "Michael Latham"
    passage = Passage(
        hansard.id, hansard.title, hansard.date, latham.index, latham.index, (), "", 1.0
    )
    end = latham.text.index("?") + 1
    quoted = Candidate(0, passage, latham, 0, end)
    (who,) = render_claims([quoted], several_transcripts=False, as_labelled=True)
    assert who.text.startswith("Michael Latham (Mr. Latham) said: \u201cIs it now clearly")
    assert who.citation.speaker == "Michael Latham"
    (plain,) = render_claims([quoted], several_transcripts=False)
    assert plain.text.startswith("Michael Latham said: ")


def test_a_yes_no_question_is_led_by_the_reply_that_settles_it(kremlin_dir: Path) -> None:
    """TASS's interview of March 2020 (kremlin.ru 63034): asked whether he approves of the elites'
    nerves, the journalist's premise shares the question's words; Putin's "No, I do not." is
    the answer."""
    page = read_transcript_file(kremlin_dir / "63034.html")

    def quote(start: str) -> Candidate:
        u = next(u for u in page.utterances if start in u.text)
        at = u.text.index(start)
        passage = Passage(page.id, page.title, page.date, u.index, u.index, (), "", 1.0)
        return Candidate(0, passage, u, at, u.text.index(".", at) + 1, score=0.1)

    premise = quote("But the so-called elites are nervous")
    reply = replace(quote("No, I do not."), score=0.04)
    led = led_by_outright_answer([premise, replace(premise, score=0.05), reply], 8)
    assert [c.text for c in led] == ["No, I do not.", premise.text, premise.text]
    assert [c.score for c in led] == [0.1, 0.05, 0.04]  # the scores stay with the places
    assert led_by_outright_answer([premise, reply], 1) == [premise, reply]  # too deep


def test_verify_citation_accepts_a_verbatim_quote_of_the_right_speaker() -> None:
    ok = _citation("this enterprise produces a Russian  vaccine", "Nursultan Nazarbayev")
    assert verify_citation(ok, STORED) is None


@pytest.mark.parametrize(
    ("citation", "reason"),
    [
        (_citation("produces a Chinese vaccine", "Nursultan Nazarbayev"), "quote not found"),
        (_citation("this enterprise produces", "Vladimir Putin"), "is not Vladimir Putin's"),
        (_citation("Mr Nazarbayev", "Nursultan Nazarbayev", 0, 0), "is not Nursultan"),
        (_citation("welcome", "Vladimir Putin", 5, 5), "not in the library"),
        (_citation("  ", "Vladimir Putin", 0, 0), "empty quote"),
    ],
)
def test_verify_citation_rejects(citation: Citation, reason: str) -> None:
    assert reason in (verify_citation(citation, STORED) or "")


@pytest.fixture(scope="module")
def assistant(real_library: Library) -> Assistant:
    return Assistant(real_library, Settings())


def _assert_citations_verify(answer: Answer, library: Library) -> None:
    for c in answer.citations:
        stored = library.utterances(c.transcript_id, c.utterance_start, c.utterance_end)
        assert verify_citation(c, stored) is None, c
        assert f"[{c.n}]" in answer.text
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))


ANSWERABLE = [
    ("What did Nazarbayev say about vaccines?", "Karaganda", 9, "Nursultan Nazarbayev"),
    (
        "How long did the Russian doctors stay with Nazarbayev?",
        "ten days",
        10,
        "Nursultan Nazarbayev",
    ),
    (
        "How much did trade between Russia and Kazakhstan grow last year?",
        "19.7",
        None,
        "Vladimir Putin",
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize(("question", "expected", "utterance", "speaker"), ANSWERABLE)
def test_known_answers_are_found_and_cited(
    assistant: Assistant, question: str, expected: str, utterance: int | None, speaker: str
) -> None:
    answer = assistant.ask(question)
    assert not answer.abstained, answer.text
    assert expected in answer.text
    cited = [c for c in answer.citations if expected in c.quote]
    assert cited and cited[0].speaker == speaker
    if utterance is not None:
        assert cited[0].transcript_id == SEED and cited[0].utterance_start == utterance
        assert cited[0].ref == f"{SEED}#u{utterance}"
    assert len(answer.text.split()) <= 160
    _assert_citations_verify(answer, assistant.library)


def test_fact_terms_name_the_fact_not_its_frame_or_occasion() -> None:
    question = "What was Microsoft's net income for the fourth quarter, according to the call?"
    terms = ["microsoft", "net", "income", "fourth", "quarter", "call"]
    # "Microsoft" is written as a name; "quarter" is a word of the library's titles here.
    assert fact_terms(question, terms, {"quarter", "earnings"}) == ["net", "income"]
    assert fact_terms("How many years ago was it, in 2019?", ["years", "ago", "2019"], set()) == [
        "ago"
    ]


def test_mentions_any_compares_stems_and_derivations() -> None:
    # Amy Hood on the Microsoft FY25 Q4 call (../shared/data/real/msft-fy25q4-earnings-call.md).
    said = "And finally, we returned $9.4 billion to shareholders through dividends."
    assert mentions_any(["returns"], said)
    assert mentions_any(["dividend"], said)
    assert not mentions_any(["income", "net"], said)
    assert mentions_any(["recovery"], "The money recovered so far.")


def test_full_names_are_the_questions_runs_of_capitalised_words() -> None:
    assert full_names("Where did Taylor Gerring meet Mihai Alisie?") == [
        ("Taylor", "Gerring"),
        ("Mihai", "Alisie"),
    ]
    # The first word is capitalised whatever it is; a name alone is no run.
    assert full_names("Did Elon Musk meet Putin?") == [("Elon", "Musk")]
    assert full_names("What did Putin say about TikTok?") == []


@pytest.mark.slow
def test_a_name_the_library_knows_beside_an_unknown_one_is_no_gap(assistant: Assistant) -> None:
    # Kazakh sources name him with his patronymic, Nursultan Abishuly (Nazarbayev); the seed
    # transcript never writes it, nor anything spelt like it. "Nursultan" says who is meant.
    answer = assistant.ask("What did Nursultan Abishuly say about vaccines?")
    assert not answer.abstained, answer.notices
    assert answer.citations[0].speaker == "Nursultan Nazarbayev"
    # Both names unknown: still refused, saying which.
    refused = assistant.ask("What did Abylai Abishuly say about vaccines?")
    assert refused.abstained
    assert any("Abylai, Abishuly" in notice for notice in refused.notices)


UNANSWERABLE = [
    "What did Putin say about the Mars landing?",
    # Near-miss: Kazakhstan is the topic and the meeting gives numbers, none about tourists.
    "How many tourists visited Kazakhstan last year?",
    "What is the airspeed velocity of an unladen swallow?",
    "Which football club won the 1998 Champions League final?",
]


@pytest.mark.slow
def test_only_a_figure_must_be_named_in_the_occasion_the_question_names(
    assistant: Assistant,
) -> None:
    # Gref to Putin (kremlin.ru 58748) never says "lose" or "money": "we lost a certain amount
    # due to this volatility" still answers why.
    why = assistant.ask(
        "Why did Sberbank lose money, according to German Gref at his October 2018 meeting "
        "with Putin?"
    )
    assert not why.abstained
    assert "volatility" in why.citations[0].quote
    # A figure's words must be there: nothing in that meeting counts branches.
    count = assistant.ask(
        "How many branches did Sberbank close, according to German Gref at his October 2018 "
        "meeting with Putin?"
    )
    assert count.abstained and any("branches" in notice for notice in count.notices)


@pytest.mark.slow
def test_a_figure_told_in_other_words_than_the_questions_is_found(assistant: Assistant) -> None:
    # Nazarbayev's "a group of Russian doctors stood by me for ten days" never says medics or
    # remain: the pair scorer reads it as the answer. The number check alone refused it.
    answer = assistant.ask(
        "For how many days did the team of Russian medics remain with Nazarbayev?"
    )
    assert not answer.abstained, answer.notices
    assert "ten days" in answer.citations[0].quote


@pytest.mark.slow
def test_a_transcripts_place_counts_as_a_mention(assistant: Assistant) -> None:
    # kremlin.ru 58748 took place at Novo-Ogaryovo (its page's place); nobody says so in it.
    assert not any("Ogaryovo" in u.text for u in assistant.library.utterances("58748", 0, 999))
    answer = assistant.ask(
        "Why did Sberbank lose money, according to German Gref when they met at Novo-Ogaryovo "
        "in October 2018?"
    )
    assert not answer.abstained, answer.notices
    assert "volatility" in answer.citations[0].quote


@pytest.mark.slow
@pytest.mark.parametrize("question", UNANSWERABLE)
def test_questions_the_library_does_not_cover_abstain(assistant: Assistant, question: str) -> None:
    answer = assistant.ask(question)
    assert answer.abstained, answer.text
    assert answer.text == ABSTAIN_TEXT and answer.citations == ()
    assert answer.passages, "an abstention shows the closest passages"
    assert answer.notices, "an abstention says why"


@pytest.mark.slow
def test_a_named_occasion_is_where_the_answer_comes_from(assistant: Assistant) -> None:
    # Trade is the Nazarbayev meetings' topic; the Shoigu meeting (63754) never mentions it.
    elsewhere = assistant.ask(
        "What did Putin say about trade with Kazakhstan at the working meeting with Shoigu?"
    )
    assert elsewhere.abstained, elsewhere.text
    assert any("Shoigu" in n and "trade" in n for n in elsewhere.notices), elsewhere.notices
    there = assistant.ask("What did Putin say about the naval parade at the meeting with Shoigu?")
    assert not there.abstained and there.citations
    assert {c.transcript_id for c in there.citations} == {"63754"}
    assert names_an_occasion("What did he say in the 3Blue1Brown video?")
    assert not names_an_occasion("Which TV channel does Olga Bogoslovskaya work for?")


@pytest.mark.slow
def test_a_deeper_ranking_answers_from_its_first_k_passages(assistant: Assistant) -> None:
    question = "How much did trade between Russia and Kazakhstan grow last year?"
    answer, ranking = assistant.ask_ranked(question, k=2, depth=5)
    assert answer.passages == ranking.passages[:2] and len(ranking.passages) > 2
    # The timings travel with the answer (no state shared between concurrent questions).
    assert 0 < answer.timings.retrieval_s <= answer.timings.answer_s
    # Same candidate depth (max(60, 4k)): the first k are those a plain ask gets.
    assert (
        assistant.ask(question, k=2).passages
        == assistant.ask_ranked(question, k=2, depth=15)[1].passages[:2]
    )


@pytest.mark.slow
def test_follow_up_retrieves_the_other_speaker(assistant: Assistant) -> None:
    conversation = Conversation()
    first = assistant.ask("What did Nazarbayev say about vaccines?", conversation.turns)
    conversation.add(first)
    second = assistant.ask("And what did Putin say about trade?", conversation.turns)
    assert second.standalone_question == "What did Putin say about trade?"
    assert second.filters.speakers == ("Vladimir Putin",)
    assert second.citations and all(c.speaker == "Vladimir Putin" for c in second.citations)
    conversation.add(second)
    third = assistant.ask("What about Nazarbayev?", conversation.turns)
    assert third.standalone_question == "What did Nursultan Nazarbayev say about trade?"
    assert third.filters.speakers == ("Nursultan Nazarbayev",)
    for answer in (first, second, third):
        _assert_citations_verify(answer, assistant.library)


@pytest.mark.slow
def test_a_follow_up_asking_for_the_reply_quotes_the_next_turn(assistant: Assistant) -> None:
    # The issue's own conversation. Putin's reply to Nazarbayev's thanks shares no word with
    # vaccines: searched for them, it was refused.
    conversation = Conversation()
    first = assistant.ask("What did Nazarbayev say about vaccines?", conversation.turns)
    conversation.add(first)
    assert (first.citations[0].transcript_id, first.citations[0].utterance_start) == (SEED, 8)
    reply = assistant.ask("And what did Putin answer?", conversation.turns)
    assert not reply.abstained
    [citation] = reply.citations
    assert (citation.speaker, citation.utterance_start) == ("Vladimir Putin", 13)
    assert citation.quote == "Thank you very much."
    assert reply.text == "Vladimir Putin replied: \u201cThank you very much.\u201d [1]"
    _assert_citations_verify(reply, assistant.library)
    # Shoigu (page 63754) is in the library, not in this meeting: he gave no reply there.
    other = assistant.ask("And what did Shoigu answer?", conversation.turns)
    assert other.abstained
    assert any("does not speak after the exchange" in notice for notice in other.notices)


@pytest.mark.slow
def test_a_follow_up_s_figure_need_not_repeat_its_words(assistant: Assistant) -> None:
    # Gref's meeting (kremlin.ru 58748): "motorists", "lending" and "rise" are nowhere near
    # "the car loan portfolio increased this year by 32 percent"; the follow-up stays in the
    # exchange and is answered from it, not refused for lacking its own words.
    conversation = Conversation()
    first = assistant.ask(
        "How much did Sberbank's mortgage portfolio grow year on year, according to Gref?",
        conversation.turns,
    )
    conversation.add(first)
    follow_up = assistant.ask(
        "And by how much did lending to motorists rise this year?", conversation.turns
    )
    assert not follow_up.abstained
    assert "32 percent" in follow_up.citations[0].quote
    _assert_citations_verify(follow_up, assistant.library)


@pytest.mark.slow
def test_a_follow_up_leaning_on_its_transcript_need_not_use_its_own_words(
    assistant: Assistant,
) -> None:
    # A follow-up asks in its own words what the transcript says in others ("And what is its
    # total headcount now?" of a corporation whose chairman says "97,500 employees"): the
    # conversation chose the transcript, so that none of its words is there is no gap; the
    # learned check still reads the quotes. A question asked afresh keeps the check.
    question = "What is its total headcount now?"
    _, retrieval = assistant.retrieve(question, filters=Filters(transcripts=("58748",)))
    assert assistant.evidence_gap(question, retrieval) == (
        "None of the closest passages uses the question's words."
    )
    assert assistant.evidence_gap(question, retrieval, leaning=True) is None


@pytest.mark.slow
def test_the_occasion_check_falls_back_on_the_pair_scorers_reading(
    assistant: Assistant, real_library: Library
) -> None:
    # The seed meeting never says when the Karaganda plant was commissioned, nor uses "plant"
    # or "commissioned": refused, the shipped pair scorer reading none of its sentences as the
    # answer. A reading that takes a sentence for the answer lets it past the check (speech
    # says a fact in its own words: "which we initiated on August 24, 2016" for a launch).
    question = (
        "When was the Karaganda plant commissioned, according to the June 2021 meeting with "
        "Nursultan Nazarbayev?"
    )
    refused = assistant.ask(question)
    assert refused.abstained
    assert refused.notices[-1] == (
        "“Meeting with Nursultan Nazarbayev”: no passage mentions plant, commissioned."
    )
    sure = Assistant(
        real_library, Settings(), pair_scores=lambda question, texts: np.full(len(texts), 5.0)
    )
    assert not any("no passage mentions" in notice for notice in sure.ask(question).notices)


@pytest.mark.slow
def test_a_question_spanning_two_occasions_is_answered_from_each(assistant: Assistant) -> None:
    # Asked whole, its two dates make one filter and its answer quotes one meeting.
    question = (
        "How much has trade between Russia and Kazakhstan grown, according to Putin in March "
        "2020, and how much did Sberbank's mortgage portfolio grow, according to Gref in "
        "October 2018?"
    )
    answer = assistant.ask(question)
    assert not answer.abstained
    assert answer.notices[0].startswith("Asked in two parts")
    cited = [c.transcript_id for c in answer.citations]
    assert cited[:2] == ["62966", "58748"], cited
    assert "19.7" in answer.citations[0].quote
    # Gref gives two growth figures: mortgages "grown by 74 percent year-on-year", and the
    # portfolio "actually doubled compared to 2016" last year. Which of his quotes leads
    # depends on the embedding's precision: in fp32 (chosen on a CPU without VNNI) the scorer
    # ranks his car loans' "increased this year by 32 percent" first.
    gref = [c.quote for c in answer.citations if c.transcript_id == "58748"]
    assert any(re.search(r"74 percent|doubled", quote) for quote in gref), gref
    _assert_citations_verify(answer, assistant.library)


@pytest.mark.slow
def test_a_month_dates_the_question_and_names_nothing(assistant: Assistant) -> None:
    # No transcript here says "October"; the question is dated by it, not about it.
    answer = assistant.ask(
        "How much did Sberbank's mortgage portfolio grow, according to Gref in October 2018?"
    )
    assert not answer.abstained, answer.notices
    assert answer.citations[0].transcript_id == "58748"


# Gref, October 2018 (kremlin.ru 58748): "our net profit has been affected by portfolio
# volatility" and "we lost a certain amount due to this volatility", never by how much.
NEAR_MISSES = [
    "What was Sberbank's net profit in 2018, according to Gref?",
    "How much did Sberbank lose due to the volatility of federal loan bonds, according to Gref?",
]
# The same meeting, answered: "it has grown by 74 percent year-on-year".
GREF_ANSWERED = (
    "How much did Sberbank's mortgage portfolio grow, according to Gref in October 2018?"
)


@pytest.mark.slow
def test_a_near_miss_every_rule_lets_through_is_refused_by_the_learned_check(
    assistant: Assistant,
) -> None:
    rules_alone = Assistant(assistant.library, Settings(), answerability=recording_check())
    answered = rules_alone.ask(NEAR_MISSES[0])
    assert not answered.abstained, "the rules alone quote Gref's other figures"
    answer = assistant.ask(NEAR_MISSES[0])
    assert answer.abstained and not answer.citations
    assert answer.notices[-1] == (
        "The closest quotes are on the topic but do not seem to say what was asked."
    )


@pytest.mark.slow
def test_the_learned_check_doubts_the_near_misses_more_than_the_answer(
    assistant: Assistant,
) -> None:
    # Both near-misses are doubted past the shipped threshold and refused, the answer from the
    # same meeting is not. (The weights before two passes over the groups doubted the loss to
    # volatility at 0.54, under their 0.57, and answered it.)
    check = recording_check()
    rules_alone = Assistant(assistant.library, Settings(), answerability=check)
    doubt = []
    for question in [*NEAR_MISSES, GREF_ANSWERED]:
        check.rows.clear()
        assert not rules_alone.ask(question).abstained, question
        doubt.append(assistant.answerability.unanswerable(check.rows[0]))
    threshold = assistant.answerability.threshold
    assert min(doubt[:2]) >= threshold > doubt[2], (doubt, threshold)


@pytest.mark.slow
def test_a_name_question_is_answered_by_a_name(assistant: Assistant) -> None:
    answered = assistant.ask(
        "What is the name of Kazakhstan's president that Putin meets regularly?"
    )
    assert "Tokayev" in answered.citations[0].quote
    # Gref's meeting speaks of mortgages and young families, and names no product.
    refused = assistant.ask("What is the name of Sberbank's mortgage product for young families?")
    assert refused.abstained and refused.notices[-1] == "No quote gives a name."


@pytest.mark.slow
def test_a_question_naming_a_people_is_answered_from_its_country(assistant: Assistant) -> None:
    # The library says "Kazakhstan", "Kazakhstani", never "Kazakh"; it never names Tesla.
    answered = assistant.ask("What is the name of the Kazakh president that Putin meets regularly?")
    assert not answered.abstained, answered.notices
    assert "Tokayev" in answered.citations[0].quote
    refused = assistant.ask("What is the name of the Tesla president that Putin meets regularly?")
    assert refused.notices[-1] == "No transcript in the library mentions Tesla."


@pytest.mark.slow
def test_a_name_question_is_refused_when_no_quote_it_would_cite_names(
    assistant: Assistant,
) -> None:
    # Shoigu to Putin, July 2020 (kremlin.ru 63754): "Fairly recently you attended keel-laying
    # ceremonies for open-ocean and high-seas vessels." names no vessel; Putin "was aboard a
    # plane", not a ship. Among the best quotes is one that names something (the State
    # Armament Programme, Kronstadt), and none of those cited does.
    refused = assistant.ask("What is the name of the vessel whose keel-laying Putin attended?")
    assert refused.abstained, refused.text
    assert refused.notices[-1] == "The quote it would lead with gives no name."
    # The learned check, reading the pair scorer of stop 67, refuses this one before.
    ship = "What was the name of the ship Putin was aboard when he read the article?"
    refused = assistant.ask(ship)
    assert refused.abstained, refused.text


@pytest.mark.slow
def test_a_what_date_question_is_answered_by_a_day(assistant: Assistant) -> None:
    # Gref expects the rate to fall "within the next year": when, but no date.
    answered = assistant.ask("When does Gref expect the average mortgage rate to come down?")
    assert "within the next year" in answered.citations[0].quote
    refused = assistant.ask("By what date does Gref expect the average mortgage rate to come down?")
    assert refused.abstained and refused.notices[-1] == "No quote gives a day."


@pytest.mark.slow
def test_counting_question_enumerates_every_mention(assistant: Assistant) -> None:
    answer = assistant.ask("How many times did Putin mention Kazakhstan?")
    library = assistant.library
    expected = 0
    for tid in library.transcript_ids():
        for u in library.transcript(tid).utterances:
            if u.canonical_speaker == "Vladimir Putin" and "kazakhstan" in u.text.lower():
                expected += 1
    assert expected >= 2
    assert f"in {expected} utterances" in answer.text
    assert all(c.speaker == "Vladimir Putin" for c in answer.citations)
    _assert_citations_verify(answer, library)


@pytest.mark.slow
def test_counting_counts_every_form_of_the_word(assistant: Assistant) -> None:
    # Gref's meeting (kremlin.ru 58748) says "mortgage" and "mortgages".
    answer = assistant.ask("How many times did mortgages come up in the meeting with Gref?")
    library = assistant.library
    expected = sum(
        len(re.findall(r"\bmortgages?\b", u.text, re.I))
        for tid in library.transcript_ids()
        for u in library.transcript(tid).utterances
    )
    assert expected == 7
    assert "(7 times)" in answer.text
    _assert_citations_verify(answer, library)


@pytest.mark.slow
def test_filters_given_by_the_user_are_applied(assistant: Assistant) -> None:
    answer = assistant.ask(
        "What was said about the Eurasian Union?", filters=Filters(since="2020-01-01")
    )
    assert answer.filters.since == "2020-01-01"
    assert all(c.date and c.date >= "2020-01-01" for c in answer.citations)
    assert all(p.date and p.date >= "2020-01-01" for p in answer.passages)


# ------------------------------------------------------------------------------------- the LLM


@pytest.fixture()
def llm_server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as server:
        yield server


def _llm_assistant(library: Library, base_url: str, timeout_s: float = 5.0) -> Assistant:
    from qa.answer.llm_client import LLMClient, LLMConfig

    settings = Settings(llm_base_url=base_url, llm_model="fake", llm_timeout_s=timeout_s)
    client = LLMClient(LLMConfig(base_url=base_url, model="fake", timeout_s=timeout_s))
    return Assistant(library, settings, client)


@pytest.mark.slow
def test_the_llm_reads_both_parts_passages_and_the_fallback_answers_each(
    real_library: Library,
) -> None:
    # Asked whole, "March 2020" filters the search to the first meeting alone.
    question = (
        "How much did Putin say trade with Kazakhstan had grown at his meeting with Nazarbayev "
        "in March 2020 and at their meeting in June 2021?"
    )
    with FakeLLMServer(status=500) as server:
        answer = _llm_assistant(real_library, server.base_url).ask(question)
        sent = "\n".join(m["content"] for m in server.requests[-1].json["messages"])
    # The prompt holds both meetings; the extractive fallback still answers part by part.
    assert "19.7" in sent and "over 18 already this year" in sent
    assert any(n.startswith("The LLM endpoint failed") for n in answer.notices)
    assert any(n.startswith("Asked in two parts") for n in answer.notices)
    assert [c.transcript_id for c in answer.citations][:2] == ["62966", SEED]
    assert (answer.filters.since, answer.filters.until) == ("2020-03-01", "2021-06-30")


@pytest.mark.slow
def test_llm_answer_streams_and_its_citations_are_verified(
    real_library: Library, llm_server: FakeLLMServer
) -> None:
    def responder(messages: list[dict[str, str]]) -> str:
        return (
            "Nazarbayev said the plant in Karaganda produces a Russian vaccine of the same "
            "quality [1]. He also mentioned the Moon base [9]. The weather was fine."
        )

    llm_server.responder = responder
    assistant = _llm_assistant(real_library, llm_server.base_url)
    events = list(assistant.stream("What did Nazarbayev say about vaccines?"))
    assert len(events) > 1 and events[-1].answer is not None
    answer = events[-1].answer
    assert not answer.abstained
    assert "[9]" not in answer.text
    assert "[unsupported]" in answer.text  # the sentences left without a valid citation
    assert answer.citations and "Karaganda" in answer.citations[0].quote
    _assert_citations_verify(answer, real_library)


@pytest.mark.slow
def test_llm_refusal_abstains(real_library: Library, llm_server: FakeLLMServer) -> None:
    llm_server.responder = lambda messages: "NOT_IN_TRANSCRIPTS"
    answer = _llm_assistant(real_library, llm_server.base_url).ask("What about Mars?")
    assert answer.abstained and answer.passages
    assert answer.notices == ("The LLM found no answer in the closest passages.",)


@pytest.mark.slow
def test_llm_down_falls_back_to_the_extractive_answer(real_library: Library) -> None:
    assistant = _llm_assistant(real_library, f"http://127.0.0.1:{unused_port()}/v1", 2.0)
    answer = assistant.ask("What did Nazarbayev say about vaccines?")
    assert answer.notices and "extractive" in answer.notices[0]
    assert "Karaganda" in answer.text
    _assert_citations_verify(answer, real_library)


def _vtt_cues(path: Path) -> list[str]:
    """The text lines of a WebVTT file's cues, one string per cue, as a caption player shows
    them (no merging): what an ASR export cut into segments looks like."""
    cues: list[str] = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = block.strip().splitlines()
        if lines and "-->" in lines[0]:
            cues.append(" ".join(lines[1:]).strip())
    return cues


def test_a_quote_cut_by_a_caption_cue_continues_into_the_next_cues(real_dir: Path) -> None:
    cues = _vtt_cues(real_dir / "huntsville-council-2026-07-10-budget-work-session.captions.vtt")
    utterances = [Utterance(i, None, None, text) for i, text in enumerate(cues)]
    at = next(i for i, u in enumerate(utterances) if u.text.endswith("and hazmat units,"))
    lead = Candidate(0, _passage(at), utterances[at], 0, len(utterances[at].text))

    def utterance_at(transcript_id: str, index: int) -> Utterance | None:
        assert transcript_id == lead.passage.transcript_id
        return utterances[index] if index < len(utterances) else None

    quote = continue_quote(lead, utterance_at, max_words=30, max_utterances=3)
    assert "the price point for that would be $192,000" in quote.text
    assert quote.last_index > at and len(quote.tail) <= 3
    citation = cite(quote, 1)
    assert citation.utterance_end == quote.last_index
    # One quote over the cues, verbatim: it verifies against the utterances it names.
    cited = utterances[citation.utterance_start : citation.utterance_end + 1]
    assert verify_citation(citation, cited) is None
    # A quote that ends its clause is left as it is.
    done = next(i for i, u in enumerate(utterances) if u.text == "the work that they do.")
    whole = Candidate(0, _passage(done), utterances[done], 0, len(utterances[done].text))
    assert continue_quote(whole, utterance_at) == whole
    # A quote already cut inside a later cue (to its most words) is not carried past it: the
    # rest of that cue would be left out of the quote.
    following = utterances[at + 1]
    inside = following.text.index(" ", len(following.text) // 2)
    cut_inside = replace(lead, tail=((following, inside),))
    assert ends_mid_clause(cut_inside.text)
    assert continue_quote(cut_inside, utterance_at) == cut_inside


def test_every_quote_of_an_answer_is_finished_not_only_the_lead(
    assistant: Assistant, real_dir: Path
) -> None:
    # The pair scorer may lead with another quote than the scorer's (extractive.led_by_answer):
    # the one moved down is finished as well.
    cues = _vtt_cues(real_dir / "huntsville-council-2026-07-10-budget-work-session.captions.vtt")
    utterances = [Utterance(i, None, None, text) for i, text in enumerate(cues)]
    known = {("huntsville", u.index): u for u in utterances}
    cut = next(i for i, u in enumerate(utterances) if u.text.endswith("and hazmat units,"))
    done = next(i for i, u in enumerate(utterances) if u.text == "the work that they do.")
    chosen = [
        Candidate(0, _passage(at), utterances[at], 0, len(utterances[at].text))
        for at in (done, cut)
    ]
    asked = "What would the price point be for the hazmat units?"
    lead, second = assistant.finished(asked, chosen, "number", known)
    assert lead == chosen[0]
    assert second.text.startswith(utterances[cut].text)
    assert "the price point for that would be $192,000" in second.text


def test_a_continued_quote_stops_at_another_speaker(real_dir: Path) -> None:
    # Carmen Andoh breaks off ("So--") and Rob Pike takes the turn: his words are not hers.
    turns = read_transcript_file(real_dir / "gotime-100-rob-pike.md").utterances
    at = next(u.index for u in turns if u.text == "That's great. So--")
    lead = Candidate(0, _passage(at), turns[at], 0, len(turns[at].text))
    assert turns[at + 1].canonical_speaker != turns[at].canonical_speaker
    assert continue_quote(lead, lambda _, i: turns[i]) == lead


def _sentence_candidate(kremlin_dir: Path, page: str, sentence: str) -> Candidate:
    """The candidate quoting one sentence of a kremlin.ru page."""
    turns = read_transcript_file(kremlin_dir / f"{page}.html").utterances
    turn = next(u for u in turns if sentence in u.text)
    start = turn.text.index(sentence)
    passage = Passage(page, page, None, turn.index, turn.index, (), "", 1.0)
    return Candidate(0, passage, turn, start, start + len(sentence))


def test_a_why_quote_grows_to_the_cause_beside_it(kremlin_dir: Path) -> None:
    # Putin at the agricultural producers' forum (2018): the next sentence gives the cause.
    dropped = _sentence_candidate(
        kremlin_dir,
        "57035",
        "I have just been informed that a couple of years ago a clause was dropped",
    )
    dropped = replace(dropped, end=dropped.utterance.text.index(" This was done"))
    grown = explain_quote(dropped)
    assert grown.text.startswith("I have just been informed")
    assert grown.text.endswith("abuses with the use of allocated agricultural lands.")
    # Golodets (2013): "therefore" concludes from the sentences before it, past the example.
    therefore = _sentence_candidate(
        kremlin_dir, "17542", "We therefore will get civil society to help us here"
    )
    therefore = replace(therefore, end=len(therefore.utterance.text))
    grown = explain_quote(therefore, max_words=40)
    assert grown.text.startswith("But as I said, many guardians say that the diagnoses")
    assert grown.text.endswith("to make progress on this matter.")
    # Each stays one verbatim span of its utterance.
    assert grown.text in therefore.utterance.text
    # Putin to TASS (2020): "There is an explanation." announces the cause the next gives.
    stagnation = _sentence_candidate(
        kremlin_dir, "62931", "I am deeply concerned that this sort of stagnation has hit real"
    )
    stagnation = replace(stagnation, end=stagnation.utterance.text.index(" There is an"))
    assert explain_quote(stagnation).text.endswith("a drastic drop in energy prices.")
    # Putin on the Il-20 (2018): the next sentence gives no cause, so nothing is added.
    different = _sentence_candidate(kremlin_dir, "58586", "this was a different situation.")
    assert explain_quote(different) == different


def test_a_why_quote_opening_its_paragraph_grows_back_into_the_one_before(
    kremlin_dir: Path,
) -> None:
    # Sobyanin to Putin, February 2017 (kremlin.ru 53915): "Therefore…" opens a paragraph and
    # concludes from the last sentence of the one before, past the editor's note (heldout34:
    # h34c-02 quoted the request alone).
    therefore = _sentence_candidate(
        kremlin_dir, "53915", "Therefore, Mr President, if possible, I would like to ask"
    )
    therefore = replace(therefore, end=therefore.utterance.text.index(" We are ready"))
    turns = read_transcript_file(kremlin_dir / "53915.html").utterances
    before = turns[therefore.utterance.index - 1]
    grown = explain_quote(therefore, 40, before)
    assert "there are certain problems associated with the regulatory side" in grown.text
    assert grown.text.endswith("initiating a special law.")
    # One verbatim quote over the two paragraphs, cited from the first to the second.
    assert (grown.utterance, grown.last_index) == (before, therefore.utterance.index)
    assert grown.text == (
        f"{before.text[grown.start :].rstrip()} {therefore.utterance.text[: therefore.end]}"
    )
    # Not into another speaker's turn, nor without the utterance before.
    putin = turns[therefore.utterance.index - 3]
    assert putin.canonical_speaker == "Vladimir Putin"
    assert explain_quote(therefore, 40, putin) == therefore
    assert explain_quote(therefore, 40) == therefore


def test_a_name_question_s_lead_grows_back_to_the_sentence_that_names(kremlin_dir: Path) -> None:
    # Anna Kuznetsova to Putin, June 2018 (kremlin.ru 57642): she names the project, then says
    # what it is for; the lead the question's words choose is the second sentence.
    question = "What is the name of the project aimed at choosing the best practices for children?"

    def called(text: str) -> bool:
        return says_what_is_called(text, question)

    aimed = _sentence_candidate(kremlin_dir, "57642", "This project is aimed at choosing")
    aimed = replace(aimed, end=len(aimed.utterance.text))
    assert not shows_name(aimed.text, question)
    grown = grown_back(aimed, called)
    assert grown is not None and grown.text.startswith("Mr President, children’s rights")
    assert grown.text.endswith("choosing the best childhood practices.")
    assert grown.text in aimed.utterance.text and shows_name(grown.text, question)
    # Only when the sentence before says it, and not past a long one.
    assert grown_back(aimed, called, max_words=10) is None
    assert grown_back(aimed, lambda text: "Kremlin" in text) is None
    # A quote that opens its utterance has nothing before it.
    assert grown_back(grown, called) is None


def test_a_long_quote_is_cut_to_a_window_that_keeps_what_is_asked(kremlin_dir: Path) -> None:
    # The launch of the Power of Siberia, December 2019 (kremlin.ru 62163): CNPC's Wang Jiuling
    # in two sentences, 57 words, the date opening the first and the launch ending the second.
    question = "On what date was the memorandum on eastern-route gas supplies signed?"
    page = read_transcript_file(kremlin_dir / "62163.html")
    opening = "On May 21, 2014 in Shanghai"
    u = next(u for u in page.utterances if u.text.startswith(opening))
    passage = Passage(page.id, page.title, page.date, u.index, u.index, (), "", 1.0)
    quote = Candidate(0, passage, u, 0, len(u.text))
    terms = ["memorandum", "eastern", "route", "gas", "supplies", "signed"]
    assert len(quote.text.split()) > 45
    # The window richest in the question's words drops the date...
    assert "May 21, 2014" not in trim_quote(quote, terms, 45).text

    # ...the one that keeps a figure the question does not give has it.
    kept = trim_quote(quote, terms, 45, lambda text: shows_figure(text, question))
    assert kept.text.startswith(opening) and len(kept.text.split()) == 45
    # A quote without one is cut as before.
    assert trim_quote(quote, terms, 45, lambda text: False) == trim_quote(quote, terms, 45)


def _passage(at: int) -> Passage:
    return Passage("huntsville", "Huntsville budget work session", None, at, at + 3, (), "", 1.0)


def test_a_who_asked_question_skips_the_turns_of_the_person_asked() -> None:
    # Direct Line, 2013-04-25 (kremlin.ru 17976): the caller's question and Putin's reply.
    caller = Utterance(
        40,
        "Sergei Malenko",
        "Sergei Malenko",
        "And the traditional question from a huge number of Russians: when will he finally be "
        "jailed?",
    )
    reply = Utterance(
        41,
        "Vladimir Putin",
        "Vladimir Putin",
        "Mr Chubais remains someone whom we very much need; public opinion is constantly "
        "deflected toward him when people don't like something.",
    )
    passage = Passage("17976", "Direct Line", "2013-04-25", 40, 41, (), "", 1.0)
    candidates = candidate_sentences([passage], lambda p: [caller, reply])
    question = "On the 2013 Direct Line, who asked Putin when Chubais would finally be jailed?"
    embed = HashEncoder(64).encode
    scored = score_candidates(question, candidates, embed, addressed=("Vladimir Putin",))
    assert scored and {c.utterance.canonical_speaker for c in scored} == {"Sergei Malenko"}
    # Without the addressee, Putin's turn is a candidate like any other.
    anyone = score_candidates(question, candidates, embed)
    assert "Vladimir Putin" in {c.utterance.canonical_speaker for c in anyone}


def test_a_name_is_matched_by_its_first_letters_and_a_code_whole() -> None:
    assert name_key("Karaganda", 5) == "karag"
    # QMSum meeting codes: the ES2006 series is not the ES2009 one.
    assert name_key("ES2006", 5) == "es2006"
    assert not "es2009a".startswith(name_key("ES2006", 5))


def test_the_names_a_question_is_about() -> None:
    question = "How many students enrolled on Wales's part-time PGCE in its first year?"
    assert question_names(question) == ["Wales", "PGCE"]
    # Not the speakers it filters on, not a month (a date filter of its own).
    asked = "What did Putin tell Gref about Sberbank's plans in December 2020?"
    assert question_names(asked, ["Vladimir Putin"]) == ["Gref", "Sberbank"]


def test_only_transcripts_that_name_the_question_s_subject_answer_it(
    assistant: Assistant, real_library: Library
) -> None:
    # Karaganda is named only in the seed transcript; Sberbank in the Gref meeting's title.
    passages = [
        Passage(t.id, t.title, t.date, 0, 0, (), "", 1.0) for t in real_library.transcripts()
    ]
    assert len(passages) == 4
    spelt: dict[str, tuple[str, ...]] = {}
    assert assistant.transcripts_naming(["Karaganda"], passages, spelt) == {SEED}
    assert assistant.transcripts_naming(["Sberbank"], passages, spelt) == {"58748"}
    # A name spelt otherwise counts through the library's spelling of it (the retriever finds it).
    assert assistant.transcripts_naming(["Qaraganda"], passages, spelt) == set()
    assert assistant.transcripts_naming(["Qaraganda"], passages, {"Qaraganda": ("Karaganda",)}) == {
        SEED
    }
    # "Putin" is in most chunks (every label of his): it does not tell transcripts apart.
    assert assistant.telling_names(["Putin", "Karaganda"]) == ["Karaganda"]
    # What names a transcript besides its words: its place (Novo-Ogaryovo), its lead ("the
    # mortgage and consumer lending markets"), its kremlin.ru tags and its file name.
    for name in ["Ogaryovo", "mortgage", "Banks"]:
        assert "58748" in assistant.transcripts_naming([name], passages, spelt), name
    assert assistant.transcripts_naming(["58748"], passages, spelt) == {"58748"}


@pytest.mark.slow
def test_a_name_no_retrieved_transcript_says_leaves_the_quotes_to_the_checks(
    qmsum_dir: Path,
    real_encoder,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    # Two Welsh Assembly committee meetings (QMSum val): only education_0 ever says "Senedd",
    # the teacher-training one calls itself the Assembly. "At the Senedd committee" names the
    # occasion, not what tells the answer apart: it was refused ("No passage that answers it
    # mentions Senedd.") although the figure is there.
    library = Library(tmp_path, real_encoder)
    ingest(library, [qmsum_dir / "education_0.json", qmsum_dir / "education_18.json"])
    answer = Assistant(library, Settings()).ask(
        "At the Senedd committee, to what share of the secondary teacher-training targets did "
        "Kirsty Williams say Wales was recruiting?"
    )
    assert not answer.abstained, answer.notices
    # Asked for a share, the lead shows one: the pair scorer of stop 67 alone led with
    # "…to consider (1) becoming a teacher, and (2)…".
    assert "65 per cent" in answer.citations[0].quote


@pytest.mark.slow
def test_the_recording_s_opening_answers_who_and_where_but_comes_last_otherwise(
    real_dir: Path,
    real_encoder,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    # The Edinburgh lecture on Bayes' theorem (a .docx): its opening names the lecturer and the
    # course, the words a question names the lecture by, and says nothing else.
    library = Library(tmp_path, real_encoder)
    ingest(library, [real_dir / "docx-uoe-bayes-lecture.docx"])
    assistant = Assistant(library, Settings())
    figure = assistant.ask(
        "In Dr Federico Andreis's Bayes' theorem lecture, what probability does the "
        "car-insurance example give that a policyholder who had an accident is accident-prone?"
    )
    assert not figure.abstained, figure.notices
    # The lecture gives the figure twice: "…estimating in 0.4 – or 40% – the probability…" and,
    # checking it, "…20 are in the prone group. 20/50=0.4." Either answers.
    assert any("40%" in c.quote or "=0.4" in c.quote for c in figure.citations)
    assert not any(is_opening(c.quote) for c in figure.citations[:-1])
    who = assistant.ask("Who teaches the Probability lecture on Bayes' theorem (MATH08066)?")
    assert "Federico Andreis" in who.citations[0].quote
    _assert_citations_verify(figure, library)


def test_a_figure_about_something_no_transcript_there_names_is_refused(
    assistant: Assistant,
) -> None:
    answer = assistant.ask("How many cars did Tesla deliver in 2020?")
    assert answer.abstained and not answer.citations


def test_a_name_the_captions_write_as_two_words_is_in_the_library(
    real_dir: Path, tmp_path: Path
) -> None:
    # The JSConf captions write "according to West world an HBO sci-fi…": asked about
    # Westworld, the talk was refused because no transcript says the name as one word
    # (heldout34, h34b-30).
    library = Library(tmp_path, HashEncoder(64))
    ingest(library, [real_dir / "jsconf-opher-vishnia.en.vtt"])
    assistant = Assistant(library, Settings(library=str(tmp_path), embedding_model="hash:64"))
    assert library.phrase_count(["West", "world"]) > 0 == library.term_count("Westworld")
    asked = "In his JSConf talk, what did Opher Vishnia say the AI robots in HBO's {} run on?"
    _, retrieval = assistant.retrieve(asked.format("Westworld"))
    assert assistant.evidence_gap(asked.format("Westworld"), retrieval) is None
    _, retrieval = assistant.retrieve(asked.format("Eastworld"))
    assert assistant.evidence_gap(asked.format("Eastworld"), retrieval) == (
        "No transcript in the library mentions Eastworld."
    )
