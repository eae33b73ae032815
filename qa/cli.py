"""`tqa`: the command line. A thin edge: it parses arguments, calls qa/, prints, and turns the
named errors into one-line messages (exit code 2 for a user error, 1 when a batch had failures)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from embeddings.offline import use_offline_hub
from qa.errors import TranscriptQAError
from qa.models import Filters
from qa.settings import SETTINGS, Settings, load_settings, setting, settings_markdown

if TYPE_CHECKING:
    from qa.answer.assistant import Assistant
    from qa.store.library import Library

use_offline_hub()


def _print_json(data: object) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def _filters(args: argparse.Namespace) -> Filters:
    return Filters(
        speakers=tuple(args.speaker or ()),
        transcripts=tuple(args.transcript or ()),
        since=args.since,
        until=args.until,
    )


def _add_filter_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--speaker", action="append", help="canonical speaker name (repeatable)")
    p.add_argument("--transcript", action="append", help="transcript id (repeatable)")
    p.add_argument("--since", help="ISO date, inclusive (YYYY-MM-DD)")
    p.add_argument("--until", help="ISO date, inclusive (YYYY-MM-DD)")


# ------------------------------------------------------------------------------------ commands


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

    from qa.ingest.pipeline import ingest
    from qa.runtime import open_library
    from qa.serialize import ingest_report_json

    library = open_library(settings)
    paths = [Path(p) for p in args.paths]
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeRemainingColumn(),
        disable=args.json or not sys.stderr.isatty(),
        console=None,
        transient=True,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        report = ingest(library, paths, format=args.format, progress=progress)
    if args.json:
        _print_json(ingest_report_json(report))
    else:
        for f in report.files:
            if f.status == "failed":
                print(f"failed   {f.error}", file=sys.stderr)
            else:
                print(
                    f"{f.status:<8} {f.transcript_id}  "
                    f"({f.utterances} utterances, {f.chunks} chunks)"
                )
        print(
            f"{report.count('added')} added, {report.count('replaced')} replaced, "
            f"{report.count('skipped')} unchanged, {report.count('failed')} failed; "
            f"{report.embedded} chunks and {report.sentences_embedded} sentences embedded in "
            f"{report.seconds:.1f} s, searchable after {report.searchable_seconds:.1f} s "
            f"(library: {settings.library}; encoder: {report.encoder})"
        )
        if report.sentences_pending:
            print(
                f"{report.sentences_pending} transcripts still wait for their sentence vectors "
                "(answers embed those sentences as needed; the next `tqa ingest` or `tqa serve` "
                "stores them)"
            )
    return 1 if report.count("failed") else 0


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    from qa.serialize import transcript_info_json

    library = _library(settings)
    infos = library.transcripts()
    if args.json:
        _print_json([transcript_info_json(i) for i in infos])
        return 0
    if not infos:
        print(
            f"The library at {settings.library} is empty. Add transcripts with `tqa ingest PATH`."
        )
    for i in infos:
        print(f"{i.id}\t{i.date or '-'}\t{i.utterance_count} utt\t{i.title}")
    return 0


def cmd_show(args: argparse.Namespace, settings: Settings) -> int:
    from qa.serialize import transcript_json

    transcript = _library(settings).transcript(args.id)
    if args.json:
        _print_json(transcript_json(transcript))
        return 0
    print(
        f"{transcript.title}\n"
        f"{transcript.date or ''} {transcript.time or ''} {transcript.place or ''}"
    )
    for u in transcript.utterances:
        who = u.speaker or "(narration)"
        print(f"[u{u.index}] {who}: {u.text}")
    return 0


def cmd_remove(args: argparse.Namespace, settings: Settings) -> int:
    removed = _library(settings).remove(args.ids)
    missing = [i for i in args.ids if i not in removed]
    if args.json:
        _print_json({"removed": removed, "missing": missing})
    else:
        for i in removed:
            print(f"removed {i}")
        for i in missing:
            print(f"not in the library: {i}", file=sys.stderr)
    return 1 if missing else 0


def cmd_reindex(args: argparse.Namespace, settings: Settings) -> int:
    from qa.ingest.pipeline import reindex
    from qa.runtime import open_library

    count = reindex(open_library(settings))
    print(f"reindexed: {count} chunks with {settings.embedding_model}")
    return 0


def cmd_retrieve(args: argparse.Namespace, settings: Settings) -> int:
    from qa.retrieve.retriever import Retriever
    from qa.serialize import retrieval_json

    library = _library(settings)
    k = settings.top_k if args.k is None else args.k
    result = Retriever(library, mode=args.retriever or settings.retriever).retrieve(
        args.query, k, _filters(args)
    )
    if args.json:
        _print_json(retrieval_json(result))
        return 0
    _print_filters(result.filters)
    for rank, p in enumerate(result.passages, 1):
        print(
            f"\n[{rank}] {p.transcript_id}#u{p.utterance_start}-{p.utterance_end}  "
            f"{p.title} ({p.date})"
        )
        print(p.text)
    return 0


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from qa.serialize import answer_json

    assistant = _assistant(settings)
    answer = assistant.ask(args.question, filters=_filters(args), mode=args.retriever)
    if args.json:
        _print_json(answer_json(answer))
    else:
        _print_answer(answer)
    return 0


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    from qa.answer.assistant import Conversation

    assistant = _assistant(settings)
    conversation = Conversation()
    print("Ask about your transcripts. An empty line or Ctrl-D ends the chat.")
    while True:
        try:
            question = input("\n> ").strip()
        except EOFError:
            break
        if not question:
            break
        try:
            answer = assistant.ask(question, conversation.turns, _filters(args))
        except TranscriptQAError as exc:
            print(f"error: {exc}")
            continue
        conversation.add(answer)
        _print_answer(answer)
    return 0


def cmd_lookup(args: argparse.Namespace, settings: Settings) -> int:
    from qa.answer.lookup import lookup
    from qa.serialize import quote_match_json

    matches = lookup(_library(settings), args.quote, limit=args.k)
    if args.json:
        _print_json([quote_match_json(m) for m in matches])
        return 0 if matches else 1
    if not matches:
        print("No utterance in the library says that.")
        return 1
    for m in matches:
        print(
            f"\n{m.utterance.canonical_speaker or '(narration)'} — {m.title} ({m.date}) {m.ref}"
            f"  similarity {m.similarity:.2f}"
        )
        for u in m.context:
            mark = ">" if u.index == m.utterance.index else " "
            print(f" {mark} [u{u.index}] {u.speaker or ''}: {u.text}")
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from ui.server import serve

    serve(settings)
    return 0


def cmd_settings(args: argparse.Namespace, settings: Settings) -> int:
    if args.markdown:
        print(settings_markdown(), end="")
        return 0
    rows = [
        {
            "name": s.name,
            "env": s.env,
            "default": s.default,
            "value": getattr(settings, s.name),
            "help": s.help,
            "allowed": None if s.allowed is None else list(s.allowed),
        }
        for s in SETTINGS
    ]
    for row in rows:
        if row["name"] == "llm_api_key" and row["value"]:
            row["value"] = "(set)"
    if args.json:
        _print_json(rows)
    else:
        for row in rows:
            print(f"{row['name']:<22} {row['value']!s:<28} {row['env']:<26} {row['help']}")
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from eval.cli import run_eval_command

    return run_eval_command(args, settings)


# ------------------------------------------------------------------------------------ helpers


def _library(settings: Settings) -> Library:
    from qa.runtime import open_library

    if not (settings.library_path / "library.sqlite").exists():
        from qa.errors import LibraryError

        raise LibraryError(
            f"no library at {settings.library}; create one with `tqa ingest PATH` "
            "(or point --library / TQA_LIBRARY at an existing one)"
        )
    return open_library(settings)


def _assistant(settings: Settings) -> Assistant:
    from qa.runtime import build_assistant

    library = _library(settings)
    library.require_current()
    return build_assistant(settings, library)


def _setting_help(name: str, what: str = "") -> str:
    """A flag's help, from the settings table: the setting's help, its variable and default."""
    s = setting(name)
    default = f"${s.env} if set" if s.default == "" else f"${s.env} or {s.default}"
    return f"{what}{s.help} Default: {default}.".replace("%", "%%")


def _print_filters(filters: Filters) -> None:
    if not filters.is_empty():
        print(f"filters: {_describe_filters(filters)}")


def _describe_filters(filters: Filters) -> str:
    parts = []
    if filters.speakers:
        parts.append("speaker: " + ", ".join(filters.speakers))
    if filters.transcripts:
        parts.append("transcript: " + ", ".join(filters.transcripts))
    if filters.since or filters.until:
        parts.append(f"dates: {filters.since or '…'} to {filters.until or '…'}")
    return " · ".join(parts)


def _print_answer(answer: object) -> None:
    from qa.models import Answer

    assert isinstance(answer, Answer)
    if answer.standalone_question != answer.question:
        print(f"Searched: {answer.standalone_question}")
    _print_filters(answer.filters)
    for notice in answer.notices:
        print(f"note: {notice}")
    print(f"\n{answer.text}\n")
    for c in answer.citations:
        print(f"[{c.n}] {c.speaker or '(narration)'} — {c.title} ({c.date or 'undated'}) {c.ref}")
    if answer.abstained and answer.passages:
        print("Closest passages:")
        for rank, p in enumerate(answer.passages[:3], 1):
            snippet = " ".join(p.text.split())[:200]
            print(f"  {rank}. {p.transcript_id}#u{p.utterance_start}-{p.utterance_end}: {snippet}…")


# ------------------------------------------------------------------------------------ parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tqa", description="Ask questions of speech transcripts, with cited answers."
    )
    parser.add_argument("--library", help=_setting_help("library"))
    parser.add_argument("--model", help=_setting_help("embedding_model", "Embedding model: "))
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="add transcript files or folders to the library")
    p.add_argument("paths", nargs="+")
    p.add_argument("--format", help="force a format instead of detecting it")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("list", help="the transcripts in the library")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("show", help="a parsed transcript, utterance by utterance")
    p.add_argument("id")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("remove", help="delete transcripts from the library")
    p.add_argument("ids", nargs="+")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_remove)

    p = sub.add_parser("reindex", help="re-chunk and re-embed with the current settings")
    p.set_defaults(func=cmd_reindex)

    p = sub.add_parser("retrieve", help="the passages that best match a query")
    p.add_argument("query")
    _add_filter_args(p)
    p.add_argument("-k", type=int, help=_setting_help("top_k"))
    p.add_argument(
        "--retriever", choices=setting("retriever").allowed, help=_setting_help("retriever")
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_retrieve)

    p = sub.add_parser("ask", help="a short answer with citations")
    p.add_argument("question")
    _add_filter_args(p)
    p.add_argument(
        "--retriever", choices=setting("retriever").allowed, help=_setting_help("retriever")
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("chat", help="a conversation in the terminal (follow-ups work)")
    _add_filter_args(p)
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("lookup", help="who said a quote, or show TRANSCRIPT_ID#u12 in context")
    p.add_argument("quote")
    p.add_argument("-k", type=int, default=5)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_lookup)

    p = sub.add_parser("serve", help="the chat UI in the browser")
    # Also after `serve` (`python app.py --library DIR`); SUPPRESS keeps an absent one from
    # overriding the global --library.
    p.add_argument("--library", default=argparse.SUPPRESS, help=_setting_help("library"))
    p.add_argument("--host", help=_setting_help("host"))
    p.add_argument("--port", type=int, help=_setting_help("port"))
    p.add_argument("--auth", help=_setting_help("auth"))
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("settings", help="every setting, its value and environment variable")
    shown = p.add_mutually_exclusive_group()
    shown.add_argument("--json", action="store_true")
    shown.add_argument("--markdown", action="store_true", help="the README's table of settings")
    p.set_defaults(func=cmd_settings)

    p = sub.add_parser("eval", help="evaluation suites: run, import, compare")
    from eval.cli import add_eval_arguments

    add_eval_arguments(p)
    p.set_defaults(func=cmd_eval)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings(
            library=args.library,
            embedding_model=args.model,
            host=getattr(args, "host", None),
            port=getattr(args, "port", None),
            auth=getattr(args, "auth", None),
        )
        func: Callable[[argparse.Namespace, Settings], int] = args.func
        return func(args, settings)
    except TranscriptQAError as exc:
        print(f"tqa: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("tqa: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
