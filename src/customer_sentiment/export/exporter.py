"""`export_model`: a model directory's model.onnx (and model.int8.onnx) and export.json, written only
after the parity gate passed, each file atomically; export.json last, naming every file's sha256."""

from __future__ import annotations

import platform
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from .._version import __version__
from ..inference.onnx_runtime import INT8, ONNX, RECORD, WEIGHTS, OnnxScorer, default_threads, sha256
from ..io import ReadOptions, write_bytes, write_json
from ..model_dir import load_model
from .check_data import check_reviews
from .gate import EagerReference, check_fp32, check_int8, passes_int8
from .graphs import INT8_SENSITIVE, exportable
from .onnx_graph import OPSET, OUTPUT, example_batch, export_onnx, quantize_int8

FORMAT = "customer-sentiment/onnx-export"
# int8 ways tried in turn: (weights scaled per channel, 7-bit weights, modules kept in fp32).
INT8_TRIES = ((False, False, ()), (False, True, ()), (True, False, ()), (True, True, ()))


@dataclass
class ExportRecord:
    """What was written: the files and export.json's contents."""

    files: list[Path]
    record: dict


def export_model(model_dir: str | Path, quantize: str | None = None, check_data: Path | None = None,
                 options: ReadOptions | None = None, threads: int | None = None) -> ExportRecord:
    """Export `model_dir` to ONNX (and int8 with `quantize="int8"`), gated by parity on held-out reviews."""
    model_dir, threads = Path(model_dir), threads or default_threads()
    loaded = load_model(model_dir)
    graph = exportable(loaded.model)                    # refuses an architecture it cannot export, first
    reviews = check_reviews(loaded, check_data, options)
    reference = EagerReference(loaded, reviews.texts, reviews.labels)
    batch = example_batch(loaded.model, loaded.config["vocab_size"])
    with tempfile.TemporaryDirectory(prefix=".export-") as folder:
        fp32 = Path(folder) / ONNX
        started = time.perf_counter()
        export_onnx(graph, batch, fp32)
        parity = {ONNX: reference.figures(OnnxScorer(fp32, threads))}
        check_fp32(parity[ONNX], ONNX)
        if quantize == "int8":
            sensitive = INT8_SENSITIVE.get(loaded.config["architecture"], ())
            parity[INT8] = _best_int8(fp32, Path(folder) / INT8, reference, threads, sensitive)
            check_int8(parity[INT8], INT8)
        record = _record(loaded, model_dir, list(batch), parity, reviews.source, threads, folder)
        record["seconds"] = round(time.perf_counter() - started, 2)
        written = [model_dir / name for name in parity]
        for name in parity:                              # gate passed: now the files, export.json last
            write_bytes(model_dir / name, (Path(folder) / name).read_bytes())
    if INT8 not in parity:                               # an older int8 file export.json no longer vouches for
        (model_dir / INT8).unlink(missing_ok=True)
    write_json(model_dir / RECORD, record)
    return ExportRecord([*written, model_dir / RECORD], record)


def _best_int8(fp32: Path, target: Path, reference: EagerReference, threads: int,
               sensitive: tuple[str, ...] = ()) -> dict:
    """Quantize in the ways of INT8_TRIES, and keep the one that agrees most with PyTorch on the check
    reviews, stopping at the first that changes no label. No way is best for every model (measured on
    this AVX2 CPU: the sample's bag moved 1.7 % of its labels with 8-bit weights and none with 7-bit; MiniLM
    did best per channel). If none passes the gate and the architecture names `sensitive` modules,
    those stay in fp32 in a last try."""
    tries = list(INT8_TRIES)
    best = None
    while tries:
        per_channel, reduce_range, keep = tries.pop(0)
        candidate = target.with_suffix(f".{len(tries)}.onnx")
        quantize_int8(fp32, candidate, per_channel, keep, reduce_range)
        figures = {**reference.figures(OnnxScorer(candidate, threads)),
                   "weights_scaled": "per channel" if per_channel else "per tensor",
                   "weight_bits": 7 if reduce_range else 8, **({"kept_fp32": list(keep)} if keep else {})}
        key = (figures["label_agreement"], -figures.get("accuracy_points_lost", 0.0))
        if best is None or key > best[0]:
            best = (key, figures, candidate)
        if best[1]["label_agreement"] == 1.0:
            break
        if not tries and not keep and sensitive and not passes_int8(best[1]):
            tries.append((True, False, sensitive))
    best[2].replace(target)
    return best[1]


def _record(loaded, model_dir: Path, inputs: list[str], parity: dict, source: str, threads: int, folder: str) -> dict:
    import onnx
    import onnxruntime

    return {"format": FORMAT, "format_version": 1, "architecture": loaded.config["architecture"], "opset": OPSET,
            "inputs": inputs, "outputs": [OUTPUT], "labels": loaded.labels, "temperature": loaded.temperature,
            "weights_sha256": sha256(model_dir / WEIGHTS),
            "files": {name: {"sha256": sha256(Path(folder) / name), "bytes": (Path(folder) / name).stat().st_size,
                             "parity": figures} for name, figures in parity.items()},
            "check_data": source, "threads": threads,
            "versions": {"customer_sentiment": __version__, "torch": torch.__version__.split("+")[0],
                         "onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__,
                         "python": platform.python_version()}}
