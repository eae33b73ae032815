"""A client for any OpenAI-compatible chat endpoint (Ollama, llama.cpp server, vLLM, OpenAI).

Built on the official `openai` package: it speaks `POST {base_url}/chat/completions`, whole or
streamed. Every failure becomes `AnswererError` with a short message that names the endpoint
without credentials and never contains the API key, so callers can show it and fall back to the
extractive answer.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, cast

import httpx

from qa.errors import AnswererError, SettingsError

if TYPE_CHECKING:
    import openai
    from openai.types.chat import ChatCompletion, ChatCompletionChunk, ChatCompletionMessageParam

__all__ = ["MAX_RETRIES", "ChatClient", "LLMClient", "LLMConfig"]

# No retries by default, as the hand-written client before it: every caller has a fallback (the
# extractive answer, the offline follow-up rewrite) and a person waiting. A retry would double the
# wait on a timeout (2 x llm_timeout_s before the fallback shows) and the openai package honours a
# 429's Retry-After of up to two minutes; a down local server does not come back in a second.
MAX_RETRIES = 0
# openai refuses to build a client without a key; this one stands in when none is set and is
# never sent (the Authorization header is then left out of every request, see `_headers`).
_NO_KEY = "unused"
_ERROR_DETAIL_CHARS = 200
_ROLES = frozenset({"system", "user", "assistant"})


class ChatClient(Protocol):
    """What the answerer needs from an LLM: a reply in one piece, or streamed in deltas."""

    def chat(
        self, messages: list[dict[str, str]], *, temperature: float = ..., max_tokens: int = ...
    ) -> str: ...

    def stream_chat(
        self, messages: list[dict[str, str]], *, temperature: float = ..., max_tokens: int = ...
    ) -> Iterator[str]: ...


@dataclass(frozen=True)
class LLMConfig:
    """Where the endpoint is and how long to wait for it; the key never shows in a repr."""

    base_url: str
    model: str
    api_key: str = field(default="", repr=False)
    timeout_s: float = 60.0
    max_retries: int = MAX_RETRIES

    def __post_init__(self) -> None:
        url = self.base_url.strip()
        if not url.startswith(("http://", "https://")):
            raise SettingsError(
                f"llm_base_url must start with http:// or https://, got {_display_url(url)!r}"
            )
        try:
            host = httpx.URL(url).host
        except httpx.InvalidURL as exc:
            raise SettingsError(f"llm_base_url is not a valid URL: {_display_url(url)!r}") from exc
        if not host:
            raise SettingsError(f"llm_base_url has no host: {_display_url(url)!r}")
        if not self.timeout_s > 0:
            raise SettingsError(f"llm_timeout_s must be greater than 0, got {self.timeout_s}")
        if self.max_retries < 0:
            raise SettingsError(f"max_retries must be at least 0, got {self.max_retries}")

    @property
    def display_url(self) -> str:
        """The base URL safe to show: without user:password or query string."""
        return _display_url(self.base_url.strip().rstrip("/"))


class LLMClient:
    """A synchronous client for one OpenAI-compatible endpoint; safe to share between threads."""

    def __init__(self, config: LLMConfig) -> None:
        # Imported here, not at the top: `import openai` takes about 0.6 s, which would more than
        # double the start-up of everything that imports the assistant, with or without an LLM.
        import openai

        self.config = config
        self._headers: dict[str, str | openai.Omit] = {
            # Set per request so that neither OPENAI_CUSTOM_HEADERS nor the stand-in key is sent.
            "Authorization": f"Bearer {config.api_key}" if config.api_key else openai.Omit(),
            # openai adds these from OPENAI_ORG_ID / OPENAI_PROJECT_ID; not for other endpoints.
            "OpenAI-Organization": openai.Omit(),
            "OpenAI-Project": openai.Omit(),
        }
        self._client = openai.OpenAI(
            base_url=config.base_url.strip(),
            api_key=config.api_key or _NO_KEY,
            timeout=config.timeout_s,
            max_retries=config.max_retries,
            http_client=openai.DefaultHttpxClient(
                timeout=config.timeout_s,
                # A local model server must not be sent through a proxy from the environment.
                trust_env=not _is_loopback(config.base_url),
                follow_redirects=False,
            ),
        )

    def __repr__(self) -> str:
        return f"LLMClient({self.config!r})"

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> LLMClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def chat(
        self,
        messages: list[dict[str, str]],
        *,
        temperature: float = 0.0,
        max_tokens: int = 600,
    ) -> str:
        """The assistant's reply to the messages, in one piece."""
        import openai

        _check_arguments(messages, temperature, max_tokens)
        try:
            completion = self._client.chat.completions.create(
                model=self.config.model,
                messages=cast("list[ChatCompletionMessageParam]", messages),
                temperature=temperature,
                max_tokens=max_tokens,
                stream=False,
                extra_headers=self._headers,
            )
        except (openai.OpenAIError, ValueError) as exc:
            raise self._failure(exc, "the body is not JSON") from None
        return self._message_text(completion)

    def stream_chat(
        self,
        messages: list[dict[str, str]],
        *,
        temperature: float = 0.0,
        max_tokens: int = 600,
    ) -> Iterator[str]:
        """Yield the reply's text deltas as the endpoint sends them (server-sent events).

        The arguments are checked now; the request is sent at the first `next()`. A failure after
        some deltas were yielded still raises `AnswererError`; callers that show partial text
        should discard it then.
        """
        _check_arguments(messages, temperature, max_tokens)
        return self._stream(messages, temperature, max_tokens)

    def _stream(
        self, messages: list[dict[str, str]], temperature: float, max_tokens: int
    ) -> Iterator[str]:
        import openai

        events = 0
        try:
            with self._client.chat.completions.create(
                model=self.config.model,
                messages=cast("list[ChatCompletionMessageParam]", messages),
                temperature=temperature,
                max_tokens=max_tokens,
                stream=True,
                extra_headers=self._headers,
            ) as stream:
                for chunk in stream:
                    events += 1
                    delta = self._delta_text(chunk)
                    if delta:
                        yield delta
        except (openai.OpenAIError, ValueError) as exc:
            raise self._failure(exc, "a stream event is not JSON") from None
        if not events:
            # Not even the role-only first event: the body had no event that ends with a blank
            # line (an HTML error page, or events glued together without blank lines).
            raise self._malformed("the stream carried no complete event", "")

    # -- reading replies

    def _message_text(self, completion: ChatCompletion | str) -> str:
        # The reply is built without validation: any field may be missing (None) or of any type.
        if isinstance(completion, str):  # openai hands back a body that is not JSON as text
            raise self._malformed("the body is not JSON", completion)
        extra = completion.model_extra or {}
        if extra.get("error"):
            raise self._error_payload(extra["error"])
        try:
            content = completion.choices[0].message.content
        except (AttributeError, IndexError, TypeError):
            raise self._malformed(
                "expected choices[0].message.content", _dump(completion)
            ) from None
        if not isinstance(content, str):
            raise self._malformed("choices[0].message.content is not text", _dump(completion))
        return content

    def _delta_text(self, chunk: ChatCompletionChunk) -> str:
        choices: object = chunk.choices  # None when the event has none (built without checks)
        if not isinstance(choices, list):
            raise self._malformed("a stream event has no choices list", _dump(chunk))
        if not choices:  # the usage summary some servers send last
            return ""
        delta = getattr(choices[0], "delta", None)
        content = getattr(delta, "content", None)
        if content is None:  # the role-only first event and the finish event
            return ""
        if not isinstance(content, str):
            raise self._malformed("choices[0].delta.content is not text", _dump(chunk))
        return content

    # -- error messages (never with the key)

    def _failure(self, exc: Exception, not_json: str) -> AnswererError:
        """The AnswererError for what the openai package (or JSON decoding) raised."""
        import openai

        url = self.config.display_url
        if isinstance(exc, openai.APITimeoutError):  # before APIConnectionError: a subclass
            if "ConnectTimeout" in _causes(exc):
                reason = f"no connection within {self.config.timeout_s:g} s"
                return AnswererError(f"LLM endpoint {url} is unreachable: {reason}")
            return AnswererError(
                f"LLM endpoint {url} timed out: no answer within {self.config.timeout_s:g} s"
            )
        if isinstance(exc, openai.APIConnectionError):
            cause = exc.__cause__
            names = _causes(exc)
            if "ConnectError" in names:
                reason = self._detail(_connect_reason(cause))
                return AnswererError(f"LLM endpoint {url} is unreachable: {reason}")
            if "RemoteProtocolError" in names:
                return AnswererError(
                    f"LLM endpoint {url} broke off the response: {self._detail(str(cause))}"
                )
            reason = self._detail(str(cause or "")) or type(cause or exc).__name__
            return AnswererError(f"LLM endpoint {url} failed: {reason}")
        if isinstance(exc, openai.APIStatusError):
            try:
                body = exc.response.text
            except Exception:  # a streamed body that could not be read
                body = ""
            return self._status_error(exc.status_code, body)
        if isinstance(exc, openai.APIError):  # an error event in a stream
            return self._error_payload(exc.body if exc.body is not None else exc.message)
        if isinstance(exc, ValueError):
            return self._malformed(
                not_json, exc.doc if isinstance(exc, json.JSONDecodeError) else ""
            )
        reason = self._detail(str(exc)) or type(exc).__name__
        return AnswererError(f"LLM endpoint {url} failed: {reason}")

    def _error_payload(self, error: object) -> AnswererError:
        return AnswererError(
            f"LLM endpoint {self.config.display_url} returned an error: "
            f"{self._detail(json.dumps(error, default=str))}"
        )

    def _status_error(self, status: int, body: str) -> AnswererError:
        hint = {401: " (check the API key)", 403: " (check the API key)"}.get(status, "")
        if status == 404:
            hint = " (check the base URL and the model name)"
        detail = self._detail(_error_text(body))
        suffix = f": {detail}" if detail else ""
        return AnswererError(
            f"LLM endpoint {self.config.display_url} answered HTTP {status}{hint}{suffix}"
        )

    def _malformed(self, what: str, body: str) -> AnswererError:
        detail = self._detail(body)
        return AnswererError(
            f"LLM endpoint {self.config.display_url} returned a malformed response: {what}"
            + (f" (got {detail!r})" if detail else "")
        )

    def _detail(self, text: str) -> str:
        text = " ".join(text.split())
        if len(text) > _ERROR_DETAIL_CHARS:
            text = text[: _ERROR_DETAIL_CHARS - 1] + "…"
        return _redact(text, self.config.api_key)


