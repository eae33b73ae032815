"""Word .docx transcripts (Otter, Rev, Zoom and Word exports), read with python-docx.

The paragraphs (and table rows, which some exports use for 'speaker | time | text') become
lines of text, blank-line separated, and are parsed as plain labelled text: a label starts a
turn, a paragraph without one is an utterance of the current speaker (or narration).
"""

from __future__ import annotations

import io
import zipfile

from qa.errors import TranscriptFormatError
from qa.ingest.parsers.plain import parse_plain
from qa.models import Transcript

FORMAT = "docx"


def is_docx(data: bytes) -> bool:
    """A ZIP archive holding word/document.xml."""
    if not data.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "word/document.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def docx_text(data: bytes, source: str) -> str:
    """The document's paragraphs and table rows as text, one per paragraph."""
    import docx  # python-docx: imported here so text-only ingest never loads lxml

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises assorted errors for a broken package
        raise TranscriptFormatError(
            source, f"not a readable .docx document ({type(exc).__name__}); re-save it from Word"
        ) from exc
    blocks = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            cells: list[str] = []
            for cell in row.cells:
                if cell.text not in cells:  # merged cells repeat their text
                    cells.append(cell.text)
            blocks.append("  ".join(cells))
    return "\n\n".join(b.replace("\n", " ") for b in blocks if b.strip())


def parse_docx_text(text: str, *, source: str, transcript_id: str) -> Transcript:
    """Parse the text of a .docx document (see docx_text) as labelled paragraphs."""
    return parse_plain(text, source=source, transcript_id=transcript_id, format=FORMAT)
