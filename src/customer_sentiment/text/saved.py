"""What every tokenizer's saved JSON shares: a format name and version, known keys, checked on load.

The settings a tokenizer takes are its constructor's parameters (as `settings.valid_keys` reads
them too); their types and ranges are the constructor's own checks.
"""

from __future__ import annotations

import inspect

from ..errors import CustomerSentimentError

_TRAIN_AGAIN = "Train the model again."


def check_saved(tokenizer_class: type, data: dict, source: str, fields: dict[str, type]) -> None:
    """Refuse JSON of another format or version, with unknown keys or settings, or without the fields
    (name -> type) a tokenizer needs."""
    if data.get("format") != tokenizer_class.format_name or data.get("version") != tokenizer_class.format_version:
        raise CustomerSentimentError(
            f"{source} is not this tokenizer's JSON", found=f"format {data.get('format')!r} version "
            f"{data.get('version')!r}", expected=f"{tokenizer_class.format_name!r} version {tokenizer_class.format_version}",
            fix="Train the model again with this version of customer-sentiment.")
    _refuse_unknown(source, list(data), ["format", "version", *fields])
    missing = [name for name, kind in fields.items() if not isinstance(data.get(name), kind)]
    if missing:
        raise CustomerSentimentError(f"{source} lacks {', '.join(missing)}", fix=_TRAIN_AGAIN)
    if "settings" in fields:
        known = [name for name in inspect.signature(tokenizer_class.__init__).parameters if name != "self"]
        _refuse_unknown(source, list(data["settings"]), known, prefix="settings.")


def _refuse_unknown(source: str, keys: list[str], known: list[str], prefix: str = "") -> None:
    unknown = [key for key in keys if key not in known]
    if unknown:
        raise CustomerSentimentError(f"{source}: unknown key {prefix}{unknown[0]}", expected=", ".join(known) or "none",
                                     fix=_TRAIN_AGAIN)


def check_tokens(source: str, field: str, values: list, limit: int, spaced: bool = False) -> None:
    """A saved vocabulary list: at most `limit` distinct non-empty strings without spaces (or, `spaced`,
    such words joined by single spaces)."""
    if len(values) > limit:
        raise CustomerSentimentError(f"{source}: {field} holds {len(values):,} entries", fix=_TRAIN_AGAIN,
                                     expected=f"at most {limit:,}, the limit in its settings")
    expected = "words joined by single spaces" if spaced else "a non-empty string without spaces"
    for index, value in enumerate(values):
        if not _is_token(value, spaced):
            refuse_entry(source, field, index, value, expected)
    if len(set(values)) != len(values):
        seen: set[str] = set()
        index = next(i for i, value in enumerate(values) if value in seen or seen.add(value))
        raise CustomerSentimentError(f"{source}: {field}[{index}] {_short(values[index])} is there twice",
                                     expected="each entry once", fix=_TRAIN_AGAIN)


def _is_token(value: object, spaced: bool) -> bool:
    """A space separates the words of a saved n-gram, so a word holds none."""
    if type(value) is not str or not value:
        return False
    return all(value.split(" ")) if spaced else " " not in value


def refuse_entry(source: str, field: str, index: int, value: object, expected: str) -> None:
    """A vocabulary entry that a tokenizer could not have written."""
    raise CustomerSentimentError(f"{source}: {field}[{index}] is {_short(value)}", expected=expected, fix=_TRAIN_AGAIN)


def _short(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
