"""Inference: the device, the one path from texts to probabilities, and scoring whole files."""

from .calibration import (
    brier_score,
    expected_calibration_error,
    fit_temperature,
    reliability,
    scaled_softmax,
    selective_accuracy,
)
from .device import autocast, resolve_device
from .predictor import Predictor, as_items, encode, predict_logits, review_probabilities
from .scoring import ScoringSummary, score_file

__all__ = ["Predictor", "ScoringSummary", "as_items", "autocast", "brier_score", "encode", "expected_calibration_error",
           "fit_temperature", "predict_logits", "reliability", "resolve_device", "review_probabilities", "scaled_softmax",
           "score_file", "selective_accuracy"]
