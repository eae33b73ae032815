"""Answers to take away: an answer as Markdown with its numbered sources ("Copy with sources",
`tqa ask --format markdown`), and a whole conversation as Markdown or JSON.

Pure functions over answers and the links of their citations (see `citation_links`). Transcript
text is data: what could act as Markdown in a speaker's name or a title is escaped, and the
answer's own `[n]` markers are kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

from qa.clock import clock
from qa.models import Answer, Citation
from qa.retrieve.times import describe_time_range
from qa.serialize import answer_json
from qa.store.media import MediaSource, link_at

# Characters CommonMark gives a meaning to inside a line.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~!])")
_MARKER = re.compile(r"\[(\d{1,3})\]")

LinkFor = Callable[[Citation], str | None]


def md_escape(text: str) -> str:
    """Text that reads the same rendered as Markdown (its specials backslash-escaped)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _escape_answer(text: str) -> str:
    """The answer's text escaped, its `[n]` citation markers kept as they are."""
    out: list[str] = []
    last = 0
    for m in _MARKER.finditer(text):
        out.append(_MD_SPECIAL.sub(r"\\\1", text[last : m.start()]))
        out.append(m.group(0))
        last = m.end()
    out.append(_MD_SPECIAL.sub(r"\\\1", text[last:]))
    return re.sub(r"[ \t]+", " ", "".join(out)).strip()


def citation_links(
    answer: Answer,
    sources: Mapping[str, MediaSource],
    file_url: Callable[[MediaSource], str] = lambda s: s.location,
) -> dict[int, str]:
    """Citation number -> a link to the moment it was said, for the citations with a recording
    or a source page (file_url: where a library file can be reached by the reader)."""
    links: dict[int, str] = {}
    for c in answer.citations:
        source = sources.get(c.transcript_id)
        if source is not None:
            links[c.n] = link_at(
                source, c.start_s, file_url(source) if source.kind == "file" else ""
            )
    return links


def _link_label(url: str, start_s: float | None) -> str:
    when = clock(start_s)
    if "youtube.com/" in url:
        what = "YouTube"
    elif url.startswith(("http://", "https://")) and "#t=" not in url:
        return "source page"
    else:
        what = "recording"
    return f"{what} at {when}" if when else what


def source_line(c: Citation, link: str | None = None) -> str:
    """`[1] Speaker — *Title*, 2021-06-30, 12:07 · `ref` · [YouTube at 12:07](url)`."""
    bits = [f"[{c.n}] {md_escape(c.speaker or 'Narration')} — *{md_escape(c.title)}*"]
    if c.date:
        bits[0] += f", {c.date}"
    when = clock(c.start_s)
    if when:
        bits[0] += f", {when}"
    bits.append(f"`{c.ref.replace('`', '')}`")
    if link:
        bits.append(f"[{_link_label(link, c.start_s)}](<{link.replace('>', '%3E')}>)")
    return " · ".join(bits)


def answer_markdown(answer: Answer, links: Mapping[int, str] | None = None) -> str:
    """The answer as Markdown: its text with `[n]` markers, a note of any time range it was
    limited to, then `Sources:` with one line per citation."""
    links = links or {}
    parts = [_escape_answer(answer.text)]
    limited = describe_time_range(answer.filters.from_s, answer.filters.to_s)
    if limited:
        parts.append(f"*Limited to {limited} of the recordings.*")
    if answer.citations:
        lines = [source_line(c, links.get(c.n)) for c in answer.citations]
        # Two trailing spaces: one source a line, in one paragraph.
        parts.append("Sources:\n\n" + "  \n".join(lines))
    return "\n\n".join(parts) + "\n"


def conversation_markdown(
    answers: Sequence[Answer], links: Sequence[Mapping[int, str]] | None = None
) -> str:
    """A conversation as Markdown: each question as a heading, then its answer with sources."""
    out = ["# Conversation\n"]
    for i, answer in enumerate(answers):
        out.append(f"## {md_escape(answer.question)}\n")
        out.append(answer_markdown(answer, links[i] if links and i < len(links) else None))
    return "\n".join(out)


def conversation_json(
    answers: Sequence[Answer], links: Sequence[Mapping[int, str]] | None = None
) -> dict[str, object]:
    """A conversation as JSON: `{"turns": [<tqa ask --json object> + "links"]}`."""
    turns = []
    for i, answer in enumerate(answers):
        turn = answer_json(answer)
        chosen = links[i] if links and i < len(links) else {}
        turn["links"] = {str(n): url for n, url in chosen.items()}
        turns.append(turn)
    return {"turns": turns}
