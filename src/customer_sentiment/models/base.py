"""What every architecture shares: the contract the pipeline, the trainer and the tests rely on.

An architecture is a `SentimentModel` subclass, registered under a versioned name, with:
- `name`, `description` (one line for `customer-sentiment models`), `tokenizer_class`;
- `training_defaults`: the TrainingArguments values it trains best with (a user's values win);
- `max_length`: tokens per window, `special_tokens` of them added by `collate`; None for bags,
  which take a review of any length whole;
- `settings_help`: one line per constructor setting, for the documented config file;
- `layer_settings`: the settings that count layers (checked against a saved model's tensors);
- `__init__(vocab_size, num_classes, **settings)`, which calls `super().__init__(num_classes, settings)`;
- `collate(docs)`: token-id arrays of a batch of reviews -> the keyword arguments of `forward`;
- `forward(**batch)` -> logits of shape (batch, num_classes).
Optional: `prepare(ids, offsets, labels)` learns statistics of the training data before training,
and `from_saved(...)` rebuilds the module for loading saved weights (default: `cls(...)`).
"""

from __future__ import annotations

import inspect

import numpy as np
import torch
from torch import nn

from ..errors import CustomerSentimentError


class SentimentModel(nn.Module):
    """Base class of the architectures; see the module docstring for the contract."""

    name: str = ""
    description: str = ""
    tokenizer_class: type
    training_defaults: dict = {}
    max_length: int | None = None
    special_tokens: int = 0
    settings_help: dict[str, str] = {}
    # Settings that count layers (a list: its length), each with tensors of its own; a saved model
    # holds at least that many tensors, so a larger count is refused before the model is built.
    layer_settings: tuple[str, ...] = ()

    def __init__(self, num_classes: int, settings: dict):
        super().__init__()
        defaults = {name: p.default for name, p in inspect.signature(type(self).__init__).parameters.items()}
        for key, value in settings.items():          # sizes and dropouts, before PyTorch sees them
            default = defaults.get(key)
            if "dropout" in key and not (type(value) in (int, float) and 0 <= value < 1):
                self.refuse(key, value, "a number in [0, 1)")
            if type(default) is int and not (type(value) is int and value >= 1):       # a size
                self.refuse(key, value, "an integer >= 1")
        self.num_classes = num_classes
        self.settings = dict(settings)

    @classmethod
    def refuse(cls, key: str, value: object, expected: str):
        """A model setting the architecture cannot take: the user's error, naming the key to fix."""
        raise CustomerSentimentError(f"Setting model.{key} of {cls.name} is {value!r}", expected=expected,
                                     fix=f"Pass --set model.{key}=VALUE with such a value (`customer-sentiment "
                                         f"config --model {cls.name}` lists the settings).")

    @property
    def public_settings(self) -> dict:
        """The settings a user can set (internal ones start with '_')."""
        return {k: v for k, v in self.settings.items() if not k.startswith("_")}

    @classmethod
    def from_saved(cls, vocab_size: int, num_classes: int, settings: dict) -> SentimentModel:
        """The module to load saved weights into (the pretrained model skips reading its original weights)."""
        return cls(vocab_size, num_classes, **settings)

    def prepare(self, ids: np.ndarray, offsets: np.ndarray, labels: np.ndarray) -> None:
        """Learn what the model needs from the training data before training (nothing, by default)."""

    def collate(self, docs: list[np.ndarray]) -> dict[str, torch.Tensor]:
        raise NotImplementedError


def bag_batch(docs: list[np.ndarray]) -> dict[str, torch.Tensor]:
    """A batch of reviews as one flat id tensor and the `offsets` where each review starts."""
    lengths = np.fromiter((len(doc) for doc in docs), dtype=np.int64, count=len(docs))
    offsets = np.zeros(len(docs), dtype=np.int64)
    np.cumsum(lengths[:-1], out=offsets[1:])
    ids = np.concatenate(docs).astype(np.int64, copy=False) if docs else np.zeros(0, dtype=np.int64)
    return {"ids": torch.from_numpy(ids), "offsets": torch.from_numpy(offsets)}


def padded_batch(docs: list[np.ndarray], pad_id: int = 0, first: int | None = None,
                 last: int | None = None) -> dict[str, torch.Tensor]:
    """A batch of reviews as a (batch, longest) id tensor padded with `pad_id`, and their lengths.

    `first`/`last` wrap each review in special tokens (e.g. [CLS] ... [SEP]). A review with no
    tokens keeps one padding token, so that every row has something to pool over.
    """
    extra = (first is not None) + (last is not None)
    lengths = np.array([max(len(doc) + extra, 1) for doc in docs], dtype=np.int64)
    ids = np.full((len(docs), int(lengths.max(initial=1))), pad_id, dtype=np.int64)
    for row, doc in enumerate(docs):
        tokens = list(doc) if first is None else [first, *doc]
        if last is not None:
            tokens.append(last)
        ids[row, :len(tokens)] = tokens
    return {"ids": torch.from_numpy(ids), "lengths": torch.from_numpy(lengths)}


def length_mask(lengths: torch.Tensor, width: int) -> torch.Tensor:
    """(batch, width) True where a position holds a token, False for padding."""
    return torch.arange(width, device=lengths.device)[None, :] < lengths[:, None]
