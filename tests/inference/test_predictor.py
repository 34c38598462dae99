"""The one inference path: batches, windows and single calls agree; the batch size is honoured."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from customer_sentiment.inference import Predictor, as_items, encode, predict_logits

TEXTS = ["Love it, works great.", "Stopped heating after two weeks. Avoid.", "", "It's okay, does the job.",
         "Not bad at all, no problems so far."] * 3


def test_rows_sum_to_one_and_a_batch_equals_single_calls(sample_pipeline):
    predictor = sample_pipeline.predictor_
    batch = predictor.predict_proba(TEXTS)
    assert batch.shape == (len(TEXTS), len(sample_pipeline.labels_))
    np.testing.assert_allclose(batch.sum(axis=1), 1.0, rtol=1e-12)
    singles = np.vstack([predictor.predict_proba([text]) for text in TEXTS])
    np.testing.assert_allclose(batch, singles, rtol=1e-6, atol=1e-9)


def test_raw_text_is_cleaned_as_in_training(sample_pipeline):
    predictor = sample_pipeline.predictor_
    np.testing.assert_allclose(predictor.predict_proba(["Love&nbsp;it,<br />works   great."]),
                               predictor.predict_proba(["Love it, works great."]))


@pytest.mark.parametrize("batch_size", [1, 3, None])
def test_predict_logits_uses_the_batch_size_it_is_given(sample_pipeline, batch_size, monkeypatch):
    model, tokenizer = sample_pipeline.model_, sample_pipeline.tokenizer_
    items = as_items(model, encode(tokenizer, TEXTS))
    sizes = []
    collate = model.collate
    monkeypatch.setattr(model, "collate", lambda docs: sizes.append(len(docs)) or collate(docs))
    device = sample_pipeline.predictor_.device
    logits = predict_logits(model, items, device, batch_size=batch_size)
    assert sizes == ([batch_size] * (len(TEXTS) // batch_size) + ([len(TEXTS) % batch_size] if len(TEXTS) % batch_size
                                                                  else []) if batch_size else [len(TEXTS)])
    monkeypatch.undo()
    np.testing.assert_allclose(logits, predict_logits(model, items, device), rtol=1e-6, atol=1e-6)


def test_a_long_review_is_the_mean_of_its_windows():
    from customer_sentiment.models.cnn import TextCNN
    from customer_sentiment.text import SubwordTokenizer

    tokenizer = SubwordTokenizer(vocab_size=80, min_count=1).fit(TEXTS)
    torch.manual_seed(0)
    model = TextCNN(tokenizer.vocab_size, 2, embedding_dim=8, filters=4)
    long_text = " ".join(TEXTS[:5] * 40)                         # well over the CNN's 512 tokens
    predictor = Predictor(model, tokenizer, "cpu")
    probabilities, windows = predictor.proba_of_clean([long_text, TEXTS[0]])
    assert windows[0] > 1 and windows[1] == 1
    items = as_items(model, encode(tokenizer, [long_text]))
    per_window = torch.softmax(torch.from_numpy(predict_logits(model, items, torch.device("cpu"))).double(), dim=1)
    np.testing.assert_allclose(probabilities[0], per_window.mean(dim=0).numpy(), rtol=1e-6)
