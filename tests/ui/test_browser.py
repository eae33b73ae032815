"""End to end in headless Chromium: the served app over a small real library.

Screenshots go to test-output/ at the repository root.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from embeddings.base import Encoder
from qa.runtime import build_assistant
from qa.settings import Settings
from qa.store.library import Library
from tests.conftest import REPO, require_shared
from tests.ui.browser_conftest import (  # noqa: F401  (minilm is a fixture)
    XSS_TRANSCRIPT,
    build_library,
    free_port,
    minilm,
    served_process,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
OUTPUT = REPO / "test-output"
SEED = "meeting-with-nursultan-nazarbayev-2021-06-30"
WAIT_MS = 90_000

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing and CI is set", pytrace=False)
    pytest.skip(f"{CHROMIUM} is missing (install Debian's chromium)", allow_module_level=True)

pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Browser, Dialog, Locator, Page, expect, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory, minilm: Encoder) -> Library:  # noqa: F811
    data = tmp_path_factory.mktemp("browser-data")
    xss = data / "pineapple.txt"
    xss.write_text(XSS_TRANSCRIPT, encoding="utf-8")
    files = [require_shared("seed", f"{SEED}.txt")]
    files += [require_shared("kremlin", "html", f"{n}.html") for n in ("17108", "17113", "57495")]
    return build_library(tmp_path_factory.mktemp("browser-library"), minilm, [*files, xss])


@pytest.fixture(scope="module")
def settings(library: Library) -> Settings:
    return Settings(library=str(library.folder), port=free_port())


@pytest.fixture(scope="module")
def app_url(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real entry point, `python app.py --library … --port …`, in a subprocess."""
    log = tmp_path_factory.mktemp("browser-server") / "app.log"
    with served_process(settings, log) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def dialogs() -> list[str]:
    """Messages of any alert/confirm/prompt the page opened (a script ran if there is one)."""
    return []


@pytest.fixture
def page(browser: Browser, app_url: str, dialogs: list[str]) -> Iterator[Page]:
    """A fresh browser context (its own session) on the app."""
    context = browser.new_context(viewport={"width": 1400, "height": 950})
    tab = context.new_page()

    def record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    tab.on("dialog", record)
    tab.goto(app_url)
    tab.wait_for_selector("#question textarea", timeout=WAIT_MS)
    yield tab
    context.close()


def shot(page: Page, name: str) -> Path:
    """A screenshot of the page as test-output/<name>.png (replacing an earlier run's)."""
    OUTPUT.mkdir(exist_ok=True)
    path = OUTPUT / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def ask(page: Page, question: str) -> Locator:
    """Type a question, press Enter, and return the locator of the new answer message."""
    answers = page.locator("#chat .answer, #chat .error")
    before = answers.count()
    page.fill("#question textarea", question)
    page.keyboard.press("Enter")
    expect(answers).to_have_count(before + 1, timeout=WAIT_MS)
    return page.locator("#chat .message-content").last


def test_an_answer_with_citations_and_a_click_brings_its_source_into_view(
    page: Page, dialogs: list[str]
) -> None:
    message = ask(page, "What did Nazarbayev say about vaccines?")
    expect(message).to_contain_text("vaccine")
    cites = message.locator("a.cite")
    assert cites.count() >= 1
    cards = page.locator("#sources-panel .src-card")
    expect(cards.first).to_contain_text("Nursultan Nazarbayev")
    expect(cards.first).to_contain_text(f"{SEED}#u")
    expect(cards.first.locator("mark")).to_have_count(1)
    shot(page, "chat-answer")
    last = cites.last
    target = (last.get_attribute("href") or "").lstrip("#")
    assert re.fullmatch(r"src-0-\d+", target)
    last.click()
    card = page.locator(f"#{target}")
    expect(card).to_have_class(re.compile(r"\bflash\b"))
    expect(card).to_be_in_viewport(ratio=0.9)
    assert dialogs == []


def test_a_follow_up_shows_the_standalone_question(page: Page) -> None:
    ask(page, "What did Nazarbayev say about vaccines?")
    message = ask(page, "And what did Putin say about trade?")
    searched = message.locator(".searched")
    expect(searched).to_contain_text("Searched: What did Putin say about trade?")
    expect(searched).to_contain_text("speaker: Vladimir Putin")
    # Its citations point into the second answer's section, which is the open one.
    href = message.locator("a.cite").first.get_attribute("href")
    assert href and href.startswith("#src-1-")
    last = message.locator("a.cite").last
    last.click()
    expect(page.locator("#turn-1")).to_have_attribute("open", "")
    card = page.locator(last.get_attribute("href") or "#missing")
    expect(card).to_be_in_viewport(ratio=0.9)
    shot(page, "chat-follow-up")


def test_a_speaker_filter_applies_to_the_next_question(page: Page) -> None:
    page.get_by_text("Filters", exact=True).click()
    speakers = page.locator("#filter-speakers input")
    speakers.click()
    speakers.fill("Vladimir Putin")
    page.get_by_role("option", name="Vladimir Putin", exact=True).click()
    summary = page.locator("#filter-summary")
    expect(summary).to_contain_text("speaker: Vladimir Putin")
    message = ask(page, "What was said about vaccines?")
    expect(message.locator(".searched")).to_contain_text("speaker: Vladimir Putin")
    names = page.locator("#sources-panel details[open] .src-card .speaker").all_inner_texts()
    assert names and all("Vladimir Putin" in n for n in names)
    page.get_by_role("button", name="Clear filters").click()
    expect(summary).to_contain_text("No filters")


