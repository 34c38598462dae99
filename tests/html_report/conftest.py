"""Summaries to render: the bundled sample's, with every optional section filled in by hand, and a
hostile one whose names, labels and texts try to break out of the page."""

from __future__ import annotations

import copy

import pandas as pd
import pytest

from customer_sentiment.html_report import render_html
from customer_sentiment.insights import summarize

from ..conftest import SAMPLE

# Markup, a closing style tag, quotes, an ampersand, control characters, a lone surrogate (unencodable as
# UTF-8), and matplotlib's math delimiters.
HOSTILE = "<script>alert(1)</script></style><img src=x onerror=alert(2)>\"'&amp; \x00\x1b[31m \ud800 $x^$"
SECTION_IDS = ["overview", "products", "changes", "drivers", "stars-vs-words", "explanations", "evaluation"]


def star_labels(ratings: pd.Series) -> pd.Series:
    return ratings.map(lambda stars: "negative" if stars <= 2 else "neutral" if stars == 3 else "positive")


def extras(group: str, text: str, label: str) -> dict:
    """The sections built elsewhere (drivers, stars against words, explanations, evaluation), by hand,
    in the shape the package docstring states."""
    crispy = text.index("crispy")
    spans = [{"start": start, "end": end, "text": text[start:end], "weight": weight}
             for start, end, weight in ((4, 19, 0.3), (20, 24, 0.8), (crispy, crispy + 6, -0.4))]
    bins = [{"low": b / 15, "high": (b + 1) / 15, "reviews": 10 + 5 * b, "confidence": (b + 0.5) / 15,
             "accuracy": min(1.0, (b + 0.5) / 15 + 0.04)} for b in range(5, 15)]
    return {
        "drivers": [{"group": group, "unit": "sentences", "terms": [
            {"term": "heating element", "z": 6.1, "negative": 40, "positive": 2}, {"term": text, "z": 3.3,
                                                                                   "negative": 20, "positive": 4}]}],
        "stars_vs_words": {"rating_column": "rating", "groups": [
            {"name": group, "reviews": 352, "star_average": 3.1, "high_stars_negative_text": 4,
             "low_stars_positive_text": 2}], "examples": [
            {"text": text, "rating": 5, "label": label, "probability": 0.91, "group": group}]},
        "explained_examples": [{"text": text, "label": label, "probability": 0.93, "method": "occlusion", "spans": spans,
                                "toward": [{"phrase": text[20:24], "weight": 0.8}],
                                "against": [{"phrase": "crispy", "weight": -0.4}]}],
        "evaluation": {"reviews": 480, "accuracy": 0.815, "macro_f1": 0.737, "ece": 0.041, "brier": 0.28,
                       "before_calibration": {"ece": 0.09, "brier": 0.3},
                       "per_class": {label: {"precision": 0.78, "recall": 0.83, "f1": 0.80, "support": 107}},
                       "reliability": bins,
                       "selective": [{"threshold": 0.5, "sent_to_review": 0.0, "accuracy_of_the_rest": 0.815},
                                     {"threshold": 0.9, "sent_to_review": 1.0, "accuracy_of_the_rest": None}]},
    }


def with_evidence(summary: dict, text: str) -> dict:
    """The first change with the terms and sentences that changed with it (as `change_evidence` gives them)."""
    summary["changes"][0]["evidence"] = {
        "unit": "sentences", "before_units": 156, "after_units": 436,
        "terms": [{"term": "heating element", "z": 5.2, "before": 0, "after": 39},
                  {"term": text, "z": 3.9, "before": 0, "after": 21}],
        "examples": [{"text": "The heating element died after a month.", "period": "2025-10"},
                     {"text": text, "period": "2025-11"}]}
    return summary


@pytest.fixture(scope="session")
def sample_frame() -> pd.DataFrame:
    frame = pd.read_csv(SAMPLE)
    return frame.assign(predicted_label=star_labels(frame["rating"]))


@pytest.fixture(scope="session")
def sample_summary(sample_frame, sample_pipeline) -> dict:
    """The bundled sample's summary as the demo makes it: scored by the sample model (probabilities
    included), read by sentence, examples explained, the model's validation metrics; every section present."""
    probabilities = sample_pipeline.predict_proba(sample_frame["review"].tolist())
    scored = sample_frame.assign(predicted_label=sample_pipeline.classes_[probabilities.argmax(axis=1)],
                                 **{f"prob_{label}": probabilities[:, i] for i, label in enumerate(sample_pipeline.classes_)})
    summary = summarize(scored, by="product", time_column="date", text_column="review", rating_column="rating",
                        pipeline=sample_pipeline, evaluation=sample_pipeline.metrics_["validation"])
    assert all(key in summary for key in ("drivers", "stars_vs_words", "explained_examples", "evaluation"))
    assert any("evidence" in change for change in summary["changes"])
    return summary


@pytest.fixture(scope="session")
def sample_page(sample_summary) -> str:
    """The sample's full report, rendered once (about a second)."""
    return render_html(sample_summary)


@pytest.fixture
def summary(sample_summary) -> dict:
    """A copy of the sample's summary that a test may change."""
    return copy.deepcopy(sample_summary)


@pytest.fixture(scope="session")
def hostile_summary(sample_frame) -> dict:
    """Every product name, label, review text and the grouping column's name hostile, in every section.
    (A file read from disk cannot hold a lone surrogate; it is put into the summary afterwards.)"""
    readable = HOSTILE.replace("\ud800", "")
    frame = sample_frame.assign(product=readable + sample_frame["product"].str[:3],
                                predicted_label=readable + sample_frame["predicted_label"])
    summary = summarize(frame.rename(columns={"product": readable}), by=readable, time_column="date",
                        text_column="review", negative_label=readable + "negative")
    for entry in summary["most_negative"]:
        entry["examples"] = [{"text": readable, "date": "2026-01-01"}]
    text = "The " + readable + " died after a month. Everything comes out crispy."
    summary = {**with_evidence(summary, readable), **extras(readable, text, readable + "negative")}
    return replace_strings(summary, readable, HOSTILE)


@pytest.fixture(scope="session")
def hostile_page(hostile_summary) -> str:
    return render_html(hostile_summary)


def replace_strings(value, old: str, new: str):
    """`value` (JSON-like) with `old` replaced by `new` in every string, keys included."""
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, dict):
        return {replace_strings(k, old, new): replace_strings(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [replace_strings(item, old, new) for item in value]
    return value
