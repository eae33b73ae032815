"""Every setting declared once: name, type, default, help and, for a mode, its allowed values.

Values come from, in order: an explicit argument (CLI flag), the environment variable, the default.
Units are in the names (`_tokens`, `_s`, `_mb`). The CLI's flags, `tqa settings` and the README's
table (`tqa settings --markdown`, checked by tests/test_docs.py) are all made from this table.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args

from embeddings.models import (
    BUNDLED_INT8_PREFIX,
    DEFAULT_MODEL,
    INDEX_KINDS,
    PRECISIONS,
    RUNTIMES,
    IndexKind,
    Precision,
    Runtime,
)
from qa.errors import SettingsError

# The modes, each defined once; flags, validation and help use these.
Retriever = Literal["hybrid", "dense", "keyword"]
RETRIEVERS: tuple[Retriever, ...] = get_args(Retriever)
Switch = Literal[0, 1]  # a setting that is on (1) or off (0)
SWITCH: tuple[Switch, ...] = get_args(Switch)
SentenceVectors = Switch
SENTENCE_VECTORS = SWITCH
IndexSetting = Literal["auto", IndexKind]  # auto: flat, hnsw or ivfpq by chunk count
INDEX_SETTINGS: tuple[IndexSetting, ...] = ("auto", *INDEX_KINDS)

MB = 1024 * 1024  # the unit of the *_mb settings

_T = TypeVar("_T")


def one_of(values: Iterable[object]) -> str:
    """ "a, b or c": allowed values as the help and the error messages name them."""
    words = [str(v) for v in values]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _setting(
    default: _T, help: str, *, allowed: tuple[_T, ...] | None = None, repr: bool = True
) -> _T:
    """A field of Settings with its help and allowed values (a row of the table)."""
    return field(default=default, repr=repr, metadata={"help": help, "allowed": allowed})


@dataclass(frozen=True)
class Settings:
    library: str = _setting("library", "Folder of the library (SQLite, FAISS index, manifest).")
    embedding_model: str = _setting(
        DEFAULT_MODEL, f"{DEFAULT_MODEL}, {BUNDLED_INT8_PREFIX}… (ONNX int8), or a local folder."
    )
    embedding_runtime: Runtime = _setting(  # noqa: RUF009
        "onnx",
        "onnx (ONNX Runtime, exported once; no torch at start-up) or torch.",
        allowed=RUNTIMES,  # defined with the model names, where the loader checks them
    )
    embedding_precision: Precision = _setting(  # noqa: RUF009
        "auto",
        "fp32, int8 (ONNX, quantised) or auto: a library keeps the precision it was embedded "
        "with; a new one is int8 where the CPU has VNNI (AVX-512 VNNI, AVX-VNNI), else fp32.",
        allowed=PRECISIONS,
    )
    embedding_batch_size: int = _setting(32, "Texts per encoder batch.")
    chunk_tokens: int = _setting(200, "Token budget of a chunk, in cl100k tokens.")
    # (_setting returns a dataclasses.field, which ruff cannot tell for a Literal-typed field.)
    sentence_vectors: SentenceVectors = _setting(  # noqa: RUF009
        1,
        "1: embed every quotable sentence at ingest (faster answers); 0: not.",
        allowed=SENTENCE_VECTORS,
    )
    index_kind: IndexSetting = _setting(  # noqa: RUF009
        "auto",
        "FAISS index: flat (exact), hnsw (approximate), ivfpq (compressed) or auto (by size).",
        allowed=INDEX_SETTINGS,
    )
    # A flat scan grows by ~0.3 ms per 1,000 vectors here (p95 332 ms at 1M), HNSW stays
    # near 5 ms: at 50k a flat scan is ~17 ms, a third of the retrieval budget.
    index_auto_threshold: int = _setting(
        50_000, "Chunk count above which `auto` builds HNSW instead of flat."
    )
    ray_address: str = _setting(
        "",
        "Where `tqa ingest` parses, chunks and embeds: empty: in its own process; local: a Ray "
        "started for the run; host:port: a running Ray cluster (needs transcript-qa[scale]).",
    )
    ray_workers: int = _setting(
        0, "Workers (Ray actors, one CPU and one encoder each) of a Ray ingest; 0: one per CPU."
    )
    retriever: Retriever = _setting(  # noqa: RUF009
        "hybrid", f"Retriever: {one_of(RETRIEVERS)}.", allowed=RETRIEVERS
    )
    top_k: int = _setting(8, "Passages retrieved for an answer.")
    answer_max_words: int = _setting(120, "Length limit of an extractive answer, in words.")
    pair_scorer: Switch = _setting(  # noqa: RUF009
        1,
        "1: the sentences the scorer ranks best are reordered by the pair scorer (a "
        "cross-encoder made from the bundled model), and the answerability check reads its "
        "logit of the lead; 0: not (the check reads even odds). Other models have none.",
        allowed=SWITCH,
    )
    abstain_threshold: float = _setting(
        0.0,
        "Probability (learned sentence scorer) below which the answerer abstains; 0: never on "
        "that alone (its checks decide).",
    )
    llm_base_url: str = _setting(
        "", "OpenAI-compatible endpoint (e.g. http://127.0.0.1:11434/v1); empty: offline."
    )
    llm_model: str = _setting("", "Model name at the LLM endpoint.")
    llm_api_key: str = _setting("", "API key for the LLM endpoint (never logged).", repr=False)
    llm_timeout_s: float = _setting(60.0, "Seconds to wait for the LLM endpoint.")
    upload_max_mb: int = _setting(50, "Largest file the UI accepts, in MB.")
    max_file_mb: int = _setting(100, "Largest transcript file ingest reads, in MB.")
    host: str = _setting("127.0.0.1", "Address the UI binds to.")
    port: int = _setting(7860, "Port of the UI.")
    auth: str = _setting("", "user:password required by the UI when set.")

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


@dataclass(frozen=True)
class Setting:
    """A row of the table: a setting's name, type, default, help and allowed values."""

    name: str
    type: type
    default: Any
    help: str
    allowed: tuple[Any, ...] | None = None

    @property
    def env(self) -> str:
        """The environment variable: TQA_ + the name in capitals."""
        return "TQA_" + self.name.upper()


