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
from qa.clock import clock
from qa.errors import TranscriptQAError
from qa.models import Answer, Filters
from qa.settings import SETTINGS, Settings, load_settings, setting, settings_markdown

if TYPE_CHECKING:
    from qa.answer.assistant import Assistant
    from qa.ingest.pipeline import FileResult
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
    from qa.ingest.speaker_names import unused_names_message
    from qa.runtime import open_library
    from qa.serialize import ingest_report_json

    paths = [Path(p) for p in args.paths]
    if args.media:
        from qa.errors import InputError
        from qa.store.media import check_media_file

        if len(paths) != 1 or paths[0].is_dir():
            raise InputError("--media goes with one transcript file (got " + str(len(paths)) + ")")
        check_media_file(Path(args.media))
    library = open_library(settings)
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

        address = _ray_address(args.ray, settings)
        if address:
            from qa.ingest.distributed import RayTarget, ingest_on_ray
            from qa.runtime import encoder_spec

            target = RayTarget(address, settings.ray_workers)
            report = ingest_on_ray(
                library,
                paths,
                target,
                encoder_spec(settings),
                format=args.format,
                progress=progress,
            )
        else:
            report = ingest(library, paths, format=args.format, progress=progress)
    attached, media_errors = _attach_media(library, report.files, args.media)
    if args.json:
        data = ingest_report_json(report)
        data["media"] = [{"transcript_id": t, "file": f} for t, f in attached]
        data["media_errors"] = media_errors
        _print_json(data)
    else:
        for s in report.skipped_files:
            print(f"skipped  {s.path}: {s.reason}", file=sys.stderr)
        for f in report.files:
            if f.status == "failed":
                print(f"failed   {f.error}", file=sys.stderr)
            else:
                print(
                    f"{f.status:<8} {f.transcript_id}  "
                    f"({f.utterances} utterances, {f.chunks} chunks)"
                )
                if f.unused_speaker_names:
                    message = unused_names_message(str(f.transcript_id), f.unused_speaker_names)
                    print(f"note     {message}", file=sys.stderr)
        for tid, name in attached:
            print(f"media    {tid}  (recording {name})")
        for error in media_errors:
            print(f"failed   {error}", file=sys.stderr)
        print(
            f"{report.count('added')} added, {report.count('replaced')} replaced, "
            f"{report.count('skipped')} unchanged, {report.count('failed')} failed, "
            f"{len(report.skipped_files)} other files skipped; "
            f"{report.embedded} chunks and {report.sentences_embedded} sentences embedded in "
            f"{report.seconds:.1f} s, searchable after {report.searchable_seconds:.1f} s "
            f"(library: {settings.library}; encoder: {report.encoder})"
        )
        if report.ray_address:
            print(f"on Ray at {report.ray_address} with {report.ray_workers} workers")
        if report.sentences_pending:
            print(
                f"{report.sentences_pending} transcripts still wait for their sentence vectors "
                "(answers embed those sentences as needed; the next `tqa ingest` or `tqa serve` "
                "stores them)"
            )
    return 1 if report.count("failed") or media_errors else 0


def _ray_address(flag: str | None, settings: Settings) -> str:
    """Where to ingest: `--ray ADDRESS`; `--ray` alone: the ray_address setting, else a local
    Ray; no flag: the setting (empty: this process)."""
    if flag is None:
        return settings.ray_address
    return flag or settings.ray_address or "local"


def _attach_media(
    library: Library, files: Sequence[FileResult], media: str | None
) -> tuple[list[tuple[str, str]], list[str]]:
    """Attach recordings to the ingested transcripts: the --media file, else a media file
    beside each transcript with its stem. ([(transcript id, stored file)], [errors])."""
    from qa.store.media import MediaSource, MediaStore

    store = MediaStore(library)
    attached: list[tuple[str, str]] = []
    errors: list[str] = []
    try:
        for f in files:
            if f.status == "failed" or not f.transcript_id:
                continue
            source: MediaSource | None
            try:
                if media:
                    source = store.attach(f.transcript_id, Path(media))
                else:
                    source = store.attach_beside(f.transcript_id, Path(f.path))
            except TranscriptQAError as exc:
                errors.append(str(exc))
                continue
            if source is not None:
                attached.append((f.transcript_id, source.location))
    finally:
        store.close()
    return attached, errors


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

    library = _library(settings)
    transcript = library.transcript(args.id)
    if args.json:
        _print_json(transcript_json(transcript))
        return 0
    print(
        f"{transcript.title}\n"
        f"{transcript.date or ''} {transcript.time or ''} {transcript.place or ''}"
    )
    # The format it was read as, so a wrong guess shows (then re-ingest with --format).
    print(f"read as {transcript.format}: {len(transcript.utterances)} utterances")
    for warning in transcript.metadata.get("warnings", []):
        print(f"warning: {warning}")
    # The label as parsed (a wrong guess shows here), after the name a user gave it.
    named = library.speaker_names(transcript.id)
    for u in transcript.utterances:
        who = u.speaker or "(narration)"
        if u.speaker in named:
            who = f"{u.canonical_speaker} ({u.speaker})"
        at = f" {clock(u.start_s)}" if u.start_s is not None else ""
        print(f"[u{u.index}]{at} {who}: {u.text}")
    return 0


