"""Reading review files: formats, columns, star ratings to labels, cleaning, splits.

Every problem with a user's file becomes a `CustomerSentimentError` that names the file, the line
(or row, or column), what was expected and the fix. Rows that cannot be used (an empty review, a
missing label) are skipped and counted in `Reviews.skipped`, never dropped silently.
"""

from __future__ import annotations

import bz2
import codecs
import csv
import gzip
import hashlib
import html
import io
import json
import lzma
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from .errors import CustomerSentimentError

FORMATS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl",
           ".parquet": "parquet", ".pq": "parquet"}
COMPRESSIONS = (".gz", ".bz2", ".xz", ".zst")
_TAG = r"</?[A-Za-z][^>]*>"           # <br />, <p class="x">, </b>; not "I <3 it" or "a < b"
# Whitespace other than a single space: runs, tabs, line breaks, no-break and other Unicode spaces.
# (Replacing only these is 10x faster than replacing every \s+.)
_WS = r"\t\n\v\f\r\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}"
_ODD_WHITESPACE = f" [ {_WS}]+|[{_WS}][ {_WS}]*"
SKIP = "skip"                          # the rating-map label that drops a rating (binary mode drops 3)


# ----------------------------------------------------------------------------- files and formats

def file_format(path: str | Path) -> str:
    """The format of a review file, from its extension ('csv', 'tsv', 'jsonl' or 'parquet').

    >>> file_format("exports/reviews-2025.jsonl.gz")
    'jsonl'
    """
    name = Path(path).name.lower()
    for compression in COMPRESSIONS:
        name = name.removesuffix(compression)
    suffix = Path(name).suffix
    if suffix not in FORMATS:
        raise CustomerSentimentError(
            f"Cannot read {path}: unknown extension '{suffix or '(none)'}'; expected one of "
            f"{', '.join(sorted(set(FORMATS)))}. Export the reviews in one of those formats or rename the file.")
    return FORMATS[suffix]


def read_table(path: str | Path, encoding: str = "utf-8") -> pd.DataFrame:
    """The whole file as a DataFrame; CSV and TSV cells stay strings, exactly as written.

    The index is the 0-based data row; `row_location` turns it into a line number for messages.
    """
    return next(iter_table_chunks(path, chunk_rows=None, encoding=encoding))


def iter_table_chunks(path: str | Path, chunk_rows: int | None = 50_000,
                      encoding: str = "utf-8") -> Iterator[pd.DataFrame]:
    """Stream a review file in chunks of `chunk_rows` rows (None: one chunk), with bounded memory.

    Each chunk's index continues the row numbering of the file. Raises a `CustomerSentimentError`
    for a missing, empty, header-only, non-UTF-8 or malformed file, or repeated column names.
    """
    path = Path(path)
    fmt = file_format(path)
    check_encoding(encoding)
    if not path.is_file():
        raise CustomerSentimentError(f"Cannot read {path}: no such file. Check the path.")
    if path.stat().st_size == 0:
        raise CustomerSentimentError(
            f"{path} is empty: expected a header row and at least one review. Export the reviews again.")
    readers = {"csv": _csv_chunks, "tsv": _csv_chunks, "jsonl": _jsonl_chunks, "parquet": _parquet_chunks}
    rows = 0
    try:
        for chunk in readers[fmt](path, fmt, chunk_rows, encoding):
            _check_unique_columns(path, list(chunk.columns))
            chunk.index = pd.RangeIndex(rows, rows + len(chunk))
            rows += len(chunk)
            if len(chunk):
                yield chunk
    except UnicodeError as error:
        raise _encoding_error(path, encoding, error) from None
    except (pa.ArrowException, OSError, EOFError) as error:
        raise _arrow_error(path, fmt, encoding, error) from None
    if rows == 0:
        raise CustomerSentimentError(
            f"{path} has a header but no rows: expected at least one review. Check that the export is complete.")


def check_encoding(encoding: str) -> None:
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise CustomerSentimentError(
            f"Unknown encoding {encoding!r}; pass --encoding with a Python codec name such as utf-8 or latin-1.") from None


