"""kremlin.ru event pages (HTML): bold speaker labels in the paragraphs of the article body."""

from __future__ import annotations

import re
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode

from qa.errors import TranscriptFormatError
from qa.ingest.parsers._common import (
    Turn,
    collapse_ws,
    is_elision,
    make_transcript,
    normalize_text,
    strip_elisions,
)
from qa.models import Transcript

FORMAT = "kremlin-html"

_SKIP_CLASSES = frozenset({"masha-ignore", "read__tooltip", "read__bottommeta"})
_BOLD_TAGS = frozenset({"b", "strong"})
_ITALIC_TAGS = frozenset({"i", "em"})
_HEADING_TAGS = frozenset({"h2", "h3", "h4", "h5", "h6"})
_SEPARATOR_RE = re.compile(r"^\*(?:\s*\*)+$")  # "* * *", "***"
_MAX_LABEL_BOLD = 200  # longest bold label seen: a title plus a name, ~80 characters
_MAX_LABEL = 600  # with a remark in brackets: "Vladimir Putin (answering a question from ...)"
_MARKUP_RE = re.compile(r"<(?:!doctype|html|head|body|article)\b", re.IGNORECASE)
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME_RE = re.compile(r"\d{1,2}:\d{2}")


@dataclass(frozen=True)
class _Run:
    text: str
    bold: bool
    italic: bool


@dataclass(frozen=True)
class _Paragraph:
    kind: str  # "text", "note" (all bold or all italic: headings, "(Applause.)"), "separator"
    text: str  # normalised, without the label
    label: str | None = None  # a bold speaker label that opens the paragraph
    bold_lead: str = ""  # leading bold text not followed by a colon ("<b>Megyn Kelly</b> I do.")
    after_lead: str = ""  # the text after that bold lead
    plain_label: str | None = None  # "Name: ..." without bold, checked against the page's labels


def _classes(node: LexborNode) -> set[str]:
    return set((node.attributes.get("class") or "").split())


def _runs(node: LexborNode) -> list[_Run]:
    """Text of a node as runs marked bold/italic, without tooltips and hidden widgets."""
    out: list[_Run] = []
    # Iterative walk (not recursion) so deeply nested markup cannot exhaust the stack.
    stack: list[tuple[LexborNode | None, bool, bool]] = [(node.child, False, False)]
    while stack:
        child, bold, italic = stack.pop()
        if child is None:
            continue
        stack.append((child.next, bold, italic))
        tag = child.tag
        if tag == "-text":
            out.append(_Run(child.text_content or "", bold, italic))
        elif tag == "br":
            out.append(_Run(" ", bold, italic))
        elif (
            tag
            and not tag.startswith("-")
            and tag not in ("script", "style")
            and not _classes(child) & _SKIP_CLASSES
        ):
            stack.append((child.child, bold or tag in _BOLD_TAGS, italic or tag in _ITALIC_TAGS))
    return out


def _split_bold_label(runs: list[_Run]) -> tuple[str, str] | None:
    """(label, rest) when the paragraph opens with a bold label ended by a colon.

    The colon may sit inside or after the bold, and a remark in brackets may come between:
    `<b>Question </b><i>(retranslated)</i><b>:</b>`, `<b>Vladimir Putin (</b><i>to X)</i>:`.
    """
    label: list[str] = []
    depth = 0
    bold_chars = 0
    total = 0
    started = False
    for i, run in enumerate(runs):
        for j, ch in enumerate(run.text):
            if not started:
                if ch.isspace():
                    continue
                if not run.bold:
                    return None
                started = True
            if ch == ":" and depth == 0:
                rest = run.text[j + 1 :] + "".join(r.text for r in runs[i + 1 :])
                return "".join(label), rest
            if ch == "(":
                depth += 1
            elif ch == ")" and depth:
                depth -= 1
            elif not ch.isspace() and not run.bold and depth == 0:
                return None  # plain text before any colon: not a label
            label.append(ch)
            total += 1
            bold_chars += run.bold
            if bold_chars > _MAX_LABEL_BOLD or total > _MAX_LABEL:
                return None
    return None


def _bold_lead(runs: list[_Run]) -> tuple[str, str]:
    """Leading bold text and the rest, for paragraphs whose bold lead has no colon."""
    lead: list[str] = []
    for i, run in enumerate(runs):
        if run.bold or not run.text.strip():
            lead.append(run.text)
            continue
        return "".join(lead), "".join(r.text for r in runs[i:])
    return "".join(lead), ""


def _paragraph(node: LexborNode) -> _Paragraph | None:
    runs = _runs(node)
    text = normalize_text("".join(r.text for r in runs))
    if not text or is_elision(text):
        return None
    if _SEPARATOR_RE.match(text):
        return _Paragraph("separator", "")
    if node.tag in _HEADING_TAGS:
        return _Paragraph("note", strip_elisions(text))
    visible = [r for r in runs if r.text.strip()]
    all_bold = all(r.bold for r in visible)
    split = _split_bold_label(runs)
    if split is not None and not (all_bold and split[1].strip()):
        label = normalize_text(split[0])
        if label:
            return _Paragraph("text", strip_elisions(normalize_text(split[1])), label=label)
    if all_bold or all(r.italic for r in visible):
        # Headings ("Speeches at the opening of ...: ...") and notes ("(Applause.)").
        return _Paragraph("note", strip_elisions(text))
    lead, rest = _bold_lead(runs)
    plain = None if lead.strip() else re.match(r"([^:]{1,60}):\s*(.*)$", text)
    return _Paragraph(
        "text",
        strip_elisions(text),
        bold_lead=normalize_text(lead),
        after_lead=strip_elisions(normalize_text(rest)),
        plain_label=plain.group(1).strip() if plain else None,
    )


