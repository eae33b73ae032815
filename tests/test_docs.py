"""The README agrees with the code: the settings table is the rendered one, every command and
every flag of it is documented."""

from __future__ import annotations

import argparse
import re

import pytest

from qa.cli import build_parser
from qa.settings import SETTINGS, settings_markdown
from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
FILTER_FLAGS = {"--speaker", "--transcript", "--since", "--until"}


def _section(heading: str) -> str:
    """The text of a README section, from its heading to the next heading of any level."""
    start = README.index(f"\n{heading}\n") + len(heading) + 2
    end = README.find("\n#", start)
    return README[start : end if end != -1 else None]


def _table(section: str) -> str:
    """The first Markdown table of a section, its lines as written."""
    lines = section.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[first:]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return "\n".join(rows) + "\n"


def test_the_settings_table_is_the_rendered_one() -> None:
    assert _table(_section("## Settings")) == settings_markdown(), (
        "README's settings table differs from qa/settings.py: "
        "paste the output of `tqa settings --markdown` under ## Settings"
    )


@pytest.mark.parametrize("name", [s.name for s in SETTINGS])
def test_every_setting_is_documented(name: str) -> None:
    assert f"| `{name}` |" in _table(_section("## Settings"))


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def _command_rows() -> dict[str, str]:
    """{subcommand: its README row} from the table under "The command line"."""
    rows = {}
    for line in _table(_section("## The command line")).splitlines()[2:]:
        match = re.match(r"\| `tqa (\w+)", line)
        assert match, f"a row of the command table names no command: {line}"
        rows[match.group(1)] = line
    return rows


def test_every_command_is_documented_and_every_documented_command_exists() -> None:
    assert set(_command_rows()) == set(_subcommands())


@pytest.mark.parametrize("command", sorted(set(_subcommands()) - {"eval"}))
def test_every_flag_of_a_command_is_documented(command: str) -> None:
    row = _command_rows()[command]
    documented = set(re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", row.split("` |")[0]))
    if "[filters]" in row:
        documented |= FILTER_FLAGS
    # A flag counts as documented when one of its spellings is.
    missing = [
        "/".join(action.option_strings)
        for action in _subcommands()[command]._actions
        if action.option_strings
        and not isinstance(action, argparse._HelpAction)
        and not documented & set(action.option_strings)
    ]
    assert not missing, f"`tqa {command}` flags missing from the README's command table: {missing}"
