"""HTML for the UI: answers, source cards, quote look-ups, the library and speaker tables.

Pure functions, no gradio. Everything that comes from a transcript (text, speaker names, titles,
ids) or from a user is data: it is HTML-escaped, and the characters Markdown or autolinking act
on are written as numeric entities, so the same string is inert as HTML and as Markdown.
(What users type is checked in ui/filters.py and ui/uploads.py; the examples are ui/examples.py.)
"""

from __future__ import annotations

import html
import math
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from qa.answer.lookup import QuoteMatch
from qa.clock import clock
from qa.ingest.pipeline import FileResult
from qa.ingest.speaker_names import SpeakerSummary, unused_names_message
from qa.models import Answer, Citation, Filters, Passage, Transcript, Utterance
from qa.retrieve.times import describe_time_range
from qa.store.library import TranscriptInfo
from qa.store.media import MediaSource, link_at

# Characters HTML, Markdown, GFM autolinks or KaTeX give a meaning to.
_SPECIAL = "&<>\"'`\\*_{}[]()#+-.!|~$:@=^%"
_ENTITIES = {ord(ch): f"&#{ord(ch)};" for ch in _SPECIAL}
_MARKER = re.compile(r"\[(\d{1,3})\]")
CONTEXT_WORDS = 45  # neighbouring utterances are cut to this many words
PASSAGES_SHOWN = 4

UtteranceFetch = Callable[[str, int, int], list[Utterance]]
# The reader renders this many utterances at a time (a 10,000-utterance hearing stays fast), from
# a few before the one it opens at.
READER_WINDOW = 150
READER_BEFORE = 30
SEARCH_HITS_SHOWN = 50


@dataclass(frozen=True)
class MediaView:
    """A transcript's recording as the UI offers it: a library file served at src, or a link."""

    source: MediaSource
    src: str = ""  # where the server serves a library file

    def link(self, start_s: float | None) -> str:
        return link_at(self.source, start_s, self.src)


# ------------------------------------------------------------------------------- escaping


