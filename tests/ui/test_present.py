"""The UI's HTML helpers: escaping, citation links, source cards, validation of what users type."""

from __future__ import annotations

import html
import re

import pytest

from qa.answer.lookup import QuoteMatch
from qa.clock import clock
from qa.errors import InputError
from qa.ingest.parsers import EXTENSIONS
from qa.ingest.pipeline import FileResult
from qa.models import Answer, Citation, Filters, Passage, Utterance
from qa.store.library import TranscriptInfo
from ui.examples import example_questions
from ui.filters import make_filters, parse_date
from ui.present import (
    answer_html,
    esc,
    filters_summary,
    highlight,
    ingest_html,
    library_table,
    lookup_html,
    reader_link,
    sources_panel,
    sources_section,
)
from ui.uploads import safe_upload_name

SEED = "meeting-with-nursultan-nazarbayev-2021-06-30"
TITLE = "Meeting with Nursultan Nazarbayev"
# Utterances 6 to 10 of the seed transcript, as the kremlin-text parser gives them.
SEED_UTTERANCES = [
    Utterance(
        6,
        "Nursultan Nazarbayev",
        "Nursultan Nazarbayev",
        "First, your work and activity do not slow down with each passing year.",
    ),
    Utterance(
        7,
        "Nursultan Nazarbayev",
        "Nursultan Nazarbayev",
        "I cannot but meet with you, because the history of our relations, relations "
        "between Russia and Kazakhstan, are very stable.",
    ),
    Utterance(
        8,
        "Nursultan Nazarbayev",
        "Nursultan Nazarbayev",
        "And sincerely, in person, I would like to thank the Russian side for supporting "
        "Kazakhstan during the pandemic both with vaccines and medicines, and so on.",
    ),
    Utterance(
        9,
        "Nursultan Nazarbayev",
        "Nursultan Nazarbayev",
        "Remember, we went to an exhibition in St Petersburg, and then we agreed on a joint "
        "enterprise. Now in Karaganda, this enterprise produces a Russian vaccine of the "
        "same quality and in large quantities.",
    ),
    Utterance(
        10,
        "Nursultan Nazarbayev",
        "Nursultan Nazarbayev",
        "And I will never forget many things – when I fell ill, a group of Russian doctors "
        "stood by me for ten days.",
    ),
]
PAYLOADS = [
    "<script>window.__xss=1</script>",
    '<img src=x onerror="window.__xss=2">',
    "[click](javascript:window.__xss=3)",
    "javascript:alert(1)",
    "![x](https://example.org/x.png)",
    "**bold** _it_ `code` $$x^2$$ www.example.org",
]


def fetch(tid: str, start: int, end: int) -> list[Utterance]:
    assert tid == SEED
    return [u for u in SEED_UTTERANCES if start <= u.index <= end]


def citation(n: int, index: int, quote: str) -> Citation:
    return Citation(n, SEED, TITLE, "2021-06-30", "Nursultan Nazarbayev", index, index, quote)


def vaccine_answer(question: str = "What did Nazarbayev say about vaccines?") -> Answer:
    first = "I would like to thank the Russian side for supporting Kazakhstan"
    second = "this enterprise produces a Russian vaccine"
    return Answer(
        question=question,
        standalone_question="What did Nursultan Nazarbayev say about vaccines?",
        text=f"Nursultan Nazarbayev said: “{first}” [1] He added: “{second}” [2] See also [7].",
        citations=(citation(1, 8, first), citation(2, 9, second)),
        passages=(),
        abstained=False,
        filters=Filters(speakers=("Nursultan Nazarbayev",)),
    )


