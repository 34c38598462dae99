"""Finding where a broken file breaks: the line and byte of a bad encoding, the row with the wrong
number of fields, the JSON line that is not an object, the line a data row starts on.

Arrow's readers are fast but say little about where they failed; this module reads the file again
with Python's `csv` and `json` only after such a failure (or to name a row), never on the way.
"""

from __future__ import annotations

import codecs
import collections
import csv
import io
import itertools
import json
import re
from collections.abc import Iterator
from pathlib import Path

from ..errors import CustomerSentimentError
from .decoding import Utf8Stream, file_encoding
from .dialect import Dialect, detect_dialect
from .excel import excel_rows, excel_text
from .formats import bom_tolerant, file_format, is_database_url, open_binary, open_text
from .options import ReadOptions, read_options

_EXPORT_AGAIN = "Check the file, or export it again."
_FIELD_LIMIT = 2**31 - 1
_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "bars"}


def records(path: Path, fmt: str, options: ReadOptions | str | None = None, errors: str = "replace",
            dialect: Dialect | None = None) -> Iterator[tuple[int, object]]:
    """(first line, record) of each non-blank record: CSV/TSV fields (the header first) or a JSON line,
    read as the readers read them (same encoding, delimiter, quoting and carriage returns)."""
    options = read_options(options)
    if fmt == "jsonl":
        with open_text(path, file_encoding(path, options.encoding), errors, newline=None) as handle:
            yield from ((number, line) for number, line in enumerate(handle, start=1) if line.strip())
        return
    dialect = dialect or detect_dialect(path, fmt, options.encoding, options.delimiter)
    stream = Utf8Stream(path, options.encoding, keep_cr=not dialect.cr_lines, errors=errors)
    with io.TextIOWrapper(io.BufferedReader(stream), encoding="utf-8", errors=errors, newline="") as handle:
        reader = csv.reader(handle, **dialect.csv_options())
        limit = csv.field_size_limit(_FIELD_LIMIT)      # the csv module refuses fields over 128 KB by default
        try:
            start = 1
            for fields in reader:
                if fields:                               # Arrow skips blank lines too
                    yield start, fields
                start = reader.line_num + 1
        finally:
            csv.field_size_limit(limit)


def row_location(path: str | Path, row: int, options: ReadOptions | str | None = None) -> str:
    """Where data row `row` (0-based) starts: 'line N' for text files, 'row N' for Parquet and Excel.

    A CSV record can span lines (a quoted review with line breaks), so the file is read again. A
    database's rows are 'row N' in the order read.
    """
    if is_database_url(path):
        return f"row {row + 1}"
    path = Path(path)
    fmt = file_format(path)
    if fmt == "excel":                                 # the sheet's own row number: header and blank rows count
        data_rows = (number for number, values in enumerate(excel_rows(path), start=1)
                     if number > 1 and any(excel_text(value) for value in values))
        return f"row {next(itertools.islice(data_rows, row, None), row + 2)}"
    if fmt != "parquet":
        found = records(path, fmt, options)
        if fmt != "jsonl":
            next(found, None)                          # the header
        try:
            for index, (line, _) in enumerate(found):
                if index == row:
                    return f"line {line}"
        except csv.Error:
            pass
    return f"row {row + 1}"


def arrow_error(path: Path, fmt: str, options: ReadOptions, error: Exception) -> CustomerSentimentError:
    message = " ".join(str(error).split())                   # Arrow's messages span lines
    if fmt in ("parquet", "excel"):
        kind = "Parquet file" if fmt == "parquet" else "Excel workbook"
        return CustomerSentimentError(f"{path} is not a readable {kind} ({message})",
                                      fix="Write it again with pandas or pyarrow." if fmt == "parquet" else
                                      "Save it again from the spreadsheet, or as CSV.")
    if "invalid UTF8" in message or "decode" in message.lower():
        return encoding_error(path, options, error)
    if "straddling" in message:                       # a row longer than Arrow's block
        return too_long_error(path, _longest_record(path, fmt, options), options, "a row")
    if "Empty CSV file" in message:
        return CustomerSentimentError(f"{path} has no header row", expected="column names on line 1",
                                      fix="Export the reviews again.")
    if re.search(r"Expected \d+ columns, got \d+", message):
        return malformed_error(path, fmt, options, error)
    return CustomerSentimentError(f"Cannot read {path}: {message}", fix=_EXPORT_AGAIN)


def too_long_error(path: Path, where: str | None, options: ReadOptions, what: str) -> CustomerSentimentError:
    """A review (or row) over the size limit, named by its line where it was found."""
    fix = "Pass --max-review-mb with a larger size if the review is real"
    if file_format(path) in ("csv", "tsv"):
        fix += ", or fix the row (an unclosed quote makes one long field of the rest of the file)"
    return CustomerSentimentError(f"{path}{f', {where}' if where else ''}: {what} is longer than the longest review "
                                  f"accepted ({options.max_review_mb:g} MB)", fix=fix + ".")