def _check_arguments(messages: object, temperature: float, max_tokens: int) -> None:
    if not isinstance(messages, list) or not messages:
        raise ValueError(f"messages must be a non-empty list, got {messages!r:.80}")
    for m in messages:
        if (
            not isinstance(m, dict)
            or m.get("role") not in _ROLES
            or not isinstance(m.get("content"), str)
        ):
            raise ValueError(f"each message needs a role and text content, got {m!r:.80}")
    if not 0.0 <= temperature <= 2.0:
        raise ValueError(f"temperature must be between 0 and 2, got {temperature}")
    if max_tokens < 1:
        raise ValueError(f"max_tokens must be at least 1, got {max_tokens}")


def _causes(exc: BaseException) -> list[str]:
    """The class names of the exceptions behind `exc`: the HTTP library's own (ConnectError,
    ReadTimeout...) are there, and naming them spares a direct import of that library."""
    names: list[str] = []
    seen = exc.__cause__ or exc.__context__
    while seen is not None and len(names) < 10:
        names.append(type(seen).__name__)
        seen = seen.__cause__ or seen.__context__
    return names


def _dump(model: openai.BaseModel) -> str:
    try:
        return json.dumps(model.to_dict(warnings=False), default=str)
    except Exception:  # a reply odd enough not to serialise is still worth showing
        return repr(model)


