"""The transcript reader on a long transcript: how long the UI's handler takes to open a
10,000-utterance hearing at an utterance, and to search it, and how much it renders.

    python -m benchmarks.bench_reader [--utterances 10000] [--folder /tmp/reader-bench]

The transcript is WebVTT made here (cues of 4 s, three speakers); the library uses the
deterministic hash encoder, as the reader does not touch vectors.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from embeddings.base import HashEncoder
from qa.ingest.pipeline import ingest
from qa.runtime import build_assistant
from qa.settings import Settings
from qa.store.library import Library
from ui.handlers import Handlers

SPEAKERS = ("Chair", "Ms Okafor", "Mr Lindqvist")


def _clock(seconds: float) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{int(hours):02d}:{int(minutes):02d}:{secs:06.3f}"


def long_vtt(path: Path, count: int) -> None:
    lines = ["WEBVTT", ""]
    for i in range(count):
        start = i * 4.0
        lines += [
            f"{_clock(start)} --> {_clock(start + 3.5)}",
            f"<v {SPEAKERS[i % 3]}>Item {i}: the committee discussed budget line {i % 97}.",
            "",
        ]
    path.write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--utterances", type=int, default=10_000)
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    folder = args.folder or Path(tempfile.mkdtemp(prefix="reader-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    vtt = folder / "long-hearing.vtt"
    long_vtt(vtt, args.utterances)
    library = Library(folder / "library", HashEncoder(64))
    ingest(library, [vtt])
    settings = Settings(library=str(library.folder), embedding_model="hash:64")
    handlers = Handlers(build_assistant(settings, library), settings)
    at = args.utterances * 9 // 10
    cases = {
        f"open at utterance {at}": {"tid": vtt.stem, "u": at, "end": at},
        "search 'budget line 42'": {"tid": vtt.stem, "u": at, "q": "budget line 42"},
    }
    print(f"| reader, {args.utterances:,} utterances | median of {args.repeat} | HTML | rendered |")
    print("|---|---|---|---|")
    for label, request in cases.items():
        took = []
        for _ in range(args.repeat):
            began = time.perf_counter()
            html = handlers.open_reader(json.dumps(request))
            took.append(time.perf_counter() - began)
        rendered = html.count('class="r-utt')
        print(
            f"| {label} | {statistics.median(took) * 1000:.0f} ms | {len(html) / 1024:.0f} KiB "
            f"| {rendered} utterances |"
        )


if __name__ == "__main__":
    main()