def _longest_record(path: Path, fmt: str, options: ReadOptions) -> str | None:
    """'line N' of the first record over the size limit; None where none is found."""
    try:
        for line, fields in records(path, fmt, options):
            if sum(len(field) for field in fields) > options.max_review_bytes:
                return f"line {line}"
    except csv.Error:
        pass
    return None


def encoding_error(path: Path, options: ReadOptions, error: Exception) -> CustomerSentimentError:
    encoding = file_encoding(path, options.encoding)
    fix = "Save the file as UTF-8, or pass --encoding with the file's encoding (e.g. latin-1)."
    if codecs.lookup(encoding).name.startswith(("utf-16", "utf-32")):     # no byte lines to name: say where
        where = f" (byte {error.start + 1} of a block)" if isinstance(error, UnicodeDecodeError) else ""
        return CustomerSentimentError(f"{path} is not valid {encoding}{where}: {error}", fix=fix)
    with open_binary(path) as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                raw.decode(bom_tolerant(encoding) if number == 1 else encoding)
            except UnicodeDecodeError as bad:
                byte = raw[bad.start:bad.start + 1].hex()
                return CustomerSentimentError(f"{path}, line {number}, byte {bad.start + 1}: 0x{byte} is not valid "
                                              f"{encoding}", fix=fix)
    return CustomerSentimentError(f"{path} is not valid {encoding} ({error})", fix=fix)


def malformed_error(path: Path, fmt: str, options: ReadOptions, error: Exception) -> CustomerSentimentError:
    dialect = detect_dialect(path, fmt, options.encoding, options.delimiter)
    found = records(path, fmt, options, dialect=dialect)
    _, header = next(found, (1, []))
    for line, fields in found:
        spans = sum(field.count("\n") for field in fields)
        if len(fields) < len(header) and spans > 1:
            return _open_quote_error(path, line, spans)
        if len(fields) != len(header):
            return CustomerSentimentError(f"{path}, line {line}", expected=f"{len(header)} fields separated by "
                                          f"{_NAMES.get(dialect.delimiter, repr(dialect.delimiter))}",
                                          found=str(len(fields)), fix=_field_count_fix(fmt, dialect, options))
    return CustomerSentimentError(f"{path} is not well-formed {fmt.upper()} ({error})",
                                  fix="Fix the row or export again.")


def unclosed_quote_error(path: Path, fmt: str, options: ReadOptions, dialect: Dialect) -> CustomerSentimentError | None:
    """The error for a quote opened in the last record and never closed (its last field then ends in a
    line break, which only a quoted field can hold at the end of a file); None if there is none."""
    last = collections.deque(records(path, fmt, options, dialect=dialect), maxlen=1)
    last = last[0] if last else None
    if last is None or not last[1] or not last[1][-1].endswith(("\n", "\r")):
        return None
    return _open_quote_error(path, last[0], sum(field.count("\n") for field in last[1]))


def _open_quote_error(path: Path, line: int, line_breaks: int) -> CustomerSentimentError:
    return CustomerSentimentError(f"{path}, line {line}: a quoted field opened here runs on past {line_breaks:,} line "
                                  f"break{'s' * (line_breaks != 1)}, to the end of the file",
                                  fix='Close the quote, or double each quote inside a quoted field ("").')


def _field_count_fix(fmt: str, dialect: Dialect, options: ReadOptions) -> str:
    if fmt == "tsv" and not dialect.quoted:
        return "Remove the extra tabs or line breaks in the row, or quote the field (\"...\") as spreadsheets do."
    if options.delimiter is None and dialect.delimiter == ",":
        return ("Put quotes around fields that contain a comma, or fix the row; if the file is separated by "
                "semicolons, pass --delimiter ';'.")
    return "Put quotes around fields that contain the delimiter or a line break, or fix the row."


def jsonl_error(path: Path, options: ReadOptions) -> CustomerSentimentError:
    fix = "Write one JSON object per line (pandas: to_json(orient='records', lines=True))."
    for number, line in records(path, "jsonl", options):
        try:
            value = json.loads(line)
        except json.JSONDecodeError as bad:
            return CustomerSentimentError(f"{path}, line {number}, column {bad.colno}", expected="a JSON object",
                                          found=f"invalid JSON ({bad.msg.lower().removesuffix(' at')})", fix=fix)
        except RecursionError:
            return CustomerSentimentError(f"{path}, line {number}", expected="a JSON object",
                                          found="values nested thousands deep", fix=fix)
        if not isinstance(value, dict):
            return CustomerSentimentError(f"{path}, line {number}", expected="a JSON object",
                                          found=type(value).__name__, fix=fix)
    return CustomerSentimentError(f"{path} is not valid JSON Lines", fix=fix)
