"""The chat UI in the browser (Gradio): wiring only; the logic lives in qa/ and embeddings/.

    python app.py [--library DIR] [--host 127.0.0.1] [--port 7860] [--auth user:password]

or `tqa serve`. The library is opened and the model loaded once per process; every browser
session has its own conversation and filters.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import shutil
import threading
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import gradio as gr

from qa.answer.assistant import Assistant, Conversation
from qa.answer.lookup import lookup
from qa.errors import TranscriptQAError
from qa.ingest.parsers import EXTENSIONS
from qa.models import Answer, Filters
from qa.serialize import answer_json, quote_match_json
from qa.settings import Settings, load_settings
from qa.store.library import FileResult, Library
from ui import present

log = logging.getLogger("tqa.app")

MB = 1024 * 1024
UPLOADS = "uploads"
TITLE = "Transcript QA"
TAGLINE = (
    "Ask questions of your transcripts. Every claim in an answer is cited to the exact words, "
    "speaker and transcript."
)
UNEXPECTED = "Something went wrong on the server; the details are in its log."

THEME = gr.themes.Soft(
    primary_hue="indigo",
    neutral_hue="slate",
    radius_size="md",
    font=["Inter", "ui-sans-serif", "system-ui", "Segoe UI", "Helvetica", "Arial", "sans-serif"],
    font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"],
)

CSS = """
.gradio-container { max-width: 1280px !important; width: 100% !important; margin: 0 auto;
  overflow: clip !important; }  /* clip, not hidden: the sources column can stay in view */
#tqa-header { padding: 6px 2px 0; }
#tqa-header .brand { display: flex; align-items: baseline; gap: 14px; flex-wrap: wrap; }
#tqa-header h1 { font-size: 1.55rem; margin: 0; letter-spacing: -0.01em; }
#tqa-header .tagline { color: var(--body-text-color-subdued); margin: 2px 0 0; }
#tqa-header .stats { color: var(--body-text-color-subdued); font-size: .85rem;
  margin-left: auto; white-space: nowrap; }
.banner { border: 1px solid #f59e0b; background: #fffbeb; color: #78350f; border-radius: 8px;
  padding: 10px 14px; margin: 6px 0; }
#chat .answer { line-height: 1.55; }
a.cite { display: inline-block; font-size: .78em; font-weight: 600; line-height: 1;
  padding: 2px 5px; margin: 0 1px; border-radius: 6px; text-decoration: none !important;
  background: var(--color-accent-soft); color: var(--color-accent) !important;
  vertical-align: 2px; }
a.cite:hover { background: var(--color-accent); color: white !important; }
#chat .searched { margin-top: 10px; padding-top: 6px; font-size: .82em;
  color: var(--body-text-color-subdued); border-top: 1px dashed var(--border-color-primary); }
#chat .hint, #chat .notice { margin-top: 8px; font-size: .85em;
  color: var(--body-text-color-subdued); }
.error { color: #b91c1c; }
#sources-col { position: sticky; top: 10px; align-self: flex-start; }
#sources-panel { max-height: calc(100vh - 170px); min-height: 360px; overflow-y: auto !important;
  padding-right: 6px; }
.sources-empty { border: 1px dashed var(--border-color-primary); border-radius: 10px;
  padding: 16px 18px; }
details.turn { margin-bottom: 8px; }
details.turn > summary { cursor: pointer; list-style: none; display: flex; flex-direction: column;
  gap: 2px; padding: 6px 2px; border-bottom: 1px solid var(--border-color-primary); }
details.turn > summary::-webkit-details-marker { display: none; }
details.turn > summary .q { font-weight: 600; }
details.turn > summary .count { font-size: .8em; color: var(--body-text-color-subdued);
  text-transform: uppercase; letter-spacing: .04em; }
details.turn.older > summary .q { font-weight: 500; color: var(--body-text-color-subdued); }
.src-card { border: 1px solid var(--border-color-primary); border-radius: 10px;
  padding: 12px 14px; margin: 10px 0; background: var(--background-fill-primary);
  scroll-margin: 12px; transition: box-shadow .3s, border-color .3s; }
.src-card:target, .src-card.flash { border-color: var(--color-accent);
  box-shadow: 0 0 0 3px var(--color-accent-soft); }
.src-card.passage .src-n { background: var(--neutral-400); }
.src-card header { display: flex; align-items: center; gap: 8px; font-weight: 600; }
.src-n { display: inline-flex; align-items: center; justify-content: center; min-width: 22px;
  height: 22px; border-radius: 11px; font-size: 12px; background: var(--color-accent);
  color: white; }
