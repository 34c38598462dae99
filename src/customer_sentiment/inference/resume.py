"""What must not change between a scoring run that was killed and the run that resumes it: the input
file, the model and everything that changes the output's bytes. `io.resumable` keeps this fingerprint
in the progress record and refuses a resume whose fingerprint differs, naming what changed.

The input is known by its size, modified time and the sha256 of its first and last MiB: reading it
whole would cost a pass over the file on every run (about 1.4 s a GB here), and an edit that keeps
both its size and its modified time is not one a user makes by accident. The model is known by the
sha256 of its weights and tokenizer as loaded, so an in-memory pipeline has one too.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import torch

from .. import __version__
from ..io import CHUNK_BYTES, ReadOptions
from ..io.readers import check_readable
from .predictor import Predictor

EDGE_BYTES = 1 << 20            # the head and the tail of the input that are hashed


def scoring_fingerprint(predictor: Predictor, data: str | Path, output: str | Path, options: ReadOptions,
                        settings: dict) -> dict:
    """The input, the model, the output's format, the options that change the output (`settings`, named
    by their flags) and the library versions that write it."""
    read = {"--encoding": options.encoding, "--delimiter": options.delimiter, "--max-review-mb": options.max_review_mb}
    return {"input": file_fingerprint(Path(data)), "model": model_fingerprint(predictor),
            "output format": Path(output).suffix.lower(), "settings": {**settings, **read},
            "versions": {"customer-sentiment": __version__, "torch": torch.__version__, "pyarrow": pa.__version__,
                         "pandas": pd.__version__, "numpy": np.__version__, "chunk bytes": CHUNK_BYTES}}


def file_fingerprint(path: Path) -> dict:
    """Where it is, its size, modified time and the sha256 of its first and last MiB.

    >>> sorted(file_fingerprint(Path(__file__)))
    ['head sha256', 'modified_ns', 'path', 'size', 'tail sha256']
    """
    check_readable(path)                    # a folder, a FIFO or /dev/zero is refused as `predict` refuses it, unopened
    stat = path.stat()
    with open(path, "rb") as handle:
        head = hashlib.sha256(handle.read(EDGE_BYTES)).hexdigest()
        handle.seek(max(0, stat.st_size - EDGE_BYTES))
        tail = hashlib.sha256(handle.read(EDGE_BYTES)).hexdigest()
    return {"path": str(path.resolve()), "size": stat.st_size, "modified_ns": stat.st_mtime_ns, "head sha256": head,
            "tail sha256": tail}


def model_fingerprint(predictor: Predictor) -> dict:
    """The sha256 of the weights and of the tokenizer, the calibration, and where and how logits are computed."""
    weights = hashlib.sha256()
    for name, tensor in sorted(predictor.model.state_dict().items()):
        weights.update(f"{name} {tensor.dtype} {tuple(tensor.shape)}".encode())
        weights.update(tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    tokenizer = hashlib.sha256(json.dumps(predictor.tokenizer.to_dict(), sort_keys=True).encode()).hexdigest()
    return {"weights sha256": weights.hexdigest(), "tokenizer sha256": tokenizer,
            "temperature": predictor.temperature, "precision": predictor.precision,
            "device": predictor.device.type, "runtime": "torch" if predictor.onnx is None else predictor.onnx.path.name}
