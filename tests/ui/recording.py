"""A short real recording for the media tests: lines of the seed transcript (the 2021 meeting of
Vladimir Putin and Nursultan Nazarbayev) spoken by Debian's espeak-ng, joined by sox with a pause
after each, and a WebVTT whose cue times are the measured lengths of the spoken segments.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

# (speaker, words): utterances of the seed transcript, in its order.
LINES = (
    (
        "Vladimir Putin",
        "Mr Nazarbayev, first of all, I want to say that I have not seen you for a long time.",
    ),
    (
        "Vladimir Putin",
        "I must say that, thanks to your helping hand, the dynamics of Russian-Kazakhstani "
        "relations give us the opportunity to look confidently into the future.",
    ),
    ("Nursultan Nazarbayev", "Thank you, Mr President."),
    (
        "Nursultan Nazarbayev",
        "Remember, we went to an exhibition in St Petersburg, and then we agreed on a joint "
        "enterprise. Now in Karaganda, this enterprise produces a Russian vaccine of the same "
        "quality and in large quantities.",
    ),
    (
        "Nursultan Nazarbayev",
        "When I fell ill, a group of Russian doctors stood by me for ten days.",
    ),
)
PAUSE_S = 0.6
TITLE = "Meeting with Nursultan Nazarbayev (recording)"


@dataclass(frozen=True)
class Cue:
    speaker: str
    text: str
    start_s: float
    end_s: float


def require_tools() -> None:
    """Skip, saying why, when espeak-ng or sox is missing."""
    missing = [tool for tool in ("espeak-ng", "sox", "soxi") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (apt-get install espeak-ng sox)")


def _vtt_time(seconds: float) -> str:
    ms = round(seconds * 1000)
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, ms = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{ms:03d}"


def make_recording(folder: Path, stem: str = "putin-nazarbayev-recording") -> tuple[Path, Path]:
    """(the WAV, the VTT beside it with the same stem); cue times from the segments' lengths."""
    require_tools()
    folder.mkdir(parents=True, exist_ok=True)
    segments: list[Path] = []
    cues: list[Cue] = []
    at = 0.0
    for i, (speaker, text) in enumerate(LINES):
        raw = folder / f".seg{i}.wav"
        padded = folder / f".seg{i}-padded.wav"
        subprocess.run(
            ["espeak-ng", "-v", "en", "-s", "165", "-w", str(raw), text],
            check=True,
            capture_output=True,
        )
        # One format for all (sox concatenates only like with like), a pause after each line.
        subprocess.run(
            ["sox", str(raw), "-r", "22050", "-c", "1", str(padded), "pad", "0", str(PAUSE_S)],
            check=True,
            capture_output=True,
        )
        spoken = float(
            subprocess.run(
                ["soxi", "-D", str(raw)], check=True, capture_output=True, text=True
            ).stdout
        )
        total = float(
            subprocess.run(
                ["soxi", "-D", str(padded)], check=True, capture_output=True, text=True
            ).stdout
        )
        cues.append(Cue(speaker, text, at, at + spoken))
        at += total
        segments.append(padded)
    wav = folder / f"{stem}.wav"
    subprocess.run(["sox", *map(str, segments), str(wav)], check=True, capture_output=True)
    for path in folder.glob(".seg*"):
        path.unlink()
    vtt = folder / f"{stem}.vtt"
    blocks = [f"WEBVTT - {TITLE}\n"]
    for cue in cues:
        blocks.append(
            f"{_vtt_time(cue.start_s)} --> {_vtt_time(cue.end_s)}\n<v {cue.speaker}>{cue.text}\n"
        )
    vtt.write_text("\n".join(blocks), encoding="utf-8")
    return wav, vtt


def cue_starts(vtt: Path) -> list[float]:
    """The start times of the VTT's cues, in seconds, read back from the file."""
    starts = []
    for line in vtt.read_text(encoding="utf-8").splitlines():
        if "-->" in line:
            h, m, s = line.split("-->")[0].strip().split(":")
            starts.append(int(h) * 3600 + int(m) * 60 + float(s))
    return starts
