"""The dev and held-out suites: schema, size, the split by transcript, and every gold item
checked against the real transcript files it was written from."""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path

import pytest

from eval.suite import Evidence, SuiteQuestion, load_suite
from eval.suite_check import (
    COUNTING_KIND,
    WHO_SAID_KINDS,
    SourceFile,
    check_questions,
    raw_text,
    source_files,
)

SUITES = Path(__file__).resolve().parents[2] / "eval" / "suites"
DEV = SUITES / "dev.jsonl"
HELDOUT = SUITES / "heldout.jsonl"
HELDOUT2 = SUITES / "heldout2.jsonl"
HELDOUT3 = SUITES / "heldout3.jsonl"
# In the order they were written: heldout, then heldout2 onwards, each after the one before
# had been run. A new held-out suite is added here.
HELDOUTS = (HELDOUT, HELDOUT2, HELDOUT3, *(SUITES / f"heldout{k}.jsonl" for k in range(4, 42)))
# Written once every kremlin.ru page had been used: new questions on transcripts earlier held-out
# suites use (never dev's or a training suite's), about facts none of them asks.
REASKED = tuple(
    SUITES / f"heldout{k}.jsonl"
    for k in (24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41)
)
HAND = SUITES / "hand.jsonl"
# Follow-ups asking how an exchange was answered ("And what did Putin answer?"), split by
# transcript into a dev and a held-out half; they share transcripts with the suites above.
REPLIES = (SUITES / "replies-dev.jsonl", SUITES / "replies-heldout.jsonl")
# Written for the weights to learn from only (eval/train_pair_scorer.py, train_answerability.py),
# on transcripts no held-out suite uses: train5, train6, train11 and train12 on QMSum *train*
# meetings.
TRAINING = tuple(SUITES / f"train{k}.jsonl" for k in range(1, 13))

KINDS = {
    "factual",
    "number",
    "date",
    "person",
    "who-said",
    "reason",
    "yes/no",
    "list",
    "follow-up",
    "occasion",
    "cross-transcript",
    "counting",
    "unanswerable",
}


@pytest.fixture(scope="module")
def dev() -> list[SuiteQuestion]:
    return load_suite(DEV)


@pytest.fixture(scope="module")
def heldout() -> list[SuiteQuestion]:
    """The held-out suites (heldout2 onwards were each written later, on transcripts no
    suite had)."""
    return [q for suite in HELDOUTS for q in load_suite(suite)]


@pytest.fixture(scope="module")
def training() -> list[SuiteQuestion]:
    return [q for suite in TRAINING for q in load_suite(suite)]


def transcripts_of(q: SuiteQuestion) -> set[str]:
    """Every transcript a question touches: its evidence, scope and near-miss transcripts."""
    near = q.extra.get("near_transcripts", [])
    return {e.transcript_id for e in q.evidence} | set(q.transcripts) | set(near)


def test_every_question_has_the_shape_its_kind_needs(
    dev: list[SuiteQuestion], heldout: list[SuiteQuestion], training: list[SuiteQuestion]
) -> None:
    ids = [q.id for q in dev + heldout + training]
    assert len(ids) == len(set(ids)), "a question id is in two suites"
    for q in dev + heldout + training:
        assert q.kind in KINDS, q.id
        assert transcripts_of(q), f"{q.id}: names no transcript"
        if q.answerable:
            assert q.evidence and q.answers, q.id
            assert all(a.strip() for a in q.answers), q.id
            assert q.kind != "unanswerable", q.id
        else:
            assert q.kind == "unanswerable" and not q.answers and not q.evidence, q.id
            assert q.extra.get("near_transcripts"), f"{q.id}: a near-miss names its transcript"
        if q.kind == "follow-up":
            assert q.history, f"{q.id}: a follow-up needs the previous turn"
        if q.kind == "cross-transcript":
            assert len({e.transcript_id for e in q.evidence}) >= 2, q.id
        if q.kind == COUNTING_KIND:
            assert isinstance(q.extra.get("count"), dict), q.id


