"""What the UI's events call: plain methods over one assistant, testable without a browser.

Every view reads the library under the process's read lock; ingest and removal take the write
lock. The HTML comes from ui/present.py, the checks of what users type from ui/filters.py and
ui/uploads.py.
"""

from __future__ import annotations

import json
import logging
import math
import tempfile
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import gradio as gr

from embeddings.arrays import atomic_file
from qa.answer.assistant import Assistant, Conversation
from qa.answer.lookup import lookup
from qa.errors import InputError, TranscriptQAError
from qa.export import answer_markdown, citation_links, conversation_json, conversation_markdown
from qa.ingest.pipeline import FileResult, ingest, rename_speakers
from qa.ingest.speaker_names import clean_name, speaker_summaries
from qa.models import Answer, Filters
from qa.serialize import answer_json, quote_match_json
from qa.settings import Settings
from qa.store.library import Library
from qa.store.media import MEDIA_EXTENSIONS, MediaSource, MediaStore
from ui import present
from ui.examples import example_questions
from ui.filters import make_filters
from ui.locks import ReadWriteLock
from ui.uploads import UPLOADS, delete_uploaded, file_path, save_uploads, upload_stem

log = logging.getLogger("tqa.app")

TITLE = "Transcript QA"
TAGLINE = (
    "Ask questions of your transcripts. Every claim in an answer is cited to the exact words, "
    "speaker and transcript."
)
UNEXPECTED = "Something went wrong on the server; the details are in its log."
EMPTY_LIBRARY = "The library is empty: add transcripts in the Library tab first."
# Gradio's file route: it serves only the folders given to launch() as allowed_paths (the
# library's media folder, see ui/server.py), with HTTP ranges, so a player can seek.
FILE_ROUTE = "/gradio_api/file="


@dataclass
class ChatSession:
    """One browser session's chat: the turns follow-ups lean on, and the rendered sources."""

    conversation: Conversation = field(default_factory=Conversation)
    sections: list[str] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)  # for the conversation's export
    links: list[dict[int, str]] = field(default_factory=list)  # per answer: n -> moment link
    export_folder: str | None = None  # where its exports are rewritten (Handlers.export_files)


Message = dict[str, Any]
ProgressFn = Callable[..., object]
# What the chat handler yields: (messages, session, sources panel html, question box).
ChatStep = tuple[list[Message], ChatSession, str, str]


def chat_step(history: list[Message], session: ChatSession, box: str = "") -> ChatStep:
    """One update of the chat: a copy of the messages, the session, its sources, the box."""
    return list(history), session, present.sources_panel(session.sections), box


def _replace_text(path: Path, text: str) -> Path:
    """Write the file whole or not at all: a download never reads a half-written export."""
    with atomic_file(path) as part:
        part.write_text(text, encoding="utf-8")
    return path


def assistant_message(html: str) -> Message:
    return {"role": "assistant", "content": html}


