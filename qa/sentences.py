"""Sentence boundaries with pysbd, as character spans of the original text."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from functools import lru_cache

import pysbd

__all__ = [
    "answer_spans",
    "is_quotable",
    "join_fragments",
    "quotable_sentences",
    "sentence_spans",
    "split_long",
    "split_sentences",
]

# A sentence an answer may quote on its own: shorter ones are greetings and interjections,
# longer ones would take the whole answer.
MIN_QUOTE_WORDS = 4
MAX_QUOTE_WORDS = 60
# A sentence longer than MAX_QUOTE_WORDS is quoted in pieces of about this many words: speech
# run on without a full stop (a caption track with no punctuation at all, an ASR segment, a
# long formal period) is otherwise never quotable, and what it says never an answer.
LONG_PIECE_WORDS = 30
# How far (in words) from an even cut a piece may end instead at a clause's edge.
CLAUSE_REACH = 10
# Words that open a clause: a piece of run-on speech is cut before one when no punctuation is
# near ("…with JavaScript there we're done and and I know | where it's like…"). Not "and" or
# "or", which join names as often as clauses ("the Ministry of Communications and Mass Media").
_CLAUSE_OPENER = re.compile(
    r"(but|so|because|then|which|who|when|where|if|although|though|while|um|uh|okay|well)"
    r"\W*",
    re.IGNORECASE,
)


_WORD = re.compile(r"\S+")


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    # Building a Segmenter compiles its rule set; one is enough for the process.
    return pysbd.Segmenter(language="en", clean=False)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character offsets (start, end) of each sentence of text, without surrounding whitespace."""
    first = len(text) - len(text.lstrip())
    if first == len(text):
        return []
    starts = [first]
    cursor = first
    # Segmenter.segment would realign each sentence with a fresh regex over the whole text
    # (quadratic, and it stores the text on the shared segmenter); we align them ourselves.
    for segment in _segmenter().processor(text).process():
        piece = segment.strip()
        if not piece:
            continue
        found = text.find(piece, cursor)
        # A segment pysbd rewrote cannot be found; its text stays with the sentence before it.
        if found < 0:
            continue
        if found > starts[-1]:
            starts.append(found)
        cursor = found + len(piece)
    # Each sentence runs to the next one's start, so every character of text is in some span.
    ends = [*starts[1:], len(text)]
    return [
        (start, start + len(text[start:end].rstrip()))
        for start, end in zip(starts, ends, strict=True)
    ]


def split_sentences(text: str) -> list[str]:
    """The sentences of text, each a verbatim substring of it (surrounding whitespace removed)."""
    return [text[start:end] for start, end in sentence_spans(text)]


def is_quotable(text: str) -> bool:
    """Whether an answer may quote text on its own: 4 to 60 words."""
    return MIN_QUOTE_WORDS <= len(text.split()) <= MAX_QUOTE_WORDS


def quotable_sentences(text: str) -> list[tuple[int, int]]:
    """Spans of the sentences of text (fragments joined) an answer may quote on their own:
    those ingest embeds."""
    return [(start, end) for start, end in answer_spans(text) if is_quotable(text[start:end])]


def join_fragments(text: str, spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The spans with each sentence too short to quote alone joined to the one before it, or,
    at the start, to the one after it: in speech the answer is often a fragment ("Do you know
    how much Russia does now? 1.1 billion.", "Never. Just like the United States, …")."""
    joined: list[tuple[int, int]] = []
    leading: int | None = None  # where the utterance's opening fragments start
    for start, end in spans:
        if leading is not None:
            start, leading = leading, None
        if len(text[start:end].split()) >= MIN_QUOTE_WORDS:
            joined.append((start, end))
        elif joined:
            joined[-1] = (joined[-1][0], end)
        else:
            leading = start
    if leading is not None:
        joined.append((leading, spans[-1][1]))
    return joined


def split_long(text: str, spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The spans with each one longer than MAX_QUOTE_WORDS words cut into pieces of about
    LONG_PIECE_WORDS words, each cut moved to the nearest clause edge within CLAUSE_REACH words
    (after a comma, semicolon, colon or dash, else before a word that opens a clause)."""
    pieces: list[tuple[int, int]] = []
    for start, end in spans:
        words = [(start + m.start(), start + m.end()) for m in _WORD.finditer(text[start:end])]
        if len(words) <= MAX_QUOTE_WORDS:
            pieces.append((start, end))
            continue
        count = -(-len(words) // LONG_PIECE_WORDS)
        cuts = [0]
        for n in range(1, count):
            even = round(n * len(words) / count)
            near = range(
                max(cuts[-1] + MIN_QUOTE_WORDS, even - CLAUSE_REACH),
                min(len(words) - MIN_QUOTE_WORDS, even + CLAUSE_REACH) + 1,
            )
            cuts.append(min(near, key=lambda i: (_edge_rank(text, words, i), abs(i - even))))
        cuts.append(len(words))
        # Each cut is at least MIN_QUOTE_WORDS past the one before: no piece is empty.
        pieces += [(words[a][0], words[b - 1][1]) for a, b in itertools.pairwise(cuts)]
    return pieces


def _edge_rank(text: str, words: Sequence[tuple[int, int]], i: int) -> int:
    """How good a cut before word i is: 0 after clause punctuation, 1 before a clause opener,
    2 elsewhere."""
    before = text[words[i - 1][0] : words[i - 1][1]]
    if before[-1:] in ",;:" or before in ("-", "–", "—") or text[words[i][0]] in "-–—":
        return 0
    if _CLAUSE_OPENER.fullmatch(text[words[i][0] : words[i][1]]):
        return 1
    return 2


def answer_spans(text: str) -> list[tuple[int, int]]:
    """The spans an answer quotes and ingest embeds: the sentences, fragments joined, long
    ones in pieces."""
    return split_long(text, join_fragments(text, sentence_spans(text)))
