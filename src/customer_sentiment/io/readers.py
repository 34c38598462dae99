"""Reading review files in chunks, with bounded memory: CSV, TSV, JSON Lines, Parquet and Excel.

Arrow's CSV reader is strict (a row with too few or too many fields is an error, which pandas
would pad silently) and keeps every cell a string as written: ids like 00123 keep their zeros.
Every problem with a file becomes a `CustomerSentimentError` naming the file, the line and the fix
(`diagnosis.py` finds the line).
"""

from __future__ import annotations

import contextlib
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from ..errors import CustomerSentimentError
from .decoding import Utf8Stream, file_encoding, native_source, raise_deferred, restore_text
from .diagnosis import (
    arrow_error,
    encoding_error,
    jsonl_error,
    records,
    row_location,
    too_long_error,
    unclosed_quote_error,
)
from .dialect import detect_dialect
from .excel import excel_rows, excel_text
from .formats import file_format, is_database_url, open_text
from .options import ReadOptions, read_options

CHUNK_ROWS = 50_000                   # rows read (and scored) at a time: bounds memory, keeps Arrow busy
CHUNK_BYTES = 4 << 20                 # ...and at most this much text: memory stays flat however long the rows


def read_table(path: str | Path, options: ReadOptions | str | None = None) -> pd.DataFrame:
    """The whole file as a DataFrame; CSV and TSV cells stay strings, exactly as written.

    `options` are `ReadOptions` (or an encoding name). The index is the 0-based data row;
    `diagnosis.row_location` turns it into a line number.
    """
    (table,) = iter_table_chunks(path, chunk_rows=None, options=options)     # to the end: checks run there
    return table


def iter_table_chunks(path: str | Path, chunk_rows: int | None = CHUNK_ROWS,
                      options: ReadOptions | str | None = None) -> Iterator[pd.DataFrame]:
    """Stream a review file in chunks of `chunk_rows` rows (None: one chunk), and of at most
    `CHUNK_BYTES` of data, so memory stays bounded however long the rows are.

    Each chunk's index continues the row numbering of the file. Raises a `CustomerSentimentError`
    for a missing, empty, header-only, badly encoded or malformed file, repeated column names, or
    a review longer than `options.max_review_mb`. A database URL (with `options.table` or
    `options.query`) is read by `sql.iter_sql_chunks`, in the same chunks.
    """
    options = read_options(options)
    if is_database_url(path):
        from .sql import iter_sql_chunks

        yield from iter_sql_chunks(path, chunk_rows, options)
        return
    if options.table or options.query:
        raise CustomerSentimentError(f"--{'table' if options.table else 'query'} reads a database, and {path} is a file",
                                     fix="Pass a database URL (sqlite:///reviews.db, postgresql+psycopg://user@host/db) "
                                         "as the data, or leave the option out.")
    path = Path(path)
    fmt = file_format(path)
    check_readable(path)
    readers = {"csv": _csv_chunks, "tsv": _csv_chunks, "jsonl": _jsonl_chunks, "parquet": _parquet_chunks,
               "excel": _excel_chunks}
    rows = 0
    try:
        for chunk in readers[fmt](path, fmt, chunk_rows, options):
            if isinstance(chunk, pa.Table):
                check_review_sizes(chunk, path, rows, options)
                chunk = chunk.to_pandas(types_mapper=pd.ArrowDtype if fmt == "parquet" else None)
            check_unique_columns(path, list(chunk.columns))
            chunk.index = pd.RangeIndex(rows, rows + len(chunk))
            rows += len(chunk)
            if len(chunk):
                yield chunk
    except UnicodeError as error:
        raise encoding_error(path, options, error) from None
    except (pa.ArrowException, OSError, EOFError, zipfile.BadZipFile) as error:
        raise arrow_error(path, fmt, options, error) from None
    if rows == 0:
        raise CustomerSentimentError(f"{path} has a header but no rows", expected="at least one review",
                                     fix="Check that the export is complete.")


def check_readable(path: Path) -> None:
    """Refuse a missing, empty or non-regular file before opening it (a FIFO would hang)."""
    if not path.exists():
        raise CustomerSentimentError(f"Cannot read {path}: no such file", fix="Check the path.")
    if not path.is_file():                # a folder, a FIFO or a device: never opened, so never a hang
        raise CustomerSentimentError(f"Cannot read {path}: it is not a regular file", expected="a file of reviews",
                                     fix="Pass the path of a file (save a stream to a file first).")
    if path.stat().st_size == 0:
        raise CustomerSentimentError(f"{path} is empty", expected="a header row and at least one review",
                                     fix="Export the reviews again.")


