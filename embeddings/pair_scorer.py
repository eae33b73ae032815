"""A cross-encoder made from the bundled sentence model: it reads a question and a candidate
sentence together and scores how well the sentence answers it.

all-MiniLM-L6-v2 embeds a question and a sentence apart; its cosine finds the topic, not the
answer. Run over "[CLS] question [SEP] speaker: sentence [SEP]" with low-rank updates of its
layers and a linear head on [CLS], trained by `eval/train_pair_scorer.py`, it reads them
against each other. The updates ship as a small file (`PAIR_WEIGHTS`, ~0.7 MB); the base weights
are the bundled model's. They are merged once into an ONNX export, cached beside the encoder's
(embeddings/onnx), so answering never imports torch.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.base import Recent
from embeddings.errors import ModelError
from embeddings.models import BUNDLED_MODEL, DEFAULT_MODEL, model_of, resolve_model
from embeddings.onnx import (
    OPSET,
    cache_key,
    cached_session,
    default_cache_dir,
    load_transformer,
)

PAIR_WEIGHTS = Path(__file__).with_name("data") / "pair_scorer.npz"
# Word pieces of a question and sentence together: a quote is one or two sentences, and the
# question is cut last ("only_second" truncation cuts the sentence, never the question).
PAIR_MAX_TOKENS = 96
# A question longer than this (the suites' longest is 63) is cut to it first, so a pasted page
# still leaves the sentence room to be read.
QUESTION_MAX_TOKENS = 64
# Modules of each BERT layer that get a low-rank update (names as transformers gives them).
LORA_MODULES = (
    "attention.self.query",
    "attention.self.key",
    "attention.self.value",
    "attention.output.dense",
    "intermediate.dense",
    "output.dense",
)
# The layer norms trained in full (a few hundred numbers each).
NORM_MODULES = ("attention.output.LayerNorm", "output.LayerNorm")
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_EXPORT = "pair-v1"
# The export runs in fp32. ONNX Runtime's dynamic int8 (the weight products in 8 bits, as
# embeddings/onnx.py quantises the encoder) gives a whole batch's activations one scale, so a
# pair's logit moved with the sentences scored beside it (5.50 alone, 5.55 beside a long
# sentence, 5.22 beside "Thank you very much."; tests/embeddings/test_pair_scorer.py) and
# strayed from the trained model's by 0.30 logit on average (p95 0.85; the best of a
# question's sentences changed in 1 of 10), against the margins of one logit the answerer
# decides by. fp32's logits are the model's whatever the batch, which also lets a question's
# pairs be read once (PAIR_MEMO).
# How many (question, sentence) logits a scorer remembers: one answer asks of the same few
# dozen sentences again (the reordering, the answerability check's lead, the sure lead, the
# chosen quotes' lead, the grown lead); a follow-up meets them once more.
PAIR_MEMO = 4096


def pair_text(speaker: str | None, sentence: str) -> str:
    """The second segment of a pair: who says the sentence matters ("Who said…?", "What did the
    minister say…?")."""
    return f"{speaker}: {sentence}" if speaker else sentence


class PairPieces:
    """Word pieces of (question, sentence) pairs as the cross-encoder reads them."""

    def __init__(self, model_path: Path, max_tokens: int = PAIR_MAX_TOKENS) -> None:
        from tokenizers import Tokenizer

        file = model_path / "tokenizer.json"
        try:
            self._tokenizer = Tokenizer.from_file(str(file))
            self._words = Tokenizer.from_file(str(file))
        except Exception as exc:  # the Rust library raises a bare Exception for a bad file
            raise ModelError(f"cannot load the tokenizer {file}: {exc}") from exc
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=max_tokens, strategy="only_second")
        self._words.no_padding()
        self._words.no_truncation()
        self.pad_id = self._tokenizer.token_to_id("[PAD]") or 0

    def capped(self, question: str) -> str:
        """The question, cut after its first QUESTION_MAX_TOKENS word pieces."""
        offsets = self._words.encode(question, add_special_tokens=False).offsets
        if len(offsets) <= QUESTION_MAX_TOKENS:
            return question
        return question[: offsets[QUESTION_MAX_TOKENS - 1][1]]

    def batch(self, question: str, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """input_ids, attention_mask and token_type_ids of each pair, padded to the longest."""
        question = self.capped(question)
        found = self._tokenizer.encode_batch([(question, t) for t in texts])
        width = max((len(e.ids) for e in found), default=0)
        ids = np.full((len(found), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(found), width), dtype=np.int64)
        types = np.zeros((len(found), width), dtype=np.int64)
        for row, e in enumerate(found):
            n = len(e.ids)
            ids[row, :n], mask[row, :n], types[row, :n] = e.ids, e.attention_mask, e.type_ids
        return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}