def test_size_variety_and_share_of_unanswerable(
    dev: list[SuiteQuestion], heldout: list[SuiteQuestion]
) -> None:
    every = dev + heldout
    assert len(dev) >= 40 and len(heldout) >= 40
    assert len(every) >= 150
    assert len(set().union(*(transcripts_of(q) for q in every))) >= 30
    share = sum(not q.answerable for q in every) / len(every)
    assert 0.15 <= share <= 0.3, f"unanswerable share {share:.2f}, about a fifth wanted"
    kinds = Counter(q.kind for q in every)
    assert all(kinds[k] >= 2 for k in KINDS), kinds


def test_no_transcript_is_in_both_splits(
    dev: list[SuiteQuestion], heldout: list[SuiteQuestion]
) -> None:
    in_dev = set().union(*(transcripts_of(q) for q in dev))
    in_heldout = set().union(*(transcripts_of(q) for q in heldout))
    assert not in_dev & in_heldout
    first, second = load_suite(HELDOUT), load_suite(HELDOUT2)
    in_first = set().union(*(transcripts_of(q) for q in first))
    assert not in_first & set().union(*(transcripts_of(q) for q in second))


def test_training_suites_use_no_transcript_of_another_suite(
    dev: list[SuiteQuestion], heldout: list[SuiteQuestion], training: list[SuiteQuestion]
) -> None:
    """Nor may a held-out suite written later (add it to `HELDOUTS`): its figures must stay
    those of transcripts the weights never learned from."""
    in_training = set().union(*(transcripts_of(q) for q in training))
    shared = in_training & set().union(*(transcripts_of(q) for q in dev + heldout))
    assert not shared, sorted(shared)
    assert len(training) >= 300 and len(in_training) >= 50
    share = sum(not q.answerable for q in training) / len(training)
    assert 0.15 <= share <= 0.3, f"unanswerable share {share:.2f}"


# In the order they were written: each later held-out suite came after all those before it.
WRITTEN = (DEV, HAND, *HELDOUTS)


@pytest.mark.parametrize(
    ("suite", "earlier"),
    [
        pytest.param(suite, WRITTEN[:i], id=suite.stem)
        for i, suite in enumerate(WRITTEN)
        if i >= WRITTEN.index(HELDOUT3) and suite not in REASKED
    ],
)
def test_later_heldout_is_fresh_and_sized_like_heldout2(
    suite: Path, earlier: tuple[Path, ...]
) -> None:
    """heldout3 was written after heldout and heldout2 had both been run, heldout4 after
    heldout3 had been run too, then each later one after the one before: none of a later
    suite's transcripts may be in an earlier suite, or it is no longer unseen."""
    later = load_suite(suite)
    in_later = set().union(*(transcripts_of(q) for q in later))
    for other in earlier:
        shared = in_later & set().union(*(transcripts_of(q) for q in load_suite(other)))
        assert not shared, f"{other.name} also uses {sorted(shared)}"
    assert len(later) >= 70 and len(in_later) >= 20
    share = sum(not q.answerable for q in later) / len(later)
    assert 0.15 <= share <= 0.3, f"unanswerable share {share:.2f}, about a fifth wanted"
    kinds = Counter(q.kind for q in later)
    assert all(kinds[k] >= 2 for k in KINDS), kinds


@pytest.mark.parametrize("suite", REASKED, ids=lambda path: path.stem)
def test_a_reasked_heldout_asks_what_no_earlier_suite_asks(suite: Path) -> None:
    """Its transcripts are not new, so its questions must be: no gold quote shares text with
    an earlier suite's on the same transcript, and no question is asked twice."""
    later = load_suite(suite)
    earlier = [q for other in WRITTEN[: WRITTEN.index(suite)] for q in load_suite(other)]
    quotes: dict[str, list[str]] = {}
    for q in earlier:
        for e in q.evidence:
            quotes.setdefault(e.transcript_id, []).append(e.quote)
    for q in later:
        for e in q.evidence:
            repeated = [o for o in quotes.get(e.transcript_id, []) if e.quote in o or o in e.quote]
            assert not repeated, f"{q.id} quotes what an earlier suite quotes: {repeated}"
    asked = {q.question.lower() for q in earlier}
    assert not [q.id for q in later if q.question.lower() in asked]
    assert len(later) >= 70 and len(set().union(*(transcripts_of(q) for q in later))) >= 20
    share = sum(not q.answerable for q in later) / len(later)
    assert 0.15 <= share <= 0.3, f"unanswerable share {share:.2f}, about a fifth wanted"
    assert set(Counter(q.kind for q in later)) == KINDS


