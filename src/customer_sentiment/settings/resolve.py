"""One resolved configuration: built-in defaults, the architecture's, the TOML file, the flags, `--set`.

    customer-sentiment config --model cnn.v1 > run.toml      # every key, its default and what it does
    customer-sentiment train --config run.toml --set training.learning_rate=3e-4 -o models/cnn

Four sections: [data] (the file and its columns), [model] (the architecture and its settings),
[tokenizer] and [training]. `resolve()` is the only place where they are combined; its result is
what a run uses, what `--help` and `config` show, and what the run's config.toml records. An
unknown section or key is an error that lists the valid ones.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

from ..errors import CustomerSentimentError
from .sections import DataSettings, TrainingArguments, check_type, defaults_of, help_of, setting_fix

SECTIONS = ("data", "model", "tokenizer", "training")
DEFAULT_MODEL = "bag_of_embeddings.v1"
Layer = dict[str, dict]          # {"training": {"epochs": 3}, ...}: the values one source gives


@dataclass
class Settings:
    """The complete settings of a run: every key has its value."""

    data: DataSettings
    model: dict                  # "architecture" and the architecture's constructor settings
    tokenizer: dict
    training: TrainingArguments

    @property
    def architecture(self) -> type:
        from ..models import get_architecture  # PyTorch, only when an architecture is needed

        return get_architecture(self.model["architecture"])

    @property
    def model_settings(self) -> dict:
        return {k: v for k, v in self.model.items() if k != "architecture"}

    def to_layer(self) -> Layer:
        return {"data": self.data.to_dict(), "model": dict(self.model), "tokenizer": dict(self.tokenizer),
                "training": self.training.to_dict()}


def resolve(*layers: tuple[str, Layer]) -> Settings:
    """Settings from the built-in and architecture defaults, then each (source, values) layer in order.

    >>> settings = resolve(("--set", {"model": {"architecture": "cnn.v1"}, "training": {"epochs": 2}}))
    >>> settings.training.epochs, settings.training.learning_rate, settings.model["filters"]
    (2, 0.002, 128)
    """
    from ..models import get_architecture

    name = DEFAULT_MODEL
    for source, layer in layers:
        check_sections(layer, source)
        given = layer.get("model", {}).get("architecture")
        if given is not None:
            check_type("model.architecture", given, "str", f"Pass an architecture name in {source} "
                                                          f"(`customer-sentiment models` lists them).")
            name = given
    architecture = get_architecture(name)
    defaults = architecture_defaults(architecture)
    merged = {section: dict(values) for section, values in defaults.items()}
    for source, layer in layers:
        check_keys(layer, architecture, source, defaults)
        for section, values in layer.items():
            merged[section].update({k: v for k, v in values.items() if v is not None})
    merged["model"]["architecture"] = architecture.name
    return Settings(DataSettings(**merged["data"]), merged["model"], merged["tokenizer"],
                    TrainingArguments(**merged["training"]))


def architecture_defaults(architecture: type) -> Layer:
    """The built-in defaults with the architecture's own on top: the first two layers of `resolve`."""
    return {"data": defaults_of(DataSettings),
            "model": {"architecture": architecture.name, **model_defaults(architecture)},
            "tokenizer": _constructor_defaults(architecture.tokenizer_class, ("self",)),
            "training": {**defaults_of(TrainingArguments), **architecture.training_defaults}}


def model_defaults(architecture: type) -> dict:
    return _constructor_defaults(architecture, ("self", "vocab_size", "num_classes"))


def _constructor_defaults(target: type, skip: tuple[str, ...]) -> dict[str, object]:
    """A constructor's public settings and their defaults (names starting with '_' are internal)."""
    return {name: list(p.default) if isinstance(p.default, tuple) else p.default
            for name, p in inspect.signature(target.__init__).parameters.items()
            if name not in skip and not name.startswith("_") and p.kind is p.POSITIONAL_OR_KEYWORD}


def valid_keys(section: str, architecture: type) -> dict[str, str]:
    """Every key a section takes, with its one-line documentation."""
    if section == "data":
        return help_of(DataSettings)
    if section == "training":
        return help_of(TrainingArguments)
    if section == "model":
        return {"architecture": "the architecture; `customer-sentiment models` lists them",
                **{k: architecture.settings_help.get(k, "") for k in model_defaults(architecture)}}
    target = architecture.tokenizer_class
    return {k: getattr(target, "settings_help", {}).get(k, "") for k in _constructor_defaults(target, ("self",))}


def check_sections(layer: Layer, source: str) -> None:
    """Only the four sections, each a table of keys."""
    for section, values in layer.items():
        if section not in SECTIONS:
            where = f"section [{section}]" if isinstance(values, dict) else f"top-level key {section!r}"
            raise CustomerSentimentError(f"{source}: unknown {where}", expected=f"one of {', '.join(SECTIONS)}",
                                         fix="Put each key in its section, e.g. epochs under [training].")
        if not isinstance(values, dict):
            raise CustomerSentimentError(f"{source}: [{section}] is {type(values).__name__}", expected="a table of keys",
                                         fix=f"Write the keys of [{section}] under its header.")


def check_keys(layer: Layer, architecture: type, source: str, defaults: Layer) -> None:
    """Unknown keys are errors listing the valid ones; model and tokenizer values must have the type of their
    default in `defaults` (data and training values are checked by their dataclasses)."""
    for section, values in layer.items():
        keys = valid_keys(section, architecture)
        for key, value in values.items():
            if key not in keys:
                raise CustomerSentimentError(f"{source}: unknown key {section}.{key}", expected=", ".join(keys),
                                             fix=f"Use one of those keys (`customer-sentiment config --model "
                                                 f"{architecture.name}` lists them, documented).")
            default = defaults[section].get(key)
            if section in ("model", "tokenizer") and default is not None and value is not None:
                check_type(f"{section}.{key}", value, type(default).__name__, setting_fix(f"{section}.{key}"))

