"""Check a suite's gold against the transcript files it was written from.

Every gold quote must occur verbatim in the raw file (after markup is stripped and whitespace
collapsed) and, when today's parser reads the file, in the parsed utterance text; every gold
answer must occur in its quote, except for who-said questions (the answer is the speaker of the
quoted utterance) and counting questions (the answer is a count, re-counted here).

`python -m eval.suite_check SUITE... [--data DIR]` prints one line per problem and exits 1 if
there is any.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from eval.metrics import MIN_QUOTE_WORDS, normalize, normalize_answer
from eval.suite import Evidence, SuiteQuestion, load_suite
from qa.answer.counting import MIN_ROOT, SHORT_INFLECTIONS
from qa.errors import TranscriptQAError
from qa.ingest.parsers import read_transcript_file
from qa.models import Transcript

__all__ = [
    "SOURCE_FOLDERS",
    "Problem",
    "SourceFile",
    "check_questions",
    "count_occurrences",
    "raw_text",
    "source_files",
    "squash",
]

# The folders of the shared data a suite may draw on (QMSum *train* for the suites the weights
# learn from only); QMSum *test* is never one of them.
SOURCE_FOLDERS = ("seed", "kremlin/html", "qmsum/val", "qmsum/train", "real")
_NOT_TRANSCRIPTS = frozenset({"MANIFEST.md", "manifest.json"})
WHO_SAID_KINDS = frozenset({"who-said", "speaker"})
COUNTING_KIND = "counting"

_TAG = re.compile(r"<[^>]*>")
_SCRIPT = re.compile(r"<(script|style)\b.*?</\1>", re.S | re.I)
_CUE_TIME = re.compile(r"^\s*\d{1,2}:\d{1,2}(?::\d{1,2})?[.,]\d+\s*-->")
_CUE_NUMBER = re.compile(r"^\s*\d+\s*$")
_TOOLTIP = re.compile(r'<span class="read__tooltip.*?</span>\s*</a>', re.S)
_MD_MARKUP = re.compile(r"\*\*|\\(?=[\[\]])")


def squash(text: str) -> str:
    """Whitespace collapsed to single spaces (no-break spaces included)."""
    return " ".join(text.split())


def _strip_tags(text: str, joiner: str) -> str:
    return html.unescape(_TAG.sub(joiner, _SCRIPT.sub(" ", text)))


def _json_strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _json_strings(item)


def _subtitle_text(text: str) -> str:
    """Cue text of a WebVTT/SRT file: timing lines, cue numbers and tags dropped."""
    lines = []
    for line in text.splitlines():
        if _CUE_TIME.match(line) or _CUE_NUMBER.match(line) or line.startswith("WEBVTT"):
            continue
        lines.append(line)
    return _strip_tags("\n".join(lines), "")


def _nlp_text(text: str) -> str:
    """A Rev .nlp file (a token a line: token|speaker|ts|endTs|punctuation|…) as running text:
    each token with the punctuation after it."""
    words = []
    for line in text.splitlines()[1:]:
        fields = line.split("|")
        if len(fields) >= 5 and fields[0]:
            words.append(fields[0] + fields[4])
    return " ".join(words)


def raw_text(path: Path) -> list[str]:
    """The file's text with its markup stripped, in one or more readings (whitespace collapsed).

    HTML and XML are read twice, tags removed and tags made spaces: a quote may run through an
    inline tag (`<i>…</i>`) or across two paragraphs.
    """
    suffix = path.suffix.lower()
    if suffix == ".docx":
        # A zip: the body text is the runs of word/document.xml, a paragraph a line.
        with zipfile.ZipFile(path) as docx:
            body = docx.read("word/document.xml").decode("utf-8", errors="replace")
        return [squash(_strip_tags(body.replace("</w:p>", " </w:p>"), ""))]
    text = path.read_bytes().decode("utf-8", errors="replace").lstrip("\ufeff")
    if suffix == ".nlp":
        return [squash(_nlp_text(text))]
    if suffix in (".html", ".htm", ".xml"):
        # kremlin.ru hides a person's card inside the link on the name ("Mr Zhukov<span
        # class="read__tooltip …">Zhukov Alexander First Deputy Speaker…</span></a> chairs
        # it"): the page shows, and the parser reads, the sentence without it.
        shown = _TOOLTIP.sub("</a>", text)
        return [squash(_strip_tags(t, j)) for t in dict.fromkeys((text, shown)) for j in ("", " ")]
    if suffix == ".json":
        return [squash(" ".join(_json_strings(json.loads(text))))]
    if suffix in (".vtt", ".srt"):
        return [squash(_subtitle_text(text))]
    if suffix == ".md":
        return [squash(text), squash(_MD_MARKUP.sub("", text))]
    return [squash(text)]


def source_files(data_root: Path) -> dict[str, Path]:
    """Transcript id -> file, ids derived as the library derives them (the file's stem)."""
    found: dict[str, Path] = {}
    for folder in SOURCE_FOLDERS:
        base = data_root / folder
        if not base.is_dir():
            continue
        for path in sorted(base.iterdir()):
            if path.is_file() and path.name not in _NOT_TRANSCRIPTS:
                found.setdefault(path.stem, path)
    return found


def count_occurrences(transcript: Transcript, term: str, speaker: str | None = None) -> int:
    """Occurrences of words starting with term in the utterances, as `qa.answer.counting` counts
    (a word of fewer than four letters only as itself, its plural or possessive: "AI" is not in
    "air"); with `speaker`, only in utterances whose speaker label contains it."""
    if len(term) < MIN_ROOT and term.isalnum():
        pattern = re.compile(rf"\b{re.escape(term)}{SHORT_INFLECTIONS}\b", re.I)
    else:
        pattern = re.compile(rf"\b{re.escape(term)}\w*", re.I)
    return sum(
        len(pattern.findall(u.text))
        for u in transcript.utterances
        if speaker is None or speaker in (u.speaker or "")
    )


@dataclass(frozen=True)
class Problem:
    question_id: str
    message: str

    def __str__(self) -> str:
        return f"{self.question_id}: {self.message}"


@dataclass
class SourceFile:
    """One transcript file, read lazily: its raw readings and, if today's parser reads it, the
    parsed transcript."""

    path: Path
    _raw: list[str] | None = None
    _parsed: Transcript | None = None
    _parse_error: str | None = None

    @property
    def raw(self) -> list[str]:
        if self._raw is None:
            self._raw = raw_text(self.path)
        return self._raw

    @property
    def parsed(self) -> Transcript | None:
        if self._parsed is None and self._parse_error is None:
            try:
                self._parsed = read_transcript_file(self.path)
            except TranscriptQAError as exc:
                self._parse_error = str(exc)
        return self._parsed


def _speaker_of(transcript: Transcript, quote: str) -> str | None:
    target = squash(quote)
    for u in transcript.utterances:
        if target in squash(u.text):
            return u.speaker or ""
    return None


def check_questions(
    questions: Sequence[SuiteQuestion], sources: dict[str, SourceFile]
) -> list[Problem]:
    """Every problem with the gold of these questions; [] when all of it checks out."""
    problems: list[Problem] = []
    for q in questions:
        problems.extend(_check_one(q, sources))
    return problems


def _check_one(q: SuiteQuestion, sources: dict[str, SourceFile]) -> Iterable[Problem]:
    def bad(message: str) -> Problem:
        return Problem(q.id, message)

    for tid in q.transcripts:
        if tid not in sources:
            yield bad(f"scope names {tid!r}, which is no transcript file")
    if not q.answerable:
        if q.answers:
            yield bad("an unanswerable question has gold answers")
        return
    if not q.evidence or not q.answers:
        yield bad("an answerable question needs evidence and answers")
        return
    for ev in q.evidence:
        source = sources.get(ev.transcript_id)
        if source is None:
            yield bad(f"evidence names {ev.transcript_id!r}, which is no transcript file")
            continue
        if ev.quote is None:
            yield from _check_utterance(q, ev.transcript_id, ev.utterance, source)
            continue
        quote = squash(ev.quote)
        if len(normalize(quote).split()) < MIN_QUOTE_WORDS:
            yield bad(f"quote {ev.quote!r} is under {MIN_QUOTE_WORDS} words, metrics ignore it")
        if not any(quote in reading for reading in source.raw):
            yield bad(f"quote not in the raw file {source.path.name}: {ev.quote!r}")
        parsed = source.parsed
        if parsed is not None:
            text = squash(" ".join(u.text for u in parsed.utterances))
            if quote not in text:
                yield bad(f"quote not in the parsed text of {ev.transcript_id}: {ev.quote!r}")
            if q.kind in WHO_SAID_KINDS:
                speaker = _speaker_of(parsed, quote)
                if speaker is not None and not any(
                    normalize_answer(a) in normalize_answer(speaker) for a in q.answers
                ):
                    yield bad(f"answer {list(q.answers)} is not the speaker {speaker!r}")
    if q.kind == COUNTING_KIND:
        yield from _check_count(q, sources)
    elif q.kind not in WHO_SAID_KINDS:
        quotes = " ".join(normalize_answer(_gold_text(ev, sources)) for ev in q.evidence)
        for answer in q.answers:
            if f" {normalize_answer(answer)} " not in f" {quotes} ":
                yield bad(f"answer {answer!r} is not in its quote")


def _gold_text(ev: Evidence, sources: dict[str, SourceFile]) -> str:
    """The quote, or the text of the utterance an index-only item points at."""
    if ev.quote is not None:
        return ev.quote
    source = sources.get(ev.transcript_id)
    parsed = source.parsed if source is not None else None
    if parsed is None or ev.utterance is None or ev.utterance >= len(parsed.utterances):
        return ""
    return parsed.utterances[ev.utterance].text


def _check_utterance(
    q: SuiteQuestion, tid: str, index: int | None, source: SourceFile
) -> Iterable[Problem]:
    """An index-only item must point into a transcript that today's parser reads."""
    parsed = source.parsed
    if parsed is None:
        yield Problem(q.id, f"utterance {index} of {tid!r}: the file does not parse today")
    elif index is None or index >= len(parsed.utterances):
        yield Problem(q.id, f"utterance {index} is past the end of {tid!r}")


def _check_count(q: SuiteQuestion, sources: dict[str, SourceFile]) -> Iterable[Problem]:
    spec = q.extra.get("count")
    if not isinstance(spec, dict) or not isinstance(spec.get("term"), str):
        yield Problem(
            q.id, "a counting question needs 'count': {term, transcripts, value[, speaker]}"
        )
        return
    total = 0
    for tid in spec.get("transcripts", []):
        source = sources.get(tid)
        parsed = source.parsed if source is not None else None
        if parsed is None:
            yield Problem(q.id, f"cannot count in {tid!r}: not parsed")
            return
        total += count_occurrences(parsed, spec["term"], spec.get("speaker"))
    if total != spec.get("value"):
        yield Problem(q.id, f"{spec['term']!r} occurs {total} times, the gold says {spec['value']}")
    elif f"{total} times" not in q.answers and f"{total} time" not in q.answers:
        yield Problem(q.id, f"answers {list(q.answers)} do not give the count {total}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.suite_check", description=__doc__)
    parser.add_argument("suites", nargs="+", type=Path)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    args = parser.parse_args(argv)
    files = source_files(args.data)
    if not files:
        print(f"no transcript files under {args.data}", file=sys.stderr)
        return 2
    sources = {tid: SourceFile(path) for tid, path in files.items()}
    problems: list[Problem] = []
    for suite in args.suites:
        problems.extend(check_questions(load_suite(suite), sources))
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