def cmd_speakers(args: argparse.Namespace, settings: Settings) -> int:
    from qa.ingest.pipeline import RenameReport, rename_speakers
    from qa.ingest.speaker_names import parse_rename, speaker_summaries
    from qa.serialize import speakers_json

    library = _library(settings)
    report: RenameReport | None = None
    if args.rename:
        renames = [parse_rename(text) for text in args.rename]
        report = rename_speakers(library, args.id, renames)
    transcript = library.transcript(args.id)
    speakers = speaker_summaries(transcript)
    if args.json:
        _print_json(speakers_json(transcript, speakers, report))
        return 0
    if report is not None:
        for old, new in report.renamed.items():
            print(f"renamed {old} -> {new}")
        print(
            f"{report.chunks} chunks rewritten, {report.embedded} embedded, in "
            f"{report.seconds:.1f} s\n"
        )
    print(f"{transcript.title} ({transcript.id})")
    if not speakers:
        print("No named speakers (every utterance is narration).")
    width = max((len(s.name) for s in speakers), default=0)
    for s in speakers:
        written = [label for label in s.labels if label != s.name]
        also = f"  (written {', '.join(written)})" if written else ""
        print(f"{s.name:<{width}}  {s.utterances:>5} utt  u{s.sample_index}: {s.sample}{also}")
    return 0


def cmd_remove(args: argparse.Namespace, settings: Settings) -> int:
    from qa.store.media import MediaStore

    library = _library(settings)
    removed = library.remove(args.ids)
    store = MediaStore(library)
    try:
        store.detach(removed)
    finally:
        store.close()
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
    if args.json or args.format == "json":
        _print_json(answer_json(answer))
    elif args.format == "markdown":
        from qa.export import answer_markdown

        print(answer_markdown(answer, _links(assistant.library, answer)), end="")
    else:
        _print_answer(answer, _links(assistant.library, answer))
    return 0


def _links(library: Library, answer: Answer) -> dict[int, str]:
    """Links to the moments the answer's citations were said (file:// for library files)."""
    from qa.export import citation_links
    from qa.store.media import MediaStore

    store = MediaStore(library)
    try:
        sources = store.sources([c.transcript_id for c in answer.citations])
        return citation_links(answer, sources, store.file_uri)
    finally:
        store.close()


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
        _print_answer(answer, _links(assistant.library, answer))
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
        undated = " (and undated transcripts)" if filters.undated else ""
        parts.append(f"dates: {filters.since or '…'} to {filters.until or '…'}{undated}")
    if filters.from_s is not None or filters.to_s is not None:
        from qa.retrieve.times import describe_time_range

        parts.append(describe_time_range(filters.from_s, filters.to_s))
    return " · ".join(parts)


def _print_answer(answer: Answer, links: dict[int, str] | None = None) -> None:
    links = links or {}
    if answer.standalone_question != answer.question:
        print(f"Searched: {answer.standalone_question}")
    _print_filters(answer.filters)
    for notice in answer.notices:
        print(f"note: {notice}")
    print(f"\n{answer.text}\n")
    for c in answer.citations:
        when = f" {clock(c.start_s)}" if c.start_s is not None else ""
        link = f"  {links[c.n]}" if c.n in links else ""
        print(
            f"[{c.n}] {c.speaker or '(narration)'} — {c.title} ({c.date or 'undated'})"
            f"{when} {c.ref}{link}"
        )
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
    p.add_argument(
        "--media",
        metavar="RECORDING",
        help="the recording of the one transcript given (.mp3 .m4a .wav .ogg .opus .mp4 "
        ".webm), copied into the library; without it a media file beside each transcript "
        "with the same stem is attached",
    )
    p.add_argument(
        "--ray",
        nargs="?",
        const="",
        metavar="ADDRESS",
        help="parse, chunk and embed on Ray workers while this process writes the library: "
        "on a running cluster (host:port of `ray start --head`), or without ADDRESS on the "
        "ray_address setting, else a Ray started for the run (needs transcript-qa[scale])",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("list", help="the transcripts in the library")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("show", help="a parsed transcript, utterance by utterance")
    p.add_argument("id")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser(
        "speakers", help="a transcript's speakers with a line of each; --rename names them"
    )
    p.add_argument("id")
    p.add_argument(
        "--rename",
        action="append",
        metavar="OLD=NEW",
        help='give a speaker a name, e.g. "SPEAKER_00=Taylor Smith" (repeatable; a name the '
        "transcript already has merges the two); kept when the file is ingested again",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_speakers)

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
    p.add_argument(
        "--format",
        choices=("text", "markdown", "json"),
        default="text",
        help="markdown: the answer with its numbered sources, to paste elsewhere",
    )
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
