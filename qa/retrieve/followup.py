"""Follow-up questions turned into standalone ones, offline.

"And what did he say about trade?" after "What did Nazarbayev say about vaccines?" becomes
"What did Nursultan Nazarbayev say about trade?". The previous turn's speaker, transcripts, dates
and topic are carried forward only when the follow-up leans on them (pronouns, ellipsis such as
"What about 2018?", or a question with no topic of its own). A follow-up that leans on the last
answer ("And why did he…?", "So whose … was it?") stays in the transcript that answer cited first
and favours the exchange it cited (`Standalone.near`, for Retriever.retrieve); any other question
that names no new person or date of its own favours that transcript (`Standalone.favoured`).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

from qa.models import Filters
from qa.retrieve.query import detect_dates, detect_speakers, read_people
from qa.retrieve.times import detect_time_range, without_time
from qa.text import AUXILIARY_VERBS, ROLE_NOUNS, topic_terms, word_set

_LEADING = re.compile(r"^\s*(?:and|so|but|also|ok(?:ay)?|then|well)\b[\s,]*", re.I)
# A question that ends pointing back at the last answer: "Whose idea was it?", "Why was that?"
# ("that" inside a question is more often a relative pronoun: "the law that bans…").
_BACK = re.compile(r"\b(?:that|this|it|there|then|them|those)\s*[?.!]*\s*$", re.I)
# Only singular personal pronouns stand for the previous speaker; "they", "them" and "it" more
# often point at the topic ("How many of them received care?").
_PRONOUN = re.compile(r"\b(he|she|him|his|her|hers)\b", re.I)
# Words that point back at the last exchange inside a question with a topic of its own: "Why
# that particular present?", "What was the cover before that?", "How many of them…?", "So who
# agreed instead?"
_LEANS = re.compile(
    r"\b(?:instead|(?:before|after|besides|than)\s+that|that\s+(?:particular|one|same)|"
    r"(?:of|among)\s+(?:them|those|these))\b",
    re.I,
)
# A question whose subject points back: "How many bridges does it include?", "Why could it be
# made so cheaply?", "Over what period would that money be needed?". Its own words ("bridges",
# "cheaply") are about what the last answer was about, which it does not name again.
_SUBJECT_BACK = re.compile(
    rf"\b(?:{AUXILIARY_VERBS}|might|may|must)\s+(?:it|they|this|that|these|those)\b", re.I
)
_ELLIPSIS = re.compile(r"^\s*(?:and\s+)?(?:what|how)\s+about\s+(?P<rest>.+?)\s*\??\s*$", re.I)
_REPLY = re.compile(r"\b(answer(?:ed)?|repl(?:y|ied)|respond(?:ed)?|response)\b", re.I)
# A follow-up asking how the exchange the last answer cited was answered says nothing but that,
# and who replied: "And what did Putin answer?", "How was that answered?", "And his answer?",
# "Which way did the answer go?", "What did the professor say?", "And what was he told?".
_REPLY_WORDS = word_set(
    "answer answers answered reply replies replied respond responded response responses "
    "react reacted reaction retort retorted received reception"
)
# "What answer did Bezan get?": the person named got the reply; whoever spoke next gave it.
_GOT = word_set("get gets got receive receives received")
_SAY_WORDS = word_set("say said says tell told")
# The words such a question frames the reply with ("to that idea"); any other word is who
# replied, or a topic of its own (then it is searched as asked).
_REPLY_FRAME = word_set(
    "and so but then well okay ok what how which was were is did does do would could the a "
    "an that this it one to from by of with on in back came come go went way there any kind "
    "get got give gave idea question suggestion proposal point remark comment request claim"
)
_PRONOUNS = word_set("he she they him her them his their you")
# Any word but these names who replied.
_NOT_WHO = _REPLY_FRAME | _REPLY_WORDS | _SAY_WORDS | _PRONOUNS
_OBJECTS = word_set("him her them that this it back")
_WORD = re.compile(r"[\w'’.-]+")
_YEAR_PHRASE = re.compile(r"\s*\b(?:in|during|since|after|before|until)\s+(?:19|20)\d\d\b", re.I)
_POSSESSIVE = {"his", "her"}
_ASKS_FOR_PERSON = re.compile(r"^\s*(?:and\s+|so\s+)?(?:who|whom|whose|which\s+\w+)\b", re.I)


@dataclass(frozen=True)
class Turn:
    """What a previous exchange leaves for the next question to lean on."""

    question: str
    standalone_question: str
    filters: Filters  # the filters that were applied
    cited_speakers: tuple[str, ...] = ()
    cited_transcripts: tuple[str, ...] = ()
    answer: str = ""
    # (transcript id, utterance index) of each utterance the answer cited, in citation order
    cited_utterances: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class Standalone:
    question: str
    filters: Filters  # filters carried from the history (the user's own come on top)
    near: tuple[tuple[str, int], ...] = ()  # the exchange the last answer cited, to favour
    favoured: tuple[str, ...] = ()  # the transcript the last answer cited first, to favour
    # A follow-up asking how the last answer's exchange was answered: the utterance its lead
    # cited, and who replied as the question names them ("" when it does not).
    reply_to: tuple[str, int] | None = None
    replier: str = ""
    reply_maybe: bool = False  # "What did X say?": without X's reply, searched as asked


def topic_of(question: str, speakers: Sequence[str]) -> str:
    """The question's topic words without the names of the speakers it asks about."""
    return " ".join(topic_terms(question, speakers))


