"""Calibrated confidence: temperature scaling (Guo et al., 2017), and how far confidence is from accuracy.

A network's softmax is usually over-confident: of the reviews it labels with 0.95, fewer than 95 %
are right. Temperature scaling divides the logits by one number T, fitted after training on the
validation split by minimising the negative log-likelihood; the labels never change (argmax is
the same), only how sure the probabilities say the model is. T is saved in config.json and used
by every prediction path.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar

TEMPERATURE_RANGE = (0.05, 20.0)          # a fitted T outside this range means the validation split is unusable
CALIBRATION_BINS = 15


def scaled_softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Row-wise softmax of logits / temperature, in float64 (rows sum to 1 to machine precision).

    >>> scaled_softmax(np.array([[2.0, 0.0]]), temperature=2.0).round(4).tolist()
    [[0.7311, 0.2689]]
    """
    scaled = logits.astype(np.float64) / temperature
    scaled -= scaled.max(axis=1, keepdims=True)
    exp = np.exp(scaled)
    return exp / exp.sum(axis=1, keepdims=True)


def fit_temperature(logits: np.ndarray, review: np.ndarray, truth: np.ndarray) -> float:
    """The T that minimises the negative log-likelihood of the true classes, where a review's
    probabilities are the mean over its windows (`review[i]` is the review of logits row i)."""
    n_reviews = len(truth)
    counts = np.maximum(np.bincount(review, minlength=n_reviews), 1)[:, None]

    def nll(log_t: float) -> float:
        sums = np.zeros((n_reviews, logits.shape[1]))
        np.add.at(sums, review, scaled_softmax(logits, float(np.exp(log_t))))
        return float(-np.log(np.maximum((sums / counts)[np.arange(n_reviews), truth], 1e-12)).mean())

    low, high = np.log(TEMPERATURE_RANGE)
    return float(np.exp(minimize_scalar(nll, bounds=(low, high), method="bounded", options={"xatol": 1e-4}).x))


def expected_calibration_error(truth: np.ndarray, probabilities: np.ndarray, bins: int = CALIBRATION_BINS) -> float:
    """ECE: the gap between confidence (the top probability) and accuracy, averaged over equal-width
    confidence bins weighted by the reviews in each.

    >>> expected_calibration_error(np.array([0, 1]), np.array([[0.9, 0.1], [0.9, 0.1]]))
    0.4
    """
    gap = sum(row["reviews"] * abs(row["accuracy"] - row["confidence"]) for row in reliability(truth, probabilities, bins))
    return round(float(gap / max(len(truth), 1)), 6)


def brier_score(truth: np.ndarray, probabilities: np.ndarray) -> float:
    """The multiclass Brier score: mean squared distance between the probabilities and the one-hot truth.

    >>> brier_score(np.array([0]), np.array([[0.75, 0.25]]))
    0.125
    """
    onehot = np.eye(probabilities.shape[1])[truth]
    return round(float(((probabilities - onehot) ** 2).sum(axis=1).mean()), 6)


def reliability(truth: np.ndarray, probabilities: np.ndarray, bins: int = CALIBRATION_BINS) -> list[dict]:
    """Per confidence bin: its range, reviews, mean confidence and accuracy (a reliability diagram's data)."""
    confidence, correct = _confidence_and_correctness(truth, probabilities)
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    return [{"low": b / bins, "high": (b + 1) / bins, "reviews": int((which == b).sum()),
             "confidence": float(confidence[which == b].mean()), "accuracy": float(correct[which == b].mean())}
            for b in range(bins) if (which == b).any()]


def selective_accuracy(truth: np.ndarray, probabilities: np.ndarray,
                       thresholds: tuple[float, ...] = (0.5, 0.6, 0.7, 0.8, 0.9)) -> list[dict]:
    """For each threshold: the share of reviews whose top probability is below it (sent to a person)
    and the accuracy of the rest (labelled automatically)."""
    confidence, correct = _confidence_and_correctness(truth, probabilities)
    rows = []
    for threshold in thresholds:
        kept = confidence >= threshold
        rows.append({"threshold": threshold, "sent_to_review": round(float(1 - kept.mean()), 6) if len(kept) else 0.0,
                     "accuracy_of_the_rest": round(float(correct[kept].mean()), 6) if kept.any() else None})
    return rows


def _confidence_and_correctness(truth: np.ndarray, probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each review's top probability, and whether its most probable label is the true one."""
    return probabilities.max(axis=1), probabilities.argmax(axis=1) == truth