.src-card .badge { margin-left: auto; font-size: .75em; font-weight: 500;
  color: var(--body-text-color-subdued); }
.src-card .meta { font-size: .8em; color: var(--body-text-color-subdued); margin: 3px 0 8px; }
.src-card code.ref, .lib-table code.ref { font-size: .95em; background: transparent;
  padding: 0; color: var(--body-text-color-subdued); }
.src-card blockquote { margin: 6px 0; padding-left: 10px;
  border-left: 3px solid var(--color-accent); }
.src-card .context p.utt { margin: 5px 0; font-size: .9em; line-height: 1.5;
  color: var(--body-text-color-subdued); }
.src-card .context p.utt.cited { color: var(--body-text-color); }
.src-card .who { font-weight: 600; }
.src-card mark, #chat mark { background: #fde68a; color: inherit; padding: 0 2px;
  border-radius: 3px; }
.muted { color: var(--body-text-color-subdued); font-size: .9em; }
.lib-table { width: 100%; border-collapse: collapse !important; font-size: .9em;
  border: 0 !important; }
.lib-table th { text-align: left; font-weight: 600; padding: 6px 8px; border: 0 !important;
  border-bottom: 2px solid var(--border-color-primary) !important; }
.lib-table td { padding: 8px; vertical-align: top; border: 0 !important;
  border-bottom: 1px solid var(--border-color-primary) !important; }
.lib-table td.date { white-space: nowrap; }
.lib-table tr, .lib-table thead, .lib-table tbody { border: 0 !important; }
.lib-table td.num { text-align: right; }
.lib-table .title { font-weight: 500; }
ul.ingest { list-style: none; padding: 0; margin: 0; font-size: .9em; }
ul.ingest li { padding: 6px 0; border-bottom: 1px solid var(--border-color-primary); }
ul.ingest .status { display: inline-block; min-width: 64px; font-size: .75em;
  text-transform: uppercase; letter-spacing: .04em; font-weight: 600; }
