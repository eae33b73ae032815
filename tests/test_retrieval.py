"""Retrieval: fusion, merging, query parsing, filters inside the search, and the three modes."""

from __future__ import annotations

from pathlib import Path

import pytest

from embeddings.encoder import HashEncoder
from qa.library import Library, StoredChunk
from qa.models import Chunk, Filters
from qa.retrieval import (
    Hit,
    Retriever,
    content_terms,
    detect_dates,
    detect_speakers,
    fts_query,
    merge_adjacent,
    reciprocal_rank_fusion,
)
from tests.conftest import sample_paths

KNOWN = ["Vladimir Putin", "Nursultan Nazarbayev", "Dmitry Peskov", "Question", "Sergei Shoigu"]


def test_reciprocal_rank_fusion_by_hand() -> None:
    fused = dict(reciprocal_rank_fusion([[1, 2, 3], [3, 1]], k=60))
    assert fused[1] == pytest.approx(1 / 61 + 1 / 62)
    assert fused[3] == pytest.approx(1 / 63 + 1 / 61)
    assert fused[2] == pytest.approx(1 / 62)
    assert [i for i, _ in reciprocal_rank_fusion([[1, 2, 3], [3, 1]], k=60)] == [1, 3, 2]


def _stored(cid: int, tid: str, ordinal: int) -> StoredChunk:
    chunk = Chunk(tid, ordinal, ordinal * 2, ordinal * 2 + 1, ("A",), f"A: text {cid}", 3)
    return StoredChunk(cid, chunk, f"title {tid}", "2020-01-01")


def test_adjacent_chunks_merge_and_keep_the_better_rank() -> None:
    hits = [
        Hit(_stored(10, "t1", 4), 0.9, 1, None),
        Hit(_stored(11, "t1", 5), 0.8, 2, None),
        Hit(_stored(20, "t2", 0), 0.7, None, 1),
        Hit(_stored(12, "t1", 9), 0.6, 3, 2),
    ]
    passages = merge_adjacent(hits, k=5)
    assert [p.chunk_ids for p in passages] == [(10, 11), (20,), (12,)]
    first = passages[0]
    assert (first.utterance_start, first.utterance_end) == (8, 11)
    assert first.score == 0.9 and first.dense_rank == 1
    assert merge_adjacent(hits, k=1)[0].chunk_ids == (10, 11)
    assert len(merge_adjacent(hits, k=2)) == 2


def test_query_terms_drop_framing_and_cannot_inject_fts_syntax() -> None:
    assert content_terms("What did the group discuss about the remote control?") == [
        "remote",
        "control",
    ]
    query = fts_query('NEAR(putin OR "crimea"*) AND -sanctions')
    assert query == '"near" OR "putin" OR "crimea" OR "sanctions"'
    assert fts_query("?!") == ""


def test_detect_speakers() -> None:
    assert detect_speakers("What did Peskov say about sanctions?", KNOWN) == ["Dmitry Peskov"]
    assert detect_speakers("What did Putin say about Nazarbayev?", KNOWN) == ["Vladimir Putin"]
    assert detect_speakers("Nazarbayev's view on vaccines", KNOWN) == ["Nursultan Nazarbayev"]
    assert detect_speakers("what did putin say", KNOWN) == []  # lowercase is a common word risk
    assert detect_speakers("Question about Crimea", KNOWN) == []
    # A misspelt label in the source shares the surname: the frequent speaker is meant.
    assert detect_speakers("What did Putin say?", [*KNOWN, "Vlaidmir Putin"]) == ["Vladimir Putin"]
    assert detect_speakers("What did Vlaidmir Putin say?", [*KNOWN, "Vlaidmir Putin"]) == [
        "Vlaidmir Putin"
    ]


def test_detect_dates() -> None:
    assert detect_dates("How many times did Putin mention Crimea in 2014?") == (
        "2014-01-01",
        "2014-12-31",
    )
    assert detect_dates("What about 2018?") == ("2018-01-01", "2018-12-31")
    assert detect_dates("between 2016 and 2012") == ("2012-01-01", "2016-12-31")
    assert detect_dates("since 2019") == ("2019-01-01", None)
    assert detect_dates("before 2000") == (None, "1999-12-31")
    assert detect_dates("the 2018 World Cup") == (None, None)


