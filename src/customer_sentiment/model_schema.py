"""The schema of a model directory: what config.json, tokenizer.json and model.safetensors may hold.

Checked on load before anything is built, and on save before anything is written, so a model that
would be refused is never written. The rules are the settings' own, not a second copy: the keys of
a section and their types come from `settings` (valid_keys, check_type, TrainingArguments), ranges
from each architecture's and tokenizer's constructor. The tensors a config implies come from the
architecture built on PyTorch's meta device (shapes, no memory), once every size in the config is
bounded by the saved weights, so an absurd size is refused before anything is allocated.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import torch

from .errors import CustomerSentimentError
from .inference.calibration import TEMPERATURE_RANGE
from .models import get_architecture
from .settings import DataSettings, TrainingArguments, architecture_defaults, check_type, valid_keys

TRAIN_AGAIN = "Restore the model directory as `customer-sentiment train` wrote it, or train the model again."
# config.json's top-level keys and their types: the required ones, then the record of how it was trained.
REQUIRED = {"format": "str", "format_version": "int", "architecture": "str", "labels": "list", "vocab_size": "int",
            "model_settings": "dict", "tokenizer": "dict", "training": "dict"}
RECORD = {"library_version": "str", "torch_version": "str", "seed": "int", "data": "dict", "history": "dict",
          "created": "str", "calibration": "dict"}
CALIBRATION = {"method": "str", "temperature": "float", "fitted_on": "str", "reviews": "int"}
HISTORY = {"best_epoch": "int | None", "stopped_early": "bool", "device": "str"}
# What `data` holds beside the [data] settings; other keys (a caller's own `data_info`) are its own record.
DATA_RECORD = {"fingerprint": "str", "reviews": "int", "train_reviews": "int", "validation_reviews": "int",
               "rows_read": "int", "skipped": "dict"}
DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
          torch.int64: "I64", torch.int32: "I32", torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL"}
Header = dict[str, tuple[str, list[int]]]          # tensor name -> (safetensors dtype, shape)


@contextlib.contextmanager
def refused_in(file: Path, fix: str = TRAIN_AGAIN):
    """A settings error raised inside names `file` and ends with `fix` (the flags its own fix names do not apply)."""
    try:
        yield
    except CustomerSentimentError as error:
        if error.what.startswith(str(file)):
            raise
        raise CustomerSentimentError(f"{file}: {error.what.removeprefix('Setting ')}", expected=error.expected,
                                     found=error.found, fix=fix) from None


@dataclass(frozen=True)
class ModelConfig:
    """config.json, checked: the registered architecture and the training arguments it names, and the file."""

    values: dict
    architecture: type
    training: TrainingArguments

    @property
    def labels(self) -> list[str]:
        return self.values["labels"]

    @property
    def vocab_size(self) -> int:
        return self.values["vocab_size"]

    @property
    def model_settings(self) -> dict:
        return self.values["model_settings"]

    @property
    def temperature(self) -> float:
        """The calibration's temperature; 1.0 (the raw softmax) for a model saved without one."""
        return float(self.values.get("calibration", {}).get("temperature", 1.0))


def check_config(config: dict, file: Path, fix: str = TRAIN_AGAIN) -> ModelConfig:
    """config.json's keys, types and ranges, section by section, by the rules the settings use."""
    with refused_in(file, fix):
        _check_keys(config, "", {**REQUIRED, **RECORD}, required=REQUIRED)
        architecture = get_architecture(config["architecture"])
        _check_labels(config["labels"])
        _check_size("vocab_size", config["vocab_size"])
        _check_model_settings(config["model_settings"], architecture)
        _check_tokenizer_section(config["tokenizer"], architecture)
        _check_keys(config["training"], "training", dict.fromkeys(valid_keys("training", architecture)))
        training = TrainingArguments(**config["training"])
        _check_record(config)
    return ModelConfig(config, architecture, training)


def _check_keys(values: dict, section: str, kinds: dict[str, str | None], required: dict | tuple = ()) -> None:
    """Required keys present, unknown keys refused (listing the known ones), each value of its kind."""
    prefix = f"{section}." if section else ""
    missing = [key for key in required if key not in values]
    if missing:
        raise CustomerSentimentError(f"{section or 'the file'} lacks {', '.join(prefix + k for k in missing)}",
                                     fix=TRAIN_AGAIN)
    for key, value in values.items():
        if key not in kinds:
            raise CustomerSentimentError(f"unknown key {prefix}{key}", expected=", ".join(kinds), fix=TRAIN_AGAIN)
        if kinds[key] is not None:
            _check_kind(prefix + key, value, kinds[key])


