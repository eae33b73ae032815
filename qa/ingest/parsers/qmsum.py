"""QMSum meeting JSON: `meeting_transcripts` turns; utterance i is turn i, always."""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa.errors import TranscriptFormatError
from qa.ingest.parsers._common import Turn, drop_controls, load_json, make_transcript
from qa.models import Transcript

FORMAT = "qmsum"

# A QMSum meeting is named by its source corpus's code alone ("TS3009c", "Bmr005"), and a
# reader names it by what the code stands for ("the TS3009 kick-off meeting", "the final
# TS3010 remote control meeting", "the ICSI Meeting Recorder meeting"): the title says it, so
# the occasion a question names finds the meeting, and the reader sees which one it is.
# AMI's scenario meetings (ES, IS, TS) are series of four held by one team designing a remote
# control: the kick-off, then the functional, conceptual and detailed design meetings, coded a
# to d. ICSI's codes name the research group that met: the three QMSum has, each group's name
# said in its own meetings.
_AMI_PHASES = {
    "a": "kick-off meeting, the first of four",
    "b": "functional design meeting, the second of four",
    "c": "conceptual design meeting, the third of four",
    "d": "detailed design meeting, the fourth and final of four",
}
_ICSI_GROUPS = {
    "Bed": "Even Deeper Understanding",
    "Bmr": "Meeting Recorder",
    "Bro": "Robustness",
}
# The codes the tables above know, and no others.
_AMI_SCENARIO = re.compile(r"(?:ES|IS|TS)\d{4}([" + "".join(_AMI_PHASES) + "])")
_ICSI_GROUP = re.compile("(" + "|".join(_ICSI_GROUPS) + r")\d{3}")


# A committee sitting's code ("covid_6", "education_18") only numbers it among its corpus's
# sittings. Its chair opens it by naming the committee, often the sitting, and the business
# ("Welcome to the 12th meeting of the House of Commons Special Committee on the COVID-19
# Pandemic."; "Item 2 this morning is a scrutiny session with a focus on higher and further
# education."), and a reader names the sitting that way ("the Senedd children's committee
# session on the childcare offer"): the title says what the opening says.
OPENING_TURNS = 6
_COMMITTEE = re.compile(
    r"\b(?i:welcome)\b[^.?!]*?\bto (?:the |this |today['’]s |this \w+['’]s )?"
    r"(?:(?P<sitting>(?:[\w-]+ ){0,2}[\w-]*meeting(?: number \d+)?) of )?(?:the )?"
    r"(?P<name>[A-Z][^.?!]*?\b[Cc]ommittee\b(?: on the [^.?!,]+)?)"
)
# The sitting when the chair numbers it ("the seventh meeting", "meeting number 22").
_NUMBERED = re.compile(r"\d|first|second|third|\w+th\b|\w+(?:st|nd|rd)\b", re.I)
_ITEM = re.compile(
    r"\b(?i:item (?:\d+|two|three|four|five)|substantive item)\b(?: on (?:our|the) agenda)?"
    r"(?:,? (?:then|today|this (?:morning|afternoon))\b)*,?(?: (?:which )?is| and)?,? "
    r"(?:(?:a|an|our|the) )?(?P<business>[^.?!]+)"
)
# Agenda items that are the formalities, not the sitting's business.
_FORMALITIES = re.compile(r"(?i:apolog|declaration|introduction|paper|substitution|motion)")
# Where the chair goes on from the business to its witnesses ("…draft strategy, and I'm very
# pleased to welcome…").
_BUSINESS_ENDS = re.compile(r",\s*(?:and|which|where|so|but)\b|;")
MAX_BUSINESS_WORDS = 32


def meeting_title(transcript_id: str, opening: Sequence[str] = ()) -> str:
    """The meeting's code with what it stands for: "TS3009c: conceptual design meeting, the third
    of four"; for a committee sitting, what its chair's `opening` turns name ("covid_6: House of
    Commons Special Committee on the COVID-19 Pandemic, the 12th meeting"); the code alone when
    it is none of these."""
    if ami := _AMI_SCENARIO.fullmatch(transcript_id):
        return f"{transcript_id}: {_AMI_PHASES[ami.group(1)]}"
    if icsi := _ICSI_GROUP.fullmatch(transcript_id):
        return f"{transcript_id}: ICSI {_ICSI_GROUPS[icsi.group(1)]} group meeting"
    if sitting := committee_sitting(" ".join(opening)):
        return f"{transcript_id}: {sitting}"
    return transcript_id


def committee_sitting(opening: str) -> str | None:
    """The committee an opening welcomes to, with the sitting's number and its business when it
    says them; None when it welcomes to no committee."""
    committee = _COMMITTEE.search(opening)
    if committee is None:
        return None
    parts = [committee.group("name")]
    if (sitting := committee.group("sitting")) and _NUMBERED.search(sitting):
        sitting = re.sub(r"(\d+\w*)meeting", r"\1 meeting", sitting)  # "14thmeeting"
        parts.append(sitting if sitting.startswith("meeting") else f"the {sitting}")
    for item in _ITEM.finditer(opening, committee.end()):
        business = _BUSINESS_ENDS.split(item.group("business"), maxsplit=1)[0].strip()
        if not _FORMALITIES.match(business):
            parts.append(" ".join(business.split()[:MAX_BUSINESS_WORDS]))
            break
    return ", ".join(parts)


def _ws(text: str) -> str:
    """Whitespace normalisation (and no control characters): the corpus text is otherwise kept
    as it is."""
    return " ".join(drop_controls(text).split())


def parse_qmsum(text: str, *, source: str, transcript_id: str) -> Transcript:
    """Parse a QMSum meeting; turn texts keep the corpus tokenisation ("we 're").

    Evaluation spans index turns, so every turn is an utterance, even one with empty
    content (its text is then ""), and utterance i is always turn i.
    """
    data = load_json(text, source)
    turns_raw = data.get("meeting_transcripts") if isinstance(data, dict) else None
    if not isinstance(turns_raw, list):
        raise TranscriptFormatError(
            source, 'not a QMSum meeting: expected an object with a "meeting_transcripts" list'
        )
    turns: list[Turn] = []
    for i, turn in enumerate(turns_raw):
        if not isinstance(turn, dict) or not isinstance(turn.get("content", ""), str):
            raise TranscriptFormatError(
                source,
                f'meeting_transcripts[{i}] is not a {{"speaker", "content"}} object: '
                f"{str(turn)[:80]!r}",
            )
        speaker = turn.get("speaker")
        label = _ws(speaker) if isinstance(speaker, str) else None
        turns.append(Turn(label or None, _ws(turn.get("content") or "")))
    meta: dict[str, list[str]] = {}
    topics = data.get("topic_list")
    if isinstance(topics, list):
        meta["topics"] = [
            _ws(t["topic"])
            for t in topics
            if isinstance(t, dict) and isinstance(t.get("topic"), str)
        ]
    return make_transcript(
        turns,
        source=source,
        transcript_id=transcript_id,
        title=meeting_title(transcript_id, [t.text for t in turns[:OPENING_TURNS]]),
        format=FORMAT,
        keep_empty=True,
        metadata=meta,
    )
