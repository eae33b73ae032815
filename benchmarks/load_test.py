"""Load test of the served UI from another process: many conversations at once, for a while.

    python -m benchmarks.load_test --url http://127.0.0.1:7860 --conversations 20 --seconds 60 \
        [--upload FILE] [--auth user:password] [--json]

Each conversation is its own `gradio_client.Client`, so its own server session, like a browser
tab. Even-numbered conversations ask with a speaker filter (through the `/ask` API and through
the chat) and check that every citation is that speaker's. Odd-numbered ones hold a chat: a
question naming a speaker, then a follow-up leaning on it ("And what did he say about trade?"),
and check that the follow-up was searched as *their* standalone question, with their speaker and
topic, never another conversation's. Half way through, the first conversation uploads FILE and
asks about it. The chat and upload events are the ones the browser calls (Gradio keeps them out of
the public API, so the client is told to call them by index, as the page does).

Prints the requests, errors, isolation violations and p50/p95 latency; the exit status is 1 when
any request failed or any answer crossed conversations. Only talk to a server you run.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval.metrics import percentile

TOPICS = ("trade", "vaccines", "cooperation", "the economy", "investment", "health care")
ROLE_LABELS = frozenset({"question", "remark", "answer", "reply", "response", "voice"})
_SEARCHED = re.compile(r'<div class="searched">(.*?)</div>', re.S)
_CARD_SPEAKER = re.compile(
    r'<article class="src-card" [^>]*><header><span class="src-n">\d+</span>'
    r'<span class="speaker">(.*?)</span>'
)
_ERROR = re.compile(r'<div class="error">(.*?)</div>', re.S)


@dataclass
class Stats:
    """What all conversations saw; appended to from their threads under one lock."""

    latencies: list[tuple[str, float]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    checks: int = 0
    upload: dict[str, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def timed(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.latencies.append((kind, seconds))

    def error(self, conversation: int, kind: str, exc: BaseException | str) -> None:
        text = exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"
        with self.lock:
            self.errors.append(
                f"conversation {conversation} {kind}: {' '.join(text.split())[:300]}"
            )

    def check(self, ok: bool, conversation: int, what: str) -> None:
        with self.lock:
            self.checks += 1
            if not ok:
                self.violations.append(f"conversation {conversation}: {what[:400]}")


def _rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 3)


def _shown(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.2f} s"


def text_of(fragment: str) -> str:
    """What a reader sees of an HTML fragment."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def message_html(message: dict[str, Any]) -> str:
    """The HTML of a chat message as the Chatbot returns it (a string or a list of parts)."""
    content = message.get("content")
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return str(content or "")


# ------------------------------------------------------------------------------- the client


class Session:
    """One conversation: a client with its own session on the server."""

    def __init__(self, url: str, auth: tuple[str, str] | None, n: int, stats: Stats) -> None:
        from gradio_client import Client

        self.n = n
        self.stats = stats
        self.client = Client(url, auth=auth, verbose=False)
        self.chat_fn = self._event("question", "submit")
        self.upload_fn = self._event("add-files", "click")
        self.history: list[dict[str, Any]] = []

    def _event(self, elem_id: str, trigger: str) -> int:
        """The index of the event the page fires for (element, trigger); callable from here."""
        components = {c["id"]: c for c in self.client.config["components"]}
        for index, dependency in enumerate(self.client.config["dependencies"]):
            for target, event in dependency.get("targets", []):
                props = components.get(target, {}).get("props", {})
                if props.get("elem_id") == elem_id and event == trigger:
                    # Gradio hides browser events from clients; the browser calls them by index.
                    self.client.endpoints[index].is_valid = True
                    return index
        raise RuntimeError(f"the page has no {trigger} event on #{elem_id}")

    def speakers(self) -> list[str]:
        for component in self.client.config["components"]:
            if component.get("props", {}).get("elem_id") == "filter-speakers":
                return [str(choice[1]) for choice in component["props"].get("choices", [])]
        return []

    def ask_api(self, question: str, speakers: list[str], transcripts: list[str]) -> dict[str, Any]:
        started = time.perf_counter()
        result = self.client.predict(question, speakers, transcripts, "", "", api_name="/ask")
        self.stats.timed("ask", time.perf_counter() - started)
        return dict(result)

    def chat(self, question: str, speakers: list[str]) -> tuple[str, str]:
        """Ask in this session's chat; (the answer's HTML, the sources panel's HTML)."""
        started = time.perf_counter()
        job = self.client.submit(
            question, self.history, speakers, [], "", "", fn_index=self.chat_fn
        )
        messages, sources, _box = job.result()
        self.stats.timed("chat", time.perf_counter() - started)
        self.history = list(messages)
        answer = message_html(self.history[-1]) if self.history else ""
        error = _ERROR.search(answer)
        if error:
            raise RuntimeError(f"the chat showed an error: {text_of(error.group(1))}")
        return answer, str(sources)

    def upload(self, path: Path) -> str:
        from gradio_client import handle_file

        started = time.perf_counter()
        result, _files = self.client.submit(
            [handle_file(str(path))], fn_index=self.upload_fn
        ).result()
        self.stats.timed("upload", time.perf_counter() - started)
        return str(result)


