"""Layer Integrated Gradients (Captum) for the sequence models: complete (the attributions sum to the
margin's change from the all-padding baseline), and long reviews explained over the predictor's windows."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from customer_sentiment import SentimentPipeline
from customer_sentiment.explain import GRADIENTS, explain, margin_directions
from customer_sentiment.explain.gradients import PAD_ID
from customer_sentiment.inference import as_items, encode, predict_logits
from customer_sentiment.io import clean_texts

from ..conftest import TINY, tiny_training
from .conftest import SLOW

TEXTS = [text for text, _ in TINY]
LABELS = [label for _, label in TINY]
LONG = " ".join(TEXTS * 10)               # about 700 sub-word tokens: two windows of the CNN's 512


@pytest.fixture(scope="module")
def tiny_cnn() -> SentimentPipeline:
    """A small CNN that has memorized the TINY reviews (a second or two)."""
    return SentimentPipeline("cnn.v1", {"embedding_dim": 16, "filters": 8}, {"min_count": 1},
                             tiny_training(learning_rate=0.01, epochs=30), verbose=False).fit(TEXTS, LABELS)


def window_margins(pipeline: SentimentPipeline, explanation: dict) -> tuple[float, float]:
    """The mean over the review's windows of the label's margin and of its all-padding baseline's margin,
    computed from the model directly."""
    model, device = pipeline.model_, pipeline.predictor_.device
    label = pipeline.labels_.index(explanation["label"])
    direction = margin_directions(model.num_classes, np.array([label]))[0]
    windows = as_items(model, encode(pipeline.tokenizer_, clean_texts([explanation["text"]]).to_pylist()))
    margins = predict_logits(model, windows, device) @ direction
    padding = model.collate([np.full(len(doc), PAD_ID) for doc in windows.docs(0, len(windows))])
    with torch.no_grad():
        bases = model(**{k: v.to(device) for k, v in padding.items()}).cpu().numpy() @ direction
    return float(margins.mean()), float(bases.mean())


def assert_complete(pipeline: SentimentPipeline, explanations: list[dict], tolerance: float = 0.02) -> None:
    """Weights sum to margin - baseline margin within `tolerance` of that difference (plus 1e-3)."""
    for explanation in explanations:
        margin, base = window_margins(pipeline, explanation)
        assert explanation["method"] == GRADIENTS
        assert explanation["margin"] == pytest.approx(margin, abs=1e-4)
        assert explanation["base"] == pytest.approx(base, abs=1e-4)
        total = sum(span["weight"] for span in explanation["spans"])
        assert abs(total - (margin - base)) <= tolerance * abs(margin - base) + 1e-3, (total, margin - base)


def test_attributions_sum_to_the_change_from_the_baseline(tiny_cnn):
    assert_complete(tiny_cnn, explain(tiny_cnn, TEXTS))


def test_a_review_longer_than_the_window_is_explained_over_its_windows(tiny_cnn):
    [explanation] = explain(tiny_cnn, [LONG])
    assert len(as_items(tiny_cnn.model_, encode(tiny_cnn.tokenizer_, [LONG]))) == 2
    assert_complete(tiny_cnn, [explanation])
    spans = explanation["spans"]
    assert [s["text"] for s in spans] == [w for w in LONG.replace(",", " ,").replace(".", " .").replace("!", " !")
                                         .replace("'", " ' ").split()]
    assert any(s["weight"] for s in spans if s["start"] > len(LONG) * 0.9)    # the last window's words count


def test_merges_word_pieces_into_words():
    from customer_sentiment.explain.spans import subword_words
    from customer_sentiment.text import PretrainedTokenizer

    text = "Unbelievably flimsy, don't buy"
    encoding = PretrainedTokenizer().fit().tokenizer.encode(text, add_special_tokens=False)
    assert len(encoding.tokens) > len(text.split())                  # some words are several pieces
    word_of_token, spans = subword_words(text, encoding.offsets, encoding.word_ids)
    assert [text[s:e] for s, e in spans] == ["Unbelievably", "flimsy", ",", "don", "'", "t", "buy"]
    assert word_of_token.tolist() == sorted(word_of_token.tolist()) and word_of_token.min() == 0


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SLOW))
def test_attributions_of_every_sequence_model_are_complete(explained, name):
    pipeline, explanations = explained(name)
    assert_complete(pipeline, explanations)


def test_weights_that_miss_their_total_are_said_to_be_approximate(tiny_cnn, monkeypatch):
    import customer_sentiment.explain as explain_module

    def nothing_attributed(model, docs, directions):       # as if the integral had not converged at all
        return [(np.zeros(len(doc)), 1.0, 0.0) for doc in docs]

    monkeypatch.setattr(explain_module, "token_attributions", nothing_attributed)
    with pytest.warns(UserWarning, match=r"The word weights of 2 of 2 reviews miss their total .* by more than 5%"):
        [first, _] = explain(tiny_cnn, TEXTS[:2])
    assert first["delta"] == -1.0