class Handlers:
    """What the UI's events call; plain methods, so they can be tested without a browser."""

    def __init__(self, assistant: Assistant, settings: Settings) -> None:
        self.assistant = assistant
        self.library: Library = assistant.library
        self.settings = settings
        self.lock = ReadWriteLock()
        self.uploads = self.library.folder / UPLOADS
        self.media = MediaStore(self.library)
        # Set by `serve` to wake its background sentence worker: an upload is then answerable
        # as soon as its passages are embedded, and its sentence vectors follow.
        self.after_ingest: Callable[[], None] | None = None
        # The conversation is exported after every answer. Each session rewrites its two files
        # in one folder (Gradio serves copies from its cache), all under one folder removed
        # when the process ends: a folder per answer was never removed.
        self._exports = tempfile.TemporaryDirectory(prefix="tqa-export-")

    # ------------------------------------------------------------------------------ views

    def titles(self) -> dict[str, str]:
        with self.lock.read():
            return {t.id: t.title for t in self.library.transcripts()}

    def speaker_choices(self) -> list[str]:
        with self.lock.read():
            return [name for name, _ in self.library.speakers()]

    def transcript_choices(self) -> list[tuple[str, str]]:
        with self.lock.read():
            infos = self.library.transcripts()
        return [(f"{t.title} ({t.date})" if t.date else t.title, t.id) for t in infos]

    def examples(self) -> list[str]:
        with self.lock.read():
            infos = self.library.transcripts()
            speakers = self.library.speakers()
            topics: list[str] = []
            for info in infos[-5:]:
                topics += self.library.transcript(info.id).metadata.get("topics", [])
        return example_questions([t.id for t in infos], speakers, list(dict.fromkeys(topics)))

    def stats_html(self) -> str:
        with self.lock.read():
            count = len(self.library.transcripts())
            speakers = len(self.library.speakers())
            first, last = self.library.date_range()
        return present.library_stats(count, speakers, first, last)

    def header_html(self) -> str:
        return (
            f'<div class="brand"><h1>{TITLE}</h1><span class="stats">{self.stats_html()}</span>'
            f'</div><p class="tagline">{TAGLINE}</p>'
        )

    def banner_html(self) -> str:
        """A warning when the library's vectors were made with another model or chunker."""
        problem = self.library.mismatch()
        if not problem:
            return ""
        return (
            f'<div class="banner"><b>This library needs rebuilding.</b> '
            f"{present.esc(problem)}. Run <code>tqa reindex</code>; until then questions "
            "cannot be answered.</div>"
        )

    def library_html(self) -> str:
        with self.lock.read():
            return present.library_table(self.library.transcripts())

    # ------------------------------------------------------------------------------- chat

    def respond(
        self,
        message: str,
        history: list[Message] | None,
        session: ChatSession | None,
        speakers: Sequence[str] | None = None,
        transcripts: Sequence[str] | None = None,
        since: str | None = "",
        until: str | None = "",
    ) -> Iterator[ChatStep]:
        """Stream an answer into the chat: (messages, session, sources html, input box)."""
        session = session or ChatSession()
        history = list(history or [])
        question = (message or "").strip()
        if not question:
            yield chat_step(history, session)
            return
        try:
            filters = make_filters(speakers, transcripts, since, until)
        except TranscriptQAError as exc:
            gr.Warning(present.esc(exc))
            yield chat_step(history, session, message)  # the question stays in the box
            return
        history.append({"role": "user", "content": present.esc(question)})
        if not self.library.transcript_ids():
            history.append(assistant_message(present.message_html(EMPTY_LIBRARY, "hint")))
            yield chat_step(history, session)
            return
        history.append(
            assistant_message(present.message_html("Searching the transcripts…", "hint"))
        )
        yield chat_step(history, session)
        try:
            self.library.require_current()
            answer = yield from self._stream(question, session, filters, history)
        except TranscriptQAError as exc:
            gr.Warning(present.esc(exc))
            history[-1] = assistant_message(present.message_html(str(exc), "error"))
            yield chat_step(history, session)
            return
        except Exception:
            log.exception("answering %r failed", question)
            history[-1] = assistant_message(present.message_html(UNEXPECTED, "error"))
            yield chat_step(history, session)
            return
        turn = len(session.sections)
        history[-1] = assistant_message(present.answer_html(answer, turn, self.titles()))
        with self.lock.read():
            views = self.media_views([c.transcript_id for c in answer.citations])
            links = citation_links(answer, {t: v.source for t, v in views.items()}, self._src)
            section = present.sources_section(
                answer,
                turn,
                self.library.utterances,
                media=views,
                markdown=answer_markdown(answer, links),
            )
        session.conversation.add(answer)
        session.sections.append(section)
        session.answers.append(answer)
        session.links.append(links)
        yield chat_step(history, session)

    def _stream(
        self, question: str, session: ChatSession, filters: Filters, history: list[Message]
    ) -> Generator[ChatStep, None, Answer]:
        """Yield partial answers into the last message; return the final Answer."""
        events = self.assistant.stream(question, list(session.conversation.turns), filters)
        while True:
            # The lock is held only while the assistant works, never while a partial answer
            # waits to be sent, so a closed browser tab cannot keep a writer out.
            with self.lock.read():
                event = next(events, None)
            if event is None:
                raise TranscriptQAError("the assistant gave no answer")
            if event.answer is not None:
                return event.answer
            history[-1] = assistant_message(present.partial_html(event.text))
            yield chat_step(history, session)

    # --------------------------------------------------------------------------- recordings

    def _src(self, source: MediaSource) -> str:
        """Where the server serves a recording kept in the library (a path inside it only)."""
        return FILE_ROUTE + quote(str(self.media.path(source.location)))

    def media_views(self, transcript_ids: Sequence[str]) -> dict[str, present.MediaView]:
        """The recordings of the transcripts that have one, as the UI shows them."""
        views: dict[str, present.MediaView] = {}
        for tid, source in self.media.sources(list(transcript_ids)).items():
            try:
                src = self._src(source) if source.kind == "file" else ""
            except TranscriptQAError as exc:
                log.warning("recording of %s not shown: %s", tid, exc)
                continue
            views[tid] = present.MediaView(source, src)
        return views

    # ------------------------------------------------------------------------------- reader

    def open_reader(self, request: str | None) -> str:
        """The reader for a request from head.js: JSON {tid, u, end, q, t} (t: seconds to cue
        the recording to, the cited sentence's time)."""
        try:
            wanted = json.loads(request or "{}")
            tid = str(wanted["tid"])
            at = int(wanted.get("u", 0))
            end = int(wanted.get("end", at))
            query = str(wanted.get("q", ""))[:200]
            cue = wanted.get("t")
            start_s = float(cue) if cue is not None else None
        except (ValueError, KeyError, TypeError):
            return present.reader_empty()
        if start_s is not None and not (math.isfinite(start_s) and start_s >= 0):
            start_s = None
        try:
            with self.lock.read():
                transcript = self.library.transcript(tid)
                media = self.media_views([tid]).get(tid)
        except TranscriptQAError as exc:
            return present.message_html(str(exc), "error")
        return present.reader_html(transcript, at, end, query, media, start_s)

    def search_reader(self, query: str | None, request: str | None) -> tuple[str, str]:
        """Search the open transcript: (reader html, the request now carrying the query)."""
        try:
            wanted = json.loads(request or "{}")
        except ValueError:
            wanted = {}
        if not isinstance(wanted, dict) or "tid" not in wanted:
            return present.reader_empty(), request or ""
        wanted["q"] = (query or "").strip()
        updated = json.dumps(wanted)
        return self.open_reader(updated), updated

    # ------------------------------------------------------------------------------- export

    def export_files(self, session: ChatSession | None, base_url: str = "") -> tuple[str, str]:
        """The conversation as a Markdown and a JSON file to download (paths)."""
        session = session or ChatSession()
        links = [
            {n: (base_url + url if url.startswith(FILE_ROUTE) else url) for n, url in lk.items()}
            for lk in session.links
        ]
        if session.export_folder is None:
            session.export_folder = tempfile.mkdtemp(prefix="session-", dir=self._exports.name)
        folder = Path(session.export_folder)
        md = _replace_text(
            folder / "conversation.md", conversation_markdown(session.answers, links)
        )
        js = _replace_text(
            folder / "conversation.json",
            json.dumps(conversation_json(session.answers, links), ensure_ascii=False, indent=2),
        )
        return str(md), str(js)

    def clear_chat(self) -> tuple[list[Message], ChatSession, str]:
        return [], ChatSession(), present.sources_panel([])

    def filter_summary(
        self,
        speakers: Sequence[str] | None,
        transcripts: Sequence[str] | None,
        since: str | None,
        until: str | None,
    ) -> str:
        try:
            filters = make_filters(speakers, transcripts, since, until)
        except TranscriptQAError as exc:
            return present.message_html(str(exc), "error")
        return present.filters_summary(filters, self.titles())

    # --------------------------------------------------------------------------- who said it

    def who_said(self, text: str) -> str:
        try:
            with self.lock.read():
                matches = lookup(self.library, (text or "").strip())
        except TranscriptQAError as exc:
            return present.message_html(str(exc), "error")
        except Exception:
            log.exception("look-up of %r failed", text)
            return present.message_html(UNEXPECTED, "error")
        return present.lookup_html(text or "", matches)

    # ------------------------------------------------------------------------------- library

    def save_uploads(self, paths: Sequence[str]) -> tuple[list[Path], list[tuple[str, FileResult]]]:
        """Copy uploaded files into <library>/uploads/ under safe names; refusals as results."""
        return save_uploads(paths, self.uploads, self.settings.upload_max_mb)

    def upload(self, files: Sequence[Any] | None, progress: ProgressFn | None = None) -> str:
        """Ingest uploaded files; the per-file outcome as HTML."""
        paths = [file_path(f) for f in files or ()]
        recordings = [p for p in paths if Path(p).suffix.lower() in MEDIA_EXTENSIONS]
        paths = [p for p in paths if p not in recordings]
        if not paths and not recordings:
            return present.message_html("Choose one or more transcript files first.", "hint")
        saved, results = self.save_uploads(paths) if paths else ([], [])
        shown = {str(p): p.name for p in saved}

        def report(stage: str, done: int, total: int) -> None:
            if progress is not None:
                label = "Reading files" if stage == "parse" else "Embedding passages"
                progress((done, max(total, 1)), desc=label)

        if saved:
            try:
                with self.lock.write():
                    later = self.after_ingest is not None
                    ingested = ingest(self.library, saved, progress=report, sentences=not later)
                if self.after_ingest is not None:
                    self.after_ingest()
            except TranscriptQAError as exc:
                return present.message_html(str(exc), "error") + present.ingest_html(results)
            except Exception:
                log.exception("ingest of %s failed", [str(p) for p in saved])
                return present.message_html(UNEXPECTED, "error") + present.ingest_html(results)
            results = [(shown.get(r.path, Path(r.path).name), r) for r in ingested.files] + results
        return present.ingest_html(results) + self._attach_uploaded(recordings, results)

    def _attach_uploaded(
        self, recordings: Sequence[str], results: Sequence[tuple[str, FileResult]]
    ) -> str:
        """Attach uploaded recordings to the transcripts with their stem (uploaded with them,
        or already in the library under that id); the outcome as HTML."""
        if not recordings:
            return ""
        by_stem: dict[str, str] = {}
        for name, r in results:
            if r.transcript_id and r.status != "failed":
                stem = Path(name).stem
                by_stem.setdefault(upload_stem(stem), r.transcript_id)
                by_stem.setdefault(upload_stem(stem.split(".", 1)[0]), r.transcript_id)
        outcome: list[tuple[str, str | None, str | None]] = []
        known = set(self.library.transcript_ids())
        for raw in recordings:
            path = Path(raw)
            stem = upload_stem(path.stem)
            tid = by_stem.get(stem) or next((t for t in known if upload_stem(t) == stem), None)
            if tid is None:
                outcome.append(
                    (
                        path.name,
                        None,
                        f"no transcript named {path.stem!r} in this upload or the library",
                    )
                )
                continue
            try:
                with self.lock.write():
                    self.media.attach(tid, path)
            except TranscriptQAError as exc:
                outcome.append((path.name, tid, str(exc).replace(str(path.parent) + "/", "")))
                continue
            outcome.append((path.name, tid, None))
        return present.recordings_html(outcome)

    def remove(self, transcript_ids: Sequence[str] | None) -> str:
        ids = [t for t in transcript_ids or () if t]
        if not ids:
            return present.message_html("Select the transcripts to remove first.", "hint")
        try:
            with self.lock.write():
                infos = {t.id: t for t in self.library.transcripts()}
                removed = self.library.remove(ids)
                self.media.detach(removed)
        except TranscriptQAError as exc:
            return present.message_html(str(exc), "error")
        delete_uploaded((infos[tid].source_path for tid in removed), self.uploads)
        names = "; ".join(infos[t].title for t in removed)
        return present.message_html(
            f"Removed {len(removed)} transcript{'s' if len(removed) != 1 else ''}: {names}", "hint"
        )

    def speakers_view(self, transcript_id: str | None) -> tuple[str, list[str]]:
        """A transcript's speakers as HTML (counts, a line of each), and their names for the
        rename menu."""
        if not transcript_id:
            return present.message_html("Choose a transcript to see its speakers.", "hint"), []
        try:
            with self.lock.read():
                transcript = self.library.transcript(transcript_id)
        except TranscriptQAError as exc:
            return present.message_html(str(exc), "error"), []
        speakers = speaker_summaries(transcript)
        return present.speakers_table(transcript.id, speakers), [s.name for s in speakers]

    def rename_speaker(
        self, transcript_id: str | None, speaker: str | None, new_name: str | None
    ) -> tuple[str, bool]:
        """Give one speaker of a transcript a name (merging with a speaker who has it): the
        outcome as HTML, and whether the library changed."""
        if not transcript_id or not speaker:
            return present.message_html(
                "Choose a transcript and one of its speakers.", "hint"
            ), False
        try:
            name = clean_name(new_name or "")
            with self.lock.write():
                report = rename_speakers(self.library, transcript_id, [(speaker, name)])
        except TranscriptQAError as exc:
            return present.message_html(str(exc), "error"), False
        except Exception:
            log.exception("renaming %r in %r failed", speaker, transcript_id)
            return present.message_html(UNEXPECTED, "error"), False
        message = (
            f"{speaker} is now {name} in {transcript_id} ({report.chunks} passages updated; "
            "new answers use the name)."
        )
        return present.message_html(message, "hint"), True

    # ------------------------------------------------------------------------------- the API

    def ask_api(
        self,
        question: str,
        speakers: list[str] | None = None,
        transcripts: list[str] | None = None,
        since: str = "",
        until: str = "",
    ) -> dict[str, Any]:
        """Answer a question (no chat history); the `tqa ask --json` object."""
        try:
            filters = make_filters(speakers, transcripts, since, until)
            if not question.strip():
                raise InputError("the question is empty")
            self.library.require_current()
            with self.lock.read():
                answer = self.assistant.ask(question, (), filters)
        except TranscriptQAError as exc:
            raise gr.Error(str(exc)) from None
        return answer_json(answer)

    def lookup_api(self, text: str, limit: int = 5) -> dict[str, Any]:
        """Who said it: the utterances that say a quote (or a reference like `17108#u12`)."""
        try:
            with self.lock.read():
                matches = lookup(self.library, text.strip(), limit=max(1, min(limit, 50)))
        except TranscriptQAError as exc:
            raise gr.Error(str(exc)) from None
        return {
            "query": text,
            "matches": [quote_match_json(m) for m in matches],
        }