# ------------------------------------------------------------------------------ conversations


def askable(name: str) -> bool:
    """A person's name a question can name: "Nursultan Nazarbayev", not "Question" or
    "Audience member" (the assistant reads speakers from capitalised surnames)."""
    words = name.split()
    return (
        len(words) >= 2
        and name.lower() not in ROLE_LABELS
        and all(w[:1].isupper() for w in words)
        and len(words[-1]) >= 3
    )


def searched(answer_html: str) -> str:
    match = _SEARCHED.search(answer_html)
    return text_of(match.group(1)) if match else ""


def filtered_turn(session: Session, speaker: str, round_: int) -> None:
    """A question limited to one speaker: every citation must be that speaker's."""
    topic = TOPICS[(session.n + round_) % len(TOPICS)]
    question = f"What was said about {topic}?"
    if round_ % 2 == 0:
        result = session.ask_api(question, [speaker], [])
        cited = {str(c.get("speaker")) for c in result.get("citations", [])}
        applied = result.get("filters", {}).get("speakers")
        session.stats.check(
            applied == [speaker] and cited <= {speaker},
            session.n,
            f"/ask limited to {speaker!r} applied {applied} and cited {sorted(cited)}",
        )
    else:
        answer, sources = session.chat(question, [speaker])
        turn = len([m for m in session.history if m.get("role") == "user"]) - 1
        section = sources.split(f'id="turn-{turn}"', 1)[-1].split("</details>", 1)[0]
        cards = {html.unescape(s) for s in _CARD_SPEAKER.findall(section)}
        line = searched(answer)
        session.stats.check(
            f"speaker: {speaker}" in line and cards <= {speaker},
            session.n,
            f"chat limited to {speaker!r} searched {line!r} and showed {sorted(cards)}",
        )


def follow_up_turns(session: Session, speaker: str, round_: int) -> None:
    """A question naming a speaker, then a follow-up that leans on it."""
    first, then = TOPICS[round_ % len(TOPICS)], TOPICS[(round_ + 1 + session.n) % len(TOPICS)]
    answer, _ = session.chat(f"What did {speaker} say about {first}?", [])
    line = searched(answer)
    session.stats.check(
        f"speaker: {speaker}" in line or "speaker" not in line,
        session.n,
        f"the question about {speaker!r} was searched as {line!r}",
    )
    answer, _ = session.chat(f"And what did he say about {then}?", [])
    line = searched(answer)
    session.stats.check(
        f"speaker: {speaker}" in line and then in line and speaker in line.split("·")[0],
        session.n,
        f"the follow-up on {speaker!r} about {then!r} was searched as {line!r}",
    )


def upload_turn(session: Session, path: Path) -> None:
    """Upload a transcript half way through, then ask about it within it."""
    from qa.ingest.parsers import read_transcript_file

    result = session.upload(path)
    status = re.search(r'<li class="(\w+)">', result)
    tid = re.search(r"<code>(.*?)</code>", result)
    session.stats.upload = {"file": str(path), "result": text_of(result)}
    if status is None or status.group(1) == "failed" or tid is None:
        session.stats.error(session.n, "upload", text_of(result) or "no result")
        return
    transcript_id = html.unescape(tid.group(1))
    parsed = read_transcript_file(path)
    spoken = next((u for u in parsed.utterances if u.canonical_speaker), parsed.utterances[0])
    word = max(re.findall(r"[^\W\d_]{4,}", spoken.text) or ["said"], key=len)
    who = spoken.canonical_speaker or "anyone"
    result_json = session.ask_api(f"What did {who} say about {word}?", [], [transcript_id])
    cited = {str(c.get("transcript_id")) for c in result_json.get("citations", [])}
    session.stats.upload.update(
        {"transcript_id": transcript_id, "answered": not result_json.get("abstained")}
    )
    session.stats.check(
        cited <= {transcript_id},
        session.n,
        f"a question inside the upload {transcript_id!r} cited {sorted(cited)}",
    )


