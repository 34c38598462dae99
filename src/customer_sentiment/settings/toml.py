"""Settings as TOML: reading a config file, `--set SECTION.KEY=VALUE` overrides, and writing the
documented file (`customer-sentiment config`, each run's config.toml) with a comment on every key."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from ..errors import CustomerSentimentError
from .resolve import SECTIONS, Layer, Settings, check_sections, valid_keys


def read_toml(path: str | Path) -> Layer:
    """A config file's sections, checked for TOML syntax and sections (keys: `resolve` checks them)."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise CustomerSentimentError(f"Cannot read the config {path}: no such file",
                                     fix=f"Write one with `customer-sentiment config > {path.name}`.") from None
    except tomllib.TOMLDecodeError as error:
        raise CustomerSentimentError(f"{path} is not valid TOML ({error})", fix="Fix the line it names.") from None
    check_sections(data, str(path))
    return data


def parse_overrides(items: list[str]) -> Layer:
    """'model.embedding_dim=32' -> {'model': {'embedding_dim': 32}}; values read as TOML when they can be.

    >>> parse_overrides(["model.embedding_dim=32", "training.schedule=cosine"])
    {'model': {'embedding_dim': 32}, 'training': {'schedule': 'cosine'}}
    """
    layer: Layer = {}
    for item in items:
        key, sep, value = item.partition("=")
        section, dot, name = key.strip().partition(".")
        if not sep or not dot or section not in SECTIONS or not name:
            raise CustomerSentimentError(f"--set {item!r} is not SECTION.KEY=VALUE",
                                         expected=f"SECTION one of {', '.join(SECTIONS)}",
                                         fix="Write e.g. --set model.embedding_dim=32.")
        try:
            layer.setdefault(section, {})[name] = tomllib.loads(f"v = {value}")["v"]
        except tomllib.TOMLDecodeError:
            layer.setdefault(section, {})[name] = value
    return layer


def to_toml(settings: Settings, header: str = "") -> str:
    """TOML with a comment on every key; keys without a value are written commented out."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    values = settings.to_layer()
    for section in SECTIONS:
        lines += ["", f"[{section}]"]
        for key, help_text in valid_keys(section, settings.architecture).items():
            value = values[section].get(key)
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
