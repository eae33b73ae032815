"""Settings: one table, environment variables, validation, and every setting documented."""

from __future__ import annotations

import pytest

from qa.errors import SettingsError
from qa.settings import Settings, load_settings, settings_table
from tests.conftest import REPO


def test_environment_then_overrides() -> None:
    settings = load_settings({"TQA_LIBRARY": "/data/lib", "TQA_TOP_K": "5"}, top_k=3, host=None)
    assert settings.library == "/data/lib"
    assert settings.top_k == 3
    assert settings.host == "127.0.0.1"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TQA_TOP_K": "five"}, "TQA_TOP_K must be a int, got 'five'"),
        ({"TQA_TOP_K": "0"}, "top_k must be greater than 0, got 0"),
        ({"TQA_RETRIEVER": "bm25"}, "retriever must be hybrid, dense or keyword, got 'bm25'"),
        ({"TQA_AUTH": "nopassword"}, "auth must be user:password"),
        ({"TQA_CHUNK_TOKENS": "4"}, "chunk_tokens must be at least 16, got 4"),
        ({"TQA_SENTENCE_VECTORS": "2"}, "sentence_vectors must be 0 or 1, got 2"),
        ({"TQA_EMBEDDING_RUNTIME": "tf"}, "embedding_runtime must be onnx or torch, got 'tf'"),
    ],
)
def test_bad_values_are_refused_with_the_value(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(env)


def test_unknown_override_is_refused() -> None:
    with pytest.raises(SettingsError, match="unknown settings: colour"):
        Settings().with_overrides(colour="blue")


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name, default, env, help_text in settings_table():
        assert f"| `{name}` |" in readme, f"{name} is missing from the README's settings table"
        assert help_text in readme, f"the README's help for {name} differs from qa/settings.py"
        assert env == "TQA_" + name.upper()
        if default not in ("", None):
            assert f"`{default}`" in readme, f"the README's default for {name} is not {default}"
