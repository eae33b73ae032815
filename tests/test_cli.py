"""The CLI: JSON contracts, per-file reports, errors as one-line messages."""

from __future__ import annotations

import json
import subprocess
import sys
import types
from pathlib import Path

import pytest

from qa.cli import build_parser, main
from qa.settings import RETRIEVERS, SETTINGS, Settings, settings_markdown
from tests.conftest import sample_paths

SEED = "meeting-with-nursultan-nazarbayev-2021-06-30"
ASK_KEYS = {
    "question",
    "standalone_question",
    "answer",
    "abstained",
    "filters",
    "citations",
    "passages",
}
CITATION_KEYS = {
    "n",
    "transcript_id",
    "title",
    "date",
    "speaker",
    "utterance_start",
    "utterance_end",
    "quote",
    "start_s",
    "ref",
}
PASSAGE_KEYS = {
    "rank",
    "transcript_id",
    "utterance_start",
    "utterance_end",
    "speakers",
    "text",
    "score",
}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture()
def library(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    base = ["--library", str(tmp_path / "lib"), "--model", "hash:64"]
    bad = tmp_path / "bad.srt"
    bad.write_text("1\n00:00:01,000 --> 00:0x:02,000\nJOHN: hello\n", encoding="utf-8")
    code, out, _ = run(capsys, *base, "ingest", *map(str, sample_paths()), str(bad), "--json")
    report = json.loads(out)
    assert code == 1 and report["added"] == 4 and report["failed"] == 1
    failed = next(f for f in report["files"] if f["status"] == "failed")
    assert "bad.srt" in failed["error"]
    return base


def test_list_show_and_ask_json(library: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, *library, "list", "--json")
    listed = {t["id"]: t for t in json.loads(out)}
    assert code == 0 and listed[SEED]["utterances"] == 14

    code, out, _ = run(capsys, *library, "show", SEED, "--json")
    shown = json.loads(out)
    assert shown["date"] == "2021-06-30" and len(shown["utterances"]) == 14
    assert set(shown["utterances"][0]) == {
        "index",
        "speaker",
        "canonical_speaker",
        "text",
        "start_s",
        "end_s",
    }

    code, out, _ = run(
        capsys,
        *library,
        "ask",
        "Where does the Karaganda enterprise produce vaccine?",
        "--transcript",
        SEED,
        "--json",
    )
    answer = json.loads(out)
    assert code == 0 and set(answer) >= ASK_KEYS
    assert set(answer["filters"]) == {
        "speakers",
        "transcripts",
        "since",
        "until",
        "undated",
        "from_s",
        "to_s",
    }
    assert answer["filters"]["transcripts"] == [SEED]
    for citation in answer["citations"]:
        assert set(citation) >= CITATION_KEYS
        assert citation["ref"].startswith(f"{SEED}#u")
    assert answer["passages"] and all(set(p) >= PASSAGE_KEYS for p in answer["passages"])

    code, out, _ = run(capsys, *library, "retrieve", "Karaganda", "-k", "2", "--json")
    assert code == 0 and len(json.loads(out)["passages"]) <= 2


def test_lookup_and_remove(library: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, *library, "lookup", f"{SEED}#u9", "--json")
    assert code == 0 and json.loads(out)[0]["speaker"] == "Nursultan Nazarbayev"
    code, out, _ = run(capsys, *library, "remove", SEED, "missing-id", "--json")
    assert code == 1 and json.loads(out) == {"removed": [SEED], "missing": ["missing-id"]}


def test_errors_are_one_line_messages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--library", str(tmp_path / "none"), "list")
    assert code == 2 and err.startswith("tqa: no library at") and err.count("\n") == 1
    code, _, err = run(
        capsys,
        "--library",
        str(tmp_path / "none"),
        "--model",
        "/no/such/model",
        "ingest",
        str(tmp_path),
    )
    assert code == 2 and "embedding model folder not found" in err


def test_retrieve_k_defaults_to_the_top_k_setting(
    library: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    question = ["retrieve", "What did the presidents say about vaccines?", "--json"]
    code, out, _ = run(capsys, *library, *question)
    assert code == 0 and 1 < len(json.loads(out)["passages"]) <= 8  # top_k's default
    monkeypatch.setenv("TQA_TOP_K", "1")
    code, out, _ = run(capsys, *library, *question)
    assert code == 0 and len(json.loads(out)["passages"]) == 1
    code, out, _ = run(capsys, *library, *question, "-k", "3")  # -k still wins
    assert code == 0 and 1 < len(json.loads(out)["passages"]) <= 3


def test_settings_json_and_markdown(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TQA_TOP_K", "5")
    code, out, _ = run(capsys, "settings", "--json")
    rows = {row["name"]: row for row in json.loads(out)}
    assert code == 0 and list(rows) == [s.name for s in SETTINGS]
    assert rows["top_k"] == {
        "name": "top_k",
        "env": "TQA_TOP_K",
        "default": 8,
        "value": 5,
        "help": "Passages retrieved for an answer.",
        "allowed": None,
    }
    assert rows["retriever"]["allowed"] == list(RETRIEVERS)
    code, out, _ = run(capsys, "settings", "--markdown")
    assert code == 0 and out == settings_markdown()


def test_flags_take_their_choices_and_help_from_the_settings(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = build_parser().parse_args(["ask", "q", "--retriever", "keyword"])
    assert args.retriever == "keyword"
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["ask", "q", "--retriever", "bm25"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice" in err and all(name in err for name in RETRIEVERS)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["retrieve", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert "Passages retrieved for an answer. Default: $TQA_TOP_K or 8." in shown
    assert "Retriever: hybrid, dense or keyword." in shown


def test_serve_takes_library_before_or_after_the_subcommand(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[Settings] = []
    fake = types.ModuleType("ui.server")
    fake.serve = served.append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "ui.server", fake)
    monkeypatch.delenv("TQA_LIBRARY", raising=False)
    for argv, library in [
        (["serve"], "library"),
        (["--library", "a", "serve"], "a"),
        (["serve", "--library", "b", "--port", "8000"], "b"),
        (["--library", "a", "serve", "--library", "b"], "b"),
    ]:
        assert main(argv) == 0
        assert served.pop().library == library, argv


def test_ingest_ray_without_ray_says_how_to_install_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # None in sys.modules makes `import ray` fail as on a machine without the extra.
    monkeypatch.setitem(sys.modules, "ray", None)
    base = ["--library", str(tmp_path / "lib"), "--model", "hash:64"]
    page = sample_paths()[1]
    code, out, err = run(capsys, *base, "ingest", str(page), "--ray")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert (
        err.startswith("tqa: ingest --ray needs Ray")
        and "pip install 'transcript-qa[scale]'" in err
    )
    # The setting asks for Ray as the flag does; without either the ingest is local.
    monkeypatch.setenv("TQA_RAY_ADDRESS", "127.0.0.1:6379")
    assert run(capsys, *base, "ingest", str(page))[0] == 2
    monkeypatch.delenv("TQA_RAY_ADDRESS")
    code, out, _ = run(capsys, *base, "ingest", str(page), "--json")
    assert code == 0 and json.loads(out)["ray"] is None and json.loads(out)["added"] == 1


def test_a_local_ingest_does_not_import_ray(tmp_path: Path) -> None:
    """Ray (~1 s of imports, an optional extra) is imported by `--ray` alone."""
    script = (
        "import sys\n"
        "from qa.cli import main\n"
        f"main(['--library', {str(tmp_path / 'lib')!r}, '--model', 'hash:64', 'ingest', "
        f"{str(sample_paths()[1])!r}])\n"
        "print('ray imported' if 'ray' in sys.modules else 'no ray')\n"
    )
    run_ = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert run_.stdout.strip().endswith("no ray")
