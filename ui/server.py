"""The UI served: the Gradio Blocks (layout and event wiring), their theme, CSS and script, and
`serve`, where `tqa serve` and `python app.py` end. The events call ui/handlers.py."""

from __future__ import annotations

import logging
import signal
import threading
from importlib.resources import files
from types import FrameType
from typing import Any

import gradio as gr  # ui/__init__.py has set the environment gradio and the model hub read

from qa.answer.assistant import Assistant
from qa.ingest.background import SentenceWorker
from qa.ingest.parsers import EXTENSIONS
from qa.models import Filters
from qa.settings import Settings
from qa.store.media import MEDIA_DIR, MEDIA_EXTENSIONS
from ui import present
from ui.handlers import TITLE, ChatSession, Handlers

log = logging.getLogger("tqa.app")

THEME = gr.themes.Soft(
    primary_hue="indigo",
    neutral_hue="slate",
    radius_size="md",
    font=["Inter", "ui-sans-serif", "system-ui", "Segoe UI", "Helvetica", "Arial", "sans-serif"],
    font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"],
)

_STATIC = files("ui") / "static"
CSS = "\n" + (_STATIC / "style.css").read_text(encoding="utf-8")
# Clicking [n] in an answer opens that answer's section of the Sources panel, scrolls the card
# into view and outlines it. Gradio's chat sanitiser keeps href and class, so the links carry
# the card id in their href and work (as plain fragment links) even without this script.
HEAD = "\n<script>\n" + (_STATIC / "head.js").read_text(encoding="utf-8") + "</script>\n"
# Gradio copies every file it serves (uploads, and the conversation's export after each answer)
# into its cache and keeps them unless told: every hour, its copies older than a day are
# removed, and all of them when the server stops. An upload is in the library within seconds.
GRADIO_CACHE_SWEEP = (3600, 86400)


