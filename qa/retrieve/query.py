"""Reading a question for retrieval: the keyword query, the speakers and dates it names.

Pure functions over the question and the library's speaker names; the Retriever applies them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

from qa.retrieve.names import best_variant, phonetic_key
from qa.retrieve.occasion import SAYING, detect_date_mention, wordset
from qa.speakers import GENERIC_SPEAKERS, is_particle, is_title
from qa.text import (
    AUX,
    CALENDAR_WORDS,
    QUESTION_FRAME,
    SPEECH_VERBS,
    STOPWORDS,
    WORD,
    content_terms,
    topic_terms,
)


def fts_query(question: str, speakers: Sequence[str] = (), extra: Sequence[str] = ()) -> str:
    """An FTS5 MATCH expression OR-ing the question's terms, each quoted (no operator injection).

    The words of speakers the search is already filtered to are left out: "Putin" matches most
    of a kremlin.ru library, which made the search slow and told it nothing. `extra`: more
    terms to match (the library's spellings of a name the question misspells).
    """
    terms = topic_terms(question, speakers) or content_terms(question)
    terms = list(dict.fromkeys([*terms, *(t.lower() for t in extra if WORD.fullmatch(t))]))
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


@dataclass(frozen=True)
class _Words:
    """The question's words as detect_speakers reads them."""

    lowered: list[str]
    possessive: list[bool]
    capital: list[bool]
    acronym: list[bool]  # "PM", "CEO", "OPEC"
    spaced: list[bool]  # a space alone before it ("Christa Pavlov", not "Putin–Lukashenko")


def _words(question: str) -> _Words:
    matches = list(WORD.finditer(question))
    words = [m.group(0) for m in matches]
    return _Words(
        lowered=[w.lower().removesuffix("'s") for w in words],
        possessive=[
            w.lower().endswith("'s") or question[m.end() : m.end() + 1] in ("'", "’")
            for w, m in zip(words, matches, strict=True)
        ],
        capital=[w[:1].isupper() or w[:1].isdigit() for w in words],
        acronym=[len(w) > 1 and w.isupper() for w in words],
        spaced=[_after_word(question[max(0, m.start() - 2) : m.start()]) for m in matches],
    )


def _after_word(gap: str) -> bool:
    """Whether the two characters before a word are the end of another and one space."""
    return len(gap) == 2 and gap[0].isalnum() and gap[1] == " "


def _speaking(w: _Words, first: int, last: int) -> bool:
    """The name reads as someone speaking (possessive, after "by"/"with"/an auxiliary, or
    before a speech verb): what a one-word name or a bare role needs to count at all."""
    lowered = w.lowered
    before = _opening(w, first) - 1
    return (
        w.possessive[last]
        or (before >= 0 and lowered[before] in _SPEAKER_CUES)
        or (last + 1 < len(lowered) and lowered[last + 1] in SPEECH_VERBS)
    )


def _find_mentions(
    question: str, known: Sequence[str], common: Callable[[str], bool] | None = None
) -> tuple[_Words, list[_Mention]]:
    """The library speakers the question names, each mention in question order (a name said
    twice is two: "When Putin sent Mikhail Razvozhayev…, in what year did Razvozhayev say…?"
    asks what he said at the second). `common`, when given, says whether a word is common in
    the library: such a word is never read as a misspelt name."""
    w = _words(question)
    lowered, capital = w.lowered, w.capital
    names = _speaker_names(tuple(known))
    found: list[_Mention] = []
    taken: set[int] = set()
    # Whole names first, the longest first, so "Huw Irranca-Davies" is not read as "Davies";
    # among equally long ones the more frequent speaker first.
    whole = [
        (-len(parts), order, first, name, parts)
        for first, word in enumerate(lowered)
        for order, name, parts in names.by_first_word.get(word, [])
        if lowered[first : first + len(parts)] == parts
    ]
    for _, _, first, name, parts in sorted(whole):
        span = range(first, first + len(parts))
        if taken.intersection(span):
            continue
        if not all(capital[i] for i in span) or (
            len(parts) == 1 and not _speaking(w, first, first)
        ):
            continue
        found.append(_Mention(first, first + len(parts) - 1, name))
        taken.update(span)
    by_surname, by_role = names.by_surname, names.by_role
    for position, word in enumerate(lowered):
        if position in taken or not capital[position] or _dated(w, position):
            continue
        # Several speakers sharing the surname: the one who speaks most is meant.
        candidates = by_surname.get(word, [])[:1]
        if not candidates:
            roles = by_role.get(word, [])
            candidates = roles if len(roles) == 1 and _speaking(w, position, position) else []
        if not candidates and _may_be_name(word, position, w) and not (common and common(word)):
            # A surname spelt another way (ASR, transliteration): "Peskoff", "Tokaev".
            close = best_variant(word, by_surname)
            candidates = by_surname[close][:1] if close else []
        if candidates and _named_otherwise(w, position, candidates[0], by_surname):
            continue
        if candidates:
            found.append(_Mention(position, position, candidates[0]))
            taken.add(position)
    found.sort(key=lambda m: m.first)
    return w, found


# Below this likeness a first name is another person's, unless it sounds the same: "Christa" is
# not "Dmitry", "Huw" not "Hefin"; "Dmitri" is "Dmitry" (83), "Alexei" "Aleksey" (62, one key).
_SAME_FIRST_NAME = 55
# The short forms of first names that look too little like them: "BP chief Bob Dudley", "Mike"
# for Michael (54).
_SHORT_FIRST_NAMES = {
    "mike": "michael",
    **dict.fromkeys(("bob", "bobby", "rob"), "robert"),
    **dict.fromkeys(("bill", "billy", "will"), "william"),
    **dict.fromkeys(("jim", "jimmy"), "james"),
    **dict.fromkeys(("dick", "rick"), "richard"),
    **dict.fromkeys(("ted", "ned"), "edward"),
    "jack": "john",
    "sasha": "alexander",
}


def _dated(w: _Words, position: int) -> bool:
    """Whether the word is a month or a weekday beside a figure ("on 6 May 2020", "June 12"):
    a date, not the surname May or a name spelt like June."""
    lowered = w.lowered
    beside = lowered[max(0, position - 1) : position] + lowered[position + 1 : position + 2]
    return lowered[position] in CALENDAR_WORDS and any(b.isdigit() for b in beside)


def _named_otherwise(
    w: _Words, position: int, name: str, surnames: Mapping[str, Sequence[str]]
) -> bool:
    """Whether the capitalised word before a surname is another first name than the speaker's
    (or a word of another name): "Project Manager Christa Pavlov" is not Dmitry Pavlov,
    "Councillor Huw David" not Hefin David, "the Strategic Development council" not a speaker
    surnamed Development. A title ("President Putin", "Deputy PM Dvorkovich"), an initial, an
    owner ("OPEC's Barkindo"), a particle ("Le Pen"), another speaker's surname ("the Putin
    Lukashenko talks") or the same first name spelt otherwise ("Dmitri Peskov", "Bob Dudley") is
    no other name."""
    before = position - 1
    if before < 1 or not (w.capital[before] and w.spaced[position]) or w.possessive[before]:
        return False
    word = w.lowered[before]
    if len(word) < 2 or not word.isalpha() or w.acronym[before] or word in surnames:
        return False
    if word in STOPWORDS or word in AUX or word in QUESTION_FRAME or word in CALENDAR_WORDS:
        return False
    if is_title(word) or is_particle(word):
        return False
    first = WORD.findall(name)[0].lower()
    if _SHORT_FIRST_NAMES.get(word) == first:
        return False
    return fuzz.ratio(word, first) < _SAME_FIRST_NAME and phonetic_key(word) != phonetic_key(first)


def _may_be_name(word: str, position: int, w: _Words) -> bool:
    # A capitalised word that is no question word: the first word of a question is capitalised
    # anyway ("Tell me...", "Describe..."), so it counts only when followed by a speech verb.
    if word in STOPWORDS or word in QUESTION_FRAME or len(word) < 4 or not word.isalpha():
        return False
    return position > 0 or (len(w.lowered) > 1 and w.lowered[1] in SPEECH_VERBS)


def detect_speakers(question: str, known: Sequence[str]) -> list[str]:
    """Library speakers the question asks about ("What did Peskov say…" -> Dmitry Peskov).

    `known` is ordered from the most to the least frequent speaker. A name counts when its words
    are written capitalised: the whole name ("Huw Irranca-Davies", "PhD A", "Project Manager"),
    or the last word of a longer one ("Peskov", "Manager"), also spelt a little differently
    ("Peskoff"). A one-word name ("Marketing") or a role without its letter ("the Professor"
    for the only "Professor C") must also read as someone speaking: possessive, the subject of
    "did…", or after "by"/"with"; a role shared by several speakers names none of them.
    """
    w, found = _find_mentions(question, known)
    named = list(dict.fromkeys(m.name for m in found))
    if len(named) <= 1:
        return named
    lowered = w.lowered
    # Several people named: keep the one(s) the question makes the subject of speech.
    subjects = [
        m.name
        for m in found
        if (m.first > 0 and lowered[m.first - 1] in AUX)
        or (m.first > 1 and lowered[m.first - 1] in _ARTICLES and lowered[m.first - 2] in AUX)
        or (m.last + 1 < len(lowered) and lowered[m.last + 1] in SPEECH_VERBS)
    ]
    return list(dict.fromkeys(subjects)) or [found[0].name]


# Verbs of saying, past and present, beyond qa.text.SPEECH_VERBS: "What did X stress…?"
# Nouns of what someone says: "X's view", "X's answer to…"
_SAID_NOUNS = wordset(
    """view views opinion opinions position stance words remarks remark comment comments
    answer answers reply response statement statements assessment advice proposal proposals
    suggestion suggestions argument arguments explanation point presentation report speech
    address message thoughts take idea ideas question questions concern concerns objection
    objections request promise promises claim claims"""
)
# Words that may stand between a name and its verb of saying: "did X not say", "did X first
# mention", "did X want to report".
_BETWEEN = wordset(
    "not never first ever actually really also then later once again just want wanted going "
    "to have had publicly personally"
)


def _asks_what_said(w: _Words, mention: _Mention) -> bool:
    """Whether the question asks what the named person said ("What did X say…", "X's view",
    "according to X") rather than about them ("How did X vote…", "When did X discover…")."""
    lowered, first, last = w.lowered, mention.first, mention.last
    # "according to X", "according to the Industrial Designer", "per X"
    opening = _opening(w, first)
    if opening >= 2 and lowered[opening - 2 : opening] == ["according", "to"]:
        return True
    if opening >= 1 and lowered[opening - 1] == "per":
        return True
    if w.possessive[last] and last + 1 < len(lowered) and lowered[last + 1] in _SAID_NOUNS:
        return True
    if last + 1 < len(lowered) and lowered[last + 1] == "on" and w.possessive[last]:
        return True
    for word in lowered[last + 1 : last + 5]:
        if word in SAYING:
            return True
        if word not in _BETWEEN and not word.endswith("ly"):
            break
    # "suggested by Marketing", "the question asked by X"
    before = opening - 1
    return before >= 1 and lowered[before] == "by" and lowered[before - 1] in SAYING


@dataclass(frozen=True)
class NamedPeople:
    """The library speakers a question names, by what it asks of them."""

    speakers: tuple[str, ...]  # asked what they said: a speaker filter
    subjects: tuple[str, ...]  # named otherwise ("How did X vote?"): a boost, never a filter
    # told or asked something ("Who asked Putin when…?"): the words asked for are someone
    # else's, so neither a filter nor a boost
    addressees: tuple[str, ...] = ()


def read_people(
    question: str, known: Sequence[str], common: Callable[[str], bool] | None = None
) -> NamedPeople:
    """The named speakers split into those whose words the question asks for and the rest.

    "What did Peskov say about sanctions?" filters to Peskov; "How did Ms Jones vote on the
    bill?" only favours her turns: the committee secretary reads the vote.
    """
    w, found = _find_mentions(question, known, common)
    addressing = [(m, _is_addressed(w, m)) for m in found]
    addressed = {m.name for m, to_them in addressing if to_them}
    # Asked what they said at any mention that does not address them: "When Putin asked
    # Sechin…, what did Sechin say?"
    asked = {m.name for m, to_them in addressing if not to_them and _asks_what_said(w, m)}
    if not asked:
        asked = _asked_as_pronoun(w, found, addressed)
    speakers = [m.name for m in found if m.name in asked]
    addressees = [m.name for m in found if m.name in addressed - asked]
    subjects = [m.name for m in found if m.name not in asked | addressed]
    return NamedPeople(
        tuple(dict.fromkeys(speakers)),
        tuple(dict.fromkeys(subjects)),
        tuple(dict.fromkeys(addressees)),
    )


_SUBJECT_PRONOUNS = wordset("he she")


def _asked_as_pronoun(w: _Words, found: Sequence[_Mention], addressed: set[str]) -> set[str]:
    """The one person the question names, when a "he" or "she" after the name is asked what
    they said: "At the ceremony where Putin launched the oilfield, which field did he say would
    be developed next?". With two people named, or the pronoun before the name ("How many
    languages did he say Infantino spoke?"), whom it stands for is not read here."""
    names = {m.name for m in found}
    if len(names) != 1 or names & addressed:
        return set()
    (name,) = names
    after = found[-1].last + 1
    for position in range(after, len(w.lowered)):
        pronoun = _Mention(position, position, name)
        if w.lowered[position] in _SUBJECT_PRONOUNS and _asks_what_said(w, pronoun):
            return names
    return set()


# Verbs whose object is the person spoken to: "asked Putin", "told the President".
_TAKES_ADDRESSEE = wordset(
    "ask asked asks tell told tells question questioned urge urged warn warned assure assured "
    "remind reminded inform informed press pressed challenge challenged"
)


def _opening(w: _Words, first: int) -> int:
    """Where the noun phrase of the name starting at word `first` starts: at its article ("the
    President"), if any."""
    return first - 1 if first >= 1 and w.lowered[first - 1] in _ARTICLES else first


def _is_addressed(w: _Words, mention: _Mention) -> bool:
    """Whether the question names the person as the one spoken to: "Who asked Putin…?",
    "What did Kelly tell the President…?", "Who complained to Putin that…?"."""
    lowered = w.lowered
    before = _opening(w, mention.first) - 1
    if before < 0:
        return False
    if lowered[before] in _TAKES_ADDRESSEE:
        return True
    return before >= 1 and lowered[before] == "to" and lowered[before - 1] in SAYING


def detect_dates(question: str) -> tuple[str | None, str | None]:
    """An ISO date range that dates what the question asks about ("in 2014", "since 2018",
    "in December 2019", "at his 2019 annual news conference"), or (None, None); a year that
    only names something else ("the 2018 World Cup") is no date (see detect_date_mention)."""
    mention = detect_date_mention(question)
    if mention is None or not mention.firm:
        return None, None
    return mention.since, mention.until
