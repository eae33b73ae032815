"""The Library tab's speakers: a transcript's speakers with counts and a line each, renaming one,
the name in the filters and in answers afterwards, and transcript text kept inert.

In process, without a browser, over a library of a real diarized export (and a transcript
whose text tries to become markup) built with the hash encoder."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pytest

from embeddings.base import HashEncoder
from qa.runtime import build_assistant
from qa.settings import Settings
from qa.store.library import Library
from tests.conftest import require_shared
from tests.ui.browser_conftest import XSS_TRANSCRIPT, build_library
from ui.handlers import ChatSession, Handlers
from ui.server import build_app

PODCAST = "rational-reminder-ep299.diarized"
FELIX = "Benjamin Felix"
MARKUP_NAME = 'Eve <img src=x onerror="window.__xss=7"> [x](javascript:window.__xss=8)'


def text_of(markup: object) -> str:
    """What a browser shows for an HTML fragment."""
    if isinstance(markup, list):  # gradio's normalised content: [{"type": "text", ...}]
        markup = " ".join(str(part.get("text", "")) for part in markup)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", str(markup))).split())


def assert_inert(markup: str) -> None:
    for bad in ("<script", "<img", "](", "javascript:"):
        assert bad not in markup, (bad, markup)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    files = tmp_path_factory.mktemp("speaker-ui-files")
    shutil.copy(require_shared("real", f"{PODCAST}.json"), files)
    (files / "xss.txt").write_text(XSS_TRANSCRIPT, encoding="utf-8")
    folder = tmp_path_factory.mktemp("speaker-ui") / "lib"
    build_library(folder, HashEncoder(64), [files]).close()
    return folder


@pytest.fixture()
def handlers(built: Path, tmp_path: Path) -> Handlers:
    """The handlers of the app over a copy of the library the test may change."""
    library = Library(shutil.copytree(built, tmp_path / "lib"), HashEncoder(64))
    settings = Settings(library=str(library.folder), embedding_model="hash:64")
    # Through the Blocks, so the tab's wiring is built too.
    demo = build_app(build_assistant(settings, library), settings)
    ids = {getattr(block, "elem_id", None) for block in demo.blocks.values()}
    assert {"speakers-transcript", "speakers-table", "rename-from", "rename-to"} <= ids
    built_handlers: Handlers = demo.handlers  # type: ignore[attr-defined]
    return built_handlers


def test_a_speaker_renamed_in_the_library_tab_is_named_in_filters_and_answers(
    handlers: Handlers,
) -> None:
    shown, names = handlers.speakers_view(PODCAST)
    assert names == ["SPEAKER_00", "SPEAKER_01", "SPEAKER_02", "SPEAKER_03"]
    row = text_of(shown)
    assert "SPEAKER_00 62 This is the Rational Reminder Podcast" in row
    assert f"{PODCAST}#u0" in row and "SPEAKER_03 2 I'm good." in row
    assert "SPEAKER_00" in handlers.speaker_choices()

    message, renamed = handlers.rename_speaker(PODCAST, "SPEAKER_00", f"  {FELIX} ")
    assert renamed and f"SPEAKER_00 is now {FELIX} in {PODCAST}" in text_of(message)

    shown, names = handlers.speakers_view(PODCAST)
    assert names[0] == FELIX and f"{FELIX} written SPEAKER_00 62" in text_of(shown)
    choices = handlers.speaker_choices()
    assert FELIX in choices and "SPEAKER_00" not in choices
    assert FELIX in text_of(handlers.library_html())

    # Filtered to him, the chat's answer and its sources name him.
    history, _, sources, _ = list(
        handlers.respond(
            "What are the most important lessons in investing?",
            [],
            ChatSession(),
            speakers=[FELIX],
        )
    )[-1]
    answer = handlers.ask_api("What are the most important lessons in investing?", [FELIX])
    assert answer["citations"] and {c["speaker"] for c in answer["citations"]} == {FELIX}
    assert FELIX in text_of(sources) and "SPEAKER_00" not in text_of(sources)
    assert FELIX in text_of(history[-1]["content"])
    # A question naming him finds him without a filter.
    named = handlers.ask_api("What did Felix say about index funds?")
    assert named["filters"]["speakers"] == [FELIX]


def test_names_and_lines_from_transcripts_stay_inert(handlers: Handlers) -> None:
    shown, names = handlers.speakers_view("xss")
    assert names == ["Mallory", "Trent"]
    assert_inert(shown)
    assert "<script>window.__xss=1</script>" in text_of(shown)  # shown as text

    message, renamed = handlers.rename_speaker("xss", "Mallory", MARKUP_NAME)
    assert renamed
    assert_inert(message)
    shown, names = handlers.speakers_view("xss")
    assert names[0] == MARKUP_NAME and MARKUP_NAME in text_of(shown)
    assert_inert(shown)
    history, _, sources, _ = list(
        handlers.respond("What about the pineapple harvest?", [], ChatSession(), [MARKUP_NAME])
    )[-1]
    for markup in (history[-1]["content"], sources, handlers.library_html()):
        assert_inert(markup)
    assert MARKUP_NAME in text_of(sources)


def test_the_tab_refuses_what_it_cannot_rename_and_changes_nothing(handlers: Handlers) -> None:
    generation = handlers.library.generation()
    cases = [
        ((None, "SPEAKER_00", "X"), "Choose a transcript and one of its speakers"),
        ((PODCAST, None, "X"), "Choose a transcript and one of its speakers"),
        ((PODCAST, "SPEAKER_09", "X"), "has no speaker 'SPEAKER_09'"),
        ((PODCAST, "SPEAKER_00", "   "), "a speaker name cannot be empty"),
        (("nope", "SPEAKER_00", "X"), "no transcript 'nope'"),
    ]
    for args, expected in cases:
        message, renamed = handlers.rename_speaker(*args)
        assert not renamed and expected in text_of(message), args
    assert handlers.library.generation() == generation
    shown, names = handlers.speakers_view("nope")
    assert names == [] and "no transcript 'nope'" in text_of(shown)
    assert "Choose a transcript" in text_of(handlers.speakers_view(None)[0])
