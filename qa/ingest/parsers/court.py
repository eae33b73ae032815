"""Court and parliament records in plain text: capitalised speaker lines and Q./A. examination.

`      MR. DAVIS:  Good morning.` starts a turn (`MR.`, `MS.`, `MRS.`, `DR.`, `THE COURT`,
`THE WITNESS`, `CHAIRMAN X`, `SENATOR X`...); hard-wrapped lines continue it; an indented line
without a label starts a new paragraph of the same speaker. `BY MS. SAWYER:` names who asks
the `Q.` lines that follow; `A.` lines are the witness's, named by the label that carries the
surname given in the header (`INTERVIEW OF:  GLENN SIMPSON` -> `MR. SIMPSON`), else
`THE WITNESS`. Cover pages before the first turn (appearances, index, exhibits) go to the
metadata; parenthetical notes (`(Whereupon ...)`) and centred headings stay out of the turns.
"""

from __future__ import annotations

import re

from qa.ingest.parsers._common import Turn, make_transcript, normalize_text
from qa.models import Transcript

FORMAT = "court"

_TITLES = r"(?:MR|MS|MRS|MISS|DR|JUDGE|JUSTICE|SENATOR|REPRESENTATIVE|CHAIRMAN|CHAIRWOMAN|CHAIR)"
_LABEL_RE = re.compile(
    r"^\s*((?:" + _TITLES + r"\.?\s+[A-Z][A-Z'’.-]*(?:\s+[A-Z][A-Z'’.-]*){0,2})"
    r"|THE\s+(?:COURT|WITNESS|CLERK|CHAIRMAN|CHAIR|CHAIRWOMAN|REPORTER|BAILIFF|INTERPRETER"
    r"|VIDEOGRAPHER|SPEAKER|PRESIDENT|DEPONENT))\s*:\s*(.*)$"
)
# Any other label at the start of a line, as plain text writes them ("Jane Doe: words").
_OTHER_LABEL_RE = re.compile(r"^\s*[A-Z][\w.'’-]*(?: [A-Z][\w.'’-]*){0,3}:\s+\S")
_BY_RE = re.compile(r"^\s*BY\s+(.+?):\s*$")
_QA_RE = re.compile(r"^\s*([QA])\.\s+(.*)$")
_OF_RE = re.compile(r"\b(?:INTERVIEW|DEPOSITION|TESTIMONY|EXAMINATION)\s+OF:?\s+([A-Z][A-Z .'’-]+)")
# A centred parenthetical: "                   (A short break was had.)". A "(phonetic)" at
# the start of a wrapped line of speech is not one.
_PAREN_START_RE = re.compile(r"^\s{8,}\(")
_NOTE_LINES = 4  # a note wraps over a few lines at most
_CENTRED_RE = re.compile(r"^\s{12,}\S")  # centred headings: "EXAMINATION", "I N D E X"


def court_score(lines: list[str]) -> int:
    """How many of the lines look like a court record's turns (labels, BY, Q./A.); 0 when too
    few, or when other 'Name:' labels are common (plain labelled text with some 'MR. X:')."""
    labels = sum(1 for ln in lines if _LABEL_RE.match(ln))
    by = sum(1 for ln in lines if _BY_RE.match(ln))
    qa = sum(1 for ln in lines if _QA_RE.match(ln))
    others = sum(
        1
        for ln in lines
        if _OTHER_LABEL_RE.match(ln) and not (_LABEL_RE.match(ln) or _BY_RE.match(ln))
    )
    if labels < 3 or not (by or qa >= 2 or labels >= 10) or others > labels // 5:
        return 0
    return labels + by + qa


def _witness(header: list[str], labels: set[str]) -> str:
    for line in header:
        match = _OF_RE.search(line)
        if match:
            surname = match.group(1).split()[-1]
            for label in sorted(labels):
                if label.split()[-1] == surname:
                    return label
    return "THE WITNESS"


def _prose_line(line: str) -> bool:
    words = line.split()
    return len(words) >= 4 and sum(w[0].islower() for w in words) * 2 >= len(words)


def _cover_prose(header: list[str]) -> list[str]:
    """The sentences of the cover page ("The interview in this matter was held at the Hart
    Senate Office Building, commencing at 9:34 a.m."): facts people ask about, kept as narration.
    The rest of the cover (names, lists, the index) stays metadata. A sentence starts on a line
    of mostly lower-case words and runs, wrapped, to its full stop within three lines."""
    sentences: list[str] = []
    run: list[str] = []
    for line in header:
        if run or _prose_line(line):
            run.append(line)
            if line.endswith("."):
                sentences.append(" ".join(run))
                run = []
            elif len(run) >= 3:
                run = []
    return sentences


def parse_court(text: str, *, source: str, transcript_id: str) -> Transcript:
    """Parse a deposition, hearing or court transcript in plain text."""
    lines = text.splitlines()
    labels = {" ".join(m.group(1).split()) for ln in lines if (m := _LABEL_RE.match(ln))}
    first = next(
        (i for i, ln in enumerate(lines) if _LABEL_RE.match(ln) or _BY_RE.match(ln)), len(lines)
    )
    header = [normalize_text(ln) for ln in lines[:first] if ln.strip()]
    witness = _witness(header, labels)
    turns: list[Turn] = [Turn(None, sentence) for sentence in _cover_prose(header)]
    notes: list[str] = []
    current: Turn | None = None
    speaker: str | None = None
    examiner: str | None = None
    note_lines = 0  # lines of an unfinished parenthetical note so far
    for raw in lines[first:]:
        line = normalize_text(raw)
        if not line:
            current = None
            continue
        if note_lines or _PAREN_START_RE.match(raw):
            notes.append(line)
            ended = line.endswith((")", ").")) or note_lines + 1 >= _NOTE_LINES
            note_lines = 0 if ended else note_lines + 1
            current = None
            continue
        label, by, qa = _LABEL_RE.match(raw), _BY_RE.match(raw), _QA_RE.match(raw)
        if by:
            who = " ".join(by.group(1).split())
            if who != "THE WITNESS":  # "BY THE WITNESS:" only announces an answer
                examiner = who
            current = None
            continue
        if label:
            speaker = " ".join(label.group(1).split())
            current = Turn(speaker, normalize_text(label.group(2)))
            turns.append(current)
        elif qa:
            speaker = (examiner or "Q") if qa.group(1) == "Q" else witness
            current = Turn(speaker, normalize_text(qa.group(2)))
            turns.append(current)
        elif _CENTRED_RE.match(raw) and line.upper() == line:
            notes.append(line)
            current = None
        elif current is not None and not raw.startswith("      "):
            current.text = f"{current.text} {line}".strip()
        else:  # an indented line: a new paragraph of the same speaker
            current = Turn(speaker, line)
            turns.append(current)
    meta = {"header": header} if header else {}
    if notes:
        meta["notes"] = notes
    return make_transcript(
        turns,
        source=source,
        transcript_id=transcript_id,
        title=header[0] if header else transcript_id,
        format=FORMAT,
        metadata=meta,
    )
