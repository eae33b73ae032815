"""Every setting in one table: name, default, environment variable and help.

Values come from, in order: an explicit argument (CLI flag), the environment variable, the default.
Units are in the names (`_tokens`, `_s`, `_mb`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from qa.errors import SettingsError

HELP: dict[str, str] = {
    "library": "Folder of the library (SQLite, FAISS index, manifest).",
    "embedding_model": "bundled:all-MiniLM-L6-v2, bundled-int8:… (ONNX int8), or a local folder.",
    "embedding_runtime": "onnx (ONNX Runtime, exported once; no torch at start-up) or torch.",
    "embedding_batch_size": "Texts per encoder batch.",
    "chunk_tokens": "Token budget of a chunk, in cl100k tokens.",
    "sentence_vectors": "1: embed every quotable sentence at ingest (faster answers); 0: not.",
    "index_kind": "FAISS index: flat (exact), hnsw (approximate), or auto (by chunk count).",
    "index_auto_threshold": "Chunk count above which `auto` builds HNSW instead of flat.",
    "retriever": "Retriever: hybrid, dense or keyword.",
    "top_k": "Passages retrieved for an answer.",
    "answer_max_words": "Length limit of an extractive answer, in words.",
    "abstain_threshold": "Evidence score below which the answerer abstains (measured: see README).",
    "llm_base_url": "OpenAI-compatible endpoint (e.g. http://127.0.0.1:11434/v1); empty: offline.",
    "llm_model": "Model name at the LLM endpoint.",
    "llm_api_key": "API key for the LLM endpoint (never logged).",
    "llm_timeout_s": "Seconds to wait for the LLM endpoint.",
    "upload_max_mb": "Largest file the UI accepts, in MB.",
    "max_file_mb": "Largest transcript file ingest reads, in MB.",
    "host": "Address the UI binds to.",
    "port": "Port of the UI.",
    "auth": "user:password required by the UI when set.",
}


@dataclass(frozen=True)
class Settings:
    library: str = "library"
    embedding_model: str = "bundled:all-MiniLM-L6-v2"
    embedding_runtime: str = "onnx"
    embedding_batch_size: int = 32
    chunk_tokens: int = 200
    sentence_vectors: int = 1
    index_kind: str = "auto"
    # A flat scan grows by ~0.3 ms per 1,000 vectors here (p95 332 ms at 1M), HNSW stays
    # near 5 ms: at 50k a flat scan is ~17 ms, a third of the retrieval budget.
    index_auto_threshold: int = 50_000
    retriever: str = "hybrid"
    top_k: int = 8
    answer_max_words: int = 120
    abstain_threshold: float = 0.2
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key: str = field(default="", repr=False)
    llm_timeout_s: float = 60.0
    upload_max_mb: int = 50
    max_file_mb: int = 100
    host: str = "127.0.0.1"
    port: int = 7860
    auth: str = ""

    @property
    def library_path(self) -> Path:
        return Path(self.library)

    def with_overrides(self, **overrides: object) -> Settings:
        """A copy with the given values, ignoring None (an absent CLI flag)."""
        given = {k: v for k, v in overrides.items() if v is not None}
        unknown = set(given) - {f.name for f in fields(self)}
        if unknown:
            raise SettingsError(f"unknown settings: {', '.join(sorted(unknown))}")
        return _validated(replace(self, **given))  # type: ignore[arg-type]


def load_settings(environ: dict[str, str] | None = None, **overrides: object) -> Settings:
    """Settings from the environment (TQA_*), then explicit overrides."""
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    for name, default, env_name, _help in settings_table():
        raw = env.get(env_name)
        if raw:
            values[name] = _coerce(env_name, default, raw)
    return Settings(**values).with_overrides(**overrides)  # type: ignore[arg-type]


def settings_table() -> list[tuple[str, object, str, str]]:
    """(name, default, environment variable, help) for every setting."""
    return [(f.name, f.default, "TQA_" + f.name.upper(), HELP[f.name]) for f in fields(Settings)]


def _coerce(env_name: str, default: object, raw: str) -> object:
    kind = type(default)
    try:
        if kind is int:
            return int(raw)
        if kind is float:
            return float(raw)
    except ValueError:
        raise SettingsError(f"{env_name} must be a {kind.__name__}, got {raw!r}") from None
    return raw


def _validated(s: Settings) -> Settings:
    if s.chunk_tokens < 16:
        raise SettingsError(f"chunk_tokens must be at least 16, got {s.chunk_tokens}")
    if s.top_k < 1:
        raise SettingsError(f"top_k must be greater than 0, got {s.top_k}")
    if s.embedding_batch_size < 1:
        raise SettingsError(
            f"embedding_batch_size must be a positive integer, got {s.embedding_batch_size}"
        )
    if s.sentence_vectors not in (0, 1):
        raise SettingsError(f"sentence_vectors must be 0 or 1, got {s.sentence_vectors}")
    if s.embedding_runtime not in ("onnx", "torch"):
        raise SettingsError(f"embedding_runtime must be onnx or torch, got {s.embedding_runtime!r}")
    if s.retriever not in ("hybrid", "dense", "keyword"):
        raise SettingsError(f"retriever must be hybrid, dense or keyword, got {s.retriever!r}")
    if s.index_kind not in ("auto", "flat", "hnsw"):
        raise SettingsError(f"index_kind must be auto, flat or hnsw, got {s.index_kind!r}")
    if s.auth and ":" not in s.auth:
        raise SettingsError("auth must be user:password")
    return s
