"""Convolutional text classifier (Kim, 2014): filters of several widths slide over the token
embeddings, each keeps its strongest match anywhere in the review (max-pooling over time)."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..text.subword import SubwordTokenizer
from .base import SentimentModel, length_mask, padded_batch
from .registry import register


@register
class TextCNN(SentimentModel):
    """Embedding -> Conv1d of several widths -> ReLU -> max over time -> dropout -> Linear."""

    name = "cnn.v1"
    description = "Convolutions of widths 3, 4 and 5 over subword embeddings, max-pooled over time (Kim, 2014)."
    tokenizer_class = SubwordTokenizer
    training_defaults = {"learning_rate": 0.002, "epochs": 6, "batch_size": 64}
    max_length = 512
    layer_settings = ("widths",)
    settings_help = {"embedding_dim": "size of each token embedding", "filters": "filters per width",
                     "widths": "filter widths, in tokens", "dropout": "dropout before the output layer"}

    def __init__(self, vocab_size: int, num_classes: int, embedding_dim: int = 128, filters: int = 128,
                 widths: list = (3, 4, 5), dropout: float = 0.5):
        if not isinstance(widths, (list, tuple)) or not widths or not all(type(w) is int and w >= 1 for w in widths):
            self.refuse("widths", widths, "a non-empty list of positive integers")
        widths = list(widths)
        super().__init__(num_classes, {"embedding_dim": embedding_dim, "filters": filters, "widths": widths,
                                       "dropout": dropout})
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=0)
        self.convolutions = nn.ModuleList(nn.Conv1d(embedding_dim, filters, w, padding=w - 1) for w in widths)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(filters * len(widths), num_classes)

    def collate(self, docs: list[np.ndarray]) -> dict[str, torch.Tensor]:
        return padded_batch(docs)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        x = self.embedding(ids).transpose(1, 2)                  # (batch, embedding_dim, time)
        pooled = []
        for conv, width in zip(self.convolutions, self.settings["widths"], strict=True):
            h = torch.relu(conv(x))                              # (batch, filters, time + width - 1)
            # A window that holds no token at all must not win the max.
            valid = length_mask(lengths + width - 1, h.shape[2])  # (batch, time + width - 1)
            pooled.append(h.masked_fill(~valid[:, None, :], float("-inf")).amax(dim=2))   # (batch, filters)
        return self.classifier(self.dropout(torch.cat(pooled, dim=1)))   # (batch, num_classes)
