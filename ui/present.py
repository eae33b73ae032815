"""HTML for the UI: answers, source cards, quote look-ups, the library and speaker tables.

Pure functions, no gradio. Everything that comes from a transcript (text, speaker names, titles,
ids) or from a user is data: it is HTML-escaped, and the characters Markdown or autolinking act
on are written as numeric entities, so the same string is inert as HTML and as Markdown.
(What users type is checked in ui/filters.py and ui/uploads.py; the examples are ui/examples.py.)
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence

from qa.answer.lookup import QuoteMatch
from qa.ingest.pipeline import FileResult
from qa.ingest.speaker_names import SpeakerSummary
from qa.models import Answer, Citation, Filters, Passage, Utterance
from qa.store.library import TranscriptInfo

# Characters HTML, Markdown, GFM autolinks or KaTeX give a meaning to.
_SPECIAL = "&<>\"'`\\*_{}[]()#+-.!|~$:@=^%"
_ENTITIES = {ord(ch): f"&#{ord(ch)};" for ch in _SPECIAL}
_MARKER = re.compile(r"\[(\d{1,3})\]")
CONTEXT_WORDS = 45  # neighbouring utterances are cut to this many words
PASSAGES_SHOWN = 4

UtteranceFetch = Callable[[str, int, int], list[Utterance]]


# ------------------------------------------------------------------------------- escaping


def esc(text: object) -> str:
    """Text as inert HTML and Markdown: escaped, newlines as <br>."""
    return str(text).translate(_ENTITIES).replace("\r\n", "\n").replace("\n", "<br>")


def format_time(seconds: float | None) -> str:
    """`1:02:03` or `2:03` for a start time; empty when unknown."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return ""
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def shorten(text: str, max_words: int) -> str:
    """The first max_words words of text, with an ellipsis when cut."""
    words = text.split()
    if len(words) <= max_words:
        return text
    return " ".join(words[:max_words]) + " …"


# --------------------------------------------------------------------------------- answers


def answer_html(answer: Answer, turn: int, titles: Mapping[str, str] | None = None) -> str:
    """The chat message of an answer: escaped text, [n] as links to the source cards, and
    under it what was searched (standalone question and filters) and any notices."""
    numbers = {c.n for c in answer.citations}
    parts: list[str] = []
    last = 0
    for match in _MARKER.finditer(answer.text):
        n = int(match.group(1))
        if n not in numbers:
            continue
        parts.append(esc(answer.text[last : match.start()]))
        parts.append(
            f'<a class="cite" href="#{source_id(turn, n)}" title="Show source {n}">[{n}]</a>'
        )
        last = match.end()
    parts.append(esc(answer.text[last:]))
    html = f'<div class="answer">{"".join(parts)}</div>'
    if answer.abstained and answer.passages:
        html += '<div class="hint">The closest passages are shown under Sources.</div>'
    searched = searched_line(answer, titles or {})
    if searched:
        html += f'<div class="searched">{searched}</div>'
    for notice in answer.notices:
        html += f'<div class="notice">{esc(notice)}</div>'
    return html


def partial_html(text: str) -> str:
    """A partly written answer while it streams."""
    return f'<div class="answer">{esc(text)}</div>'


def message_html(text: str, kind: str = "notice") -> str:
    """A one-line message in the chat (an error, or a status)."""
    return f'<div class="{kind}">{esc(text)}</div>'


def searched_line(answer: Answer, titles: Mapping[str, str]) -> str:
    """`Searched: <standalone question> · speaker: X` when a follow-up was rewritten or filters
    applied; empty otherwise."""
    bits = filter_bits(answer.filters, titles)
    rewritten = answer.standalone_question.strip() != answer.question.strip()
    if not rewritten and not bits:
        return ""
    return "Searched: " + " · ".join([esc(answer.standalone_question), *bits])


