"""Metrics against numbers worked out by hand."""

from __future__ import annotations

import pytest

from customer_sentiment.evaluation import evaluate_predictions


def test_metrics_match_a_hand_count():
    true = ["neg", "neg", "neg", "pos", "pos", "neu"]
    predicted = ["neg", "pos", "neg", "pos", "pos", "pos"]
    metrics = evaluate_predictions(true, predicted, ["neg", "neu", "pos"])
    assert metrics["accuracy"] == pytest.approx(4 / 6)
    assert metrics["per_class"]["neg"] == {"precision": 1.0, "recall": pytest.approx(2 / 3),
                                           "f1": pytest.approx(0.8), "support": 3}
    assert metrics["per_class"]["pos"]["precision"] == pytest.approx(0.5)
    assert metrics["per_class"]["neu"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert metrics["macro_f1"] == pytest.approx((0.8 + 0 + 2 / 3) / 3)
    assert metrics["confusion_matrix"]["matrix"] == [[2, 0, 1], [0, 0, 1], [0, 0, 2]]


def test_macro_f1_punishes_ignoring_the_rare_class():
    true = ["happy"] * 90 + ["complaint"] * 10
    metrics = evaluate_predictions(true, ["happy"] * 100, ["complaint", "happy"])
    assert metrics["accuracy"] == 0.9
    assert metrics["macro_f1"] == pytest.approx(0.9 / 1.9)
