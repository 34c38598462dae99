"""Bag of embeddings: the mean of word and n-gram embeddings, then a linear layer (fastText-style).

Order is lost beyond the n-grams, but on customer reviews it is hard to beat for its speed: the
forward pass is one `nn.EmbeddingBag` lookup and one small matrix product.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..text.word_ngrams import WordNgramTokenizer
from .base import SentimentModel, bag_batch
from .registry import register


@register
class BagOfEmbeddings(SentimentModel):
    """`nn.EmbeddingBag` (mean over a review's features) + `nn.Linear` to class logits."""

    name = "bag_of_embeddings.v1"
    description = "Mean of word and n-gram embeddings (nn.EmbeddingBag) and a linear layer; fast, fastText-style."
    tokenizer_class = WordNgramTokenizer
    training_defaults = {"learning_rate": 0.01, "epochs": 10}
    settings_help = {"embedding_dim": "size of each word and n-gram embedding",
                     "dropout": "dropout on the averaged embedding during training"}

    def __init__(self, vocab_size: int, num_classes: int, embedding_dim: int = 16, dropout: float = 0.0):
        super().__init__(num_classes, {"embedding_dim": embedding_dim, "dropout": dropout})
        self.embedding = nn.EmbeddingBag(vocab_size, embedding_dim, mode="mean")
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(embedding_dim, num_classes)
        # fastText's initialization: small uniform embeddings, a zero output layer.
        nn.init.uniform_(self.embedding.weight, -1.0 / embedding_dim, 1.0 / embedding_dim)
        nn.init.zeros_(self.classifier.weight)
        nn.init.zeros_(self.classifier.bias)

    def collate(self, docs: list[np.ndarray]) -> dict[str, torch.Tensor]:
        return bag_batch(docs)

    def forward(self, ids: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
        bags = self.embedding(ids, offsets)          # (batch, embedding_dim); an empty review -> zeros
        return self.classifier(self.dropout(bags))   # (batch, num_classes)
