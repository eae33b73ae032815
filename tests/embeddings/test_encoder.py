"""Encoders: the hash fake (unit) and the bundled all-MiniLM-L6-v2 (slow, loaded once)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from embeddings.base import Encoder, HashEncoder, RememberingEncoder, content_hash
from embeddings.errors import ModelError
from embeddings.loading import choose_precision, cpu_vnni, load_encoder
from embeddings.models import DEFAULT_MODEL
from embeddings.sentence_transformer import SentenceTransformerEncoder

# Sentences of the seed transcript (kremlin.ru, 2021-06-30).
VACCINE = (
    "Now in Karaganda, this enterprise produces a Russian vaccine of the same quality and in "
    "large quantities."
)
TRADE = (
    "Despite the fact that the pandemic has stolen four or five percent from our trade, if I am "
    "not mistaken, we can see an increase of about 20 percent – over 18 already this year, in the "
    "first half of the year."
)
THANKS = "Nursultan Nazarbayev: Thank you, Mr President."
QUERY = "vaccine production in Karaganda"


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


# -- HashEncoder ---------------------------------------------------------------------------------


def test_hash_encoder_is_deterministic_across_instances() -> None:
    texts = [VACCINE, TRADE, THANKS]
    first = HashEncoder(64).encode(texts)
    second = HashEncoder(64).encode(list(reversed(texts)))[::-1]
    assert np.array_equal(first, second)
    assert not np.allclose(first[0], first[1])


def test_hash_encoder_rows_are_unit_float32() -> None:
    vectors = HashEncoder(48).encode([VACCINE, TRADE, THANKS, "", "?!"])
    assert vectors.dtype == np.float32
    assert vectors.shape == (5, 48)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)


def test_hash_encoder_texts_sharing_words_are_closer() -> None:
    query, vaccine, trade = HashEncoder().encode([QUERY, VACCINE, TRADE])
    assert cosine(query, vaccine) > cosine(query, trade) + 0.1


def test_hash_encoder_ignores_case_and_punctuation() -> None:
    a, b = HashEncoder().encode(["Thank you, Mr President.", "thank YOU mr president"])
    assert np.allclose(a, b, atol=1e-6)


def test_hash_encoder_empty_input_has_shape_zero_by_dimension() -> None:
    assert HashEncoder(32).encode([]).shape == (0, 32)


def test_hash_encoder_counts_whitespace_words_and_names_itself() -> None:
    encoder = HashEncoder(32)
    assert encoder.count_tokens(THANKS) == 6
    assert encoder.name == "hash-32"
    assert isinstance(encoder, Encoder)


def test_encode_rejects_a_single_string() -> None:
    with pytest.raises(TypeError, match="single str"):
        HashEncoder().encode(VACCINE)


# -- load_encoder, content_hash ------------------------------------------------------------------


class CountingEncoder(HashEncoder):
    """The hash encoder, counting the texts that reach it."""

    def __init__(self) -> None:
        super().__init__(32)
        self.seen: list[str] = []

    def encode(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        self.seen += list(texts)
        return super().encode(texts)


def test_remembering_encoder_encodes_each_text_once_and_keeps_order() -> None:
    inner = CountingEncoder()
    remembering = RememberingEncoder(inner)
    first = remembering.encode([VACCINE, TRADE])
    again = remembering.encode([TRADE, THANKS, VACCINE, THANKS])
    assert inner.seen == [VACCINE, TRADE, THANKS]  # THANKS twice in one call: encoded once
    np.testing.assert_array_equal(again, inner.encode([TRADE, THANKS, VACCINE, THANKS]))
    np.testing.assert_array_equal(first, again[[2, 0]])
    assert (remembering.hits, remembering.misses) == (2, 3)  # rows found, texts encoded


def test_remembering_encoder_forgets_the_least_recently_used() -> None:
    inner = CountingEncoder()
    remembering = RememberingEncoder(inner, capacity=2)
    remembering.encode([VACCINE, TRADE])
    remembering.encode([VACCINE])  # now TRADE is the oldest
    remembering.encode([THANKS])
    inner.seen.clear()
    remembering.encode([VACCINE, THANKS, TRADE])
    assert inner.seen == [TRADE]
    remembering.clear()
    remembering.encode([VACCINE])
    assert inner.seen == [TRADE, VACCINE]


def test_remembering_encoder_describes_the_model_it_wraps() -> None:
    inner = HashEncoder(48, max_tokens=128)
    remembering = RememberingEncoder(inner)
    assert isinstance(remembering, Encoder)
    assert (remembering.name, remembering.dimension, remembering.max_tokens) == (
        "hash-48",
        48,
        128,
    )
    assert remembering.count_tokens("one two three") == 3
    with pytest.raises(ValueError, match="capacity"):
        RememberingEncoder(inner, capacity=0)


def test_load_encoder_rejects_an_unknown_runtime() -> None:
    with pytest.raises(ModelError, match="runtime"):
        load_encoder("hash", runtime="tensorflow")


def test_load_encoder_hash_with_dimension() -> None:
    encoder = load_encoder("hash:32")
    assert isinstance(encoder, HashEncoder)
    assert encoder.dimension == 32
    assert encoder.encode([VACCINE]).shape == (1, 32)
    assert load_encoder("hash").dimension == 64


def test_load_encoder_missing_folder_is_a_settings_error(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model"
    with pytest.raises(ModelError, match="embedding model folder not found") as info:
        load_encoder(str(missing))
    assert str(missing) in str(info.value)


@pytest.mark.parametrize("model", ["hash:abc", "hash:1", "bundled:all-mpnet-base-v2"])
def test_load_encoder_rejects_bad_names(model: str) -> None:
    with pytest.raises(ModelError, match=model):
        load_encoder(model)


def test_content_hash_depends_on_model_and_text() -> None:
    key = content_hash(VACCINE, "all-MiniLM-L6-v2")
    assert key == content_hash(VACCINE, "all-MiniLM-L6-v2")
    assert len(key) == 64 and int(key, 16) >= 0
    assert key != content_hash(VACCINE, "hash-64")
    assert key != content_hash(TRADE, "all-MiniLM-L6-v2")
    assert content_hash("c", "ab") != content_hash("bc", "a")


# -- the real model ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def minilm() -> Encoder:
    return load_encoder(DEFAULT_MODEL, runtime="torch")


@pytest.fixture(scope="session")
def seed_lines(seed_file: Path) -> list[str]:
    return [line.strip() for line in seed_file.read_text(encoding="utf-8").splitlines()]


@pytest.mark.slow
def test_minilm_shape_and_limits(minilm: Encoder) -> None:
    assert isinstance(minilm, SentenceTransformerEncoder)
    assert minilm.name == "all-MiniLM-L6-v2"
    assert minilm.dimension == 384
    assert minilm.max_tokens == 256
    vectors = minilm.encode([QUERY, VACCINE, ""])
    assert vectors.dtype == np.float32
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert minilm.encode([]).shape == (0, 384)


@pytest.mark.slow
def test_minilm_ranks_the_seed_vaccine_sentence_above_trade(
    minilm: Encoder, seed_lines: list[str]
) -> None:
    vaccine = next(line for line in seed_lines if "Karaganda" in line and "vaccine" in line)
    trade = next(line for line in seed_lines if "trade" in line)
    query, v, t = minilm.encode([QUERY, vaccine, trade])
    assert float(query @ v) > float(query @ t) + 0.1


@pytest.mark.slow
def test_minilm_counts_word_pieces_with_its_tokenizer(
    minilm: Encoder, seed_lines: list[str]
) -> None:
    assert isinstance(minilm, SentenceTransformerEncoder)
    tokenizer = minilm._model.tokenizer
    texts = [line for line in seed_lines if line][:20]
    long_text = " ".join(texts) * 3  # past the 256-piece limit: counted, not truncated
    for text in [*texts, long_text, "Karaganda"]:
        assert minilm.count_tokens(text) == len(tokenizer.tokenize(text))
    assert minilm.count_tokens("Karaganda") > 1  # word pieces, not words
    assert minilm.count_tokens(long_text) > 256


@pytest.mark.slow
def test_minilm_batch_keeps_input_order(minilm: Encoder, seed_lines: list[str]) -> None:
    # Lengths vary widely, so length sorting reorders them inside encode.
    texts = [line for line in seed_lines if line][:16]
    assert len({len(t) for t in texts}) > 10
    batched = minilm.encode(texts)
    one_by_one = np.vstack([minilm.encode([t]) for t in texts])
    assert np.allclose(batched, one_by_one, atol=1e-5)


def test_precision_auto_follows_the_library_then_the_cpu(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor : 0\nflags : fpu sse avx2 avx512f avx512_vnni\n", "utf-8")
    assert cpu_vnni(cpuinfo) == "avx512_vnni"
    cpuinfo.write_text("processor : 0\nflags : fpu sse avx2 fma\n", "utf-8")
    assert cpu_vnni(cpuinfo) is None
    assert cpu_vnni(tmp_path / "absent") is None
    new = tmp_path / "new-library"
    assert choose_precision("auto", new, vnni="avx_vnni", int8_keeps_quality=True) == "int8"
    # A recipe that loses more than a point of retrieval would keep auto at fp32.
    assert choose_precision("auto", new, vnni="avx_vnni", int8_keeps_quality=False) == "fp32"
    # The shipped recipe keeps it: auto follows the CPU flags alone.
    cpuinfo.write_text("processor : 0\nflags : fpu sse avx2 avx_vnni\n", "utf-8")
    assert choose_precision("auto", new, vnni=cpu_vnni(cpuinfo)) == "int8"
    cpuinfo.write_text("processor : 0\nflags : fpu sse avx2 fma\n", "utf-8")
    assert cpu_vnni(cpuinfo) is None
    # Without a flag given, the CPU's own: an AVX2-only machine stays fp32.
    monkeypatch.setattr("embeddings.loading.cpu_vnni", lambda: None)
    assert choose_precision("auto", new) == "fp32"
    monkeypatch.setattr("embeddings.loading.cpu_vnni", lambda: "avx512_vnni")
    assert choose_precision("auto", new) == "int8"
    assert choose_precision("fp32", new, vnni="avx_vnni") == "fp32"
    assert choose_precision("int8", new, vnni=None) == "int8"
    # A library keeps the precision its vectors were made with, whatever this CPU has.
    old = tmp_path / "old-library"
    old.mkdir()
    (old / "manifest.json").write_text('{"embedding_model": "all-MiniLM-L6-v2"}', "utf-8")
    assert choose_precision("auto", old, vnni="avx512_vnni") == "fp32"
    (old / "manifest.json").write_text('{"embedding_model": "all-MiniLM-L6-v2+onnx-int8"}', "utf-8")
    assert choose_precision("auto", old, vnni=None) == "int8"
    recipe = "all-MiniLM-L6-v2+onnx-int8-smooth-no-ffn-out-qint8"
    (old / "manifest.json").write_text(f'{{"embedding_model": "{recipe}"}}', "utf-8")
    assert choose_precision("auto", old, vnni=None) == "int8"
    assert not caplog.records
    # Opened on a CPU without VNNI, an int8 library stays int8 and says how to leave it.
    monkeypatch.setattr("embeddings.loading.cpu_vnni", lambda: None)
    with caplog.at_level(logging.WARNING, logger="embeddings.loading"):
        assert choose_precision("auto", old) == "int8"
    assert "no VNNI" in caplog.text and "TQA_EMBEDDING_PRECISION=fp32 tqa reindex" in caplog.text
    with pytest.raises(ModelError, match="precision"):
        choose_precision("int4", new)
    with pytest.raises(ModelError, match="precision"):
        load_encoder("hash", precision="auto")
