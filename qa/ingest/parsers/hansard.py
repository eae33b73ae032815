"""UK Hansard XML (Historic Hansard markup): `<member>` speaks its `<membercontribution>`.

A `<p>` with a member is an utterance by that member: the contribution without its leading
': ', or for a numbered written-style question ("1. <member>X</member> asked ...") the words
after the name. A `<p>` without a member is narration (no speaker). Column numbers (`<col>`),
page images and line breaks are left out of the text; titles become the sections metadata,
`<date format="1976-01-22">` the date.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from qa.errors import TranscriptFormatError
from qa.ingest.parsers._common import Turn, make_transcript, normalize_text
from qa.models import Transcript

FORMAT = "hansard"

_ROOTS = ("housecommons", "houselords", "westminsterhall", "writtenanswers", "grandcommittee")
_ROOT_RE = re.compile(
    r"^\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*)*<(" + "|".join(_ROOTS) + r")\b", re.S
)
_ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SKIPPED = frozenset({"col", "image"})
# "The Secretary of State for Northern Ireland (Mr. Merlyn Rees)": the office, then the member.
_OFFICE_RE = re.compile(r"^(The .+?)\s*\(([^()]+)\)$")


def looks_like_hansard(text: str) -> bool:
    # XML begins with markup: a Markdown note that names the tags (`<membercontribution>`) is not.
    if not text.lstrip("\ufeff \t\r\n").startswith("<"):
        return False
    return bool(_ROOT_RE.match(text[:2000])) or "<membercontribution" in text[:20_000]


def _text(element: ET.Element) -> str:
    """The element's text without column numbers and images; <lb/> is a space."""
    parts: list[str] = [element.text or ""]
    for child in element:
        if child.tag not in _SKIPPED:
            parts.append(" " if child.tag == "lb" else _text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def parse_hansard(text: str, *, source: str, transcript_id: str) -> Transcript:
    """Parse a Hansard sitting: one utterance per member's paragraph."""
    try:
        root = ET.fromstring(text.lstrip("\ufeff"))
    except ET.ParseError as exc:
        raise TranscriptFormatError(source, f"invalid XML: {exc}") from exc
    if root.tag not in _ROOTS:
        raise TranscriptFormatError(
            source, f"not Hansard XML: the root element is <{root.tag}>, expected <housecommons>"
        )
    meta: dict[str, list[str]] = {"sections": []}
    date: str | None = None
    date_el = root.find(".//date")
    if date_el is not None:
        value = date_el.get("format") or ""
        if _ISO_DATE_RE.match(value):
            date = value
        meta["date_as_written"] = [normalize_text(_text(date_el))]
    turns: list[Turn] = []
    title = transcript_id
    for element in root.iter():
        if element.tag == "title":
            heading = normalize_text(_text(element))
            if title == transcript_id:
                title = heading or title
            elif heading:
                meta["sections"].append(heading)
        if element.tag != "p":
            continue
        member = element.find("member")
        if member is None:
            turns.append(Turn(None, normalize_text(_text(element))))
            continue
        speaker = normalize_text(_text(member)) or None
        office = _OFFICE_RE.match(speaker or "")
        if office:  # the member first, so the canonical name is the person, not the office
            speaker = f"{office.group(2)} ({office.group(1)})"
        contribution = element.find("membercontribution")
        if contribution is not None:
            said = normalize_text(_text(contribution))
        else:  # "1. <member>Mr. Latham</member> asked the Secretary of State ..."
            said = normalize_text(member.tail or "")
        turns.append(Turn(speaker, said.lstrip(":").strip()))
    return make_transcript(
        turns,
        source=source,
        transcript_id=transcript_id,
        title=title,
        format=FORMAT,
        date=date,
        metadata=meta,
    )
