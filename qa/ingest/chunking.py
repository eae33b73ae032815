"""Turn-aware chunking: consecutive utterances packed under a token budget, labelled by speaker.

A chunk holds whole utterances; only an utterance too long for a chunk on its own is cut, on
sentence boundaries (on word boundaries for a sentence that is itself too long). Chunks prefer
to end where the speaker changes, a short question stays with the start of its answer, and
every line of a chunk starts with its speaker's label so the chunk stands alone. Whitespace
inside an utterance is collapsed to single spaces, so a new line always means a new speaker.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from qa.errors import SettingsError
from qa.models import Chunk, Transcript, Utterance
from qa.sentences import sentence_spans
from qa.tokens import count_tokens

__all__ = ["ChunkerSettings", "chunk_transcript", "speaker_prefix"]

MIN_BUDGET_TOKENS = 16
RESERVED_MODEL_TOKENS = 2  # [CLS] and [SEP] the encoder adds to every sequence
FULL_ENOUGH = 0.6  # a chunk this full ends at a turn boundary rather than mid-turn
SHORT_QUESTION_TOKENS = 60

_QUESTION_LABEL = re.compile(r"\s*question\b", re.IGNORECASE)
_WORD = re.compile(r"\S+")
_CLOSERS = "\"'”’»)] "

Cost = tuple[int, int]  # (cl100k tokens, encoder tokens; 0 when the encoder is not measured)


@dataclass(frozen=True)
class ChunkerSettings:
    """Chunk size: a cl100k budget and, optionally, the encoder's maximum sequence length."""

    budget_tokens: int = 200
    max_model_tokens: int | None = None  # e.g. 256 word pieces for all-MiniLM-L6-v2

    def __post_init__(self) -> None:
        if self.budget_tokens < MIN_BUDGET_TOKENS:
            raise SettingsError(
                f"budget_tokens must be at least {MIN_BUDGET_TOKENS}, got {self.budget_tokens}"
            )
        least = MIN_BUDGET_TOKENS + RESERVED_MODEL_TOKENS
        if self.max_model_tokens is not None and self.max_model_tokens < least:
            raise SettingsError(
                f"max_model_tokens must be at least {least}, got {self.max_model_tokens}"
            )


def speaker_prefix(utterance: Utterance) -> str:
    """The label that opens a speaker's line: "Vladimir Putin: "; "" for narration."""
    name = (utterance.canonical_speaker or utterance.speaker or "").strip().rstrip(":").rstrip()
    return f"{name}: " if name else ""


def place_sentences(
    chunk_texts: Sequence[str], sentences: Iterable[str]
) -> tuple[list[list[tuple[int, int, str]]], list[str]]:
    """Where each sentence of a transcript (in order) sits in its chunks' texts, which hold it
    with its whitespace collapsed: per chunk, (start, end, sentence) of the sentences found
    wholly inside it; and the sentences found in none (one that straddles two chunks)."""
    placed: list[list[tuple[int, int, str]]] = [[] for _ in chunk_texts]
    missing: list[str] = []
    chunk, cursor = 0, 0
    for sentence in sentences:
        needle = " ".join(sentence.split())
        for candidate in range(chunk, len(chunk_texts)):
            found = chunk_texts[candidate].find(needle, cursor if candidate == chunk else 0)
            if found >= 0:
                placed[candidate].append((found, found + len(needle), sentence))
                chunk, cursor = candidate, found + len(needle)
                break
        else:
            missing.append(sentence)
    return placed, missing


def chunk_transcript(
    transcript: Transcript,
    settings: ChunkerSettings = ChunkerSettings(),  # frozen, so one default is safe to share
    model_token_count: Callable[[str], int] | None = None,
) -> list[Chunk]:
    """The transcript's utterances packed, in order, into labelled chunks under the budget."""
    if settings.max_model_tokens is not None and model_token_count is None:
        raise SettingsError(
            f"max_model_tokens={settings.max_model_tokens} needs model_token_count,"
            " the encoder's token counter"
        )
    meter = _Meter(settings, model_token_count)
    units, turns = _units(transcript.utterances, meter)
    if not units:
        return []
    packer = _Packer(units, turns, meter)
    return _chunks(transcript, units, packer.pack())


# --- measuring ------------------------------------------------------------------------------


class _Meter:
    """Token counts in both measures, and whether a cost is within both limits."""

    def __init__(
        self, settings: ChunkerSettings, model_token_count: Callable[[str], int] | None
    ) -> None:
        self.budget = settings.budget_tokens
        self.model_count = model_token_count if settings.max_model_tokens is not None else None
        self.model_budget = (settings.max_model_tokens or 0) - RESERVED_MODEL_TOKENS
        self._labels: dict[str, Cost] = {}

    def measure(self, text: str) -> Cost:
        model = self.model_count(text) if self.model_count is not None else 0
        return count_tokens(text), model

    def fits(self, cost: Cost) -> bool:
        return cost[0] <= self.budget and (self.model_count is None or cost[1] <= self.model_budget)

    def fits_text(self, text: str) -> bool:
        return self.fits(self.measure(text))

    def fullness(self, cost: Cost) -> float:
        full = cost[0] / self.budget
        if self.model_count is not None:
            full = max(full, cost[1] / self.model_budget)
        return full

    def label(self, label: str) -> Cost:
        if label not in self._labels:
            self._labels[label] = self.measure(label)
        return self._labels[label]

    def usable_label(self, label: str) -> str:
        """The label, shortened to its last words if it would take over half a chunk."""
        words = label.split()
        for first in range(len(words)):
            name = " ".join(words[first:]).rstrip(":")
            shortened = f"{name}: " if name else ""
            cost = self.label(shortened)
            if cost[0] * 2 <= self.budget and cost[1] * 2 <= max(self.model_budget, 0):
                return shortened
        return ""


