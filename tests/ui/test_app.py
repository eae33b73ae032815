"""The UI's wiring, in process: chat streaming and state, filters, uploads, removal, look-up,
the API endpoints through gradio_client, authentication and the mismatch banner."""

from __future__ import annotations

import html
import itertools
import os
import re
from pathlib import Path
from typing import Any

import pytest

from app import main
from embeddings.base import Encoder, HashEncoder
from qa.runtime import build_assistant
from qa.settings import Settings
from qa.store.library import Library
from tests.conftest import require_shared
from tests.ui.browser_conftest import (  # noqa: F401  (minilm is a fixture)
    XSS_TRANSCRIPT,
    build_library,
    free_port,
    minilm,
    served,
)
from ui.handlers import ChatSession, Handlers
from ui.server import build_app

pytestmark = pytest.mark.slow
SEED = "meeting-with-nursultan-nazarbayev-2021-06-30"


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory, minilm: Encoder) -> Library:  # noqa: F811
    data = tmp_path_factory.mktemp("app-data")
    xss = data / "xss.txt"
    xss.write_text(XSS_TRANSCRIPT, encoding="utf-8")
    files = [
        require_shared("seed", f"{SEED}.txt"),
        require_shared("kremlin", "html", "17113.html"),
        xss,
    ]
    return build_library(tmp_path_factory.mktemp("app-library"), minilm, files)


@pytest.fixture(scope="module")
def settings(library: Library) -> Settings:
    return Settings(library=str(library.folder), upload_max_mb=1, port=free_port())


@pytest.fixture(scope="module")
def handlers(library: Library, settings: Settings) -> Handlers:
    return Handlers(build_assistant(settings, library), settings)


def text_of(markup: object) -> str:
    """What a browser shows for a chat message or an HTML fragment."""
    if isinstance(markup, list):  # gradio's normalised content: [{"type": "text", ...}]
        markup = " ".join(str(part.get("text", "")) for part in markup)
    return html.unescape(re.sub(r"<[^>]+>", " ", str(markup)))


Step = tuple[list[dict[str, Any]], ChatSession, str, str]


def ask(
    handlers: Handlers,
    question: str,
    history: list[dict[str, Any]],
    session: ChatSession,
    **filters: Any,
) -> list[Step]:
    """Every (messages, session, sources, input box) the chat handler yields for a question."""
    return list(handlers.respond(question, history, session, **filters))


def test_an_answer_streams_in_with_citation_links_and_source_cards(handlers: Handlers) -> None:
    session = ChatSession()
    steps = ask(handlers, "What did Nazarbayev say about vaccines?", [], session)
    first_history, _, _, box = steps[0]
    assert [m["role"] for m in first_history] == ["user", "assistant"]
    assert "Searching" in text_of(first_history[-1]["content"]) and box == ""
    history, session_out, sources, _ = steps[-1]
    answer = history[-1]["content"]
    links = re.findall(r'<a class="cite" href="#(src-0-\d+)"', answer)
    cards = re.findall(r'<article class="src-card" id="(src-0-\d+)"', sources)
    assert links and sorted(set(links)) == sorted(cards)
    assert "vaccine" in text_of(answer).lower()
    assert f"{SEED}#u" in text_of(sources) and "<mark>" in sources
    assert session_out is session and len(session.conversation.turns) == 1


def test_a_follow_up_shows_the_searched_question_and_sessions_do_not_share(
    handlers: Handlers,
) -> None:
    mine, theirs = ChatSession(), ChatSession()
    history = ask(handlers, "What did Nazarbayev say about vaccines?", [], mine)[-1][0]
    follow = ask(handlers, "And what did Putin say about trade?", history, mine)[-1]
    shown = text_of(follow[0][-1]["content"])
    assert "Searched: What did Putin say about trade?" in shown
    assert "speaker: Vladimir Putin" in shown
    assert len(follow[0]) == 4 and len(mine.sections) == 2
    assert 'id="turn-1"' in follow[2] and 'id="turn-0"' in follow[2]
    # Another session asking the same words has no history to lean on.
    other = ask(handlers, "And what about him?", [], theirs)[-1]
    assert len(theirs.conversation.turns) == 1 and len(other[0]) == 2
    assert theirs.conversation.turns[0].standalone_question != "What did Putin say about trade?"


def test_filters_apply_and_bad_dates_are_refused_without_asking(handlers: Handlers) -> None:
    session = ChatSession()
    steps = ask(
        handlers, "What was said about the pineapple harvest?", [], session, speakers=["Trent"]
    )
    sources = steps[-1][2]
    assert "speaker: Trent" in text_of(steps[-1][0][-1]["content"])
    speakers = set(re.findall(r'<span class="speaker">([^<]*)</span>', sources))
    assert speakers == {"Trent"}
    with pytest.warns(UserWarning, match="2021/06/30"):
        refused = ask(handlers, "What about vaccines?", [], session, since="2021/06/30")
    assert refused[-1][0] == [] and refused[-1][3] == "What about vaccines?"
    summary = handlers.filter_summary([], [], "2022-01-01", "2021-01-01")
    assert "after Until" in text_of(summary)