ul.ingest li.failed .status { color: #b91c1c; }
ul.ingest li.added .status, ul.ingest li.replaced .status { color: #15803d; }
#examples .label { display: none; }
"""

# Clicking [n] in an answer opens that answer's section of the Sources panel, scrolls the card
# into view and outlines it. Gradio's chat sanitiser keeps href and class, so the links carry
# the card id in their href and work (as plain fragment links) even without this script.
HEAD = """
<script>
document.addEventListener("click", function (event) {
  var link = event.target.closest ? event.target.closest("a.cite") : null;
  if (!link) { return; }
  var id = (link.getAttribute("href") || "").replace(/^#/, "");
  var card = id ? document.getElementById(id) : null;
  if (!card) { return; }
  event.preventDefault();
  var section = card.closest("details");
  if (section) { section.open = true; }
  document.querySelectorAll(".src-card.flash").forEach(function (c) {
    c.classList.remove("flash");
  });
  card.classList.add("flash");
  // "nearest": the panel scrolls to the card, the page only as far as the card needs.
  card.scrollIntoView({ behavior: "smooth", block: "nearest" });
}, true);
</script>
"""


class ReadWriteLock:
    """Many readers (questions, look-ups) or one writer (ingest, removal) in this process."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writing = False

    @contextlib.contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not self._writing)
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextlib.contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not self._writing)
            self._writing = True
            self._cond.wait_for(lambda: self._readers == 0)
        try:
            yield
        finally:
            with self._cond:
                self._writing = False
                self._cond.notify_all()


@dataclass
class ChatSession:
    """One browser session's chat: the turns follow-ups lean on, and the rendered sources."""

    conversation: Conversation = field(default_factory=Conversation)
    sections: list[str] = field(default_factory=list)


Message = dict[str, Any]
ProgressFn = Callable[..., object]


class Handlers:
    """What the UI's events call; plain methods, so they can be tested without a browser."""

    def __init__(self, assistant: Assistant, settings: Settings) -> None:
        self.assistant = assistant
        self.library: Library = assistant.library
        self.settings = settings
        self.lock = ReadWriteLock()
        self.uploads = self.library.folder / UPLOADS

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
        return present.example_questions(
            [t.id for t in infos], speakers, list(dict.fromkeys(topics))
        )

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
    ) -> Iterator[tuple[list[Message], ChatSession, str, str]]:
        """Stream an answer into the chat: (messages, session, sources html, input box)."""
        session = session or ChatSession()
        history = list(history or [])
        question = (message or "").strip()
        if not question:
            yield list(history), session, present.sources_panel(session.sections), ""
            return
        try:
            filters = present.make_filters(speakers, transcripts, since, until)
        except TranscriptQAError as exc:
            gr.Warning(present.esc(exc))
            yield list(history), session, present.sources_panel(session.sections), message
            return
        history.append({"role": "user", "content": present.esc(question)})
        if not self.library.transcript_ids():
            empty = "The library is empty: add transcripts in the Library tab first."
            history.append({"role": "assistant", "content": present.message_html(empty, "hint")})
            yield list(history), session, present.sources_panel(session.sections), ""
            return
        history.append(
            {
                "role": "assistant",
                "content": present.message_html("Searching the transcripts…", "hint"),
            }
        )
        yield list(history), session, present.sources_panel(session.sections), ""
        try:
            self.library.require_current()
            answer = yield from self._stream(question, session, filters, history)
        except TranscriptQAError as exc:
            gr.Warning(present.esc(exc))
            history[-1] = {"role": "assistant", "content": present.message_html(str(exc), "error")}
            yield list(history), session, present.sources_panel(session.sections), ""
            return
        except Exception:
            log.exception("answering %r failed", question)
            history[-1] = {
                "role": "assistant",
                "content": present.message_html(UNEXPECTED, "error"),
            }
            yield list(history), session, present.sources_panel(session.sections), ""
            return
        turn = len(session.sections)
        history[-1] = {
            "role": "assistant",
            "content": present.answer_html(answer, turn, self.titles()),
        }
        with self.lock.read():
            section = present.sources_section(answer, turn, self.library.utterances)
        session.conversation.add(answer)
        session.sections.append(section)
        yield list(history), session, present.sources_panel(session.sections), ""

    def _stream(
        self, question: str, session: ChatSession, filters: Filters, history: list[Message]
    ) -> Generator[tuple[list[Message], ChatSession, str, str], None, Answer]:
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
            history[-1] = {"role": "assistant", "content": present.partial_html(event.text)}
            yield list(history), session, present.sources_panel(session.sections), ""

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
            filters = present.make_filters(speakers, transcripts, since, until)
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
        self.uploads.mkdir(parents=True, exist_ok=True)
        limit = self.settings.upload_max_mb
        saved: list[Path] = []
        refused: list[tuple[str, FileResult]] = []
        for raw in paths:
            source = Path(raw)
            shown = source.name
            try:
                name = present.safe_upload_name(shown, sorted(EXTENSIONS))
                if source.is_symlink() or not source.is_file():
                    raise present.InputError(f"{shown!r}: not a regular file (links are refused)")
                size = source.stat().st_size
                if size > limit * MB:
                    raise present.InputError(
                        f"{shown!r} is {size / MB:.1f} MB; the upload limit is {limit} MB"
                    )
                target = self.uploads / name
                if target.resolve().parent != self.uploads.resolve():
                    raise present.InputError(f"{shown!r}: not a usable file name")
                if target.is_symlink():
                    target.unlink()
                shutil.copyfile(source, target, follow_symlinks=False)
                saved.append(target)
            except TranscriptQAError as exc:
                refused.append((shown, FileResult(shown, "failed", error=str(exc))))
            except OSError as exc:
                refused.append(
                    (shown, FileResult(shown, "failed", error=f"{shown!r}: cannot store ({exc})"))
                )
        return saved, refused

    def upload(self, files: Sequence[Any] | None, progress: ProgressFn | None = None) -> str:
        """Ingest uploaded files; the per-file outcome as HTML."""
        paths = [_file_path(f) for f in files or ()]
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
                    ingested = self.library.ingest(saved, progress=report)
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
        uploads = self.uploads.resolve()
        for tid in removed:
            source = infos[tid].source_path
            if source and Path(source).resolve().parent == uploads:
                with contextlib.suppress(OSError):
                    Path(source).unlink()
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
            filters = present.make_filters(speakers, transcripts, since, until)
            if not question.strip():
                raise present.InputError("the question is empty")
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


def _file_path(item: Any) -> str:
    """The server-side path of an uploaded file, however gradio hands it over."""
    if isinstance(item, (str, os.PathLike)):
        return os.fspath(item)
    path = getattr(item, "path", None) or getattr(item, "name", None)
    if path is None and isinstance(item, dict):
        path = item.get("path") or item.get("name")
    return str(path)


# ---------------------------------------------------------------------------------- layout


