"""Metrics on small literal inputs with hand-computed values, and against ranx on a toy run."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from eval.judges import LexicalJudge
from eval.metrics import (
    PassageRecord,
    abstention_scores,
    answer_first,
    answer_leads,
    answer_recall,
    budget_context,
    citation_precision,
    citation_recall,
    evidence_recall_at,
    grounded_share,
    mrr_at,
    ndcg_at,
    normalize,
    normalize_answer,
    passage_relevance,
    percentile,
    recall_at,
    split_answer_sentences,
    token_f1,
    verified_share,
)
from eval.suite import Evidence
from qa.models import Passage
from qa.tokens import count_tokens

# Real QMSum turns (Bed002, turns 93 and 95) and kremlin.ru sentences.
T93 = (
    "or so That 's ab er , i the street network of our geographic information system . And you "
    "can tell that we deliberately cut out this part . Because otherwise we couldn't get our GIS "
    "system to take {disfmarker} to lead people this way . So , {vocalsound} what we found "
    "interesting is , first of all , intentions differ . Maybe you want to enter a building ."
)
T95 = "Um , r red limestone ."
Q_STREET = "the street network of our geographic information system ."
Q_ENTER = "Maybe you want to enter a building ."
Q_INTENT = "first of all , intentions differ ."


def passage(tid: str, start: int, end: int, text: str) -> Passage:
    return Passage(
        transcript_id=tid,
        title="t",
        date=None,
        utterance_start=start,
        utterance_end=end,
        speakers=(),
        text=text,
        score=0.0,
    )


# --- normalize ------------------------------------------------------------------------------


def test_normalize_drops_punctuation_tokens_and_collapses_space() -> None:
    assert normalize("  We 're ,  uh ,\n gonna -- GO .") == "we 're uh gonna go"
    assert normalize("Mr President. <…> – Yes!") == "mr president. yes!"


def test_quote_matches_passage_with_speaker_labels() -> None:
    text = "Grad E: I guess .\nGrad B: Maybe you want to enter a building . Or maybe"
    ev = [Evidence("Bed002", utterance=93, quote=Q_ENTER)]
    assert passage_relevance([passage("Bed002", 92, 93, text)], ev) == [True]


# --- budget ---------------------------------------------------------------------------------


def test_budget_context_keeps_whole_passages_then_truncates_the_last() -> None:
    ps = [passage("m", 0, 0, T95), passage("m", 1, 1, T93), passage("m", 2, 2, T95)]
    n95 = count_tokens(T95)
    ctx = budget_context(ps, n95 + 5)
    assert len(ctx) == 2
    assert ctx[0] == T95
    assert count_tokens(ctx[1]) == 5 and T93.startswith(ctx[1])
    assert budget_context(ps, n95) == [T95]
    assert budget_context(ps, 10_000) == [T95, T93, T95]
    with pytest.raises(ValueError, match="got 0"):
        budget_context(ps, 0)


# --- evidence recall ------------------------------------------------------------------------


def test_evidence_recall_counts_quotes_inside_the_budget_only() -> None:
    ps = [passage("Bed002", 95, 95, T95), passage("Bed002", 93, 93, T93)]
    ev = [
        Evidence("Bed002", 93, Q_STREET),  # near the start of T93
        Evidence("Bed002", 93, Q_ENTER),  # at the end of T93
        Evidence("Bed002", 95, "red limestone ."),  # two words: skipped
    ]
    n95 = count_tokens(T95)
    # Budget reaches about 15 tokens into T93: the street quote is in, the last sentence is not.
    assert evidence_recall_at(ps, ev, n95 + 20) == 0.5
    assert evidence_recall_at(ps, ev, 10_000) == 1.0
    assert evidence_recall_at(ps, ev, n95) == 0.0


def test_evidence_recall_requires_the_same_transcript() -> None:
    ps = [passage("Bed010", 93, 93, T93)]
    assert evidence_recall_at(ps, [Evidence("Bed002", 93, Q_STREET)], 1000) == 0.0


def test_evidence_recall_index_only_by_utterance_coverage() -> None:
    ps = [passage("17108", 5, 9, "President of Russia Vladimir Putin: Good afternoon, friends.")]
    ev = [Evidence("17108", 7), Evidence("17108", 10), Evidence("17109", 7)]
    assert evidence_recall_at(ps, ev, 1000) == pytest.approx(1 / 3)


def test_evidence_recall_is_none_without_countable_evidence() -> None:
    ps = [passage("Bed002", 95, 95, T95)]
    assert evidence_recall_at(ps, [Evidence("Bed002", 95, "red limestone .")], 500) is None
    assert evidence_recall_at(ps, [], 500) is None


def test_quote_must_lie_inside_one_passage_not_across_two() -> None:
    ps = [
        passage("Bed002", 93, 93, "So , what we found interesting is , first of all ,"),
        passage("Bed002", 93, 93, "intentions differ . Maybe you want to enter a building ."),
    ]
    ev = [Evidence("Bed002", 93, Q_INTENT)]
    assert evidence_recall_at(ps, ev, 1000) == 0.0


# --- ranking metrics ------------------------------------------------------------------------

RANKED = [
    passage("Bed002", 95, 95, T95),  # 1: not relevant
    passage("Bed002", 91, 92, "Grad E: Mmm ."),  # 2: not relevant
    passage("Bed002", 93, 93, T93),  # 3: relevant (quotes)
    passage("Bed002", 94, 94, "Grad E: What 's it made out of ?"),  # 4: relevant (index 94)
]
GOLD = [
    Evidence("Bed002", 93, Q_STREET),
    Evidence("Bed002", 93, Q_ENTER),
    Evidence("Bed002", 94),
    Evidence("Bed002", 120, "and then be able to do querying and retrieval later on"),
]


def test_mrr_ndcg_recall_by_hand() -> None:
    assert passage_relevance(RANKED, GOLD) == [False, False, True, True]
    assert mrr_at(RANKED, GOLD, 10) == pytest.approx(1 / 3)
    assert mrr_at(RANKED, GOLD, 2) == 0.0
    dcg = 1 / math.log2(4) + 1 / math.log2(5)
    ideal = 1 / math.log2(2) + 1 / math.log2(3)
    assert ndcg_at(RANKED, GOLD, 10) == pytest.approx(dcg / ideal)
    assert recall_at(RANKED, GOLD, 10) == pytest.approx(3 / 4)
    assert recall_at(RANKED, GOLD, 3) == pytest.approx(2 / 4)
    assert ndcg_at(RANKED, [], 10) is None and mrr_at(RANKED, [], 10) is None
    with pytest.raises(ValueError, match="got 0"):
        mrr_at(RANKED, GOLD, 0)


def test_ndcg_ideal_counts_relevant_passages_beyond_k() -> None:
    ps = [passage("m", i, i, f"Speaker: sentence number {i} .") for i in range(5)]
    ev = [Evidence("m", 3), Evidence("m", 4)]
    # k=4: DCG has only rank 4; the ideal has two relevant passages at ranks 1 and 2.
    assert ndcg_at(ps, ev, 4) == pytest.approx((1 / math.log2(5)) / (1 + 1 / math.log2(3)))


def _ranx_scores(runs: list[list[Passage]], gold: list[list[Evidence]]) -> dict[str, float]:
    from ranx import Qrels, Run, evaluate

    qrels, run = {}, {}
    for qi, (ps, ev) in enumerate(zip(runs, gold, strict=True)):
        rel = passage_relevance(ps, ev)
        qrels[f"q{qi}"] = {f"p{r}": 1 for r, ok in enumerate(rel, start=1) if ok}
        run[f"q{qi}"] = {f"p{r}": float(len(ps) - r + 1) for r in range(1, len(ps) + 1)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = evaluate(Qrels(qrels), Run(run), ["mrr@10", "ndcg@10", "recall@10"])
    return {k: float(v) for k, v in scores.items()}


def test_mrr_and_ndcg_match_ranx_on_a_toy_run() -> None:
    long_run = [passage("Bed002", 80 + i, 80 + i, f"Grad B: filler turn {i} .") for i in range(12)]
    long_run[1] = passage("Bed002", 93, 93, T93)
    long_run[6] = passage("Bed002", 94, 94, "Grad E: What 's it made out of ?")
    long_run[11] = passage("Bed002", 95, 95, "Grad B: " + T95)  # relevant but beyond k=10
    gold_long = [Evidence("Bed002", 93, Q_ENTER), Evidence("Bed002", 94), Evidence("Bed002", 95)]
    runs = [RANKED, long_run]
    gold = [GOLD, gold_long]
    ours_mrr = np.mean([mrr_at(ps, ev, 10) for ps, ev in zip(runs, gold, strict=True)])
    ours_ndcg = np.mean([ndcg_at(ps, ev, 10) for ps, ev in zip(runs, gold, strict=True)])
    ref = _ranx_scores(runs, gold)
    assert ours_mrr == pytest.approx(ref["mrr@10"], abs=1e-9)
    assert ours_ndcg == pytest.approx(ref["ndcg@10"], abs=1e-9)
    # With one evidence item per relevant passage, our Recall@10 is ranx's passage recall.
    assert recall_at(long_run, gold_long, 10) == pytest.approx(2 / 3)
    assert recall_at(long_run, gold_long, 10) == pytest.approx(
        _ranx_scores([long_run], [gold_long])["recall@10"]
    )


def test_passage_record_satisfies_the_protocol() -> None:
    rec = PassageRecord("Bed002", 93, 93, T93)
    assert evidence_recall_at([rec], [Evidence("Bed002", 93, Q_ENTER)], 2000) == 1.0


# --- answer sentences and citations ---------------------------------------------------------


def test_split_answer_sentences_with_markers() -> None:
    text = (
        "Nazarbayev said a joint enterprise in Karaganda produces a Russian vaccine [2]. "
        "Putin said trade grew by about 20 percent this year. [1][3]\n"
        "- Mr. Putin thanked him [1, 2]"
    )
    assert split_answer_sentences(text) == [
        ("Nazarbayev said a joint enterprise in Karaganda produces a Russian vaccine.", [2]),
        ("Putin said trade grew by about 20 percent this year.", [1, 3]),
        ("Mr. Putin thanked him", [1, 2]),
    ]
    assert split_answer_sentences("Trade grew by 19.7 percent [1].") == [
        ("Trade grew by 19.7 percent.", [1])
    ]
    assert split_answer_sentences("") == []


PREMISE_TRADE = (
    "Despite the fact that the pandemic has stolen four or five percent from our trade, if I am "
    "not mistaken, we can see an increase of about 20 percent – over 18 already this year, in the "
    "first half of the year."
)
PREMISE_DOCTORS = (
    "And I will never forget many things – when I fell ill, a group of Russian doctors stood by "
    "me for ten days. It was decisive in my recovery, so it will not be forgotten."
)
PREMISE_VACCINE = (
    "Now in Karaganda, this enterprise produces a Russian vaccine of the same quality and in "
    "large quantities."
)
S_TRADE = "Trade increased by about 20 percent in the first half of the year."
S_DOCTORS = "A group of Russian doctors stood by Nazarbayev for ten days."
S_WRONG = "Trade increased by about 30 percent in the first half of the year."


def test_citation_recall_by_hand() -> None:
    judge = LexicalJudge()
    sentences = [
        (S_TRADE, [PREMISE_TRADE]),  # supported
        (S_DOCTORS, [PREMISE_VACCINE, PREMISE_DOCTORS]),  # supported jointly
        (S_WRONG, [PREMISE_TRADE]),  # number mismatch
        ("Nazarbayev thanked the Russian doctors.", []),  # no citation
    ]
    assert citation_recall(sentences, judge) == 0.5
    assert citation_recall([], judge) is None


def test_citation_precision_follows_alce() -> None:
    judge = LexicalJudge()
    sentences = [
        (S_TRADE, [PREMISE_TRADE]),  # 1 precise
        (S_DOCTORS, [PREMISE_VACCINE, PREMISE_DOCTORS]),  # doctors precise, vaccine irrelevant
        (S_WRONG, [PREMISE_TRADE, PREMISE_VACCINE]),  # not supported jointly: both imprecise
    ]
    assert citation_precision(sentences, judge) == pytest.approx(2 / 5)
    assert citation_precision([(S_TRADE, [])], judge) is None


class SplitJudge:
    """Supports only when every required fragment is in the premise (two halves of a claim)."""

    def supports(self, premise: str, claim: str) -> bool:
        return "Karaganda" in premise and "ten days" in premise


def test_citation_precision_keeps_citations_needed_jointly() -> None:
    # Neither citation supports alone, and neither can be removed: both are precise.
    sentences = [("Both facts.", [PREMISE_VACCINE, PREMISE_DOCTORS])]
    assert citation_precision(sentences, SplitJudge()) == 1.0
    assert citation_recall(sentences, SplitJudge()) == 1.0


def test_grounded_share_and_verified_share() -> None:
    judge = LexicalJudge()
    passages = [PREMISE_VACCINE, PREMISE_TRADE]
    assert grounded_share([S_TRADE, S_DOCTORS, S_WRONG], passages, judge) == pytest.approx(1 / 3)
    assert grounded_share([], passages, judge) is None
    assert verified_share([True, False, True, True]) == 0.75
    assert verified_share([]) is None


# --- correctness, abstention, speed ---------------------------------------------------------


def test_normalize_answer_is_squad_like() -> None:
    assert normalize_answer("The World Blitz Championship!") == "world blitz championship"
    assert normalize_answer("a five-day deadline") == "five day deadline"
    assert normalize_answer("Russia’s trade: $20 billion") == "russias trade 20 billion"


def test_answer_recall_by_hand() -> None:
    answer = "Nazarbayev named the Kulakov Centre and the Filatov Hospital [1]."
    assert answer_recall(answer, ["Kulakov Centre", "Filatov Hospital"]) == 1.0
    assert answer_recall(answer, ["Kulakov Centre", "St Petersburg hospitals"]) == 0.5
    # Word boundaries: "12" is not found inside "2012".
    assert answer_recall("He did it in 2012.", ["12"]) == 0.0
    assert answer_recall(answer, []) is None


def test_answer_first_looks_only_at_the_first_quote() -> None:
    quote = "Now in Karaganda, this enterprise produces a Russian vaccine."
    assert answer_first(quote, ["Karaganda"]) == 1.0
    assert answer_first(quote, ["ten days", "Russian vaccine"]) == 1.0
    assert answer_first("When I fell ill, doctors stood by me for ten days.", ["Karaganda"]) == 0.0
    assert answer_first(None, ["Karaganda"]) == 0.0  # abstained or uncited
    assert answer_first(quote, []) is None
    assert answer_leads("Nursultan Nazarbayev said: “Now in…”", ["Nazarbayev"]) == 1.0
    assert answer_leads(None, ["Karaganda"]) == 0.0 and answer_leads(quote, []) is None


def test_token_f1_by_hand() -> None:
    # pred tokens: trade grew by 20 percent (5); gold: about 20 percent (3); common 2.
    p, r = 2 / 5, 2 / 3
    assert token_f1("Trade grew by 20 percent.", ["about 20 percent"]) == pytest.approx(
        2 * p * r / (p + r)
    )
    assert token_f1("20 percent", ["Karaganda", "20 percent"]) == 1.0
    assert token_f1("Karaganda", ["ten days"]) == 0.0
    assert token_f1("anything", []) is None


def test_abstention_scores_by_hand() -> None:
    abstained = [True, True, False, False, True]
    answerable = [False, True, False, True, False]
    # TP = 2 (1st, 5th), predicted = 3, unanswerable = 3.
    scores = abstention_scores(abstained, answerable)
    assert scores["precision"] == pytest.approx(2 / 3)
    assert scores["recall"] == pytest.approx(2 / 3)
    assert scores["f1"] == pytest.approx(2 / 3)
    none = abstention_scores([False, False], [True, True])
    assert none == {"precision": None, "recall": None, "f1": None}
    with pytest.raises(ValueError, match="same length"):
        abstention_scores([True], [True, False])


def test_percentile_matches_numpy() -> None:
    values = [0.8, 0.1, 2.5, 0.4, 1.7, 0.9, 0.3]
    for q in (0, 50, 95, 100):
        assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)))
    assert percentile([1.0, 3.0], 50) == 2.0
    assert percentile([], 50) is None
    with pytest.raises(ValueError, match="got 101"):
        percentile(values, 101)
