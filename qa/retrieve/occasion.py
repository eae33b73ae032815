"""The occasion a question names: its dates ("in December 2019", "at his 2019 annual news
conference") and the words of a transcript's title, place and date ("Direct Line", "Sochi").

Pure functions: `detect_date_mention` reads a date from the question, `OccasionIndex` scores the
library's transcripts by how much of the question their title, place and date carry. The
Retriever turns both into transcript priors (a boost) and, for a firm date, into a filter.
"""

from __future__ import annotations

import calendar
import itertools
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath

from qa.text import SPEECH_VERBS, STOPWORDS, WORD, content_terms, stem

__all__ = [
    "OCCASION_NOUNS",
    "SAYING",
    "DateMention",
    "OccasionIndex",
    "TitledTranscript",
    "detect_date_mention",
    "names_an_occasion",
    "transcripts_named_by_id",
]


def wordset(text: str) -> frozenset[str]:
    """The space-separated words of text as a set."""
    return frozenset(text.split())


SAYING = (SPEECH_VERBS - {"on"}) | wordset(
    """add added admit admitted acknowledge acknowledged announce announced ask agree agreed
    disagree disagreed call called comment commented complain complained conclude concluded
    contribute contributed criticise criticised criticize criticized declare declared deny
    denied emphasise emphasised emphasize emphasized express expressed insist insisted joke
    joked note noted object objected offer offered point pointed praise praised present
    presented promise promised raise raised recall recalled recommend recommended remark
    remarked report reported reveal revealed state stated stress stressed urge urged warn
    warned write wrote say tell think answer reply respond propose suggest explain describe
    argue claim believe feel consider considered"""
)


_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_MONTH = "(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_YEAR = r"((?:19|20)\d\d)"
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
# "19 December 2019", "December 19, 2019", "December 2019", "December of 2019"
_DAY_MONTH_YEAR = re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH}\s*,?\s+{_YEAR}\b", re.I)
_MONTH_DAY_YEAR = re.compile(rf"\b{_MONTH}\s+{_DAY}\s*,?\s+{_YEAR}\b", re.I)
_MONTH_YEAR = re.compile(rf"\b{_MONTH}\s+(?:of\s+)?{_YEAR}\b", re.I)
_ISO = re.compile(r"\b((?:19|20)\d\d)-(\d\d)-(\d\d)\b")
# Nouns that make a year before them the date of the event itself: "his 2019 annual news
# conference", "the 2021 Direct Line"; "the 1998 crisis" or "the 2018 World Cup" are not.
OCCASION_NOUNS = frozenset(
    [
        "address",
        "answers",
        "remarks",
        "report",
        "statement",
        "statements",
        "briefing",
        "ceremony",
        "conference",
        "congress",
        "conversation",
        "debate",
        "debates",
        "direct",
        "forum",
        "hearing",
        "interview",
        "line",
        "marathon",
        "meeting",
        "message",
        "parade",
        "press",
        "q&a",
        "session",
        "speech",
        "summit",
        "talk",
        "talks",
        "visit",
        "call",
        "news",
        "annual",
        "state",
        "valdai",
        "video",
        "episode",
        "podcast",
        "lecture",
        "webinar",
    ]
)
# "How many times does Crimea come up in 2014?": a mention dated like "mentioned in 2014".
_COMING_UP = frozenset(["come", "comes", "came"])
# Verbs that, before a date, date a conversation as verbs of saying do: "the deal Putin and
# Merkel discussed in January 2020".
_TALKING = frozenset(["discuss", "discussed", "discussing", "talked", "met"])
# A date after its source dates what the source said: "according to Gref in October 2018".
_SOURCED = frozenset(["according"])
_OPENING = frozenset(["in", "on", "at", "during", "and", "so", "but", "what", "how", "about"])
_BARE_YEAR = re.compile(rf"\b{_YEAR}\b(?!\s*[-–]\s*\d)")
_YEAR_RANGE = re.compile(rf"\b(?:between|from)\s+{_YEAR}\s+(?:and|to|until|till)\s+{_YEAR}\b", re.I)
_YEAR_IN = re.compile(rf"\b(?:in|during|throughout)\s+(?:(?:early|late|mid)[- ])?{_YEAR}\b", re.I)
_YEAR_SINCE = re.compile(rf"\b(?:since|after)\s+{_YEAR}\b", re.I)
_YEAR_BEFORE = re.compile(rf"\b(?:before|until|prior to)\s+{_YEAR}\b", re.I)
_YEAR_ALONE = re.compile(
    rf"^\W*(?:and\s+|what\s+about\s+|how\s+about\s+)?(?:in\s+)?{_YEAR}\W*$", re.I
)


