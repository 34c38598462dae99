"""Reading review files in chunks, with bounded memory: CSV, TSV, JSON Lines and Parquet.

Arrow's CSV reader is strict (a row with too few or too many fields is an error, which pandas
would pad silently) and keeps every cell a string as written: ids like 00123 keep their zeros.
Every problem with a file becomes a `CustomerSentimentError` naming the file, the line and the fix
(`diagnosis.py` finds the line).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from ..errors import CustomerSentimentError
from .diagnosis import arrow_error, encoding_error, jsonl_error, records
from .formats import bom_tolerant, check_encoding, file_format

CHUNK_ROWS = 50_000                   # rows read (and scored) at a time: bounds memory, keeps Arrow busy


def read_table(path: str | Path, encoding: str = "utf-8") -> pd.DataFrame:
    """The whole file as a DataFrame; CSV and TSV cells stay strings, exactly as written.

    The index is the 0-based data row; `diagnosis.row_location` turns it into a line number.
    """
    return next(iter_table_chunks(path, chunk_rows=None, encoding=encoding))


def iter_table_chunks(path: str | Path, chunk_rows: int | None = CHUNK_ROWS,
                      encoding: str = "utf-8") -> Iterator[pd.DataFrame]:
    """Stream a review file in chunks of `chunk_rows` rows (None: one chunk), with bounded memory.

    Each chunk's index continues the row numbering of the file. Raises a `CustomerSentimentError`
    for a missing, empty, header-only, non-UTF-8 or malformed file, or repeated column names.
    """
    path = Path(path)
    fmt = file_format(path)
    check_encoding(encoding)
    if not path.exists():
        raise CustomerSentimentError(f"Cannot read {path}: no such file", fix="Check the path.")
    if not path.is_file():                # a folder, a FIFO or a device: never opened, so never a hang
        raise CustomerSentimentError(f"Cannot read {path}: it is not a regular file", expected="a file of reviews",
                                     fix="Pass the path of a file (save a stream to a file first).")
    if path.stat().st_size == 0:
        raise CustomerSentimentError(f"{path} is empty", expected="a header row and at least one review",
                                     fix="Export the reviews again.")
    readers = {"csv": _csv_chunks, "tsv": _csv_chunks, "jsonl": _jsonl_chunks, "parquet": _parquet_chunks}
    rows = 0
    try:
        for chunk in readers[fmt](path, fmt, chunk_rows, encoding):
            check_unique_columns(path, list(chunk.columns))
            chunk.index = pd.RangeIndex(rows, rows + len(chunk))
            rows += len(chunk)
            if len(chunk):
                yield chunk
    except UnicodeError as error:
        raise encoding_error(path, encoding, error) from None
    except (pa.ArrowException, OSError, EOFError) as error:
        raise arrow_error(path, fmt, encoding, error) from None
    if rows == 0:
        raise CustomerSentimentError(f"{path} has a header but no rows", expected="at least one review",
                                     fix="Check that the export is complete.")


def parquet_rows(path: str | Path) -> int | None:
    """The number of rows of a Parquet file, from its footer (no data read); None for other formats."""
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


def _csv_chunks(path: Path, fmt: str, chunk_rows: int | None, encoding: str) -> Iterator[pd.DataFrame]:
    # TSV has no quoting: a " is text, and a field cannot hold a tab or a line break.
    names = next((fields for _, fields in records(path, fmt, encoding, errors="strict")), [])
    check_unique_columns(path, names)
    parse = (pa_csv.ParseOptions(delimiter=",", newlines_in_values=True) if fmt == "csv"
             else pa_csv.ParseOptions(delimiter="\t", quote_char=False))
    convert = pa_csv.ConvertOptions(column_types={name: pa.string() for name in names},
                                    strings_can_be_null=False, quoted_strings_can_be_null=False)
    reader = pa_csv.open_csv(path, read_options=pa_csv.ReadOptions(encoding=encoding, block_size=1 << 22),
                             parse_options=parse, convert_options=convert)
    yield from _rechunk(reader, reader.schema, chunk_rows)


def _jsonl_chunks(path: Path, fmt: str, chunk_rows: int | None, encoding: str) -> Iterator[pd.DataFrame]:
    # Arrow-backed columns keep integers integers when a value is missing (no 1 -> 1.0).
    options = dict(lines=True, dtype=False, dtype_backend="pyarrow", encoding=bom_tolerant(encoding),
                   encoding_errors="strict")
    try:
        if chunk_rows is None:
            yield pd.read_json(path, **options)
            return
        with pd.read_json(path, chunksize=chunk_rows, **options) as reader:
            yield from reader
    except (ValueError, TypeError) as error:
        if isinstance(error, UnicodeError):
            raise
        raise jsonl_error(path, encoding) from None


def _parquet_chunks(path: Path, fmt: str, chunk_rows: int | None, encoding: str) -> Iterator[pd.DataFrame]:
    parquet = pq.ParquetFile(path)
    batches = [parquet.read()] if chunk_rows is None else parquet.iter_batches(batch_size=chunk_rows)
    for batch in batches:
        yield batch.to_pandas(types_mapper=pd.ArrowDtype)


def _rechunk(batches, schema: pa.Schema, chunk_rows: int | None) -> Iterator[pd.DataFrame]:
    """Record batches of any size -> DataFrames of exactly chunk_rows rows (the last one smaller)."""
    pending: list[pa.RecordBatch] = []
    count = 0
    for batch in batches:
        pending.append(batch)
        count += batch.num_rows
        while chunk_rows and count >= chunk_rows:
            table = pa.Table.from_batches(pending, schema=schema)
            yield table.slice(0, chunk_rows).to_pandas()
            rest = table.slice(chunk_rows)
            pending, count = rest.to_batches(), rest.num_rows
    if count or chunk_rows is None:
        yield pa.Table.from_batches(pending, schema=schema).to_pandas()
