"""A question that spans two occasions, read as its two parts.

"What inflation figures did Putin cite in the 2018 NBC interview and in the 2019 Financial
Times interview?" asks the same thing of two transcripts; searched whole, its dates make one
filter (one of the two years) and its answer quotes one interview. Asked part by part, each
part finds its own occasion:

- two questions joined by "and": "How much gas was Blue Stream carrying at his December 2012
  news conference, and to what volume was it to rise under the deal of 2014?";
- one question, two occasions: "… in the 2016 Bloomberg interview and at the December 2018
  news conference?", "… on the 2017 Direct Line, and on the 2018 one?", "… in July 2017 and
  June 2019?";
- two meetings named by their codes: "What cost limit did the TS3009 and IS1006 teams have?";
- two questions joined by "and", each about people or meetings of its own, where no date or
  occasion noun says which transcript is which: "…which Bitcoiner did Taylor Gerring remember
  attending DEVCON 1, and which Haskell project did Jacob Czepluch remember…?".

Pure functions over the question's text; the answerer asks each part and joins the answers.
"""

from __future__ import annotations

import re

from qa.retrieve.occasion import OCCASION_NOUNS

__all__ = ["spanning_parts"]

_YEAR = r"(?:19|20)\d\d"
# A month by its full name; "May" only before a day or a year (else it is the verb).
_MONTH = (
    r"(?:january|february|march|april|june|july|august|september|october|november|december"
    r"|may(?=\s+\d))"
)
# What dates or names an occasion: a year, a month, or a noun like "interview", "meeting".
_OCCASION = "|".join(sorted(map(re.escape, OCCASION_NOUNS | {"videoconference", "teleconference"})))
_CUE = re.compile(rf"\b(?:{_YEAR}|{_MONTH}|(?:{_OCCASION})s?)\b", re.I)
# Words a second question starts with, after "and" (and perhaps a preposition).
_WH = r"(?:what|which|who|whom|whose|how|when|where|why)"
_PREPOSITION = r"(?:in|at|on|during|to|for|from|according\s+to)"
# A preposition a second question may open with: "and by how much…", "and with whose help…",
# "and besides X, whom…"; or an occasion of its own set off by a comma ("and in the Deepgram
# clip, to whom…").
_ASKING = rf"(?:{_PREPOSITION}|by|with|until|since|besides|apart\s+from)"
_SECOND_QUESTION = re.compile(
    rf",?\s+and\s+(?=(?:(?:in|at|on|during)\s[^,?]{{1,60}},\s*{_ASKING}?\s*"
    rf"(?:what|which|who|whom|whose|how)|{_ASKING}?\s*{_WH})\b)",
    re.I,
)
# What sets the question's scene before it asks: "Andrei Belousov features both in … and in
# …. What was his post at the February meeting, and to what role was he nominated in April?",
# "In the TS3010 series of meetings: in the second …, and in the final …?".
_SCENE_END = re.compile(r"(?<=[.!])\s+(?=[A-Z])|(?<=:)\s+")
_SECOND_OCCASION = re.compile(rf",?\s+and\s+(?={_PREPOSITION}\s)", re.I)
_PREPOSITIONS = re.compile(rf"\b{_PREPOSITION}\s", re.I)
_TAIL = re.compile(rf",\s*(?:{_PREPOSITION}|as|when)\s", re.I)
# Two dates joined: "in July 2017 and June 2019".
_DATE = rf"(?:{_MONTH}\s+)?{_YEAR}"
_TWO_DATES = re.compile(rf"\b({_DATE})\s+and\s+({_DATE})\b", re.I)
_DATED_AT = re.compile(r"\b(?:in|on|at)\s+$", re.I)
# Two codes joined: "the TS3009 and IS1006 teams".
_CODE = r"[A-Za-z]+\d+[A-Za-z]*"
_TWO_CODES = re.compile(rf"\b({_CODE})\s+and\s+({_CODE})\b")
# A part shorter than this is no question of its own ("… and when?").
_MIN_PART_WORDS = 4
# A name inside a part (not its first word): a capitalised word, or a code ("ES2009").
_NAME = re.compile(rf"(?<=\s)[A-Z][a-z]+(?:['’-][A-Za-z]+)*|\b{_CODE}\b")
_POSSESSIVE_END = re.compile(r"['’]s?$")
# A second part that leans on the first: a pronoun among its first words ("and how much does
# it produce"), or a count without its noun ("and how many were left").
_LEANING = re.compile(
    r"^(?:\S+\s+){0,3}?(?:it|its|they|them|their|he|she|his|her|this|that|these|those)\b|"
    r"^how\s+(?:many|much)\s+(?:were|was|are|is|did|do|does|had|have|has)\b",
    re.I,
)


