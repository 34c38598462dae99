"""Review file formats: which format a name means (a database URL is none: io/sql.py reads it), and
opening (possibly compressed) files."""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import lzma
import re
from pathlib import Path

import pyarrow as pa

from ..errors import CustomerSentimentError

FORMATS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl",
           ".parquet": "parquet", ".pq": "parquet", ".xlsx": "excel", ".xlsm": "excel"}
COMPRESSIONS = (".gz", ".bz2", ".xz", ".zst")
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+://")


def is_database_url(source: object) -> bool:
    """Whether `source` names a database (a SQLAlchemy URL) rather than a file.

    >>> is_database_url("postgresql+psycopg://shop@db/reviews"), is_database_url("exports/reviews.csv")
    (True, False)
    """
    return isinstance(source, str) and bool(_URL.match(source))


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
            f"Cannot read {path}: unknown extension '{suffix or '(none)'}'",
            expected=f"one of {', '.join(sorted(set(FORMATS)))}",
            fix="Export the reviews in one of those formats or rename the file.")
    if FORMATS[suffix] in ("excel", "parquet") and name != Path(path).name.lower():
        kind = "an Excel workbook" if FORMATS[suffix] == "excel" else "a Parquet file"
        raise CustomerSentimentError(f"Cannot read {path}: {kind} is compressed already, inside",
                                     fix="Decompress it first.")
    return FORMATS[suffix]


NOT_TEXT = {"unicode-escape", "raw-unicode-escape", "unicode_escape", "raw_unicode_escape"}


def check_encoding(encoding: str) -> None:
    """A text encoding Python knows; not a bytes-to-bytes codec (hex, base64, zlib) nor an escape codec."""
    try:
        info = codecs.lookup(encoding)
    except (LookupError, ValueError, TypeError):            # ValueError: a NUL in the name
        info = None
    if info is None or not getattr(info, "_is_text_encoding", True) or info.name in NOT_TEXT:
        raise CustomerSentimentError(f"Unknown encoding {encoding!r}", expected="a text encoding",
                                     fix="Pass --encoding with a Python codec name such as utf-8 or latin-1.")


def bom_tolerant(encoding: str) -> str:
    return "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding


def open_text(path: Path, encoding: str, errors: str = "replace", newline: str | None = "") -> io.TextIOBase:
    """A (possibly compressed) text file; by default with line ends as written, for the csv module."""
    return io.TextIOWrapper(open_binary(path), encoding=bom_tolerant(encoding), errors=errors, newline=newline)


def open_binary(path: Path):
    openers = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
    suffix = path.suffix.lower()
    if suffix in openers:
        return openers[suffix](path, "rb")
    if suffix == ".zst":
        return pa.input_stream(str(path), compression="zstd")
    return open(path, "rb")