def _check_kind(key: str, value: object, kind: str) -> None:
    if kind == "dict" and not isinstance(value, dict):
        raise CustomerSentimentError(f"{key} is {value!r}", expected="a JSON object", fix=TRAIN_AGAIN)
    check_type(key, value, kind, TRAIN_AGAIN)


def _kinds_of(defaults: dict, keys) -> dict[str, str | None]:
    """The kind of each key's value: its default's type ('int' refuses a bool), unchecked where the default is None."""
    return {key: None if defaults.get(key) is None else type(defaults[key]).__name__ for key in keys}


def _check_labels(labels: list) -> None:
    """At least two distinct non-empty strings: one per column of probabilities."""
    for index, label in enumerate(labels):
        if type(label) is not str or not label.strip():
            raise CustomerSentimentError(f"labels[{index}] is {label!r}", expected="a non-empty string", fix=TRAIN_AGAIN)
    twice = [label for label, count in Counter(labels).items() if count > 1]
    if twice:
        raise CustomerSentimentError(f"labels holds {twice[0]!r} more than once", expected="each label once",
                                     fix=TRAIN_AGAIN)
    if len(labels) < 2:
        raise CustomerSentimentError(f"labels is {labels!r}", expected="at least two labels", fix=TRAIN_AGAIN)


def _check_size(key: str, value: object) -> None:
    check_type(key, value, "int", TRAIN_AGAIN)
    if value < 1:
        raise CustomerSentimentError(f"{key} is {value!r}", expected="an integer >= 1", fix=TRAIN_AGAIN)


def _check_model_settings(settings: dict, architecture: type) -> None:
    """The architecture's keys, of their defaults' types, and the internal ('_') ones its constructor takes.
    Ranges are the constructor's own checks, run when the model is described (`expected_tensors`)."""
    keys = [key for key in valid_keys("model", architecture) if key != "architecture"]
    internal = [name for name in inspect.signature(architecture.__init__).parameters if name.startswith("_")]
    kinds = _kinds_of(architecture_defaults(architecture)["model"], keys)
    _check_keys(settings, "model_settings", {**kinds, **dict.fromkeys(internal)})


def _check_tokenizer_section(section: dict, architecture: type) -> None:
    """The tokenizer the architecture uses, with settings its constructor accepts."""
    tokenizer_class = architecture.tokenizer_class
    _check_keys(section, "tokenizer", {"format": "str", "settings": "dict"}, required=("format", "settings"))
    if section["format"] != tokenizer_class.format_name:
        raise CustomerSentimentError(f"tokenizer.format is {section['format']!r}", fix=TRAIN_AGAIN,
                                     expected=f"{tokenizer_class.format_name!r}, the tokenizer of {architecture.name}")
    defaults = architecture_defaults(architecture)["tokenizer"]
    _check_keys(section["settings"], "tokenizer.settings", _kinds_of(defaults, valid_keys("tokenizer", architecture)))
    tokenizer_class(**section["settings"])                                  # its ranges; no vocabulary yet


def _check_record(config: dict) -> None:
    """How the model was trained: the seed's range, the history's keys, the calibration, the [data] settings' types."""
    if "seed" in config:
        TrainingArguments(seed=config["seed"])
    _check_keys(config.get("history", {}), "history", HISTORY)
    calibration = config.get("calibration", {})
    _check_keys(calibration, "calibration", CALIBRATION, required=("temperature",) if calibration else ())
    low, high = TEMPERATURE_RANGE
    if calibration and not low <= calibration["temperature"] <= high:       # NaN fails too
        raise CustomerSentimentError(f"calibration.temperature is {calibration['temperature']!r}",
                                     expected=f"a number in [{low}, {high}]", fix=TRAIN_AGAIN)
    data = config.get("data", {})
    settings = {spec.name for spec in dataclasses.fields(DataSettings)}
    DataSettings(**{key: value for key, value in data.items() if key in settings})
    for key in DATA_RECORD.keys() & data.keys():
        _check_kind(f"data.{key}", data[key], DATA_RECORD[key])


def check_tokenizer(data: dict, config: ModelConfig, file: Path, fix: str = TRAIN_AGAIN):
    """tokenizer.json, built through its class's own checks; it must hold config.json's vocab_size tokens."""
    with refused_in(file, fix):
        tokenizer = config.architecture.tokenizer_class.from_dict(data, source=str(file))
    if tokenizer.vocab_size != config.vocab_size:
        raise CustomerSentimentError(f"{file} holds {tokenizer.vocab_size:,} tokens", fix=fix,
                                     expected=f"{config.vocab_size:,}, the vocab_size in config.json")
    return tokenizer


