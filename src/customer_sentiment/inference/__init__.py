"""Inference: the device, the one path from texts to probabilities, and scoring whole files."""

from .device import autocast, resolve_device
from .predictor import Predictor, as_items, encode, predict_logits, review_probabilities, softmax
from .scoring import ScoringSummary, score_file

__all__ = ["Predictor", "ScoringSummary", "as_items", "autocast", "encode", "predict_logits", "resolve_device",
           "review_probabilities", "score_file", "softmax"]