def test_an_uploaded_transcript_can_be_asked_about(page: Page, tmp_path: Path) -> None:
    upload = tmp_path / "harbour-meeting.txt"
    upload.write_text(
        "# Harbour council meeting\nDate: 2024-03-01\n\n"
        "Harriet Quill: The lighthouse keepers of Skerryvore counted four hundred puffins "
        "nesting on the north cliff this spring, twice as many as last year.\n\n"
        "Tomas Brekke: That is good news for the bird sanctuary.\n",
        encoding="utf-8",
    )
    page.get_by_role("tab", name="Library").click()
    page.set_input_files("#upload input[type=file]", str(upload))
    # Gradio shows the name as separate stem and extension spans; the cell's accessible name
    # is the whole file name whatever the layout.
    attached = page.locator("#upload").get_by_role("cell", name="harbour-meeting.txt")
    expect(attached).to_be_visible()
    page.locator("#add-files").click()
    result = page.locator("#ingest-result li.added")
    expect(result).to_contain_text("harbour-meeting.txt", timeout=WAIT_MS)
    expect(page.locator("#library-table")).to_contain_text("Harbour council meeting")
    shot(page, "library-after-upload")
    page.get_by_role("tab", name="Ask").click()
    # The filters know the new speaker without a reload.
    page.get_by_text("Filters", exact=True).click()
    speakers = page.locator("#filter-speakers input")
    speakers.click()
    speakers.fill("Harriet")
    expect(page.get_by_role("option", name="Harriet Quill", exact=True)).to_be_visible()
    page.keyboard.press("Escape")
    message = ask(page, "What did Harriet Quill say about puffins?")
    expect(message).to_contain_text("puffins")
    panel = page.locator("#sources-panel details[open]")
    expect(panel).to_contain_text("harbour-meeting#u")
    expect(panel).to_contain_text("Harbour council meeting")


def test_a_hostile_transcript_renders_inert(page: Page, dialogs: list[str]) -> None:
    message = ask(page, "What did Mallory say about the pineapple harvest?")
    panel = page.locator("#sources-panel")
    expect(panel).to_contain_text("<script>window.__xss=1</script>")
    expect(panel).to_contain_text("[click](javascript:window.__xss=3)")
    expect(message).to_contain_text("pineapple harvest")
    # A new browser session starts its own conversation: its first answer is turn 0.
    expect(message.locator("a.cite").first).to_have_attribute("href", re.compile(r"^#src-0-"))
    shot(page, "xss-chat")
    page.get_by_role("tab", name="Library").click()
    expect(page.locator("#library-table")).to_contain_text(
        "Pineapple <script>window.__xss=5</script> notes"
    )
    page.get_by_role("tab", name="Who said it").click()
    page.fill("#quote textarea", "tells about the pineapple harvest")
    page.get_by_role("button", name="Find").click()
    found = page.locator("#lookup-result .src-card")
    expect(found.first).to_contain_text("Mallory", timeout=WAIT_MS)
    assert page.evaluate("typeof window.__xss") == "undefined"
    # The transcript's <script> would be an element whose code is its text. (Gradio's own config,
    # a JSON script in <head>, holds the text as data with "<" written as \u003c.)
    injected = page.evaluate(
        "Array.from(document.scripts).filter(s => s.textContent.trim().startsWith('window.__xss'))"
        ".length"
    )
    assert injected == 0
    hostile = page.locator(
        "img[src='x'], a[href^='javascript'], [onerror], #chat script, #sources-panel script"
    )
    expect(hostile).to_have_count(0)
    assert dialogs == []
    shot(page, "xss-lookup")


def test_an_abstention_shows_the_closest_passages(
    page: Page, library: Library, settings: Settings
) -> None:
    question = "What is the airspeed velocity of an unladen swallow?"
    answer = build_assistant(settings, library).ask(question)
    message = ask(page, question)
    panel = page.locator("#sources-panel details[open]")
    if answer.abstained:
        expect(message).to_contain_text("closest passages")
        expect(panel).to_contain_text("closest passages", ignore_case=True)
        expect(panel.locator(".src-card.passage")).to_have_count(min(4, len(answer.passages)))
    else:  # not abstained: it must then cite
        expect(message.locator("a.cite").first).to_be_visible()
    shot(page, "abstention")


def test_example_questions_start_a_conversation(page: Page) -> None:
    example = page.locator("#examples button", has_text="What did Nazarbayev say about vaccines?")
    example.first.click()
    expect(page.locator("#chat .answer")).to_have_count(1, timeout=WAIT_MS)
    expect(page.locator("#chat a.cite").first).to_be_visible()


def test_a_speaker_renamed_in_the_library_tab_is_a_filter_at_once(page: Page) -> None:
    page.get_by_role("tab", name="Library").click()
    page.locator("#speakers-transcript input").click()
    page.get_by_role("option", name=re.compile(r"^Pineapple")).click()
    table = page.locator("#speakers-table")
    expect(table).to_contain_text("pineapple growers of the valley", timeout=WAIT_MS)
    page.locator("#rename-from input").click()
    page.get_by_role("option", name="Trent", exact=True).click()
    page.fill("#rename-to textarea", "Trent Walker")
    page.get_by_role("button", name="Rename", exact=True).click()
    expect(page.locator("#rename-result")).to_contain_text(
        "Trent is now Trent Walker", timeout=WAIT_MS
    )
    expect(table).to_contain_text("written Trent")
    shot(page, "speakers-renamed")
    # The Ask tab's speaker filter offers the name without a reload.
    page.get_by_role("tab", name="Ask").click()
    page.get_by_text("Filters", exact=True).click()
    speakers = page.locator("#filter-speakers input")
    speakers.click()
    speakers.fill("Trent")
    expect(page.get_by_role("option", name="Trent Walker", exact=True)).to_be_visible()
