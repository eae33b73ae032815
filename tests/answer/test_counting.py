"""Counting questions over real kremlin.ru pages: what is counted as a mention of a phrase."""

from __future__ import annotations

import re

import pytest

from embeddings.base import HashEncoder
from qa.answer.counting import counted_terms, enumerate_mentions
from qa.ingest.pipeline import ingest
from qa.models import Filters
from qa.store.library import Library
from tests.conftest import require_shared, sample_paths

# The Council for Civil Society and Human Rights, 2017-10-30; the news conference after the
# state visit to Turkey, 2014-12-01 (South Stream, and Blue Stream beside it).
HUMAN_RIGHTS_COUNCIL = "55947"
TURKEY_2014 = "47126"


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Library:
    kremlin = require_shared("kremlin", "html")
    pages = [kremlin / f"{HUMAN_RIGHTS_COUNCIL}.html", kremlin / f"{TURKEY_2014}.html"]
    lib = Library(tmp_path_factory.mktemp("counting"), HashEncoder(64))
    ingest(lib, [*sample_paths(), *pages])
    return lib


def _said(library: Library, transcript_id: str, pattern: str) -> int:
    utterances = library.transcript(transcript_id).utterances
    return sum(len(re.findall(pattern, u.text, re.I)) for u in utterances)


def test_a_phrase_never_said_whole_is_counted_by_its_rarest_word(library: Library) -> None:
    # The council speaks of "observers" and of elections, never of "election observers".
    assert _said(library, HUMAN_RIGHTS_COUNCIL, r"\belection observers\b") == 0
    found = enumerate_mentions(
        library,
        "How often were election observers mentioned at the meeting with the Council?",
        Filters(transcripts=(HUMAN_RIGHTS_COUNCIL,)),
        related=False,
    )
    assert found.terms == ("observers",)
    assert found.occurrences == _said(library, HUMAN_RIGHTS_COUNCIL, r"\bobservers?\b") > 0


def test_a_phrase_said_whole_is_counted_whole(library: Library) -> None:
    found = enumerate_mentions(
        library,
        "How many times did South Stream come up at the news conference in Turkey?",
        Filters(transcripts=(TURKEY_2014,)),
        related=False,
    )
    assert found.terms == ("south", "stream")
    south_stream = _said(library, TURKEY_2014, r"\bsouth stream\b")
    # Blue Stream is a stream too, and not South Stream.
    assert _said(library, TURKEY_2014, r"\bstream\b") > south_stream > 0
    assert found.occurrences == south_stream


def test_the_quoted_word_is_counted_with_its_forms(library: Library) -> None:
    # A question that spells out the forms it counts counts the quoted word, not "including"
    # (heldout34: h34a-03 counted "including" once in the Ammonium plant's launch).
    asked = (
        'How many times is the word "{}" (including "{}s") said at the meeting with the Council?'
    )
    assert counted_terms(asked.format("project", "project"), []) == ["project"]
    found = enumerate_mentions(
        library,
        asked.format("observer", "observer"),
        Filters(transcripts=(HUMAN_RIGHTS_COUNCIL,)),
        related=False,
    )
    assert found.terms == ("observer",)
    assert found.occurrences == _said(library, HUMAN_RIGHTS_COUNCIL, r"\bobservers?\b") > 0
