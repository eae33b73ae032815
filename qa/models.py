"""Domain value objects: transcripts, utterances, chunks, passages, citations, answers."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Utterance:
    """One unit as the source gives it: a paragraph, a turn, a subtitle cue, an ASR segment."""

    index: int
    speaker: str | None  # the label as written in the source; None for narration
    canonical_speaker: str | None  # one name per person (see qa.speakers)
    text: str
    start_s: float | None = None
    end_s: float | None = None
    part: int = 0  # parts of one event separated by "* * *"
    # Where the cues or segments merged into this utterance start: (character offset in text,
    # seconds), after the first. A quote from the middle of a merged utterance is then cited at
    # the time its own words were said, not at the utterance's start.
    marks: tuple[tuple[int, float], ...] = ()

    def time_at(self, offset: int) -> float | None:
        """When the character at offset was said: the start of the piece that holds it."""
        when = self.start_s
        for at, start_s in self.marks:
            if at > offset:
                break
            when = start_s
        return when


@dataclass(frozen=True)
class Transcript:
    id: str
    title: str
    utterances: tuple[Utterance, ...]
    format: str
    date: str | None = None  # ISO yyyy-mm-dd
    time: str | None = None  # HH:MM
    place: str | None = None
    lead: str | None = None
    source_path: str | None = None
    # topics, persons, geography, section, captions, publication status...
    metadata: dict[str, list[str]] = field(default_factory=dict)

    @property
    def speakers(self) -> list[str]:
        """Canonical speakers in order of first appearance."""
        seen: dict[str, None] = {}
        for u in self.utterances:
            if u.canonical_speaker:
                seen.setdefault(u.canonical_speaker, None)
        return list(seen)


@dataclass(frozen=True)
class Chunk:
    """Consecutive utterances (or sentences of one long utterance) packed under a token budget."""

    transcript_id: str
    ordinal: int  # position of the chunk within its transcript
    utterance_start: int
    utterance_end: int  # inclusive
    speakers: tuple[str, ...]  # canonical speakers, in order of first appearance
    text: str  # carries speaker labels ("Vladimir Putin: ...") so it stands alone
    token_count: int  # cl100k tokens of text
    start_s: float | None = None
    end_s: float | None = None


@dataclass(frozen=True)
class Filters:
    speakers: tuple[str, ...] = ()
    transcripts: tuple[str, ...] = ()
    since: str | None = None  # ISO date, inclusive
    until: str | None = None  # ISO date, inclusive
    # Seconds into a recording ("around minute 12"): only utterances with times inside pass.
    from_s: float | None = None
    to_s: float | None = None
    # With since/until: a transcript with no date passes too. A date the question names cannot
    # rule out a recording whose date nobody recorded; a date range the user sets does.
    undated: bool = False

    def is_empty(self) -> bool:
        return not (
            self.speakers
            or self.transcripts
            or self.since
            or self.until
            or self.from_s is not None
            or self.to_s is not None
        )

    def over(self, other: Filters) -> Filters:
        """These filters with `other`'s filling what they leave unset (a user's over what the
        question or the conversation says); `undated` goes with the dates it came with."""
        return Filters(
            speakers=self.speakers or other.speakers,
            transcripts=self.transcripts or other.transcripts,
            since=self.since or other.since,
            until=self.until or other.until,
            undated=self.undated if self.since or self.until else other.undated,
            from_s=self.from_s if self.from_s is not None else other.from_s,
            to_s=self.to_s if self.to_s is not None else other.to_s,
        )

    def admits_date(self, date: str | None) -> bool:
        """Whether a transcript of this date (None: undated) passes the date range; every one
        does without a range."""
        if not (self.since or self.until):
            return True
        if date is None:
            return self.undated
        return (self.since or "0000-00-00") <= date <= (self.until or "9999-99-99")


@dataclass(frozen=True)
class Passage:
    """A retrieved span of one transcript, with where its score came from."""

    transcript_id: str
    title: str
    date: str | None
    utterance_start: int
    utterance_end: int  # inclusive
    speakers: tuple[str, ...]
    text: str
    score: float
    dense_rank: int | None = None  # 1-based rank in the dense list, None if absent
    keyword_rank: int | None = None
    chunk_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Citation:
    n: int
    transcript_id: str
    title: str
    date: str | None
    speaker: str | None
    utterance_start: int
    utterance_end: int
    quote: str  # a verbatim span of the cited utterances
    start_s: float | None = None

    @property
    def ref(self) -> str:
        if self.utterance_start == self.utterance_end:
            return f"{self.transcript_id}#u{self.utterance_start}"
        return f"{self.transcript_id}#u{self.utterance_start}-{self.utterance_end}"


@dataclass(frozen=True)
class Timings:
    """Seconds one answer took: retrieving its passages, and everything up to the answer."""

    retrieval_s: float = 0.0
    answer_s: float = 0.0


@dataclass(frozen=True)
class Answer:
    question: str
    standalone_question: str
    text: str  # with inline [n] markers
    citations: tuple[Citation, ...]
    passages: tuple[Passage, ...]
    abstained: bool
    filters: Filters
    # e.g. "the LLM endpoint was unreachable; extractive answer shown"
    notices: tuple[str, ...] = ()
    # Carried on the answer itself: the UI's concurrent workers share one Assistant.
    timings: Timings = field(default_factory=Timings)