def check_review_sizes(table: pa.Table, path: Path, first_row: int, options: ReadOptions) -> None:
    """Refuse a text cell longer than `options.max_review_mb`, naming its line and column."""
    for name, column in zip(table.column_names, table.columns, strict=True):
        if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)) or not len(column):
            continue
        lengths = pc.binary_length(column)
        if (pc.max(lengths).as_py() or 0) > options.max_review_bytes:
            row = first_row + pc.index(pc.greater(lengths, options.max_review_bytes), True).as_py()
            raise too_long_error(path, row_location(path, row, options), options, f"column '{name}'")


def parquet_rows(path: str | Path) -> int | None:
    """The number of rows of a Parquet file, from its footer (no data read); None for other formats."""
    if is_database_url(path):
        return None
    try:
        return pq.ParquetFile(path).metadata.num_rows if file_format(path) == "parquet" else None
    except (OSError, pa.ArrowException):
        return None


def check_unique_columns(path: Path, names: list) -> None:
    repeated = sorted({str(name) for name in names if names.count(name) > 1})
    if repeated:
        raise CustomerSentimentError(f"{path} has more than one column named {', '.join(map(repr, repeated))}",
                                     expected="unique column names", fix="Rename the repeated columns in the header.")


def require_columns(frame: pd.DataFrame, path: str | Path, wanted: dict[str, str]) -> None:
    """Check that each wanted column exists; `wanted` maps column name -> the option that named it."""
    found = [str(column) for column in frame.columns]
    for column, option in wanted.items():
        if column not in found:
            raise CustomerSentimentError(f"Column '{column}' not found in {path}", found=str(found),
                                         fix=f"Pass {option} with one of those.")


def _csv_chunks(path: Path, fmt: str, chunk_rows: int | None, options: ReadOptions) -> Iterator[pa.Table]:
    dialect = detect_dialect(path, fmt, options.encoding, options.delimiter)
    names = next((fields for _, fields in records(path, fmt, options, errors="strict", dialect=dialect)), [])
    check_unique_columns(path, names)
    parse = pa_csv.ParseOptions(delimiter=dialect.delimiter, quote_char='"' if dialect.quoted else False,
                                newlines_in_values=dialect.quoted)
    convert = pa_csv.ConvertOptions(column_types={name: pa.string() for name in names},
                                    strings_can_be_null=False, quoted_strings_can_be_null=False)
    # A row must fit in one block: blocks hold the longest review allowed, and a little more. One
    # thread: parsing is not the bottleneck (scoring is), and no blocks are read ahead into memory.
    read = pa_csv.ReadOptions(block_size=max(1 << 22, options.max_review_bytes + (1 << 20)), use_threads=False)
    native, quotes = native_source(path, options.encoding, keep_cr=not dialect.cr_lines)
    with contextlib.ExitStack() as stack:
        stream = None if native else stack.enter_context(
            Utf8Stream(path, options.encoding, keep_cr=not dialect.cr_lines, for_arrow=True))
        reader = pa_csv.open_csv(native or stream, read_options=read, parse_options=parse, convert_options=convert)
        raise_deferred()
        try:
            for table in _rechunk(reader, reader.schema, chunk_rows):
                raise_deferred()
                yield restore_text(table) if stream and stream.stand_ins else table
            raise_deferred()
        finally:               # a reader left open on a Python stream aborts the interpreter at exit
            reader.close()
    quotes = quotes if native else stream.quotes
    if dialect.quoted and quotes % 2:                 # Arrow ends a quote left open at the end of the file
        error = unclosed_quote_error(path, fmt, options, dialect)
        if error:
            raise error


