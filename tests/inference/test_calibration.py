"""Calibrated confidence: the temperature is fitted on validation logits, saved, used everywhere, and
makes confidence match accuracy better on reviews it never saw."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from customer_sentiment import SentimentPipeline
from customer_sentiment.errors import CustomerSentimentError
from customer_sentiment.inference import (
    brier_score,
    expected_calibration_error,
    fit_temperature,
    scaled_softmax,
    selective_accuracy,
)
from customer_sentiment.io import split_indices
from customer_sentiment.settings import TrainingArguments

from ..conftest import SAMPLE, invoke


def overconfident(n: int, temperature: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Logits whose true probabilities are softmax(logits / temperature): labels drawn from those."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 3, size=(n, 3))
    truth = np.array([rng.choice(3, p=p) for p in scaled_softmax(logits, temperature)])
    return logits, truth


def test_the_fitted_temperature_recovers_the_one_that_made_the_labels():
    logits, truth = overconfident(20_000, temperature=2.5)
    fitted = fit_temperature(logits, np.arange(len(truth)), truth)
    assert fitted == pytest.approx(2.5, rel=0.08)
    assert expected_calibration_error(truth, scaled_softmax(logits, fitted)) < 0.02
    assert expected_calibration_error(truth, scaled_softmax(logits)) > 0.1


def test_windows_are_averaged_as_in_prediction():
    logits, truth = overconfident(4_000, temperature=2.0, seed=1)
    doubled = np.repeat(logits, 2, axis=0)                      # each review as two identical windows
    assert fit_temperature(doubled, np.repeat(np.arange(len(truth)), 2), truth) == pytest.approx(
        fit_temperature(logits, np.arange(len(truth)), truth), rel=1e-3)


def test_scores_of_known_cases():
    truth = np.array([0, 1, 1, 0])
    perfect = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    assert expected_calibration_error(truth, perfect) == 0 and brier_score(truth, perfect) == 0
    unsure = np.full((4, 2), 0.5)
    assert brier_score(truth, unsure) == 0.5
    rows = selective_accuracy(truth, np.array([[0.9, 0.1], [0.6, 0.4], [0.2, 0.8], [0.55, 0.45]]), (0.5, 0.7))
    assert rows == [{"threshold": 0.5, "sent_to_review": 0.0, "accuracy_of_the_rest": 0.75},
                    {"threshold": 0.7, "sent_to_review": 0.5, "accuracy_of_the_rest": 1.0}]


@pytest.fixture(scope="module")
def held_out(sample_reviews):
    """A model trained on 80 % of the sample (its own 10 % validation split calibrates it) and the 20 % it never saw."""
    train, test = split_indices(sample_reviews.labels, 0.2, seed=1)
    pipeline = SentimentPipeline(training=TrainingArguments(epochs=8, seed=0), verbose=False).fit(
        [sample_reviews.texts[i] for i in train], [sample_reviews.labels[i] for i in train])
    return pipeline, sample_reviews.subset(test)


def test_a_temperature_fitted_on_one_draw_lowers_the_error_on_another():
    validation, truth = overconfident(3_000, temperature=2.0, seed=2)
    test, test_truth = overconfident(3_000, temperature=2.0, seed=3)
    fitted = fit_temperature(validation, np.arange(len(truth)), truth)
    assert expected_calibration_error(test_truth, scaled_softmax(test, fitted)) < 0.5 * expected_calibration_error(
        test_truth, scaled_softmax(test))


def test_evaluate_reports_both_and_the_labels_never_change(held_out):
    pipeline, test = held_out
    metrics = pipeline.evaluate(test)
    assert pipeline.predictor_.temperature != 1.0
    assert set(metrics["before_calibration"]) == {"ece", "brier"} and 0 <= metrics["ece"] <= 1
    calibrated, raw = pipeline.predictor_.calibrated_and_raw(test.texts)
    assert (calibrated.argmax(axis=1) == raw.argmax(axis=1)).all()
    assert metrics["accuracy"] == pytest.approx(np.mean([pipeline.labels_[i] == label for i, label in
                                                         zip(raw.argmax(axis=1), test.labels, strict=True)]))
    print(f"held-out ECE {metrics['before_calibration']['ece']:.4f} -> {metrics['ece']:.4f}")


def test_the_temperature_is_saved_checked_and_used_after_loading(held_out, tmp_path):
    pipeline, test = held_out
    saved = pipeline.save(tmp_path / "model")
    config = json.loads((saved / "config.json").read_text())
    assert config["calibration"]["temperature"] == pipeline.predictor_.temperature
    validation = json.loads((saved / "metrics.json").read_text())["validation"]
    assert {"ece", "brier", "before_calibration", "selective", "reliability"} <= set(validation)
    again = SentimentPipeline.load(saved)
    np.testing.assert_allclose(again.predict_proba(test.texts[:50]), pipeline.predict_proba(test.texts[:50]), atol=1e-6)
    config["calibration"]["temperature"] = float("nan")
    (saved / "config.json").write_text(json.dumps(config))
    with pytest.raises(CustomerSentimentError, match=re.escape("calibration.temperature is nan: expected a number in")):
        SentimentPipeline.load(saved)


def test_predict_marks_the_reviews_to_read_and_evaluate_shows_the_trade_off(sample_model_dir, tmp_path):
    output = tmp_path / "scored.csv"
    done = invoke("predict", str(sample_model_dir), str(SAMPLE), "--output", str(output), "--review-below", "0.8")
    assert done.returncode == 0, done.stderr
    scored = pd.read_csv(output)
    top = scored[[c for c in scored.columns if c.startswith("prob_")]].max(axis=1)
    assert (scored["needs_review"] == (top < 0.8)).all() and 0 < scored["needs_review"].sum() < len(scored)
    assert f"{int(scored['needs_review'].sum()):,} reviews" in done.stderr
    bad = invoke("predict", str(sample_model_dir), str(SAMPLE), "--output", str(tmp_path / "x.csv"), "--review-below", "0")
    assert bad.returncode == 1 and "--review-below is 0.0: expected a probability in (0, 1]" in bad.stderr
    metrics = tmp_path / "metrics.json"
    done = invoke("evaluate", str(sample_model_dir), str(SAMPLE), "--json", str(metrics))
    assert done.returncode == 0, done.stderr
    saved = json.loads(metrics.read_text())
    assert [row["threshold"] for row in saved["selective"]] == [0.5, 0.6, 0.7, 0.8, 0.9]
    assert "ECE" in done.stdout and "sent to review" in done.stdout
