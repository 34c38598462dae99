"""What every tokenizer's saved JSON shares: a format name and version, checked on load."""

from __future__ import annotations

from ..errors import CustomerSentimentError


def check_saved(tokenizer_class: type, data: dict, source: str, fields: dict[str, type]) -> None:
    """Refuse JSON of another format or version, or without the fields (name -> type) a tokenizer needs."""
    if data.get("format") != tokenizer_class.format_name or data.get("version") != tokenizer_class.format_version:
        raise CustomerSentimentError(
            f"{source} is not this tokenizer's JSON", found=f"format {data.get('format')!r} version "
            f"{data.get('version')!r}", expected=f"{tokenizer_class.format_name!r} version {tokenizer_class.format_version}",
            fix="Train the model again with this version of customer-sentiment.")
    missing = [name for name, kind in fields.items() if not isinstance(data.get(name), kind)]
    if missing:
        raise CustomerSentimentError(f"{source} lacks {', '.join(missing)}", fix="Train the model again.")
