"""Speed benchmarks: ingest, query, large index, cold start, encoder (`make bench`).

Each measurement runs in its own process (`python -m benchmarks.bench --stage NAME`), so one stage's
caches and memory never flatter another's. Results: a Markdown table on stdout and
bench-results/bench.json (+ .md). Run `python -m benchmarks.bench --help` for the options.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from embeddings.models import BUNDLED_INT8_PREFIX, BUNDLED_MODEL, DEFAULT_MODEL
from eval.metrics import percentile

if TYPE_CHECKING:
    from qa.answer.assistant import Assistant

REPO = Path(__file__).resolve().parents[1]
KREMLIN = REPO.parent / "shared" / "data" / "kremlin" / "html"
HAND_SUITE = REPO / "eval" / "suites" / "hand.jsonl"
FP32_MODEL = DEFAULT_MODEL
INT8_MODEL = BUNDLED_INT8_PREFIX + BUNDLED_MODEL
STAGES = (
    "encoder",
    "ingest",
    "query",
    "million",
    "ten_million",
    "cold_start",
    "serve",
    "llamaindex",
    "first_answer",
    "ray_ingest",
)
# The corpus sizes of the first_answer stage (0: every page).
FIRST_ANSWER_PAGES = (40, 0)
FIRST_QUESTION = "What was said about trade and economic cooperation?"
LLAMAINDEX_PYTHON = REPO / ".venv-llamaindex" / "bin" / "python"  # `make bench-env`
LLAMAINDEX_SCRIPT = REPO / "benchmarks" / "bench_llamaindex.py"


# ----------------------------------------------------------------------------- helpers


def rounded_percentile(values: Sequence[float], q: float, digits: int) -> float | None:
    """eval.metrics.percentile rounded to `digits`; None (JSON null) when there are no values."""
    value = percentile(values, q)
    return None if value is None else round(value, digits)


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident memory of this process (or of its waited-for children), in MB."""
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports KiB


def kremlin_pages(folder: Path, limit: int | None) -> list[Path]:
    """The corpus pages in natural order, the first `limit` of them when given."""
    pages = sorted(folder.glob("*.html"), key=lambda p: (len(p.stem), p.stem))
    if not pages:
        raise SystemExit(f"no kremlin.ru pages in {folder}")
    return pages[:limit] if limit else pages


def _offline_env() -> dict[str, str]:
    """This process's environment with the model hubs told to stay offline (for subprocesses)."""
    from embeddings.offline import offline_env

    return offline_env()


def _settings(library: Path, model: str, **extra: object) -> Any:
    from qa.settings import load_settings

    # The environment's TQA_* settings apply (--sentence-vectors sets TQA_SENTENCE_VECTORS).
    return load_settings().with_overrides(library=str(library), embedding_model=model, **extra)


# ----------------------------------------------------------------------------- stages


