"""The layer rule of pyproject's import-linter contracts holds, and breaks on a climbing import."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("qa", "embeddings", "eval", "ui", "benchmarks")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(
    not LINT_IMPORTS.exists(), reason=f"lint-imports is not installed next to {sys.executable}"
)


def _copy_tree(target: Path) -> None:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, target / package, ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", target / "pyproject.toml")


def _lint(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-logo", "--no-cache"],
        cwd=folder,
        env={"PYTHONPATH": str(folder), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_tree_keeps_its_layers(tmp_path: Path) -> None:
    _copy_tree(tmp_path)
    result = _lint(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("module", "climbing_import", "broken", "named"),
    [
        # the store reaching up into retrieval
        (
            "qa/store/library.py",
            "import qa.retrieve.retriever",
            "Imports only go down the flow",
            "qa.store.library -> qa.retrieve.retriever",
        ),
        # the embeddings layer importing the application, hidden in a function
        (
            "embeddings/base.py",
            "def _f():\n    import qa.errors",
            "Imports only go down the flow",
            "embeddings.base -> qa.errors",
        ),
        # answering code importing the UI
        (
            "qa/answer/lookup.py",
            "import ui.present",
            "Imports only go down the flow",
            "qa.answer.lookup -> ui.present",
        ),
        # the pure HTML module importing gradio
        ("ui/present.py", "import gradio", "Only the UI imports gradio", "ui.present -> gradio"),
    ],
)
def test_a_climbing_import_fails_the_check(
    tmp_path: Path, module: str, climbing_import: str, broken: str, named: str
) -> None:
    _copy_tree(tmp_path)
    path = tmp_path / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n\n{climbing_import}\n", encoding="utf-8")
    result = _lint(tmp_path)
    assert result.returncode != 0
    assert f"{broken} BROKEN" in result.stdout, result.stdout
    assert named in result.stdout, result.stdout
