"""The reply to an exchange, read from the transcript's turns.

"And what did Putin answer?" after an answer that quoted Nazarbayev asks for what Putin said
next, whatever its words: in interviews, hearings and meetings the answer to a question is the
next turn by another speaker. Searching for the last question's topic finds the topic, not the
reply ("Thank you very much." shares no word with vaccines).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa.models import Utterance
from qa.text import ROLE_NOUNS, plain_words, word_set

# How far after the exchange the reply may start: an interjection, the chair giving the floor or
# a moderator's words may come between a question and its answer, not a change of subject.
REPLY_WINDOW = 12
# Words of a role that name nobody in particular ("the other speaker", "the person").
_NO_ROLE = word_set("the this that other person speaker man woman someone guy mr mrs ms dr")


# Sounds that hold the floor without replying ("Mm {vocalsound} uh .", "Mm-hmm."); a
# transcript's markup in braces or brackets is no word either.
_FILLERS = word_set("mm mmm hmm hm uh um er erm ah oh uh-huh mm-hmm huh")
_MARKUP = re.compile(r"\{[^}]*\}|\[[^\]]*\]")


def only_fillers(text: str) -> bool:
    """Whether the utterance says nothing but fillers ("Mm {vocalsound} uh .")."""
    words = re.findall(r"[\w'-]+", _MARKUP.sub(" ", text).lower())
    return all(word in _FILLERS for word in words)


def role_words(who: str) -> list[str]:
    """The words of "the Northern Ireland Secretary" that may stand in a speaker's label."""
    return [w for w in plain_words(who.lower()) if len(w) > 2 and w not in _NO_ROLE]


def role_match(utterance: Utterance, roles: Sequence[str]) -> int:
    """How many of the role words the utterance's speaker label holds ("Minister of Health
    Mikhail Murashko" holds "minister"; "User Interface" two of "user interface designer")."""
    label = plain_words(f"{utterance.speaker or ''} {utterance.canonical_speaker or ''}".lower())
    return sum(word in label for word in roles)


def names_a_role(who: str) -> bool:
    """Whether "the Northern Ireland Secretary" names someone by role, not by name."""
    return any(word in ROLE_NOUNS for word in plain_words(who.lower()))


def asking_turn(prompt: Utterance, following: Sequence[Utterance]) -> Utterance:
    """Where the exchange's question ends: the prompt when it asks, else its speaker's next
    utterance that asks, as long as only one other person speaks in between (a journalist's
    preamble that the president interrupts: "You should spend less time reading things
    online…" / "So my question is, could you please tell us where that information is coming
    from…?"). The prompt itself when no such utterance comes within REPLY_WINDOW."""
    if "?" in prompt.text:
        return prompt
    others: set[str | None] = set()
    for utterance in following[:REPLY_WINDOW]:
        if utterance.canonical_speaker != prompt.canonical_speaker:
            others.add(utterance.canonical_speaker)
            if len(others) > 1:
                break
        elif "?" in utterance.text:
            return utterance
    return prompt


def reply_turn(
    asked: Utterance,
    following: Sequence[Utterance],
    repliers: Sequence[str],
    roles: Sequence[str],
    else_next: bool,
) -> list[Utterance]:
    """The turn replying to the question `asked` (the `asking_turn` of an exchange). After its
    speaker's turn: the first utterances by one of `repliers` (canonical names), else by the
    speaker whose label holds the most `roles` words, else (`else_next`) by whoever speaks
    next; for as long as that speaker goes on. `following` are the transcript's utterances
    after the exchange's prompt, in order. [] when nobody of those speaks within
    REPLY_WINDOW utterances."""
    window: list[Utterance] = []
    for utterance in following:
        if utterance.index <= asked.index:
            continue
        if not window and utterance.canonical_speaker == asked.canonical_speaker:
            continue  # the prompt's speaker goes on
        if len(window) == REPLY_WINDOW:
            break
        window.append(utterance)
    spoken = [u for u in window if u.canonical_speaker and not only_fillers(u.text)]
    if repliers:
        by = [u for u in spoken if u.canonical_speaker in repliers]
    else:
        matches = [role_match(u, roles) for u in spoken]
        best = max(matches, default=0)
        by = [u for u, n in zip(spoken, matches, strict=True) if n == best]
        if not best and not else_next:
            by = []
    if not by:
        return []
    first = by[0]
    turn = [first]
    for utterance in following:
        if utterance.index <= first.index:
            continue
        if utterance.canonical_speaker != first.canonical_speaker:
            break
        turn.append(utterance)
    return turn