def make_standalone(
    question: str,
    history: Sequence[Turn],
    known_speakers: Sequence[str],
    home_speakers: Collection[str] = (),
) -> Standalone:
    """The question made self-contained from the last turn when it leans on it.
    `home_speakers` speak in the transcript the last answer cited first: naming one of them
    does not take the conversation elsewhere ("And what did Medvedev propose doing with it?"
    of the meeting Medvedev spoke at)."""
    text = question.strip()
    if not history or not text:
        return Standalone(text, Filters())
    last = history[-1]
    previous = last.standalone_question
    previous_speakers = last.filters.speakers or _referent(last, known_speakers)
    named = detect_speakers(text, known_speakers)
    # Naming again someone the last exchange was about ("And what did Putin ask him to do…?"
    # after a question on Putin's meeting), or who speaks where it was, still continues it;
    # only someone new starts another.
    seen = {*_people_of(last, known_speakers), *home_speakers} if named else set()
    others = [name for name in named if name not in seen]
    since, until = detect_dates(text)

    ellipsis = _ELLIPSIS.match(text)
    if ellipsis:
        return _resolve_ellipsis(ellipsis.group("rest"), last, known_speakers)

    body = _LEADING.sub("", text)
    leans_on_pronoun = bool(_PRONOUN.search(body)) and not named
    own_topic = topic_of(body, named)
    # "And why…", "So whose…", "he", "that": the question continues the last exchange, unless
    # it names its own person or date.
    leans = bool(_LEANS.search(body))
    points_back = bool(_SUBJECT_BACK.search(body))
    continues = (
        bool(_LEADING.match(text) or _BACK.search(body))
        or leans
        or points_back
        or leans_on_pronoun
        or not own_topic
    ) and not (others or since or until)
    carried = Filters()
    speaker = previous_speakers[0] if previous_speakers else None
    if leans_on_pronoun and speaker:
        body = _PRONOUN.sub(lambda m: _replace_pronoun(m.group(1), speaker), body)
        carried = Filters(speakers=(speaker,))
    if not own_topic or _only_reply(own_topic):
        previous_topic = _about_phrase(previous) or topic_of(previous, previous_speakers)
        if previous_topic:
            body = f"{body.rstrip(' ?')} about {previous_topic}?"
        if _REPLY.search(text) and last.cited_transcripts:
            # "And what did Putin answer?" asks about the same conversation.
            carried = Filters(
                speakers=carried.speakers, transcripts=tuple(last.cited_transcripts[:3])
            )
    elif continues and (leans or not last.cited_transcripts):
        # The words it points back at are the last question's: "What was the cover before
        # that?" after "…raise deposit insurance coverage?" searches for deposit insurance.
        # After an abstention there is no answer's transcript to stay in, only the question:
        # "And who starred in it?" after "What was the VR film Opher Vishnia worked on…?".
        own = set(own_topic.split())
        carried_words = [
            w
            for w in topic_of(previous, previous_speakers).split()
            if w not in own and not w.isdigit()  # a year would become a date filter
        ]
        if carried_words:
            body = f"{body.rstrip(' ?')} ({' '.join(carried_words)})?"
    if (
        not (since or until)
        and (leans_on_pronoun or not own_topic)
        and (last.filters.since or last.filters.until)
    ):
        carried = Filters(
            speakers=carried.speakers,
            transcripts=carried.transcripts,
            since=last.filters.since,
            until=last.filters.until,
            undated=last.filters.undated,
        )
    if (
        continues
        and detect_time_range(text) is None
        and (last.filters.from_s is not None or last.filters.to_s is not None)
    ):
        # "Around minute 12, what did they say about X?" then "And why?": the same stretch of
        # the recording.
        carried = replace(carried, from_s=last.filters.from_s, to_s=last.filters.to_s)
    near: tuple[tuple[str, int], ...] = ()
    favoured: tuple[str, ...] = ()
    if last.cited_transcripts and not (others or since or until):
        # Any question of a conversation that names no other person or date may continue in
        # the last answer's transcript ("When was the idea raised?"): it is favoured. One that
        # clearly continues ("And why did he…?") stays there.
        home = last.cited_transcripts[0]
        favoured = (home,)
        near = tuple(place for place in last.cited_utterances if place[0] == home)
        if continues and not carried.transcripts:
            carried = replace(carried, transcripts=(home,))
    reply_to, replier, maybe = _reply_asked(text, last, speaker if leans_on_pronoun else None)
    return Standalone(_sentence_case(body), carried, near, favoured, reply_to, replier, maybe)