def _check_unique_columns(path: Path, names: list) -> None:
    repeated = sorted({str(name) for name in names if names.count(name) > 1})
    if repeated:
        raise CustomerSentimentError(
            f"{path} has more than one column named {', '.join(map(repr, repeated))}; expected unique column "
            f"names. Rename the repeated columns in the header.")


def _csv_chunks(path: Path, fmt: str, chunk_rows: int | None, encoding: str) -> Iterator[pd.DataFrame]:
    # Arrow's reader is strict (a row with too few or too many fields is an error, which pandas
    # would pad silently) and keeps every cell a string as written: ids like 00123 keep their zeros.
    # TSV has no quoting: a " is text, and a field cannot hold a tab or a line break.
    names = next((fields for _, fields in _records(path, fmt, encoding, errors="strict")), [])
    _check_unique_columns(path, names)
    parse = (pa_csv.ParseOptions(delimiter=",", newlines_in_values=True) if fmt == "csv"
             else pa_csv.ParseOptions(delimiter="\t", quote_char=False))
    convert = pa_csv.ConvertOptions(column_types={name: pa.string() for name in names},
                                    strings_can_be_null=False, quoted_strings_can_be_null=False)
    reader = pa_csv.open_csv(path, read_options=pa_csv.ReadOptions(encoding=encoding, block_size=1 << 22),
                             parse_options=parse, convert_options=convert)
    yield from _rechunk(reader, reader.schema, chunk_rows)


def _jsonl_chunks(path: Path, fmt: str, chunk_rows: int | None, encoding: str) -> Iterator[pd.DataFrame]:
    # Arrow-backed columns keep integers integers when a value is missing (no 1 -> 1.0).
    options = dict(lines=True, dtype=False, dtype_backend="pyarrow", encoding=_bom_tolerant(encoding),
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
        raise _jsonl_error(path, encoding) from None


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


def _bom_tolerant(encoding: str) -> str:
    return "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding


def _open_text(path: Path, encoding: str, errors: str = "replace") -> io.TextIOBase:
    """A (possibly compressed) text file, with line ends as written for the csv module."""
    return io.TextIOWrapper(_open_binary(path), encoding=_bom_tolerant(encoding), errors=errors, newline="")


def _open_binary(path: Path):
    openers = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
    suffix = path.suffix.lower()
    if suffix in openers:
        return openers[suffix](path, "rb")
    if suffix == ".zst":
        return pa.input_stream(str(path), compression="zstd")
    return open(path, "rb")


def _records(path: Path, fmt: str, encoding: str, errors: str = "replace") -> Iterator[tuple[int, object]]:
    """(first line, record) of each non-blank record: CSV/TSV fields (the header first) or a JSON line."""
    with _open_text(path, encoding, errors) as handle:
        if fmt == "jsonl":
            yield from ((number, line) for number, line in enumerate(handle, start=1) if line.strip())
            return
        dialect = {"delimiter": ","} if fmt == "csv" else {"delimiter": "\t", "quoting": csv.QUOTE_NONE}
        reader = csv.reader(handle, **dialect)
        start = 1
        for fields in reader:
            if fields:                                   # Arrow skips blank lines too
                yield start, fields
            start = reader.line_num + 1


def _arrow_error(path: Path, fmt: str, encoding: str, error: Exception) -> CustomerSentimentError:
    message = str(error)
    if fmt == "parquet":
        return CustomerSentimentError(
            f"{path} is not a readable Parquet file ({message}). Write it again with pandas or pyarrow.")
    if "invalid UTF8" in message or "decode" in message.lower():
        return _encoding_error(path, encoding, error)
    if "Empty CSV file" in message:
        return CustomerSentimentError(
            f"{path} has no header row: expected column names on line 1. Export the reviews again.")
    if re.search(r"Expected \d+ columns, got \d+", message):
        return _malformed_error(path, fmt, encoding, error)
    return CustomerSentimentError(f"Cannot read {path}: {message}. Check the file, or export it again.")


def _encoding_error(path: Path, encoding: str, error: Exception) -> CustomerSentimentError:
    with _open_binary(path) as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                raw.decode(_bom_tolerant(encoding) if number == 1 else encoding)
            except UnicodeDecodeError as bad:
                byte = raw[bad.start:bad.start + 1].hex()
                return CustomerSentimentError(
                    f"{path}, line {number}, byte {bad.start + 1}: 0x{byte} is not valid {encoding}. "
                    f"Save the file as UTF-8, or pass --encoding with the file's encoding (e.g. latin-1).")
    return CustomerSentimentError(f"{path} is not valid {encoding} ({error}). Save the file as UTF-8, or pass "
                                  f"--encoding with the file's encoding.")


def _malformed_error(path: Path, fmt: str, encoding: str, error: Exception) -> CustomerSentimentError:
    records = _records(path, fmt, encoding)
    _, header = next(records, (1, []))
    for line, fields in records:
        if len(fields) != len(header):
            fix = ("Put quotes around fields that contain a comma, or fix the row." if fmt == "csv" else
                   "Remove the extra tabs (TSV fields cannot hold tabs or line breaks), or fix the row.")
            return CustomerSentimentError(
                f"{path}, line {line}: expected {len(header)} fields, found {len(fields)}. {fix}")
    return CustomerSentimentError(f"{path} is not well-formed {fmt.upper()}: {error}. Fix the row or export again.")


def _jsonl_error(path: Path, encoding: str) -> CustomerSentimentError:
    for number, line in _records(path, "jsonl", encoding):
        try:
            value = json.loads(line)
        except json.JSONDecodeError as bad:
            return CustomerSentimentError(
                f"{path}, line {number}, column {bad.colno}: expected a JSON object, {bad.msg.lower()}. "
                f"Write one JSON object per line.")
        if not isinstance(value, dict):
            return CustomerSentimentError(
                f"{path}, line {number}: expected a JSON object, found {type(value).__name__}. "
                f"Write one JSON object per line.")
    return CustomerSentimentError(f"{path} is not valid JSON Lines. Write one JSON object per line.")


def estimate_rows(path: str | Path) -> int | None:
    """Rows in a file, for a progress bar: exact for Parquet, a line count for text files (cheap)."""
    path = Path(path)
    try:
        if file_format(path) == "parquet":
            return pq.ParquetFile(path).metadata.num_rows
        with _open_binary(path) as handle:
            lines = sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))
        return max(lines - (1 if file_format(path) != "jsonl" else 0), 1)
    except (OSError, EOFError, pa.ArrowException):
        return None


