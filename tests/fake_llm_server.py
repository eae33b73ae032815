"""A local OpenAI-compatible chat server for tests: real HTTP on 127.0.0.1, scripted replies.

Use it as a context manager or through the `fake_llm` fixture (the client is in
qa.answer.llm_client)::

    with FakeLLMServer() as server:
        client = LLMClient(LLMConfig(base_url=server.base_url, model="fake"))
        client.chat(answer_messages(question, passages))   # 'The transcript says "..." [1].'
        server.requests[-1].headers["authorization"]        # what the client sent

`POST .../chat/completions` (any prefix, so base URLs with or without /v1 work) answers both
`"stream": false` (one JSON completion) and `"stream": true` (server-sent events ending in
`data: [DONE]`). `GET .../models` lists the one model. Everything else is a 404.

What the reply says comes from `responder(messages) -> str`; the default, `echo_responder`,
answers prompts built by `qa.answer.llm`: it quotes the first sentence of passage 1 and cites it,
and hands a follow-up question back unchanged as its own standalone form.

Every attribute may be changed between requests (`server.status = 500`):
- `delay_s`: wait before the response headers (to provoke a client timeout);
- `chunk_delay_s`: wait between stream events (a stall in the middle of a stream);
- `status` with `error_message`: answer every request with that HTTP status and an
  OpenAI-style error body;
- `raw_body`: send this body verbatim with status 200 (malformed responses);
- `sse_style`: "openai" (one `data:` line per event), "multiline" (each JSON payload spread
  over several `data:` lines, CRLF line ends, `event:` fields) or "glued" (no blank lines
  between events, against the standard: no event ever ends);
- `chunk_chars`: characters of reply per stream delta;
- `fragment_bytes`: write the stream in pieces of this many bytes, so that lines arrive split
  across network reads.
`requests` records every request (method, path, headers, body) in arrival order.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import pytest

from qa.answer.llm import REFUSAL

Responder = Callable[[list[dict[str, str]]], str]

SSE_STYLES = ("openai", "multiline", "glued")
_FENCE = re.compile(
    r"^<<<(?P<label>[A-Z]+) (?P<n>\d+)>>>\n(?P<body>.*?)\n<<<END (?P=label) (?P=n)>>>$", re.S | re.M
)
_FIRST_SENTENCE = re.compile(r".+?[.!?…](?=\s|$)|.+", re.S)


def fenced_blocks(content: str, label: str = "PASSAGE") -> dict[int, str]:
    """The bodies of `<<<LABEL n>>> ... <<<END LABEL n>>>` blocks in a prompt, by n."""
    return {
        int(m.group("n")): m.group("body")
        for m in _FENCE.finditer(content)
        if m.group("label") == label
    }


def passage_text(block: str) -> str:
    """The transcript text of a passage block, without its Transcript/Date/Speakers header."""
    _header, _, text = block.partition("\n\n")
    return text


def echo_responder(messages: list[dict[str, str]]) -> str:
    """A deterministic answerer for prompts from qa.answer.llm.

    Answer prompts: `The transcript says "<first sentence of passage 1>" [1].`
    Rewrite prompts: the follow-up question unchanged. Anything else: NOT_IN_TRANSCRIPTS.
    """
    user = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
    passages = fenced_blocks(user)
    if 1 in passages:
        text = " ".join(passage_text(passages[1]).split())
        first = _FIRST_SENTENCE.match(text)
        if first:
            return f'The transcript says "{first.group(0).strip()}" [1].'
    follow_up = re.search(r"^Follow-up question: (.*)$", user, re.M)
    if follow_up:
        return follow_up.group(1).strip()
    return REFUSAL


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def messages(self) -> list[dict[str, str]]:
        return list(self.json["messages"])

    @property
    def everything_but_auth(self) -> str:
        """Path, headers other than Authorization, and body, as one text to search."""
        headers = "\n".join(f"{k}: {v}" for k, v in self.headers.items() if k != "authorization")
        return f"{self.method} {self.path}\n{headers}\n\n{self.body.decode('utf-8', 'replace')}"


@dataclass
class FakeLLMServer:
    """An OpenAI-compatible chat server on 127.0.0.1 and a free port, run in a thread."""

    responder: Responder = echo_responder
    delay_s: float = 0.0
    chunk_delay_s: float = 0.0
    status: int | None = None
    error_message: str = "the fake server was told to fail"
    raw_body: str | None = None
    sse_style: str = "openai"
    chunk_chars: int = 8
    fragment_bytes: int | None = None
    model: str = "fake-model"
    requests: list[RecordedRequest] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()

    # -- lifecycle

    def start(self) -> FakeLLMServer:
        if self._httpd is not None:
            return self
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        httpd.daemon_threads = True
        httpd.fake = self  # type: ignore[attr-defined]
        self._httpd = httpd
        self._stopping.clear()
        # A short poll interval makes stop() quick; the default waits up to half a second.
        self._thread = threading.Thread(
            target=httpd.serve_forever, args=(0.02,), name="fake-llm", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._stopping.set()  # wakes handlers sleeping in a delay
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the fake LLM server is not running; call start()")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # -- used by the handler

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)

    def completion(self, text: str) -> dict[str, Any]:
        """A non-streaming chat completion carrying `text`."""
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        }

    def stream_events(self, text: str) -> Iterator[dict[str, Any]]:
        """The chunk objects of a streamed completion carrying `text`, as OpenAI sends them."""
        size = max(1, self.chunk_chars)

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "model": self.model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }

        yield chunk({"role": "assistant", "content": ""})
        for i in range(0, len(text), size):
            yield chunk({"content": text[i : i + size]})
        yield chunk({}, "stop")
        # The usage summary of stream_options.include_usage: no choices at all.
        yield {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "choices": [], "usage": {}}

    def sse_bytes(self, events: Iterator[dict[str, Any]]) -> Iterator[bytes]:
        """The events framed as server-sent events in `sse_style`, ending with [DONE]."""
        if self.sse_style not in SSE_STYLES:
            raise ValueError(f"sse_style must be one of {SSE_STYLES}, got {self.sse_style!r}")
        if self.sse_style == "openai":
            yield b": keep-alive\n\n"
            for e in events:
                yield f"data: {json.dumps(e)}\n\n".encode()
            yield b"data: [DONE]\n\n"
        elif self.sse_style == "multiline":
            for e in events:
                lines = json.dumps(e, indent=1).split("\n")
                data = "".join(f"data: {line}\r\n" for line in lines)
                yield f"event: message\r\nid: 1\r\n{data}\r\n".encode()
            yield b"data: [DONE]\r\n\r\n"
        else:
            for e in events:
                yield f"data: {json.dumps(e)}\n".encode()
            yield b"data: [DONE]\n"


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeLLM/1.0"

    @property
    def fake(self) -> FakeLLMServer:
        fake: FakeLLMServer = self.server.fake  # type: ignore[attr-defined]
        return fake

    def log_message(self, format: str, *args: Any) -> None:  # the test output stays quiet
        pass

    def do_GET(self) -> None:
        self._receive(b"")
        if self.path.rstrip("/").endswith("/models"):
            self._send_json(200, {"object": "list", "data": [{"id": self.fake.model}]})
        else:
            self._send_json(404, {"error": {"message": f"no route {self.path}"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        self._receive(body)
        fake = self.fake
        try:
            fake._sleep(fake.delay_s)
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._send_json(404, {"error": {"message": f"no route {self.path}"}})
                return
            if fake.status is not None:
                error = {"message": fake.error_message, "type": "fake_error"}
                self._send_json(fake.status, {"error": error})
                return
            try:
                request = json.loads(body)
                messages = request["messages"]
            except (ValueError, KeyError, TypeError):
                self._send_json(400, {"error": {"message": "expected JSON with messages"}})
                return
            stream = bool(request.get("stream"))
            if fake.raw_body is not None:
                kind = "text/event-stream" if stream else "application/json"
                self._send(200, kind, [fake.raw_body.encode()])
                return
            text = fake.responder(messages)
            if stream:
                self._send(200, "text/event-stream", fake.sse_bytes(fake.stream_events(text)))
            else:
                self._send_json(200, fake.completion(text))
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test); nothing to answer

    def _receive(self, body: bytes) -> None:
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.fake._record(RecordedRequest(self.command, self.path, headers, body))

    def _send_json(self, status: int, payload: object) -> None:
        self._send(status, "application/json", [json.dumps(payload).encode()])

    def _send(self, status: int, content_type: str, pieces: Iterator[bytes] | list[bytes]) -> None:
        streaming = content_type == "text/event-stream"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if streaming:
            self.send_header("Cache-Control", "no-cache")
        else:
            pieces = list(pieces)
            self.send_header("Content-Length", str(sum(len(p) for p in pieces)))
        self.send_header("Connection", "close")
        self.end_headers()
        fake = self.fake
        step = fake.fragment_bytes if streaming else None
        for piece in pieces:
            for fragment in _fragments(piece, step):
                self.wfile.write(fragment)
                self.wfile.flush()
            if streaming:
                fake._sleep(fake.chunk_delay_s)
        self.close_connection = True


def _fragments(data: bytes, step: int | None) -> Iterator[bytes]:
    if not step:
        yield data
        return
    for i in range(0, len(data), step):
        yield data[i : i + step]


def unused_port() -> int:
    """A port on 127.0.0.1 with nothing listening (bound once by the OS, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def fake_llm() -> Iterator[FakeLLMServer]:
    """A running FakeLLMServer with the echo responder; stopped after the test.

    To offer it to every test, import it in tests/conftest.py:
    `from tests.fake_llm_server import fake_llm  # noqa: F401`.
    """
    with FakeLLMServer() as server:
        yield server
