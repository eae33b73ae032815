"""Who said it: find the utterance a quote comes from (exact or near), or show a reference."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz.distance import Indel

from qa.errors import LibraryError
from qa.models import Filters, Utterance
from qa.store.library import Library
from qa.text import PLAIN_WORD, plain_words

_REF = re.compile(r"^\s*(?P<tid>[^\s#]+)#u(?P<start>\d+)(?:-(?P<end>\d+))?\s*$")
MIN_SIMILARITY = 0.6
CONTEXT = 2


@dataclass(frozen=True)
class QuoteMatch:
    transcript_id: str
    title: str
    date: str | None
    utterance: Utterance
    similarity: float  # 1.0 = the quote's words occur exactly, in order
    matched_text: str  # the span of the utterance that matches the quote
    context: tuple[Utterance, ...]  # the utterance with CONTEXT neighbours each side

    @property
    def ref(self) -> str:
        return f"{self.transcript_id}#u{self.utterance.index}"


def parse_ref(text: str) -> tuple[str, int, int] | None:
    """(transcript id, first, last utterance) of a reference like `17108#u12` or `17108#u3-5`."""
    match = _REF.match(text)
    if not match:
        return None
    start = int(match.group("start"))
    end = int(match.group("end") or start)
    return match.group("tid"), min(start, end), max(start, end)


def words(text: str) -> list[str]:
    return [w.lower() for w in plain_words(text)]


def similarity(a: list[str], b: list[str]) -> float:
    """2*M/T for word sequences of T words in all, M of them in common and in order (the longest
    common subsequence): difflib's ratio, whose greedy matching blocks can only find fewer."""
    total = len(a) + len(b)
    return (total - Indel.distance(a, b)) / total if total else 1.0


def best_window(quote_words: list[str], text: str) -> tuple[float, str]:
    """How closely some span of text matches the quote's words (0..1), and that span."""
    tokens = list(PLAIN_WORD.finditer(text))
    if not tokens or not quote_words:
        return 0.0, ""
    lowered = [t.group(0).lower() for t in tokens]
    if len(set(quote_words) & set(lowered)) < MIN_SIMILARITY * len(set(quote_words)):
        return 0.0, ""
    n = len(quote_words)
    # Windows start where one of the quote's first words lines up; trying every start would
    # make a long utterance cost thousands of comparisons.
    anchors = {
        max(0, i - j)
        for i, w in enumerate(lowered)
        for j, q in enumerate(quote_words[:5])
        if w == q
    }
    best = (0.0, 0, 0)
    for size in {max(1, n - 2), n, n + 2}:
        for start in sorted(anchors):
            window = lowered[start : start + size]
            ratio = similarity(quote_words, window)
            if ratio > best[0]:
                best = (ratio, start, min(len(tokens), start + size) - 1)
    ratio, first, last = best
    return ratio, text[tokens[first].start() : tokens[last].end()]


def lookup_quote(
    library: Library, quote: str, *, limit: int = 5, filters: Filters | None = None
) -> list[QuoteMatch]:
    """Utterances that say the quote, best first; near matches tolerate case, punctuation and
    small wording differences."""
    quote_words = words(quote)
    if not quote_words:
        return []
    # Keyword search narrows to chunks sharing the quote's rarer words; the fuzzy window then
    # scores every utterance of those chunks.
    distinct = sorted(set(quote_words), key=len, reverse=True)[:12]
    match = " OR ".join(f'"{w}"' for w in distinct)
    hits = library.keyword_search(match, 40, filters or Filters())
    chunks = library.chunks([cid for cid, _ in hits])
    seen: set[tuple[str, int]] = set()
    scored: list[tuple[float, str, Utterance, str, str | None, str]] = []
    for stored in chunks.values():
        c = stored.chunk
        for u in library.utterances(c.transcript_id, c.utterance_start, c.utterance_end):
            if (c.transcript_id, u.index) in seen:
                continue
            seen.add((c.transcript_id, u.index))
            ratio, span = best_window(quote_words, u.text)
            if ratio >= MIN_SIMILARITY:
                scored.append((ratio, c.transcript_id, u, stored.title, stored.date, span))
    scored.sort(key=lambda s: (-s[0], s[1], s[2].index))
    return [
        QuoteMatch(
            transcript_id=tid,
            title=title,
            date=date,
            utterance=u,
            similarity=round(ratio, 3),
            matched_text=span,
            context=tuple(library.utterances(tid, max(0, u.index - CONTEXT), u.index + CONTEXT)),
        )
        for ratio, tid, u, title, date, span in scored[:limit]
    ]


def lookup_ref(library: Library, ref: str) -> list[QuoteMatch]:
    """The utterances a reference names, each with its context."""
    parsed = parse_ref(ref)
    if parsed is None:
        raise LibraryError(f"not a reference: {ref!r} (expected TRANSCRIPT_ID#u12 or #u12-14)")
    tid, start, end = parsed
    transcript = library.transcript(tid)
    cited = [u for u in transcript.utterances if start <= u.index <= end]
    if not cited:
        raise LibraryError(
            f"{tid} has utterances 0 to {len(transcript.utterances) - 1}; "
            f"#u{start} is not one of them"
        )
    return [
        QuoteMatch(
            transcript_id=tid,
            title=transcript.title,
            date=transcript.date,
            utterance=u,
            similarity=1.0,
            matched_text=u.text,
            context=tuple(
                x
                for x in transcript.utterances
                if u.index - CONTEXT <= x.index <= u.index + CONTEXT
            ),
        )
        for u in cited
    ]


def lookup(library: Library, text: str, *, limit: int = 5) -> list[QuoteMatch]:
    """A reference shows that utterance; anything else is looked up as a quote."""
    if parse_ref(text) is not None:
        return lookup_ref(library, text)
    return lookup_quote(library, text, limit=limit)
