"""`explain`: one JSON-ready explanation per review, and the mistakes it refuses."""

from __future__ import annotations

import json
import re

import pytest

from customer_sentiment import SentimentPipeline
from customer_sentiment.errors import CustomerSentimentError, NotFittedError
from customer_sentiment.explain import explain

KEYS = {"text", "label", "probability", "method", "spans", "toward", "against", "margin", "base", "delta"}


def test_one_json_ready_explanation_per_review_with_the_pipelines_label(sample_pipeline):
    texts = ["Terrible, the lid leaks and it broke in a week.", "<p>Love it &amp; works great</p>", ""]
    explanations = explain(sample_pipeline, texts, top=2)
    assert json.loads(json.dumps(explanations)) == explanations
    assert [set(e) for e in explanations] == [KEYS] * 3
    assert [e["label"] for e in explanations] == sample_pipeline.predict(texts)
    probabilities = sample_pipeline.predict_proba(texts).max(axis=1)
    assert [e["probability"] for e in explanations] == pytest.approx(probabilities.tolist())
    assert explanations[1]["text"] == "Love it & works great"          # cleaned, as the model reads it
    assert explanations[2]["spans"] == [] and explanations[2]["toward"] == []
    assert all(len(e["toward"]) <= 2 and len(e["against"]) <= 2 for e in explanations)


def test_top_must_be_a_positive_integer(sample_pipeline):
    with pytest.raises(CustomerSentimentError, match=re.escape("--top is 0: expected an integer >= 1. Pass --top 5")):
        explain(sample_pipeline, ["Fine."], top=0)


def test_an_unfitted_pipeline_says_to_fit_first():
    with pytest.raises(NotFittedError, match="fit"):
        explain(SentimentPipeline(), ["Fine."])


def test_punctuation_alone_is_weighed_in_spans_but_never_listed_as_a_reason(sample_pipeline):
    texts = ["Stopped heating after two weeks, though the fries were great. Avoid!", "Meh... it's ok, I guess?!"]
    for explanation in explain(sample_pipeline, texts, top=50):
        listed = [p["phrase"] for side in ("toward", "against") for p in explanation[side]]
        assert listed and all(any(c.isalnum() for c in phrase) for phrase in listed)
        assert any(not any(c.isalnum() for c in s["text"]) for s in explanation["spans"])    # "," and "." keep weights
