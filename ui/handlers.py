"""What the UI's events call: plain methods over one assistant, testable without a browser.

Every view reads the library under the process's read lock; ingest and removal take the write
lock. The HTML comes from ui/present.py, the checks of what users type from ui/filters.py and
ui/uploads.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr

from qa.answer.assistant import Assistant, Conversation
from qa.answer.lookup import lookup
from qa.errors import InputError, TranscriptQAError
from qa.ingest.pipeline import FileResult, ingest
from qa.models import Answer, Filters
from qa.serialize import answer_json, quote_match_json
from qa.settings import Settings
from qa.store.library import Library
from ui import present
from ui.examples import example_questions
from ui.filters import make_filters
from ui.locks import ReadWriteLock
from ui.uploads import UPLOADS, delete_uploaded, file_path, save_uploads

log = logging.getLogger("tqa.app")

TITLE = "Transcript QA"
TAGLINE = (
    "Ask questions of your transcripts. Every claim in an answer is cited to the exact words, "
    "speaker and transcript."
)
UNEXPECTED = "Something went wrong on the server; the details are in its log."
EMPTY_LIBRARY = "The library is empty: add transcripts in the Library tab first."


@dataclass
class ChatSession:
    """One browser session's chat: the turns follow-ups lean on, and the rendered sources."""

    conversation: Conversation = field(default_factory=Conversation)
    sections: list[str] = field(default_factory=list)


Message = dict[str, Any]
ProgressFn = Callable[..., object]
# What the chat handler yields: (messages, session, sources panel html, question box).
ChatStep = tuple[list[Message], ChatSession, str, str]


def chat_step(history: list[Message], session: ChatSession, box: str = "") -> ChatStep:
    """One update of the chat: a copy of the messages, the session, its sources, the box."""
    return list(history), session, present.sources_panel(session.sections), box


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
        # Set by `serve` to wake its background sentence worker: an upload is then answerable
        # as soon as its passages are embedded, and its sentence vectors follow.
        self.after_ingest: Callable[[], None] | None = None

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
            section = present.sources_section(answer, turn, self.library.utterances)
        session.conversation.add(answer)
        session.sections.append(section)
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
        if not paths:
            return present.message_html("Choose one or more transcript files first.", "hint")
        saved, results = self.save_uploads(paths)
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
        return present.ingest_html(results)

    def remove(self, transcript_ids: Sequence[str] | None) -> str:
        ids = [t for t in transcript_ids or () if t]
        if not ids:
            return present.message_html("Select the transcripts to remove first.", "hint")
        try:
            with self.lock.write():
                infos = {t.id: t for t in self.library.transcripts()}
                removed = self.library.remove(ids)
        except TranscriptQAError as exc:
            return present.message_html(str(exc), "error")
        delete_uploaded((infos[tid].source_path for tid in removed), self.uploads)
        names = "; ".join(infos[t].title for t in removed)
        return present.message_html(
            f"Removed {len(removed)} transcript{'s' if len(removed) != 1 else ''}: {names}", "hint"
        )

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
