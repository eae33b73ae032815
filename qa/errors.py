"""The few named errors of transcript-qa; the CLI and the UI turn them into messages."""

from __future__ import annotations


class TranscriptQAError(Exception):
    """Base class: every error meant to be shown to a user as a message."""


class TranscriptFormatError(TranscriptQAError):
    """A file could not be read as a transcript; the message names the file and why."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class LibraryError(TranscriptQAError):
    """The library on disk is missing, locked, or does not match the settings."""


class LibraryLockedError(LibraryError):
    """Another process is writing to the library."""


class SettingsError(TranscriptQAError):
    """A setting has a value that cannot be used."""


class MissingExtraError(TranscriptQAError):
    """An optional feature needs a package that is not installed; the message says how."""


class ClusterError(TranscriptQAError):
    """The Ray cluster of an ingest cannot be joined, or its workers failed past their retries."""


class InputError(TranscriptQAError):
    """A value a user typed (a date, a file name, a question) cannot be used as it is."""


class AnswererError(TranscriptQAError):
    """An LLM endpoint failed; callers fall back to the extractive answer."""