def test_transcript_text_is_inert_in_the_chat_and_the_sources(handlers: Handlers) -> None:
    history, _, sources, _ = ask(
        handlers, "What did Mallory say about the pineapple harvest?", [], ChatSession()
    )[-1]
    answer = history[-1]["content"]
    for markup in (answer, sources, handlers.library_html()):
        assert "<script" not in markup and "<img" not in markup and "](" not in markup
        assert "javascript:" not in markup
    assert "<script>window.__xss=1</script>" in text_of(sources)
    assert "[click](javascript:window.__xss=3)" in text_of(sources)
    assert "Pineapple <script>window.__xss=5</script> notes" in text_of(handlers.library_html())


def test_the_closest_passages_show_when_the_assistant_abstains(handlers: Handlers) -> None:
    question = "What is the airspeed velocity of an unladen swallow?"
    answer = handlers.assistant.ask(question)
    history, _, sources, _ = ask(handlers, question, [], ChatSession())[-1]
    if answer.abstained:
        assert "closest passages" in sources.lower()
        assert sources.count('class="src-card passage"') == min(4, len(answer.passages))
        assert "closest passages are shown" in text_of(history[-1]["content"])
    else:  # the threshold let it answer: then it must cite
        assert '<a class="cite"' in history[-1]["content"]


def test_who_said_it_by_quote_and_by_reference(handlers: Handlers) -> None:
    found = handlers.who_said("thank the russian side for supporting kazakhstan")
    assert "Nursultan Nazarbayev" in text_of(found) and f"{SEED}#u8" in text_of(found)
    assert "<mark>" in found
    by_ref = handlers.who_said(f"{SEED}#u8")
    assert "vaccines" in text_of(by_ref)
    missing = handlers.who_said("no#u99999")
    assert 'class="error"' in missing and "no" in text_of(missing) and "Traceback" not in missing


def test_uploads_are_stored_under_safe_names_and_checked(
    handlers: Handlers, tmp_path: Path
) -> None:
    good = tmp_path / "harbour-meeting.txt"
    good.write_text(
        "# Harbour meeting\nDate: 2024-03-01\n\nHarriet Quill: The lighthouse keepers of "
        "Skerryvore counted four hundred puffins on the north cliff this spring.\n",
        encoding="utf-8",
    )
    big = tmp_path / "big.txt"
    big.write_bytes(b"Alice: hello\n" * 100_000)  # 1.2 MiB, over the 1 MB limit
    link = tmp_path / "link.txt"
    link.symlink_to(good)
    exe = tmp_path / "tool.exe"
    exe.write_bytes(b"MZ")
    result = handlers.upload([str(good), str(big), str(link), str(exe)])
    shown = text_of(result)
    assert "added harbour-meeting.txt" in " ".join(shown.split())
    assert "1.2 MB; the upload limit is 1 MB" in shown
    assert "links are refused" in shown and ".exe files are not transcripts" in shown
    stored = sorted(p.name for p in handlers.uploads.iterdir())
    assert stored == ["harbour-meeting.txt"]
    ids = [t.id for t in handlers.library.transcripts()]
    assert "harbour-meeting" in ids
    assert "Harriet Quill" in handlers.speaker_choices()
    # Removal deletes the transcript and its stored upload.
    removed = handlers.remove(["harbour-meeting"])
    assert "Removed 1 transcript: Harbour meeting" in text_of(removed)
    assert "harbour-meeting" not in [t.id for t in handlers.library.transcripts()]
    assert not (handlers.uploads / "harbour-meeting.txt").exists()


def test_a_traversal_name_lands_inside_the_uploads_folder(
    handlers: Handlers, tmp_path: Path
) -> None:
    # Gradio hands over a path whose last part is the client's name; a hostile client name
    # can only ever become a plain name inside uploads/.
    sneaky = tmp_path / "..%2F..%2Fescape.txt"
    sneaky.write_text("Eve: I should not leave the uploads folder.\n", encoding="utf-8")
    saved, refused = handlers.save_uploads([str(sneaky)])
    assert not refused and len(saved) == 1
    assert saved[0].parent == handlers.uploads and saved[0].name == "2F.._2Fescape.txt"
    saved[0].unlink()


def test_api_endpoints_work_from_gradio_client(library: Library, settings: Settings) -> None:
    from gradio_client import Client

    with served(library, settings) as url:
        client = Client(url, verbose=False)
        answer = client.predict("What did Nazarbayev say about vaccines?", api_name="/ask")
        assert answer["abstained"] is False
        assert answer["citations"] and answer["citations"][0]["transcript_id"] == SEED
        assert re.search(r"\[1\]", answer["answer"])
        filtered = client.predict(
            "What was said about the pineapple harvest?", ["Trent"], None, "", "", api_name="/ask"
        )
        assert filtered["filters"]["speakers"] == ["Trent"]
        found = client.predict("thank the Russian side", api_name="/lookup")
        assert found["matches"][0]["ref"] == f"{SEED}#u8"
        assert found["matches"][0]["speaker"] == "Nursultan Nazarbayev"
        with pytest.raises(Exception, match="2021/06/30"):
            client.predict("vaccines?", None, None, "2021/06/30", "", api_name="/ask")