SETTINGS: tuple[Setting, ...] = tuple(
    Setting(f.name, type(f.default), f.default, f.metadata["help"], f.metadata["allowed"])
    for f in fields(Settings)
)
_BY_NAME = {s.name: s for s in SETTINGS}


def setting(name: str) -> Setting:
    """The row of one setting."""
    return _BY_NAME[name]


def load_settings(environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Settings from the environment (TQA_*), then explicit overrides."""
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    for s in SETTINGS:
        raw = env.get(s.env)
        if raw:
            values[s.name] = _coerce(s, raw)
    return Settings(**values).with_overrides(**overrides)  # type: ignore[arg-type]


def settings_markdown() -> str:
    """The README's table of settings (`tqa settings --markdown`)."""
    lines = ["| setting | default | meaning |", "|---|---|---|"]
    for s in SETTINGS:
        default = "(empty)" if s.default == "" else f"`{s.default}`"
        meaning = s.help.replace("|", "\\|")
        lines.append(f"| `{s.name}` | {default} | {meaning} |")
    return "\n".join(lines) + "\n"


def _coerce(s: Setting, raw: str) -> object:
    try:
        if s.type is int:
            return int(raw)
        if s.type is float:
            return float(raw)
    except ValueError:
        raise SettingsError(f"{s.env} must be a {s.type.__name__}, got {raw!r}") from None
    return raw


def _validated(s: Settings) -> Settings:
    if s.chunk_tokens < 16:
        raise SettingsError(f"chunk_tokens must be at least 16, got {s.chunk_tokens}")
    if s.top_k < 1:
        raise SettingsError(f"top_k must be greater than 0, got {s.top_k}")
    if s.ray_workers < 0:
        raise SettingsError(f"ray_workers must be 0 or more, got {s.ray_workers}")
    if s.embedding_batch_size < 1:
        raise SettingsError(
            f"embedding_batch_size must be a positive integer, got {s.embedding_batch_size}"
        )
    for row in SETTINGS:
        value = getattr(s, row.name)
        if row.allowed is not None and value not in row.allowed:
            raise SettingsError(f"{row.name} must be {one_of(row.allowed)}, got {value!r}")
    if s.auth and ":" not in s.auth:
        raise SettingsError("auth must be user:password")
    return s