def _add(a: Cost, b: Cost) -> Cost:
    return a[0] + b[0], a[1] + b[1]


# One token for the "\n" or " " between two pieces; the encoder's tokenizer drops whitespace.
_JOIN: Cost = (1, 0)


# --- units: whole utterances, or the pieces of one too long to fit a chunk -------------------


@dataclass(frozen=True, slots=True)
class _Unit:
    position: int  # of its utterance in transcript.utterances
    text: str  # whitespace collapsed
    turn: int
    ends_utterance: bool
    cost: Cost  # of text alone


@dataclass(slots=True)
class _Turn:
    """Consecutive utterances with one label (and in one part of the event)."""

    label: str  # as printed in chunks
    label_cost: Cost
    first_unit: int
    question_label: bool
    is_question: bool = False  # a question whose answer follows; filled in once all are known


def _units(utterances: Sequence[Utterance], meter: _Meter) -> tuple[list[_Unit], list[_Turn]]:
    units: list[_Unit] = []
    turns: list[_Turn] = []
    previous_key: tuple[str, int] | None = None
    for position, utterance in enumerate(utterances):
        text = " ".join(utterance.text.split())
        if not text:
            continue
        full_label = speaker_prefix(utterance)
        key = (full_label, utterance.part)
        if key != previous_key:
            label = meter.usable_label(full_label)
            turns.append(
                _Turn(label, meter.label(label), len(units), _has_question_label(utterance))
            )
            previous_key = key
        turn = len(turns) - 1
        label = turns[turn].label
        cost = meter.measure(text)
        alone = _add(meter.label(label), cost)
        # The sum of the parts is close to the exact count; count exactly near the limit.
        fits = meter.fits_text(label + text) if meter.fullness(alone) > 0.5 else True
        if fits:
            units.append(_Unit(position, text, turn, True, cost))
            continue
        pieces = _pieces(text, label, meter)
        for n, (start, end) in enumerate(pieces):
            piece = text[start:end]
            units.append(_Unit(position, piece, turn, n == len(pieces) - 1, meter.measure(piece)))
    _mark_questions(units, turns)
    return units, turns


def _has_question_label(utterance: Utterance) -> bool:
    labels = (utterance.speaker or "", utterance.canonical_speaker or "")
    return any(_QUESTION_LABEL.match(label) for label in labels)


def _mark_questions(units: list[_Unit], turns: list[_Turn]) -> None:
    tokens = [0] * len(turns)
    for unit in units:
        tokens[unit.turn] += unit.cost[0]
    for t, turn in enumerate(turns[:-1]):
        if turns[t + 1].label == turn.label:
            continue  # the same speaker after a part separator: no answer follows
        last = units[turns[t + 1].first_unit - 1].text
        asks = last.rstrip(_CLOSERS).endswith("?") and tokens[t] <= SHORT_QUESTION_TOKENS
        turn.is_question = turn.question_label or asks


def _pieces(text: str, label: str, meter: _Meter) -> list[tuple[int, int]]:
    """Spans of text that each fit a chunk after the label: sentences, else runs of words."""
    spans: list[tuple[int, int]] = []
    for start, end in sentence_spans(text):
        if meter.fits_text(label + text[start:end]):
            spans.append((start, end))
            continue
        words = [(m.start(), m.end()) for m in _WORD.finditer(text, start, end)]
        starts, ends = [w[0] for w in words], [w[1] for w in words]
        # Every word is at least one token, so a run never holds more words than the budget.
        spans.extend(_longest_runs(text, label, starts, ends, meter, meter.budget))
    return spans


def _longest_runs(
    text: str, label: str, starts: list[int], ends: list[int], meter: _Meter, longest: int
) -> list[tuple[int, int]]:
    """Greedy runs of consecutive items (words, or characters) that each fit after the label."""
    runs: list[tuple[int, int]] = []
    i = 0
    while i < len(starts):
        lo, hi = i, min(len(starts), i + longest)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if meter.fits_text(label + text[starts[i] : ends[mid - 1]]):
                lo = mid
            else:
                hi = mid - 1
        if lo > i:
            runs.append((starts[i], ends[lo - 1]))
            i = lo
        elif ends[i] - starts[i] > 1:
            # One word longer than a chunk: cut it between characters, a last resort.
            chars = list(range(starts[i], ends[i]))
            char_ends = [c + 1 for c in chars]
            runs.extend(_longest_runs(text, label, chars, char_ends, meter, 8 * meter.budget))
            i += 1
        else:
            # A single character cannot be cut; only an absurd tokenizer gets here.
            runs.append((starts[i], ends[i]))
            i += 1
    return runs