def _paragraph_nodes(container: LexborNode) -> list[LexborNode]:
    """Transcript paragraphs in document order: <p> and <li>, not pull quotes or widgets."""
    out: list[LexborNode] = []
    stack: list[LexborNode | None] = [container.child]
    while stack:
        child = stack.pop()
        if child is None:
            continue
        stack.append(child.next)
        tag = child.tag
        if tag in ("p", "li") or tag in _HEADING_TAGS:
            out.append(child)
        elif tag in ("div", "ul", "ol", "section") and not _classes(child) & _SKIP_CLASSES:
            stack.append(child.child)
        # <blockquote>: pull quotes repeating a sentence of the transcript, so skipped
    return out


def _text_of(node: LexborNode | None, separator: str = " ") -> str:
    return normalize_text(node.text(separator=separator)) if node is not None else ""


def _metadata(tree: LexborHTMLParser, article: LexborNode) -> dict[str, list[str]]:
    meta: dict[str, list[str]] = {}
    section = _text_of(article.css_first(".read__categ"))
    if section:
        meta["section"] = [section]
    captions: list[str] = []
    for slide in article.css(".slider .slide"):
        caption = collapse_ws(slide.attributes.get("data-cycle-desc") or "")
        if caption and caption not in captions:
            captions.append(caption)
    if captions:
        meta["captions"] = captions
    for column in article.css(".read__tags .read__tagscol"):
        key = _text_of(column.css_first("h3")).lower().replace(" ", "_")
        values = [
            _text_of(item, "")
            for item in column.css("li")
            if "read__tagsmore" not in _classes(item) and _text_of(item, "")
        ]
        if key and values:
            meta[key] = values
    status = article.css_first(".read__status")
    if status is not None:
        for para in status.css("p"):
            line = _text_of(para, "")
            if line.startswith("Published in"):
                meta["publication_status"] = [line]
                meta["sections"] = [
                    s.strip() for s in line.split(":", 1)[-1].split(",") if s.strip()
                ]
            elif line.startswith("Publication date"):
                meta["publication_date"] = [line.split(":", 1)[-1].strip()]
    url = tree.css_first('meta[property="og:url"]')
    if url is not None and url.attributes.get("content"):
        meta["url"] = [str(url.attributes["content"])]
    return meta


def parse_kremlin_html(text: str, *, source: str, transcript_id: str) -> Transcript:
    """Parse a kremlin.ru event page into labelled utterances, parts and page metadata."""
    if not _MARKUP_RE.search(text[:20_000]):
        raise TranscriptFormatError(source, "not HTML: no <html>, <body> or <article> markup")
    tree = LexborHTMLParser(text)
    article = tree.css_first("article.read__in")
    body = article.css_first(".entry-content") if article is not None else None
    if article is None or body is None:
        if "</html>" not in text[-2000:].lower():
            raise TranscriptFormatError(
                source,
                f"truncated HTML: the page stops after {len(text)} characters, before the "
                'transcript (<article class="read__in"> with its entry-content block)',
            )
        raise TranscriptFormatError(
            source,
            'not a kremlin.ru event page: no <article class="read__in"> with an '
            "entry-content block holding the transcript",
        )
    if article.css_first(".read__bottommeta") is None and "</html>" not in text[-2000:].lower():
        raise TranscriptFormatError(
            source,
            f"truncated HTML: the page stops after {len(text)} characters, inside the transcript",
        )

    paragraphs = [p for p in (_paragraph(n) for n in _paragraph_nodes(body)) if p is not None]
    labels = {p.label for p in paragraphs if p.label}
    turns: list[Turn] = []
    speaker: str | None = None  # None until the first label: what comes before is narration
    part = 0
    part_used = False
    for para in paragraphs:
        if para.kind == "separator":
            if part_used:
                part += 1
                part_used = False
            continue
        part_used = True
        if para.kind == "note":
            # Editorial notes and headings are nobody's words: "(The Minister went on to ...)".
            turns.append(Turn(None, para.text, part=part))
            continue
        label, words = para.label, para.text
        if label is None and para.plain_label in labels:
            # The same label without bold, e.g. one "Question:" the editors left plain.
            label, words = para.plain_label, para.text.split(":", 1)[1].strip()
        elif label is None and para.bold_lead:
            lead = para.bold_lead.rstrip(". ")
            rest = para.after_lead.lstrip(" .")
            if lead in labels or rest.startswith("("):
                # "<b>Megyn Kelly</b> I do.", "<b>REPLY</b> (without a microphone)."
                label, words = lead, rest
        if label is not None:
            speaker = label  # a label whose words are in the next paragraph still applies
        if words:
            turns.append(Turn(speaker, words, part=part))

    title = _text_of(article.css_first("h1")) or transcript_id
    time_node = article.css_first("time.read__published") or article.css_first("time")
    date_attr = str(time_node.attributes.get("datetime") or "") if time_node is not None else ""
    date = date_attr[:10] if _DATE_RE.match(date_attr) else None
    clock = _text_of(article.css_first(".read__time"))
    place = _text_of(article.css_first(".read__place")) or None
    return make_transcript(
        turns,
        source=source,
        transcript_id=transcript_id,
        title=title,
        format=FORMAT,
        date=date,
        time=clock.zfill(5) if _TIME_RE.fullmatch(clock) else None,
        place=place,
        lead=_text_of(article.css_first(".read__lead")) or None,
        metadata=_metadata(tree, article),
    )