def build_app(assistant: Assistant, settings: Settings) -> gr.Blocks:
    """The Blocks of the UI over one assistant (shared); chat state is per browser session."""
    h = Handlers(assistant, settings)
    with gr.Blocks(title=TITLE, fill_width=False) as demo:
        demo.handlers = h  # the tests reach the handlers through the Blocks
        header = gr.HTML(h.header_html(), elem_id="tqa-header")
        gr.HTML(h.banner_html(), visible=bool(assistant.library.mismatch()))
        session = gr.State(ChatSession())
        with gr.Tabs():
            with gr.Tab("Ask", id="ask"), gr.Row(equal_height=False):
                with gr.Column(scale=3, min_width=420):
                    chat = gr.Chatbot(
                        elem_id="chat",
                        show_label=False,
                        height=520,
                        latex_delimiters=[],
                        feedback_options=None,
                        buttons=["copy"],
                        placeholder=(
                            "<b>Ask anything the transcripts might answer.</b><br>"
                            "Answers quote the transcripts; click a number to see where "
                            "the words were said."
                        ),
                    )
                    with gr.Row(equal_height=True):
                        box = gr.Textbox(
                            placeholder="e.g. What did Putin say about trade?",
                            show_label=False,
                            lines=1,
                            max_lines=4,
                            scale=8,
                            elem_id="question",
                            autofocus=True,
                        )
                        ask = gr.Button("Ask", variant="primary", scale=1, min_width=80)
                    examples = gr.Dataset(
                        components=[box],
                        samples=[[q] for q in h.examples()],
                        label="Try",
                        elem_id="examples",
                        samples_per_page=6,
                    )
                    with gr.Accordion("Filters", open=False, elem_id="filters"):
                        with gr.Row():
                            speakers = gr.Dropdown(
                                choices=h.speaker_choices(),
                                multiselect=True,
                                label="Speakers",
                                elem_id="filter-speakers",
                            )
                            transcripts = gr.Dropdown(
                                choices=h.transcript_choices(),
                                multiselect=True,
                                label="Transcripts",
                                elem_id="filter-transcripts",
                            )
                        with gr.Row():
                            since = gr.Textbox(
                                label="Since", placeholder="YYYY-MM-DD", elem_id="filter-since"
                            )
                            until = gr.Textbox(
                                label="Until", placeholder="YYYY-MM-DD", elem_id="filter-until"
                            )
                        with gr.Row(equal_height=True):
                            summary = gr.HTML(
                                present.filters_summary(Filters(), {}),
                                elem_id="filter-summary",
                                scale=4,
                            )
                            clear_filters = gr.Button(
                                "Clear filters", size="sm", scale=0, min_width=120
                            )
                    new_chat = gr.Button("New conversation", size="sm", variant="secondary")
                with gr.Column(scale=2, min_width=340, elem_id="sources-col"):
                    sources = gr.HTML(present.sources_panel([]), elem_id="sources-panel")
            with gr.Tab("Library", id="library"), gr.Row(equal_height=False):
                with gr.Column(scale=3):
                    table = gr.HTML(h.library_html(), elem_id="library-table")
                with gr.Column(scale=2, min_width=320):
                    gr.HTML(
                        '<p class="muted">Accepted: kremlin.ru pages (.html), speaker-labelled '
                        "text (.txt, .md: <code>Name: words</code>), subtitles (.srt, .vtt), "
                        "Whisper or QMSum JSON. A file with the same name replaces the earlier "
                        "version.</p>"
                    )
                    files = gr.File(
                        label=f"Add transcripts (up to {settings.upload_max_mb} MB each)",
                        file_count="multiple",
                        file_types=sorted(EXTENSIONS),
                        type="filepath",
                        elem_id="upload",
                    )
                    add = gr.Button("Add to library", variant="primary", elem_id="add-files")
                    ingest_result = gr.HTML(elem_id="ingest-result")
                    with gr.Accordion("Remove transcripts", open=False):
                        to_remove = gr.Dropdown(
                            choices=h.transcript_choices(),
                            multiselect=True,
                            show_label=False,
                            elem_id="remove-select",
                        )
                        remove = gr.Button("Remove selected", variant="stop", size="sm")
                        remove_result = gr.HTML()
            with gr.Tab("Who said it", id="lookup"):
                gr.HTML(
                    '<p class="muted">Paste a quote to find who said it, where and when, even '
                    "when the wording is slightly off; or a reference such as "
                    "<code>17108#u12</code> to read that utterance in context.</p>"
                )
                quote = gr.Textbox(
                    show_label=False,
                    placeholder="Paste a quote, or a reference like 17108#u12",
                    lines=2,
                    elem_id="quote",
                )
                with gr.Row():
                    find = gr.Button("Find", variant="primary", scale=0, min_width=140)
                found = gr.HTML(present.lookup_html("", []), elem_id="lookup-result")

        chat_inputs = [box, chat, session, speakers, transcripts, since, until]
        chat_outputs = [chat, session, sources, box]
        box.submit(h.respond, chat_inputs, chat_outputs, api_visibility="private")
        ask.click(h.respond, chat_inputs, chat_outputs, api_visibility="private")
        examples.click(
            lambda sample: sample[0], examples, box, api_visibility="private", queue=False
        ).then(h.respond, chat_inputs, chat_outputs, api_visibility="private")
        new_chat.click(h.clear_chat, None, [chat, session, sources], api_visibility="private")
        chat.clear(h.clear_chat, None, [chat, session, sources], api_visibility="private")

        filter_inputs = [speakers, transcripts, since, until]
        for control in (speakers, transcripts, since, until):
            control.change(h.filter_summary, filter_inputs, summary, api_visibility="private")
        clear_filters.click(
            lambda: ([], [], "", ""), None, filter_inputs, api_visibility="private", queue=False
        )

        def refresh(
            chosen_speakers: list[str] | None, chosen_transcripts: list[str] | None
        ) -> tuple[Any, ...]:
            names = h.speaker_choices()
            docs = h.transcript_choices()
            ids = {tid for _, tid in docs}
            return (
                h.header_html(),
                h.library_html(),
                gr.Dropdown(choices=names, value=[s for s in chosen_speakers or () if s in names]),
                gr.Dropdown(choices=docs, value=[t for t in chosen_transcripts or () if t in ids]),
                gr.Dropdown(choices=docs, value=[]),
                gr.Dataset(samples=[[q] for q in h.examples()]),
            )

        refresh_inputs = [speakers, transcripts]
        refresh_outputs = [header, table, speakers, transcripts, to_remove, examples]

        def upload_event(
            paths: list[str] | None,
            progress: gr.Progress = gr.Progress(),  # noqa: B008
        ) -> tuple[str, None]:
            return h.upload(paths or [], progress), None

        add.click(
            upload_event,
            files,
            [ingest_result, files],
            api_visibility="private",
            concurrency_id="library-write",
            concurrency_limit=1,
        ).then(refresh, refresh_inputs, refresh_outputs, api_visibility="private")
        remove.click(
            h.remove,
            to_remove,
            remove_result,
            api_visibility="private",
            concurrency_id="library-write",
            concurrency_limit=1,
        ).then(refresh, refresh_inputs, refresh_outputs, api_visibility="private")
        quote.submit(h.who_said, quote, found, api_visibility="private")
        find.click(h.who_said, quote, found, api_visibility="private")
        demo.load(refresh, refresh_inputs, refresh_outputs, api_visibility="private")

        gr.api(h.ask_api, api_name="ask")
        gr.api(h.lookup_api, api_name="lookup")
    return demo


