"""`tqa speakers`: the list, its JSON, renames, and refusals as one-line messages."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from qa.cli import main
from tests.conftest import require_shared

PODCAST = "rational-reminder-ep299.diarized"
SPEAKER_KEYS = {"name", "labels", "utterances", "sample", "sample_ref"}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A library of the podcast ingested through the CLI (built once; refusals leave it so)."""
    files = tmp_path_factory.mktemp("cli-speaker-files")
    shutil.copy(require_shared("real", f"{PODCAST}.json"), files)
    folder = tmp_path_factory.mktemp("cli-speakers") / "lib"
    assert main(["--library", str(folder), "--model", "hash:64", "ingest", str(files)]) == 0
    return folder


@pytest.fixture()
def library(built: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    capsys.readouterr()  # the ingest's report
    return ["--library", str(built), "--model", "hash:64"]


@pytest.fixture()
def own_library(built: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """A copy of the library the test may change."""
    capsys.readouterr()  # the ingest's report
    shutil.copytree(built, tmp_path / "lib")
    return ["--library", str(tmp_path / "lib"), "--model", "hash:64"]


def test_speakers_lists_renames_and_the_names_show_in_answers(
    own_library: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    library = own_library
    code, out, _ = run(capsys, *library, "speakers", PODCAST, "--json")
    listed = json.loads(out)
    assert code == 0 and listed["transcript_id"] == PODCAST
    assert set(listed) == {"transcript_id", "title", "speakers"}
    assert [(s["name"], s["utterances"]) for s in listed["speakers"]] == [
        ("SPEAKER_00", 62),
        ("SPEAKER_01", 43),
        ("SPEAKER_02", 58),
        ("SPEAKER_03", 2),
    ]
    assert set(listed["speakers"][0]) == SPEAKER_KEYS
    assert listed["speakers"][0]["sample_ref"] == f"{PODCAST}#u0"

    code, out, _ = run(
        capsys,
        *library,
        "speakers",
        PODCAST,
        "--rename",
        "SPEAKER_00=Benjamin Felix",
        "--rename",
        "SPEAKER_01 = Cameron Passmore",
        "--json",
    )
    renamed = json.loads(out)
    assert code == 0
    assert renamed["renamed"] == {"SPEAKER_00": "Benjamin Felix", "SPEAKER_01": "Cameron Passmore"}
    assert renamed["chunks"] > 0 and 0 < renamed["embedded"] <= renamed["chunks"]
    first = renamed["speakers"][0]
    assert (first["name"], first["labels"], first["utterances"]) == (
        "Benjamin Felix",
        ["SPEAKER_00"],
        62,
    )

    # The text listing says the label as written beside the name.
    code, out, _ = run(capsys, *library, "speakers", PODCAST)
    assert code == 0
    line = next(x for x in out.splitlines() if x.startswith("Benjamin Felix"))
    assert "62 utt" in line and "u0: This is the Rational Reminder Podcast" in line
    assert line.endswith("(written SPEAKER_00)")

    # Answers, filters and `show` use the name.
    code, out, _ = run(
        capsys,
        *library,
        "ask",
        "What are the most important lessons in investing?",
        "--speaker",
        "Benjamin Felix",
        "--json",
    )
    answer = json.loads(out)
    assert code == 0 and answer["citations"]
    assert {c["speaker"] for c in answer["citations"]} == {"Benjamin Felix"}
    code, out, _ = run(capsys, *library, "show", PODCAST)
    assert "[u0] 0:08 Benjamin Felix (SPEAKER_00): This is the Rational" in out
    code, out, _ = run(capsys, *library, "show", PODCAST, "--json")
    first_utterance = json.loads(out)["utterances"][0]
    assert (first_utterance["speaker"], first_utterance["canonical_speaker"]) == (
        "SPEAKER_00",
        "Benjamin Felix",
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["speakers", "nope"], "tqa: no transcript 'nope' in the library"),
        (
            ["speakers", PODCAST, "--rename", "SPEAKER_09=X"],
            f"tqa: transcript '{PODCAST}' has no speaker 'SPEAKER_09'; its speakers: 'SPEAKER_00'",
        ),
        (["speakers", PODCAST, "--rename", "SPEAKER_00"], "tqa: a rename is OLD=NEW"),
        (["speakers", PODCAST, "--rename", "SPEAKER_00="], "tqa: a speaker name cannot be empty"),
    ],
)
def test_bad_requests_are_one_line_errors(
    library: list[str], capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, *library, *argv)
    assert code == 2 and out == ""
    assert err.startswith(message) and err.count("\n") == 1
