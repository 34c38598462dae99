"""The sections of a run's settings as validated dataclasses: [data] and [training].

Each field is declared once, with its built-in default and a line of help, through `setting()`.
The field itself defaults to None, meaning "not given": `settings.resolve` fills it from, in
order, the built-in default, the architecture's default, the config file, the flags and `--set`.
The CLI's flags and help texts, `customer-sentiment config` and each run's config.toml are all
generated from these fields. (No PyTorch import here or in `resolve.py` until an architecture
is needed, so commands other than `train` start without it.)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..errors import CustomerSentimentError
from ..io.dialect import DELIMITERS
from ..io.options import MAX_REVIEW_MB, ReadOptions
from ..io.ratings import RatingMap

OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULES = ("constant", "linear", "cosine")
CLASS_WEIGHTS = ("none", "balanced")
PRECISIONS = ("fp32", "bf16", "fp16")
AUTO_BATCH = "reviews/64 within 16..256"       # the batch size when neither the user nor the architecture sets one


def auto_batch_size(items: int) -> int:
    """The AUTO_BATCH rule: about 64 steps an epoch.

    >>> auto_batch_size(100), auto_batch_size(6_400), auto_batch_size(1_000_000)
    (16, 100, 256)
    """
    return min(256, max(16, items // 64))


def setting(default, help: str, check: tuple | None = None):
    """A settings field: None until resolved; `default` is the built-in value; `check` is
    (predicate, what is expected) for a given value."""
    return dataclasses.field(default=None, metadata={"default": default, "help": help, "check": check})


def defaults_of(section: type) -> dict[str, object]:
    """The built-in defaults of a settings dataclass."""
    return {spec.name: spec.metadata["default"] for spec in dataclasses.fields(section)}


def help_of(section: type) -> dict[str, str]:
    """One line of help per field."""
    return {spec.name: spec.metadata["help"] for spec in dataclasses.fields(section)}


def _one_of(options: tuple[str, ...]) -> tuple:
    return (lambda value: value in options, f"one of {', '.join(options)}")


class _Section:
    """Validation shared by the sections: the type of every given value, then its range."""

    section = ""

    def __post_init__(self):
        for spec in dataclasses.fields(self):
            value = getattr(self, spec.name)
            if value is None:
                continue
            key = f"{self.section}.{spec.name}"
            check_type(key, value, spec.type, setting_fix(key))
            check = spec.metadata["check"]
            if check is not None and not check[0](value):
                raise CustomerSentimentError(f"Setting {key} is {value!r}", expected=check[1], fix=setting_fix(key))

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def given(self) -> dict:
        """Only the values that were set."""
        return {k: v for k, v in self.to_dict().items() if v is not None}


def option_name(key: str) -> str:
    """The CLI flag of a [data] or [training] key: 'text_column' -> '--text-column'."""
    return "--" + key.replace("_", "-")


def setting_fix(key: str) -> str:
    """The flag or config key that sets `key` ('training.learning_rate': --learning-rate or --set ...)."""
    section, _, name = key.partition(".")
    flag = f"{option_name(name)} or " if section in FLAG_SECTIONS else ""
    flag = NOT_FLAGS.get(key, flag)
    return f"Pass {flag}--set {key}=VALUE (or {name} under [{section}] in --config) with such a value."


@dataclass
class DataSettings(_Section):
    """Where the reviews are and how to read them."""

    section = "data"
    file: str | None = setting("", "the reviews to train on: .csv, .tsv, .jsonl (optionally compressed), .parquet or .xlsx, "
                                   "or a database URL (sqlite:///reviews.db, postgresql+psycopg://user@host/db) with "
                                   "table or query; a password in the URL is recorded as ***")
    table: str | None = setting("", "when file is a database URL: the table of reviews ([schema.]name), read in its "
                                    "primary key's order")
    query: str | None = setting("", "when file is a database URL: a SELECT returning the reviews, instead of table")
    text_column: str | None = setting("review", "column with the review text")
    label_column: str | None = setting("", "column with the labels (any set of labels); leave empty to use "
                                           "rating_column")
    rating_column: str | None = setting("", "column with star ratings, turned into labels by rating_map")
    rating_map: str | None = setting(str(RatingMap.default()),
                                     "ratings to labels as inclusive ranges; 'skip' drops a range (3:skip is binary "
                                     "mode)")
    encoding: str | None = setting("utf-8", "text encoding of CSV, TSV and JSON Lines input")
    delimiter: str | None = setting("", "delimiter of CSV input: , ; | or tab; empty: by extension, with ';' "
                                        "detected in a .csv header",
                                    (lambda value: value in ("", *DELIMITERS), "one of , ; | tab (or empty)"))
    max_review_mb: float | None = setting(MAX_REVIEW_MB, "longest review accepted, in MB; a longer one is an "
                                                         "error naming its line",
                                          (lambda value: 0 < value <= 1024, "a number in (0, 1024]"))

    def read_options(self) -> ReadOptions:
        """How to read the data file (or table, or query)."""
        return ReadOptions(self.encoding, self.delimiter or None, self.max_review_mb, self.table or None,
                           self.query or None)


def _at_least(low) -> tuple:
    return (lambda value: value >= low, f"a number >= {low}")


def _fraction() -> tuple:
    return (lambda value: 0 <= value < 1, "a number in [0, 1)")


@dataclass
class TrainingArguments(_Section):
    """Settings of one training run, validated on creation; saved in the model's config.json.

    >>> TrainingArguments(epochs=0)
    Traceback (most recent call last):
    ...
    customer_sentiment.errors.CustomerSentimentError: Setting training.epochs is 0: expected a number >= 1. Pass --epochs or ...
    """

    section = "training"
    epochs: int | None = setting(10, "passes over the training data; early stopping may end sooner", _at_least(1))
    batch_size: int | None = setting(None, f"reviews (or windows) per step; unset: {AUTO_BATCH}", _at_least(1))
    learning_rate: float | None = setting(0.001, "peak learning rate", (lambda v: v > 0, "a number > 0"))
    optimizer: str | None = setting("adamw", "sgd, adam or adamw", _one_of(OPTIMIZERS))
    weight_decay: float | None = setting(0.0, "L2 penalty (sgd, adam) or decoupled weight decay (adamw)",
                                         _at_least(0))
    momentum: float | None = setting(0.9, "momentum of sgd", _fraction())
    schedule: str | None = setting("linear", "learning rate after warm-up: constant, linear or cosine (decaying to 0)",
                                   _one_of(SCHEDULES))
    warmup_fraction: float | None = setting(0.0, "share of the steps spent raising the learning rate from 0",
                                            _fraction())
    grad_clip: float | None = setting(0.0, "clip the gradient's total norm to this value; 0 turns clipping off",
                                      _at_least(0))
    accumulation_steps: int | None = setting(1, "add up the gradients of this many batches before each optimizer "
                                                "step", _at_least(1))
    precision: str | None = setting("fp32", "fp32, bf16 (autocast, on CPU and GPU) or fp16 (autocast with gradient "
                                            "scaling, CUDA only)", _one_of(PRECISIONS))
    class_weights: str | None = setting("none", "none, or balanced to weight classes by 1 / frequency",
                                        _one_of(CLASS_WEIGHTS))
    validation_fraction: float | None = setting(0.1, "share of the training reviews held out for early stopping",
                                                _fraction())
    patience: int | None = setting(3, "stop after this many epochs without a better validation macro-F1",
                                   _at_least(1))
    seed: int | None = setting(0, "drives initialization, shuffling, dropout and the validation split",
                               (lambda v: 0 <= v < 2**32, "an integer in 0..4294967295"))
    device: str | None = setting("auto", "auto (cuda, then mps, then cpu), cpu, cuda, cuda:N or mps")
    checkpoint_every: int | None = setting(0, "also checkpoint every this many optimizer steps (0: at each epoch's "
                                              "end only); needs a run directory", _at_least(0))
    log_every: int | None = setting(50, "write a line to the run's metrics log every this many optimizer steps",
                                    _at_least(1))
    shards: str | None = setting("", "train out of memory: the reviews read in chunks, their token ids kept on "
                                      "disk in this folder (about 4 bytes per token, plus the cleaned reviews); "
                                      "empty: in memory")


# Sections whose keys are also CLI flags of `train` (model and tokenizer keys go through --set).
FLAG_SECTIONS = ("data", "training")
NOT_FLAGS = {"data.file": "the DATA argument or "}
_KINDS = {"int": "an integer", "float": "a number", "str": "a string", "bool": "true or false", "list": "a list"}


def check_type(what: str, value: object, annotation: str, fix: str) -> None:
    """Raise if `value` does not fit a simple annotation such as 'int', 'float | None' or 'str'.

    >>> check_type("training.epochs", "ten", "int", "Pass --epochs 10.")
    Traceback (most recent call last):
    ...
    customer_sentiment.errors.CustomerSentimentError: Setting training.epochs is 'ten': expected an integer. Pass --epochs 10.
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
        raise CustomerSentimentError(f"Setting {what} is {value!r}", expected=expected, fix=fix)
