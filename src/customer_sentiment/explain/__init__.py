"""Why a model gave a review its label: the words and phrases that pushed it toward the label and
away from it, with signed weights and character spans to highlight.

A weight is a share of the predicted label's logit margin, in raw logits (before calibration's
temperature): the label's logit minus the mean of the other labels' logits (for two labels, the
difference of the two). Positive pushes toward the predicted label, negative away from it.
- Linear bags (bag of embeddings, naive-Bayes bag): exact n-gram contributions (`linear`); the
  bias is left out of the words and reported as `base`, so weights + base = margin to rounding.
- Sequence and pretrained models: Captum's Layer Integrated Gradients on the token embeddings,
  from an all-padding baseline, in 50 steps (`gradients`); the baseline's margin is `base`, and
  weights + base = margin up to the convergence delta, reported as `delta`.
Sub-word tokens are merged back into words; a bag's n-grams are phrases whose weight is split
evenly over their words' spans. Offsets index `text`, the review as the model read it (cleaned:
HTML entities decoded, tags removed, whitespace collapsed).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from ..errors import CustomerSentimentError
from ..io import clean_texts
from ..pipeline import SentimentPipeline
from .gradients import STEPS, token_attributions
from .linear import LINEAR, bag_words
from .spans import WordWeights, subword_words

EXACT, GRADIENTS = "exact n-gram contributions", "layer integrated gradients"
INCOMPLETE = 0.05          # a larger convergence delta, relative to the change it splits, is warned about

__all__ = ["EXACT", "GRADIENTS", "STEPS", "explain", "margin_directions"]


def explain(pipeline: SentimentPipeline, texts: Sequence[str], top: int = 5) -> list[dict]:
    """One JSON-ready explanation per review: `text`, `label`, its calibrated `probability`, `method`,
    `spans` [{start, end, text, weight}] over `text`, the `top` phrases `toward` the label (largest
    first) and `against` it (most negative first), and `margin`, `base` and `delta` (see the module
    docstring; delta = sum of span weights + base - margin).

    >>> from customer_sentiment import TrainingArguments
    >>> pipeline = SentimentPipeline(training=TrainingArguments(epochs=10, learning_rate=0.1, seed=0),
    ...                              verbose=False).fit(
    ...     ["Love it", "Great value", "Broke in a week", "Awful smell"] * 10,
    ...     ["positive", "positive", "negative", "negative"] * 10)
    >>> [(e["label"], e["toward"][0]["phrase"]) for e in explain(pipeline, ["Awful, it broke"], top=1)]
    [('negative', 'Awful')]
    """
    if type(top) is not int or top < 1:
        raise CustomerSentimentError(f"--top is {top!r}", expected="an integer >= 1",
                                     fix="Pass --top 5, say: the phrases shown on each side.")
    model, predictor = pipeline.model_.eval(), pipeline.predictor_          # no dropout
    texts = clean_texts([texts] if isinstance(texts, str) else texts).to_pylist()
    probabilities, _ = predictor.proba_of_clean(texts)
    labels = probabilities.argmax(axis=1)
    directions = margin_directions(model.num_classes, labels)
    if isinstance(model, LINEAR):
        ids, offsets = predictor.tokenizer.encode_batch(texts)
        words = [bag_words(model, predictor.tokenizer, text, ids[offsets[i]:offsets[i + 1]], directions[i])
                 for i, text in enumerate(texts)]
    else:
        words = _sequence_words(model, predictor.tokenizer, texts, directions)
    explanations = [_as_dict(text, pipeline.labels_[label], float(probabilities[i, label]),
                             EXACT if isinstance(model, LINEAR) else GRADIENTS, w, top)
                    for i, (text, label, w) in enumerate(zip(texts, labels, words, strict=True))]
    off = sum(abs(e["delta"]) > INCOMPLETE * abs(e["margin"] - e["base"]) + 1e-3 for e in explanations)
    if off:
        warnings.warn(f"The word weights of {off:,} of {len(explanations):,} reviews miss their total (the margin's "
                      f"change from the baseline) by more than {INCOMPLETE:.0%}: read them as approximate", stacklevel=2)
    return explanations


def margin_directions(num_classes: int, labels: np.ndarray) -> np.ndarray:
    """(reviews, classes) vectors d with logits · d = the label's logit minus the mean of the others'.

    >>> margin_directions(3, np.array([0])) @ np.array([3.0, 1.0, 0.0])
    array([2.5])
    """
    onehot = np.eye(num_classes)[labels]
    return (onehot * num_classes - 1) / max(num_classes - 1, 1)


def _sequence_words(model, tokenizer, texts: list[str], directions: np.ndarray) -> list[WordWeights]:
    """Words and their weights from Layer Integrated Gradients over the sub-word tokens."""
    encodings = tokenizer.tokenizer.encode_batch(texts, add_special_tokens=False)
    docs = [np.array(e.ids, dtype=np.int64) for e in encodings]
    out = []
    for text, encoding, (weights, margin, base) in zip(texts, encodings, token_attributions(model, docs, directions),
                                                       strict=True):
        word_of_token, spans = subword_words(text, encoding.offsets, encoding.word_ids)
        known = word_of_token >= 0
        per_word = np.bincount(word_of_token[known], weights[known], minlength=len(spans))
        phrases = [(text[s:e].lower(), text[s:e], float(w)) for (s, e), w in zip(spans, per_word, strict=True)]
        out.append(WordWeights(spans, per_word, phrases, margin, base))
    return out


def _as_dict(text: str, label: str, probability: float, method: str, words: WordWeights, top: int) -> dict:
    totals: dict[str, list] = {}
    for key, shown, weight in words.phrases:
        totals.setdefault(key, [shown, 0.0])[1] += weight
    # Punctuation alone keeps its weight in `spans` but is no phrase to read ("." is not a reason).
    ranked = sorted(((shown, weight) for shown, weight in totals.values() if any(c.isalnum() for c in shown)),
                    key=lambda p: -p[1])
    spans = [{"start": s, "end": e, "text": text[s:e], "weight": float(w)}
             for (s, e), w in zip(words.spans, words.weights, strict=True)]
    return {"text": text, "label": label, "probability": probability, "method": method, "spans": spans,
            "toward": [{"phrase": p, "weight": w} for p, w in ranked if w > 0][:top],
            "against": [{"phrase": p, "weight": w} for p, w in reversed(ranked) if w < 0][:top],
            "margin": words.margin, "base": words.base,
            "delta": float(sum(s["weight"] for s in spans) + words.base - words.margin)}
