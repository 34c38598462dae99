"""Cleaning review text once, the same way for training and scoring: HTML entities decoded, tags
removed, whitespace collapsed, missing values made empty."""

from __future__ import annotations

import html
import math
import numbers
from collections.abc import Iterable

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import CustomerSentimentError
from .diagnosis import row_location
from .options import ReadOptions

_TAG = r"</?[A-Za-z][^>]*>"           # <br />, <p class="x">, </b>; not "I <3 it" or "a < b"
# Whitespace other than a single space: runs, tabs, line breaks, no-break and other Unicode spaces.
# (Replacing only these is 10x faster than replacing every \s+.)
_WS = r"\t\n\v\f\r\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}"
_ODD_WHITESPACE = f" [ {_WS}]+|[{_WS}][ {_WS}]*"


def clean_texts(texts: Iterable[object]) -> pa.Array:
    """HTML entities decoded, tags removed, whitespace collapsed; None and NaN become ''.

    Returns a pyarrow string array (the tokenizer reads it without copying); `.to_pylist()` for strings.

    >>> clean_texts(["Great  fryer!<br /><br />Doesn&#039;t smell."]).to_pylist()
    ["Great fryer! Doesn't smell."]
    """
    values = [_as_text(text) for text in texts]
    array = pa.array(values, type=pa.large_string())
    array = pc.replace_substring_regex(array, pattern=_TAG, replacement=" ")
    array = pc.replace_substring_regex(array, pattern=_ODD_WHITESPACE, replacement=" ")
    return pc.utf8_trim_whitespace(array)


def _as_text(value: object) -> str:
    if isinstance(value, str):
        return html.unescape(value) if "&" in value else value
    return "" if is_missing(value) else html.unescape(str(value))


# Strings that mean "no value" in exports (pandas' default NA strings, compared case-insensitively).
MISSING_STRINGS = frozenset({"", "nan", "-nan", "none", "null", "na", "n/a", "<na>", "#n/a", "#na"})


def as_label(value: object) -> str:
    """A label or rating cell as text; '' for a missing one, including the strings exports write for it.

    >>> [as_label(v) for v in [" positive ", None, float("nan"), "NaN", "None", "N/A", 4]]
    ['positive', '', '', '', '', '', '4']
    """
    text = "" if is_missing(value) else str(value).strip()
    return "" if text.lower() in MISSING_STRINGS else text


def column_texts(column: pd.Series, source: str, options: ReadOptions | str | None = None) -> tuple[list[str], int]:
    """A text column's values as strings ('' where missing) and how many were numbers, written as text.

    Anything else that is not text (a list, an object, a boolean: JSON Lines and Parquet can hold
    them) is refused, naming the first such row, rather than scored as its Python repr.

    >>> column_texts(pd.Series(["Great fryer", None, 4.5], name="review"), "r.csv")
    (['Great fryer', '', '4.5'], 1)
    """
    texts, converted = [], 0
    for row, value in zip(column.index, column.tolist(), strict=True):
        if isinstance(value, str):
            texts.append(value)
        elif is_missing(value):
            texts.append("")
        elif isinstance(value, numbers.Number) and not isinstance(value, bool):
            texts.append(str(value))
            converted += 1
        else:
            try:
                where = row_location(source, int(row), options)
            except (CustomerSentimentError, OSError):  # a source that is no file: name the row
                where = f"row {int(row) + 1}"
            raise CustomerSentimentError(
                f"{source}, {where}: column '{column.name}' holds a {type(value).__name__} ({str(value)[:40]!r})",
                expected="review text", fix="Export the column as text, or pass --text-column with the column "
                                            "that holds the reviews.")
    return texts, converted


def is_missing(value: object) -> bool:
    """None, NaN or pandas' NA: a cell with no value.

    >>> is_missing(float("nan")), is_missing("")
    (True, False)
    """
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))