def launch(
    demo: gr.Blocks, settings: Settings, *, prevent_thread_lock: bool = False, quiet: bool = False
) -> str:
    """Serve the Blocks on settings.host/port, with authentication when settings.auth is set."""
    auth: tuple[str, str] | None = None
    if settings.auth:
        user, _, password = settings.auth.partition(":")
        auth = (user, password)
    demo.queue(default_concurrency_limit=4)
    _app, url, _share = demo.launch(
        server_name=settings.host,
        server_port=settings.port,
        auth=auth,
        theme=THEME,
        css=CSS,
        head=HEAD,
        max_file_size=f"{settings.upload_max_mb}mb",
        show_error=False,
        prevent_thread_lock=prevent_thread_lock,
        quiet=quiet,
        share=False,
        ssr_mode=False,
    )
    return str(url)


def serve(settings: Settings) -> None:
    """Open the library once, build the assistant (loading the model once) and serve the UI."""
    from qa.runtime import build_assistant, open_library

    library = open_library(settings)
    problem = library.mismatch()
    if problem:
        log.warning("%s; run `tqa reindex` (the UI shows a banner)", problem)
    assistant = build_assistant(settings, library)
    launch(build_app(assistant, settings), settings)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=TAGLINE)
    parser.add_argument("--library", help="library folder (or TQA_LIBRARY)")
    parser.add_argument("--host", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default 7860)")
    parser.add_argument("--auth", help="user:password (or TQA_AUTH)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings(
            library=args.library, host=args.host, port=args.port, auth=args.auth
        )
        serve(settings)
    except TranscriptQAError as exc:
        print(f"error: {exc}")
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
