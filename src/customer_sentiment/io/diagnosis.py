"""Finding where a broken file breaks: the line and byte of a bad encoding, the row with the wrong
number of fields, the JSON line that is not an object, the line a data row starts on.

Arrow's readers are fast but say little about where they failed; this module reads the file again
with Python's `csv` and `json` only after such a failure (or to name a row), never on the way.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from pathlib import Path

from ..errors import CustomerSentimentError
from .formats import bom_tolerant, file_format, open_binary, open_text

_EXPORT_AGAIN = "Check the file, or export it again."
_FIELD_LIMIT = 2**31 - 1


def records(path: Path, fmt: str, encoding: str, errors: str = "replace") -> Iterator[tuple[int, object]]:
    """(first line, record) of each non-blank record: CSV/TSV fields (the header first) or a JSON line."""
    with open_text(path, encoding, errors) as handle:
        if fmt == "jsonl":
            yield from ((number, line) for number, line in enumerate(handle, start=1) if line.strip())
            return
        dialect = {"delimiter": ","} if fmt == "csv" else {"delimiter": "\t", "quoting": csv.QUOTE_NONE}
        reader = csv.reader(handle, **dialect)
        limit = csv.field_size_limit(_FIELD_LIMIT)      # the csv module refuses fields over 128 KB by default
        try:
            start = 1
            for fields in reader:
                if fields:                               # Arrow skips blank lines too
                    yield start, fields
                start = reader.line_num + 1
        finally:
            csv.field_size_limit(limit)


def row_location(path: str | Path, row: int, encoding: str = "utf-8") -> str:
    """Where data row `row` (0-based) starts: 'line N' for text files, 'row N' for Parquet.

    A CSV record can span lines (a quoted review with line breaks), so the file is read again.
    """
    path = Path(path)
    fmt = file_format(path)
    if fmt != "parquet":
        found = records(path, fmt, encoding)
        if fmt != "jsonl":
            next(found, None)                          # the header
        for index, (line, _) in enumerate(found):
            if index == row:
                return f"line {line}"
    return f"row {row + 1}"


def arrow_error(path: Path, fmt: str, encoding: str, error: Exception) -> CustomerSentimentError:
    message = str(error)
    if fmt == "parquet":
        return CustomerSentimentError(f"{path} is not a readable Parquet file ({message})",
                                      fix="Write it again with pandas or pyarrow.")
    if "invalid UTF8" in message or "decode" in message.lower():
        return encoding_error(path, encoding, error)
    if "Empty CSV file" in message:
        return CustomerSentimentError(f"{path} has no header row", expected="column names on line 1",
                                      fix="Export the reviews again.")
    if re.search(r"Expected \d+ columns, got \d+", message):
        return malformed_error(path, fmt, encoding, error)
    return CustomerSentimentError(f"Cannot read {path}: {message}", fix=_EXPORT_AGAIN)


def encoding_error(path: Path, encoding: str, error: Exception) -> CustomerSentimentError:
    fix = "Save the file as UTF-8, or pass --encoding with the file's encoding (e.g. latin-1)."
    with open_binary(path) as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                raw.decode(bom_tolerant(encoding) if number == 1 else encoding)
            except UnicodeDecodeError as bad:
                byte = raw[bad.start:bad.start + 1].hex()
                return CustomerSentimentError(f"{path}, line {number}, byte {bad.start + 1}: 0x{byte} is not valid "
                                              f"{encoding}", fix=fix)
    return CustomerSentimentError(f"{path} is not valid {encoding} ({error})", fix=fix)


def malformed_error(path: Path, fmt: str, encoding: str, error: Exception) -> CustomerSentimentError:
    found = records(path, fmt, encoding)
    _, header = next(found, (1, []))
    for line, fields in found:
        if len(fields) != len(header):
            fix = ("Put quotes around fields that contain a comma, or fix the row." if fmt == "csv" else
                   "Remove the extra tabs (TSV fields cannot hold tabs or line breaks), or fix the row.")
            return CustomerSentimentError(f"{path}, line {line}",
                                          expected=f"{len(header)} fields", found=str(len(fields)), fix=fix)
    return CustomerSentimentError(f"{path} is not well-formed {fmt.upper()} ({error})",
                                  fix="Fix the row or export again.")


def jsonl_error(path: Path, encoding: str) -> CustomerSentimentError:
    fix = "Write one JSON object per line."
    for number, line in records(path, "jsonl", encoding):
        try:
            value = json.loads(line)
        except json.JSONDecodeError as bad:
            return CustomerSentimentError(f"{path}, line {number}, column {bad.colno}",
                                          expected="a JSON object", found=f"invalid JSON ({bad.msg.lower()})", fix=fix)
        if not isinstance(value, dict):
            return CustomerSentimentError(f"{path}, line {number}", expected="a JSON object",
                                          found=type(value).__name__, fix=fix)
    return CustomerSentimentError(f"{path} is not valid JSON Lines", fix=fix)