@dataclass(frozen=True)
class DateMention:
    """A date range the question names. `firm`: it dates the event asked about ("in 2014",
    "in December 2019", "at the 2019 news conference") and may filter; otherwise ("the 1998
    crisis") it only makes transcripts of that time likelier."""

    since: str | None
    until: str | None
    firm: bool
    text: str  # as written in the question


def names_an_occasion(question: str) -> bool:
    """Whether the question refers to an event ("at his news conference", "in the FT
    interview", "in the 3Blue1Brown video"): then a transcript whose title it carries is where
    the answer is. "Which TV channel does she work for?" shares words with a title and names
    no event."""
    return any(w.lower() in OCCASION_NOUNS for w in WORD.findall(question))


def transcripts_named_by_id(question: str, ids: Iterable[str]) -> tuple[str, ...]:
    """The transcripts whose id (the file stem) the question writes out: "in the TS3009d
    meeting". Only a word of letters and digits both counts, so a year or a number in the
    question never names a transcript whose id is a number. (A series, "the ES2006 meetings",
    stays a title boost: as a filter to its four meetings it lost more answers on the suites
    than it found.)"""
    words = {
        w.lower()
        for w in WORD.findall(question)
        if len(w) >= 4 and any(c.isdigit() for c in w) and any(c.isalpha() for c in w)
    }
    return tuple(tid for tid in ids if tid.lower() in words) if words else ()


def _month_range(year: str, month: int) -> tuple[str, str]:
    last = calendar.monthrange(int(year), month)[1]
    return f"{year}-{month:02d}-01", f"{year}-{month:02d}-{last:02d}"


def _day(year: str, month: int, day: str) -> tuple[str, str] | None:
    if not 1 <= int(day) <= calendar.monthrange(int(year), month)[1]:
        return None
    iso = f"{year}-{month:02d}-{int(day):02d}"
    return iso, iso


def detect_date_mention(question: str) -> DateMention | None:
    """The date the question names (see `_first_date_mention`); None when it names none.

    Of two dates, one dating the topic and one the speech ("growth in 2018, as Putin told the
    FT in 2019"), the speech's is the one to filter by. (Of two dates of speeches, in a question
    across transcripts, the first stays the filter: spanning both let in every transcript
    between them, and on the suites lost more answers than it found.)
    """
    first = _first_date_mention(question)
    if first is None or first.firm:
        return first
    second = _first_date_mention(question.replace(first.text, " ", 1))
    return second if second is not None and second.firm else first


def _first_date_mention(question: str) -> DateMention | None:
    """The date the question names, most specific first: a day, a month, a year range or
    bound, a year ("in 2014", or before an occasion noun: "the 2021 Direct Line"), or a bare
    year that only hints ("the 2008 crisis"); None when it names none."""
    for pattern, order in ((_DAY_MONTH_YEAR, (3, 2, 1)), (_MONTH_DAY_YEAR, (3, 1, 2))):
        if m := pattern.search(question):
            year, month, day = (m.group(i) for i in order)
            found = _day(year, _MONTHS[month.lower().rstrip(".")], day)
            if found:
                return DateMention(*found, True, m.group(0))
    if m := _ISO.search(question):
        year, month, day = m.groups()
        found = _day(year, int(month), day) if 1 <= int(month) <= 12 else None
        if found:
            return DateMention(*found, True, m.group(0))
    if m := _MONTH_YEAR.search(question):
        # "at his December 2018 news conference", "What did Putin say in May 2018?": the month
        # dates the speech. "What was growth in May 2017, per Putin at the G20?": the topic.
        since, until = _month_range(m.group(2), _MONTHS[m.group(1).lower().rstrip(".")])
        return DateMention(since, until, _dates_the_speech(question, m), m.group(0))
    if m := _YEAR_RANGE.search(question):
        # "How much was built between 2000 and 2015, according to his 2016 report?": the range
        # dates the topic.
        lo, hi = sorted((m.group(1), m.group(2)))
        return DateMention(f"{lo}-01-01", f"{hi}-12-31", _dates_the_speech(question, m), m.group(0))
    if m := _YEAR_ALONE.search(question):
        year = m.group(1)
        return DateMention(f"{year}-01-01", f"{year}-12-31", True, m.group(0).strip())
    if m := _YEAR_IN.search(question):
        # "How many times did Putin mention Crimea in 2014?", "at the news conference in 2019":
        # the year dates the speech. "What was growth in 2018, as Putin told the FT?": it dates
        # the topic, and the interview may be a year later.
        year = m.group(1)
        firm = _dates_the_speech(question, m)
        return DateMention(f"{year}-01-01", f"{year}-12-31", firm, m.group(0).strip())
    if m := _YEAR_SINCE.search(question):
        return DateMention(f"{m.group(1)}-01-01", None, True, m.group(0))
    if m := _YEAR_BEFORE.search(question):
        return DateMention(None, f"{int(m.group(1)) - 1}-12-31", True, m.group(0))
    if m := _BARE_YEAR.search(question):
        year = m.group(1)
        return DateMention(
            f"{year}-01-01", f"{year}-12-31", _names_occasion_after(question, m), year
        )
    return None