def filter_bits(filters: Filters, titles: Mapping[str, str]) -> list[str]:
    bits: list[str] = []
    if filters.speakers:
        label = "speaker" if len(filters.speakers) == 1 else "speakers"
        bits.append(f"{label}: {esc(', '.join(filters.speakers))}")
    if filters.transcripts:
        names = [titles.get(t, t) for t in filters.transcripts]
        label = "transcript" if len(names) == 1 else "transcripts"
        bits.append(f"{label}: {esc('; '.join(names))}")
    if filters.since and filters.until:
        bits.append(f"dates: {esc(filters.since)} to {esc(filters.until)}")
    elif filters.since:
        bits.append(f"since {esc(filters.since)}")
    elif filters.until:
        bits.append(f"until {esc(filters.until)}")
    return bits


def filters_summary(filters: Filters, titles: Mapping[str, str]) -> str:
    """What the next question will be limited to, for the filter panel."""
    bits = filter_bits(filters, titles)
    if not bits:
        return '<div class="muted">No filters: questions search the whole library.</div>'
    return f'<div class="muted">Next question limited to {" · ".join(bits)}</div>'


# ------------------------------------------------------------------------------- source cards


def source_id(turn: int, n: int) -> str:
    return f"src-{turn}-{n}"


def highlight(text: str, quote: str) -> tuple[str, bool]:
    """text escaped with the quote inside <mark>; (html, whether the quote was found)."""
    quote = quote.strip()
    start = text.find(quote) if quote else -1
    end = start + len(quote)
    if start < 0 and quote:
        # Same words, different spacing or case.
        words = [re.escape(w) for w in quote.split()]
        found = re.search(r"\s+".join(words), text, re.I) if words else None
        if found:
            start, end = found.span()
    if start < 0:
        return esc(text), False
    return (
        f"{esc(text[:start])}<mark>{esc(text[start:end])}</mark>{esc(text[end:])}",
        True,
    )


def _speaker_label(u: Utterance) -> str:
    name = u.canonical_speaker or u.speaker
    return f'<span class="who">{esc(name)}:</span> ' if name else ""


def _meta_line(title: str, date: str | None, ref: str, start_s: float | None = None) -> str:
    bits = [f'<span class="title">{esc(title)}</span>']
    if date:
        bits.append(esc(date))
    bits.append(f'<code class="ref">{esc(ref)}</code>')
    when = format_time(start_s)
    if when:
        bits.append(f"at {esc(when)}")
    return '<div class="meta">' + " · ".join(bits) + "</div>"


def citation_card(turn: int, citation: Citation, context: Sequence[Utterance]) -> str:
    """A source card: speaker, transcript, date, reference, time, and the quote highlighted
    inside its neighbouring utterances."""
    rows: list[str] = []
    found_any = False
    for u in context:
        cited = citation.utterance_start <= u.index <= citation.utterance_end
        if cited:
            body, found = highlight(u.text, citation.quote)
            found_any = found_any or found
        else:
            body = esc(shorten(u.text, CONTEXT_WORDS))
        rows.append(f'<p class="utt{" cited" if cited else ""}">{_speaker_label(u)}{body}</p>')
    quote = "" if found_any else f"<blockquote><mark>{esc(citation.quote)}</mark></blockquote>"
    speaker = esc(citation.speaker) if citation.speaker else "Narration"
    return (
        f'<article class="src-card" id="{source_id(turn, citation.n)}">'
        f'<header><span class="src-n">{citation.n}</span>'
        f'<span class="speaker">{speaker}</span></header>'
        f"{_meta_line(citation.title, citation.date, citation.ref, citation.start_s)}"
        f'{quote}<div class="context">{"".join(rows)}</div></article>'
    )


