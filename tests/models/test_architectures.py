"""The architecture contract of STYLE.md, for every registered architecture.

Each must: give logits of shape (batch, classes); give probabilities that sum to 1 and agree with
predict; overfit a handful of reviews; predict identically after save/load; and give the same
answer for a batch as for each review alone.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from customer_sentiment import SentimentPipeline
from customer_sentiment.errors import CustomerSentimentError
from customer_sentiment.models import ARCHITECTURES, get_architecture, list_architectures
from customer_sentiment.settings import architecture_defaults

from ..conftest import TINY, tiny_training

TEXTS = [text for text, _ in TINY]
LABELS = [label for _, label in TINY]


# Per architecture, what it takes to memorize eight reviews quickly (the tokenizers learn every word).
OVERFIT = {
    "bag_of_embeddings.v1": {"learning_rate": 0.05},
    "naive_bayes_bag.v1": {"learning_rate": 0.05},
    "cnn.v1": {"learning_rate": 0.01, "epochs": 30},
    "bigru_attention.v1": {"learning_rate": 0.01, "epochs": 30},
    "transformer.v1": {"learning_rate": 0.002, "epochs": 40},
    "minilm_l6.v1": {"learning_rate": 1e-4, "epochs": 12},
}


@pytest.fixture(scope="module", params=sorted(ARCHITECTURES))
def overfitted(request) -> SentimentPipeline:
    name = request.param
    accepts_min_count = "min_count" in architecture_defaults(get_architecture(name))["tokenizer"]
    return SentimentPipeline(name, tokenizer_settings={"min_count": 1} if accepts_min_count else {},
                             training=tiny_training(**OVERFIT.get(name, {})), verbose=False).fit(TEXTS, LABELS)


def test_every_architecture_has_a_contract_setting():
    assert set(OVERFIT) == set(ARCHITECTURES)


def test_forward_gives_one_row_of_logits_per_review(overfitted):
    model, tokenizer = overfitted.model_, overfitted.tokenizer_
    ids, offsets = tokenizer.encode_batch(TEXTS[:3])
    batch = model.collate([ids[offsets[i]:offsets[i + 1]] for i in range(3)])
    with torch.inference_mode():
        logits = model(**batch)
    assert logits.shape == (3, 3) and logits.dtype == torch.float32


def test_probabilities_sum_to_one_and_agree_with_predict(overfitted):
    probabilities = overfitted.predict_proba(TEXTS)
    assert probabilities.shape == (len(TEXTS), 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert [overfitted.labels_[i] for i in probabilities.argmax(axis=1)] == overfitted.predict(TEXTS)


def test_overfits_a_handful_of_reviews(overfitted):
    assert overfitted.predict(TEXTS) == LABELS


def test_save_and_load_give_identical_predictions(overfitted, tmp_path):
    loaded = SentimentPipeline.load(overfitted.save(tmp_path / "model"))
    np.testing.assert_array_equal(loaded.predict_proba(TEXTS), overfitted.predict_proba(TEXTS))


def test_a_batch_equals_single_calls(overfitted):
    batch = overfitted.predict_proba(TEXTS)
    singles = np.stack([overfitted.predict_proba(text) for text in TEXTS])
    np.testing.assert_allclose(batch, singles, rtol=0, atol=1e-6)
    assert overfitted.predict(TEXTS[0]) == LABELS[0]


def test_every_architecture_has_a_versioned_name_and_a_description():
    for name, description in list_architectures().items():
        assert re.fullmatch(r"[a-z0-9_]+\.v\d+", name) and description


def test_unknown_architecture_lists_the_known_ones():
    expected = "Unknown model 'bag.v9': expected one of ['bag_of_embeddings.v1'"
    with pytest.raises(CustomerSentimentError, match=re.escape(expected)):
        get_architecture("bag.v9")
