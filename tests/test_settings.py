"""Settings: one table, environment variables, validation, and every setting documented."""

from __future__ import annotations

from dataclasses import fields

import pytest

from embeddings.models import DEFAULT_MODEL, INDEX_KINDS, RUNTIMES
from qa.errors import SettingsError
from qa.retrieve import retriever
from qa.settings import (
    RETRIEVERS,
    SETTINGS,
    Setting,
    Settings,
    load_settings,
    one_of,
    setting,
    settings_markdown,
)
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
        ({"TQA_INDEX_KIND": "ivf"}, "index_kind must be auto, flat, hnsw or ivfpq, got 'ivf'"),
        ({"TQA_ABSTAIN_THRESHOLD": "high"}, "TQA_ABSTAIN_THRESHOLD must be a float, got 'high'"),
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
    for s in SETTINGS:
        name, default, env, help_text = s.name, s.default, s.env, s.help
        assert f"| `{name}` |" in readme, f"{name} is missing from the README's settings table"
        assert help_text in readme, f"the README's help for {name} differs from qa/settings.py"
        assert env == "TQA_" + name.upper()
        if default not in ("", None):
            assert f"`{default}`" in readme, f"the README's default for {name} is not {default}"


def test_allowed_values_come_from_their_one_definition() -> None:
    assert setting("retriever").allowed == RETRIEVERS == retriever.RETRIEVERS
    assert setting("embedding_runtime").allowed == RUNTIMES
    assert setting("index_kind").allowed == ("auto", *INDEX_KINDS)
    assert setting("sentence_vectors").allowed == (0, 1)
    assert Settings().embedding_model == DEFAULT_MODEL


@pytest.mark.parametrize("row", [s for s in SETTINGS if s.allowed], ids=lambda s: s.name)
def test_a_mode_defaults_to_an_allowed_value_and_its_help_names_them_all(row: Setting) -> None:
    assert row.allowed and row.default in row.allowed
    for value in row.allowed:
        assert str(value) in row.help, f"{row.name}'s help does not name {value}"


def test_every_allowed_value_is_accepted() -> None:
    for row in SETTINGS:
        for value in row.allowed or ():
            assert getattr(load_settings({row.env: str(value)}), row.name) == value


def test_the_table() -> None:
    assert [s.name for s in SETTINGS] == [f.name for f in fields(Settings)]
    top_k = setting("top_k")
    assert (top_k.type, top_k.default, top_k.env) == (int, 8, "TQA_TOP_K")
    assert one_of(["a"]) == "a" and one_of(["a", "b", "c"]) == "a, b or c"
    assert "| `top_k` | `8` | Passages retrieved for an answer. |" in settings_markdown()
    assert "| `auth` | (empty) |" in settings_markdown()
    assert "secret" not in repr(Settings(llm_api_key="secret"))
