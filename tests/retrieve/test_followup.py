"""Follow-ups made standalone, offline."""

from __future__ import annotations

import pytest

from qa.models import Filters
from qa.retrieve.followup import Turn, make_standalone

KNOWN = ["Vladimir Putin", "Nursultan Nazarbayev", "Dmitry Peskov"]
SEED = "meeting-with-nursultan-nazarbayev-2021-06-30"


def _turn(question: str, speakers: tuple[str, ...] = (), **kw: object) -> Turn:
    filters = Filters(speakers=speakers, **kw)  # type: ignore[arg-type]
    return Turn(question, question, filters, speakers, ("seed",))


def _vaccines(*cited: tuple[str, int]) -> Turn:
    """The answer about vaccines in the seed transcript, which quoted Nazarbayev at `cited`."""
    question = "What did Nazarbayev say about vaccines?"
    return Turn(question, question, Filters(), ("Nursultan Nazarbayev",), (SEED,), "", cited)


def test_a_question_without_history_is_its_own_standalone() -> None:
    result = make_standalone("What did Putin say about trade?", [], KNOWN)
    assert result.question == "What did Putin say about trade?" and result.filters.is_empty()


def test_pronoun_takes_the_previous_speaker() -> None:
    history = [_turn("What did Nazarbayev say about vaccines?", ("Nursultan Nazarbayev",))]
    result = make_standalone("And what did he say about trade?", history, KNOWN)
    assert result.question == "What did Nursultan Nazarbayev say about trade?"
    assert result.filters.speakers == ("Nursultan Nazarbayev",)
    possessive = make_standalone("What was his view on trade?", history, KNOWN)
    assert possessive.question == "What was Nursultan Nazarbayev's view on trade?"


def test_pronoun_takes_the_person_asked_about_before_the_one_quoted() -> None:
    # The California Assembly Education Committee, 2017-03-15: the answer about Kiley's vote
    # quotes the chair, O'Donnell; "he" is still Kiley.
    known = ["Patrick O'Donnell", "Kevin Kiley", "Vladimir Putin", "Konstantin Panyushkin"]
    vote = "How did Kevin Kiley vote on AB 10 in the Assembly Education Committee?"
    history = [Turn(vote, vote, Filters(), ("Patrick O'Donnell",), ("hearing",))]
    result = make_standalone("What was the first change he suggested?", history, known)
    assert result.question == "What was the first change Kevin Kiley suggested?"
    # After "Which journalist…?" it is the journalist the answer found (the 2019 news conference).
    asker = "Which journalist asked Putin about climate change at the 2019 press conference?"
    history = [Turn(asker, asker, Filters(), ("Konstantin Panyushkin",), ("62366",))]
    result = make_standalone("Which outlet does he work for?", history, known)
    assert result.question == "Which outlet does Konstantin Panyushkin work for?"


def test_plural_pronouns_are_left_to_the_topic() -> None:
    history = [_turn("How many children did the hospital treat?", ("Vladimir Putin",))]
    result = make_standalone("And how many of them received care there?", history, KNOWN)
    # "them" is not the speaker: it points at the last question's topic, which is searched too.
    assert result.question == "How many of them received care there (children hospital treat)?"
    assert result.filters.speakers == ()


def test_reply_question_without_topic_carries_topic_and_transcript() -> None:
    history = [_turn("What did Nazarbayev say about vaccines?", ("Nursultan Nazarbayev",))]
    result = make_standalone("And what did Putin answer?", history, KNOWN)
    assert result.question == "What did Putin answer about vaccines?"
    assert result.filters.transcripts == ("seed",)


@pytest.mark.parametrize(
    ("follow_up", "replier", "maybe"),
    [
        ("And what did Putin answer?", "Putin", False),
        (
            "How did the Northern Ireland Secretary answer that?",
            "Northern Ireland Secretary",
            False,
        ),
        (
            "And how did the User Interface designer respond to that idea?",
            "User Interface designer",
            False,
        ),
        ("What was Putin's response?", "Putin's", False),
        ("And what was the response from the minister?", "minister", False),
        ("And what did Mr. Powell say in reply to him?", "Mr. Powell", False),
        ("What did the chair say to that?", "chair", True),
        ("What did the professor say?", "professor", True),
        ("What did Rob Pike say?", "Rob Pike", True),
        ("How was that answered?", "", False),
        ("Which way did the answer go?", "", False),
        ("What answer came back?", "", False),
        ("And the reply to that?", "", False),
        ("So how did they react?", "", False),  # "they": whoever spoke next
        # The person the answer quoted does not reply to himself: whoever spoke next did.
        ("What was his reply?", "", False),
        ("What did she tell him?", "", True),
        ("And what was he told?", "", True),
        # The person named got the answer; whoever spoke next gave it.
        ("What answer did Nazarbayev get?", "", False),
        ("How was that idea received?", "", False),
        ("How was that received by Putin?", "Putin", False),
    ],
)
def test_a_question_asking_for_the_reply_points_at_the_exchange_the_answer_led_with(
    follow_up: str, replier: str, maybe: bool
) -> None:
    # The seed transcript: the answer about vaccines quoted Nazarbayev's u8 and u9; the reply is
    # whatever comes after them, in words that need not share the topic's.
    history = [_vaccines((SEED, 8), (SEED, 9), ("other", 3))]
    result = make_standalone(follow_up, history, KNOWN)
    assert (result.reply_to, result.replier, result.reply_maybe) == ((SEED, 8), replier, maybe)


