"""Reading a question for retrieval: the keyword query, the speakers and dates it names.

Pure functions over the question and the library's speaker names; the Retriever applies them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from qa.speakers import GENERIC_SPEAKERS
from qa.text import AUX, SPEECH_VERBS, WORD, content_terms, topic_terms


def fts_query(question: str, speakers: Sequence[str] = ()) -> str:
    """An FTS5 MATCH expression OR-ing the question's terms, each quoted (no operator injection).

    The words of speakers the search is already filtered to are left out: "Putin" matches most
    of a kremlin.ru library, which made the search slow and told it nothing.
    """
    terms = topic_terms(question, speakers) or content_terms(question)
    return " OR ".join(f'"{t}"' for t in terms)


_ARTICLES = frozenset(["the", "a", "an"])
# Words before a name that make it the name of someone speaking ("agreed with Marketing",
# "suggested by Marketing"), unlike "the discussion about Marketing strategy".
_SPEAKER_CUES = AUX | frozenset(["by", "with", "from", "and", "asked", "told"])


@dataclass(frozen=True)
class _Mention:
    first: int  # word positions in the question, inclusive
    last: int
    name: str


@dataclass(frozen=True)
class _SpeakerNames:
    """A library's speaker names, indexed for detect_speakers."""

    # first lowercase word -> (frequency rank, name, lowercase words), for whole-name matches
    by_first_word: dict[str, list[tuple[int, str, list[str]]]]
    by_surname: dict[str, list[str]]  # "peskov" -> ["Dmitry Peskov"], most frequent first
    by_role: dict[str, list[str]]  # "professor" -> ["Professor C"]


@lru_cache(maxsize=8)
def _speaker_names(known: tuple[str, ...]) -> _SpeakerNames:
    # Built once per speaker list (it changes only when the library does): a library of a
    # thousand speakers made this the larger part of a question's retrieval time.
    by_first_word: dict[str, list[tuple[int, str, list[str]]]] = {}
    by_surname: dict[str, list[str]] = {}
    by_role: dict[str, list[str]] = {}
    for order, name in enumerate(known):
        if name.lower() in GENERIC_SPEAKERS:
            continue
        parts = [t.lower() for t in WORD.findall(name)]
        if not parts:
            continue
        by_first_word.setdefault(parts[0], []).append((order, name, parts))
        if len(parts) > 1 and len(parts[-1]) >= 3:
            by_surname.setdefault(parts[-1], []).append(name)
        elif len(parts) == 2 and len(parts[-1]) == 1 and len(parts[0]) >= 3:
            by_role.setdefault(parts[0], []).append(name)  # "Professor C", "Grad E"
    return _SpeakerNames(by_first_word, by_surname, by_role)


def detect_speakers(question: str, known: Sequence[str]) -> list[str]:
    """Library speakers the question asks about ("What did Peskov say…" -> Dmitry Peskov).

    `known` is ordered from the most to the least frequent speaker. A name counts when its words
    are written capitalised: the whole name ("Huw Irranca-Davies", "PhD A", "Project Manager"),
    or the last word of a longer one ("Peskov", "Manager"). A one-word name ("Marketing") or a
    role without its letter ("the Professor" for the only "Professor C") must also read as
    someone speaking: possessive, the subject of "did…", or after "by"/"with"; a role shared by
    several speakers names none of them.
    """
    matches = list(WORD.finditer(question))
    words = [m.group(0) for m in matches]
    lowered = [w.lower().removesuffix("'s") for w in words]
    possessive = [
        w.lower().endswith("'s") or question[m.end() : m.end() + 1] in ("'", "’")
        for w, m in zip(words, matches, strict=True)
    ]
    capital = [w[:1].isupper() or w[:1].isdigit() for w in words]

    def speaking(first: int, last: int) -> bool:
        before = first - 1
        if before >= 0 and lowered[before] in _ARTICLES:
            before -= 1
        return (
            possessive[last]
            or (before >= 0 and lowered[before] in _SPEAKER_CUES)
            or (last + 1 < len(lowered) and lowered[last + 1] in SPEECH_VERBS)
        )

    names = _speaker_names(tuple(known))
    found: list[_Mention] = []
    taken: set[int] = set()
    # Whole names first, the longest first, so "Huw Irranca-Davies" is not read as "Davies";
    # among equally long ones the more frequent speaker first, and each name's first mention.
    whole = [
        (-len(parts), order, first, name, parts)
        for first, word in enumerate(lowered)
        for order, name, parts in names.by_first_word.get(word, [])
        if lowered[first : first + len(parts)] == parts
    ]
    done: set[str] = set()
    for _, _, first, name, parts in sorted(whole):
        span = range(first, first + len(parts))
        if name in done or taken.intersection(span):
            continue
        if not all(capital[i] for i in span) or (len(parts) == 1 and not speaking(first, first)):
            continue
        found.append(_Mention(first, first + len(parts) - 1, name))
        taken.update(span)
        done.add(name)
    by_surname, by_role = names.by_surname, names.by_role
    for position, word in enumerate(lowered):
        if position in taken or not capital[position]:
            continue
        # Several speakers sharing the surname: the one who speaks most is meant.
        candidates = by_surname.get(word, [])[:1]
        if not candidates:
            roles = by_role.get(word, [])
            candidates = roles if len(roles) == 1 and speaking(position, position) else []
        if candidates and candidates[0] not in (m.name for m in found):
            found.append(_Mention(position, position, candidates[0]))
            taken.add(position)
    found.sort(key=lambda m: m.first)
    if len(found) <= 1:
        return [m.name for m in found]
    # Several people named: keep the one(s) the question makes the subject of speech.
    subjects = [
        m.name
        for m in found
        if (m.first > 0 and lowered[m.first - 1] in AUX)
        or (m.first > 1 and lowered[m.first - 1] in _ARTICLES and lowered[m.first - 2] in AUX)
        or (m.last + 1 < len(lowered) and lowered[m.last + 1] in SPEECH_VERBS)
    ]
    return list(dict.fromkeys(subjects)) or [found[0].name]


_YEAR = r"((?:19|20)\d\d)"
_YEAR_RANGE = re.compile(rf"\b(?:between|from)\s+{_YEAR}\s+(?:and|to|until|till)\s+{_YEAR}\b", re.I)
_YEAR_IN = re.compile(rf"\b(?:in|during|throughout)\s+{_YEAR}\b", re.I)
_YEAR_SINCE = re.compile(rf"\b(?:since|after)\s+{_YEAR}\b", re.I)
_YEAR_BEFORE = re.compile(rf"\b(?:before|until|prior to)\s+{_YEAR}\b", re.I)
_YEAR_ALONE = re.compile(
    rf"^\W*(?:and\s+|what\s+about\s+|how\s+about\s+)?(?:in\s+)?{_YEAR}\W*$", re.I
)


def detect_dates(question: str) -> tuple[str | None, str | None]:
    """An ISO date range the question asks about ("in 2014", "since 2018"), or (None, None)."""
    if m := _YEAR_RANGE.search(question):
        lo, hi = sorted((m.group(1), m.group(2)))
        return f"{lo}-01-01", f"{hi}-12-31"
    if m := (_YEAR_IN.search(question) or _YEAR_ALONE.search(question)):
        return f"{m.group(1)}-01-01", f"{m.group(1)}-12-31"
    if m := _YEAR_SINCE.search(question):
        return f"{m.group(1)}-01-01", None
    if m := _YEAR_BEFORE.search(question):
        return None, f"{int(m.group(1)) - 1}-12-31"
    return None, None