def _names_occasion_after(question: str, date: re.Match[str]) -> bool:
    """Whether an occasion noun follows the date closely: "the 2021 Direct Line"."""
    after = [w.lower() for w in WORD.findall(question[date.end() :])[:3]]
    return any(w in OCCASION_NOUNS for w in after)


def _dates_the_speech(question: str, date: re.Match[str]) -> bool:
    """Whether a date "in <month> <year>" or "in <year>" dates what was said: a verb of saying
    or an occasion noun before it in its clause ("How many times did Putin mention Crimea in
    2014?", "at the meeting in May 2018"), or an occasion noun right after it ("in the December
    2018 news conference"). The claim a "Who said that…" question quotes is its own clause: a
    date in it ("…that the building opened in 2013?") dates the claim, not the meeting. A date
    the question opens with sets the scene ("In May 2018, what did…", "Between 2012 and 2016?").
    """
    before = [w.lower() for w in WORD.findall(question[: date.start()])]
    if set(before) <= _OPENING:
        return True
    for i in range(len(before) - 1, 0, -1):
        if before[i] == "that" and before[i - 1] in SAYING:
            before = before[i + 1 :]
            break
    return bool(
        set(before) & (SAYING | OCCASION_NOUNS | _COMING_UP | _TALKING | _SOURCED)
    ) or _names_occasion_after(question, date)


# --- titles, places and dates as searchable text ----------------------------------------------


@dataclass(frozen=True)
class TitledTranscript:
    """What the occasion index reads of a transcript (qa.store.library.TranscriptInfo has it)."""

    id: str
    title: str
    date: str | None
    place: str | None
    source_path: str | None


_SERIES_CODE = re.compile(r"([a-z]+\d+)[a-z]")
# A code: letters and digits in one word ("is1006", "ts3009c", "g20").
_CODE = re.compile(r"[a-z]+\d+[a-z]*")
CODE_SHARE = 0.25
# A word in at most this many titles is rare enough that two of them name their transcript. On
# the 436 looked-at questions whose occasion it changes, answer recall +4.7 / answer first +4.0
# questions' worth; at 1, +0.7 / +2.0; at 3, +4.7 / +4.0 over 591 changed, one near-miss fewer
# refused (README, Figures).
RARE_TITLE_DF = 2
# A meeting of a series named by more of the question than a sibling by more than this share is
# the one it names (`OccasionIndex.outnamed`): "the final TS3009 meeting" names TS3009d, "the
# fourth and final of four", though the code names all four alike. A word of every first meeting's
# title weighs little in a long question ("first", of "the first of four", 0.012 of "What is the
# first name of the TS3009 User Interface Designer?", whose answer is in the second); the
# phase a question names, more ("final" 0.04 to 0.06, "conceptual design" 0.04 to 0.10). On the
# 214 questions of the looked-at suites it changes, 0.02 against 0: answer recall 0.600 / 0.597,
# answer first 0.449 / 0.443 (0.557 and 0.415 before; README, Figures).
SERIES_MARGIN = 0.02


def _said_together(terms: set[str], stems: Sequence[str], within: int = 2) -> bool:
    """Whether two of the terms stand within `within` words of each other among the
    question's word stems ("Russia Focused on the Future"; "composition contest")."""
    at = [i for i, s in enumerate(stems) if s in terms]
    return any(b - a <= within and stems[a] != stems[b] for a, b in itertools.pairwise(at))


def occasion_terms(text: str) -> list[str]:
    """Stemmed words of a title, place or question, without stopwords."""
    return [stem(w) for w in WORD.findall(text.lower()) if w not in STOPWORDS]


def _date_words(date: str | None) -> list[str]:
    if not date or not re.fullmatch(r"\d{4}-\d\d-\d\d", date):
        return []
    month = int(date[5:7])
    if not 1 <= month <= 12:
        return []
    return [date[:4], stem(calendar.month_name[month].lower())]


def _series(words: Sequence[str]) -> list[str]:
    # A meeting coded "IS1006d" is one of the "IS1006" series, which a question names as such
    # ("the IS1006 designers").
    return [m.group(1) for w in words if (m := _SERIES_CODE.fullmatch(w))]


def _file_words(source_path: str | None) -> list[str]:
    # A file named "interview-with-bloomberg-2016.txt" is as good a title as any; a kremlin.ru
    # page's "62966.html" adds only its number, which no question asks about.
    if not source_path:
        return []
    return [t for t in occasion_terms(PurePath(source_path).stem.replace("_", " ")) if t.isalpha()]