def test_every_gold_quote_and_answer_checks_out_against_the_real_files(
    shared_data: Path,
    dev: list[SuiteQuestion],
    heldout: list[SuiteQuestion],
    training: list[SuiteQuestion],
) -> None:
    files = source_files(shared_data)
    sources = {tid: SourceFile(path) for tid, path in files.items()}
    replies = [q for suite in REPLIES for q in load_suite(suite)]
    problems = check_questions(dev + heldout + training + replies, sources)
    assert not problems, "\n".join(map(str, problems))


def test_the_reply_suites_ask_for_replies_split_by_transcript() -> None:
    halves = [load_suite(suite) for suite in REPLIES]
    for half in halves:
        assert len(half) >= 20
        assert all(q.kind == "follow-up" and len(q.history) == 1 for q in half)
        assert 2 <= sum(not q.answerable for q in half) <= len(half) // 4
    dev_ids, heldout_ids = ({t for q in half for t in transcripts_of(q)} for half in halves)
    assert not dev_ids & heldout_ids


def test_ids_are_the_ids_the_library_gives_the_files(
    shared_data: Path,
    dev: list[SuiteQuestion],
    heldout: list[SuiteQuestion],
    training: list[SuiteQuestion],
) -> None:
    files = source_files(shared_data)
    for tid in set().union(*(transcripts_of(q) for q in dev + heldout + training)):
        assert tid in files, f"{tid}: no file under {shared_data} has this stem"
        parsed = SourceFile(files[tid]).parsed
        if parsed is not None:  # some real/ exports do not parse today
            assert parsed.id == tid


def test_the_check_finds_bad_gold(shared_data: Path, dev: list[SuiteQuestion]) -> None:
    sources = {tid: SourceFile(path) for tid, path in source_files(shared_data).items()}
    quoted = next(q for q in dev if q.kind == "number" and q.evidence[0].quote)
    ev = quoted.evidence[0]
    assert ev.quote is not None
    bad_quote = dataclasses.replace(
        quoted, evidence=(Evidence(ev.transcript_id, quote=ev.quote + " and then some"),)
    )
    bad_answer = dataclasses.replace(quoted, answers=("a figure nobody said",))
    who = next(q for q in dev if q.kind in WHO_SAID_KINDS and q.transcripts == ())
    wrong_speaker = dataclasses.replace(who, answers=("Somebody Else",))
    count = next(q for q in dev if q.kind == COUNTING_KIND)
    wrong_count = dataclasses.replace(
        count,
        extra={
            **count.extra,
            "count": {**count.extra["count"], "value": count.extra["count"]["value"] + 1},
        },
    )
    messages = [
        str(p)
        for p in check_questions([bad_quote, bad_answer, wrong_speaker, wrong_count], sources)
    ]
    assert any("not in the raw file" in m for m in messages), messages
    assert any("is not in its quote" in m for m in messages), messages
    assert any("is not the speaker" in m for m in messages), messages
    assert any("the gold says" in m for m in messages), messages


def test_raw_text_strips_markup_of_each_format(shared_data: Path) -> None:
    real = shared_data / "real"
    if not real.is_dir():
        pytest.skip(f"real exports not found at {real}")
    vtt = " ".join(raw_text(real / "youtube-chrome64-devtools.en.vtt"))
    assert "-->" not in vtt and "Performance Monitor" in vtt
    md = raw_text(real / "gotime-100-rob-pike.md")[-1]
    assert "**" not in md and "[laughs]" in md
    docx = raw_text(real / "docx-uoe-bayes-lecture.docx")[0]
    assert "<w:" not in docx and "25% of all new policyholders" in docx
    nlp = raw_text(real / "rev-earnings21-4386541.nlp")[0]
    assert "|" not in nlp and nlp.startswith("Welcome to the Cumulus")
    page = raw_text(shared_data / "kremlin" / "html" / "62366.html")
    assert all("<p>" not in reading for reading in page)
    # A person's hidden card inside the link on his name is not what the page shows.
    carded = raw_text(shared_data / "kremlin" / "html" / "54487.html")
    assert any("I think that Mr Zhukov chairs it." in reading for reading in carded)