def row_location(path: str | Path, row: int, encoding: str = "utf-8") -> str:
    """Where data row `row` (0-based) starts: 'line N' for text files, 'row N' for Parquet.

    A CSV record can span lines (a quoted review with line breaks), so the file is read again.
    """
    path = Path(path)
    fmt = file_format(path)
    if fmt != "parquet":
        records = _records(path, fmt, encoding)
        if fmt != "jsonl":
            next(records, None)                          # the header
        for index, (line, _) in enumerate(records):
            if index == row:
                return f"line {line}"
    return f"row {row + 1}"


def require_columns(frame: pd.DataFrame, path: str | Path, wanted: dict[str, str]) -> None:
    """Check that each wanted column exists; `wanted` maps column name -> the option that named it."""
    found = [str(column) for column in frame.columns]
    for column, option in wanted.items():
        if column not in found:
            raise CustomerSentimentError(
                f"Column '{column}' not found in {path}; found {found}. Pass {option} with one of those.")


# ----------------------------------------------------------------------------- ratings to labels

@dataclass(frozen=True)
class RatingMap:
    """Star ratings to labels, as inclusive ranges: '1-2:negative,3:neutral,4-5:positive'.

    A range mapped to 'skip' drops those ratings (counted, not silently): '3:skip' is binary mode.

    >>> RatingMap.parse("1-2:negative,3:skip,4-5:positive").label_of(4.0)
    'positive'
    """

    rules: tuple[tuple[float, float, str], ...]

    @classmethod
    def default(cls, binary: bool = False) -> RatingMap:
        return cls.parse(f"1-2:negative,3:{SKIP if binary else 'neutral'},4-5:positive")

    @classmethod
    def parse(cls, spec: str) -> RatingMap:
        rules = []
        for part in filter(None, (p.strip() for p in spec.split(","))):
            number = r"(-?\d+(?:\.\d+)?)"
            match = re.fullmatch(rf"{number}(?:\s*-\s*{number})?\s*:\s*(.+)", part)
            if not match:
                raise CustomerSentimentError(
                    f"Rating map rule '{part}' is not of the form LOW-HIGH:LABEL or VALUE:LABEL; "
                    f"write e.g. --rating-map '1-2:negative,3:neutral,4-5:positive'.")
            low, high, label = match.group(1), match.group(2) or match.group(1), match.group(3).strip()
            rules.append((float(low), float(high), label))
        if not rules:
            raise CustomerSentimentError("The rating map is empty; write e.g. --rating-map '1-2:negative,4-5:positive'.")
        return cls(tuple(rules))

    def label_of(self, rating: float) -> str | None:
        """The label of a rating; None if the map skips it; KeyError if no rule covers it."""
        for low, high, label in self.rules:
            if low <= rating <= high:
                return None if label == SKIP else label
        raise KeyError(rating)

    @property
    def labels(self) -> list[str]:
        return list(dict.fromkeys(label for _, _, label in self.rules if label != SKIP))

    def __str__(self) -> str:
        def number(x: float) -> str:
            return f"{x:g}"
        return ",".join(f"{number(lo)}{'' if lo == hi else '-' + number(hi)}:{label}" for lo, hi, label in self.rules)