def read_pair_weights(path: Path) -> dict[str, np.ndarray]:
    """The trained updates: "<layer>.<module>.A"/".B" (low-rank factors), "<layer>.<module>.weight"
    /".bias" (layer norms), "head.weight"/"head.bias", and "scale" (the factors' multiplier)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            weights = {k: data[k].astype(np.float32) for k in data.files}
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read the pair scorer weights {path}: {exc}") from exc
    for key in ("head.weight", "head.bias", "scale"):
        if key not in weights:
            raise ModelError(f"{path}: no {key!r}; retrain with eval/train_pair_scorer.py")
    return weights


def merged_model(model_path: Path, weights: Mapping[str, np.ndarray]) -> Any:
    """The bundled transformer with the updates merged into its weights and the head on [CLS]:
    a torch module from the three inputs to one logit per pair."""
    import torch

    encoder = load_transformer(model_path)
    scale = float(weights["scale"])
    state = encoder.state_dict()
    with torch.no_grad():
        for name, value in weights.items():
            if name.endswith(".A"):
                module = name.removesuffix(".A")
                delta = weights[module + ".B"] @ value * scale
                state[f"encoder.layer.{module}.weight"] += torch.from_numpy(delta)
            elif name.endswith((".weight", ".bias")) and not name.startswith("head."):
                state[f"encoder.layer.{name}"].copy_(torch.from_numpy(value))
    encoder.load_state_dict(state)
    head = torch.nn.Linear(encoder.config.hidden_size, 1)
    with torch.no_grad():
        head.weight.copy_(torch.from_numpy(weights["head.weight"]).reshape(1, -1))
        head.bias.copy_(torch.from_numpy(weights["head.bias"]).reshape(1))

    class _PairLogit(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder, self.head = encoder, head

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            hidden = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            return self.head(hidden[:, 0]).squeeze(-1)

    return _PairLogit().eval()


def export_pair_model(model_path: Path, weights_path: Path, target: Path) -> float:
    """Write the merged cross-encoder to `target` as ONNX (atomically); the seconds taken."""
    import warnings

    import torch

    started = time.perf_counter()
    model = merged_model(model_path, read_pair_weights(weights_path))
    target.parent.mkdir(parents=True, exist_ok=True)
    sample = torch.ones((2, 8), dtype=torch.long)
    axes = {name: {0: "batch", 1: "sequence"} for name in _INPUTS}
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".export-") as tmp:
        out = Path(tmp) / "pair.onnx"
        with warnings.catch_warnings(), torch.no_grad():
            # The tracer warns about Python booleans it freezes; the encoder's are constant.
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model,
                (sample, sample, torch.zeros_like(sample)),
                str(out),
                input_names=list(_INPUTS),
                output_names=["logit"],
                dynamic_axes={**axes, "logit": {0: "batch"}},
                opset_version=OPSET,
                dynamo=False,
            )
        os.replace(out, target)
    return time.perf_counter() - started


class PairScorer:
    """The cross-encoder, run by ONNX Runtime: a logit per (question, sentence) pair, each pair
    read once while it is among the PAIR_MEMO last asked."""

    def __init__(
        self,
        model_path: Path,
        weights_path: Path = PAIR_WEIGHTS,
        *,
        cache_dir: Path | None = None,
        threads: int | None = None,
    ) -> None:
        if not weights_path.is_file():
            raise ModelError(f"pair scorer weights not found: {weights_path}")
        self.pieces = PairPieces(model_path)
        digest = hashlib.sha256(weights_path.read_bytes()).hexdigest()[:16]
        cache = cache_dir if cache_dir is not None else default_cache_dir()
        self.model_file = cache / f"pair-{cache_key(model_path)}-{digest}-{_EXPORT}.fp32.onnx"
        self._session, self.export_seconds = cached_session(
            self.model_file,
            threads,
            lambda: export_pair_model(model_path, weights_path, self.model_file),
        )
        # Shared by the UI's workers (Recent is safe across threads).
        self._known: Recent[tuple[str, str], float] = Recent(PAIR_MEMO)

    def scores(self, question: str, texts: Sequence[str]) -> np.ndarray:
        """How well each text answers the question: logits, higher is better."""
        known = {t: v for (_, t), v in self._known.found((question, t) for t in texts).items()}
        missing = list(dict.fromkeys(t for t in texts if t not in known))
        if missing:
            (logits,) = self._session.run(["logit"], self.pieces.batch(question, missing))
            read = np.asarray(logits, dtype=np.float32).reshape(-1).tolist()
            known.update(zip(missing, read, strict=True))
            self._known.keep(((question, t), known[t]) for t in missing)
        return np.asarray([known[t] for t in texts], dtype=np.float32)

    def clear(self) -> None:
        """Forget the logits read so far (a benchmark times each question as if asked first)."""
        self._known.clear()


@cache
def load_pair_scorer(weights_path: Path = PAIR_WEIGHTS) -> PairScorer:
    """The shipped pair scorer (or the one of the weights given) over the bundled model, made
    once per process (ONNX Runtime sessions are safe to share between threads)."""
    _, model_path = resolve_model(DEFAULT_MODEL)
    return PairScorer(model_path, weights_path)


def pair_scorer_for(encoder_name: str) -> PairScorer | None:
    """The pair scorer when the encoder is the bundled model (its updates were learned on its
    weights, at either precision), else None."""
    return load_pair_scorer() if model_of(encoder_name) == BUNDLED_MODEL else None
