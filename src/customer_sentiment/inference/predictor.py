"""The one inference path: texts in, probabilities out.

Cleaning, tokenizing on parallel threads, overlapping windows for long reviews, batches, autocast,
the device, and the mean over each review's windows all happen here, the same way for `predict`,
`predict_proba`, `evaluate`, file scoring, validation during training and (later) explanations,
the service and export parity checks.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
from torch import nn

from ..io import clean_texts
from ..text import EncodedReviews
from .calibration import scaled_softmax
from .device import autocast, inference_precision, resolve_device

ENCODE_SLICE = 4_096                 # texts tokenized at a time by one thread
MIN_SLICE = 256                      # fewer texts are not worth a thread: they take one slice, no pool
BAG_BATCH, SEQUENCE_BATCH = 2_048, 64  # bags are cheap per review; sequence models hold (batch, time, time) attention


def encode(tokenizer, texts: Sequence[str], labels: np.ndarray | None = None) -> EncodedReviews:
    """Tokenize cleaned texts in slices on parallel threads (Arrow and Hugging Face tokenizers release
    the GIL); slices also bound the memory that tokenizing a large batch takes."""
    workers = min(os.cpu_count() or 1, torch.get_num_threads(), 8)
    size = min(ENCODE_SLICE, max(MIN_SLICE, -(-len(texts) // workers)))
    slices = [(i, min(i + size, len(texts))) for i in range(0, len(texts), size)] or [(0, 0)]
    if len(slices) == 1:                 # a few texts (a service's request): no thread pool to start and stop
        parts = [tokenizer.encode_batch(texts[slices[0][0]:slices[0][1]])]
    else:
        with ThreadPoolExecutor(workers) as pool:
            parts = list(pool.map(lambda b: tokenizer.encode_batch(texts[b[0]:b[1]]), slices))
    sizes = np.concatenate([np.diff(offsets) for _, offsets in parts])
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    return EncodedReviews(np.concatenate([ids for ids, _ in parts]), offsets, labels)


def as_items(model: nn.Module, encoded: EncodedReviews) -> EncodedReviews:
    """Reviews as the model reads them: whole for bags, overlapping windows for sequence models."""
    length = getattr(model, "max_length", None)
    if length is None:
        return encoded
    content = length - model.special_tokens
    return encoded.windows(content, max(1, content * 3 // 4))          # windows overlap by a quarter


@torch.inference_mode()
def predict_logits(model: nn.Module, items: EncodedReviews, device: torch.device, precision: str = "fp32",
                   batch_size: int | None = None) -> np.ndarray:
    """Logits (items, classes) in float32, batch by batch, in evaluation mode."""
    model.eval()
    precision = inference_precision(device, precision)
    batch_size = batch_size or default_batch_size(model)
    out = []
    for start in range(0, len(items), batch_size):
        batch = model.collate(items.docs(start, min(start + batch_size, len(items))))
        with autocast(device, precision):
            logits = model(**{k: v.to(device, non_blocking=True) for k, v in batch.items()})
        out.append(logits.float().cpu().numpy())
    if not out:
        return np.zeros((0, model.num_classes), dtype=np.float32)
    return np.concatenate(out)


def review_probabilities(model: nn.Module, items: EncodedReviews, device: torch.device, precision: str = "fp32",
                         batch_size: int | None = None, temperature: float = 1.0) -> np.ndarray:
    """Probabilities per review (reviews, classes): the mean over its windows of softmax(logits / temperature)."""
    return items.per_review(scaled_softmax(predict_logits(model, items, device, precision, batch_size), temperature))


def default_batch_size(model: nn.Module) -> int:
    """Items per forward pass: many reviews for a bag, fewer windows for a sequence model."""
    return SEQUENCE_BATCH if getattr(model, "max_length", None) else BAG_BATCH


class Predictor:
    """A fitted tokenizer and model on a device: cleaned or raw texts to probabilities per review.

    With an `onnx` scorer (an exported graph in onnxruntime, `inference.onnx_runtime`), the logits come
    from it instead of the PyTorch model; tokenizing, windows, calibration and the mean over windows
    stay the same, so both runtimes go through this one path.
    """

    def __init__(self, model: nn.Module, tokenizer, device: str | torch.device = "auto", precision: str = "fp32",
                 batch_size: int | None = None, temperature: float = 1.0, onnx=None):
        self.device = resolve_device(device) if onnx is None else torch.device("cpu")
        self.model = model.to(self.device).eval()
        self.tokenizer, self.precision, self.batch_size = tokenizer, precision, batch_size
        self.temperature = temperature           # calibration (inference.calibration): 1.0 is the raw softmax
        self.onnx = onnx

    @property
    def runtime(self) -> str:
        """Where the logits are computed, in words: "PyTorch on cpu", "onnxruntime (model.int8.onnx)"."""
        return f"PyTorch on {self.device}" if self.onnx is None else f"onnxruntime ({self.onnx.path.name})"

    def logits(self, items: EncodedReviews) -> np.ndarray:
        """Logits (items, classes) in float32 from PyTorch or the exported graph."""
        if self.onnx is not None:
            return self.onnx.logits(self.model.collate, items, self.batch_size or default_batch_size(self.model))
        return predict_logits(self.model, items, self.device, self.precision, self.batch_size)

    def proba_of_clean(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Probabilities per cleaned text, and the number of windows each took."""
        items = as_items(self.model, encode(self.tokenizer, texts))
        return items.per_review(scaled_softmax(self.logits(items), self.temperature)), items.windows_per_review

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities (texts, classes) of raw texts: cleaned here, as in training."""
        return self.proba_of_clean(clean_texts(texts).to_pylist())[0]

    def calibrated_and_raw(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Probabilities of raw texts with the calibration's temperature and without (from one pass)."""
        items = as_items(self.model, encode(self.tokenizer, clean_texts(texts).to_pylist()))
        logits = self.logits(items)
        return items.per_review(scaled_softmax(logits, self.temperature)), items.per_review(scaled_softmax(logits))
