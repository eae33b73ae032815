"""The encoder a setting names, run by ONNX Runtime where it can and by sentence-transformers
otherwise. ONNX Runtime is imported only when an ONNX encoder is made (most of a cold start)."""

from __future__ import annotations

from embeddings.base import Encoder, HashEncoder
from embeddings.errors import ModelError
from embeddings.models import (
    BUNDLED_INT8_PREFIX,
    BUNDLED_PREFIX,
    INT8_PREFIX,
    RUNTIMES,
    hash_dimension,
    resolve_model,
)
from embeddings.sentence_transformer import SentenceTransformerEncoder


def load_encoder(model: str, *, batch_size: int = 32, runtime: str = "onnx") -> Encoder:
    """The encoder a setting names: "bundled:all-MiniLM-L6-v2", "hash[:dim]" or a local folder.

    Prefixed "bundled-int8:" or "int8:", the model runs as int8 ONNX (embeddings/onnx).
    Otherwise `runtime` says how: "onnx" runs the exported model with ONNX Runtime (same vectors
    as torch, and neither torch nor transformers is imported: a cold start of seconds, not ten);
    a model ONNX cannot run (not Transformer + mean pooling) falls back to sentence-transformers.
    """
    if runtime not in RUNTIMES:
        raise ModelError(f"embedding runtime must be one of {', '.join(RUNTIMES)}, got {runtime!r}")
    if model == "hash" or model.startswith("hash:"):
        return HashEncoder(hash_dimension(model))
    # "bundled-int8:all-MiniLM-L6-v2" or "int8:/folder": the same model as int8 ONNX.
    for int8_prefix, plain_prefix in ((BUNDLED_INT8_PREFIX, BUNDLED_PREFIX), (INT8_PREFIX, "")):
        if model.startswith(int8_prefix):
            from embeddings.onnx import OnnxEncoder

            name, path = resolve_model(plain_prefix + model.removeprefix(int8_prefix))
            return OnnxEncoder(path, name, int8=True, batch_size=batch_size)
    if runtime == "onnx":
        from embeddings.onnx import OnnxEncoder, supports_onnx

        name, path = resolve_model(model)
        if supports_onnx(path):
            return OnnxEncoder(path, name, batch_size=batch_size)
    return SentenceTransformerEncoder(model, batch_size=batch_size)