def esc(text: object) -> str:
    """Text as inert HTML and Markdown: escaped, newlines as <br>."""
    return str(text).translate(_ENTITIES).replace("\r\n", "\n").replace("\n", "<br>")


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
    starts = {c.n: c.start_s for c in answer.citations}
    parts: list[str] = []
    last = 0
    for match in _MARKER.finditer(answer.text):
        n = int(match.group(1))
        if n not in numbers:
            continue
        parts.append(esc(answer.text[last : match.start()]))
        when = clock(starts.get(n))
        shown = f'{n}<span class="when"> {esc(when)}</span>' if when else str(n)
        parts.append(
            f'<a class="cite" href="#{source_id(turn, n)}" title="Show source {n}">[{shown}]</a>'
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
    if (filters.since or filters.until) and filters.undated:
        bits.append("and undated transcripts")
    if filters.from_s is not None or filters.to_s is not None:
        bits.append(esc(describe_time_range(filters.from_s, filters.to_s)))
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
    when = clock(start_s)
    if when:
        bits.append(f"at {esc(when)}")
    return '<div class="meta">' + " · ".join(bits) + "</div>"


def media_html(media: MediaView | None, start_s: float | None, element_id: str) -> str:
    """The recording of a source: an embedded player for a library file (cued to start_s by
    ui/static/head.js when played), or a link to the moment on YouTube or the source page."""
    if media is None:
        return ""
    when = clock(start_s)
    start = "" if start_s is None else f"{max(start_s, 0.0):.3f}"
    if media.source.kind == "file":
        tag = "video" if media.source.is_video else "audio"
        play = (
            f'<a class="play-at" href="#{element_id}" data-start="{start}">▶ Play from {when}</a>'
            if when
            else ""
        )
        return (
            f'<div class="player">{play}<{tag} id="{element_id}" class="media" controls '
            f'preload="metadata" src="{html.escape(media.src)}" data-start="{start}">'
            f"</{tag}></div>"
        )
    label = "YouTube" if media.source.kind == "youtube" else "the source page"
    at = f" at {esc(when)}" if when and media.source.kind == "youtube" else ""
    return (
        f'<div class="player"><a class="media-link" href="{html.escape(media.link(start_s))}" '
        f'target="_blank" rel="noopener noreferrer">▶ Open on {label}{at}</a></div>'
    )


def reader_link(
    transcript_id: str,
    start: int,
    end: int | None = None,
    label: str = "",
    start_s: float | None = None,
) -> str:
    """A link that opens the transcript reader at utterances start..end (head.js sends it),
    its recording cued to start_s when given (a cited sentence inside a long utterance)."""
    cue = f' data-t="{start_s:.3f}"' if start_s is not None and math.isfinite(start_s) else ""
    return (
        f'<a class="open-reader" href="#reader" data-tid="{html.escape(transcript_id)}" '
        f'data-u="{start}" data-end="{start if end is None else end}"{cue}>'
        f"{esc(label) if label else 'Read the transcript'}</a>"
    )


def citation_card(
    turn: int,
    citation: Citation,
    context: Sequence[Utterance],
    media: MediaView | None = None,
) -> str:
    """A source card: speaker, transcript, date, reference, time, and the quote highlighted
    inside its neighbouring utterances; the recording (player or link) when there is one."""
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
    read = reader_link(
        citation.transcript_id,
        citation.utterance_start,
        citation.utterance_end,
        start_s=citation.start_s,
    )
    return (
        f'<article class="src-card" id="{source_id(turn, citation.n)}">'
        f'<header><span class="src-n">{citation.n}</span>'
        f'<span class="speaker">{speaker}</span></header>'
        f"{_meta_line(citation.title, citation.date, citation.ref, citation.start_s)}"
        f"{media_html(media, citation.start_s, f'player-{turn}-{citation.n}')}"
        f'{quote}<div class="context">{"".join(rows)}</div>'
        f"<footer>{read}</footer></article>"
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


def sources_section(
    answer: Answer,
    turn: int,
    fetch: UtteranceFetch,
    around: int = 2,
    media: Mapping[str, MediaView] | None = None,
    markdown: str = "",
) -> str:
    """The Sources panel's section for one answer: a card per citation, or for an abstention
    the closest passages; markdown: the answer with its sources, for "Copy with sources" (kept
    percent-encoded in an attribute: no transcript text in it can act as markup)."""
    media = media or {}
    if answer.citations:
        cards = [
            citation_card(
                turn,
                c,
                fetch(
                    c.transcript_id, max(0, c.utterance_start - around), c.utterance_end + around
                ),
                media.get(c.transcript_id),
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
    copy = (
        f'<div class="take-away"><button type="button" class="copy-md" '
        f'data-md="{quote(markdown, safe="")}">Copy with sources</button></div>'
        if markdown and answer.citations
        else ""
    )
    return (
        f'<details class="turn" id="turn-{turn}" open><summary>'
        f'<span class="q">{esc(answer.question)}</span>'
        f'<span class="count">{heading}</span></summary>{copy}{"".join(cards)}</details>'
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
            f'<code class="ref">{esc(t.id)}</code> · {reader_link(t.id, 0, -1, label="Read")}</td>'
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
            if r.unused_speaker_names:
                note = unused_names_message(str(tid), r.unused_speaker_names)
                detail += f'<div class="note">{esc(note)}</div>'
        items.append(
            f'<li class="{esc(status)}"><span class="status">{esc(status)}</span> '
            f"<b>{esc(name)}</b> {detail}</li>"
        )
    return '<ul class="ingest">' + "".join(items) + "</ul>"


def recordings_html(outcome: Sequence[tuple[str, str | None, str | None]]) -> str:
    """Uploaded recordings: (file name, the transcript it went to, why it was refused)."""
    items = []
    for name, tid, error in outcome:
        if error:
            items.append(
                f'<li class="failed"><span class="status">failed</span> <b>{esc(name)}</b> '
                f"{esc(error)}</li>"
            )
        else:
            items.append(
                f'<li class="added"><span class="status">recording</span> <b>{esc(name)}</b> '
                f"plays with <code>{esc(tid)}</code></li>"
            )
    return '<ul class="ingest recordings">' + "".join(items) + "</ul>" if items else ""


def library_stats(transcripts: int, speakers: int, first: str | None, last: str | None) -> str:
    """`4 transcripts · 31 speakers · 2012-12-10 to 2021-06-30`."""
    bits = [f"{transcripts} transcript{'s' if transcripts != 1 else ''}"]
    bits.append(f"{speakers} speaker{'s' if speakers != 1 else ''}")
    if first and last:
        bits.append(f"{esc(first)} to {esc(last)}" if first != last else esc(first))
    return " · ".join(bits)


# ---------------------------------------------------------------------------------- reader


def speaker_counts(utterances: Sequence[Utterance]) -> list[tuple[str, int]]:
    """Speakers of a transcript with their utterance counts, most first (narration apart)."""
    counts = Counter(u.canonical_speaker or u.speaker or "" for u in utterances)
    narration = counts.pop("", 0)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [*ranked, ("Narration", narration)] if narration else ranked


def search_transcript(utterances: Sequence[Utterance], query: str) -> list[int]:
    """Indices of the utterances that contain the query (case and spacing ignored)."""
    words = query.split()
    if not words:
        return []
    pattern = re.compile(r"\s+".join(re.escape(w) for w in words), re.I)
    return [u.index for u in utterances if pattern.search(u.text)]


def reader_window(total: int, at: int) -> tuple[int, int]:
    """The utterances (start, end exclusive) the reader renders to show utterance `at`."""
    start = max(0, min(at - READER_BEFORE, total - READER_WINDOW))
    return start, min(total, start + READER_WINDOW)


def _marked(text: str, query: str) -> str:
    words = query.split()
    if not words:
        return esc(text)
    pattern = re.compile(r"\s+".join(re.escape(w) for w in words), re.I)
    out: list[str] = []
    last = 0
    for m in pattern.finditer(text):
        out.append(f"{esc(text[last : m.start()])}<mark>{esc(m.group(0))}</mark>")
        last = m.end()
    out.append(esc(text[last:]))
    return "".join(out)


def reader_html(
    transcript: Transcript,
    at: int,
    end: int | None = None,
    query: str = "",
    media: MediaView | None = None,
    start_s: float | None = None,
) -> str:
    """The whole-transcript reader: header and recording, the speakers with their counts, the
    search hits, and a window of turns around utterance `at` (utterances at..end highlighted,
    the first of them marked as the target to scroll to). The recording is cued to start_s
    when given (the cited sentence's own time), else to utterance `at`."""
    utterances = transcript.utterances
    total = len(utterances)
    at = max(0, min(at, total - 1)) if total else 0
    # end < at (the Library's "Read", paging): nothing is highlighted, `at` is only scrolled to.
    end = at if end is None else min(end, total - 1)
    start, stop = reader_window(total, at)
    tid = transcript.id
    meta = [esc(b) for b in (transcript.date, transcript.time, transcript.place) if b]
    meta.append(f'<code class="ref">{esc(tid)}</code>')
    meta.append(f"{total} utterance{'s' if total != 1 else ''}")
    first_start = next((u.start_s for u in utterances if u.start_s is not None), None)
    cue_s = start_s if start_s is not None else utterances[at].start_s if total else first_start
    head = (
        f'<header class="reader-head"><h2>{esc(transcript.title)}</h2>'
        f'<div class="meta">{" · ".join(meta)}</div>'
        f"{media_html(media, cue_s, 'reader-player')}"
        "</header>"
    )
    speakers = "".join(
        f'<li><span class="name">{esc(name)}</span> <span class="n">{count}</span></li>'
        for name, count in speaker_counts(utterances)
    )
    side = f'<div class="reader-speakers"><b>Speakers</b><ul>{speakers}</ul></div>'
    hits_html = ""
    if query.strip():
        hits = search_transcript(utterances, query)
        items = [
            f"<li>{reader_link(tid, i, label=f'#u{i}')} {esc(shorten(utterances[i].text, 14))}</li>"
            for i in hits[:SEARCH_HITS_SHOWN]
        ]
        more = (
            f'<li class="muted">… {len(hits) - SEARCH_HITS_SHOWN} more</li>'
            if len(hits) > SEARCH_HITS_SHOWN
            else ""
        )
        found = f"{len(hits)} utterance{'s' if len(hits) != 1 else ''} with “{esc(query)}”"
        hits_html = f'<div class="reader-hits"><b>{found}</b><ol>{"".join(items)}{more}</ol></div>'
    nav: list[str] = [f"utterances {start}–{max(start, stop - 1)} of {total}"]
    if start > 0:
        back = max(0, start - READER_WINDOW + READER_BEFORE)
        nav.insert(0, reader_link(tid, back, -1, label="◀ Earlier"))
    if stop < total:
        nav.append(reader_link(tid, stop + READER_BEFORE, -1, label="Later ▶"))
    rows: list[str] = []
    previous: str | None = None
    for u in utterances[start:stop]:
        who = u.canonical_speaker or u.speaker or ""
        classes = ["r-utt"]
        if at <= u.index <= end:
            classes.append("cited")
        if u.index == at:
            classes.append("target")
        label = ""
        if who != previous or u.index == start:
            label = f'<div class="r-who">{esc(who) if who else "<i>Narration</i>"}</div>'
        previous = who
        when = clock(u.start_s)
        stamp = f'<span class="t">{when}</span>' if when else ""
        if when and media is not None and media.source.kind == "file":
            stamp = (
                f'<a class="play-at" href="#reader-player" data-start="{u.start_s:.3f}">{when}</a>'
            )
        elif when and media is not None and media.source.kind == "youtube":
            stamp = (
                f'<a href="{html.escape(media.link(u.start_s))}" target="_blank" '
                f'rel="noopener noreferrer">{when}</a>'
            )
        rows.append(
            f'{label}<div class="{" ".join(classes)}" id="ru-{u.index}" data-u="{u.index}">'
            f'<span class="r-ref">{stamp}<code>#u{u.index}</code></span>'
            f"<p>{_marked(u.text, query)}</p></div>"
        )
    return (
        f'<div class="reader" data-tid="{html.escape(tid)}" data-at="{at}">{head}'
        f'<div class="reader-cols"><aside>{side}{hits_html}</aside><div class="reader-main">'
        f'<nav class="reader-nav">{" · ".join(nav)}</nav>'
        f'<div class="reader-turns">{"".join(rows)}</div>'
        f'<nav class="reader-nav">{" · ".join(nav)}</nav></div></div></div>'
    )


def reader_empty() -> str:
    return (
        '<p class="muted">Open a transcript here from a source card (<i>Read the transcript</i>) '
        "or from the Library tab (<i>Read</i>).</p>"
    )