def test_a_pronoun_for_someone_the_answer_did_not_quote_names_the_replier() -> None:
    # "…what did Megyn Kelly ask Putin…?" filtered on Putin, quoting Kelly: "he" is Putin.
    question = "What did Megyn Kelly ask Putin about the hackers?"
    history = [
        Turn(
            question,
            question,
            Filters(speakers=("Vladimir Putin",)),
            ("Megyn Kelly",),
            ("54688",),
            "",
            (("54688", 40),),
        )
    ]
    result = make_standalone("How did he respond?", history, KNOWN)
    assert (result.reply_to, result.replier) == (("54688", 40), "Vladimir Putin")


@pytest.mark.parametrize(
    "follow_up",
    [
        "And what did Putin answer about trade?",  # a topic of its own: searched as asked
        "What one-word answer did his wife give when he asked her whether he should sign it?",
        "And what did he say about trade?",
        "What did he say?",  # what the person quoted said
        "Did the minister go for it?",
    ],
)
def test_a_question_with_its_own_topic_asks_for_no_reply(follow_up: str) -> None:
    assert make_standalone(follow_up, [_vaccines((SEED, 8))], KNOWN).reply_to is None


def test_a_reply_is_asked_of_an_answer_that_quoted_something() -> None:
    # After an abstention there is no exchange to reply to: the question is searched.
    history = [_turn("What did Nazarbayev say about vaccines?", ("Nursultan Nazarbayev",))]
    assert make_standalone("And what did Putin answer?", history, KNOWN).reply_to is None


def test_what_about_a_year_a_person_or_a_topic() -> None:
    history = [_turn("What did Putin say about Crimea in 2014?", ("Vladimir Putin",))]
    year = make_standalone("What about 2018?", history, KNOWN)
    assert year.question == "What did Putin say about Crimea in 2018?"
    assert year.filters.speakers == ("Vladimir Putin",)
    person = make_standalone("What about Peskov?", history, KNOWN)
    assert person.question == "What did Dmitry Peskov say about Crimea in 2014?"
    topic = make_standalone(
        "How about sanctions?",
        [_turn("What did Putin say about trade?", ("Vladimir Putin",))],
        KNOWN,
    )
    assert topic.question == "What did Putin say about sanctions?"


def test_dates_carry_when_the_follow_up_leans_on_the_last_turn() -> None:
    history = [
        _turn(
            "What did Putin say in 2014?",
            ("Vladimir Putin",),
            since="2014-01-01",
            until="2014-12-31",
        )
    ]
    result = make_standalone("And what did he say about gas?", history, KNOWN)
    assert (result.filters.since, result.filters.until) == ("2014-01-01", "2014-12-31")
    fresh = make_standalone("What did Peskov say about gas prices?", history, KNOWN)
    assert fresh.filters.is_empty() and fresh.question == "What did Peskov say about gas prices?"


def test_a_time_into_the_recording_carries_to_a_follow_up_that_continues() -> None:
    asked = "Around minute 12, what did the councillors say about the budget?"
    history = [_turn(asked, from_s=660.0, to_s=840.0)]
    why = make_standalone("And why was that?", history, KNOWN)
    assert (why.filters.from_s, why.filters.to_s) == (660.0, 840.0)
    assert why.filters.transcripts == ("seed",)
    # Its own time wins; a question on another topic starts afresh.
    own = make_standalone("And what did they say at 30:00?", history, KNOWN)
    assert own.filters.from_s is None and own.filters.to_s is None
    fresh = make_standalone("What did Putin say about vaccines?", history, KNOWN)
    assert fresh.filters.from_s is None


def test_what_about_another_time_asks_the_same_question_there() -> None:
    asked = "What did they say about the budget around minute 12?"
    history = [_turn(asked, from_s=660.0, to_s=840.0)]
    result = make_standalone("What about minute 20?", history, KNOWN)
    assert result.question == "What did they say about the budget, minute 20?"
    assert result.filters.from_s is None  # the retriever reads the new time from the question
    assert result.favoured == ("seed",)


