"""Counting and "every time" questions: enumerate all matching utterances, not the top k.

"How many times did Putin mention Crimea in 2014?" -> every utterance by Vladimir Putin in 2014
that contains the word (keyword match), plus utterances close in meaning that don't use the word
(dense similarity above a threshold), counted and grouped by transcript.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from qa.models import Filters, Utterance
from qa.store.library import Library
from qa.text import topic_terms

# "In her September 2016 meeting with Putin, how many times did Nabiullina…?": the occasion
# may come first.
_OCCASION_FIRST = r"(?:(?:in|at|during|on|over|across)\s+[^,?]+,\s*)?"
_ENUMERATION = re.compile(
    r"^\s*(?:and\s+)?" + _OCCASION_FIRST + r"(?:how\s+many\s+times|"
    r"how\s+many\s+(?:mentions|references)\s+(?:of|to)|"
    r"how\s+often|(?:find\s+|list\s+|show\s+(?:me\s+)?)?"
    r"(?:every|each|all\s+the)\s+times?|whenever|list\s+(?:all|every)|count)\b",
    re.I,
)
_HOW_OFTEN = re.compile(
    r"^\s*(?:and\s+|so\s+)?" + _OCCASION_FIRST + r"how\s+(?:often|many\s+times)\b", re.I
)
_COUNT_START = (
    r"^\s*(?:and\s+|so\s+)?" + _OCCASION_FIRST + r"(?:how\s+many\s+times|how\s+often|"
    r"(?:find\s+|list\s+|show\s+(?:me\s+)?)?(?:every|each|all\s+the)\s+times?|whenever|count)\s+"
)
_MENTION_VERB = (
    r"(?:mention(?:s|ed)?|say|said|says|use[sd]?|talk(?:s|ed)?\s+about|bring\s+up|"
    r"brought\s+up|refer(?:s|red)?\s+to|raise[sd]?|discuss(?:es|ed)?|speak\s+(?:of|about)|"
    r"spoke\s+(?:of|about))"
)
_SCOPE = r"(?=\s+(?:in|at|during|on|over|across|throughout|by|within|from)\s|\s*[?.!]?\s*$)"
# The wordings of one counting question; the group `term` is what is counted:
# "How many times did Putin mention X (at …)?", "… does X come up (in …)?", "… was X mentioned?",
# "How many mentions of X were there (on …)?"
_COUNT_WORDINGS = (
    re.compile(
        _COUNT_START
        + r"(?:did|does|do|has|have|had|will|would)\s+(?:.+?\s+)??"
        + _MENTION_VERB
        + r"\s+(?:the\s+(?:word|term|name|phrase)\s+)?(?P<term>.+?)"
        + _SCOPE,
        re.I,
    ),
    re.compile(
        _COUNT_START + r"(?:did|does|do|has|have|had|is|are|was|were)\s+(?:the\s+(?:word|term|"
        r"name|phrase)\s+)?(?P<term>.+?)\s+(?:come\s+up|came\s+up|get\s+mentioned|"
        r"got\s+mentioned|been\s+mentioned|mentioned|said|used|brought\s+up|raised|named|"
        r"cited|invoked|referenced|referred\s+to|discussed|appear(?:s|ed)?|occur(?:s|red)?|"
        r"crop\s+up)" + _SCOPE,
        re.I,
    ),
    # "How many mentions of football were there on the Direct Line?"
    re.compile(
        r"^\s*(?:and\s+|so\s+)?how\s+many\s+(?:mentions|references)\s+(?:of|to)\s+"
        r"(?:the\s+(?:word|term|name|phrase)\s+)?(?P<term>.+?)"
        r"(?:\s+(?:were|are|was|is|have\s+there\s+been)(?:\s+there)?)?" + _SCOPE,
        re.I,
    ),
)
_QUOTED = re.compile(r'["“]([^"“”]+)["”]')
_COUNTING_WORDS = frozenset(
    [
        "many",
        "times",
        "time",
        "often",
        "every",
        "each",
        "whenever",
        "list",
        "count",
        "show",
        "find",
        "all",
    ]
)
KEYWORD_LIMIT = 20_000
DENSE_CANDIDATES = 100
DENSE_MIN_CHUNK = 0.45  # cosine of the question to a chunk
DENSE_MIN_UTTERANCE = 0.5  # cosine of the question to an utterance without the word
MAX_RELATED = 20
# A shorter root is left alone: "us" of "used" would find the pronoun.
MIN_ROOT = 4
# The endings of a noun's plural and a verb's forms (and a bare root's lost "e": "licens-e").
_INFLECTIONS = r"(?:e|es|s|ed|d|ing|['’]s)?"
# A word shorter than MIN_ROOT counts as itself with these endings only.
SHORT_INFLECTIONS = r"(?:s|es|['’]s)?"
# How much rarer than the phrase's other words a word must be to name the phrase alone.
RARE_WORD_RATIO = 5


@dataclass(frozen=True)
class Mention:
    transcript_id: str
    title: str
    date: str | None
    utterance: Utterance
    occurrences: int  # times the words occur in the utterance; 0 for a related utterance
    similarity: float | None = None  # for related utterances found by meaning


@dataclass(frozen=True)
class Enumeration:
    terms: tuple[str, ...]
    mentions: tuple[Mention, ...]  # keyword matches, in date and document order
    related: tuple[Mention, ...]  # close in meaning, without the words

    @property
    def occurrences(self) -> int:
        return sum(m.occurrences for m in self.mentions)

    @property
    def transcripts(self) -> list[str]:
        return list(dict.fromkeys(m.transcript_id for m in self.mentions))


# "Was X mentioned?", "Did the speaker mention X?", "Does X come up?": answered by the count.
_YES_NO_START = r"^\s*(?:and\s+|so\s+)?"
_YES_NO_WORDINGS = (
    re.compile(
        _YES_NO_START + r"(?:did|does|do|has|have|had)\s+(?:.+?\s+)??(?:ever\s+)?"
        r"(?:mention(?:ed)?|bring\s+up|brought\s+up|refer(?:red)?\s+to)\s+(?:the\s+(?:word|term|name|phrase)\s+)?"
        r"(?P<term>.+?)" + _SCOPE,
        re.I,
    ),
    re.compile(
        _YES_NO_START + r"(?:did|does|do|has|have|had|is|are|was|were)\s+(?:the\s+(?:word|term|"
        r"name|phrase)\s+)?(?P<term>.+?)\s+(?:ever\s+)?(?:come\s+up|get\s+mentioned|"
        r"been\s+mentioned|mentioned|brought\s+up|referred\s+to)" + _SCOPE,
        re.I,
    ),
)


def is_enumeration(question: str) -> bool:
    """Whether the question asks to count or list every occurrence, or whether something was
    mentioned at all. "How often…?" and "How many times…?" count mentions only when they ask
    about words said ("…did X come up", "…did Putin mention X"): "How often is the Bitcoin
    block reward cut in half?" asks how frequent a thing is, which a transcript states."""
    if _HOW_OFTEN.search(question) and counted_phrase(question) is None:
        return False
    return bool(_ENUMERATION.search(question)) or any(w.search(question) for w in _YES_NO_WORDINGS)