def spanning_parts(question: str) -> tuple[str, str] | None:
    """The question's two parts when it asks of two occasions, each a question of its own;
    None when it asks of one."""
    text = " ".join(question.split()).rstrip(" ?")
    parts = _two_parts(text)
    if parts is None:
        # Its scene may name both occasions, and so keep the whole from reading as two:
        # the sentence that asks is split, and its first part keeps the scene.
        ends = [m.end() for m in _SCENE_END.finditer(text)]
        asked = _two_parts(text[ends[-1] :]) if ends else None
        if asked is None:
            return None
        parts = (text[: ends[-1]] + asked[0], asked[1])
    first, second = parts
    return f"{first.rstrip(' ,;:')}?", f"{second[:1].upper()}{second[1:]}?"


def _two_parts(text: str) -> tuple[str, str] | None:
    for split in (_two_questions, _two_occasions, _two_dates, _two_codes, _two_named_questions):
        parts = split(text)
        if parts and all(len(p.split()) >= _MIN_PART_WORDS for p in parts):
            return parts
    return None


def _two_questions(text: str) -> tuple[str, str] | None:
    """ "What did X say at A, and what did Y promise at B": two questions, each with its own
    occasion."""
    for m in _SECOND_QUESTION.finditer(text):
        first, second = text[: m.start()], text[m.end() :]
        if _CUE.search(first) and _CUE.search(second):
            return first, second
    return None


def _two_named_questions(text: str) -> tuple[str, str] | None:
    """ "Which company does Taylor Gerring credit…, and in which city does Bob Summerwill say…":
    two questions, each naming people or a meeting the other does not, the second standing on
    its own (no pronoun or missing noun leaning on the first). Podcasts, talks and meetings are
    told apart by who speaks in them, not by a date."""
    for m in _SECOND_QUESTION.finditer(text):
        first, second = text[: m.start()], text[m.end() :]
        if _LEANING.search(second):
            continue
        names_first, names_second = _names(first), _names(second)
        if names_first - names_second and names_second - names_first:
            return first, second
    return None


def _names(part: str) -> set[str]:
    return {_POSSESSIVE_END.sub("", name) for name in _NAME.findall(part)}


def _two_occasions(text: str) -> tuple[str, str] | None:
    """ "<what is asked> <at A> and <at B>": the second part asks the same at B. A's phrase
    starts where the first one that dates or names an occasion starts, up to a comma: at the
    preposition B's phrase starts with when the first part has it ("for Russia-Turkey at his
    2014 news conference and for Russia-Hungary at …"), else at any ("in euros, in the 2016
    interview": the second "in"). A shared tail after B ("for 2013 and for 2015, in her
    September 2016 meeting") goes with both."""
    for m in _SECOND_OCCASION.finditer(text):
        before, after = text[: m.start()], text[m.end() :]
        own, tail = _shared_tail(after)
        if not _CUE.search(own):
            continue
        opening = after.split()[0].lower()
        starts = [p.start() for p in _PREPOSITIONS.finditer(before)]
        if not starts:
            continue
        ends = [*starts[1:], len(before)]
        # A phrase as long as B's when it opens like B's; else just up to the next preposition
        # ("according to Putin in the 2016 interview": "in the 2016 interview").
        parallel = [(a, len(before)) for a in starts if before[a:].split()[0].lower() == opening]
        for start, end in parallel + list(zip(starts, ends, strict=True)):
            if _CUE.search(before[start:end].split(",")[0]):
                asked = before[:start].rstrip(" ,")
                return f"{before}{tail}", f"{asked} {_resolve_one(own, before[start:])}{tail}"
    return None


def _shared_tail(after: str) -> tuple[str, str]:
    """B's own phrase and the tail both parts share: ("for 2015", ", in her … meeting")."""
    tail = _TAIL.search(after)
    if tail and _CUE.search(after[: tail.start()]):
        return after[: tail.start()], after[tail.start() :]
    return after, ""


def _resolve_one(phrase: str, antecedent: str) -> str:
    """ "on the 2018 one" after "on the 2017 Direct Line": "on the 2018 Direct Line"."""
    if not re.search(r"\bone$", phrase):
        return phrase
    noun = re.search(rf"(?:{_YEAR}|{_MONTH})\s+(.+)$", antecedent.rstrip(" ,"), re.I)
    return phrase[: -len("one")] + noun.group(1) if noun else phrase


def _two_dates(text: str) -> tuple[str, str] | None:
    """ "… in July 2017 and June 2019": the question asked at each date."""
    m = _TWO_DATES.search(text)
    if not m or not _DATED_AT.search(text[: m.start()]):
        # "between 2014 and 2018" is one span of time, "bills dating back to 1994 and 1995"
        # one topic; "his news conferences in July 2017 and June 2019" two occasions.
        return None
    return _each_of(text, m)


def _two_codes(text: str) -> tuple[str, str] | None:
    """ "… the TS3009 and IS1006 teams …": the question asked of each."""
    m = _TWO_CODES.search(text)
    return _each_of(text, m) if m else None


def _each_of(text: str, pair: re.Match[str]) -> tuple[str, str]:
    """The text with the pair "X and Y" it holds read as X, then as Y."""
    head, tail = text[: pair.start()], text[pair.end() :]
    return f"{head}{pair.group(1)}{tail}", f"{head}{pair.group(2)}{tail}"
