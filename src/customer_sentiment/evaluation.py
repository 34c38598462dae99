"""Metrics a business can trust: accuracy, macro-F1, per-class precision/recall/F1, confusion matrix.

Macro-F1 weighs every class the same, so a model that ignores the rare "negative" reviews of a
mostly happy customer base scores low even when its accuracy looks high.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

from .inference import brier_score, expected_calibration_error, reliability, selective_accuracy


def evaluate_predictions(true_labels: Sequence[str], predicted_labels: Sequence[str],
                         labels: Sequence[str]) -> dict:
    """Metrics of predictions against true labels, as a JSON-ready dict.

    >>> m = evaluate_predictions(["positive", "negative"], ["positive", "positive"], ["negative", "positive"])
    >>> m["accuracy"], m["per_class"]["negative"]["recall"]
    (0.5, 0.0)
    """
    labels = list(labels)
    precision, recall, f1, support = precision_recall_fscore_support(
        true_labels, predicted_labels, labels=labels, zero_division=0)
    return {
        "reviews": len(true_labels),
        "accuracy": float(accuracy_score(true_labels, predicted_labels)),
        "macro_f1": float(f1_score(true_labels, predicted_labels, labels=labels, average="macro", zero_division=0)),
        "per_class": {label: {"precision": float(precision[i]), "recall": float(recall[i]), "f1": float(f1[i]),
                              "support": int(support[i])} for i, label in enumerate(labels)},
        "confusion_matrix": {"labels": labels,
                             "rows_are": "true label", "columns_are": "predicted label",
                             "matrix": confusion_matrix(true_labels, predicted_labels, labels=labels).tolist()},
    }



def evaluate_probabilities(true_labels: Sequence[str], probabilities: np.ndarray, labels: Sequence[str],
                           uncalibrated: np.ndarray | None = None) -> dict:
    """`evaluate_predictions` of the most probable labels, and how far to trust the probabilities:
    expected calibration error (15 bins), Brier score, the reliability diagram's bins, and the
    accuracy left when the least confident reviews are sent to a person (`selective`). With
    `uncalibrated` probabilities, their ECE and Brier score too (`before_calibration`)."""
    labels = list(labels)
    index = {label: i for i, label in enumerate(labels)}
    truth = np.array([index[label] for label in true_labels], dtype=np.int64)
    metrics = evaluate_predictions(true_labels, [labels[i] for i in probabilities.argmax(axis=1)], labels)
    metrics.update(ece=expected_calibration_error(truth, probabilities), brier=brier_score(truth, probabilities),
                   reliability=reliability(truth, probabilities), selective=selective_accuracy(truth, probabilities))
    if uncalibrated is not None:
        metrics["before_calibration"] = {"ece": expected_calibration_error(truth, uncalibrated),
                                         "brier": brier_score(truth, uncalibrated)}
    return metrics