def counted_phrase(question: str) -> str | None:
    """What a counting question counts, however it is worded ("How many times does Docker come
    up in …?", "… did the speaker mention Docker?", "… was Docker mentioned?"), or None."""
    for wording in (*_COUNT_WORDINGS, *_YES_NO_WORDINGS):
        match = wording.search(question)
        if match:
            return match.group("term")
    return None


def names_the_speaker(question: str) -> bool:
    """Whether the counting question is about what someone said ("did Putin mention X") rather
    than about the topic ("does X come up with Rob Pike", "was X mentioned at Putin's …"): a
    name in the latter is the occasion, not a speaker to filter on."""
    return bool(_COUNT_WORDINGS[0].search(question) or _YES_NO_WORDINGS[0].search(question)) or (
        counted_phrase(question) is None
    )


def counted_terms(question: str, speakers: Sequence[str]) -> list[str]:
    """The words to count: the counted phrase (else the topic) without speaker names, counting
    words and years."""

    def countable(text: str) -> list[str]:
        return [
            t
            for t in topic_terms(text, speakers)
            if t not in _COUNTING_WORDS and not re.fullmatch(r"(?:19|20)\d\d", t)
        ]

    phrase = counted_phrase(question)
    # 'How many times is the word "project" (including "projects") said…?': what the phrase
    # quotes first is counted, and term_pattern finds its other forms.
    quoted = _QUOTED.findall(phrase) if phrase else []
    if quoted:
        phrase = quoted[0]
    # "How many times did he mention it?" has nothing to count in its phrase: the topic then.
    return (countable(phrase) if phrase else []) or countable(question)


def term_pattern(term: str) -> re.Pattern[str]:
    """A word starting with the term (`Crimea` also finds `Crimean`), or another inflection of
    it (`nightsticks` finds `nightstick`, `strawberry` finds `strawberries`, `monitoring` finds
    `monitored`), case-insensitive; a term of fewer than MIN_ROOT letters only as itself, its
    plural or possessive. Not a derived word: `observers` does not find `observe` or
    `observation`, which a stemmer would."""
    word = term.lower()
    root = _root(word)
    if len(root) < MIN_ROOT:
        # A short word starts too many others ("AI" would find "air" and "aid", "Goa" "goals",
        # "war" "warning"): only its plural or possessive.
        return re.compile(rf"\b{re.escape(word)}{SHORT_INFLECTIONS}\b", re.I)
    if root.endswith("y"):
        inflected = rf"{re.escape(root[:-1])}(?:y|ies)"
    else:
        inflected = re.escape(root) + _INFLECTIONS
    return re.compile(rf"\b(?:{re.escape(word)}\w*|{inflected}\b)", re.I)