# --- packing units into chunks ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Packed:
    first: int  # unit index
    end: int  # unit index, exclusive
    text: str
    tokens: int


class _Packer:
    def __init__(self, units: list[_Unit], turns: list[_Turn], meter: _Meter) -> None:
        self.units = units
        self.turns = turns
        self.meter = meter

    def opening_cost(self, i: int) -> Cost:
        """Cost of unit i when it opens a chunk: it carries its label."""
        return _add(self.turns[self.units[i].turn].label_cost, self.units[i].cost)

    def joining_cost(self, i: int) -> Cost:
        """Cost of unit i after unit i-1 in the same chunk: a label only at a change of turn."""
        unit = self.units[i]
        cost = _add(_JOIN, unit.cost)
        if unit.turn != self.units[i - 1].turn:
            cost = _add(cost, self.turns[unit.turn].label_cost)
        return cost

    def pack(self) -> list[_Packed]:
        packed: list[_Packed] = []
        first = 0
        while first < len(self.units):
            fills = [self.opening_cost(first)]  # fills[k]: estimated cost of units first..first+k
            end = first + 1
            while end < len(self.units):
                cost = _add(fills[-1], self.joining_cost(end))
                if not self.meter.fits(cost):
                    break
                fills.append(cost)
                end += 1
            if end < len(self.units):
                end = self.choose_end(first, end, fills)
            packed.append(self.exact(first, end))
            first = packed[-1].end
        return packed

    def choose_end(self, first: int, limit: int, fills: list[Cost]) -> int:
        """Where a chunk of units first..limit-1 (all fit) should end, so the next one starts."""
        latest: int | None = None
        utterance_end: int | None = None
        for end in range(limit, first, -1):
            if self.splits_question(first, end, limit):
                continue
            latest = latest or end
            if self.meter.fullness(fills[end - first - 1]) < FULL_ENOUGH:
                break
            if self.units[end].turn != self.units[end - 1].turn:
                return end
            if utterance_end is None and self.units[end - 1].ends_utterance:
                utterance_end = end
        return utterance_end or latest or limit

    def splits_question(self, first: int, end: int, limit: int) -> bool:
        """Whether ending before unit `end` parts a question from an answer that could join it."""
        turn = self.units[end - 1].turn
        if self.units[end].turn == turn or not self.turns[turn].is_question:
            return False
        if end < limit:
            return True  # the answer's first unit fits in this very chunk
        asked = self.turns[turn].first_unit
        if asked <= first:
            return False  # the question opened this chunk: nothing earlier to end at
        cost = self.opening_cost(asked)
        for i in range(asked + 1, end + 1):
            cost = _add(cost, self.joining_cost(i))
        return self.meter.fits(cost)

    def exact(self, first: int, end: int) -> _Packed:
        """The chunk's text, dropping units from its end while the exact count is over a limit."""
        while True:
            text = self.render(first, end)
            cost = self.meter.measure(text)
            if self.meter.fits(cost) or end == first + 1:
                return _Packed(first, end, text, cost[0])
            end -= 1

    def render(self, first: int, end: int) -> str:
        parts: list[str] = []
        for i in range(first, end):
            unit = self.units[i]
            if i == first:
                parts.append(self.turns[unit.turn].label + unit.text)
            elif unit.turn != self.units[i - 1].turn:
                parts.append("\n" + self.turns[unit.turn].label + unit.text)
            else:
                parts.append(" " + unit.text)
        return "".join(parts)


def _chunks(transcript: Transcript, units: list[_Unit], packed: list[_Packed]) -> list[Chunk]:
    utterances = transcript.utterances
    chunks: list[Chunk] = []
    for ordinal, chunk in enumerate(packed):
        # Utterances without text belong to the chunk before them (leading ones to the first).
        start = 0 if ordinal == 0 else units[chunk.first].position
        last = units[chunk.end - 1].position
        if ordinal + 1 < len(packed):
            stop = max(last, units[packed[ordinal + 1].first].position - 1)
        else:
            stop = len(utterances) - 1
        covered = utterances[start : stop + 1]
        speakers: dict[str, None] = {}
        for unit in units[chunk.first : chunk.end]:
            name = utterances[unit.position].canonical_speaker
            if name:
                speakers.setdefault(name, None)
        starts = [u.start_s for u in covered if u.start_s is not None]
        ends = [u.end_s for u in covered if u.end_s is not None]
        chunks.append(
            Chunk(
                transcript_id=transcript.id,
                ordinal=ordinal,
                utterance_start=utterances[start].index,
                utterance_end=utterances[stop].index,
                speakers=tuple(speakers),
                text=chunk.text,
                token_count=chunk.tokens,
                start_s=min(starts) if starts else None,
                end_s=max(ends) if ends else None,
            )
        )
    return chunks
