"""The reply to an exchange, read from real transcripts' turns."""

from __future__ import annotations

from pathlib import Path

from qa.answer.replies import asking_turn, names_a_role, only_fillers, reply_turn, role_words
from qa.ingest.parsers import read_transcript_file
from qa.models import Utterance


def _after(utterances: tuple[Utterance, ...], index: int) -> tuple[Utterance, list[Utterance]]:
    return utterances[index], [u for u in utterances if u.index > index]


def test_the_reply_is_the_next_turn_by_the_person_asked_about(seed_file: Path) -> None:
    # Nazarbayev thanks Russia for vaccines (u8) and goes on to u12; Putin's reply is u13.
    prompt, following = _after(read_transcript_file(seed_file).utterances, 8)
    turn = reply_turn(prompt, following, ["Vladimir Putin"], [], else_next=False)
    assert [u.index for u in turn] == [13]
    assert turn[0].text == "Thank you very much."
    # Unnamed, it is whoever speaks next.
    assert reply_turn(prompt, following, [], [], else_next=True) == turn


def test_a_person_who_does_not_speak_after_the_exchange_gave_no_reply(seed_file: Path) -> None:
    prompt, following = _after(read_transcript_file(seed_file).utterances, 8)
    assert reply_turn(prompt, following, ["Dmitry Peskov"], [], else_next=False) == []
    # A name the library does not know is read in the labels, and labels nobody here.
    assert not names_a_role("Ken Thompson")
    assert reply_turn(prompt, following, [], role_words("Ken Thompson"), else_next=False) == []
    # Putin's last words end the meeting: Nazarbayev does not answer them.
    prompt, following = _after(read_transcript_file(seed_file).utterances, 13)
    assert reply_turn(prompt, following, ["Nursultan Nazarbayev"], [], else_next=False) == []


def test_a_role_is_read_in_the_speakers_labels_or_is_whoever_speaks_next(real_dir: Path) -> None:
    # Commons, 22 January 1976: Mr. Kilfedder asks about the 21 tons of explosives (u22), and
    # the Secretary of State, labelled "Mr. Rees", answers (u23).
    utterances = read_transcript_file(real_dir / "hansard-uk-commons-1976-01-22.xml").utterances
    prompt, following = _after(utterances, 22)
    assert prompt.speaker == "Mr. Kilfedder"
    roles = role_words("the Northern Ireland Secretary")
    assert roles == ["northern", "ireland", "secretary"] and names_a_role("the Secretary")
    turn = reply_turn(prompt, following, [], roles, else_next=True)
    assert [u.speaker for u in turn] == ["Mr. Rees"]
    assert turn[0].text.startswith("The fact that the explosives were found shows that the IRA")


def test_a_role_in_a_label_picks_that_speaker_over_the_next(qmsum_dir: Path) -> None:
    # AMI meetings label people by role. ES2006b: the Project Manager asks for questions (u129),
    # the Industrial Designer speaks first (u130); "the User Interface designer" is "User
    # Interface" (two of its words, against one), who answers at u131.
    meeting = read_transcript_file(qmsum_dir / "ES2006b.json").utterances
    prompt, following = _after(meeting, 129)
    assert prompt.speaker == "Project Manager" and following[0].speaker == "Industrial Designer"
    roles = role_words("the User Interface designer")
    turn = reply_turn(prompt, following, [], roles, else_next=True)
    assert [u.index for u in turn] == [131]
    assert turn[0].text.startswith("Um well , I think the buttons are still")


def test_the_reply_follows_the_question_the_asker_gets_to(kremlin_dir: Path) -> None:
    # The 2012 news conference (17173): Antonina Lukina's preamble (u133) is interrupted twice
    # by Putin ("You should spend less time reading things online…", "Thank you.") before she
    # asks (u137); his answer is u138.
    utterances = read_transcript_file(kremlin_dir / "17173.html").utterances
    prompt, following = _after(utterances, 133)
    asked = asking_turn(prompt, following)
    assert asked.index == 137
    turn = reply_turn(asked, following, ["Vladimir Putin"], [], else_next=False)
    assert [u.index for u in turn] == [138]
    assert turn[0].text.startswith("It serves political opponents")
    # A question asked at once is answered by the next turn.
    prompt, following = _after(utterances, 137)
    assert asking_turn(prompt, following) is prompt


def test_a_filler_holds_the_floor_without_replying(qmsum_dir: Path) -> None:
    # IS1006b: the Marketing expert proposes a remote personalised to each user (u464); the
    # Project Manager's "{vocalsound}" (u465) is no reply; the Industrial Designer's is (u466).
    meeting = read_transcript_file(qmsum_dir / "IS1006b.json").utterances
    prompt, following = _after(meeting, 464)
    assert only_fillers(following[0].text) and not only_fillers("No.")
    turn = reply_turn(prompt, following, [], [], else_next=True)
    assert turn[0].index == 466 and turn[0].speaker == "Industrial Designer"
