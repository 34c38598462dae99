"""The parity gate: an exported graph is written only if it scores held-out reviews as PyTorch does.

fp32 against eager: the largest difference of any probability under 1e-4 and every label the same.
int8 against eager: at least 99 % of the labels the same and at most 0.5 point of accuracy lost.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from ..errors import CustomerSentimentError
from ..inference.calibration import scaled_softmax
from ..inference.onnx_runtime import OnnxScorer
from ..inference.predictor import as_items, default_batch_size, encode, predict_logits
from ..model_dir import LoadedModel

FP32_MAX_PROB_DIFF, FP32_MIN_AGREEMENT = 1e-4, 1.0
INT8_MIN_AGREEMENT, INT8_MAX_POINTS_LOST = 0.99, 0.5


class EagerReference:
    """PyTorch's logits and probabilities of the check reviews, computed once for both graphs."""

    def __init__(self, loaded: LoadedModel, texts: Sequence[str], labels: np.ndarray | None):
        self.loaded, self.labels = loaded, labels
        self.items = as_items(loaded.model, encode(loaded.tokenizer, list(texts)))
        self.logits = predict_logits(loaded.model, self.items, torch.device("cpu"), "fp32")
        self.probabilities = self.per_review(self.logits)

    def per_review(self, logits: np.ndarray) -> np.ndarray:
        return self.items.per_review(scaled_softmax(logits, self.loaded.temperature))

    def figures(self, scorer: OnnxScorer) -> dict:
        """How the graph's scores differ from PyTorch's on the check reviews."""
        logits = scorer.logits(self.loaded.model.collate, self.items, default_batch_size(self.loaded.model))
        probabilities = self.per_review(logits)
        same = probabilities.argmax(axis=1) == self.probabilities.argmax(axis=1)
        figures = {"reviews": len(self.probabilities),
                   "max_abs_logit_diff": _max_diff(logits, self.logits),
                   "max_abs_prob_diff": _max_diff(probabilities, self.probabilities),
                   "label_agreement": round(float(same.mean()) if len(same) else 1.0, 6)}
        if self.labels is not None:
            figures["accuracy_eager"] = _accuracy(self.probabilities, self.labels)
            figures["accuracy"] = _accuracy(probabilities, self.labels)
            figures["accuracy_points_lost"] = round(100 * (figures["accuracy_eager"] - figures["accuracy"]), 4)
        return figures


def check_fp32(figures: dict, name: str) -> None:
    """Refuse an fp32 graph that does not give PyTorch's probabilities and labels."""
    if not (figures["max_abs_prob_diff"] < FP32_MAX_PROB_DIFF and figures["label_agreement"] >= FP32_MIN_AGREEMENT):
        raise CustomerSentimentError(
            f"The exported {name} disagrees with PyTorch on {figures['reviews']:,} held-out reviews",
            expected=f"probabilities within {FP32_MAX_PROB_DIFF:g} and every label the same",
            found=f"a difference of {figures['max_abs_prob_diff']:.3g}, {100 * figures['label_agreement']:.2f} % "
                  "of the labels the same", fix="Nothing was written; this is a bug of the export, please report it.")


def passes_int8(figures: dict) -> bool:
    """Labels and accuracy within the int8 limits."""
    return (figures["label_agreement"] >= INT8_MIN_AGREEMENT
            and figures.get("accuracy_points_lost", 0.0) <= INT8_MAX_POINTS_LOST)


def check_int8(figures: dict, name: str) -> None:
    """Refuse an int8 graph that changes labels or loses accuracy beyond the limits."""
    if passes_int8(figures):
        return
    lost = figures.get("accuracy_points_lost", 0.0)
    raise CustomerSentimentError(
        f"The int8 {name} is too far from PyTorch on {figures['reviews']:,} held-out reviews",
        expected=f"at least {100 * INT8_MIN_AGREEMENT:g} % of the labels the same and at most "
                 f"{INT8_MAX_POINTS_LOST:g} point of accuracy lost",
        found=f"{100 * figures['label_agreement']:.2f} % the same, " + (f"{lost:.2f} points lost" if "accuracy" in figures
                                                                          else "accuracy not checked (no labels)"),
        fix="Nothing was written. Export without --quantize (fp32), which passes this gate.")


def _max_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.float64) - b).max(initial=0.0))


def _accuracy(probabilities: np.ndarray, labels: np.ndarray) -> float:
    return round(float((probabilities.argmax(axis=1) == labels).mean()) if len(labels) else 0.0, 6)