def _jsonl_chunks(path: Path, fmt: str, chunk_rows: int | None, options: ReadOptions) -> Iterator[pd.DataFrame]:
    """Lines gathered up to chunk_rows rows or CHUNK_BYTES, each batch parsed by pandas. Arrow-backed
    columns keep integers integers when a value is missing (no 1 -> 1.0)."""
    limit = options.max_review_bytes + (64 << 10)          # the review and the other fields of its line
    lines: list[str] = []
    size = 0
    with open_text(path, file_encoding(path, options.encoding), errors="strict", newline=None) as handle:
        for number, line in enumerate(iter(lambda: handle.readline(limit + 1), ""), start=1):
            if len(line) > limit:
                raise too_long_error(path, f"line {number}", options, "the line")
            lines.append(line)
            size += len(line)
            if chunk_rows is not None and (len(lines) >= chunk_rows or size >= CHUNK_BYTES):
                yield _parse_jsonl(path, lines, options)
                lines, size = [], 0
    if lines or chunk_rows is None:
        yield _parse_jsonl(path, lines, options)


def _parse_jsonl(path: Path, lines: list[str], options: ReadOptions) -> pd.DataFrame:
    lines = [line for line in lines if line.strip()]
    if not lines:
        return pd.DataFrame()
    if any(not line.lstrip().startswith("{") for line in lines):
        raise jsonl_error(path, options)                     # names the first line that is not an object
    text = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
    try:
        return pd.read_json(io.StringIO(text), lines=True, dtype=False, dtype_backend="pyarrow")
    except (ValueError, TypeError):
        pass
    try:                  # what pandas' parser cannot hold (an integer of 30 digits, say) Python's json can
        return pd.DataFrame.from_records([json.loads(line) for line in lines])
    except (ValueError, TypeError, RecursionError):
        raise jsonl_error(path, options) from None


def _excel_chunks(path: Path, fmt: str, chunk_rows: int | None, options: ReadOptions) -> Iterator[pa.Table]:
    """The first sheet of an .xlsx workbook, streamed (openpyxl's read-only mode); every cell becomes
    the text it shows, as with CSV, so ids and ratings read the same way."""
    rows = excel_rows(path)
    names = [excel_text(value) or f"column_{i + 1}" for i, value in enumerate(next(rows, ()))]
    check_unique_columns(path, names)
    batch: list[list] = []
    size = 0
    for values in rows:
        cells = [excel_text(value) for value in values[:len(names)]]
        if not any(cells):
            continue                                        # blank rows: spreadsheets keep many
        batch.append(cells + [None] * (len(names) - len(cells)))
        size += sum(len(cell) for cell in cells if cell)
        if chunk_rows is not None and (len(batch) >= chunk_rows or size >= CHUNK_BYTES):
            yield _text_table(names, batch)
            batch, size = [], 0
    if batch or chunk_rows is None:
        yield _text_table(names, batch)


def _text_table(names: list[str], rows: list[list]) -> pa.Table:
    """Cells as text columns; an empty cell is "", as in a CSV file."""
    return pa.table({name: pa.array([row[i] or "" for row in rows], type=pa.string()) for i, name in enumerate(names)})


def _parquet_chunks(path: Path, fmt: str, chunk_rows: int | None, options: ReadOptions) -> Iterator[pa.Table]:
    # No pre-buffering: with it, reading in batches held memory that grew with the file (1M to 5M
    # rows: 251 to 488 MB peak; without, 198 to 214 MB).
    parquet = pq.ParquetFile(path, pre_buffer=False)
    if chunk_rows is None:
        yield parquet.read()
        return
    meta = parquet.metadata
    row_bytes = max(1, sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
                    // max(meta.num_rows, 1))
    batches = parquet.iter_batches(batch_size=max(1, min(chunk_rows, CHUNK_BYTES // row_bytes)))
    yield from _rechunk(batches, parquet.schema_arrow, chunk_rows)     # the estimate misses dictionary encoding


def _rechunk(batches, schema: pa.Schema, chunk_rows: int | None) -> Iterator[pa.Table]:
    """Record batches of any size -> tables of exactly chunk_rows rows (the last one smaller), or
    fewer where the rows hold more than CHUNK_BYTES."""
    pending: list[pa.RecordBatch] = []
    count = size = 0
    for batch in batches:
        pending.append(batch)
        count, size = count + batch.num_rows, size + batch.nbytes
        while chunk_rows and count and (count >= chunk_rows or size >= CHUNK_BYTES):
            rows = min(chunk_rows, max(1, count * CHUNK_BYTES // max(size, 1)))
            table = pa.Table.from_batches(pending, schema=schema)
            yield table.slice(0, rows)
            rest = table.slice(rows)
            pending, count, size = rest.to_batches(), rest.num_rows, rest.nbytes
    if count or chunk_rows is None:
        yield pa.Table.from_batches(pending, schema=schema)