def passage_card(turn: int, rank: int, passage: Passage, utterances: Sequence[Utterance]) -> str:
    """A card for a retrieved passage (shown when the assistant abstains)."""
    ref = (
        f"{passage.transcript_id}#u{passage.utterance_start}"
        if passage.utterance_start == passage.utterance_end
        else f"{passage.transcript_id}#u{passage.utterance_start}-{passage.utterance_end}"
    )
    rows = [
        f'<p class="utt">{_speaker_label(u)}{esc(shorten(u.text, CONTEXT_WORDS))}</p>'
        for u in utterances[:4]
    ]
    if len(utterances) > 4:
        rows.append(f'<p class="muted">… {len(utterances) - 4} more utterances</p>')
    speakers = esc(", ".join(passage.speakers)) if passage.speakers else "Narration"
    start = utterances[0].start_s if utterances else None
    return (
        f'<article class="src-card passage" id="psg-{turn}-{rank}">'
        f'<header><span class="src-n">{rank}</span><span class="speaker">{speakers}</span>'
        f"</header>{_meta_line(passage.title, passage.date, ref, start)}"
        f'<div class="context">{"".join(rows)}</div></article>'
    )


def sources_section(answer: Answer, turn: int, fetch: UtteranceFetch, around: int = 2) -> str:
    """The Sources panel's section for one answer: a card per citation, or for an abstention
    the closest passages."""
    if answer.citations:
        cards = [
            citation_card(
                turn,
                c,
                fetch(
                    c.transcript_id, max(0, c.utterance_start - around), c.utterance_end + around
                ),
            )
            for c in answer.citations
        ]
        heading = f"{len(cards)} source{'s' if len(cards) != 1 else ''}"
    elif answer.passages:
        shown = answer.passages[:PASSAGES_SHOWN]
        cards = [
            passage_card(turn, rank, p, fetch(p.transcript_id, p.utterance_start, p.utterance_end))
            for rank, p in enumerate(shown, 1)
        ]
        heading = "No answer found · closest passages"
    else:
        cards = ['<p class="muted">Nothing in the library matched this question.</p>']
        heading = "No sources"
    return (
        f'<details class="turn" id="turn-{turn}" open><summary>'
        f'<span class="q">{esc(answer.question)}</span>'
        f'<span class="count">{heading}</span></summary>{"".join(cards)}</details>'
    )


def sources_panel(sections: Sequence[str]) -> str:
    """All answers' sections, newest first, only the newest one open."""
    if not sections:
        return (
            '<div class="sources-empty"><p><b>Sources</b></p><p class="muted">Every claim in an '
            "answer is numbered. The words it rests on appear here, with the speaker, the "
            "transcript and the utterances around them.</p></div>"
        )
    ordered = list(reversed(sections))
    closed = [
        s.replace('class="turn" ', 'class="turn older" ', 1).replace(" open>", ">", 1)
        for s in ordered[1:]
    ]
    return '<div class="sources">' + ordered[0] + "".join(closed) + "</div>"


# ------------------------------------------------------------------------------ who said it


def lookup_html(query: str, matches: Sequence[QuoteMatch]) -> str:
    """Cards for the utterances that say a quote, each inside its context."""
    if not query.strip():
        return '<p class="muted">Paste a quote, or a reference like <code>17108#u12</code>.</p>'
    if not matches:
        return (
            f'<p class="muted">No utterance in the library says “{esc(shorten(query, 30))}”. '
            "Try fewer words, or words that are less common.</p>"
        )
    cards = []
    for rank, m in enumerate(matches, 1):
        u = m.utterance
        rows = []
        for c in m.context:
            if c.index == u.index:
                body, _ = highlight(c.text, m.matched_text)
                rows.append(f'<p class="utt cited">{_speaker_label(c)}{body}</p>')
            else:
                rows.append(
                    f'<p class="utt">{_speaker_label(c)}{esc(shorten(c.text, CONTEXT_WORDS))}</p>'
                )
        exact = "exact words" if m.similarity >= 0.999 else f"{m.similarity:.0%} match"
        speaker = esc(u.canonical_speaker or u.speaker or "Narration")
        cards.append(
            f'<article class="src-card" id="match-{rank}"><header>'
            f'<span class="src-n">{rank}</span><span class="speaker">{speaker}</span>'
            f'<span class="badge">{exact}</span></header>'
            f"{_meta_line(m.title, m.date, m.ref, u.start_s)}"
            f'<div class="context">{"".join(rows)}</div></article>'
        )
    return '<div class="sources">' + "".join(cards) + "</div>"


