"""kremlin.ru transcripts: the seed text copy and the 508 real HTML pages."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import NamedTuple

import pytest

from qa.ingest.parsers import parse_text, read_transcript_file
from qa.models import Transcript

# Two pages in the set hold no speaker turns at all: a list of instructions ("Deadline: ...")
# and a list of appointments ("Interior Minister: Vladimir Kolokoltsev."), with no bold labels.
# Their "Name:" lines are not people speaking, so they parse as narration only.
NOT_TRANSCRIPTS = {"57078", "57495"}

# Text that belongs to the page around the transcript, never to an utterance.
PAGE_CHROME = (
    "Publication status",
    "Published in sections",
    "Publication date",
    "Direct link",
    "Text version",
    "All content on this site is licensed under",
    "Creative Commons Attribution 4.0 International",
    "Using website content",
    "Contact website team",
    "Amur tiger",
)


@pytest.fixture(scope="module")
def seed(seed_file: Path) -> Transcript:
    return read_transcript_file(seed_file)


@pytest.fixture(scope="module")
def pages(kremlin_dir: Path) -> dict[str, Transcript]:
    return {p.stem: read_transcript_file(p) for p in sorted(kremlin_dir.glob("*.html"))}


def _page(pages: dict[str, Transcript], page_id: str) -> Transcript:
    return pages[page_id]


# --- the seed: kremlin.ru copied as text ---------------------------------------------------


def test_seed_gives_fourteen_labelled_utterances_in_order(seed: Transcript) -> None:
    assert seed.format == "kremlin-text"
    assert seed.id == "meeting-with-nursultan-nazarbayev-2021-06-30"
    names = [u.canonical_speaker for u in seed.utterances]
    assert names == ["Vladimir Putin"] * 5 + ["Nursultan Nazarbayev"] * 8 + ["Vladimir Putin"]
    assert [u.index for u in seed.utterances] == list(range(14))
    assert seed.utterances[0].speaker == "President of Russia Vladimir Putin"
    assert seed.utterances[13].speaker == "Vladimir Putin"


def test_seed_texts_are_the_paragraphs(seed: Transcript) -> None:
    u = seed.utterances
    assert u[0].text == "Mr Nazarbayev,"
    assert u[1].text.startswith("First of all, I want to say that I have not seen you")
    assert "an increase of about 20 percent – over 18 already this year" in u[3].text
    # "Nursultan Nazarbayev" on one line, ": Thank you, Mr President." on the next
    assert (u[5].speaker, u[5].text) == ("Nursultan Nazarbayev", "Thank you, Mr President.")
    assert u[12].text == "I sincerely wish you success and good health."
    assert u[13].text == "Thank you very much."


def test_seed_header_and_footer_are_metadata(seed: Transcript) -> None:
    assert seed.title == "Meeting with Nursultan Nazarbayev"
    assert (seed.date, seed.time, seed.place) == ("2021-06-30", "18:40", "The Kremlin, Moscow")
    assert seed.lead == (
        "Vladimir Putin met with First President of Kazakhstan Nursultan Nazarbayev, "
        "who is in Russia on a working visit."
    )
    meta = seed.metadata
    assert meta["section"] == ["Events"]
    assert meta["captions"] == ["Meeting with First President of Kazakhstan Nursultan Nazarbayev."]
    assert meta["geography"] == ["Kazakhstan"]
    assert meta["topics"] == ["Foreign policy"]
    assert meta["persons"] == ["Nazarbayev Nursultan"]
    assert meta["sections"] == ["News", "Transcripts"]
    assert meta["publication_date"] == ["June 30, 2021, 18:40"]
    texts = {u.text for u in seed.utterances}
    assert not texts & {"4 of 4", "Kazakhstan", "Foreign policy", "Text version", "<…>", "…"}


def test_seed_copied_with_blank_lines_parses_the_same(seed_file: Path, seed: Transcript) -> None:
    spaced = seed_file.read_text(encoding="utf-8").replace("\n", "\n\n")
    t = parse_text(spaced, source=seed_file.name)
    assert t.format == "kremlin-text"
    assert t.utterances == seed.utterances
    assert (t.title, t.date, t.place) == (seed.title, seed.date, seed.place)


def test_kremlin_text_label_on_its_own_line_and_elision() -> None:
    text = "\n".join(
        [
            "Meeting with Government members",
            "January 15, 2020",
            "14:00",
            "Novo-Ogaryovo, Moscow Region",
            "Vladimir Putin: Good afternoon, colleagues.",
            "Let us begin.",
            "Prime Minister Dmitry Medvedev",
            ": Thank you, Mr President.",
            "<…>",
            "* * *",
            "Vladimir Putin: Thank you.",
        ]
    )
    t = parse_text(text, source="government.txt")
    assert t.format == "kremlin-text"
    assert [(u.canonical_speaker, u.text, u.part) for u in t.utterances] == [
        ("Vladimir Putin", "Good afternoon, colleagues.", 0),
        ("Vladimir Putin", "Let us begin.", 0),
        ("Dmitry Medvedev", "Thank you, Mr President.", 0),
        ("Vladimir Putin", "Thank you.", 1),
    ]
    assert (t.date, t.time, t.place) == ("2020-01-15", "14:00", "Novo-Ogaryovo, Moscow Region")


def test_kremlin_text_sentences_with_colons_are_not_labels() -> None:
    text = "\n".join(
        [
            "News conference",
            "March 1, 2018",
            "12:00",
            "Vladimir Putin: There are two points.",
            "Second: I did not throw anybody out.",
            "The United Kingdom: “Secession does not contradict international law.”",
            "We agreed with Vladimir Putin: the work goes on.",
        ]
    )
    t = parse_text(text, source="conference.txt")
    assert [u.speaker for u in t.utterances] == ["Vladimir Putin"] * 4
    assert t.utterances[1].text == "Second: I did not throw anybody out."


# --- five real pages of different kinds, checked by hand against the HTML -------------------


class Expected(NamedTuple):
    title: str
    date: str
    time: str
    place: str | None
    n_utterances: int  # utterances: the page's <p> minus separators, elisions and pull quotes
    first: tuple[str, str]  # the first label and how its words begin


PAGES = {
    # news conference: 79 <p>, no separators or pull quotes
    "60857": Expected(
        title="Vladimir Putin’s news conference",
        date="2019-06-29",
        time="10:50",
        place="Osaka",
        n_utterances=79,
        first=(
            "President of Russia Vladimir Putin",
            "Good afternoon. Let us begin. Go ahead, please.",
        ),
    ),
    # interview: 78 <p> minus one "* * *" and four pull quotes in <blockquote>
    "17808": Expected(
        title="Interview to the German ARD",
        date="2013-04-05",
        time="19:00",
        place=None,
        n_utterances=73,
        first=("Jörg Schönenborn (retranslated)", "Good evening, Mr President,"),
    ),
    # meeting: 32 <p> minus one "<…>"
    "57156": Expected(
        title="Meeting with Transneft President Nikolai Tokarev",
        date="2018-03-30",
        time="18:30",
        place="Novo-Ogaryovo, Moscow Region",
        n_utterances=31,
        first=(
            "President of Russia Vladimir Putin",
            "Mr Tokarev, this year Transneft marks its 25th anniversary.",
        ),
    ),
    # Direct Line: 736 <p> minus one "* * *"; the first label is split over two <b>
    "51716": Expected(
        title="Direct Line with Vladimir Putin",
        date="2016-04-14",
        time="15:40",
        place="Moscow",
        n_utterances=735,
        first=(
            "Valeriya Korableva, reporter at Channel One",
            "Good afternoon. We are live with the Direct Line with Vladimir Putin",
        ),
    ),
    # news conference with Question:/Remark: labels: 790 <p> minus one "* * *"
    "17173": Expected(
        title="News conference of Vladimir Putin",
        date="2012-12-20",
        time="16:40",
        place="Moscow",
        n_utterances=789,
        first=("President of Russia Vladimir Putin", "Good afternoon, ladies and gentlemen,"),
    ),
}


@pytest.mark.parametrize("page_id", sorted(PAGES))
def test_real_page_against_hand_checked_facts(pages: dict[str, Transcript], page_id: str) -> None:
    expected = PAGES[page_id]
    t = _page(pages, page_id)
    assert t.format == "kremlin-html"
    assert (t.title, t.date, t.time, t.place) == expected[:4]
    assert len(t.utterances) == expected.n_utterances
    first = next(u for u in t.utterances if u.speaker)
    assert first.speaker == expected.first[0]
    assert first.text.startswith(expected.first[1])
    assert t.metadata["url"] == [f"http://en.kremlin.ru/events/president/news/{page_id}"]
    assert t.metadata["sections"] == ["News", "Transcripts"]


def test_question_and_remark_labels_are_speakers(pages: dict[str, Transcript]) -> None:
    t = _page(pages, "17173")
    counts = Counter(u.speaker for u in t.utterances)
    assert counts["Remark"] == 5  # five bold "Remark:" paragraphs, none continued
    assert counts["Question"] >= 79  # 79 bold "Question:" paragraphs, some continued
    question = next(u for u in t.utterances if u.speaker == "Question")
    assert question.text == "Ksenia Sokolova, Snob magazine."
    assert question.canonical_speaker == "Question"
    # "<b>REPLY</b> (<i>without a microphone</i>)." has no colon
    reply = next(u for u in t.utterances if u.speaker == "REPLY")
    assert (reply.canonical_speaker, reply.text) == ("Reply", "(without a microphone).")
    # "<b>Dmitry Pesko</b><b>V:</b>" and a title in capitals are the same press secretary
    assert {u.speaker for u in t.utterances if u.canonical_speaker == "Dmitry Peskov"} >= {
        "Dmitry Peskov",
        "Dmitry PeskoV",
    }


def test_narration_before_first_label_has_no_speaker(pages: dict[str, Transcript]) -> None:
    t = _page(pages, "17808")
    assert t.utterances[0].speaker is None
    assert t.utterances[0].canonical_speaker is None
    assert t.utterances[0].text == "The interview was recorded on April 2, 2013 in Novo-Ogaryovo."
    direct_line = _page(pages, "51716").utterances[0]
    assert direct_line.speaker is None
    assert direct_line.text.startswith("During the live broadcast that lasted 3 hours and 40 min")


def test_parts_notes_and_pull_quotes(pages: dict[str, Transcript]) -> None:
    t = _page(pages, "17108")
    # three paragraphs of narration, "* * *", an italic note, then Putin speaks
    assert [(u.part, u.speaker) for u in t.utterances[:5]] == [
        (0, None),
        (0, None),
        (0, None),
        (1, None),
        (1, "President of Russia Vladimir Putin"),
    ]
    assert (
        t.utterances[3].text
        == "Excerpts from transcript of meeting with election campaign activists"
    )
    # after the last "* * *" Putin goes on speaking without a new label
    closing = next(u for u in t.utterances if u.text.startswith("Colleagues, I know that we"))
    assert (closing.part, closing.canonical_speaker) == (2, "Vladimir Putin")
    # a pull quote (<blockquote>) repeats a sentence; only the paragraph itself is kept
    quoted = [u for u in t.utterances if "The top priority now is to carry out" in u.text]
    assert len(quoted) == 1
    assert not quoted[0].text.startswith("“")


@pytest.mark.parametrize(
    ("page_id", "starts", "speaker", "canonical"),
    [
        # <b>Vladimir Putin (</b><i>responding to ...)</i>:
        (
            "17108",
            "First of all, concerning the development of short distance local aviation",
            "Vladimir Putin (responding to remarks by test pilot Magomed Tolboyev)",
            "Vladimir Putin",
        ),
        # <b>Question </b><i>(retranslated)</i><b>:</b>
        ("54511", "Mr Gentiloni, you mentioned Libya.", "Question (retranslated)", "Question"),
        # <b>Vladimir</b><b>PUTIN</b><b>:</b>
        ("17864", "Good.", "VladimirPUTIN", "Vladimir Putin"),
        # a person link with a hidden tooltip inside the bold label
        (
            "17162",
            "Indeed, the corporation obtained assets of 633 enterprises.",
            "CEO of Rostekhnologii State Corporation Sergei Chemezov",
            "Sergei Chemezov",
        ),
        # one "Question:" the editors left without bold, on a page that bolds it elsewhere
        ("17976", "My son is completely unmanageable.", "Question", "Question"),
        # <b>Megyn Kelly</b> I do.  (no colon)
        ("57027", "I do.", "Megyn Kelly", "Megyn Kelly"),
        # an italic editorial note is nobody's words
        ("17767", "(Galina Semya goes on to describe problems", None, None),
        # an all-bold heading with a colon is not a label
        ("58713", "Speeches at the opening of the Imperial Capitals:", None, None),
    ],
)
def test_label_variants_on_real_pages(
    pages: dict[str, Transcript],
    page_id: str,
    starts: str,
    speaker: str | None,
    canonical: str | None,
) -> None:
    utterance = next(u for u in _page(pages, page_id).utterances if u.text.startswith(starts))
    assert (utterance.speaker, utterance.canonical_speaker) == (speaker, canonical)


def test_all_pages_parse_cleanly(pages: dict[str, Transcript]) -> None:
    assert len(pages) == 508
    problems: list[str] = []
    for page_id, t in pages.items():
        labelled = [u for u in t.utterances if u.speaker]
        if page_id in NOT_TRANSCRIPTS:
            if labelled:
                problems.append(f"{page_id}: expected narration only")
            continue
        if len(labelled) < 5:
            problems.append(f"{page_id}: {len(labelled)} labelled utterances")
        if not t.title or not t.date:
            problems.append(f"{page_id}: no title or date")
        if [u.index for u in t.utterances] != list(range(len(t.utterances))):
            problems.append(f"{page_id}: indices not 0..n-1")
        for u in t.utterances:
            bad = [s for s in ("<", "&amp;", "&nbsp;", "&lt;", "\xa0", "  ") if s in u.text]
            if not u.text or bad or u.text != u.text.strip():
                problems.append(f"{page_id}#u{u.index}: text {u.text[:60]!r} has {bad}")
            if u.text.startswith(PAGE_CHROME) or u.text in ("Events", "Photo", "Video"):
                problems.append(f"{page_id}#u{u.index}: page chrome {u.text[:60]!r}")
            if u.speaker is not None and (
                not u.canonical_speaker or len(u.speaker) > 250 or "<" in u.speaker
            ):
                problems.append(f"{page_id}#u{u.index}: label {u.speaker!r}")
    assert problems == []


def test_page_with_a_stray_byte_parses_with_a_warning(pages: dict[str, Transcript]) -> None:
    # 63123.html has one byte that is not UTF-8 ("de\xe3lared"): kept, replaced, and reported
    t = _page(pages, "63123")
    assert any("0xe3" in w for w in t.metadata["warnings"])
    assert any("de\ufffdlared" in u.text for u in t.utterances)
    assert "warnings" not in _page(pages, "17108").metadata


def test_html_tags_metadata(pages: dict[str, Transcript]) -> None:
    t = _page(pages, "52843")
    # the "1 more" link of a collapsed tag list is not a person; the hidden fifth one is
    assert t.metadata["persons"] == [
        "Donskoy Sergei",
        "Dvorkovich Arkady",
        "Puchkov Vladimir",
        "Tkachev Alexander",
        "Ulyukayev Alexei",
    ]
    assert t.metadata["topics"] == ["Environment"]
    assert t.metadata["publication_date"] == ["September 7, 2016, 14:15"]
