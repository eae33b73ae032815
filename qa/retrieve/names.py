"""Names matched approximately: speech transcripts misspell them (ASR writes a similar-sounding
name; transliterations differ: Tokayev, Tokaev; Zelensky, Zelenskiy; Peskov, Peskoff).

`phonetic_key` is a small Metaphone-like key written for transliterated names; `close_names`
finds the words of a vocabulary that sound and read like a name (rapidfuzz ratio on the letters,
the key on the sound). Pure functions; the Retriever supplies the library's vocabulary.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

__all__ = [
    "MIN_RATIO",
    "NameVariants",
    "best_variant",
    "close_names",
    "family_in",
    "phonetic_key",
]

# Letter similarity (rapidfuzz ratio, 0-100) a variant needs besides an equal phonetic key, and
# the stricter one that admits a variant whose key differs (one letter dropped or doubled).
MIN_RATIO = 75.0
MIN_RATIO_ANY_KEY = 88.0
_MIN_LENGTH = 4  # shorter words ("Li", "Ivo") match too much by sound
_MIN_FAMILY_LETTERS = 5

# Spellings of one sound, longest first; applied left to right on lowercase letters.
_SOUNDS = (
    ("sch", "s"),
    ("tch", "c"),
    ("dzh", "j"),
    ("zh", "j"),
    ("kh", "h"),
    ("ch", "c"),
    ("sh", "s"),
    ("ph", "f"),
    ("th", "t"),
    ("ts", "s"),
    ("tz", "s"),
    ("ck", "k"),
    ("gh", "g"),
    ("ks", "x"),
    ("cz", "c"),
    ("q", "k"),
    ("w", "v"),
    ("z", "s"),
    ("y", "i"),
    ("j", "i"),
)
_VOWELS = frozenset("aeiou")


@lru_cache(maxsize=65536)
def phonetic_key(word: str) -> str:
    """A sound key: lowercase letters, common transliteration digraphs folded ("kh" -> "h",
    "ts" -> "s", "w" -> "v", "y" -> "i"), "c" read as "k" or "s", final "ff"/"v" as "f",
    vowels after the first letter dropped, doubled letters collapsed. "Tokayev", "Tokaev" and
    "Tokaiev" share "TKF"."""
    text = re.sub(r"[^a-z]", "", word.lower())
    if not text:
        return ""
    out: list[str] = []
    i = 0
    while i < len(text):
        for spelling, sound in _SOUNDS:
            if text.startswith(spelling, i):
                out.append(sound)
                i += len(spelling)
                break
        else:
            ch = text[i]
            if ch == "c":
                ch = "s" if text[i + 1 : i + 2] in ("e", "i") else "k"
            out.append(ch)
            i += 1
    folded = "".join(out)
    folded = re.sub(r"(?:v|ff?)$", "f", folded)  # Peskov, Peskoff
    first, rest = folded[0], folded[1:]
    # "i" stands for y and j too; between vowels it is a glide, otherwise a vowel
    rest = "".join(ch for ch in rest if ch not in _VOWELS)
    key = first + rest
    return re.sub(r"(.)\1+", r"\1", key).upper()


@dataclass(frozen=True)
class NameVariants:
    """A name as the question writes it and the vocabulary's words that are close to it."""

    name: str
    variants: tuple[str, ...]  # best first; empty when the vocabulary has the name as written


def close_names(name: str, vocabulary: Mapping[str, int], *, limit: int = 3) -> NameVariants:
    """Words of `vocabulary` ({lowercase word: documents}) that read or sound like `name`,
    closest first, when the vocabulary lacks `name` itself; nothing for short names."""
    word = name.lower()
    if word in vocabulary or len(word) < _MIN_LENGTH:
        return NameVariants(name, ())
    key = phonetic_key(word)
    found: list[tuple[float, int, str]] = []
    # rapidfuzz scans the vocabulary in C; only its close spellings get a phonetic key
    for candidate, ratio, _ in process.extract(
        word, list(vocabulary), scorer=fuzz.ratio, score_cutoff=MIN_RATIO, limit=50
    ):
        if len(candidate) < _MIN_LENGTH:
            continue
        if ratio >= MIN_RATIO_ANY_KEY or phonetic_key(candidate) == key:
            found.append((-ratio, -vocabulary[candidate], candidate))
    return NameVariants(name, tuple(c for _, _, c in sorted(found)[:limit]))


def family_in(name: str, vocabulary: Iterable[str]) -> bool:
    """Whether the vocabulary (lowercase words) has a word formed from the name or that the
    name is formed from, one beginning the other: a question names a country by its people
    and a people by its country ("the Kazakh president" of a library that says only
    "Kazakhstan"; "Moldova" of one that says "Moldovan"). Words of fewer than
    _MIN_FAMILY_LETTERS letters begin too many others."""
    word = name.lower()
    if len(word) < _MIN_FAMILY_LETTERS:
        return False
    head = word[:_MIN_FAMILY_LETTERS]
    return any(w.startswith(word) or word.startswith(w) for w in vocabulary if w.startswith(head))


def best_variant(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate (a speaker's surname, a title word) closest to `name`, if close enough."""
    word = name.lower()
    key = phonetic_key(word)
    best: tuple[float, str] | None = None
    for candidate in candidates:
        low = candidate.lower()
        if len(low) < _MIN_LENGTH or len(word) < _MIN_LENGTH:
            continue
        ratio = fuzz.ratio(word, low)
        close = ratio >= MIN_RATIO_ANY_KEY or (ratio >= MIN_RATIO and phonetic_key(low) == key)
        if close and (best is None or ratio > best[0]):
            best = (ratio, candidate)
    return best[1] if best else None
