"""Bag of embeddings: the mean of word and n-gram embeddings, then a linear layer (fastText-style).

Order is lost beyond the n-grams, but on customer reviews it is hard to beat for its speed: the
forward pass is one `nn.EmbeddingBag` lookup and one small matrix product.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..tokenizer import WordNgramTokenizer
from .registry import register


@register
class BagOfEmbeddings(nn.Module):
    """`nn.EmbeddingBag` (mean over a review's features) + `nn.Linear` to class logits."""

    name = "bag_of_embeddings.v1"
    description = "Mean of word and n-gram embeddings (nn.EmbeddingBag) and a linear layer; fast, fastText-style."
    default_learning_rate = 0.01
    tokenizer_class = WordNgramTokenizer

    def __init__(self, vocab_size: int, num_classes: int, embedding_dim: int = 16, dropout: float = 0.0):
        super().__init__()
        self.num_classes = num_classes
        self.settings = {"embedding_dim": embedding_dim, "dropout": dropout}
        self.embedding = nn.EmbeddingBag(vocab_size, embedding_dim, mode="mean")
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(embedding_dim, num_classes)
        # fastText's initialization: small uniform embeddings, a zero output layer.
        nn.init.uniform_(self.embedding.weight, -1.0 / embedding_dim, 1.0 / embedding_dim)
        nn.init.zeros_(self.classifier.weight)
        nn.init.zeros_(self.classifier.bias)

    @staticmethod
    def collate(docs: list[np.ndarray]) -> dict[str, torch.Tensor]:
        """Feature-id arrays of a batch of reviews -> flat `ids` and the `offsets` where each starts."""
        lengths = np.fromiter((len(doc) for doc in docs), dtype=np.int64, count=len(docs))
        offsets = np.zeros(len(docs), dtype=np.int64)
        np.cumsum(lengths[:-1], out=offsets[1:])
        ids = np.concatenate(docs) if docs else np.zeros(0, dtype=np.int64)
        return {"ids": torch.from_numpy(ids), "offsets": torch.from_numpy(offsets)}

    def forward(self, ids: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
        bags = self.embedding(ids, offsets)          # (batch, embedding_dim); an empty review -> zeros
        return self.classifier(self.dropout(bags))   # (batch, num_classes)