def _root(word: str) -> str:
    """The word without a plural's or a verb's ending: "mortgages" -> "mortgage",
    "strawberries" -> "strawberry", "monitoring" -> "monitor", "licensed" -> "licens"."""
    if word.endswith("ies"):
        return word[:-3] + "y"
    for ending in ("sses", "xes", "ches", "shes"):
        if word.endswith(ending):
            return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    for ending in ("ing", "ed"):
        if word.endswith(ending):
            return word[: -len(ending)]
    return word


def mention_pattern(terms: Sequence[str]) -> re.Pattern[str]:
    """One mention of the counted words: the word, or the phrase with its words in order, a
    short word or two allowed between them ("South Stream", "Bank of Russia")."""
    gap = r"(?:\W+\w{1,3}){0,2}\W+"
    return re.compile(gap.join(term_pattern(t).pattern for t in terms), re.I)


def naming_terms(terms: Sequence[str], document_frequency: Callable[[str], int]) -> list[str]:
    """The words whose mention is a mention of the phrase: its rarest word alone when the next
    rarest is in RARE_WORD_RATIO times as many of the library's chunks ("Slutsky" of "Leonid
    Slutsky", "Pantsir" of "the Pantsir air defence system", "Roldugin" of "Roldugin's name"),
    else the whole phrase ("South Stream": "stream" is also Nord Stream; enumerate_mentions
    falls back on the rarest word when the whole phrase is never said)."""
    if len(terms) < 2:
        return list(terms)
    rarest, next_rarest = sorted(document_frequency(t) for t in terms)[:2]
    if rarest and next_rarest >= RARE_WORD_RATIO * rarest:
        return [min(terms, key=document_frequency)]
    return list(terms)


def enumerate_mentions(
    library: Library, question: str, filters: Filters, *, related: bool = True
) -> Enumeration:
    """Every utterance inside the filters that uses the question's topic words."""
    words = counted_terms(question, filters.speakers)
    # Each word's chunk count, asked of the library once.
    chunks = {w: library.term_count(w) for w in words}
    terms = naming_terms(words, chunks.__getitem__)
    if not terms:
        return Enumeration((), (), ())
    found = _keyword_mentions(library, terms, filters)
    if not found and len(terms) > 1:
        # "How often were election observers mentioned…?": the phrase is never said whole,
        # "observers" six times. Its rarest word alone names it then.
        terms = [min(terms, key=chunks.__getitem__)]
        found = _keyword_mentions(library, terms, filters)
    mentions = sorted(
        found.values(), key=lambda m: (m.date or "", m.transcript_id, m.utterance.index)
    )
    close = _related(library, question, filters, set(found)) if related else []
    return Enumeration(tuple(terms), tuple(mentions), tuple(close))


def _keyword_mentions(
    library: Library, terms: Sequence[str], filters: Filters
) -> dict[tuple[str, int], Mention]:
    """The utterances inside the filters that mention the words (mention_pattern), by place."""
    mention = mention_pattern(terms)
    match = " AND ".join(f'"{_root(t.lower())}"*' for t in terms)
    hits = library.keyword_search(match, KEYWORD_LIMIT, filters)
    chunks = library.chunks([cid for cid, _ in hits])
    wanted = set(filters.speakers)
    found: dict[tuple[str, int], Mention] = {}
    for stored in chunks.values():
        c = stored.chunk
        for u in library.utterances(c.transcript_id, c.utterance_start, c.utterance_end):
            if wanted and u.canonical_speaker not in wanted:
                continue
            n = len(mention.findall(u.text))
            if n:
                found[(c.transcript_id, u.index)] = Mention(
                    c.transcript_id, stored.title, stored.date, u, n
                )
    return found


def _related(
    library: Library, question: str, filters: Filters, exclude: set[tuple[str, int]]
) -> list[Mention]:
    allowed = library.filtered_chunk_ids(filters)
    if allowed is not None and len(allowed) == 0:
        return []
    query = library.encoder.encode([question])[0]
    scores, ids = library.index().search(query, DENSE_CANDIDATES, allowed_ids=allowed)
    keep = [int(i) for s, i in zip(scores, ids, strict=True) if s >= DENSE_MIN_CHUNK]
    chunks = library.chunks(keep)
    wanted = set(filters.speakers)
    pool: list[tuple[str, str, str | None, Utterance]] = []
    for cid in keep:
        stored = chunks.get(cid)
        if stored is None:
            continue
        c = stored.chunk
        for u in library.utterances(c.transcript_id, c.utterance_start, c.utterance_end):
            if (c.transcript_id, u.index) in exclude or (
                wanted and u.canonical_speaker not in wanted
            ):
                continue
            if len(u.text.split()) >= 4:
                pool.append((c.transcript_id, stored.title, stored.date, u))
    if not pool:
        return []
    vectors = library.encoder.encode([question] + [u.text for _, _, _, u in pool])
    similarity = vectors[1:] @ vectors[0]
    close = [
        Mention(tid, title, date, u, 0, round(float(sim), 3))
        for (tid, title, date, u), sim in zip(pool, similarity, strict=True)
        if sim >= DENSE_MIN_UTTERANCE
    ]
    close.sort(key=lambda m: -(m.similarity or 0.0))
    return close[:MAX_RELATED]