# ----------------------------------------------------------------------------- cleaning

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


def is_missing(value: object) -> bool:
    """None, NaN or pandas' NA: a cell with no value."""
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


# ----------------------------------------------------------------------------- reviews

@dataclass
class Reviews:
    """Review texts as written (the pipeline cleans them), their labels (if any), the rows they came
    from, and what was skipped."""

    texts: list[str]
    labels: list[str] | None
    frame: pd.DataFrame                 # the kept rows with all their columns; index = data row in the file
    source: str
    rows_read: int
    skipped: dict[str, int] = field(default_factory=dict)
    columns: dict = field(default_factory=dict)   # text_column, label_column, rating_column, rating_map

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def info(self) -> dict:
        """Where these reviews came from, as a model's config.json records it."""
        return {"file": self.source, **self.columns, "rows_read": self.rows_read, "skipped": self.skipped}

    def location(self, i: int) -> str:
        """'reviews.csv, line 17' for the i-th kept review, for error messages."""
        row = int(self.frame.index[i])
        try:
            return f"{self.source}, {row_location(self.source, row)}"
        except (CustomerSentimentError, OSError):
            return f"{self.source}, row {row + 1}"

    def subset(self, indices: Sequence[int] | np.ndarray) -> Reviews:
        indices = np.asarray(indices, dtype=np.int64)
        return Reviews([self.texts[i] for i in indices],
                       None if self.labels is None else [self.labels[i] for i in indices],
                       self.frame.iloc[indices], self.source, len(indices), {}, self.columns)


def read_reviews(path: str | Path, text_column: str, label_column: str | None = None,
                 rating_column: str | None = None, rating_map: RatingMap | None = None,
                 encoding: str = "utf-8") -> Reviews:
    """Read a review file; labels come from `label_column`, or from `rating_column` through `rating_map`.

    >>> reviews = read_reviews("sample_reviews.csv", "review", rating_column="rating")
    >>> reviews.labels[:2], reviews.skipped
    (['positive', 'positive'], {})
    """
    if label_column and rating_column:
        raise CustomerSentimentError("Pass either --label-column or --rating-column, not both.")
    frame = read_table(path, encoding)
    wanted = {text_column: "--text-column"}
    if label_column:
        wanted[label_column] = "--label-column"
    if rating_column:
        wanted[rating_column] = "--rating-column"
    require_columns(frame, path, wanted)
    rows_read = len(frame)
    keep = np.ones(rows_read, dtype=bool)
    skipped: dict[str, int] = {}

    labels = None
    if label_column:
        labels = _labels_from_column(frame[label_column])
        missing = np.array([label == "" for label in labels])
        _count(skipped, "no label", missing)
        keep &= ~missing
    elif rating_column:
        labels, dropped = _labels_from_ratings(frame[rating_column], rating_column, rating_map or RatingMap.default(),
                                               path, encoding)
        _count(skipped, "no rating", np.array([label == "" for label in labels]) & ~dropped)
        _count(skipped, "rating skipped by the rating map", dropped)
        keep &= ~dropped & np.array([label != "" for label in labels])

    raw = ["" if is_missing(value) else str(value) for value in frame[text_column].tolist()]
    empty = np.array([not text for text in clean_texts(raw).to_pylist()], dtype=bool) & keep
    _count(skipped, "empty review text", empty)
    keep &= ~empty

    kept = np.flatnonzero(keep)
    if len(kept) == 0:
        reasons = "; ".join(f"{reason}: {count:,}" for reason, count in skipped.items())
        raise CustomerSentimentError(
            f"None of the {rows_read:,} rows of {path} has both a review text and a label ({reasons}). "
            f"Check --text-column and the label or rating column.")
    columns = {"text_column": text_column, "label_column": label_column, "rating_column": rating_column,
               "rating_map": str(rating_map or RatingMap.default()) if rating_column else None}
    return Reviews([raw[i] for i in kept], None if labels is None else [labels[i] for i in kept],
                   frame.iloc[kept], str(path), rows_read, skipped, columns)