def conversation(
    n: int,
    url: str,
    auth: tuple[str, str] | None,
    deadline: float,
    upload_at: float | None,
    upload: Path | None,
    stats: Stats,
) -> None:
    try:
        session = Session(url, auth, n, stats)
    except Exception as exc:  # the client could not even connect: that is an error to report
        stats.error(n, "connect", exc)
        return
    people = [s for s in session.speakers() if askable(s)]
    if not people:
        stats.error(n, "setup", "the page lists no speakers to filter by")
        return
    round_ = 0
    while time.monotonic() < deadline:
        speaker = people[(n // 2 + round_) % len(people)]
        try:
            if upload is not None and upload_at is not None and time.monotonic() >= upload_at:
                path, upload = upload, None
                upload_turn(session, path)
            elif n % 2 == 0:
                filtered_turn(session, speaker, round_)
            else:
                follow_up_turns(session, speaker, round_)
        except Exception as exc:
            stats.error(n, "request", exc)
            time.sleep(0.5)
        round_ += 1


# ------------------------------------------------------------------------------------ main


def run(
    url: str,
    conversations: int,
    seconds: float,
    upload: Path | None = None,
    auth: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """Run the conversations concurrently; the summary as a JSON-ready dict."""
    stats = Stats()
    started = time.monotonic()
    deadline = started + seconds
    upload_at = started + seconds / 2 if upload is not None else None
    threads = [
        threading.Thread(
            target=conversation,
            args=(n, url, auth, deadline, upload_at, upload if n == 0 else None, stats),
            name=f"conversation-{n}",
            daemon=True,
        )
        for n in range(conversations)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    times = [t for _, t in stats.latencies]
    kinds: dict[str, int] = {}
    for kind, _ in stats.latencies:
        kinds[kind] = kinds.get(kind, 0) + 1
    return {
        "url": url,
        "conversations": conversations,
        "seconds": round(time.monotonic() - started, 1),
        "requests": len(times),
        "requests_by_kind": kinds,
        "errors": stats.errors,
        "isolation_checks": stats.checks,
        "isolation_violations": stats.violations,
        "latency_s": {
            # Linear interpolation (eval.metrics.percentile); null when no request finished.
            "p50": _rounded(percentile(times, 50)),
            "p95": _rounded(percentile(times, 95)),
            "max": _rounded(max(times, default=None)),
        },
        "upload": stats.upload,
    }


def format_summary(summary: dict[str, Any]) -> str:
    latency = summary["latency_s"]
    lines = [
        f"{summary['conversations']} conversations for {summary['seconds']} s against "
        f"{summary['url']}: {summary['requests']} requests {summary['requests_by_kind']}",
        f"errors: {len(summary['errors'])}",
        *(f"  {e}" for e in summary["errors"][:20]),
        f"isolation: {summary['isolation_checks']} checks, "
        f"{len(summary['isolation_violations'])} violations",
        *(f"  {v}" for v in summary["isolation_violations"][:20]),
        f"latency: p50 {_shown(latency['p50'])}, p95 {_shown(latency['p95'])}, "
        f"max {_shown(latency['max'])}",
    ]
    if summary["upload"]:
        lines.append(f"upload: {summary['upload']}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="the served app, e.g. http://127.0.0.1:7860")
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--upload", type=Path, help="a transcript to upload half way through")
    parser.add_argument("--auth", help="user:password when the app asks for it")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = parser.parse_args(argv)
    if args.conversations < 1 or args.seconds <= 0:
        parser.error("--conversations and --seconds must be positive")
    if args.upload is not None and not args.upload.is_file():
        parser.error(f"--upload: no such file {args.upload}")
    auth = None
    if args.auth:
        user, sep, password = args.auth.partition(":")
        if not sep:
            parser.error("--auth must be user:password")
        auth = (user, password)
    summary = run(args.url, args.conversations, args.seconds, args.upload, auth)
    print(json.dumps(summary, indent=2) if args.json else format_summary(summary))
    failed = summary["errors"] or summary["isolation_violations"] or not summary["requests"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
