"""Run configuration: a TOML file with a comment on every key, overridden by CLI flags and `--set`.

    customer-sentiment config --model cnn.v1 > run.toml      # every key, its default and what it does
    customer-sentiment train --config run.toml --set training.learning_rate=3e-4 -o models/cnn

Four sections: [data] (the file and its columns), [model] (the architecture and its settings),
[tokenizer] and [training]. An unknown section or key is an error that lists the valid ones. The
resolved configuration of each run is written to its run directory, where `--resume` reads it back.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import tomllib
from pathlib import Path

from .errors import CustomerSentimentError
from .training_args import TrainingArguments, check_type, training_help

DATA_HELP = {
    "file": "the reviews to train on: .csv, .tsv, .jsonl or .parquet (optionally .gz)",
    "text_column": "column with the review text",
    "label_column": "column with the labels (any set of labels); leave empty to use rating_column",
    "rating_column": "column with star ratings, turned into labels by rating_map",
    "rating_map": "ratings to labels as inclusive ranges; 'skip' drops a range (3:skip is binary mode)",
    "encoding": "text encoding of CSV, TSV and JSON Lines input",
}
DATA_DEFAULTS = {"file": "", "text_column": "review", "label_column": "", "rating_column": "",
                 "rating_map": "1-2:negative,3:neutral,4-5:positive", "encoding": "utf-8"}
SECTIONS = ("data", "model", "tokenizer", "training")
DEFAULT_MODEL = "bag_of_embeddings.v1"


def settings_of(target: type, skip: tuple[str, ...]) -> dict[str, object]:
    """A constructor's public settings and their defaults (names starting with '_' are internal)."""
    return {name: p.default for name, p in inspect.signature(target.__init__).parameters.items()
            if name not in skip and not name.startswith("_") and p.kind is p.POSITIONAL_OR_KEYWORD}


def model_settings(architecture: type) -> dict[str, object]:
    return settings_of(architecture, ("self", "vocab_size", "num_classes"))


def tokenizer_settings(architecture: type) -> dict[str, object]:
    return settings_of(architecture.tokenizer_class, ("self",))


def empty_config() -> dict[str, dict]:
    return {section: {} for section in SECTIONS}


def valid_keys(section: str, architecture: type) -> dict[str, str]:
    """Every key a section takes, with its one-line documentation."""
    if section == "data":
        return DATA_HELP
    if section == "model":
        return {"architecture": "the architecture; `customer-sentiment models` lists them",
                **{k: architecture.settings_help.get(k, "") for k in model_settings(architecture)}}
    if section == "tokenizer":
        return {k: getattr(architecture.tokenizer_class, "settings_help", {}).get(k, "")
                for k in tokenizer_settings(architecture)}
    return training_help()


def check_sections(config: dict, source: str) -> None:
    """Only the four sections, each a table of keys."""
    for section, values in config.items():
        if section not in SECTIONS:
            where = f"section [{section}]" if isinstance(values, dict) else f"top-level key {section!r}"
            raise CustomerSentimentError(f"{source}: unknown {where}; valid sections: {', '.join(SECTIONS)}. "
                                         f"Put each key in its section, e.g. epochs under [training].")
        if not isinstance(values, dict):
            raise CustomerSentimentError(f"{source}: [{section}] must be a table of keys.")


def architecture_name(config: dict[str, dict], source: str) -> str:
    name = config.get("model", {}).get("architecture") or DEFAULT_MODEL
    check_type("model.architecture", name, "str", f"an architecture name in {source} (customer-sentiment models)")
    return name


def check(config: dict[str, dict], architecture: type, source: str) -> None:
    """Unknown sections and keys are errors listing the valid ones; values must have the right type."""
    check_sections(config, source)
    for section, values in config.items():
        keys = valid_keys(section, architecture)
        for key, value in values.items():
            if key not in keys:
                raise CustomerSentimentError(
                    f"{source}: unknown key {section}.{key}; valid: {', '.join(keys)}.")
            _check_value(section, key, value, architecture, source)


def _check_value(section: str, key: str, value: object, architecture: type, source: str) -> None:
    fix = (f"--set {section}.{key}=VALUE with such a value" if source == "--set"
           else f"such a value for {section}.{key} in {source}")
    if section == "data" or key == "architecture":
        check_type(f"{section}.{key}", value, "str", fix)
    elif section == "training":
        check_type(f"training.{key}", value, {f.name: f.type for f in dataclasses.fields(TrainingArguments)}[key], fix)
    else:
        defaults = model_settings(architecture) if section == "model" else tokenizer_settings(architecture)
        default = defaults[key]
        if default is not None and default is not inspect.Parameter.empty:
            check_type(f"{section}.{key}", value, type(default).__name__, fix)


def read_toml(path: str | Path) -> dict[str, dict]:
    """A config file's sections, checked for TOML syntax and sections here (keys: see `check`)."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise CustomerSentimentError(f"Cannot read the config {path}: no such file. "
                                     f"Write one with `customer-sentiment config > {path.name}`.") from None
    except tomllib.TOMLDecodeError as error:
        raise CustomerSentimentError(f"{path} is not valid TOML: {error}. Fix the line it names.") from None
    check_sections(data, str(path))
    return {**empty_config(), **data}


def parse_overrides(items: list[str]) -> dict[str, dict]:
    """'model.embedding_dim=32' -> {'model': {'embedding_dim': 32}, ...}; values read as TOML when they can be."""
    sections = empty_config()
    for item in items:
        key, sep, value = item.partition("=")
        section, dot, name = key.strip().partition(".")
        if not sep or not dot or section not in sections or not name:
            raise CustomerSentimentError(
                f"--set {item!r} is not SECTION.KEY=VALUE with SECTION one of {', '.join(SECTIONS)}; "
                f"e.g. --set model.embedding_dim=32.")
        try:
            sections[section][name] = tomllib.loads(f"v = {value}")["v"]
        except tomllib.TOMLDecodeError:
            sections[section][name] = value
    return sections


def merge(*configs: dict[str, dict]) -> dict[str, dict]:
    """Later configs win, key by key."""
    merged = empty_config()
    for config in configs:
        for section, values in config.items():
            merged.setdefault(section, {}).update({k: v for k, v in values.items() if v is not None})
    return merged


def to_toml(config: dict[str, dict], architecture: type, header: str = "") -> str:
    """TOML with a comment on every key; keys without a value are written commented out."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    for section in SECTIONS:
        lines += ["", f"[{section}]"]
        for key, help_text in valid_keys(section, architecture).items():
            value = config.get(section, {}).get(key)
            text = f"{key} = {_toml_value(value)}" if value is not None else f"# {key} =  (unset)"
            lines.append(f"{text:<48} # {help_text}")
    return "\n".join(lines).lstrip("\n") + "\n"


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)          # a JSON string is a TOML basic string


def defaults(architecture: type) -> dict[str, dict]:
    """The documented defaults of every section for an architecture."""
    return {"data": dict(DATA_DEFAULTS),
            "model": {"architecture": architecture.name,
                      **{k: (list(v) if isinstance(v, tuple) else v) for k, v in model_settings(architecture).items()}},
            "tokenizer": dict(tokenizer_settings(architecture)),
            "training": TrainingArguments().to_dict()}