def test_authentication_is_required_when_set(library: Library, settings: Settings) -> None:
    import httpx
    from gradio_client import Client

    locked = Settings(library=settings.library, auth="journalist:s3cret", port=free_port())
    with served(library, locked) as url:
        assert httpx.get(f"{url}/config", timeout=10).status_code == 401
        client = Client(url, auth=("journalist", "s3cret"), verbose=False)
        found = client.predict("thank the Russian side", api_name="/lookup")
        assert found["matches"]


def test_a_library_built_with_another_model_shows_a_banner(tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_text("Alice: The budget meeting moved to Thursday.\n", encoding="utf-8")
    build_library(tmp_path / "lib", HashEncoder(64), [note]).close()
    other = Library(tmp_path / "lib", HashEncoder(32))
    settings = Settings(library=str(tmp_path / "lib"), embedding_model="hash:32")
    demo = build_app(build_assistant(settings, other), settings)
    handlers: Handlers = demo.handlers  # type: ignore[attr-defined]
    banner = handlers.banner_html()
    assert "needs rebuilding" in banner and "hash-64" in text_of(banner)
    with pytest.warns(UserWarning):
        steps = list(handlers.respond("When is the budget meeting?", [], ChatSession()))
    last = text_of(steps[-1][0][-1]["content"])
    assert "hash-64" in last or "server" in last
    assert "Traceback" not in last


def test_the_command_line_refuses_a_bad_auth_value(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--auth", "no-colon", "--library", os.devnull]) == 2
    assert "tqa: auth must be user:password" in capsys.readouterr().err  # as `tqa serve` says


def test_an_llm_answer_streams_in_pieces(library: Library) -> None:
    from tests.fake_llm_server import FakeLLMServer

    with FakeLLMServer(chunk_chars=6) as server:
        settings = Settings(
            library=str(library.folder), llm_base_url=server.base_url, llm_model="fake"
        )
        handlers = Handlers(build_assistant(settings, library), settings)
        steps = ask(handlers, "What did Nazarbayev say about vaccines?", [], ChatSession())
    texts = [text_of(step[0][-1]["content"]).strip() for step in steps]
    partial = texts[1:-1]
    assert len(partial) >= 2 and all(a != b for a, b in itertools.pairwise(partial))
    assert all(len(a) <= len(b) for a, b in itertools.pairwise(partial))
    assert '<a class="cite"' in steps[-1][0][-1]["content"]
    assert 'class="src-card"' in steps[-1][2]


def test_an_empty_library_says_where_to_add_transcripts(tmp_path: Path) -> None:
    settings = Settings(library=str(tmp_path / "empty"), embedding_model="hash")
    handlers = Handlers(
        build_assistant(settings, Library(tmp_path / "empty", HashEncoder())), settings
    )
    history = ask(handlers, "What did Putin say?", [], ChatSession())[-1][0]
    assert "add transcripts in the Library tab" in text_of(history[-1]["content"])
    assert "empty" in text_of(handlers.library_html())


def test_gradio_sweeps_its_copies_of_served_files(tmp_path: Path) -> None:
    # Every answer's export is copied into Gradio's cache; without a sweep a server running for
    # weeks keeps every copy. A copy stays long enough to be downloaded.
    settings = Settings(library=str(tmp_path / "lib"), embedding_model="hash")
    demo = build_app(build_assistant(settings, Library(tmp_path / "lib", HashEncoder())), settings)
    frequency, age = demo.delete_cache
    assert 0 < frequency <= age and age >= 3600


@pytest.mark.slow
def test_a_server_stopped_by_sigterm_removes_its_temporary_files(tmp_path: Path) -> None:
    # A service manager stops the server with SIGTERM, as `app_process` does: it stops as on
    # Ctrl-C, and the folder of the conversations' exports goes with it.
    from benchmarks.serving import app_process
    from embeddings.offline import offline_env

    note = tmp_path / "note.txt"
    note.write_text("Alice: The budget meeting moved to Thursday.\n", encoding="utf-8")
    build_library(tmp_path / "lib", HashEncoder(64), [note]).close()
    temp = tmp_path / "tmp"
    temp.mkdir()
    args = ["--library", str(tmp_path / "lib"), "--port", str(free_port())]
    env = {**offline_env(), "TQA_EMBEDDING_MODEL": "hash:64", "TMPDIR": str(temp)}
    with app_process(args, env, tmp_path / "app.log") as process:
        assert len(list(temp.glob("tqa-export-*"))) == 1
    # It exits by itself: 0 once serving, 130 (as on Ctrl-C) when the signal comes as it starts.
    assert process.returncode in (0, 130), (tmp_path / "app.log").read_text()
    assert not list(temp.glob("tqa-export-*"))
