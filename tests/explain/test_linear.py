"""The bags' explanations are exact: word weights and the bias add up to the model's own logit margin."""

from __future__ import annotations

import numpy as np
import pytest

from customer_sentiment.explain import EXACT
from customer_sentiment.inference import encode, predict_logits
from customer_sentiment.io import clean_texts

BIAS = {"bag_of_embeddings.v1": lambda model: model.classifier.bias, "naive_bayes_bag.v1": lambda model: model.bias}


def other_mean_margin(row: np.ndarray, label: int) -> float:
    """The label's value minus the mean of the other labels' values."""
    return float(row[label] - np.delete(row, label).mean())


@pytest.mark.parametrize("name", sorted(BIAS))
def test_word_weights_and_bias_sum_to_the_models_logit_margin(explained, name):
    pipeline, explanations = explained(name)
    texts = clean_texts([e["text"] for e in explanations]).to_pylist()
    logits = predict_logits(pipeline.model_, encode(pipeline.tokenizer_, texts), pipeline.predictor_.device)
    bias = BIAS[name](pipeline.model_).detach().double().cpu().numpy()
    for explanation, row in zip(explanations, logits, strict=True):
        label = pipeline.labels_.index(explanation["label"])
        assert explanation["method"] == EXACT
        words = sum(span["weight"] for span in explanation["spans"])
        assert words + other_mean_margin(bias, label) == pytest.approx(other_mean_margin(row, label), abs=1e-5)
        assert explanation["base"] == pytest.approx(other_mean_margin(bias, label), abs=1e-6)


@pytest.mark.parametrize("name", sorted(BIAS))
def test_phrases_are_the_reviews_words_and_ngrams_ranked_by_sign(explained, name):
    _, explanations = explained(name)
    ngrams = 0
    for explanation in explanations:
        text = explanation["text"]
        assert all(text[s["start"]:s["end"]] == s["text"] for s in explanation["spans"])
        toward = [p["weight"] for p in explanation["toward"]]
        against = [p["weight"] for p in explanation["against"]]
        assert all(w > 0 for w in toward) and toward == sorted(toward, reverse=True) and len(toward) <= 3
        assert all(w < 0 for w in against) and against == sorted(against) and len(against) <= 3
        phrases = [p["phrase"] for p in explanation["toward"] + explanation["against"]]
        assert all(phrase in text for phrase in phrases)            # as the review writes them
        ngrams += sum(" " in phrase for phrase in phrases)
    assert ngrams > 0                                                # n-grams are phrases of their own