def build_app(assistant: Assistant, settings: Settings) -> gr.Blocks:
    """The Blocks of the UI over one assistant (shared); chat state is per browser session."""
    h = Handlers(assistant, settings)
    with gr.Blocks(title=TITLE, fill_width=False, delete_cache=GRADIO_CACHE_SWEEP) as demo:
        demo.handlers = h  # the tests reach the handlers through the Blocks
        header = gr.HTML(h.header_html(), elem_id="tqa-header")
        gr.HTML(h.banner_html(), visible=bool(assistant.library.mismatch()))
        session = gr.State(ChatSession())
        with gr.Tabs() as tabs:
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
                    with gr.Row():
                        new_chat = gr.Button("New conversation", size="sm", variant="secondary")
                        export_md = gr.DownloadButton(
                            "Export Markdown", size="sm", variant="secondary", elem_id="export-md"
                        )
                        export_json = gr.DownloadButton(
                            "Export JSON", size="sm", variant="secondary", elem_id="export-json"
                        )
                with gr.Column(scale=2, min_width=340, elem_id="sources-col"):
                    sources = gr.HTML(present.sources_panel([]), elem_id="sources-panel")
            with gr.Tab("Library", id="library"), gr.Row(equal_height=False):
                with gr.Column(scale=3):
                    table = gr.HTML(h.library_html(), elem_id="library-table")
                    with gr.Accordion("Speakers", open=True, elem_id="speakers"):
                        gr.HTML(
                            '<p class="muted">Name the speakers of a transcript (diarized '
                            "files say <code>SPEAKER_00</code>): answers, filters and sources "
                            "then use the name, and it stays when the file is added again. A "
                            "name the transcript already has merges the two speakers.</p>"
                        )
                        speakers_of = gr.Dropdown(
                            choices=h.transcript_choices(),
                            value=None,
                            label="Transcript",
                            elem_id="speakers-transcript",
                        )
                        speakers_table = gr.HTML(elem_id="speakers-table")
                        with gr.Row(equal_height=True):
                            rename_from = gr.Dropdown(
                                choices=[], label="Speaker", elem_id="rename-from", scale=2
                            )
                            rename_to = gr.Textbox(
                                label="New name",
                                placeholder="e.g. Taylor Smith",
                                elem_id="rename-to",
                                scale=3,
                            )
                            rename = gr.Button("Rename", variant="primary", scale=1, min_width=100)
                        rename_result = gr.HTML(elem_id="rename-result")
                with gr.Column(scale=2, min_width=320):
                    gr.HTML(
                        '<p class="muted">Accepted: kremlin.ru pages (.html), speaker-labelled '
                        "text and Markdown (.txt, .md: <code>Name: words</code>, Otter, "
                        "Google Meet, court records), subtitles (.srt, .vtt: YouTube, Zoom, "
                        "Teams, Webex), ASR JSON (Whisper, WhisperX, Deepgram, AssemblyAI, Rev), "
                        "Word (.docx), Hansard XML, Rev .nlp and CORAAL .tsv, QMSum JSON; see "
                        "the README's format table. A file with the same name replaces the "
                        "earlier version. A recording (.mp3 .m4a .wav .ogg .opus .mp4 .webm) "
                        "with the name of its transcript plays its quotes.</p>"
                    )
                    files = gr.File(
                        label=f"Add transcripts (up to {settings.upload_max_mb} MB each)",
                        file_count="multiple",
                        file_types=sorted({*EXTENSIONS, *MEDIA_EXTENSIONS}),
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
            with gr.Tab("Transcript", id="reader"):
                reader_search = gr.Textbox(
                    show_label=False,
                    placeholder="Search this transcript (Enter)",
                    elem_id="reader-search",
                )
                reader = gr.HTML(present.reader_empty(), elem_id="reader-view")
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

        # What a source card's or the library's "Read" link asks for (ui/static/head.js writes
        # the JSON {tid, u, end, q} here and presses the button).
        reader_request = gr.Textbox(visible="hidden", elem_id="reader-request")
        reader_open = gr.Button("Open", visible="hidden", elem_id="reader-open")

        def open_reader(request: str) -> tuple[str, Any]:
            return h.open_reader(request), gr.Tabs(selected="reader")

        reader_open.click(
            open_reader, reader_request, [reader, tabs], api_visibility="private"
        ).then(None, None, None, js="() => window.tqaReaderShown && window.tqaReaderShown()")
        reader_search.submit(
            h.search_reader,
            [reader_search, reader_request],
            [reader, reader_request],
            api_visibility="private",
        ).then(None, None, None, js="() => window.tqaReaderShown && window.tqaReaderShown()")

        def exports(state: ChatSession, request: gr.Request) -> tuple[str, str]:
            host = request.headers.get("host", "") if request is not None else ""
            return h.export_files(state, f"http://{host}" if host else "")

        chat_inputs = [box, chat, session, speakers, transcripts, since, until]
        chat_outputs = [chat, session, sources, box]
        export_outputs = [export_md, export_json]
        box.submit(h.respond, chat_inputs, chat_outputs, api_visibility="private").then(
            exports, session, export_outputs, api_visibility="private"
        )
        ask.click(h.respond, chat_inputs, chat_outputs, api_visibility="private").then(
            exports, session, export_outputs, api_visibility="private"
        )
        examples.click(
            lambda sample: sample[0], examples, box, api_visibility="private", queue=False
        ).then(h.respond, chat_inputs, chat_outputs, api_visibility="private").then(
            exports, session, export_outputs, api_visibility="private"
        )
        new_chat.click(h.clear_chat, None, [chat, session, sources], api_visibility="private")
        chat.clear(h.clear_chat, None, [chat, session, sources], api_visibility="private")

        filter_inputs = [speakers, transcripts, since, until]
        for control in (speakers, transcripts, since, until):
            control.change(h.filter_summary, filter_inputs, summary, api_visibility="private")
        clear_filters.click(
            lambda: ([], [], "", ""), None, filter_inputs, api_visibility="private", queue=False
        )

        def refresh(
            chosen_speakers: list[str] | None,
            chosen_transcripts: list[str] | None,
            speakers_shown: str | None,
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
                gr.Dropdown(choices=docs, value=speakers_shown if speakers_shown in ids else None),
            )

        refresh_inputs = [speakers, transcripts, speakers_of]
        refresh_outputs = [header, table, speakers, transcripts, to_remove, examples, speakers_of]

        def show_speakers(transcript_id: str | None) -> tuple[str, Any]:
            shown, names = h.speakers_view(transcript_id)
            return shown, gr.Dropdown(choices=names, value=None)

        def rename_event(
            transcript_id: str | None, speaker: str | None, new_name: str | None
        ) -> tuple[str, str, Any, str]:
            result, renamed = h.rename_speaker(transcript_id, speaker, new_name)
            shown, names = h.speakers_view(transcript_id)
            return (
                result,
                shown,
                gr.Dropdown(choices=names, value=None if renamed else speaker),
                "" if renamed else (new_name or ""),
            )

        speakers_of.change(
            show_speakers, speakers_of, [speakers_table, rename_from], api_visibility="private"
        )
        rename_inputs = [speakers_of, rename_from, rename_to]
        rename_outputs = [rename_result, speakers_table, rename_from, rename_to]
        for trigger in (rename.click, rename_to.submit):
            trigger(
                rename_event,
                rename_inputs,
                rename_outputs,
                api_visibility="private",
                concurrency_id="library-write",
                concurrency_limit=1,
            ).then(refresh, refresh_inputs, refresh_outputs, api_visibility="private")

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
    # The only files served besides Gradio's own: the recordings kept inside the library.
    media = (settings.library_path / MEDIA_DIR).resolve()
    media.mkdir(parents=True, exist_ok=True)
    _app, url, _share = demo.launch(
        server_name=settings.host,
        server_port=settings.port,
        auth=auth,
        theme=THEME,
        css=CSS,
        head=HEAD,
        max_file_size=f"{settings.upload_max_mb}mb",
        show_error=False,
        allowed_paths=[str(media)],
        prevent_thread_lock=prevent_thread_lock,
        quiet=quiet,
        share=False,
        ssr_mode=False,
    )
    return str(url)


def serve(settings: Settings) -> None:
    """Open the library once, build the assistant (loading the model once) and serve the UI."""
    from qa.runtime import build_assistant, open_library

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    library = open_library(settings)
    problem = library.mismatch()
    if problem:
        log.warning("%s; run `tqa reindex` (the UI shows a banner)", problem)
    assistant = build_assistant(settings, library)
    demo = build_app(assistant, settings)
    # Sentence vectors an ingest left pending, and those of uploads, are stored meanwhile.
    worker = SentenceWorker(library)
    handlers: Handlers = getattr(demo, "handlers")  # noqa: B009 (set by build_app)
    handlers.after_ingest = worker.wake
    worker.start()
    if threading.current_thread() is threading.main_thread():
        # A service manager stops the server with SIGTERM: stop as on Ctrl-C, so that Gradio
        # closes and removes its copies, and the exports' folder is removed at exit.
        signal.signal(signal.SIGTERM, _interrupt)
    launch(demo, settings)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
