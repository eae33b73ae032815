"""The chat UI in the browser: `tqa serve` under the file name Gradio apps conventionally have.

    python app.py [--library DIR] [--host 127.0.0.1] [--port 7860] [--auth user:password]

The UI itself is the ui/ package (ui/server.py builds and serves it); arguments and errors are
the CLI's. The library is opened and the model loaded once per process; every browser session
has its own conversation and filters.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from qa.cli import main as cli_main


def main(argv: Sequence[str] | None = None) -> int:
    """`tqa serve ARGV` (argv: this process's arguments by default)."""
    return cli_main(["serve", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    raise SystemExit(main())
