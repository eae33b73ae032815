"""Files uploaded in the browser: safe names, links refused, the size limit, and the copies kept
in <library>/uploads/ (deleted again when their transcript is removed)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from qa.errors import InputError, TranscriptQAError
from qa.ingest.parsers import EXTENSIONS
from qa.ingest.pipeline import FileResult
from qa.settings import MB

UPLOADS = "uploads"  # the folder inside the library
MAX_NAME_CHARS = 120
_UNSAFE_NAME_CHARS = re.compile(r"[^\w.-]+")


def safe_upload_name(name: str, extensions: Sequence[str]) -> str:
    """A file name safe to create inside the uploads folder, from a client's file name.

    Directories (either slash), drive letters, leading dots and characters outside
    letters, digits, "._-" are dropped, so the result can never leave the folder it is joined to.
    """
    base = PureWindowsPath(PurePosixPath(name.replace("\x00", "")).name).name
    cleaned = _UNSAFE_NAME_CHARS.sub("_", base).strip("._-")
    stem, dot, suffix = cleaned.rpartition(".")
    if not dot or not stem.strip("._-"):
        raise InputError(
            f"{name!r}: no usable file name; accepted types are {', '.join(sorted(extensions))}"
        )
    suffix = "." + suffix.lower()
    if suffix not in extensions:
        raise InputError(
            f"{name!r}: {suffix} files are not transcripts; accepted types are "
            f"{', '.join(sorted(extensions))}"
        )
    stem = stem[: MAX_NAME_CHARS - len(suffix)].rstrip("._-") or "upload"
    return stem + suffix


def upload_stem(stem: str) -> str:
    """A file stem as safe_upload_name leaves it, so a recording and its transcript match."""
    return _UNSAFE_NAME_CHARS.sub("_", stem).strip("._-").lower()


def file_path(item: Any) -> str:
    """The server-side path of an uploaded file, however gradio hands it over."""
    if isinstance(item, (str, os.PathLike)):
        return os.fspath(item)
    path = getattr(item, "path", None) or getattr(item, "name", None)
    if path is None and isinstance(item, dict):
        path = item.get("path") or item.get("name")
    return str(path)


def _store(source: Path, folder: Path, limit_mb: int) -> Path:
    """Copy one upload into folder under a safe name; InputError when it is refused."""
    shown = source.name
    name = safe_upload_name(shown, sorted(EXTENSIONS))
    if source.is_symlink() or not source.is_file():
        raise InputError(f"{shown!r}: not a regular file (links are refused)")
    size = source.stat().st_size
    if size > limit_mb * MB:
        raise InputError(f"{shown!r} is {size / MB:.1f} MB; the upload limit is {limit_mb} MB")
    target = folder / name
    if target.resolve().parent != folder.resolve():
        raise InputError(f"{shown!r}: not a usable file name")
    if target.is_symlink():
        target.unlink()
    shutil.copyfile(source, target, follow_symlinks=False)
    return target


def save_uploads(
    paths: Sequence[str], folder: Path, limit_mb: int
) -> tuple[list[Path], list[tuple[str, FileResult]]]:
    """Copy uploaded files into folder under safe names; refusals as (shown name, result)."""
    folder.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    refused: list[tuple[str, FileResult]] = []
    for raw in paths:
        source = Path(raw)
        shown = source.name
        try:
            saved.append(_store(source, folder, limit_mb))
        except TranscriptQAError as exc:
            refused.append((shown, FileResult(shown, "failed", error=str(exc))))
        except OSError as exc:
            refused.append(
                (shown, FileResult(shown, "failed", error=f"{shown!r}: cannot store ({exc})"))
            )
    return saved, refused


def delete_uploaded(sources: Iterable[str | None], folder: Path) -> None:
    """Delete the files among sources that are uploads kept in folder; others are left alone."""
    kept = folder.resolve()
    for source in sources:
        if source and Path(source).resolve().parent == kept:
            with contextlib.suppress(OSError):
                Path(source).unlink()
