"""Small models of every architecture trained on the sample's first reviews, once per session; the
reviews after them are held out for the explanation tests."""

from __future__ import annotations

import functools

import pytest

from customer_sentiment import SentimentPipeline, TrainingArguments

TRAIN_ROWS = 2000           # sample reviews 0..1999 train the models; the rest are never seen in training

# Per architecture: training reviews and settings small enough for two CPU cores (the bags take seconds,
# the sequence models a minute or more, MiniLM several: those are `slow`).
RECIPES = {
    "bag_of_embeddings.v1": (TRAIN_ROWS, {}, {}, {"epochs": 8}),
    "naive_bayes_bag.v1": (TRAIN_ROWS, {}, {}, {}),
    "cnn.v1": (1500, {"embedding_dim": 32, "filters": 32}, {"vocab_size": 2000}, {"epochs": 4}),
    "bigru_attention.v1": (800, {"embedding_dim": 32, "hidden_size": 32}, {"vocab_size": 2000}, {"epochs": 4}),
    "transformer.v1": (1500, {"dim": 32, "heads": 2, "layers": 1, "feedforward": 64}, {"vocab_size": 2000},
                       {"epochs": 4}),
    "minilm_l6.v1": (400, {}, {}, {"epochs": 1}),
}
SLOW = {"cnn.v1", "bigru_attention.v1", "transformer.v1", "minilm_l6.v1"}


def architectures() -> list:
    """Every architecture, the sequence models marked slow."""
    return [pytest.param(name, marks=pytest.mark.slow) if name in SLOW else name for name in RECIPES]


@pytest.fixture(scope="session")
def trained(sample_reviews):
    """`trained(name)`: the small model of architecture `name`, trained on the first reviews."""
    @functools.cache
    def train(name: str) -> SentimentPipeline:
        rows, model_settings, tokenizer_settings, training = RECIPES[name]
        pipeline = SentimentPipeline(name, model_settings, tokenizer_settings,
                                     TrainingArguments(seed=0, **training), verbose=False)
        return pipeline.fit(sample_reviews.texts[:rows], sample_reviews.labels[:rows])
    return train


@pytest.fixture(scope="session")
def held_out(sample_reviews) -> list[str]:
    """Held-out reviews of 8 to 40 words (enough words to delete some, short enough for quick gradients)."""
    return [text for text in sample_reviews.texts[TRAIN_ROWS:] if 8 <= len(text.split()) <= 40]


EXPLAINED = {"minilm_l6.v1": 20, "bigru_attention.v1": 30}    # held-out reviews explained (others: 60)


@pytest.fixture(scope="session")
def explained(trained, held_out):
    """`explained(name)`: (the model, its explanations of held-out reviews), computed once."""
    from customer_sentiment.explain import explain

    @functools.cache
    def explanations(name: str) -> tuple[SentimentPipeline, list[dict]]:
        pipeline = trained(name)
        return pipeline, explain(pipeline, held_out[:EXPLAINED.get(name, 60)], top=3)
    return explanations