class OccasionIndex:
    """The transcripts' titles, places, dates and file names as tiny documents, scored against
    a question by the share of the question's word weight (IDF over these documents) they hold."""

    def __init__(self, transcripts: Iterable[TitledTranscript]) -> None:
        self.docs: dict[str, frozenset[str]] = {}
        self.series: dict[str, frozenset[str]] = {}  # transcript -> codes of its series
        for t in transcripts:
            words = occasion_terms(f"{t.title} {t.place or ''}")
            codes = _series(words)
            words += codes + _date_words(t.date) + _file_words(t.source_path)
            self.docs[t.id] = frozenset(words)
            if codes:
                self.series[t.id] = frozenset(codes)
        self.postings: dict[str, list[str]] = {}  # word -> transcripts holding it
        for tid, doc in self.docs.items():
            for word in doc:
                self.postings.setdefault(word, []).append(tid)
        df = Counter({w: len(tids) for w, tids in self.postings.items()})
        n = len(self.docs)
        self.idf = {w: math.log(1 + (n - f + 0.5) / (f + 0.5)) for w, f in df.items()}
        # A word no title has weighs as much as the rarest title word: the question's topic
        # words then keep a title that matches only its framing ("2019") from scoring high.
        self.unseen_idf = math.log(1 + (n + 0.5) / 0.5) if n else 0.0

    def without_occasion(self, question: str, transcripts: Iterable[str]) -> str:
        """The question without the words it shares with these transcripts' titles, places,
        dates and file names: inside them those words tell no passage from another."""
        named = frozenset().union(*(self.docs.get(tid, frozenset()) for tid in transcripts))
        kept = [
            m.group(0)
            for m in WORD.finditer(question)
            if stem(m.group(0).lower().removesuffix("'s")) not in named
        ]
        return " ".join(kept)

    def outnamed(self, scores: Mapping[str, float]) -> frozenset[str]:
        """The meetings of a series (IS1006a to IS1006d) that the question, scored as in
        `scores`, names by less than another meeting of the same series, by more than
        SERIES_MARGIN: "In the TS3009 conceptual design meeting…" names TS3009c, not the other
        three, which the code names as well."""
        best: dict[str, float] = {}
        for tid, share in scores.items():
            for code in self.series.get(tid, ()):
                best[code] = max(best.get(code, 0.0), share)
        return frozenset(
            tid
            for tid, share in scores.items()
            if any(share < best[code] - SERIES_MARGIN for code in self.series.get(tid, ()))
        )

    def scores(self, question: str, ignore: Sequence[str] = ()) -> dict[str, float]:
        """{transcript id: share of the question's term weight in its title, place and date},
        only the transcripts that share a word with it; `ignore`: words not to count (the
        names of the speakers the search is already filtered to)."""
        skip = {stem(w.lower()) for name in ignore for w in WORD.findall(name)}
        terms = [
            t
            for t in dict.fromkeys(stem(w) for w in content_terms(question))
            if t not in skip and t not in STOPWORDS
        ]
        if not terms or not self.docs:
            return {}
        weight = {t: self.idf.get(t, self.unseen_idf) for t in terms}
        total = sum(weight.values())
        out: dict[str, float] = {}
        for term, w in weight.items():
            # A code is the occasion's own name ("the IS1006 designers", "ES2006d"): it counts
            # as CODE_SHARE of the question at least, whatever its other words.
            share = max(w / total, CODE_SHARE) if _CODE.fullmatch(term) else w / total
            for tid in self.postings.get(term, ()):
                out[tid] = out.get(tid, 0.0) + share
        # Two words that one or two titles alone hold name that occasion as a code does
        # ("…cited on Rational Reminder…", "…NASA's spacewalk coverage…", "…the composition
        # contest…"), however long the question around them, when the question writes one of
        # them as a name or says them together: "…under the district tab to reach the
        # internal audit reports" names no report on the Southern Military District.
        rare: dict[str, set[str]] = {}
        for term in weight:
            if term.isalpha() and len(self.postings.get(term, ())) <= RARE_TITLE_DF:
                for tid in self.postings.get(term, ()):
                    rare.setdefault(tid, set()).add(term)
        pairs = {tid: held for tid, held in rare.items() if len(held) >= 2}
        if not pairs:
            return out  # most questions: the question's words need not be read again
        words = WORD.findall(question)
        stems = [stem(w.lower()) for w in words]
        names = {t for t, w in zip(stems[1:], words[1:], strict=True) if w[:1].isupper()}
        for tid, held in pairs.items():
            if held & names or _said_together(held, stems):
                out[tid] = max(out[tid], CODE_SHARE)
        return out
