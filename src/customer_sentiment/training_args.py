"""The settings of a training run, as one validated dataclass (no PyTorch import, so the CLI starts fast).

A setting left at None takes the architecture's own default (`training_defaults`), then the
general one: `resolve(architecture)` returns the settings a run actually used, as its config records.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from .errors import CustomerSentimentError

OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULES = ("constant", "linear", "cosine")
CLASS_WEIGHTS = ("none", "balanced")
PRECISIONS = ("fp32", "bf16", "fp16")


def _setting(default, help: str):
    return field(default=default, metadata={"help": help})


@dataclass
class TrainingArguments:
    """Settings of one training run, validated on creation; saved in the model's config.json."""

    epochs: int | None = _setting(None, "passes over the training data; early stopping may end sooner (bags: 10)")
    batch_size: int | None = _setting(None, "reviews (or windows) per step; unset: the architecture's, or reviews/64 "
                                            "within 16..256")
    learning_rate: float | None = _setting(None, "peak learning rate; unset: the architecture's")
    optimizer: str = _setting("adamw", "sgd, adam or adamw")
    weight_decay: float | None = _setting(None, "L2 penalty (sgd, adam) or decoupled weight decay (adamw); unset: the "
                                                "architecture's, else 0")
    momentum: float = _setting(0.9, "momentum of sgd")
    schedule: str = _setting("linear", "learning rate after warm-up: constant, linear or cosine (decaying to 0)")
    warmup_fraction: float | None = _setting(None, "share of the steps spent raising the learning rate from 0; unset: "
                                                   "the architecture's, else 0")
    grad_clip: float = _setting(0.0, "clip the gradient's total norm to this value; 0 turns clipping off")
    accumulation_steps: int = _setting(1, "add up the gradients of this many batches before each optimizer step")
    precision: str = _setting("fp32", "fp32, bf16 (autocast, on CPU and GPU) or fp16 (autocast with gradient "
                                      "scaling, CUDA only)")
    class_weights: str = _setting("none", "none, or balanced to weight classes by 1 / frequency")
    validation_fraction: float = _setting(0.1, "share of the training reviews held out for early stopping")
    patience: int = _setting(3, "stop after this many epochs without a better validation macro-F1")
    seed: int = _setting(0, "drives initialization, shuffling, dropout and the validation split")
    device: str = _setting("auto", "auto (cuda, then mps, then cpu), cpu, cuda, cuda:N or mps")
    checkpoint_every: int = _setting(0, "also checkpoint every this many optimizer steps (0: at each epoch's end "
                                        "only); needs a run directory")
    log_every: int = _setting(50, "write a line to the run's metrics log every this many optimizer steps")

    def __post_init__(self):
        for spec in dataclasses.fields(self):
            check_type(f"Training setting {spec.name}", getattr(self, spec.name), spec.type,
                       f"--set training.{spec.name}=VALUE")
        checks = [
            (self.epochs is None or self.epochs >= 1, "epochs", "an integer >= 1"),
            (self.batch_size is None or self.batch_size >= 1, "batch_size", "an integer >= 1"),
            (self.learning_rate is None or self.learning_rate > 0, "learning_rate", "a number > 0"),
            (self.optimizer in OPTIMIZERS, "optimizer", f"one of {', '.join(OPTIMIZERS)}"),
            (self.weight_decay is None or self.weight_decay >= 0, "weight_decay", "a number >= 0"),
            (0 <= self.momentum < 1, "momentum", "a number in [0, 1)"),
            (self.schedule in SCHEDULES, "schedule", f"one of {', '.join(SCHEDULES)}"),
            (self.warmup_fraction is None or 0 <= self.warmup_fraction < 1, "warmup_fraction", "a number in [0, 1)"),
            (self.grad_clip >= 0, "grad_clip", "a number >= 0"),
            (self.accumulation_steps >= 1, "accumulation_steps", "an integer >= 1"),
            (self.precision in PRECISIONS, "precision", f"one of {', '.join(PRECISIONS)}"),
            (self.class_weights in CLASS_WEIGHTS, "class_weights", f"one of {', '.join(CLASS_WEIGHTS)}"),
            (0 <= self.validation_fraction < 1, "validation_fraction", "a number in [0, 1)"),
            (self.patience >= 1, "patience", "an integer >= 1"),
            (self.checkpoint_every >= 0, "checkpoint_every", "an integer >= 0"),
            (self.log_every >= 1, "log_every", "an integer >= 1"),
        ]
        for ok, name, expected in checks:
            if not ok:
                raise CustomerSentimentError(
                    f"Training setting {name} is {getattr(self, name)!r}; expected {expected}. "
                    f"Pass --{name.replace('_', '-')} or --set training.{name}=VALUE with such a value.")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def resolve(self, architecture: type, train_items: int | None = None) -> TrainingArguments:
        """These settings with every unset one filled: the architecture's default, then the general one."""
        general = {"epochs": 10, "weight_decay": 0.0, "warmup_fraction": 0.0, "learning_rate": 0.001}
        values = self.to_dict()
        for name, value in values.items():
            if value is None:
                values[name] = architecture.training_defaults.get(name, general.get(name))
        if values["batch_size"] is None and train_items is not None:
            values["batch_size"] = min(256, max(16, train_items // 64))    # about 64 steps an epoch
        return TrainingArguments(**values)


def training_help() -> dict[str, str]:
    """One line per training setting, for the documented config file."""
    return {spec.name: spec.metadata["help"] for spec in dataclasses.fields(TrainingArguments)}


_KINDS = {"int": "an integer", "float": "a number", "str": "a string", "bool": "true or false", "list": "a list"}


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
        "list": isinstance(value, (list, tuple)),
        "tuple": isinstance(value, (list, tuple)),
    }
    if not any(fits.get(kind, True) for kind in kinds):
        expected = " or ".join(_KINDS.get(kind, kind) for kind in kinds if kind != "None")
        raise CustomerSentimentError(f"{what} is {value!r}; expected {expected}. Pass {fix}.")