def _reply_asked(
    text: str, last: Turn, pronoun_speaker: str | None
) -> tuple[tuple[str, int] | None, str, bool]:
    """Where the reply asked for follows (the utterance the last answer's lead cited), who gave
    it as the question names them ("" for whoever spoke next), and whether it is only maybe a
    reply ("What did Rob Pike say?" may ask what he said of the topic elsewhere). (None, "",
    False) when the question asks for no reply, has a topic of its own ("And what did Putin
    answer about trade?") or the last answer cited nothing."""
    nothing: tuple[None, str, bool] = (None, "", False)
    if not last.cited_utterances:
        return nothing
    words = _WORD.findall(text.strip().rstrip("?.! "))
    lowered = [w.lower().strip(".") for w in words]
    replies = any(w in _REPLY_WORDS for w in lowered)
    said_at = next((n for n, w in enumerate(lowered) if w in _SAY_WORDS), None)
    if not replies and said_at is None:
        return nothing
    named = [word for word, low in zip(words, lowered, strict=True) if low not in _NOT_WHO]
    if any(word[:1].islower() and word.lower() not in ROLE_NOUNS for word in named):
        return nothing  # words of a topic, not of who replied
    who = "" if _GOT & set(lowered) and "by" not in lowered else " ".join(named)
    lead_speaker = last.cited_speakers[0] if last.cited_speakers else None
    pronoun = next((w for w in lowered if w in _PRONOUNS), None)
    if not who and pronoun_speaker and pronoun in {"he", "she", "him", "her", "his"}:
        # "And his answer?" after "What did Micklethwait ask Putin…?": the person the last
        # answer quoted does not answer himself; a pronoun for anyone else names the replier.
        who = pronoun_speaker if pronoun_speaker != lead_speaker else ""
    if not replies:
        # "What did the professor say?", "What did she tell him?", "What did he say to that?",
        # "And what was he told?"; not "What did he say?" of the person just quoted.
        after = set(lowered[(said_at or 0) + 1 :])
        told = "told" in lowered and bool({"was", "were", "is", "are", "been"} & set(lowered))
        if not (who or told or after & _OBJECTS):
            return nothing
    # The utterances are in citation order: the first is the lead's.
    return last.cited_utterances[0], who, not replies


def _people_of(last: Turn, known_speakers: Sequence[str]) -> set[str]:
    """Everyone the last exchange was about: the speakers its question named, filtered on or
    addressed, and those its answer quoted."""
    people = read_people(last.standalone_question, known_speakers)
    return {
        *last.filters.speakers,
        *people.speakers,
        *people.subjects,
        *people.addressees,
        *last.cited_speakers,
    }


