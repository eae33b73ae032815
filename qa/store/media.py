"""Recordings of transcripts: a media file kept inside the library, or the source's own address.

A transcript's recording is, in order: a file attached to it (`tqa ingest FILE --media REC.mp3`,
or a file beside the transcript with the same stem), copied or hard-linked into
`<library>/media/` and served from there only; else a YouTube video named by a yt-dlp file name
(`Title-<11-character id>.en.vtt` or `Title [<id>].en.vtt`); else the address of the page it was
read from (kremlin.ru pages carry theirs). Links to a moment: YouTube's `t=` parameter, a media
fragment (`#t=727`) on a file; a page has no time to link to, so its address is kept as is.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from qa.errors import InputError, LibraryError
from qa.store.library import Library
from qa.store.schema import connect

MEDIA_DIR = "media"
MEDIA_EXTENSIONS = (".mp3", ".m4a", ".wav", ".ogg", ".opus", ".mp4", ".webm")
VIDEO_EXTENSIONS = (".mp4", ".webm")
# yt-dlp's new default `%(title)s [%(id)s].%(ext)s` and old `%(title)s-%(id)s.%(ext)s`, with a
# subtitle language (`.en`, `.en-GB`) before the extension.
_SUBTITLE_TAIL = (
    r"(?:\.[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]+)?)?\.(?:vtt|srt|json|txt|ttml|srv[123]|json3)$"
)
_YOUTUBE_BRACKETS = re.compile(r"\[(?P<id>[A-Za-z0-9_-]{11})\]" + _SUBTITLE_TAIL)
# In the old form the id is only the last 11 characters after a dash, which a person's name for
# a file ("board-notes12345.en.vtt") can match too: an id must also have a capital letter (a
# random id lacks one 0.3% of the time, (38/64)^11).
_YOUTUBE_DASH = re.compile(r"-(?P<id>(?=[^.]*[A-Z])[A-Za-z0-9_-]{11})" + _SUBTITLE_TAIL)
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class MediaSource:
    """Where a transcript can be heard: kind is "file" (location: a file name in the library's
    media folder), "youtube" (location: the video id) or "page" (location: the URL)."""

    transcript_id: str
    kind: str
    location: str

    @property
    def is_video(self) -> bool:
        return self.kind == "youtube" or (
            self.kind == "file" and self.location.lower().endswith(VIDEO_EXTENSIONS)
        )


def youtube_id(source_path: str | None) -> str | None:
    """The video id in a yt-dlp subtitle file name, or None."""
    if not source_path:
        return None
    name = Path(source_path).name
    match = _YOUTUBE_BRACKETS.search(name) or _YOUTUBE_DASH.search(name)
    return match.group("id") if match else None


def url_source(
    transcript_id: str, source_path: str | None, metadata: dict[str, list[str]]
) -> MediaSource | None:
    """The recording a transcript's own metadata points to: a YouTube id, or its page URL."""
    video = youtube_id(source_path)
    if video:
        return MediaSource(transcript_id, "youtube", video)
    for url in metadata.get("url", []):
        if url.startswith(("https://", "http://")):
            return MediaSource(transcript_id, "page", url)
    return None


def link_at(source: MediaSource, start_s: float | None, file_url: str = "") -> str:
    """A link to the moment start_s of the source (file_url: where a library file is served)."""
    seconds = None if start_s is None or start_s < 0 else int(start_s)
    if source.kind == "youtube":
        base = f"https://www.youtube.com/watch?v={source.location}"
        return f"{base}&t={seconds}s" if seconds is not None else base
    if source.kind == "file":
        return f"{file_url}#t={seconds}" if seconds is not None else file_url
    return source.location


def find_beside(transcript: Path) -> Path | None:
    """A media file next to the transcript with the same stem (`talk.vtt` -> `talk.mp3`); for
    `talk.en.vtt` also `talk.mp3`."""
    stems = [transcript.stem]
    if "." in transcript.stem:
        stems.append(transcript.stem.split(".", 1)[0])
    for stem in stems:
        for ext in MEDIA_EXTENSIONS:
            for candidate in (
                transcript.with_name(stem + ext),
                transcript.with_name(stem + ext.upper()),
            ):
                if candidate.is_file():
                    return candidate
    return None


def _sniff(path: Path, head: bytes) -> None:
    """Refuse a file that is not a recording of its kind (a renamed text file, say)."""
    ext = path.suffix.lower()
    ok = {
        ".wav": head[:4] == b"RIFF" and head[8:12] == b"WAVE",
        ".ogg": head[:4] == b"OggS",
        ".opus": head[:4] == b"OggS",
        ".mp3": head[:3] == b"ID3"
        or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0),
        ".m4a": head[4:8] == b"ftyp",
        ".mp4": head[4:8] == b"ftyp",
        ".webm": head[:4] == b"\x1a\x45\xdf\xa3",
    }[ext]
    if not ok:
        raise InputError(f"{path}: not a {ext[1:]} recording (its first bytes say otherwise)")


