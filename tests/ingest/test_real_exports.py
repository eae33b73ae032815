"""Every file of ../shared/data/real parsed as a person would check it against the raw file.

Counts, speakers, a few texts exactly, times where the file has them, and no markup or escape
left in any text. The files are byte-for-byte copies of public exports (see MANIFEST.md there);
each test skips when the folder is missing.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from qa.ingest.parsers import read_transcript_file
from qa.models import Transcript, Utterance

# Markup or escapes that must never reach an utterance's text.
# ("***" is a word bleeped in the Webex file itself; "**" alone is Markdown bold.)
_LEFTOVER_RE = re.compile(r"<[a-zA-Z/\d]|\\\[|\\\]|(?<!\*)\*\*(?!\*)|^\s*:|-->|\]\(http")


def parse(real_dir: Path, name: str, fmt: str) -> Transcript:
    t = read_transcript_file(real_dir / name)
    assert t.format == fmt, f"{name} read as {t.format}"
    for u in t.utterances:
        assert u.text and not _LEFTOVER_RE.search(u.text), (name, u.index, u.text[:80])
        assert u.text == u.text.strip() and "  " not in u.text
    return t


def speakers(t: Transcript) -> set[str | None]:
    return {u.speaker for u in t.utterances}


def said(t: Transcript, i: int) -> tuple[str | None, str]:
    return t.utterances[i].speaker, t.utterances[i].text


def times(u: Utterance) -> tuple[float | None, float | None]:
    return u.start_s, u.end_s


def assert_timed_in_order(t: Transcript) -> None:
    """Every utterance has a start; starts never go back by more than an overlap."""
    starts = [u.start_s for u in t.utterances if u.start_s is not None]
    assert len(starts) == len(t.utterances)
    assert all(b >= a - 5 for a, b in itertools.pairwise(starts))


def words(t: Transcript) -> list[str]:
    return " ".join(u.text for u in t.utterances).split()


# ------------------------------------------------------------------------------ subtitles


def test_zoom_vtt(real_dir: Path) -> None:
    t = parse(real_dir, "zoom-cip-section-planning.vtt", "vtt")
    # 284 cues merge into fewer, sentence-complete utterances; speakers from "Name: " prefixes.
    assert 100 <= len(t.utterances) <= 160
    assert speakers(t) == {"Ashlee Kupor (SL)", "Dora Demszky"}
    assert set(t.speakers) == {"Ashlee Kupor", "Dora Demszky"}  # the role suffix is dropped
    assert said(t, 0) == ("Ashlee Kupor (SL)", "Let's do that")
    # cue 3 has no prefix: it continues Dora's cue 2 and merges with it and cue 4
    assert said(t, 1) == (
        "Dora Demszky",
        "by, too. We? And then No, it's gonna. I think it's transcribing.",
    )
    assert times(t.utterances[1]) == (1.79, 12.05)
    assert said(t, 3) == (
        "Ashlee Kupor (SL)",
        "Okay, great. Can you send a few things in the chat, too?",
    )
    assert_timed_in_order(t)


def test_webex_vtt_speaker_from_the_cue_id(real_dir: Path) -> None:
    t = parse(real_dir, "webex-wgu-d386-kahoot-review.vtt", "vtt")
    assert 120 <= len(t.utterances) <= 177
    assert speakers(t) == {"PatJohn Ashkin"}
    assert t.utterances[0].text.startswith("Okay, hello, everyone. Welcome to tonight's Kahoot")
    assert times(t.utterances[0]) == (4.019, 24.019)
    assert said(t, 43) == ("PatJohn Ashkin", "PowerPoint is to do slide presentations.")
    assert t.utterances[-1].end_s == 2946.112
    assert_timed_in_order(t)


def test_teams_vtt_unpadded_times(real_dir: Path) -> None:
    t = parse(real_dir, "teams-webvtt-py-pr45-fragment.vtt", "vtt")
    got = [(u.speaker, u.text, u.start_s, u.end_s) for u in t.utterances]
    assert got == [
        ("Yuri Bakulin", "There you go.", 0.0, 0.57),
        ("Adrian Petrescu", "Why hello there, Yuri.", 0.21, 1.13),
    ]


def test_youtube_rolling_auto_captions_said_once(real_dir: Path) -> None:
    t = parse(real_dir, "jsconf-opher-vishnia.en.vtt", "vtt")
    assert speakers(t) == {None}
    text = " ".join(u.text for u in t.utterances)
    # Each cue repeats the line before it; every phrase must come out once, in order.
    assert text.count("hi Leon yeah okay cool how's everyone doing") == 1
    assert text.startswith("hi Leon yeah okay cool how's everyone doing how amazing is Jase conf")
    w = words(t)
    sixes = [tuple(w[i : i + 6]) for i in range(len(w) - 5)]
    assert len(set(sixes)) >= 0.99 * len(sixes)  # no repeated runs of six words
    assert 3500 <= len(w) <= 5000  # ~29 min of talk, not tripled
    assert t.utterances[0].start_s == 0.03
    assert said(t, 46) == (None, "one two three raise your hands thank you so much you")
    assert times(t.utterances[46]) == (1749.82, 1763.83)
    assert all(len(u.text.split()) <= 100 for u in t.utterances)  # bounded without punctuation
    assert_timed_in_order(t)


def test_youtube_plain_captions(real_dir: Path) -> None:
    t = parse(real_dir, "youtube-chrome64-devtools.en.vtt", "vtt")
    assert 8 <= len(t.utterances) <= 20
    assert speakers(t) == {None}
    assert "[MUSIC PLAYING]" not in " ".join(u.text for u in t.utterances)
    assert t.metadata["non_speech"][0] == "[MUSIC PLAYING]"
    assert t.utterances[0].text.startswith("Welcome back. In Chrome 64 we've got a new Performance")
    # cues broken mid-sentence ("Show Performance | Monitor.") end up in one utterance
    assert t.utterances[0].text.endswith("then select Show Performance Monitor.")
    assert said(t, 9) == (
        None,
        "That's it. Thanks for watching. See you in six weeks for Chrome 65.",
    )
    assert times(t.utterances[9]) == (202.191, 205.81)


def test_council_captions_vtt(real_dir: Path) -> None:
    t = parse(real_dir, "huntsville-council-2026-07-10-budget-work-session.captions.vtt", "vtt")
    assert 60 <= len(t.utterances) <= 200  # 565 cues
    assert speakers(t) == {None}
    assert t.utterances[0].start_s == 57.299
    assert t.utterances[0].text.startswith("All right, friends, it is 10 o'clock and this session")
    last = t.utterances[-1]
    assert last.text == (
        "OK, any other questions and thoughts we are adjourned. Thank you all for your input."
    )
    assert times(last) == (1870.38, 1876.459)
    assert all(len(u.text.split()) <= 100 for u in t.utterances)


def test_srt_talk_merges_sentences(real_dir: Path) -> None:
    t = parse(real_dir, "3b1b-bitcoin.en.srt", "srt")
    assert 50 <= len(t.utterances) <= 150  # 380 cues
    assert speakers(t) == {None}
    assert t.utterances[0].text.startswith("What does it mean to have a Bitcoin? Many people")
    assert times(t.utterances[0])[0] == 3.9
    assert said(t, 71) == (None, "I know you know that, but it really does help.")
    assert times(t.utterances[71]) == (1497.28, 1499.32)
    # utterances end where sentences end, save the bounded unpunctuated case
    ended = sum(u.text.endswith((".", "?", "!", '"')) for u in t.utterances)
    assert ended >= 0.9 * len(t.utterances)


def test_whisperx_srt_speaker_labels(real_dir: Path) -> None:
    t = parse(real_dir, "medford-council-2013-06-05-first141cues.srt", "srt")
    assert 40 <= len(t.utterances) <= 141
    assert speakers(t) == {f"SPEAKER_{n:02d}" for n in (2, 3, 4, 5, 7, 9, 17)}
    assert said(t, 0) == ("SPEAKER_03", "You on?")  # not ": You on?"
    assert said(t, 1) == (
        "SPEAKER_03",
        "The 19th regular meeting of the Medford City Council will come to order. "
        "The clerk will call the roll.",
    )
    assert times(t.utterances[1]) == (5.902, 9.363)
    assert said(t, 9) == ("SPEAKER_09", "I agree with that 100%.")


# ----------------------------------------------------------------------------- Markdown, text


def test_google_meet_markdown(real_dir: Path) -> None:
    t = parse(real_dir, "google-meet-polygon-ppgc-29.md", "plain")
    assert t.title == "Polygon Protocol Governance Call - 2025/01/16 15:52 GMT - Transcript"
    assert speakers(t) == {"Harry Rook", "Christopher Von Hessert", "Simon Dosch", "Raneet Debnath"}
    assert 25 <= len(t.utterances) <= 45
    assert "Liminal Notetaker" in t.metadata["attendees"][0]  # the attendee list is not talk
    assert t.metadata["footer"][0] == "Meeting ended after 00:18:42 👋"
    assert not any("computer generated" in u.text for u in t.utterances)
    assert said(t, 17) == ("Raneet Debnath", "Yeah, Thanks, Harry, could you go to the PIP once?")
    assert said(t, 30) == ("Harry Rook", "Thanks again for joining the call.")
    # the bare "00:05:00" marks give the next utterance its time
    assert [u.start_s for u in t.utterances if u.start_s is not None] == [300.0, 600.0, 900.0]


def test_otter_export_in_markdown(real_dir: Path) -> None:
    t = parse(real_dir, "otter-thatsmyjamstack-jason-lengstorf.md", "plain")
    assert len(t.utterances) == 64  # one per Otter header, with one or two spaces before the time
    assert speakers(t) == {"Bryan Robinson", "Jason Lengstorf"}
    assert (t.title, t.date) == (
        "Jason Lengstorf on the edge cases, rediscovering common knowledge and much more",
        "2020-01-28",
    )
    assert said(t, 3) == ("Jason Lengstorf", "Yeah, thanks for having me.")
    assert [u.start_s for u in t.utterances[:4]] == [2.0, 22.0, 43.0, 45.0]
    assert t.utterances[-1].start_s == 23 * 60 + 32
    assert all(u.start_s is not None for u in t.utterances)
    assert t.metadata["footer"][0] == "Transcribed by https://otter.ai"
    assert not any("NuxtJS" in u.text for u in t.utterances)  # show notes are not talk
    assert "* Hasura * OAuth * OneGraph" in t.metadata["notes"]


def test_podcast_markdown_bold_names_and_escaped_times(real_dir: Path) -> None:
    t = parse(real_dir, "gotime-100-rob-pike.md", "plain")
    assert speakers(t) == {"Carmen Andoh", "Jon Calhoun", "Rob Pike", "Robert Griesemer"}
    assert 128 <= len(t.utterances) <= 180  # 128 turns plus their continuation paragraphs
    assert said(t, 3) == ("Rob Pike", "Great! Thanks for inviting us.")
    six = t.utterances[6]
    assert six.text.startswith("[laughs] Right. The third -- I tried to get the hattrick")
    pike = next(u for u in t.utterances if u.text == "45 minutes.")  # "\[04:22\] 45 minutes."
    assert (pike.speaker, pike.start_s) == ("Rob Pike", 262.0)
    bill = next(u for u in t.utterances if u.text.startswith("So we had worked together"))
    assert (bill.speaker, bill.start_s) == ("Rob Pike", 503.0)  # an unlabelled paragraph
    assert sum(u.start_s is not None for u in t.utterances) >= 10


def test_markdown_bold_time_and_diarised_label(real_dir: Path) -> None:
    t = parse(real_dir, "ethereum-history-ep007-jacob-czepluch_opus.md", "plain")
    assert len(t.utterances) == 110
    assert speakers(t) == {"SPEAKER_00", "SPEAKER_01"}
    assert [said(t, i) for i in (0, 1)] == [
        ("SPEAKER_00", "So, hello."),
        ("SPEAKER_01", "Hello, Bob."),
    ]
    assert said(t, 3) == ("SPEAKER_01", "Good enough, yes. There you go.")
    assert [u.start_s for u in t.utterances[:5]] == [1.0, 2.0, 3.0, 14.0, 15.0]
    assert t.utterances[-1].start_s == 952.0


def test_earnings_call_header_is_metadata(real_dir: Path) -> None:
    t = parse(real_dir, "msft-fy25q4-earnings-call.md", "plain")
    assert (t.title, t.date) == ("MSFT Q4 2025 Earnings Call Transcript", "2025-07-30")
    assert t.metadata["company"] == ["MSFT"] and t.metadata["quarter"] == ["Q4 2025"]
    assert len(t.utterances) == 34
    names = speakers(t)
    assert not names & {"Company", "Quarter", "Date"}
    assert {"Operator", "Jonathan Neilson", "Satya Nadella", "Amy E. Hood"} <= names
    assert said(t, 8) == (
        "Operator",
        "The next question comes from the line of Mark Moerdler with Bernstein Research.",
    )
    assert t.utterances[0].text.startswith("Greetings, and welcome to the Microsoft Fiscal Year")


def test_whisperx_text_paragraphs(real_dir: Path) -> None:
    t = parse(real_dir, "ethereum-history-ep004-taylor-gerring_whisperx.txt", "plain")
    assert len(t.utterances) == 94
    assert speakers(t) == {f"SPEAKER_0{n}" for n in range(5)} | {"UNKNOWN"}
    assert said(t, 0) == ("SPEAKER_02", "That little love. Fantastic.")
    assert said(t, 1) == ("SPEAKER_03", "All here. Hello. Hello. We are back.")
    assert all(u.start_s is None for u in t.utterances)


def test_committee_hearing_with_an_empty_label(real_dir: Path) -> None:
    t = parse(real_dir, "ca-assembly-education-2017-03-15-hid51835.txt", "plain")
    assert len(t.utterances) == 41
    assert t.metadata["header"][0] == (
        "Discussion of CA Assembly Standing Committee on Education held on 2017-03-15"
    )
    assert said(t, 0) == ("Patrick O'Donnell", "She'll be presenting AB 10, file item number one.")
    assert t.utterances[0].start_s == 9 * 60 + 25
    unknown = [u for u in t.utterances if u.speaker is None]
    assert [(u.text, u.start_s) for u in unknown] == [("Ms. Weber.", 22 * 3600 / 60 + 41)]
    assert all(u.start_s is not None for u in t.utterances)
    assert len(speakers(t)) == 27  # 26 named people and the unknown one


def test_senate_interview_labels_and_examination(real_dir: Path) -> None:
    t = parse(real_dir, "senate-judiciary-simpson-2017-08-22.txt", "court")
    names = speakers(t)
    assert {"MR. DAVIS", "MR. SIMPSON", "MS. SAWYER", "MR. LEVY", "MR. FOSTER"} <= names
    # cover pages are metadata, not speakers
    assert not any(n and ("APPEARANCES" in n or "INTERVIEW" in n) for n in names)
    assert "INTERVIEW OF: GLENN SIMPSON" in t.metadata["header"]
    assert "Q" not in names
    # the cover's one sentence is narration (when and where); its lists stay metadata
    assert said(t, 0) == (
        None,
        "The interview in this matter was held at the Hart Senate Office Building, "
        "commencing at 9:34 a.m.",
    )
    assert [u.index for u in t.utterances if u.speaker is None] == [0]
    assert said(t, 1)[1].startswith("Good morning. This is the transcribed interview of Glenn")
    assert said(t, 2) == ("MR. DAVIS", "Would the witness please state your name for the record.")
    assert said(t, 3) == ("MR. SIMPSON", "Glenn Simpson.")
    # "BY MS. SAWYER:" then Q. (hers) and A. (the witness, named in the header)
    first_q = next(u for u in t.utterances if u.text.startswith("Mr. Simpson, again, I'm Heather"))
    assert first_q.speaker == "MS. SAWYER"
    answer = next(u for u in t.utterances[first_q.index :] if u.speaker != "MS. SAWYER")
    assert answer.speaker == "MR. SIMPSON"
    assert answer.text.startswith("Public information is our specialty.")
    assert not any(u.text.startswith("(Whereupon") for u in t.utterances)
    # centred notes are metadata; "(phonetic)" opening a wrapped line of speech is speech
    assert t.metadata["notes"].count("(A short break was had.)") == 10
    assert len(t.metadata["notes"]) < 60
    assert any("(phonetic) rings a bell" in u.text for u in t.utterances)
    assert 1600 <= len(t.utterances) <= 2500  # paragraphs of 1,626 labelled turns and Q./A.
    assert said(t, len(t.utterances) - 1) == (
        "MR. DAVIS",
        "Nothing further. We're going off the record at 7:04.",
    )


def test_lecture_docx(real_dir: Path) -> None:
    t = parse(real_dir, "docx-uoe-bayes-lecture.docx", "docx")
    assert speakers(t) == {None}
    assert 30 <= len(t.utterances) <= 48
    assert t.utterances[0].text.startswith("Hi everyone, I’m Dr Federico Andreis and this is")
    assert said(t, 5) == (None, "Ok! Let me disappear, and let’s get started.")
    # slide markers ("--Title page--") are sections, not talk
    assert "Course materials and resources" in t.metadata["sections"]
    assert not any(u.text.startswith("--") for u in t.utterances)


# ---------------------------------------------------------------------------------- JSON


def test_whisper_json_in_an_envelope(real_dir: Path) -> None:
    t = parse(real_dir, "awsbytes-ep45-oidc.whisper.json", "whisper")
    assert t.metadata["segments"] == ["296"]
    assert 40 <= len(t.utterances) <= 150
    assert speakers(t) == {None}
    assert t.utterances[0].text.startswith(
        "If you're thinking of using an external CI-CD tool to deploy to AWS"
    )
    assert times(t.utterances[0])[0] == 0.0
    assert t.utterances[-1].end_s == 1634.72
    assert t.metadata["language"] == ["en"]
    assert_timed_in_order(t)


def test_diarised_json_with_millisecond_times(real_dir: Path) -> None:
    t = parse(real_dir, "rational-reminder-ep299.diarized.json", "whisper")
    assert speakers(t) == {"SPEAKER_00", "SPEAKER_01", "SPEAKER_02", "SPEAKER_03"}
    assert len(t.utterances) <= 165
    assert times(t.utterances[0]) == (8.282, 22.12)  # start_time 8282 ms
    assert "milliseconds" in t.metadata["time_unit"][0]
    assert said(t, 14) == (
        "SPEAKER_02",
        "I mean, it's gotta be the fiercest arena in the history of humankind.",
    )
    assert not any("C:\\" in v for vs in t.metadata.values() for v in vs)
    assert_timed_in_order(t)


def test_whisper_ctranslate2_diarised_catalan(real_dir: Path) -> None:
    t = parse(real_dir, "whisper-ctranslate2-dosparlants-diarized.json", "whisper")
    assert speakers(t) == {"SPEAKER_00", "SPEAKER_01"}
    assert [said(t, i) for i in range(3)] == [
        ("SPEAKER_01", "Hola, bon dia, com et dius?"),
        ("SPEAKER_00", "Hola, bon dia, em dic Carme."),
        ("SPEAKER_01", "D'on ets, Carme?"),
    ]
    assert times(t.utterances[1]) == (2.0, 4.0)
    assert t.metadata["language"] == ["ca"]


def test_whisperx_raw_json(real_dir: Path) -> None:
    t = parse(real_dir, "whisperx-sps-board-audit-finance.json", "whisper")
    assert speakers(t) == {"SPEAKER_02", "SPEAKER_11", "SPEAKER_18", "SPEAKER_22"}
    assert 30 <= len(t.utterances) <= 97
    assert t.utterances[0].text.startswith("of audit and finance will read the audit announcement")
    assert t.utterances[0].start_s == 0.369
    assert said(t, 17) == (
        "SPEAKER_02",
        "And we are going to see the same thing happen potentially with Fort Lawton.",
    )
    assert_timed_in_order(t)


def test_deepgram_utterances(real_dir: Path) -> None:
    t = parse(real_dir, "deepgram-nasa-spacewalk-diarized.json", "deepgram")
    assert speakers(t) == {"Speaker 0", "Speaker 1", "Speaker 2"}
    assert 8 <= len(t.utterances) <= 22  # 22 Deepgram utterances, same-speaker runs merged
    assert t.utterances[0].text.startswith("And, Jessica, Christina, we are so proud of you.")
    assert t.utterances[0].start_s == 3.04
    assert said(t, 3) == ("Speaker 1", "Thank you, Drew. Thank you so much.")
    assert said(t, len(t.utterances) - 1) == ("Speaker 1", "Copy.")
    assert_timed_in_order(t)


def test_assemblyai_milliseconds(real_dir: Path) -> None:
    t = parse(real_dir, "assemblyai-nasa-spacewalk-utterances.json", "assemblyai")
    assert len(t.utterances) == 1
    u = t.utterances[0]
    assert (u.speaker, u.start_s, u.end_s) == ("Speaker A", 0.17, 25.14)
    assert u.text.startswith("Yeah. As much as it's worth celebrating the first spacewalk")
    assert u.text.endswith("didn't get the same opportunities that we have today.")


def test_rev_editor_json(real_dir: Path) -> None:
    t = parse(real_dir, "rev-coraal-ROC_se0_ag3_f_02_2.json", "rev")
    assert len(t.utterances) == 23  # one per monologue
    assert speakers(t) == {"Interviewee", "Interviewer"}
    assert said(t, 0) == ("Interviewee", "You could ask me some questions.")
    assert said(t, 1) == ("Interviewer", "Yeah. Okay, great.")
    # monologue 2 has no startTime: its first word's time is used
    assert t.utterances[1].start_s == pytest.approx(2.04)
    assert t.utterances[0].start_s == 0.39
    assert all(u.start_s is not None for u in t.utterances)


def test_rev_nlp_tokens(real_dir: Path) -> None:
    t = parse(real_dir, "rev-earnings21-4386541.nlp", "rev-nlp")
    assert speakers(t) == {f"Speaker {n}" for n in range(5)}
    assert 20 <= len(t.utterances) <= 120
    assert t.utterances[0].text.startswith(
        "Welcome to the Cumulus Media quarterly earnings conference call. I will now turn the "
        "call over to Collin Jones, senior vice president"
    )
    assert said(t, 60) == ("Speaker 2", "Okay. Thanks, everybody.")
    assert "[inaudible]" in " ".join(u.text for u in t.utterances)
    assert all(u.start_s is None for u in t.utterances)  # the file has no times


def test_coraal_rows(real_dir: Path) -> None:
    t = parse(real_dir, "coraal-ROC_se0_ag3_f_02_2.txt", "coraal")
    assert speakers(t) == {"ROC_int_01", "ROC_se0_ag3_f_02"}
    assert t.metadata["pause_rows"] == ["100"]
    # overlap brackets gone; redactions and unclear words written as [name], [unintelligible]
    text = " ".join(u.text for u in t.utterances)
    assert "(pause" not in text and "/" not in text
    assert set(re.findall(r"\[[^\]]*\]", text)) == {"[name]", "[work]", "[unintelligible]"}
    assert said(t, 1) == ("ROC_se0_ag3_f_02", "You could ask me some questions.")  # "[You could]"
    assert times(t.utterances[1]) == (0.3403, 2.0704)
    assert said(t, 4) == (
        "ROC_int_01",
        "there wasn't a lot of discrimination against same sex couples.",
    )
    assert 15 <= len(t.utterances) <= 120


def test_hansard_xml(real_dir: Path) -> None:
    t = parse(real_dir, "hansard-uk-commons-1976-01-22.xml", "hansard")
    assert (t.title, t.date) == ("HOUSE OF COMMONS", "1976-01-22")
    assert len(t.utterances) == 30  # 22 contributions, 6 questions, 2 lines of narration
    assert said(t, 0) == (None, "The House met at hall-past Two o'clock")
    assert said(t, 2)[0] == "Mr. Michael Latham"
    assert said(t, 2)[1].startswith("asked the Secretary of State for Northern Ireland whether")
    rees = t.utterances[8]
    assert rees.speaker == "Mr. Merlyn Rees (The Secretary of State for Northern Ireland)"
    assert rees.canonical_speaker == "Merlyn Rees"
    # Named in full once, by surname after: one person each.
    later = {u.speaker: u.canonical_speaker for u in t.utterances if u.speaker}
    assert later["Mr. Rees"] == "Merlyn Rees" and later["Mr. Latham"] == "Michael Latham"
    assert later["Mr. Beith"] == "Beith"  # no fuller name in this sitting: left as it is
    # the column break <col>1514</col> falls mid-sentence and stays out of the text
    assert "the murder of ten Protestants near Bessbrook" in rees.text
    assert not any("1514" in u.text for u in t.utterances)
    assert all(u.start_s is None for u in t.utterances)


def test_merged_cues_keep_each_cue_start(real_dir: Path) -> None:
    """A quote from the middle of a merged utterance is cited at its own cue's start time."""
    raw = (real_dir / "3b1b-bitcoin.en.srt").read_text(encoding="utf-8")
    cue_re = re.compile(r"(\d\d):(\d\d):(\d\d),(\d{3}) --> .*\n(.+)")
    starts = {
        m[5].strip(): int(m[1]) * 3600 + int(m[2]) * 60 + int(m[3]) + int(m[4]) / 1000
        for m in cue_re.finditer(raw)
    }
    t = parse(real_dir, "3b1b-bitcoin.en.srt", "srt")
    first = t.utterances[0]
    many = "Many people have heard of Bitcoin"
    assert first.time_at(0) == 3.9
    assert first.time_at(first.text.index(many)) == 7.42
    marked = [u for u in t.utterances if u.marks]
    assert len(marked) >= 0.8 * len(t.utterances)
    for u in marked:
        for offset, start_s in u.marks:
            cue_text = next(text for text in starts if u.text.startswith(text, offset))
            assert starts[cue_text] == pytest.approx(start_s), (u.index, offset)
            assert u.time_at(offset + 3) == start_s


@pytest.mark.parametrize(
    ("name", "date"),
    [
        # the date is only in the file name, or only in the title
        ("ca-assembly-education-2017-03-15-hid51835.txt", "2017-03-15"),
        ("medford-council-2013-06-05-first141cues.srt", "2013-06-05"),
        ("senate-judiciary-simpson-2017-08-22.txt", "2017-08-22"),
        ("google-meet-polygon-ppgc-29.md", "2025-01-16"),  # "…Call - 2025/01/16 15:5…"
        # the file's own date wins over its name's
        ("hansard-uk-commons-1976-01-22.xml", "1976-01-22"),
        ("msft-fy25q4-earnings-call.md", "2025-07-30"),
        # digits that are no date: an id, an episode
        ("rev-earnings21-4386541.nlp", None),
        ("rational-reminder-ep299.diarized.json", None),
    ],
)
def test_a_transcript_is_dated_by_its_file_name_when_it_says_no_date(
    real_dir: Path, name: str, date: str | None
) -> None:
    assert read_transcript_file(real_dir / name).date == date