@pytest.fixture(scope="module")
def hash_library(tmp_path_factory: pytest.TempPathFactory) -> Library:
    library = Library(tmp_path_factory.mktemp("retrieval"), HashEncoder(64))
    library.ingest(sample_paths())
    return library


@pytest.mark.parametrize("mode", ["dense", "keyword", "hybrid"])
def test_each_mode_finds_the_vaccine_passage(hash_library: Library, mode: str) -> None:
    result = Retriever(hash_library, mode=mode).retrieve("Karaganda vaccine enterprise", 4)
    assert result.passages
    # The hash embedder is a plain bag of words, so dense only has to find it, not rank it first.
    top = (
        result.passages[0]
        if mode != "dense"
        else next(p for p in result.passages if "Karaganda" in p.text)
    )
    assert top.transcript_id == "meeting-with-nursultan-nazarbayev-2021-06-30"
    assert "Karaganda" in top.text
    if mode == "keyword":
        assert top.keyword_rank == 1 and top.dense_rank is None


def test_speaker_filter_inside_the_search_still_fills_k(hash_library: Library) -> None:
    speaker = Filters(speakers=("Nursultan Nazarbayev",))
    available = hash_library.filtered_chunk_ids(speaker)
    assert available is not None
    for mode in ("dense", "keyword", "hybrid"):
        result = Retriever(hash_library, mode=mode).retrieve(
            "economy banks defence trade", 3, speaker, detect=False
        )
        assert result.passages, mode
        assert all("Nursultan Nazarbayev" in p.speakers for p in result.passages)
        chunks = sum(len(p.chunk_ids) for p in result.passages)
        assert chunks >= min(3, len(available)) or mode == "keyword"


def test_question_naming_a_speaker_becomes_a_filter(hash_library: Library) -> None:
    result = Retriever(hash_library).retrieve("What did Shoigu say about the navy?", 5)
    assert result.detected.speakers == ("Sergei Shoigu",)
    assert result.filters.speakers == ("Sergei Shoigu",)
    assert all("Sergei Shoigu" in p.speakers for p in result.passages)
    user_choice = Filters(speakers=("Vladimir Putin",))
    kept = Retriever(hash_library).retrieve("What did Shoigu say?", 5, user_choice)
    assert kept.filters.speakers == ("Vladimir Putin",) and not kept.detected.speakers


def test_date_and_transcript_filters(hash_library: Library) -> None:
    retriever = Retriever(hash_library)
    in_2020 = retriever.retrieve(
        "Nazarbayev meeting", 5, Filters(since="2020-01-01", until="2020-12-31")
    )
    assert in_2020.passages and all(p.date and p.date.startswith("2020") for p in in_2020.passages)
    one = retriever.retrieve("meeting", 5, Filters(transcripts=("58748",)))
    assert one.passages and {p.transcript_id for p in one.passages} == {"58748"}
    nothing = retriever.retrieve("meeting", 5, Filters(transcripts=("absent",)))
    assert nothing.passages == ()


def test_hostile_queries_do_not_fail(hash_library: Library) -> None:
    retriever = Retriever(hash_library)
    for query in [
        '"',
        "*",
        "NEAR(",
        "OR",
        "AND NOT",
        "';DROP TABLE chunks;--",
        "Ð¿ÑÐ¸Ð²ÐµÑ",
        "x" * 10_000,
    ]:
        result = retriever.retrieve(query, 3)
        assert isinstance(result.passages, tuple)
    with pytest.raises(ValueError, match="k must be greater than 0"):
        retriever.retrieve("trade", 0)


@pytest.mark.slow
def test_real_model_ranks_the_answering_passage_first(real_library: Library) -> None:
    result = Retriever(real_library).retrieve("Who produces the Russian vaccine in Kazakhstan?", 3)
    assert "Karaganda" in result.passages[0].text


def test_unknown_mode_is_refused(tmp_path: Path) -> None:
    library = Library(tmp_path / "lib", HashEncoder(16))
    with pytest.raises(ValueError, match="retriever must be one of"):
        Retriever(library, mode="bm25")
