"""In headless Chromium: a citation plays its recording from the cited cue, the reader opens at
the cited turn, nothing outside the library is served, and "Copy with sources" copies the
expected Markdown. The recording is real speech: espeak-ng reading lines of the seed transcript
(tests/ui/recording.py); one app start for the module. Screenshots go to test-output/.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from embeddings.base import Encoder
from qa.settings import Settings
from qa.store.library import Library
from qa.store.media import MediaStore
from tests.conftest import REPO, require_shared
from tests.ui.browser_conftest import (  # noqa: F401  (minilm is a fixture)
    build_library,
    free_port,
    minilm,
    served_process,
)
from tests.ui.recording import cue_starts, make_recording, require_tools

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
OUTPUT = REPO / "test-output"
FIXTURES = Path(__file__).parent / "fixtures"
WAIT_MS = 90_000
QUESTION = "Where is the Russian vaccine produced?"
CITED_CUE = 3  # "Now in Karaganda, this enterprise produces a Russian vaccine …"
# Nazarbayev's three cues merge into one utterance (u1, after Putin's two in u0); the citation
# still plays from the cited cue's own start (Utterance.marks).
CITED_UTTERANCE = 1

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing and CI is set", pytrace=False)
    pytest.skip(f"{CHROMIUM} is missing (install Debian's chromium)", allow_module_level=True)

pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    require_tools()
    return make_recording(tmp_path_factory.mktemp("recording"))


@pytest.fixture(scope="module")
def library(
    tmp_path_factory: pytest.TempPathFactory,
    minilm: Encoder,  # noqa: F811
    recording: tuple[Path, Path],
) -> Library:
    _wav, vtt = recording
    page = require_shared("kremlin", "html", "17108.html")
    library = build_library(tmp_path_factory.mktemp("media-library"), minilm, [vtt, page])
    store = MediaStore(library)
    assert store.attach_beside(vtt.stem, vtt) is not None  # the .wav beside the .vtt
    store.close()
    return library


@pytest.fixture(scope="module")
def app_url(library: Library, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = Settings(library=str(library.folder), port=free_port())
    log = tmp_path_factory.mktemp("media-server") / "app.log"
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
def page(browser: Browser, app_url: str) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": 1400, "height": 950}, permissions=["clipboard-read", "clipboard-write"]
    )
    tab = context.new_page()
    tab.goto(app_url)
    tab.wait_for_selector("#question textarea", timeout=WAIT_MS)
    yield tab
    context.close()


def shot(page: Page, name: str) -> None:
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / f"{name}.png"))


def ask(page: Page, question: str) -> None:
    page.fill("#question textarea", question)
    page.keyboard.press("Enter")
    expect(page.locator("#chat .answer a.cite").first).to_be_visible(timeout=WAIT_MS)


PLAYER = "#sources-panel details[open] audio.media"


def test_a_citation_plays_the_moment_and_opens_the_reader_at_it(
    page: Page, recording: tuple[Path, Path]
) -> None:
    cue_start = cue_starts(recording[1])[CITED_CUE]
    ask(page, QUESTION)
    cite = page.locator("#chat a.cite").first
    expect(cite).to_contain_text(f"0:{int(cue_start):02d}")  # the time shows on the citation
    card = page.locator("#sources-panel .src-card").first
    expect(card).to_contain_text(f"#u{CITED_UTTERANCE}")
    cite.click()
    page.wait_for_function(
        f"() => {{ const a = document.querySelector({PLAYER!r}); "
        "return a && !a.paused && a.currentTime > 0; }",
        timeout=WAIT_MS,
    )
    at = page.evaluate(f"() => document.querySelector({PLAYER!r}).currentTime")
    assert abs(at - cue_start) < 1.0, (at, cue_start)
    # Playing: the clock moves on.
    page.wait_for_function(
        f"() => document.querySelector({PLAYER!r}).currentTime > {at + 0.3}", timeout=10_000
    )
    assert page.evaluate(f"() => !document.querySelector({PLAYER!r}).paused")
    shot(page, "media-player")

    card.locator("a.open-reader").click()
    target = page.locator(f"#reader-view #ru-{CITED_UTTERANCE}")
    expect(target).to_have_class("r-utt cited target", timeout=WAIT_MS)
    expect(target).to_be_in_viewport()
    expect(target).to_contain_text("Now in Karaganda")
    speakers = page.locator("#reader-view .reader-speakers")
    expect(speakers).to_contain_text("Nursultan Nazarbayev 1")
    expect(speakers).to_contain_text("Vladimir Putin 1")
    # Its own player plays from a turn's time, and the card's player stops: one at a time.
    target.locator("a.play-at").click()
    reader = "#reader-view audio.media"
    page.wait_for_function(
        f"() => {{ const a = document.querySelector({reader!r}); "
        f"return a && !a.paused && Math.abs(a.currentTime - {cue_start}) < 1; }}",
        timeout=WAIT_MS,
    )
    assert page.evaluate(f"() => document.querySelector({PLAYER!r}).paused")
    shot(page, "media-reader")

    page.fill("#reader-search input, #reader-search textarea", "Russian")
    page.keyboard.press("Enter")
    hits = page.locator("#reader-view .reader-hits")
    expect(hits).to_contain_text("2 utterances with “Russian”", timeout=WAIT_MS)
    expect(page.locator("#reader-view .reader-turns mark")).to_have_count(3)


def test_the_library_opens_the_reader_and_a_page_source_links_out(page: Page) -> None:
    page.get_by_role("tab", name="Library").click()
    page.locator("#library-table tr", has_text="election campaign").locator("a.open-reader").click()
    expect(page.locator("#reader-view h2")).to_have_text(
        "Meeting with election campaign activists", timeout=WAIT_MS
    )
    link = page.locator("#reader-view a.media-link")
    expect(link).to_have_attribute("href", "http://en.kremlin.ru/events/president/news/17108")
    expect(page.locator("#reader-view .r-utt.cited")).to_have_count(0)


def test_nothing_outside_the_library_is_served(
    page: Page, app_url: str, library: Library, recording: tuple[Path, Path]
) -> None:
    media = (library.folder / "media").resolve()
    kept = next(media.glob("*.wav"))
    inside = page.request.get(
        f"{app_url}/gradio_api/file={quote(str(kept))}", headers={"Range": "bytes=0-99"}
    )
    assert inside.status == 206 and len(inside.body()) == 100
    wav, vtt = recording  # the same recording where it was made: outside the library
    for path in (str(wav), str(vtt), str(library.folder / "library.sqlite")):
        outside = page.request.get(f"{app_url}/gradio_api/file={quote(path)}")
        assert outside.status == 403, path
    sneaky = page.request.get(f"{app_url}/gradio_api/file={media}/../library.sqlite")
    assert sneaky.status in (403, 404)


def test_copy_with_sources_copies_the_answer_with_its_sources(
    page: Page, app_url: str, library: Library
) -> None:
    ask(page, QUESTION)
    page.locator("#sources-panel details[open] button.copy-md").click()
    expect(page.locator("#sources-panel details[open] button.copy-md")).to_have_text("Copied")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    media = quote(str((library.folder / "media").resolve()))
    general = copied.replace(app_url, "{APP}").replace(media, "{MEDIA}")
    assert general == (FIXTURES / "browser-copy-with-sources.md").read_text(encoding="utf-8")