def test_after_an_abstention_a_follow_up_leans_on_the_last_question() -> None:
    asked = "What was the interactive live-action VR film Opher Vishnia worked on?"
    abstained = Turn(asked, asked, Filters())  # nothing cited: no transcript to stay in
    result = make_standalone("And who starred in it?", [abstained], KNOWN)
    assert result.question.startswith("Who starred in it (")
    assert "vishnia" in result.question and "film" in result.question
    assert result.favoured == ()
    # After an answer, the follow-up stays in its transcript and keeps to its own words.
    answered = Turn(asked, asked, Filters(), (), ("jsconf-opher-vishnia.en",))
    kept = make_standalone("And who starred in it?", [answered], KNOWN)
    assert kept.question == "Who starred in it?"
    assert kept.favoured == ("jsconf-opher-vishnia.en",)


def test_what_about_a_name_asks_the_last_question_of_it() -> None:
    history = [
        _turn("How much did Kyrgyzstan's trade with Russia grow after it joined the EAEU?"),
    ]
    result = make_standalone("What about Armenia's?", history, KNOWN)
    expected = "How much did Armenia's trade with Russia grow after it joined the EAEU?"
    assert result.question == expected
    trade = [_turn("What did Putin say about trade with China?", ("Vladimir Putin",))]
    # The speaker's name stays; the other name gives way.
    swapped = make_standalone("And what about India?", trade, KNOWN)
    assert swapped.question == "What did Putin say about trade with India?"
    assert swapped.filters.speakers == ("Vladimir Putin",)


def test_a_follow_up_whose_subject_points_back_stays_in_the_last_answers_transcript() -> None:
    # VTB's Kostin to Putin, September 2016 (kremlin.ru 52973), and the IS1006 functional
    # design meeting (QMSum): the follow-up has words of its own ("bridges", "cheaply"), and
    # its subject, "it", is what the last answer was about.
    toll = "What is the Western High-Speed Diameter toll road worth, according to VTB's Kostin?"
    answered = Turn(toll, toll, Filters(), ("Andrei Kostin",), ("52973",), "", (("52973", 4),))
    bridges = make_standalone("How many bridges does it include?", [answered], KNOWN)
    assert bridges.filters.transcripts == ("52973",)
    assert bridges.near == (("52973", 4),)
    remote = (
        "In the meeting where industrial designer Ramaro described the remote, what did he list?"
    )
    designed = Turn(remote, remote, Filters(), ("Industrial Designer",), ("IS1006b",))
    cheap = make_standalone("Why could it be made so cheaply?", [designed], KNOWN)
    assert cheap.filters.transcripts == ("IS1006b",)
    needed = make_standalone("Over what period would that money be needed?", [answered], KNOWN)
    assert needed.filters.transcripts == ("52973",)
    # A question with a subject of its own is only led toward that transcript.
    own = make_standalone(
        "How many bridges does the Crimean bridge project include?", [answered], KNOWN
    )
    assert own.filters.transcripts == () and own.favoured == ("52973",)


def test_naming_again_whom_the_last_exchange_was_about_still_continues_it() -> None:
    # Putin's videoconference with Mishustin, 30 April 2020 (kremlin.ru 63297): the follow-up
    # names Putin again, whom the last question asked about, and stays in that transcript.
    known = ["Vladimir Putin", "Mikhail Mishustin", "Dmitry Peskov"]
    wish = "What did Putin wish Prime Minister Mishustin at the end of their April 30, 2020 call?"
    answered = Turn(wish, wish, Filters(), ("Vladimir Putin",), ("63297",))
    hospital = make_standalone(
        "And what did Putin ask him to do once he got to the hospital?", [answered], known
    )
    assert hospital.filters.transcripts == ("63297",)
    # Mishustin was named in the last question too; whom the answer quoted counts as well.
    assert make_standalone(
        "And what did Mishustin promise?", [answered], known
    ).filters.transcripts == ("63297",)
    # Someone new starts another exchange: neither kept to that transcript nor led to it.
    peskov = make_standalone("And what did Peskov say about the hospital?", [answered], known)
    assert peskov.filters.transcripts == () and peskov.favoured == ()


def test_naming_someone_who_speaks_where_the_last_answer_was_continues_there() -> None:
    # The Arctic meeting on Alexandra Land, March 2017 (kremlin.ru 54147): Medvedev was not
    # named before, but he speaks there.
    arctic = "At the March 2017 meeting on Alexandra Land, what did Putin say about the programme?"
    answered = Turn(arctic, arctic, Filters(), ("Vladimir Putin",), ("54147",))
    follow_up = "And what did Medvedev propose doing with it?"
    there = ("Vladimir Putin", "Dmitry Medvedev")
    kept = make_standalone(follow_up, [answered], [*KNOWN, "Dmitry Medvedev"], there)
    assert kept.filters.transcripts == ("54147",)
    elsewhere = make_standalone(follow_up, [answered], [*KNOWN, "Dmitry Medvedev"])
    assert elsewhere.filters.transcripts == () and elsewhere.favoured == ()
