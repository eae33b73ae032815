"""The int8 ONNX encoder against the torch fp32 model it replaces."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from embeddings.encoder import DEFAULT_MODEL, Encoder, _resolve_model, load_encoder
from embeddings.onnx_encoder import INT8_SUFFIX, OnnxInt8Encoder, cache_key
from qa.chunking import ChunkerSettings, chunk_transcript
from qa.parsers import read_transcript_file
from tests.conftest import sample_paths

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="session")
def int8_encoder(onnx_cache: Path) -> OnnxInt8Encoder:
    name, path = _resolve_model(DEFAULT_MODEL)
    return OnnxInt8Encoder(path, name, cache_dir=onnx_cache)


@pytest.fixture(scope="session")
def real_texts(real_encoder: Encoder) -> list[str]:
    """Chunks of the seed and of three kremlin.ru pages, as the library would embed them."""
    settings = ChunkerSettings(max_model_tokens=real_encoder.max_tokens)
    texts: list[str] = []
    for folder_or_file in sample_paths():
        files = sorted(folder_or_file.glob("*")) if folder_or_file.is_dir() else [folder_or_file]
        transcript = read_transcript_file(files[0])
        texts += [c.text for c in chunk_transcript(transcript, settings, real_encoder.count_tokens)]
    return texts


def test_vectors_close_to_the_fp32_model(
    int8_encoder: OnnxInt8Encoder, real_encoder: Encoder, real_texts: list[str]
) -> None:
    assert len(real_texts) >= 12
    fp32 = real_encoder.encode(real_texts)
    int8 = int8_encoder.encode(real_texts)
    cosines = np.sum(fp32 * int8, axis=1)
    assert float(np.median(cosines)) >= 0.98, cosines
    assert float(cosines.min()) >= 0.95, cosines


def test_shape_and_unit_norm(int8_encoder: OnnxInt8Encoder, real_texts: list[str]) -> None:
    vectors = int8_encoder.encode(real_texts[:5])
    assert vectors.shape == (5, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_input_order_kept_despite_length_sorting(
    int8_encoder: OnnxInt8Encoder, real_texts: list[str]
) -> None:
    # Lengths differ a lot, so the encoder reorders them internally; rows must come back in order.
    texts = [real_texts[0], "Thank you.", real_texts[1], "Good afternoon, colleagues."]
    together = int8_encoder.encode(texts)
    one_by_one = np.vstack([int8_encoder.encode([t]) for t in texts])
    # Activation scales are per batch, so a row differs a little from the text encoded alone;
    # each row must still be nearest to its own text.
    similarity = together @ one_by_one.T
    assert list(similarity.argmax(axis=1)) == [0, 1, 2, 3], similarity
    assert np.all(np.diag(similarity) > 0.9), similarity


def test_empty_input(int8_encoder: OnnxInt8Encoder) -> None:
    assert int8_encoder.encode([]).shape == (0, 384)
    with pytest.raises(TypeError):
        int8_encoder.encode("a single string")


def test_counts_tokens_like_the_fp32_tokenizer(
    int8_encoder: OnnxInt8Encoder, real_encoder: Encoder, real_texts: list[str]
) -> None:
    for text in [*real_texts[:10], "Vladimir Putin: Mr Nazarbayev, friend!"]:
        assert int8_encoder.count_tokens(text) == real_encoder.count_tokens(text)
    assert int8_encoder.max_tokens == real_encoder.max_tokens == 256


def test_name_differs_from_the_fp32_model(
    int8_encoder: OnnxInt8Encoder, real_encoder: Encoder
) -> None:
    assert int8_encoder.name == real_encoder.name + INT8_SUFFIX
    assert int8_encoder.dimension == real_encoder.dimension


def test_second_construction_reuses_the_cached_model(
    int8_encoder: OnnxInt8Encoder, onnx_cache: Path
) -> None:
    assert int8_encoder.model_file.parent == onnx_cache
    assert int8_encoder.model_file.is_file()
    before = int8_encoder.model_file.stat().st_mtime_ns
    again = OnnxInt8Encoder(int8_encoder.path, "all-MiniLM-L6-v2", cache_dir=onnx_cache)
    assert again.export_seconds is None
    assert again.model_file == int8_encoder.model_file
    assert again.model_file.stat().st_mtime_ns == before
    # No temporary export folders left behind.
    assert sorted(p.name for p in onnx_cache.iterdir()) == [int8_encoder.model_file.name]


def test_corrupt_cache_file_is_rebuilt(
    int8_encoder: OnnxInt8Encoder, tmp_path: Path, real_texts: list[str]
) -> None:
    broken = tmp_path / int8_encoder.model_file.name
    shutil.copyfile(int8_encoder.model_file, broken)
    with broken.open("r+b") as handle:
        handle.truncate(broken.stat().st_size // 3)
    rebuilt = OnnxInt8Encoder(int8_encoder.path, "all-MiniLM-L6-v2", cache_dir=tmp_path)
    assert rebuilt.export_seconds is not None
    truncated = int8_encoder.model_file.stat().st_size // 3
    assert broken.stat().st_size > truncated
    np.testing.assert_allclose(
        rebuilt.encode(real_texts[:3]), int8_encoder.encode(real_texts[:3]), atol=1e-5
    )


def test_cache_key_depends_on_the_model_folder(tmp_path: Path) -> None:
    _, path = _resolve_model(DEFAULT_MODEL)
    assert cache_key(path) == cache_key(path)
    copy = tmp_path / "copy"
    copy.mkdir()
    assert cache_key(copy) != cache_key(path)


def test_load_encoder_names(onnx_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TQA_ONNX_CACHE", str(onnx_cache))
    bundled = load_encoder("bundled-int8:all-MiniLM-L6-v2")
    assert isinstance(bundled, OnnxInt8Encoder)
    assert bundled.export_seconds is None  # the session fixture exported into this cache
    _, path = _resolve_model(DEFAULT_MODEL)
    local = load_encoder(f"int8:{path}")
    assert isinstance(local, OnnxInt8Encoder)
    assert local.name == str(path.resolve()) + INT8_SUFFIX
    assert local.export_seconds is None  # keyed by the folder, not by the name given to it
