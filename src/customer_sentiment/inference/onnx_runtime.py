"""Token ids to logits with onnxruntime, and the exported files of a model directory, checked.

A file is scored only if export.json vouches for it: its sha256 and that of the weights it was
exported from are recorded there, so a tampered file, or a model trained again after its export,
is refused with a message that says to export again.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from pathlib import Path

import numpy as np

from ..errors import CustomerSentimentError
from ..text import EncodedReviews

RUNTIMES = ("torch", "onnx", "onnx-int8")        # where `predict --runtime` computes the logits
ONNX, INT8, RECORD = "model.onnx", "model.int8.onnx", "export.json"
WEIGHTS = "model.safetensors"
_EXPORT_AGAIN = "Export it again with `customer-sentiment export MODEL_DIR`."


def default_threads(cpu_max: Path = Path("/sys/fs/cgroup/cpu.max")) -> int:
    """The cores this process may use: its CPU affinity, and a container's CPU quota (cgroup v2 cpu.max)
    if lower (onnxruntime would size its pools from the host's cores).

    >>> default_threads() >= 1
    True
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:                                      # not Linux
        cores = os.cpu_count() or 1
    try:
        quota, period = cpu_max.read_text().split()[:2]         # "max 100000" when there is no quota
        if quota != "max":
            cores = min(cores, math.ceil(int(quota) / int(period)))
    except (OSError, ValueError):
        pass
    return max(1, cores)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class OnnxScorer:
    """An onnxruntime session on an exported graph, with explicit thread counts: `collate`d batches to logits."""

    def __init__(self, path: str | Path, threads: int | None = None):
        try:
            import onnxruntime as ort
        except ImportError:
            raise CustomerSentimentError(
                "onnxruntime is not installed, so an exported model cannot be scored",
                fix="Install it with pip install 'customer-sentiment[onnx]', or score with --runtime torch.") from None
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or default_threads()
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.path = Path(path)
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.inputs = [value.name for value in self.session.get_inputs()]

    def logits(self, collate, items: EncodedReviews, batch_size: int) -> np.ndarray:
        """Logits (items, classes) in float32, `batch_size` items per run."""
        out = []
        for start in range(0, len(items), batch_size):
            batch = collate(items.docs(start, min(start + batch_size, len(items))))
            out.append(self.session.run(None, {name: batch[name].numpy() for name in self.inputs})[0])
        if not out:
            return np.zeros((0, self.session.get_outputs()[0].shape[-1]), dtype=np.float32)
        return np.concatenate(out).astype(np.float32, copy=False)


def read_record(model_dir: Path) -> dict:
    """export.json of `model_dir`; a clear error when the model was not exported."""
    path = model_dir / RECORD
    if not path.is_file():
        raise CustomerSentimentError(f"{model_dir} has no {RECORD}: the model was not exported", fix=_EXPORT_AGAIN)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise CustomerSentimentError(f"{path} is not valid JSON ({error})", fix=_EXPORT_AGAIN) from None
    if not isinstance(record, dict) or not isinstance(record.get("files"), dict):
        raise CustomerSentimentError(f"{path} lists no exported files", fix=_EXPORT_AGAIN)
    return record


def load_onnx(model_dir: str | Path, quantized: bool = False, threads: int | None = None) -> OnnxScorer:
    """The exported graph of `model_dir` (int8 with `quantized`), after checking it is the one export.json
    describes and that the weights it was exported from are still those of the model."""
    model_dir = Path(model_dir)
    record, name = read_record(model_dir), INT8 if quantized else ONNX
    path = model_dir / name
    if name not in record["files"] or not path.is_file():
        raise CustomerSentimentError(f"{model_dir} has no {name} that export.json describes",
                                     fix=_EXPORT_AGAIN + (" --quantize int8" if quantized else ""))
    if sha256(path) != record["files"][name].get("sha256"):
        raise CustomerSentimentError(f"{path} is not the file that was exported (its sha256 differs from "
                                     f"export.json's); it was changed or damaged and is not loaded", fix=_EXPORT_AGAIN)
    if sha256(model_dir / WEIGHTS) != record.get("weights_sha256"):
        raise CustomerSentimentError(f"{path} was exported from other weights than {model_dir / WEIGHTS} "
                                     "(the model was trained again since)", fix=_EXPORT_AGAIN)
    return OnnxScorer(path, threads)
