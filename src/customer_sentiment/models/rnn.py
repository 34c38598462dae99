"""Bidirectional GRU over packed sequences (no compute spent on padding), pooled by attention:
a learned score per token decides how much each position counts in the review's summary."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from ..text.subword import SubwordTokenizer
from .base import SentimentModel, length_mask, padded_batch
from .registry import register


@register
class BiGRUAttention(SentimentModel):
    """Embedding -> bidirectional GRU (packed) -> attention pooling -> dropout -> Linear."""

    name = "bigru_attention.v1"
    description = "Bidirectional GRU over packed subword sequences with attention pooling."
    tokenizer_class = SubwordTokenizer
    training_defaults = {"learning_rate": 0.002, "epochs": 5, "batch_size": 64}
    max_length = 400
    layer_settings = ("layers",)
    settings_help = {"embedding_dim": "size of each token embedding", "hidden_size": "GRU units per direction",
                     "layers": "stacked GRU layers", "dropout": "dropout on embeddings and before the output layer"}

    def __init__(self, vocab_size: int, num_classes: int, embedding_dim: int = 128, hidden_size: int = 128,
                 layers: int = 1, dropout: float = 0.3):
        super().__init__(num_classes, {"embedding_dim": embedding_dim, "hidden_size": hidden_size,
                                       "layers": layers, "dropout": dropout})
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=0)
        self.dropout = nn.Dropout(dropout)
        self.gru = nn.GRU(embedding_dim, hidden_size, num_layers=layers, batch_first=True, bidirectional=True,
                          dropout=dropout if layers > 1 else 0.0)
        self.attention = nn.Linear(2 * hidden_size, 1)
        self.classifier = nn.Linear(2 * hidden_size, num_classes)

    def collate(self, docs: list[np.ndarray]) -> dict[str, torch.Tensor]:
        return padded_batch(docs)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        x = self.dropout(self.embedding(ids))                                  # (batch, time, embedding_dim)
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        h, _ = pad_packed_sequence(self.gru(packed)[0], batch_first=True, total_length=ids.shape[1])
        scores = self.attention(h).squeeze(2)                                  # (batch, time)
        scores = scores.masked_fill(~length_mask(lengths, ids.shape[1]), float("-inf"))
        weights = torch.softmax(scores, dim=1)                                 # (batch, time)
        summary = torch.bmm(weights.unsqueeze(1), h).squeeze(1)                # (batch, 2 * hidden_size)
        return self.classifier(self.dropout(summary))                          # (batch, num_classes)