def _referent(last: Turn, known_speakers: Sequence[str]) -> tuple[str, ...]:
    """Whom "he" or "she" stands for when the last question filtered on no speaker: the person
    it named ("How did Kevin Kiley vote on AB 10?" is about Kiley, though its answer quotes the
    chair), else the speaker its answer cited first. After "Who…?" or "Which
    journalist…?" it is the person the answer found, not one the question named."""
    if not _ASKS_FOR_PERSON.match(last.standalone_question):
        named = detect_speakers(last.standalone_question, known_speakers)
        if named:
            return tuple(named[:1])
    return last.cited_speakers[:1]


def _resolve_ellipsis(rest: str, last: Turn, known_speakers: Sequence[str]) -> Standalone:
    previous = last.standalone_question.rstrip(" ?")
    previous_speakers = last.filters.speakers
    span = detect_time_range(rest)
    if span is not None:
        # "What about minute 20?": the same question at another time of the recording(s).
        base = without_time(previous, detect_time_range(previous)).rstrip(" ?")
        return Standalone(
            f"{base}, {span.phrase.strip()}?",
            Filters(speakers=previous_speakers, transcripts=last.filters.transcripts),
            favoured=last.cited_transcripts[:1],
        )
    since, until = detect_dates(rest)
    if since or until:
        year = re.search(r"(?:19|20)\d\d", rest)
        base = _YEAR_PHRASE.sub("", previous)
        return Standalone(
            f"{base} in {year.group(0) if year else rest}?",
            Filters(speakers=previous_speakers, transcripts=last.filters.transcripts),
        )
    named = detect_speakers(rest, known_speakers)
    if named:
        base = previous
        for old in previous_speakers:
            base = base.replace(old, named[0])
        if base == previous:
            topic = _about_phrase(previous) or topic_of(previous, previous_speakers)
            base = f"What did {named[0]} say about {topic}"
        return Standalone(
            f"{base}?",
            Filters(
                since=last.filters.since,
                until=last.filters.until,
                undated=last.filters.undated,
            ),
        )
    about = _about_phrase(previous)
    new_topic = rest.strip(" ?")
    swapped = _swap_name(previous, new_topic, previous_speakers)
    if swapped:
        base = swapped
    elif about:
        base = previous[: previous.lower().rfind(about.lower())] + new_topic
    elif previous_speakers:
        base = f"What did {previous_speakers[0]} say about {new_topic}"
    else:
        base = f"What was said about {new_topic}"
    return Standalone(
        f"{base}?",
        Filters(
            speakers=previous_speakers,
            transcripts=last.filters.transcripts,
            since=last.filters.since,
            until=last.filters.until,
            undated=last.filters.undated,
        ),
    )


_NAME = re.compile(r"\b[A-Z][\w-]*(?:['’]s)?")


def _owner(word: str) -> str:
    """The word without its possessive "'s" ("Armenia's" → "Armenia")."""
    return word.removesuffix("'s").removesuffix("’s")


def _swap_name(previous: str, name: str, speakers: Sequence[str]) -> str | None:
    """ "What about Armenia's?" after "How much did Kyrgyzstan's trade with Russia grow…?": the
    last question about the new name, in place of the last name of its kind (possessive or
    not) that is not a speaker's; None when the follow-up names none or the question has no
    such name."""
    if not _NAME.fullmatch(name):
        return None
    possessive = _owner(name) != name
    spoken = {w for speaker in speakers for w in speaker.split()}
    matches = [
        m
        for m in _NAME.finditer(previous)
        if m.start() > 0
        and (_owner(m.group(0)) != m.group(0)) == possessive
        and _owner(m.group(0)) not in spoken
    ]
    if not matches:
        return None
    last = matches[-1]
    return previous[: last.start()] + name + previous[last.end() :]


def _about_phrase(question: str) -> str:
    match = re.search(r"\babout\s+(.+?)\s*\??\s*$", question, re.I)
    return match.group(1) if match else ""


def _only_reply(topic: str) -> bool:
    return all(_REPLY.fullmatch(word) for word in topic.split())


def _replace_pronoun(pronoun: str, speaker: str) -> str:
    return f"{speaker}'s" if pronoun.lower() in _POSSESSIVE else speaker


def _sentence_case(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] if text else text
