"""The settings of a training run, as one validated dataclass (no PyTorch import, so the CLI starts fast)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .errors import CustomerSentimentError

OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULES = ("constant", "linear", "cosine")
CLASS_WEIGHTS = ("none", "balanced")


@dataclass
class TrainingArguments:
    """Settings of one training run, validated on creation; saved in the model's config.json."""

    epochs: int = 10                     # passes over the training data (early stopping may end sooner)
    batch_size: int | None = None        # reviews per optimizer step; None: n/64 within [16, 256]
    learning_rate: float | None = None   # None: the architecture's default_learning_rate
    optimizer: str = "adamw"             # sgd | adam | adamw
    weight_decay: float = 0.0            # L2 (sgd, adam) or decoupled (adamw) weight decay
    momentum: float = 0.9                # sgd only
    schedule: str = "linear"             # learning rate over the run: constant | linear | cosine (to 0)
    warmup_fraction: float = 0.0         # share of the steps spent ramping the learning rate up from 0
    class_weights: str = "none"          # none | balanced (weight classes by 1 / frequency, for imbalance)
    validation_fraction: float = 0.1     # share of the training reviews held out for early stopping
    patience: int = 3                    # stop after this many epochs without a better validation macro-F1
    seed: int = 0                        # drives initialization, shuffling, dropout and the split
    device: str = "auto"                 # auto | cpu | cuda | cuda:N | mps

    def __post_init__(self):
        for spec in dataclasses.fields(self):
            check_type(f"Training setting {spec.name}", getattr(self, spec.name), spec.type,
                       f"--set training.{spec.name}=VALUE")
        checks = [
            (self.epochs >= 1, "epochs", "an integer >= 1"),
            (self.batch_size is None or self.batch_size >= 1, "batch_size", "an integer >= 1"),
            (self.learning_rate is None or self.learning_rate > 0, "learning_rate", "a number > 0"),
            (self.optimizer in OPTIMIZERS, "optimizer", f"one of {', '.join(OPTIMIZERS)}"),
            (self.weight_decay >= 0, "weight_decay", "a number >= 0"),
            (0 <= self.momentum < 1, "momentum", "a number in [0, 1)"),
            (self.schedule in SCHEDULES, "schedule", f"one of {', '.join(SCHEDULES)}"),
            (0 <= self.warmup_fraction < 1, "warmup_fraction", "a number in [0, 1)"),
            (self.class_weights in CLASS_WEIGHTS, "class_weights", f"one of {', '.join(CLASS_WEIGHTS)}"),
            (0 <= self.validation_fraction < 1, "validation_fraction", "a number in [0, 1)"),
            (self.patience >= 1, "patience", "an integer >= 1"),
        ]
        for ok, name, expected in checks:
            if not ok:
                raise CustomerSentimentError(
                    f"Training setting {name} is {getattr(self, name)!r}; expected {expected}. "
                    f"Pass --{name.replace('_', '-')} or --set training.{name}=VALUE with such a value.")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def resolved_batch_size(self, train_reviews: int) -> int:
        """About 64 steps an epoch: small data sets get small batches, large ones up to 256."""
        return self.batch_size or min(256, max(16, train_reviews // 64))


_KINDS = {"int": "an integer", "float": "a number", "str": "a string", "bool": "true or false"}


def check_type(what: str, value: object, annotation: str, fix: str) -> None:
    """Raise if `value` does not fit a simple annotation such as 'int', 'float | None' or 'str'.

    >>> check_type("Training setting epochs", "ten", "int", "--epochs 10")
    Traceback (most recent call last):
    ...
    customer_sentiment.errors.CustomerSentimentError: Training setting epochs is 'ten'; expected an integer. Pass --epochs 10.
    """
    kinds = [kind.strip() for kind in str(annotation).split("|")]
    fits = {
        "None": value is None,
        "bool": isinstance(value, bool),
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, (int, float)) and not isinstance(value, bool),
        "str": isinstance(value, str),
    }
    if not any(fits.get(kind, True) for kind in kinds):
        expected = " or ".join(_KINDS.get(kind, kind) for kind in kinds if kind != "None")
        raise CustomerSentimentError(f"{what} is {value!r}; expected {expected}. Pass {fix}.")
