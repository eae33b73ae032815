"""Who said it: quotes found exact or near, and references shown in context."""

from __future__ import annotations

import pytest

from embeddings.base import HashEncoder
from qa.answer.lookup import best_window, lookup, parse_ref, similarity, words
from qa.errors import LibraryError
from qa.ingest.pipeline import ingest
from qa.store.library import Library
from tests.conftest import sample_paths

SEED = "meeting-with-nursultan-nazarbayev-2021-06-30"


def test_parse_ref() -> None:
    assert parse_ref("17108#u12") == ("17108", 12, 12)
    assert parse_ref(" abc-1#u14-12 ") == ("abc-1", 12, 14)
    assert parse_ref("a quote with # in it") is None


def test_best_window_tolerates_case_punctuation_and_small_changes() -> None:
    text = "Now in Karaganda, this enterprise produces a Russian vaccine of the same quality."
    exact, span = best_window(words("this enterprise produces a Russian vaccine"), text)
    assert exact == 1.0 and span == "this enterprise produces a Russian vaccine"
    near, _ = best_window(words("THE enterprise produced a russian vaccine!"), text)
    assert 0.6 <= near < 1.0
    unrelated, _ = best_window(words("sanctions against the banking sector"), text)
    assert unrelated < 0.6


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Library:
    lib = Library(tmp_path_factory.mktemp("lookup"), HashEncoder(64))
    ingest(lib, sample_paths())
    return lib


def test_a_misremembered_quote_finds_its_speaker(library: Library) -> None:
    matches = lookup(library, "a group of russian doctors stayed by me for ten days")
    assert matches, "no match"
    best = matches[0]
    assert best.transcript_id == SEED and best.utterance.index == 10
    assert best.utterance.canonical_speaker == "Nursultan Nazarbayev"
    assert best.similarity < 1.0
    assert [u.index for u in best.context] == [8, 9, 10, 11, 12]


def test_a_quote_nobody_said_finds_nothing(library: Library) -> None:
    assert lookup(library, "the quarterly revenue of the avocado cartel rose sharply") == []
    assert lookup(library, "?!") == []


def test_a_reference_shows_the_utterance_in_context(library: Library) -> None:
    [match] = lookup(library, f"{SEED}#u9")
    assert "Karaganda" in match.utterance.text and match.ref == f"{SEED}#u9"
    assert len(lookup(library, f"{SEED}#u9-10")) == 2
    with pytest.raises(LibraryError, match="#u99 is not one of them"):
        lookup(library, f"{SEED}#u99")
    with pytest.raises(LibraryError, match="no transcript"):
        lookup(library, "nope#u1")


def test_similarity_is_difflibs_ratio_on_the_common_subsequence() -> None:
    from difflib import SequenceMatcher

    pairs = [
        ("this enterprise produces a russian vaccine", "the enterprise produced a russian vaccine"),
        ("a group of russian doctors", "a group of russian doctors"),
        ("sanctions against the banking sector", "now in karaganda this enterprise"),
    ]
    for a, b in pairs:
        ratio = SequenceMatcher(None, a.split(), b.split(), autojunk=False).ratio()
        assert similarity(a.split(), b.split()) == ratio
    # difflib's greedy blocks can miss a longer common subsequence ("peace trade"); it counts.
    a, b = ["war", "peace", "trade"], ["and", "peace", "and", "trade", "peace", "war"]
    assert SequenceMatcher(None, a, b, autojunk=False).ratio() == pytest.approx(2 / 9)
    assert similarity(a, b) == pytest.approx(4 / 9)
