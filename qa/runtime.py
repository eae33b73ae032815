"""Building the library and the assistant from settings (shared by the CLI, the UI and eval)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from embeddings.errors import ModelError
from qa.answer.assistant import Assistant
from qa.errors import SettingsError
from qa.settings import MB, Settings
from qa.store.library import Library

if TYPE_CHECKING:
    from embeddings.loading import EncoderSpec


def encoder_spec(settings: Settings) -> EncoderSpec:
    """The encoder the settings name for their library (its precision resolved)."""
    from embeddings.loading import EncoderSpec, choose_precision

    try:
        precision = choose_precision(settings.embedding_precision, settings.library_path)
    except ModelError as exc:
        raise SettingsError(str(exc)) from exc
    return EncoderSpec(
        settings.embedding_model,
        batch_size=settings.embedding_batch_size,
        runtime=settings.embedding_runtime,
        precision=precision,
    )


def open_library(settings: Settings) -> Library:
    """The library folder of the settings, with the encoder they name (loaded once here)."""
    try:
        encoder = encoder_spec(settings).load()
    except ModelError as exc:
        raise SettingsError(str(exc)) from exc
    return Library(
        settings.library_path,
        encoder,
        chunk_tokens=settings.chunk_tokens,
        index_kind=settings.index_kind,
        index_auto_threshold=settings.index_auto_threshold,
        max_file_bytes=settings.max_file_mb * MB,
        sentence_vectors=bool(settings.sentence_vectors),
    )


def build_assistant(settings: Settings, library: Library | None = None) -> Assistant:
    """An assistant over the library; with an LLM client when an endpoint is configured."""
    library = library or open_library(settings)
    llm = None
    if settings.llm_base_url:
        # Imported only with an endpoint: the client module brings in httpx (~0.1 s of start-up).
        from qa.answer.llm_client import LLMClient, LLMConfig

        llm = LLMClient(
            LLMConfig(
                base_url=settings.llm_base_url,
                model=settings.llm_model,
                api_key=settings.llm_api_key,
                timeout_s=settings.llm_timeout_s,
            )
        )
    return Assistant(library, settings, llm)