def check_media_file(path: Path) -> None:
    """Raise InputError naming the file unless it is a readable recording we can play."""
    if path.suffix.lower() not in MEDIA_EXTENSIONS:
        raise InputError(
            f"{path}: not a recording we can play (use one of {', '.join(MEDIA_EXTENSIONS)})"
        )
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        with open(path, "rb") as handle:
            head = handle.read(16)
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if not head:
        raise InputError(f"{path}: the file is empty")
    _sniff(path, head)


class MediaStore:
    """The recordings of one library: files under <library>/media and the `media` table."""

    def __init__(self, library: Library) -> None:
        self.library = library
        self.folder = (library.folder / MEDIA_DIR).resolve()
        self._db = connect(library.folder)

    def close(self) -> None:
        self._db.close()

    def attach(self, transcript_id: str, path: Path) -> MediaSource:
        """Copy (or hard-link) the recording into the library as the transcript's; replaces an
        earlier one. InputError when it is not a recording or the transcript is unknown."""
        check_media_file(path)
        if not self._db.execute(
            "SELECT 1 FROM transcripts WHERE id=?", (transcript_id,)
        ).fetchone():
            raise InputError(
                f"{path}: no transcript {transcript_id!r} in the library to attach it to"
            )
        name = _SAFE_NAME.sub("_", transcript_id).strip("._") or "recording"
        name = f"{name}{path.suffix.lower()}"
        with self.library.write_lock():
            self.folder.mkdir(parents=True, exist_ok=True)
            partial = self.folder / f".partial-{os.getpid()}-{name}"
            partial.unlink(missing_ok=True)
            try:
                # A hard link costs nothing; across file systems (or where links are not
                # allowed) a copy. Either way the file ends up inside the library.
                try:
                    os.link(path, partial)
                except OSError:
                    shutil.copyfile(path, partial)
                    with open(partial, "rb+") as handle:
                        os.fsync(handle.fileno())
                old = self._stored_name(transcript_id)
                os.replace(partial, self.folder / name)
            finally:
                partial.unlink(missing_ok=True)
            self._db.execute(
                "INSERT OR REPLACE INTO media(transcript_id, file, original, added_at) "
                "VALUES (?,?,?,?)",
                (transcript_id, name, str(path), time.time()),
            )
            if old and old != name:
                (self.folder / old).unlink(missing_ok=True)
        return MediaSource(transcript_id, "file", name)

    def attach_beside(self, transcript_id: str, transcript_path: Path) -> MediaSource | None:
        """Attach the media file beside the transcript, if there is one."""
        found = find_beside(transcript_path)
        return self.attach(transcript_id, found) if found else None

    def detach(self, transcript_ids: list[str]) -> None:
        """Forget the recordings of removed transcripts and delete their files."""
        with self.library.write_lock():
            for tid in transcript_ids:
                name = self._stored_name(tid)
                self._db.execute("DELETE FROM media WHERE transcript_id=?", (tid,))
                if name:
                    (self.folder / name).unlink(missing_ok=True)

    def _stored_name(self, transcript_id: str) -> str | None:
        row = self._db.execute(
            "SELECT file FROM media WHERE transcript_id=?", (transcript_id,)
        ).fetchone()
        return None if row is None else str(row[0])

    def path(self, name: str) -> Path:
        """The file of a stored recording; LibraryError for any name that leads outside the
        library's media folder (`..`, an absolute path, a link pointing out)."""
        candidate = (self.folder / name).resolve()
        if not candidate.is_relative_to(self.folder) or candidate == self.folder:
            raise LibraryError(f"refused: {name!r} is not a recording inside the library")
        if not candidate.is_file():
            raise LibraryError(f"the recording {name!r} is missing from {self.folder}")
        return candidate

    def source(self, transcript_id: str) -> MediaSource | None:
        """The transcript's recording: its file in the library, else its URL, else None."""
        name = self._stored_name(transcript_id)
        if name:
            try:
                self.path(name)
                return MediaSource(transcript_id, "file", name)
            except LibraryError:
                pass  # a file deleted by hand: fall back to the URL, if any
        row = self._db.execute(
            "SELECT source_path, metadata_json FROM transcripts WHERE id=?", (transcript_id,)
        ).fetchone()
        if row is None:
            return None
        return url_source(transcript_id, row[0], json.loads(row[1]))

    def sources(self, transcript_ids: list[str]) -> dict[str, MediaSource]:
        """The recordings of several transcripts (those that have one)."""
        found = {tid: self.source(tid) for tid in dict.fromkeys(transcript_ids)}
        return {tid: s for tid, s in found.items() if s is not None}

    def file_uri(self, source: MediaSource) -> str:
        """A file:// address of a stored recording (for Markdown read on this machine)."""
        return self.path(source.location).as_uri()