# ---------------------------------------------------------------------------------- library


def library_table(transcripts: Sequence[TranscriptInfo]) -> str:
    """The transcripts as an HTML table: title and id, date, utterances, speakers."""
    if not transcripts:
        return (
            '<p class="muted">The library is empty. Add transcripts (kremlin.ru pages, '
            "speaker-labelled text, SRT/VTT subtitles, Whisper or QMSum JSON) here.</p>"
        )
    body = []
    for t in transcripts:
        shown = ", ".join(t.speakers[:4])
        more = f" +{len(t.speakers) - 4} more" if len(t.speakers) > 4 else ""
        body.append(
            f'<tr><td><div class="title">{esc(t.title)}</div>'
            f'<code class="ref">{esc(t.id)}</code></td>'
            f'<td class="date">{esc(t.date or "—")}</td><td class="num">{t.utterance_count}</td>'
            f"<td>{esc(shown)}{esc(more)}</td></tr>"
        )
    return (
        '<table class="lib-table"><thead><tr><th>Transcript</th><th>Date</th>'
        "<th>Utterances</th><th>Speakers</th></tr></thead><tbody>"
        + "".join(body)
        + "</tbody></table>"
    )


def speakers_table(transcript_id: str, speakers: Sequence[SpeakerSummary]) -> str:
    """A transcript's speakers as an HTML table: name (and the labels written in the file when
    they differ), utterances, and a line of theirs with its reference."""
    if not speakers:
        return '<p class="muted">No named speakers: every utterance is narration.</p>'
    body = []
    for s in speakers:
        written = [label for label in s.labels if label != s.name]
        also = f'<div class="muted">written {esc(", ".join(written))}</div>' if written else ""
        body.append(
            f'<tr><td><div class="title">{esc(s.name)}</div>{also}</td>'
            f'<td class="num">{s.utterances}</td>'
            f"<td>{esc(s.sample)} "
            f'<code class="ref">{esc(f"{transcript_id}#u{s.sample_index}")}</code></td></tr>'
        )
    return (
        '<table class="lib-table speakers"><thead><tr><th>Speaker</th><th>Utterances</th>'
        "<th>For example</th></tr></thead><tbody>" + "".join(body) + "</tbody></table>"
    )


def ingest_html(results: Sequence[tuple[str, FileResult]]) -> str:
    """Per-file outcome of an upload: (the name the user gave the file, what ingest did)."""
    if not results:
        return ""
    items = []
    for name, r in results:
        status, tid, utterances, error = r.status, r.transcript_id, r.utterances, r.error
        if status == "failed":
            detail = esc(error or "failed")
        elif status == "skipped":
            detail = f"already in the library as <code>{esc(tid)}</code>, unchanged"
        else:
            plural = "" if utterances == 1 else "s"
            detail = f"<code>{esc(tid)}</code> · {utterances} utterance{plural}"
        items.append(
            f'<li class="{esc(status)}"><span class="status">{esc(status)}</span> '
            f"<b>{esc(name)}</b> {detail}</li>"
        )
    return '<ul class="ingest">' + "".join(items) + "</ul>"


def library_stats(transcripts: int, speakers: int, first: str | None, last: str | None) -> str:
    """`4 transcripts · 31 speakers · 2012-12-10 to 2021-06-30`."""
    bits = [f"{transcripts} transcript{'s' if transcripts != 1 else ''}"]
    bits.append(f"{speakers} speaker{'s' if speakers != 1 else ''}")
    if first and last:
        bits.append(f"{esc(first)} to {esc(last)}" if first != last else esc(first))
    return " · ".join(bits)
