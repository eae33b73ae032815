"""The encoder a setting names, run by ONNX Runtime where it can and by sentence-transformers
otherwise. ONNX Runtime is imported only when an ONNX encoder is made (most of a cold start)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from embeddings.base import Encoder, HashEncoder
from embeddings.errors import ModelError
from embeddings.models import (
    BUNDLED_INT8_PREFIX,
    BUNDLED_PREFIX,
    INT8_PREFIX,
    INT8_SUFFIX,
    PRECISIONS,
    RUNTIMES,
    hash_dimension,
    resolve_model,
)
from embeddings.sentence_transformer import SentenceTransformerEncoder

# CPU flags of the int8 dot-product instructions (VPDPBUSD) that make int8 pay: AVX-512 VNNI,
# AVX-VNNI, AMX. Without them ONNX Runtime's int8 kernels emulate it with saturating AVX2 steps.
VNNI_FLAGS = ("avx512_vnni", "avx_vnni", "amx_int8")
# Whether the int8 recipe of embeddings/onnx (INT8_RECIPE) keeps retrieval within one point of
# fp32, the condition for `auto` to choose it. Measured (python -m benchmarks.bench_int8 --qmsum
# smooth-no-ffn-out-qint8, on a CPU with avx512_vnni): QMSum val hybrid R@1000 0.469 int8
# against 0.471 fp32, paired difference -0.002 (95% CI -0.006 to +0.002). The first recipe
# (0.449 against 0.465, -0.015) did not. Set False if a new recipe is not measured so.
INT8_KEEPS_QUALITY = True
# The shipped recipe's vectors on this kind of CPU (AMD EPYC, AVX2 without VNNI): median cosine
# 0.965 to fp32's, against 0.999 with VNNI (tests/embeddings/test_onnx_encoder.py).
_NO_VNNI_COSINE = 0.965

log = logging.getLogger(__name__)


def cpu_vnni(cpuinfo: Path = Path("/proc/cpuinfo")) -> str | None:
    """The first VNNI flag the CPU reports (/proc/cpuinfo), or None."""
    try:
        text = cpuinfo.read_text(encoding="utf-8")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            return next((f for f in VNNI_FLAGS if f in flags), None)
    return None


def choose_precision(
    precision: str,
    library_folder: Path | None = None,
    vnni: str | None = None,
    *,
    int8_keeps_quality: bool = INT8_KEEPS_QUALITY,
) -> str:
    """fp32 or int8 for a precision setting. "auto": the precision an existing library was
    embedded with (its manifest.json), so its vectors stay valid on any CPU; for a new library
    int8 where the CPU has VNNI (`vnni`, detected when None) and the int8 recipe keeps retrieval
    quality (INT8_KEEPS_QUALITY), else fp32."""
    if precision not in PRECISIONS:
        raise ModelError(
            f"embedding precision must be one of {', '.join(PRECISIONS)}, got {precision!r}"
        )
    if precision != "auto":
        return precision
    manifest = library_folder / "manifest.json" if library_folder is not None else None
    if manifest is not None and manifest.is_file():
        try:
            name = json.loads(manifest.read_text(encoding="utf-8")).get("embedding_model", "")
        except (OSError, ValueError, AttributeError):
            name = ""
        if name:
            # "+onnx-int8" or "+onnx-int8-<recipe>": int8 vectors of either recipe.
            if INT8_SUFFIX not in str(name):
                return "fp32"
            if not (vnni or cpu_vnni()):
                # Its vectors stay valid, but the questions' vectors made here are not the ones a
                # VNNI CPU makes: retrieval from this library loses precision on this machine.
                log.warning(
                    "the library at %s was embedded in int8 and this CPU has no VNNI: its int8 "
                    "vectors of questions are off (median cosine %.3f to fp32, against 0.999 "
                    "with VNNI). Re-embed it in fp32 here with "
                    "`TQA_EMBEDDING_PRECISION=fp32 tqa reindex`.",
                    library_folder,
                    _NO_VNNI_COSINE,
                )
            return "int8"
    if not int8_keeps_quality:
        return "fp32"
    return "int8" if (vnni or cpu_vnni()) else "fp32"


@dataclass(frozen=True)
class EncoderSpec:
    """The arguments of load_encoder, as a value: what a library's encoder is, so that another
    process (a Ray worker of qa.ingest.distributed) loads the very same one."""

    model: str
    batch_size: int = 32
    runtime: str = "onnx"
    precision: str = "fp32"  # resolved (choose_precision), not "auto"

    def load(self, threads: int | None = None) -> Encoder:
        return load_encoder(
            self.model,
            batch_size=self.batch_size,
            runtime=self.runtime,
            precision=self.precision,
            threads=threads,
        )


def load_encoder(
    model: str,
    *,
    batch_size: int = 32,
    runtime: str = "onnx",
    precision: str = "fp32",
    threads: int | None = None,
) -> Encoder:
    """The encoder a setting names: "bundled:all-MiniLM-L6-v2", "hash[:dim]" or a local folder.

    Prefixed "bundled-int8:" or "int8:", or with precision "int8", the model runs as int8 ONNX
    (embeddings/onnx); precision must be resolved already (choose_precision), not "auto".
    Otherwise `runtime` says how: "onnx" runs the exported model with ONNX Runtime (same vectors
    as torch, and neither torch nor transformers is imported: a cold start of seconds, not ten);
    a model ONNX cannot run (not Transformer + mean pooling) falls back to sentence-transformers.
    `threads`: ONNX Runtime's threads (None: one per core this process may use).
    """
    if runtime not in RUNTIMES:
        raise ModelError(f"embedding runtime must be one of {', '.join(RUNTIMES)}, got {runtime!r}")
    if precision not in ("fp32", "int8"):
        raise ModelError(f"embedding precision must be fp32 or int8 here, got {precision!r}")
    if model == "hash" or model.startswith("hash:"):
        return HashEncoder(hash_dimension(model))
    if precision == "int8" and not model.startswith((BUNDLED_INT8_PREFIX, INT8_PREFIX)):
        model = (
            BUNDLED_INT8_PREFIX + model.removeprefix(BUNDLED_PREFIX)
            if model.startswith(BUNDLED_PREFIX)
            else INT8_PREFIX + model
        )
    # "bundled-int8:all-MiniLM-L6-v2" or "int8:/folder": the same model as int8 ONNX.
    for int8_prefix, plain_prefix in ((BUNDLED_INT8_PREFIX, BUNDLED_PREFIX), (INT8_PREFIX, "")):
        if model.startswith(int8_prefix):
            from embeddings.onnx import OnnxEncoder

            name, path = resolve_model(plain_prefix + model.removeprefix(int8_prefix))
            return OnnxEncoder(path, name, int8=True, batch_size=batch_size, threads=threads)
    if runtime == "onnx":
        from embeddings.onnx import OnnxEncoder, supports_onnx

        name, path = resolve_model(model)
        if supports_onnx(path):
            return OnnxEncoder(path, name, batch_size=batch_size, threads=threads)
    return SentenceTransformerEncoder(model, batch_size=batch_size)