def _count(skipped: dict[str, int], reason: str, mask: np.ndarray) -> None:
    if mask.any():
        skipped[reason] = skipped.get(reason, 0) + int(mask.sum())


def _labels_from_column(column: pd.Series) -> list[str]:
    return ["" if is_missing(value) else str(value).strip() for value in column.tolist()]


def _labels_from_ratings(column: pd.Series, name: str, rating_map: RatingMap, path: str | Path,
                         encoding: str) -> tuple[list[str], np.ndarray]:
    labels, dropped = [], np.zeros(len(column), dtype=bool)
    for i, value in enumerate(column.tolist()):
        text = "" if is_missing(value) else str(value).strip()
        if not text:
            labels.append("")
            continue
        try:
            rating = float(text)
        except ValueError:
            raise CustomerSentimentError(
                f"{path}, {row_location(path, i, encoding)}: rating '{text}' in column '{name}' is not a number; "
                f"expected a star rating covered by the rating map {rating_map}. Fix the row, or pass "
                f"--label-column if the column holds labels.") from None
        try:
            label = rating_map.label_of(rating)
        except KeyError:
            raise CustomerSentimentError(
                f"{path}, {row_location(path, i, encoding)}: rating {text} in column '{name}' is outside the "
                f"rating map {rating_map}. Fix the row, or pass --rating-map with a rule for {text}.") from None
        if label is None:
            dropped[i] = True
            labels.append("")
        else:
            labels.append(label)
    return labels, dropped


# ----------------------------------------------------------------------------- splits and fingerprints

def split_indices(labels: Sequence[str], fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Stratified (train, held-out) index arrays, the held-out part `fraction` of the rows.

    Classes too small to stratify fall back to a plain shuffled split.
    """
    from sklearn.model_selection import train_test_split

    total = len(labels)
    held_out_size = math.ceil(fraction * total)
    if not 1 <= held_out_size < total:
        raise CustomerSentimentError(
            f"Holding out {fraction:g} of {total:,} reviews leaves {total - held_out_size:,} to train on and "
            f"{held_out_size:,} to check; both need at least one. Use more reviews or another fraction "
            f"(--validation-fraction, 0 for none).")
    counts = pd.Series(labels).value_counts()
    enough = counts.min() >= 2 and len(counts) <= min(held_out_size, total - held_out_size)
    train, held_out = train_test_split(np.arange(total), test_size=held_out_size, random_state=seed,
                                       stratify=labels if enough else None)
    return np.sort(train), np.sort(held_out)


def fingerprint(texts: Sequence[str], labels: Sequence[str] | None = None) -> str:
    """sha256 of the texts and labels a model was trained on, to record in its config."""
    digest = hashlib.sha256()
    for i, text in enumerate(texts):
        digest.update(text.encode("utf-8"))
        digest.update(b"\x1f" + (labels[i].encode("utf-8") if labels is not None else b"") + b"\x1e")
    return "sha256:" + digest.hexdigest()
