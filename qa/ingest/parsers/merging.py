"""Cue merging: subtitle cues and ASR segments -> sentence-complete utterances.

Captions and ASR segments are cut by screen space or by the recogniser's window, not by meaning:
a quote ending at a cue boundary ends mid-clause. Consecutive pieces of one speaker are joined
until a sentence ends and the utterance is long enough to stand alone, within a bound.

Bounds, and why:
- MAX_WORDS = 60: a quotable answer sentence is 4-60 words (qa.sentences), and the chunker packs
  200 tokens (about 150 words), so an utterance of at most ~60 words plus one piece keeps two or
  more utterances per chunk and a citation's start time within ~20 s of the words it cites.
- An utterance that has ended a sentence takes the next piece only while both together stay
  within MAX_WORDS. One that has not ended a sentence takes pieces until it has HARD_MAX_WORDS
  (90) words, so a sentence running past 60 words still ends inside its utterance; unpunctuated
  captions (YouTube auto-captions) are cut at 90 words, mid-sentence, as nothing better is known.
- PAUSE_S = 3.0: a silence of more than three seconds between pieces starts a new utterance
  (a new thought, or a speaker the captions do not name).
- A change of speaker, or a turn marker ("- ", ">>") in the source, always starts a new one.
The utterance starts where its first piece starts and ends where its last piece ends; where
each later piece starts is kept in its marks, so a citation's time is that of its own words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from qa.ingest.parsers._common import Turn

__all__ = ["HARD_MAX_WORDS", "MAX_WORDS", "PAUSE_S", "ends_sentence", "merge_pieces"]

MAX_WORDS = 60
HARD_MAX_WORDS = 90
PAUSE_S = 3.0

_SENTENCE_END_RE = re.compile(r"[.?!…。？！]['\"”’)\]»]*$")


def ends_sentence(text: str) -> bool:
    """Whether the text ends with sentence-final punctuation (closing quotes allowed)."""
    return bool(_SENTENCE_END_RE.search(text.rstrip()))


def _gap(previous: Turn, piece: Turn) -> float | None:
    if previous.end_s is None or piece.start_s is None:
        return None
    return piece.start_s - previous.end_s


def merge_pieces(pieces: Iterable[Turn]) -> list[Turn]:
    """Join consecutive pieces of one speaker into utterances (see the module docstring)."""
    merged: list[Turn] = []
    words = 0
    current: Turn | None = None
    for piece in pieces:
        if not piece.text:
            continue
        n = len(piece.text.split())
        if current is not None and _joins(current, words, piece, n):
            if piece.start_s is not None and current.start_s is not None:
                current.marks.append((len(current.text) + 1, piece.start_s))
            current.text = f"{current.text} {piece.text}"
            if piece.end_s is not None:
                current.end_s = piece.end_s
            if current.start_s is None:
                current.start_s = piece.start_s
            words += n
            continue
        current = Turn(piece.speaker, piece.text, piece.start_s, piece.end_s, piece.part)
        merged.append(current)
        words = n
    return merged


def _joins(current: Turn, words: int, piece: Turn, n: int) -> bool:
    if piece.new_turn or piece.speaker != current.speaker or piece.part != current.part:
        return False
    gap = _gap(current, piece)
    if gap is not None and gap > PAUSE_S:
        return False
    if ends_sentence(current.text):
        return words + n <= MAX_WORDS
    return words < HARD_MAX_WORDS