def bench_ingest(pages: Sequence[Path], model: str, work: Path) -> dict[str, Any]:
    """Fresh ingest of pages, again unchanged, again with one file changed (copies in work)."""
    from qa.ingest.pipeline import ingest
    from qa.runtime import open_library
    from qa.sentences import is_quotable

    corpus = work / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for page in pages:
        shutil.copyfile(page, corpus / page.name)
    copies = sorted(corpus.iterdir())
    library = open_library(_settings(work / "library", model))
    encoder = library.encoder
    timed = _TimedEncoder(encoder)
    library.encoder = timed  # the same encoder, timed
    runs: dict[str, dict[str, Any]] = {}
    for label in ("first", "unchanged", "one_changed"):
        if label == "one_changed":
            _change_one_file(copies[len(copies) // 2])
        started = time.perf_counter()
        report = ingest(library, copies)
        wall = time.perf_counter() - started
        runs[label] = {
            "wall_s": round(wall, 3),
            "searchable_s": round(report.searchable_seconds, 3),
            "embedded_chunks": report.embedded,
            "embedded_sentences": report.sentences_embedded,
            "added": report.count("added"),
            "replaced": report.count("replaced"),
            "skipped": report.count("skipped"),
            "failed": report.count("failed"),
        }
    words = 0
    sentence_pieces = 0
    for info in library.transcripts():
        utterances = library.transcript(info.id).utterances
        words += sum(len(u.text.split()) for u in utterances)
        stored = library.sentence_spans(info.id, 0, len(utterances))
        sentence_pieces += sum(
            encoder.count_tokens(u.text[a:b]) + 2
            for u in utterances
            for a, b in stored.get(u.index, [])
            if is_quotable(u.text[a:b])
        )
    ids = [int(i) for i in library.index().ids()]
    chunks = library.chunks(ids)
    pieces = [encoder.count_tokens(c.chunk.text) + 2 for c in chunks.values()]  # [CLS], [SEP]
    embedded_pieces = sum(min(p, encoder.max_tokens) for p in pieces)
    first = runs["first"]["wall_s"]
    sentence_vectors = library.sentence_vectors
    library.encoder = encoder
    library.close()
    return {
        "model": model,
        "encoder_name": encoder.name,
        "sentence_vectors": sentence_vectors,
        "pages": len(pages),
        "transcript_words": words,
        "chunks": len(chunks),
        "word_pieces": sum(pieces),
        "word_pieces_embedded": embedded_pieces,
        "chunks_over_model_limit": sum(1 for p in pieces if p > encoder.max_tokens),
        "share_embedded": round(embedded_pieces / max(sum(pieces), 1), 4),
        "chunks_per_s": round(len(chunks) / first, 2),
        "words_per_s": round(words / first, 1),
        "word_pieces_per_s": round(embedded_pieces / first, 1),
        # Chunks and the sentences embedded for the answerer: all the encoder's work.
        "sentence_word_pieces": sentence_pieces,
        "all_word_pieces_per_s": round((embedded_pieces + sentence_pieces) / first, 1),
        # Inside Encoder.encode only (all three runs): the rate to hold against the ceiling of
        # the encoder stage (benchmarks/bench_encoder.py).
        "encoder_s": round(timed.seconds, 2),
        "encoder_word_pieces_per_s": round(timed.pieces / max(timed.seconds, 1e-9), 1),
        "runs": runs,
        "unchanged_ratio": round(runs["unchanged"]["wall_s"] / first, 4),
        "one_changed_ratio": round(runs["one_changed"]["wall_s"] / first, 4),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


class _TimedEncoder:
    """An encoder that sums the time spent in encode and the word pieces it encoded."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = inner.name
        self.dimension = inner.dimension
        self.max_tokens = inner.max_tokens
        self.seconds = 0.0
        self.pieces = 0

    def encode(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        started = time.perf_counter()
        out: np.ndarray = self.inner.encode(texts, show_progress=show_progress)
        self.seconds += time.perf_counter() - started
        # Counted outside the timed span: [CLS] and [SEP] included, cut at the model's limit.
        self.pieces += sum(min(self.inner.count_tokens(t) + 2, self.max_tokens) for t in texts)
        return out

    def count_tokens(self, text: str) -> int:
        return int(self.inner.count_tokens(text))


def _change_one_file(path: Path) -> None:
    """Add a sentence to a middle paragraph of a page copy (never the shared original)."""
    text = path.read_text(encoding="utf-8")
    starts = [m.end() for m in re.finditer(r"<p>", text)]
    addition = "The benchmark added this sentence to change the file. "
    at = starts[len(starts) // 2] if starts else len(text)
    path.write_text(text[:at] + addition + text[at:], encoding="utf-8")


def make_questions(library: Any, n: int, hand_suite: Path = HAND_SUITE) -> list[str]:
    """n questions from the corpus: the hand suite's, then "What did S say about T?" ones."""
    questions = hand_questions(hand_suite)
    speakers = [name for name, _ in library.speakers()[:20]]
    topics: Counter[str] = Counter()
    for info in library.transcripts():
        metadata = library.transcript(info.id).metadata
        for key, values in metadata.items():
            if "topic" in key.lower():
                topics.update(v for v in values if v)
    if not topics:  # transcripts without topic metadata: frequent title words instead
        for info in library.transcripts():
            topics.update(w.lower() for w in re.findall(r"[A-Za-z]{6,}", info.title))
    topic_list = [t for t, _ in topics.most_common(40)]
    generated = [
        f"What did {speaker} say about {topic}?"
        for i, topic in enumerate(topic_list)
        for speaker in speakers[i % max(len(speakers), 1) :][:3] or ["the speakers"]
    ]
    questions += generated
    while questions and len(questions) < n:
        questions += questions[: n - len(questions)]
    return questions[:n]


def forget(assistant: Assistant) -> None:
    """The assistant's remembered vectors and the pair scorer's remembered pairs, forgotten."""
    from embeddings.pair_scorer import load_pair_scorer

    assistant.encoder.clear()
    if assistant.pair_scores is not None:  # the shared scorer pair_scorer_for gave it
        load_pair_scorer().clear()


def bench_query(library_dir: Path, model: str, n_questions: int, repeats: int) -> dict[str, Any]:
    """Retrieval and full-answer latency over n questions in one warm process.

    The assistant remembers the vectors it computed and the pair scorer the pairs it read; both
    forget them before every timed call, so each question is measured as if asked for the first
    time. A repeat of the same question
    (the remembered case: follow-ups over the same passages) is reported apart.
    """
    from qa.runtime import build_assistant

    assistant = build_assistant(_settings(library_dir, model))
    questions = make_questions(assistant.library, n_questions)
    assistant.ask(questions[0])  # warm: index load, caches, lazy imports
    retrieval: list[float] = []
    answer: list[float] = []
    repeated: list[float] = []
    abstained = 0
    for question in questions:
        r_times, a_times = [], []
        for _ in range(repeats):
            forget(assistant)
            started = time.perf_counter()
            assistant.retrieve(question)
            r_times.append(time.perf_counter() - started)
            forget(assistant)
            started = time.perf_counter()
            result = assistant.ask(question)
            a_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        assistant.ask(question)
        repeated.append((time.perf_counter() - started) * 1000)
        abstained += int(not result.citations)
        retrieval.append(statistics.median(r_times) * 1000)
        answer.append(statistics.median(a_times) * 1000)
    return {
        "model": model,
        "questions": len(questions),
        "repeats": repeats,
        "chunks": assistant.library.chunk_count(),
        "index_kind": assistant.library.index().kind,
        "retrieval_ms_p50": rounded_percentile(retrieval, 50, 2),
        "retrieval_ms_p95": rounded_percentile(retrieval, 95, 2),
        "answer_ms_p50": rounded_percentile(answer, 50, 2),
        "answer_ms_p95": rounded_percentile(answer, 95, 2),
        "answer_repeated_ms_p50": rounded_percentile(repeated, 50, 2),
        "answer_repeated_ms_p95": rounded_percentile(repeated, 95, 2),
        "answers_without_citations": abstained,
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def synthetic_vectors(real: np.ndarray, count: int, seed: int = 0) -> np.ndarray:
    """count unit vectors, each a normalised convex mixture of two random real vectors."""
    rng = np.random.default_rng(seed)
    out = np.empty((count, real.shape[1]), dtype=np.float32)
    step = 100_000
    for start in range(0, count, step):
        n = min(step, count - start)
        a = real[rng.integers(0, len(real), n)]
        b = real[rng.integers(0, len(real), n)]
        w = rng.uniform(0.0, 1.0, (n, 1)).astype(np.float32)
        mixed = w * a + (1 - w) * b
        out[start : start + n] = mixed / np.linalg.norm(mixed, axis=1, keepdims=True)
    return out


def bench_million(
    library_dir: Path, model: str, size: int, n_queries: int, hnsw: bool = True
) -> dict[str, Any]:
    """Exact vs HNSW search at `size` vectors (real chunks + synthetic mixtures)."""
    from embeddings.index import VectorIndex
    from qa.runtime import open_library

    library = open_library(_settings(library_dir, model))
    index = library.index()
    ids = index.ids()
    real = index.vectors(ids)
    questions = make_questions(library, n_queries)
    queries = library.encoder.encode(questions)
    library.close()
    vectors = np.vstack([real, synthetic_vectors(real, max(size - len(real), 0))])
    all_ids = np.arange(len(vectors), dtype=np.int64)
    result: dict[str, Any] = {
        "model": model,
        "vectors": len(vectors),
        "real_vectors": len(real),
        "synthetic": "convex mixtures of two random real chunk vectors, renormalised",
        "queries": len(queries),
    }
    found: dict[str, list[np.ndarray]] = {}
    kinds = ("flat", "hnsw") if hnsw else ("flat",)
    for kind in kinds:
        started = time.perf_counter()
        vindex = VectorIndex.create(vectors.shape[1], kind)
        for start in range(0, len(vectors), 50_000):
            vindex.add(all_ids[start : start + 50_000], vectors[start : start + 50_000])
        result[f"{kind}_build_s"] = round(time.perf_counter() - started, 1)
        times, hits = [], []
        for query in queries:
            started = time.perf_counter()
            _, got = vindex.search(query, 10)
            times.append((time.perf_counter() - started) * 1000)
            hits.append(got)
        found[kind] = hits
        result[f"{kind}_ms_p50"] = rounded_percentile(times, 50, 3)
        result[f"{kind}_ms_p95"] = rounded_percentile(times, 95, 3)
        del vindex
    if hnsw:
        recalls = [
            len(set(h.tolist()) & set(e.tolist())) / max(len(e), 1)
            for h, e in zip(found["hnsw"], found["flat"], strict=True)
        ]
        result["hnsw_recall_at_10"] = round(float(np.mean(recalls)), 4)
    result["peak_rss_mb"] = round(peak_rss_mb(), 1)
    return result


def bench_cold_start(library_dir: Path, model: str, question: str) -> dict[str, Any]:
    """Wall time from process start to the first answer of `tqa ask`, and its peak memory."""
    tqa = Path(sys.executable).parent / "tqa"
    command = [str(tqa), "--library", str(library_dir), "--model", model, "ask", question]
    env = _offline_env()
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - started
    return {
        "model": model,
        "command": "tqa ask",
        "returncode": done.returncode,
        "wall_s": round(wall, 3),
        # This stage's process starts only this child, so the children's peak is the child's.
        "peak_rss_mb": round(peak_rss_mb(resource.RUSAGE_CHILDREN), 1),
        "stderr_tail": done.stderr[-300:] if done.returncode else "",
    }


def bench_serve(
    library_dir: Path, model: str, question: str, work: Path, timeout_s: float = 300.0
) -> dict[str, Any]:
    """The UI server (app.py) over the library: start to first answer through its /ask API, and
    the serving process's peak memory (VmHWM) after a few more answers."""
    import socket

    from gradio_client import Client

    from benchmarks.serving import app_process

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = _offline_env()
    env["TQA_EMBEDDING_MODEL"] = model
    args = ["--library", str(library_dir), "--port", str(port)]
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with app_process(args, env, work / "serve.log", timeout_s) as process:
        listening = time.perf_counter() - started
        client = Client(f"http://127.0.0.1:{port}", verbose=False)
        client.predict(question, api_name="/ask")
        first_answer = time.perf_counter() - started
        more = hand_questions()[:20]
        for extra in more:
            client.predict(extra, api_name="/ask")
        status = Path(f"/proc/{process.pid}/status").read_text(encoding="utf-8")
    memory = dict(re.findall(r"^(VmHWM|VmRSS):\s+(\d+) kB", status, re.M))
    return {
        "model": model,
        "command": "python app.py",
        "listening_s": round(listening, 3),
        "first_answer_s": round(first_answer, 3),
        "answers": 1 + len(more),
        "peak_rss_mb": round(int(memory.get("VmHWM", 0)) / 1024, 1),
        "rss_mb": round(int(memory.get("VmRSS", 0)) / 1024, 1),
    }


def hand_questions(hand_suite: Path = HAND_SUITE) -> list[str]:
    """The hand suite's questions (none when the suite is missing)."""
    lines = hand_suite.read_text(encoding="utf-8").splitlines() if hand_suite.is_file() else []
    return [json.loads(line)["question"] for line in lines if line.strip()]


def bench_encoder(pages: Sequence[Path], models: Sequence[str], repeats: int) -> dict[str, Any]:
    """Texts/s of chunk-sized passages (~150 word pieces) for each model, in this one process."""
    from embeddings.loading import load_encoder
    from qa.ingest.chunking import ChunkerSettings, chunk_transcript
    from qa.ingest.parsers import read_transcript_file

    encoders = {m: load_encoder(m) for m in models}
    first = encoders[models[0]]
    texts: list[str] = []
    settings = ChunkerSettings(max_model_tokens=first.max_tokens)
    for page in pages:
        transcript = read_transcript_file(page)
        for chunk in chunk_transcript(transcript, settings, first.count_tokens):
            if 120 <= first.count_tokens(chunk.text) <= 190:
                texts.append(chunk.text)
        if len(texts) >= 128:
            break
    texts = texts[:128]
    result: dict[str, Any] = {
        "texts": len(texts),
        "median_word_pieces": statistics.median(first.count_tokens(t) for t in texts),
        "repeats": repeats,
    }
    reference = first.encode(texts)
    for model, encoder in encoders.items():
        rates = []
        for _ in range(repeats):
            started = time.perf_counter()
            vectors = encoder.encode(texts)
            rates.append(len(texts) / (time.perf_counter() - started))
        cosines = np.sum(reference * vectors, axis=1)
        result[model] = {
            "encoder_name": encoder.name,
            "texts_per_s_runs": [round(r, 2) for r in rates],
            "texts_per_s": round(statistics.median(rates), 2),
            "cosine_to_first_median": round(float(np.median(cosines)), 4),
            "cosine_to_first_min": round(float(cosines.min()), 4),
        }
    base = result[models[0]]["texts_per_s"]
    for model in models[1:]:
        result[model]["speedup_vs_first"] = round(result[model]["texts_per_s"] / base, 2)
    return result


def bench_llamaindex(
    pages: Sequence[Path], library_dir: Path, model: str, work: Path, python: Path, repeats: int
) -> dict[str, Any]:
    """LlamaIndex's defaults on the same pages, in its own environment
    (benchmarks/bench_llamaindex.py).

    Its documents are our parser's utterances as "Speaker: text" lines, so both sides embed the
    same transcript text; its questions are the query stage's.
    """
    from qa.runtime import open_library

    if not python.is_file():
        return {
            "skipped": f"no LlamaIndex environment at {python}; build it with `make bench-env` "
            "(see benchmarks/requirements-llamaindex.txt) or pass --llamaindex-python"
        }
    docs = _llamaindex_docs(pages, work)
    library = open_library(_settings(library_dir, model))
    questions = make_questions(library, 200)
    library.close()
    (work / "questions.json").write_text(json.dumps(questions), encoding="utf-8")
    out = work / "llamaindex.json"
    command = [str(python), str(LLAMAINDEX_SCRIPT), "--docs", str(docs)]
    command += ["--questions", str(work / "questions.json"), "--repeats", str(repeats)]
    command += ["--out", str(out)]
    env = _offline_env()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"error": f"exit code {done.returncode}", "stderr_tail": done.stderr[-600:]}
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result


def _llamaindex_docs(pages: Sequence[Path], work: Path) -> Path:
    """LlamaIndex's documents (work/docs.jsonl): our parser's utterances as "Speaker: text"
    lines, so both sides embed the same transcript text, with each transcript's word count."""
    from qa.ingest.chunking import speaker_prefix
    from qa.ingest.parsers import read_transcript_file

    work.mkdir(parents=True, exist_ok=True)
    docs = work / "docs.jsonl"
    with open(docs, "w", encoding="utf-8") as handle:
        for page in pages:
            transcript = read_transcript_file(page)
            lines = [speaker_prefix(u) + u.text for u in transcript.utterances]
            words = sum(len(u.text.split()) for u in transcript.utterances)
            record = {"id": transcript.id, "title": transcript.title, "text": "\n".join(lines)}
            handle.write(json.dumps({**record, "words": words}, ensure_ascii=False) + "\n")
    return docs


def bench_first_answer(
    pages: Sequence[Path], model: str, work: Path, python: Path
) -> dict[str, Any]:
    """Time to the first cited answer over a folder, LlamaIndex's defaults and ours.

    Theirs: benchmarks/bench_llamaindex.py from its process start (imports, model load, split,
    embed, index) to its retriever's first answer, on the same text (our parser's utterances,
    which their side reads from a JSONL file); their first answer is also their whole ingest.
    Ours: `tqa ingest FOLDER` starts; this process watches the library and, once every file is
    in (phase one published), builds an assistant (loading the model) and asks FIRST_QUESTION:
    the wall time from the start to that cited answer, and to the end of the ingest (phase two,
    the sentence vectors, included). Each figure is also printed to stderr when measured.
    """
    result: dict[str, Any] = {"pages": len(pages), "model": model, "question": FIRST_QUESTION}

    def note(key: str, value: Any) -> None:
        result[key] = value
        print(f"[first_answer {len(pages)} pages] {key} = {value}", file=sys.stderr, flush=True)

    env = _offline_env()
    if python.is_file():
        note("theirs", _their_first_answer(pages, work, python, env))
    else:
        result["theirs"] = f"skipped: no LlamaIndex environment at {python} (`make bench-env`)"
    import sqlite3

    from qa.runtime import build_assistant

    corpus = work / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for page in pages:
        shutil.copyfile(page, corpus / page.name)
    library_dir = work / "library"
    tqa = Path(sys.executable).parent / "tqa"
    command = [str(tqa), "--library", str(library_dir), "--model", model, "ingest", str(corpus)]
    database = library_dir / "library.sqlite"
    started = time.time()
    with subprocess.Popen(
        [*command, "--json"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        present = 0
        while present < len(pages) and process.poll() is None:
            time.sleep(0.2)
            if not database.is_file():
                continue
            try:
                with contextlib.closing(
                    sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)
                ) as db:
                    present = int(db.execute("SELECT count(*) FROM transcripts").fetchone()[0])
            except sqlite3.OperationalError:  # the schema is being created
                continue
        note("ours_published_s", round(time.time() - started, 2))
        assistant = build_assistant(_settings(library_dir, model))
        answer = assistant.ask(FIRST_QUESTION)
        note("ours_first_answer_s", round(time.time() - started, 2))
        note("ours_first_answer_citations", len(answer.citations))
        assistant.library.close()
        out, err = process.communicate()
    note("ours_full_ingest_s", round(time.time() - started, 2))
    if process.returncode not in (0, 1):
        result["error"] = f"tqa ingest exit code {process.returncode}: {err[-400:]}"
        return result
    report = json.loads(out)
    for key in ("searchable_seconds", "embedded", "sentences_embedded", "encoder"):
        result[f"ours_{key}"] = report.get(key)
    theirs = result.get("theirs")
    if isinstance(theirs, dict) and "first_answer_s" in theirs:
        note(
            "first_answer_ours_over_theirs",
            round(result["ours_first_answer_s"] / theirs["first_answer_s"], 3),
        )
        # Their first answer comes when their whole ingest is done: that is their full ingest.
        note(
            "full_ingest_ours_over_theirs",
            round(result["ours_full_ingest_s"] / theirs["first_answer_s"], 3),
        )
    return result


def _their_first_answer(
    pages: Sequence[Path], work: Path, python: Path, env: dict[str, str]
) -> dict[str, Any]:
    """LlamaIndex's defaults from process start to their retriever's first answer."""
    docs = _llamaindex_docs(pages, work)
    (work / "questions.json").write_text(json.dumps([FIRST_QUESTION]), encoding="utf-8")
    out_file = work / "llamaindex.json"
    command = [str(python), str(LLAMAINDEX_SCRIPT), "--docs", str(docs)]
    command += ["--questions", str(work / "questions.json"), "--repeats", "1"]
    command += ["--out", str(out_file)]
    started = time.time()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"error": f"exit code {done.returncode}: {done.stderr[-400:]}"}
    theirs = json.loads(out_file.read_text(encoding="utf-8"))
    return {
        "first_answer_s": round(theirs["first_answer_at"] - started, 2),
        "ingest_s": theirs["ingest_s"],
        "model_load_s": theirs["model_load_s"],
        "import_s": theirs["import_s"],
        "chunks": theirs["chunks"],
        "word_pieces_embedded": theirs["word_pieces_embedded"],
        "share_embedded": theirs["share_embedded"],
    }


def comparison(
    ours_ingest: dict[str, Any], ours_query: dict[str, Any], theirs: dict[str, Any]
) -> dict[str, Any]:
    """Our/their ratios of the figures both sides measure (ingest excludes model loading)."""
    retrieval = theirs.get("retrieval_ms", {})
    pairs = {
        "ingest_wall_s": (ours_ingest["runs"]["first"]["wall_s"], theirs.get("ingest_s")),
        "chunks": (ours_ingest["chunks"], theirs.get("chunks")),
        "chunks_over_model_limit": (
            ours_ingest["chunks_over_model_limit"],
            theirs.get("chunks_over_model_limit"),
        ),
        "share_embedded": (ours_ingest["share_embedded"], theirs.get("share_embedded")),
        "word_pieces_embedded": (
            ours_ingest["word_pieces_embedded"],
            theirs.get("word_pieces_embedded"),
        ),
        "word_pieces_embedded_per_s": (
            ours_ingest["word_pieces_per_s"],
            theirs.get("word_pieces_per_s"),
        ),
        "retrieval_ms_p50": (ours_query.get("retrieval_ms_p50"), retrieval.get("p50")),
        "retrieval_ms_p95": (ours_query.get("retrieval_ms_p95"), retrieval.get("p95")),
    }
    table: dict[str, Any] = {}
    for name, (ours, their) in pairs.items():
        ratio = round(ours / their, 3) if ours is not None and their else None
        table[name] = {"ours": ours, "theirs": their, "ours_over_theirs": ratio}
    return table


# ----------------------------------------------------------------------------- driver


def run_stage(stage: str, args: argparse.Namespace) -> dict[str, Any]:
    """Run one stage in this process."""
    pages = kremlin_pages(Path(args.kremlin), args.pages)
    work = Path(args.work)
    if stage == "encoder":
        models = [FP32_MODEL, INT8_MODEL] if args.model == FP32_MODEL else [FP32_MODEL, args.model]
        from benchmarks import bench_encoder as ceiling

        return {
            "passages": bench_encoder(pages, models, args.repeats),
            # The fp32 and int8 ceilings and the ingest's encoder work against them.
            "ceiling": ceiling.run(min(len(pages), 12), models, args.repeats, [16, 32, 64], 160),
        }
    if stage == "ingest":
        return bench_ingest(pages, args.model, work / "ingest")
    if stage == "ray_ingest":
        from benchmarks.bench_ray import bench_ray_ingest

        return bench_ray_ingest(pages, args.model, work / "ray_ingest")
    library = work / "ingest" / "library"
    if stage == "query":
        return bench_query(library, args.model, args.questions, args.repeats)
    if stage == "million":
        return bench_million(library, args.model, args.million_size, args.million_queries)
    if stage == "ten_million":
        from benchmarks import bench_index

        return {
            "index": bench_index.bench_ten_million(
                library,
                args.model,
                args.ten_million_size,
                args.million_queries,
                work / "ten_million",
                spill=args.ten_million_spill,
            ),
            "qmsum_val": bench_index.bench_qmsum_compressed(
                Path(args.qmsum_library_cache or work / "qmsum-libraries"),
                args.model,
                work,
            ),
        }
    if stage == "cold_start":
        return bench_cold_start(library, args.model, "What did Putin say about vaccines?")
    if stage == "serve":
        question = "What did Putin say about vaccines?"
        return bench_serve(library, args.model, question, work / "serve")
    if stage == "first_answer":
        python = Path(args.llamaindex_python)
        sizes = [args.pages] if args.pages else list(FIRST_ANSWER_PAGES)
        return {
            f"pages_{size or 'all'}": bench_first_answer(
                kremlin_pages(Path(args.kremlin), size or None),
                args.model,
                work / f"first_answer_{size or 'all'}",
                python,
            )
            for size in sizes
        }
    if stage == "llamaindex":
        python = Path(args.llamaindex_python)
        return bench_llamaindex(
            pages, library, args.model, work / "llamaindex", python, args.repeats
        )
    raise SystemExit(f"unknown stage {stage!r}; stages: {', '.join(STAGES)}")


def run_all(args: argparse.Namespace) -> dict[str, Any]:
    """Every requested stage in its own subprocess; the results in one dict."""
    stages = [s for s in STAGES if not ("million" in s and args.skip_million)]
    if args.stages:
        stages = [s for s in args.stages.split(",") if s]
    results: dict[str, Any] = {
        "conditions": {
            "model": args.model,
            "pages": args.pages or "all",
            "cores": os.cpu_count(),
            "load_average_start": list(os.getloadavg()),
            "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        }
    }
    for stage in stages:
        out = Path(args.work) / f"{stage}.json"
        command = [
            sys.executable,
            "-m",
            "benchmarks.bench",
            "--stage",
            stage,
            "--stage-out",
            str(out),
        ]
        command += _forwarded(args)
        print(f"[bench] {stage} ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        done = subprocess.run(command, cwd=REPO, check=False)
        if done.returncode != 0:
            results[stage] = {"error": f"exit code {done.returncode}"}
            continue
        results[stage] = json.loads(out.read_text(encoding="utf-8"))
        results[stage]["stage_process_s"] = round(time.perf_counter() - started, 1)
    results["conditions"]["load_average_end"] = list(os.getloadavg())
    ingest, query, theirs = (results.get(k, {}) for k in ("ingest", "query", "llamaindex"))
    if "runs" in ingest and "ingest_s" in theirs:
        results["ours_vs_llamaindex"] = comparison(ingest, query, theirs)
    return results


def _forwarded(args: argparse.Namespace) -> list[str]:
    out = ["--model", args.model, "--kremlin", args.kremlin, "--work", args.work]
    out += ["--questions", str(args.questions), "--repeats", str(args.repeats)]
    out += ["--million-size", str(args.million_size)]
    out += ["--million-queries", str(args.million_queries)]
    out += ["--ten-million-size", str(args.ten_million_size)]
    out += ["--ten-million-spill", str(args.ten_million_spill)]
    if args.qmsum_library_cache:
        out += ["--qmsum-library-cache", args.qmsum_library_cache]
    out += ["--llamaindex-python", args.llamaindex_python]
    if args.pages:
        out += ["--pages", str(args.pages)]
    return out


def markdown(results: dict[str, Any]) -> str:
    """The results as a Markdown table of (stage, figure, value)."""
    lines = ["| stage | figure | value |", "|---|---|---|"]
    for stage, figures in results.items():
        for key, value in _flatten(figures):
            lines.append(f"| {stage} | {key} | {value} |")
    return "\n".join(lines) + "\n"


def _flatten(data: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if not isinstance(data, dict):
        return [(prefix, data)]
    out: list[tuple[str, Any]] = []
    for key, value in data.items():
        out += _flatten(value, f"{prefix}.{key}" if prefix else str(key))
    return out


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    from qa.settings import SENTENCE_VECTORS

    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench", description=__doc__)
    parser.add_argument("--pages", type=int, default=0, help="first N kremlin pages (0: all)")
    parser.add_argument("--model", default=FP32_MODEL, help=f"embedding model ({INT8_MODEL})")
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3, help="repeats per timing (median)")
    parser.add_argument("--skip-million", action="store_true")
    parser.add_argument("--million-size", type=int, default=1_000_000)
    parser.add_argument("--million-queries", type=int, default=200)
    parser.add_argument(
        "--ten-million-size", type=int, default=10_000_000, help="vectors of the ivfpq stage"
    )
    parser.add_argument(
        "--ten-million-spill",
        type=int,
        default=2_500_000,
        help="ivfpq stage: save and reload (memory-map) its float16 vectors every N added",
    )
    parser.add_argument(
        "--qmsum-library-cache",
        default="",
        help="ten_million stage: QMSum val libraries (bench_retrieval --library-cache)",
    )
    parser.add_argument(
        "--llamaindex-python",
        default=str(LLAMAINDEX_PYTHON),
        help="python of the LlamaIndex bench environment (benchmarks/requirements-llamaindex.txt)",
    )
    parser.add_argument(
        "--sentence-vectors",
        choices=[str(v) for v in SENTENCE_VECTORS],
        help="override the sentence_vectors setting for every stage",
    )
    parser.add_argument("--stages", default="", help=f"comma-separated subset of {STAGES}")
    parser.add_argument("--kremlin", default=str(KREMLIN))
    parser.add_argument("--work", default="", help="scratch folder (default: a temp folder)")
    parser.add_argument("--out", default=str(REPO / "bench-results"))
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    parser.add_argument("--stage-out", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    from embeddings.offline import use_offline_hub

    use_offline_hub()
    if args.sentence_vectors is not None:  # read by load_settings in every stage process
        os.environ["TQA_SENTENCE_VECTORS"] = args.sentence_vectors
    if args.stage:
        result = run_stage(args.stage, args)
        Path(args.stage_out).write_text(json.dumps(result, indent=2), encoding="utf-8")
        return 0
    with tempfile.TemporaryDirectory(prefix="tqa-bench-") as tmp:
        args.work = args.work or tmp
        results = run_all(args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    table = markdown(results)
    (out / "bench.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    (out / "bench.md").write_text(table, encoding="utf-8")
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
