"""Speaker labels in plain text lines ("Name: words"), with guards against false labels."""

from __future__ import annotations

import re


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Diarised or anonymised labels: "SPEAKER_00", "Speaker 1", "PERSON3", "Spk2".
ID_LABEL_RE = re.compile(r"(?:SPEAKER|Speaker|speaker|SPK|Spk|PERSON|Person|person)[ _-]?\d+")

# Single words that open a sentence or a header field, not a turn: "Note: the ...".
_NOT_LABELS = _words(
    """
    note notes nb ps p.s example examples first second third fourth fifth sixth finally firstly
    secondly thirdly lastly deadline listen look subject re source sources update warning important
    summary conclusion result results reason date time place location agenda attendees present
    absent topic topics title tags keywords translation transcript chapter part section step
    tip hint caution edit edited update updated url link links email phone tel fax address
    yes no ok okay well so and but also however therefore thus hence why what how who when where
    """
)
# Lower-case words allowed inside a label ("Director of the Moscow Variety theatre ...").
_JOINERS = _words(
    "of the and for on in at to with from by de da di du van von der den la le al el bin ibn y"
    " dos das del"
)
ROLE_LABELS = _words(
    """
    question remark reply answer response comment voice voices audience interpreter translator
    moderator host presenter interviewer interviewee narrator chair chairman chairperson q a
    """
)
_TIMESTAMP_RE = re.compile(
    r"^[\[(]?((?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?)[\])]?\s*(?:[-–—]\s*)?(?=\S)"
)
_PAREN_ID_RE = re.compile(r"^\((" + ID_LABEL_RE.pattern + r")\)\s*(.*)$")
_CAMEL_RE = re.compile(r"^[A-Z][a-z]{2,}[A-Z][a-z]{2,}$")
_NAME_PREFIX_RE = re.compile(r"^(?:al|el|ad|as|ash|bin|ibn|d|l|o)[-'’][A-Z]")
# A "label" holding a pronoun (any case when it opens the label) or a lower-case auxiliary is
# the start of a sentence: "We agreed with Vladimir Putin: ...", "What I said was: ...".
_PRONOUNS = _words(
    """
    i we you he she they it me us him them my our your his her their its this that these those
    here there let what
    """
)
_AUXILIARIES = _words(
    """
    is are was were be been am will would shall should can could may might must do does did
    have has had said says told asked not
    """
)
_ABBREV_RE = re.compile(
    r"^(?:[A-Z]|Mr|Mrs|Ms|Dr|Hon|St|Sr|Jr|Lt|Gen|Col|Prof|Rt|Mt|MR|MRS|MS|DR|HON|PROF|SEN|REP)\.$"
)


def _initial(word: str) -> bool:
    """Whether a word opens like a name: a capital, or a letter of a script without case
    (Arabic, Hebrew, CJK...), where a name cannot be told from a word by its first letter."""
    first = word[:1]
    return first.isupper() or (first.isalpha() and not first.islower())


def _capitalised(word: str) -> bool:
    return _initial(word) or bool(_NAME_PREFIX_RE.match(word))


def split_timestamp(line: str) -> tuple[str | None, str]:
    """'[00:01:02] Name: text' -> ('00:01:02', 'Name: text')."""
    match = _TIMESTAMP_RE.match(line)
    if not match:
        return None, line
    return match.group(1), line[match.end() :]


def is_label(candidate: str, *, max_words: int, max_chars: int, allow_single: bool) -> bool:
    """Whether text before a colon reads as a speaker label rather than a sentence."""
    label = candidate.strip().strip("*_").strip()
    if not label or len(label) > max_chars:
        return False
    if ID_LABEL_RE.fullmatch(label):
        return True
    base = re.sub(r"\s*\([^()]*\)\s*$", "", label)  # "Question (retranslated)"
    words = base.replace(",", " ").split()
    if not words or len(words) > max_words:
        return False
    if not _initial(words[0]):
        return False
    if re.search(r"[?!;\"“”«»<>{}|=/\\]|https?|www\.", base):
        return False
    if words[0].lower() in _PRONOUNS or any(
        w.strip(",") in _PRONOUNS | _AUXILIARIES or w == "I" for w in words[1:]
    ):
        return False
    for word in words:
        if word.endswith(".") and not _ABBREV_RE.match(word):
            return False  # a full stop inside: a sentence, not a name ("Thanks. Next")
    if len(words) == 1:
        word = words[0].rstrip(".")
        if word.lower() in ROLE_LABELS:
            return True
        if word.lower() in _NOT_LABELS or any(ch.isdigit() for ch in word):
            return False
        # "VladimirPutin" (a lost space) and "PUTIN" are names even where single words are not.
        return allow_single or (word.isupper() and len(word) > 1) or bool(_CAMEL_RE.match(word))
    lower = [w for w in words if not _capitalised(w) and w.lower() not in _JOINERS]
    caps = [w for w in words if _initial(w)]
    if words[0].lower() in _NOT_LABELS and len(words) <= 2:
        return False
    if len(words) == 2:
        return not lower or words[0].lower() in ROLE_LABELS  # "Audience member"
    # Longer labels carry a title and end with a capitalised name: "Olympic figure skating
    # silver medallist Yevgenia Medvedeva", "President of Syria Bashar al-Assad".
    if not ((_capitalised(words[-1]) and _capitalised(words[-2])) or len(lower) == 0):
        return False
    return len(lower) <= max(1, min(4, len(words) // 2)) and len(caps) >= 2


def split_label(
    line: str, *, max_words: int = 6, max_chars: int = 60, allow_single: bool = True
) -> tuple[str, str] | None:
    """(label, rest) when the line opens with a speaker label, else None."""
    paren = _PAREN_ID_RE.match(line)
    if paren:
        return paren.group(1), paren.group(2).strip()
    colon = line.find(":")
    if colon <= 0 or colon > max_chars + 4:
        return None
    candidate = line[:colon]
    rest = line[colon + 1 :]
    if rest.startswith("//"):
        return None  # a URL
    if candidate.rstrip().endswith("**") or candidate.lstrip().startswith("**"):
        rest = rest.lstrip("*_ ")  # "**Name:** text" in Markdown
    elif rest.startswith("**"):
        rest = rest[2:]  # "**Name**: text"
    if not is_label(candidate, max_words=max_words, max_chars=max_chars, allow_single=allow_single):
        return None
    label = " ".join(candidate.strip().strip("*_").split())
    return label, rest.strip()


def merge_split_labels(lines: list[str], *, max_words: int, max_chars: int) -> list[str]:
    """Join a label on its own line with the ': words' line after it (kremlin.ru copies)."""
    out: list[str] = []
    for line in lines:
        stripped = line.strip()
        if (
            stripped.startswith(":")
            and out
            and out[-1].strip()
            and ":" not in out[-1]
            and is_label(out[-1], max_words=max_words, max_chars=max_chars, allow_single=True)
        ):
            out[-1] = out[-1].strip() + stripped
        else:
            out.append(line)
    return out