def _connect_reason(exc: BaseException | None) -> str:
    text = str(exc or "")
    low = text.lower()
    if "refused" in low:
        return "connection refused"
    if "name or service not known" in low or "nodename nor servname" in low or "getaddrinfo" in low:
        return "host name not found"
    if "unreachable" in low:
        return "network unreachable"
    return " ".join(text.split())[:_ERROR_DETAIL_CHARS] or "connection failed"


def _error_text(body: str) -> str:
    """The message of an OpenAI-style error body, else the body itself."""
    try:
        payload = json.loads(body)
    except ValueError:
        return body
    if isinstance(payload, dict):
        error = payload.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return str(error["message"])
        if isinstance(error, str):
            return error
        if isinstance(payload.get("detail"), str):
            return str(payload["detail"])
    return body


def _redact(text: str, key: str) -> str:
    """Text with the key, and any long piece of it (servers echo keys partly), blanked out."""
    if not key:
        return text
    text = text.replace(key, "[redacted]")
    if len(key) < 8:
        return text

    def blank(m: re.Match[str]) -> str:
        return "[redacted]" if m.group(0) in key else m.group(0)

    return re.sub(r"[A-Za-z0-9_\-]{6,}", blank, text)


def _display_url(url: str) -> str:
    try:
        parsed = httpx.URL(url)
        if parsed.host:
            return str(parsed.copy_with(username=None, password=None, query=None, fragment=None))
    except httpx.InvalidURL:
        pass
    return re.sub(r"//[^/@]*@", "//", url.split("?", 1)[0])


def _is_loopback(url: str) -> bool:
    host = httpx.URL(url.strip()).host
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