def visible_text(markup: str) -> str:
    """What a browser shows for markup without tags (entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup.replace("<br>", "\n")))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_esc_leaves_no_markup_or_markdown_syntax_but_shows_the_text(payload: str) -> None:
    out = esc(payload)
    assert not set(out) & set("<>[]()`*_$:")
    assert visible_text(out) == payload


def test_answer_links_only_the_citations_it_has() -> None:
    out = answer_html(vaccine_answer(), turn=3)
    assert re.findall(r'href="#([^"]+)"', out) == ["src-3-1", "src-3-2"]
    assert "&#91;7&#93;" in out  # a marker without a citation stays text
    assert "Searched: What did Nursultan Nazarbayev say about vaccines? · speaker: Nursultan" in (
        visible_text(out)
    )


def test_answer_text_from_a_transcript_is_escaped() -> None:
    quote = "<script>window.__xss=1</script> [click](javascript:window.__xss=3)"
    answer = Answer(
        "q", "q", f"Mallory said: “{quote}” [1]", (citation(1, 8, quote),), (), False, Filters()
    )
    out = answer_html(answer, 0)
    assert "<script" not in out and "](" not in out and "javascript:" not in out
    assert quote in visible_text(out)
    assert "Searched" not in out  # nothing rewritten, no filters


def test_highlight_marks_the_quote_even_with_other_spacing_and_case() -> None:
    text = SEED_UTTERANCES[3].text
    exact, found = highlight(text, "Now in Karaganda")
    assert found and "<mark>Now in Karaganda</mark>" in exact
    loose, found = highlight(text, "now  in\nkaraganda")
    assert found and "<mark>Now in Karaganda</mark>" in loose
    missing, found = highlight(text, "Mars landing")
    assert not found and "<mark>" not in missing


def test_source_cards_carry_the_ids_the_links_point_to_and_the_context() -> None:
    answer = vaccine_answer()
    section = sources_section(answer, 3, fetch)
    assert re.findall(r'id="(src-[^"]+)"', section) == ["src-3-1", "src-3-2"]
    first = section[section.index('id="src-3-1"') : section.index('id="src-3-2"')]
    # ±2 utterances around #u8 are 6..10, the cited one marked
    assert first.count('<p class="utt') == 5
    assert first.count('class="utt cited"') == 1
    assert "<mark>I would like to thank the Russian side for supporting Kazakhstan</mark>" in first
    assert f"{SEED}#u8" in visible_text(first) and "2021-06-30" in visible_text(first)


def test_an_abstention_shows_the_closest_passages() -> None:
    passage = Passage(SEED, TITLE, "2021-06-30", 6, 10, ("Nursultan Nazarbayev",), "text", 0.02)
    answer = Answer(
        "What about the Mars landing?",
        "What about the Mars landing?",
        "The transcripts don't seem to cover this.",
        (),
        (passage,),
        True,
        Filters(),
    )
    section = sources_section(answer, 0, fetch)
    assert "closest passages" in section and 'class="src-card passage"' in section
    assert f"{SEED}#u6-10" in visible_text(section)
    assert "closest passages are shown" in answer_html(answer, 0)


def test_sources_panel_opens_only_the_newest_answer() -> None:
    older = sources_section(vaccine_answer("first?"), 0, fetch)
    newer = sources_section(vaccine_answer("second?"), 1, fetch)
    panel = sources_panel([older, newer])
    assert panel.index('id="turn-1"') < panel.index('id="turn-0"')
    assert panel.count(" open>") == 1 and 'class="turn older"' in panel


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("17108.html", "17108.html"),
        ("../../etc/cron.d/evil.txt", "evil.txt"),
        ("/etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\me\\notes.TXT", "notes.txt"),
        ("..\\..\\boot.srt", "boot.srt"),
        ("meeting minutes (final).md", "meeting_minutes_final.md"),
        (".hidden.vtt", "hidden.vtt"),
        ("Встреча 2021.txt", "Встреча_2021.txt"),
        ("\u202eevil.txt", "evil.txt"),
    ],
)
def test_upload_names_never_leave_the_folder(name: str, expected: str) -> None:
    assert safe_upload_name(name, sorted(EXTENSIONS)) == expected


@pytest.mark.parametrize("name", ["payload.exe", "archive.tar.gz", "..", "", "noext", "/"])
def test_upload_names_of_other_types_are_refused(name: str) -> None:
    with pytest.raises(InputError, match="accepted types"):
        safe_upload_name(name, sorted(EXTENSIONS))


def test_dates_are_validated_and_ordered() -> None:
    assert parse_date(" 2021-06-30 ", "Since") == "2021-06-30"
    assert parse_date("", "Since") is None
    with pytest.raises(InputError, match="'30/06/2021'"):
        parse_date("30/06/2021", "Since")
    with pytest.raises(InputError, match="not a real date"):
        parse_date("2021-02-30", "Until")
    with pytest.raises(InputError, match="after Until"):
        make_filters([], [], "2022-01-01", "2021-01-01")
    f = make_filters(["Vladimir Putin"], ["17108"], "2012-01-01", None)
    assert f == Filters(("Vladimir Putin",), ("17108",), "2012-01-01", None)
    summary = filters_summary(f, {"17108": "Meeting with election campaign activists"})
    assert "speaker: Vladimir Putin" in summary and "election campaign" in summary


def test_clock() -> None:
    assert (clock(None), clock(75.4), clock(3723)) == ("", "1:15", "1:02:03")


def test_library_table_and_ingest_results_escape_titles_and_errors() -> None:
    info = TranscriptInfo(
        "xss",
        "Pineapple <script>window.__xss=5</script> notes",
        "2023-05-04",
        None,
        None,
        "plain",
        None,
        2,
        1,
        ("Mallory", "Trent"),
    )
    table = library_table([info])
    assert "<script" not in table and "Pineapple <script>window.__xss=5</script> notes" in (
        visible_text(table)
    )
    failed = FileResult("a.txt", "failed", error="<img src=x onerror=alert(1)>: empty file")
    added = FileResult("b.txt", "added", transcript_id="b", utterances=3, chunks=1)
    out = ingest_html([("a.txt", failed), ("b.txt", added)])
    assert "<img" not in out and 'class="failed"' in out and "3 utterances" in out
    added.status, added.unused_speaker_names = "replaced", {"SPEAKER_03": "<b>Guest</b>"}
    noted = visible_text(ingest_html([("b.txt", added)]))
    assert "has no speaker labelled 'SPEAKER_03'" in noted and "<b>Guest</b>" in noted
    assert "empty" in library_table([])


def test_lookup_cards_highlight_the_matched_words() -> None:
    match = QuoteMatch(
        SEED,
        TITLE,
        "2021-06-30",
        SEED_UTTERANCES[2],
        1.0,
        "thank the Russian side",
        tuple(SEED_UTTERANCES[:5]),
    )
    out = lookup_html("thank the russian side", [match])
    assert "<mark>thank the Russian side</mark>" in out and "exact words" in out
    assert f"{SEED}#u8" in visible_text(out)
    assert "No utterance" in lookup_html("words nobody said", [])


def test_example_questions_come_from_the_library() -> None:
    speakers = [("Vladimir Putin", 30), ("Question", 12), ("Dmitry Peskov", 4)]
    with_seed = example_questions([SEED, "17108"], speakers, ["Foreign policy"])
    assert with_seed[0] == "What did Nazarbayev say about vaccines?"
    generic = example_questions(["17108"], speakers, ["Foreign policy"])
    assert generic == [
        "What did Vladimir Putin say about foreign policy?",
        "What did Dmitry Peskov say about foreign policy?",
    ]
    assert example_questions(["x"], [("<img src=x>", 3)]) == []


def test_a_card_shows_the_start_time_when_the_source_has_one() -> None:
    timed = Citation(
        1,
        "ES2004a",
        "Remote control design",
        None,
        "Project Manager",
        3,
        3,
        "we need a remote control",
        start_s=75.0,
    )
    u = Utterance(3, "PM", "Project Manager", "Okay, so we need a remote control.", 75.0)
    section = sources_section(
        Answer("q", "q", "x [1]", (timed,), (), False, Filters()), 0, lambda t, a, b: [u]
    )
    assert "at 1:15" in visible_text(section) and "ES2004a#u3" in visible_text(section)
    assert "<mark>we need a remote control</mark>" in section


def test_a_citation_opens_the_reader_cued_to_its_sentence() -> None:
    cited = reader_link("t<1>", 4, 5, start_s=83.25)
    assert 'data-tid="t&lt;1&gt;"' in cited and 'data-t="83.250"' in cited
    assert "data-t=" not in reader_link("t1", 4)
    assert "data-t=" not in reader_link("t1", 4, start_s=float("nan"))
