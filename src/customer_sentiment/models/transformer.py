"""A Transformer encoder trained from scratch: token and learned position embeddings, self-attention
layers that ignore padding (a key padding mask), and the mean of the token states as the review."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..text.subword import SubwordTokenizer
from .base import SentimentModel, length_mask, padded_batch
from .registry import register


@register
class TransformerClassifier(SentimentModel):
    """Embeddings + learned positions -> nn.TransformerEncoder (padding masked) -> masked mean -> Linear."""

    name = "transformer.v1"
    description = "Transformer encoder trained from scratch: learned positions, padding masks, mean pooling."
    tokenizer_class = SubwordTokenizer
    training_defaults = {"learning_rate": 0.0005, "epochs": 6, "batch_size": 64, "warmup_fraction": 0.05}
    max_length = 256
    layer_settings = ("layers",)
    settings_help = {"dim": "width of the token states", "heads": "attention heads per layer",
                     "layers": "encoder layers", "feedforward": "width of each layer's feed-forward block",
                     "dropout": "dropout inside the encoder and before the output layer"}

    def __init__(self, vocab_size: int, num_classes: int, dim: int = 128, heads: int = 4, layers: int = 2,
                 feedforward: int = 256, dropout: float = 0.1):
        if isinstance(dim, int) and isinstance(heads, int) and heads >= 1 and dim % heads:
            self.refuse("dim", dim, f"a multiple of model.heads ({heads})")
        super().__init__(num_classes, {"dim": dim, "heads": heads, "layers": layers, "feedforward": feedforward,
                                       "dropout": dropout})
        self.embedding = nn.Embedding(vocab_size, dim, padding_idx=0)
        self.positions = nn.Embedding(self.max_length, dim)
        layer = nn.TransformerEncoderLayer(dim, heads, feedforward, dropout, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(dim, num_classes)

    def collate(self, docs: list[np.ndarray]) -> dict[str, torch.Tensor]:
        return padded_batch(docs)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        mask = length_mask(lengths, ids.shape[1])                              # (batch, time), True = token
        positions = torch.arange(ids.shape[1], device=ids.device)
        x = self.embedding(ids) + self.positions(positions)[None]              # (batch, time, dim)
        h = self.norm(self.encoder(x, src_key_padding_mask=~mask))             # (batch, time, dim)
        summary = (h * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)     # (batch, dim)
        return self.classifier(self.dropout(summary))                          # (batch, num_classes)
