"""The Hugging Face libraries told to stay offline: every model is local, nothing is downloaded.

huggingface_hub reads HF_HUB_OFFLINE once, when it is first imported (into its constants), and
transformers likewise reads TRANSFORMERS_OFFLINE: set later, they change nothing. So every entry
point (the CLI, the UI, the benchmarks, the test suites) and every loader that imports
transformers or sentence-transformers calls `use_offline_hub()` before that import. A subprocess
gets them through `offline_env()` (the Makefile exports them for its own commands too).
TOKENIZERS_PARALLELISM=false keeps the tokenizers library from warning (and deadlocking) when a
process that has used it forks.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

OFFLINE_ENV: Mapping[str, str] = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
}


def use_offline_hub() -> None:
    """Set the offline variables in this process's environment, unless already set.

    Call it before huggingface_hub, transformers or sentence_transformers is imported.
    """
    for name, value in OFFLINE_ENV.items():
        os.environ.setdefault(name, value)


def offline_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """A copy of the environment (this process's by default) with the offline variables set,
    for a subprocess."""
    return {**(os.environ if base is None else base), **OFFLINE_ENV}