def header_of(tensors: dict[str, torch.Tensor]) -> Header:
    """Each tensor's dtype (as safetensors names it) and shape."""
    return {name: (DTYPES.get(tensor.dtype, str(tensor.dtype)), list(tensor.shape)) for name, tensor in tensors.items()}


def check_tensors(found: Header, config: ModelConfig, file: Path, config_file: Path, fix: str = TRAIN_AGAIN) -> None:
    """The tensors in `file` are those config.json describes: names, shapes and dtypes."""
    if not found:
        raise CustomerSentimentError(f"{file} holds no tensors", expected="the model's weights", fix=fix)
    _bound_sizes(found, config, file, config_file, fix)
    _compare(found, expected_tensors(config, config_file, fix), file, fix)


def _bound_sizes(found: Header, config: ModelConfig, file: Path, config_file: Path, fix: str) -> None:
    """No size in config.json exceeds the number of weights saved, nor a count of layers the number of
    tensors: an absurd size is refused before the model is even described, let alone allocated."""
    weights = sum(math.prod(shape) for _, shape in found.values())
    for key, value in _integers({"vocab_size": config.vocab_size, "model_settings": config.model_settings}):
        if value > weights:
            raise CustomerSentimentError(f"{config_file}: {key} is {value:,}", fix=fix,
                                         expected=f"at most {weights:,}, the number of weights in {file.name}")
    for key in config.architecture.layer_settings:
        value = _dotted(config.model_settings, key)
        count = len(value) if isinstance(value, list) else value
        if type(count) is int and count > len(found):
            raise CustomerSentimentError(f"{config_file}: model_settings.{key} makes {count:,} layers", fix=fix,
                                         expected=f"at most {len(found):,}, the number of tensors in {file.name}")


def _dotted(settings: dict, key: str) -> object:
    for part in key.split("."):
        settings = settings.get(part) if isinstance(settings, dict) else None
    return settings


def _compare(found: Header, expected: Header, file: Path, fix: str) -> None:
    """The same names, and each tensor of the same shape and dtype; the message names the tensor."""
    described = f"the {len(expected)} tensors config.json describes"
    for names, what in [(expected.keys() - found.keys(), "tensor {!r} is missing"),
                        (found.keys() - expected.keys(), "unexpected tensor {!r}")]:
        if names:
            more = f" (and {len(names) - 1} more)" if len(names) > 1 else ""
            raise CustomerSentimentError(f"{file}: {what.format(min(names))}{more}", expected=described, fix=fix)
    for name, (dtype, shape) in expected.items():
        if found[name][1] != shape:
            raise CustomerSentimentError(f"{file}: tensor {name!r} has shape {found[name][1]}", fix=fix,
                                         expected=f"{shape}, as config.json describes the model")
        if found[name][0] != dtype:
            raise CustomerSentimentError(f"{file}: tensor {name!r} has dtype {found[name][0]}", expected=dtype, fix=fix)


def _integers(value: object, key: str = "") -> Iterator[tuple[str, int]]:
    """Every integer (not bool) in nested settings, with its dotted key."""
    if type(value) is int:
        yield key, value
    elif isinstance(value, dict):
        for name, item in value.items():
            yield from _integers(item, f"{key}.{name}" if key else str(name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _integers(item, f"{key}[{index}]")


def expected_tensors(config: ModelConfig, config_file: Path, fix: str = TRAIN_AGAIN) -> Header:
    """The tensors of the model config.json describes, built on the meta device: shapes, no memory."""
    with refused_in(config_file, fix), torch.device("meta"):
        try:
            model = config.architecture.from_saved(config.vocab_size, len(config.labels), config.model_settings)
        except (RuntimeError, ValueError) as error:       # sizes PyTorch cannot combine (an overflow, say)
            reason = (str(error).splitlines() or ["no reason given"])[0][:200]
            raise CustomerSentimentError(f"model_settings describe a model PyTorch cannot build ({reason})",
                                         fix=fix) from None
    return header_of(model.state_dict())


def check_finite(tensors: dict[str, torch.Tensor], where: str, fix: str) -> None:
    """No NaN or infinite weight: such a model gives every review the same label, or none."""
    for name, tensor in tensors.items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            nan = int(torch.isnan(tensor).sum())
            raise CustomerSentimentError(f"{where}: tensor {name!r} holds {nan:,} NaN and "
                                         f"{int(torch.isinf(tensor).sum()):,} infinite values",
                                         expected="finite weights", fix=fix)
