"""Names users give speakers (`SPEAKER_00=Taylor Smith`): a transcript's speakers summarised,
rename requests checked against them, and the stored names applied to a parsed transcript.

The stored map is keyed by the label as the source writes it (Utterance.speaker), never by the
name shown, and sets the utterance's canonical speaker (the name answers, filters and chunk
labels use; the label as written stays). Keyed so, it applies again to the same file parsed
afresh (a changed file re-ingested keeps its names while its labels are the same), and renames
compose: SPEAKER_00=Taylor then Taylor=Taylor Smith stores SPEAKER_00 -> Taylor Smith. Renaming
to a name the transcript already has merges the two speakers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from qa.errors import InputError
from qa.models import Transcript

__all__ = [
    "MAX_NAME_CHARS",
    "SpeakerSummary",
    "apply_names",
    "clean_name",
    "parse_rename",
    "renamed_labels",
    "speaker_summaries",
    "unused_names",
    "unused_names_message",
]

MAX_NAME_CHARS = 100
# The sample line: the speaker's first utterance of at least this many words (a "Yeah." says
# nothing about who is talking), else their longest; cut to SAMPLE_MAX_WORDS.
SAMPLE_MIN_WORDS = 8
SAMPLE_MAX_WORDS = 30


@dataclass(frozen=True)
class SpeakerSummary:
    """One speaker of a transcript: the name shown, the labels written in the source that carry
    it, how many utterances are theirs, and a line of theirs (with its utterance index)."""

    name: str
    labels: tuple[str, ...]
    utterances: int
    sample_index: int
    sample: str


def speaker_summaries(transcript: Transcript) -> list[SpeakerSummary]:
    """The transcript's named speakers in order of first appearance (narration is left out)."""
    labels: dict[str, dict[str, None]] = {}
    spoken: dict[str, list[int]] = {}
    for position, u in enumerate(transcript.utterances):
        if not u.canonical_speaker:
            continue
        labels.setdefault(u.canonical_speaker, {})[u.speaker or u.canonical_speaker] = None
        spoken.setdefault(u.canonical_speaker, []).append(position)
    summaries = []
    for name, positions in spoken.items():
        utterances = [transcript.utterances[p] for p in positions]
        sample = next(
            (u for u in utterances if len(u.text.split()) >= SAMPLE_MIN_WORDS),
            max(utterances, key=lambda u: len(u.text.split())),
        )
        words = sample.text.split()
        text = " ".join(words[:SAMPLE_MAX_WORDS]) + (" …" if len(words) > SAMPLE_MAX_WORDS else "")
        summaries.append(
            SpeakerSummary(name, tuple(labels[name]), len(positions), sample.index, text)
        )
    return summaries


def clean_name(name: str) -> str:
    """A name as typed, with its whitespace collapsed (a new line in a chunk means a new
    speaker) and a trailing colon dropped; InputError when empty or too long."""
    cleaned = " ".join(name.split()).rstrip(":").strip()
    if not cleaned:
        raise InputError(f"a speaker name cannot be empty, got {name!r}")
    if len(cleaned) > MAX_NAME_CHARS:
        raise InputError(
            f"a speaker name must be at most {MAX_NAME_CHARS} characters, got {len(cleaned)}: "
            f"{cleaned[:40]!r}…"
        )
    return cleaned


def parse_rename(text: str) -> tuple[str, str]:
    """(current name, new name) from `SPEAKER_00=Taylor Smith`; InputError otherwise."""
    old, sep, new = text.partition("=")
    if not sep:
        raise InputError(f'a rename is OLD=NEW, e.g. "SPEAKER_00=Taylor Smith"; got {text!r}')
    old = " ".join(old.split())
    if not old:
        raise InputError(f"a rename needs the current name before '=', got {text!r}")
    return old, clean_name(new)


def renamed_labels(
    transcript: Transcript, renames: Sequence[tuple[str, str]], stored: Mapping[str, str]
) -> dict[str, str]:
    """The transcript's names after the renames (current name -> new name, all at once, so
    A=B with B=A swaps them): the stored map with every label now shown as a renamed name
    mapped to its new one. InputError names an unknown speaker and lists the transcript's."""
    current: dict[str, list[str]] = {}
    for u in transcript.utterances:
        if u.canonical_speaker and u.speaker is not None:
            current.setdefault(u.canonical_speaker, [])
            if u.speaker not in current[u.canonical_speaker]:
                current[u.canonical_speaker].append(u.speaker)
    if not renames:
        raise InputError("no rename given")
    seen: set[str] = set()
    names = dict(stored)
    for old, new in renames:
        if old in seen:
            raise InputError(f"{old!r} is renamed twice in one request")
        seen.add(old)
        if old not in current:
            raise InputError(_unknown(transcript, old, current))
        for label in current[old]:
            names[label] = clean_name(new)
    return names


def _unknown(transcript: Transcript, old: str, current: Mapping[str, list[str]]) -> str:
    listed = ", ".join(repr(name) for name in current) or "none"
    message = f"transcript {transcript.id!r} has no speaker {old!r}; its speakers: {listed}"
    now = [name for name, labels in current.items() if old in labels]
    if now:  # the label as written, already renamed
        message += f" ({old!r} is now named {now[0]!r})"
    return message


def apply_names(transcript: Transcript, names: Mapping[str, str]) -> Transcript:
    """The transcript with each utterance whose label the map has spoken by its name."""
    if not names:
        return transcript
    utterances = tuple(
        dataclasses.replace(u, canonical_speaker=names[u.speaker])
        if u.speaker is not None and u.speaker in names
        else u
        for u in transcript.utterances
    )
    return dataclasses.replace(transcript, utterances=utterances)


def unused_names(transcript: Transcript, names: Mapping[str, str]) -> dict[str, str]:
    """The stored names (label -> name) whose label the transcript no longer has: a changed
    file re-diarized or relabelled. They are kept, in case the label comes back, but name no
    one now, so the ingest reports them rather than letting the name vanish unnoticed."""
    labels = {u.speaker for u in transcript.utterances if u.speaker is not None}
    return {label: name for label, name in names.items() if label not in labels}


def unused_names_message(transcript_id: str, names: Mapping[str, str]) -> str:
    """One line for the user about unused_names: which names now apply to no one, and how to
    give them again."""
    listed = ", ".join(f"{label}={name}" for label, name in sorted(names.items()))
    return (
        f"{transcript_id}: the changed file has no speaker labelled "
        f"{' or '.join(repr(label) for label in sorted(names))}, so the name"
        f"{'s' if len(names) > 1 else ''} given ({listed}) name no one now; "
        f"name its speakers again with `tqa speakers {transcript_id} --rename LABEL=NAME`"
    )
