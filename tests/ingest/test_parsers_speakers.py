"""Canonical speaker names (qa.speakers), on labels found in the real data."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.ingest.parsers import read_transcript_file
from qa.speakers import (
    canonical_speaker,
    canonical_speakers,
    labelled_name,
    second_mention,
    spoken_name,
)


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        # kremlin.ru: titles before the name are dropped
        ("President of Russia Vladimir Putin", "Vladimir Putin"),
        ("President of Russia Vladimir Putin:", "Vladimir Putin"),
        ("  Vladimir\u00a0 Putin : ", "Vladimir Putin"),
        ("Prime Minister Dmitry Medvedev", "Dmitry Medvedev"),
        ("Presidential Press Secretary Dmitry Peskov", "Dmitry Peskov"),
        ("Deputy Prime Minister Tatyana Golikova", "Tatyana Golikova"),
        ("Director of the Moscow Variety theatre Gennady Hazanov", "Gennady Hazanov"),
        ("CEO of French Energy Company Total Patrick Pouyanne", "Patrick Pouyanne"),
        ("Labour and Social Protection MINISTER MAXIM TOPILIN", "Maxim Topilin"),
        ("UN Secretary-General Antonio Guterres", "Antonio Guterres"),
        ("Federal President of Austria Alexander Van der Bellen", "Alexander Van der Bellen"),
        ("King of Bahrain Hamad Bin Isa Al Khalifa (retranslated)", "Hamad Bin Isa Al Khalifa"),
        ("President of Syria Bashar al-Assad (re-translated)", "Bashar al-Assad"),
        ("Sr Lieutenant A. Vedyashchev", "A. Vedyashchev"),
        ("Olympic ice hockey champion Ilya Kovalchuk", "Ilya Kovalchuk"),
        ("Yevgeny Rozhkov, reporter at VGTRK", "Yevgeny Rozhkov"),
        ("CNBC TV anchor Geoff Cutmore, moderator of the plenary session", "Geoff Cutmore"),
        ("Patriarch Kirill", "Patriarch Kirill"),
        # a portfolio or a see before the name, cut by commas or ending "All <country>"
        (
            "Minister of Digital Development, Communications and Mass Media Maksut Shadayev",
            "Maksut Shadayev",
        ),
        (
            "Co-chair of Vladimir Putin’s election campaign and General Director of the Dmitry "
            "Rogachev National Medical Research Centre for Pediatric Hematology, Oncology and "
            "Immunology Alexander Rumyantsev",
            "Alexander Rumyantsev",
        ),
        ("Patriarch of Moscow and All Russia Kirill", "Patriarch Kirill"),
        ("Ruler of Dubai Sheikh Mohammed", "Sheikh Mohammed"),
        # remarks in brackets
        ("Vladimir Putin (responding to remarks by test pilot Magomed Tolboyev)", "Vladimir Putin"),
        ("Question (retranslated)", "Question"),
        ("Question from Izhevsk", "Question"),
        # typing slips in the pages
        ("VladimirPutin", "Vladimir Putin"),
        ("VladimirPUTIN", "Vladimir Putin"),
        ("Dmitry PeskoV", "Dmitry Peskov"),
        ("Arnold SCHWARZENEGGER", "Arnold Schwarzenegger"),
        # kept as they are
        ("Question", "Question"),
        ("Remark", "Remark"),
        ("REPLY", "Reply"),
        ("SPEAKER_00", "SPEAKER_00"),
        ("PERSON3", "PERSON3"),
        ("(PERSON3)", "PERSON3"),
        ("Speaker 2", "Speaker 2"),
        ("Prime Minister", "Prime Minister"),
        ("Press Secretary", "Press Secretary"),
        ("Nursultan Nazarbayev", "Nursultan Nazarbayev"),
        ("Recep Tayyip Erdogan", "Recep Tayyip Erdogan"),
        # QMSum roles and parliamentary labels
        ("Project Manager", "Project Manager"),
        ("Industrial Designer", "Industrial Designer"),
        ("Professor E", "Professor E"),
        ("Grad A", "Grad A"),
        ("Professor Jean White", "Jean White"),
        ("Dr David Blaney", "David Blaney"),
        ("Lynne Neagle AM", "Lynne Neagle"),
        ("Hon. Bill Blair (Minister of Public Safety and Emergency Preparedness)", "Bill Blair"),
        ("Right Hon. Justin Trudeau (Prime Minister)", "Justin Trudeau"),
        ("Mr. Chris d'Entremont (West Nova, CPC)", "Chris d'Entremont"),
        ("The Chair (Hon. Anthony Rota (NipissingTimiskaming, Lib.))", "Anthony Rota"),
        ("The Chair", "The Chair"),
    ],
)
def test_canonical_speaker(label: str, expected: str) -> None:
    assert canonical_speaker(label) == expected


@pytest.mark.parametrize("label", [None, "", "   ", ":"])
def test_no_label_no_speaker(label: str | None) -> None:
    assert canonical_speaker(label) is None


def test_a_transcript_completes_names_from_its_other_labels() -> None:
    # Alone, the title hides where the name begins; the bare label in the same
    # transcript shows it.
    titled = "President of Turkey Recep Tayyip Erdogan (retranslated)"
    assert canonical_speaker(titled) == "Tayyip Erdogan"
    names = canonical_speakers([titled, "Recep Tayyip Erdogan", "Vladimir Putin", None])
    assert names == {
        titled: "Recep Tayyip Erdogan",
        "Recep Tayyip Erdogan": "Recep Tayyip Erdogan",
        "Vladimir Putin": "Vladimir Putin",
    }


def test_real_page_has_one_name_per_person(kremlin_dir: Path) -> None:
    t = read_transcript_file(kremlin_dir / "52816.html")
    assert t.speakers == ["Vladimir Putin", "Recep Tayyip Erdogan"]
    labels = {u.speaker for u in t.utterances if u.canonical_speaker == "Recep Tayyip Erdogan"}
    assert labels == {
        "President of Turkey Recep Tayyip Erdogan (retranslated)",
        "Recep Tayyip Erdogan",
    }


def test_a_titled_surname_is_the_one_member_of_that_name() -> None:
    names = canonical_speakers(
        ["Mr. Merlyn Rees (The Secretary of State)", "Mr. Rees", "Rees", "Mr. Carson", "Dr. Glyn"]
    )
    assert names["Mr. Rees"] == "Merlyn Rees"
    assert names["Rees"] == "Rees"  # no title: a label, maybe another person, kept
    assert names["Mr. Carson"] == "Carson" and names["Dr. Glyn"] == "Glyn"
    two = canonical_speakers(["Mr. John Smith", "Mrs. Mary Smith", "Mr. Smith"])
    assert two["Mr. Smith"] == "Smith"  # two Smiths: which one is not guessed


def test_a_bare_surname_is_said_with_its_title(real_dir: Path) -> None:
    """A hearing's "MR. LEVY" and Hansard's "Dr. Glyn" are one word once the title goes: the
    answer says "MR. LEVY said", as the transcript names him; full names are said as they are."""
    hearing = read_transcript_file(real_dir / "senate-judiciary-simpson-2017-08-22.txt")
    hansard = read_transcript_file(real_dir / "hansard-uk-commons-1976-01-22.xml")
    said = {
        u.speaker: spoken_name(u.speaker, u.canonical_speaker)
        for u in (*hearing.utterances, *hansard.utterances)
        if u.speaker
    }
    assert said["MR. LEVY"] == "MR. LEVY" and said["MS. SAWYER"] == "MS. SAWYER"
    assert said["Dr. Glyn"] == "Dr. Glyn"
    rees = "Mr. Merlyn Rees (The Secretary of State for Northern Ireland)"
    assert said[rees] == "Merlyn Rees"
    assert spoken_name("Vladimir Putin", "Vladimir Putin") == "Vladimir Putin"
    assert spoken_name("SPEAKER_00", "SPEAKER_00") == "SPEAKER_00"
    assert spoken_name(None, None) is None


def test_a_who_said_answer_names_the_speaker_as_labelled_too(real_dir: Path) -> None:
    """ "Who said…?" is answered with the transcript's label beside the library's name (Hansard's
    "Mr. Latham" is Michael Latham), or the label alone when it holds the name."""
    hansard = read_transcript_file(real_dir / "hansard-uk-commons-1976-01-22.xml")
    named = {
        u.speaker: labelled_name(u.speaker, u.canonical_speaker)
        for u in hansard.utterances
        if u.speaker
    }
    assert named["Mr. Latham"] == "Michael Latham (Mr. Latham)"
    assert named["Mr. Rees"] == "Merlyn Rees (Mr. Rees)"
    # The Senedd's "Angela Burns AM", a hearing's bare surname, a diarised label.
    assert labelled_name("Angela Burns AM", "Angela Burns") == "Angela Burns AM"
    assert labelled_name("MR. LEVY", "LEVY") == "MR. LEVY"
    assert labelled_name("SPEAKER_00", "SPEAKER_00") == "SPEAKER_00"
    assert labelled_name(None, None) is None


@pytest.mark.parametrize(
    ("name", "again"),
    [
        ("Nursultan Nazarbayev", "Nazarbayev"),
        ("Huw Irranca-Davies", "Irranca-Davies"),
        # diarised and role labels are named whole: "3 added", "Manager also said" named nobody
        ("Speaker 3", "Speaker 3"),
        ("SPEAKER_00", "SPEAKER_00"),
        ("Grad A", "Grad A"),
        ("Project Manager", "Project Manager"),
        ("Industrial Designer", "Industrial Designer"),
        ("Patriarch Kirill", "Patriarch Kirill"),
        ("LEVY", "LEVY"),
    ],
)
def test_a_second_mention_names_a_person_by_surname_and_a_role_whole(name: str, again: str) -> None:
    assert second_mention(name) == again
