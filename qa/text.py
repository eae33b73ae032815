"""Words shared by every stage that reads language: the word pattern, stopwords, the words that
frame a question, and the English stemmer. Below parsing, retrieval and answering alike, so that a
stage earlier in the flow never imports a later one for them."""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from functools import lru_cache

import snowballstemmer

WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?", re.UNICODE)
STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "aren't",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "didn't",
        "do",
        "does",
        "doesn't",
        "doing",
        "don't",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "isn't",
        "it",
        "it's",
        "its",
        "itself",
        "just",
        "let",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "that's",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "s",
        "t",
        "don",
        "ve",
        "ll",
        "re",
        "m",
        "d",
        "o",
        "y",
    ]
)
# Words that frame a question rather than name its topic ("What did the group discuss about X?"),
# with their inflections: "when discussing X" asks about X.
QUESTION_FRAME = frozenset(
    [
        "say",
        "said",
        "says",
        "saying",
        "tell",
        "told",
        "tells",
        "telling",
        "talk",
        "talked",
        "talks",
        "talking",
        "speak",
        "spoke",
        "spoken",
        "speaks",
        "speaking",
        "mention",
        "mentioned",
        "mentions",
        "mentioning",
        "think",
        "thought",
        "thinks",
        "thinking",
        "discuss",
        "discussed",
        "discusses",
        "discussing",
        "discussion",
        "discussions",
        "summarize",
        "summarise",
        "summarized",
        "summarised",
        "summarizes",
        "summarises",
        "summarizing",
        "summarising",
        "summary",
        "opinion",
        "opinions",
        "view",
        "views",
        "answer",
        "answered",
        "answers",
        "answering",
        "ask",
        "asked",
        "asks",
        "asking",
        "question",
        "questions",
        "happen",
        "happened",
        "happens",
        "happening",
        "describe",
        "described",
        "describes",
        "describing",
        "explain",
        "explained",
        "explains",
        "explaining",
        "meeting",
        "meetings",
        "group",
        "team",
        "according",
        "per",  # "per Putin's interview" is "according to"; "earnings per share" asks for earnings
        "regarding",
        "concerning",
        "towards",
        "toward",
        "whole",
        "would",
        "could",
        "might",
        "please",
    ]
)
SPEECH_VERBS = frozenset(
    [
        "say",
        "said",
        "says",
        "tell",
        "told",
        "talk",
        "talked",
        "talks",
        "mention",
        "mentioned",
        "mentions",
        "think",
        "thought",
        "thinks",
        "answer",
        "answered",
        "answers",
        "reply",
        "replied",
        "respond",
        "responded",
        "speak",
        "spoke",
        "claim",
        "claimed",
        "describe",
        "described",
        "explain",
        "explained",
        "argue",
        "argued",
        "suggest",
        "suggested",
        "propose",
        "proposed",
        "feel",
        "felt",
        "believe",
        "believed",
        "on",
    ]
)
AUX = frozenset(["did", "does", "do", "has", "had", "have", "would", "will", "was", "is"])
# The auxiliary verbs a question is asked with ("Did…?", "How many bridges does it include?"),
# as a regular expression's alternatives.
AUXILIARY_VERBS = r"did|does|do|is|are|was|were|has|have|had|can|could|will|would|should"

# Capitalised, yet a date rather than a name.
MONTHS = frozenset(
    [
        *("january", "february", "march", "april", "may", "june", "july", "august"),
        *("september", "october", "november", "december"),
    ]
)
CALENDAR_WORDS = MONTHS | {
    *("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
}

# Words in the ordinary sense of the answerer and the keyword overlap: letters and digits.
PLAIN_WORD = re.compile(r"[^\W_]+")


def word_set(text: str) -> frozenset[str]:
    """The words of a list written as one string, as a set."""
    return frozenset(text.split())


# Lower-case words that name a speaker by their role ("the professor", "the witness"), not by
# their name.
ROLE_NOUNS = word_set(
    "minister secretary chair chairman chairwoman chairperson president professor designer "
    "manager witness governor mayor councillor councilor senator member host guest "
    "interviewer journalist reporter expert director chancellor premier prime deputy "
    "committee panel audience representative official spokesman spokeswoman spokesperson "
    "officer ambassador judge lawyer attorney doctor lecturer teacher moderator presenter "
    "candidate leader head ceo cfo speaker panellist panelist colleague counsel clerk "
    "commissioner inspector prosecutor defendant applicant petitioner student caller other"
)


def plain_words(text: str) -> list[str]:
    """The text's runs of letters and digits, as written."""
    return PLAIN_WORD.findall(text)


_local = threading.local()


def _stemmer() -> snowballstemmer.stemmer:
    # One per thread: a Snowball stemmer keeps its state on the instance, and the UI answers
    # several conversations at once (a shared one raised IndexError under load).
    stemmer: snowballstemmer.stemmer | None = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = snowballstemmer.stemmer("english")
    return stemmer


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The English Snowball stem, so that `vaccines` meets `vaccine` and `talked` meets `talks`."""
    return str(_stemmer().stemWord(word.lower()))


def content_terms(question: str) -> list[str]:
    """The question's topic words, lowercased and deduplicated, without stopwords or framing."""
    terms: dict[str, None] = {}
    for match in WORD.finditer(question.lower()):
        word = match.group(0).replace("'s", "")
        if word in STOPWORDS or word in QUESTION_FRAME or (len(word) < 2 and not word.isdigit()):
            continue
        terms.setdefault(word, None)
    return list(terms)


def topic_terms(question: str, speakers: Sequence[str] = ()) -> list[str]:
    """The content terms without the words of the speakers' names ("What did Putin say about
    trade?" asks about trade)."""
    names = {part.lower() for name in speakers for part in WORD.findall(name)}
    return [t for t in content_terms(question) if t not in names]
