"""A folder's files that are not transcripts are listed as skipped, each with its reason."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from embeddings.base import HashEncoder
from qa.ingest.pipeline import ingest, scan_paths
from qa.serialize import ingest_report_json
from qa.store.library import Library

VTT = "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n<v Ann Lee>Hello, and welcome.</v>\n"


def _xlsx() -> bytes:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
    return data.getvalue()


def _folder(root: Path) -> Path:
    folder = root / "meeting"
    (folder / "notes").mkdir(parents=True)
    (folder / "call.vtt").write_text(VTT, encoding="utf-8")
    (folder / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    (folder / "notes" / "slides.pdf").write_bytes(b"%PDF-1.7\n")
    (folder / "budget.xlsx").write_bytes(_xlsx())
    (folder / "audio.m4a").write_bytes(b"\x00\x00\x00\x18ftypM4A ")
    (folder / "summary.rtf").write_text("{\\rtf1 hi}", encoding="utf-8")
    (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (folder / ".git").mkdir()
    (folder / ".git" / "HEAD").write_text("ref: refs/heads/main\n", encoding="utf-8")
    return folder


def test_scan_lists_other_files_with_their_reason(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    files, skipped = scan_paths([folder])
    assert files == [folder / "call.vtt"]
    reasons = {Path(s.path).name: s.reason for s in skipped}
    assert set(reasons) == {"image.png", "slides.pdf", "budget.xlsx", "audio.m4a", "summary.rtf"}
    assert reasons["image.png"] == "not a transcript: a PNG image"
    assert reasons["slides.pdf"].startswith("not a transcript: a PDF document; export its text")
    assert "ZIP archive" in reasons["budget.xlsx"]
    assert "transcribe it first" in reasons["audio.m4a"]
    assert "--media" in reasons["audio.m4a"]
    assert reasons["summary.rtf"].startswith("extension .rtf is not one ingest reads (")


def test_ingest_reports_skipped_files_in_its_json(tmp_path: Path) -> None:
    library = Library(tmp_path / "library", HashEncoder(64))
    report = ingest(library, [_folder(tmp_path)])
    shown = ingest_report_json(report)
    assert (shown["added"], shown["failed"]) == (1, 0)
    assert [Path(str(s["path"])).name for s in shown["skipped_files"]] == [  # type: ignore[attr-defined]
        "audio.m4a",
        "budget.xlsx",
        "image.png",
        "slides.pdf",
        "summary.rtf",
    ]
    assert all(s["reason"] for s in shown["skipped_files"])  # type: ignore[attr-defined]


def test_a_recording_beside_its_transcript_is_not_listed_as_skipped(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "call.mp3").write_bytes(b"ID3\x04\x00" + b"\x00" * 20)
    files, skipped = scan_paths([folder])
    assert files == [folder / "call.vtt"]
    names = {Path(s.path).name for s in skipped}
    assert "call.mp3" not in names  # attached to call.vtt (the report's media)
    assert "audio.m4a" in names  # no transcript of that name
