"""Writing output files atomically: a temporary file in the same folder, renamed when complete.

A run that fails or is interrupted leaves no partial output behind, and an existing file at the
destination is replaced only by a complete one.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .data import COMPRESSIONS, FORMATS
from .errors import CustomerSentimentError


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it to `path` if the block succeeds, else delete it."""
    path = Path(path)
    if path.is_dir():
        raise CustomerSentimentError(f"{path} is a directory; pass a file name for the output.")
    if not path.parent.exists():
        raise CustomerSentimentError(f"Cannot write {path}: the folder {path.parent} does not exist. Create it first.")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    os.close(handle)
    temporary = Path(temporary)
    try:
        yield temporary
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_json(path: str | Path, value: object) -> None:
    """Write JSON atomically, indented for people to read."""
    with atomic_path(path) as temporary:
        temporary.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


class TableWriter:
    """Append DataFrame chunks to a CSV, TSV, JSON Lines or Parquet file chosen by extension.

    Use as a context manager: the file appears at `path` only when the block completes.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        suffix = self.path.suffix.lower()
        if suffix not in FORMATS or suffix in COMPRESSIONS:
            raise CustomerSentimentError(
                f"Cannot write {self.path}: expected one of {', '.join(sorted(set(FORMATS)))} "
                f"(uncompressed; Parquet compresses itself). Pass --output with such a name, e.g. scored.parquet.")
        self.format = FORMATS[suffix]
        self.rows = 0
        self._atomic = atomic_path(self.path)
        self._parquet: pq.ParquetWriter | None = None
        self._text = None

    def __enter__(self) -> TableWriter:
        self._temporary = self._atomic.__enter__()
        if self.format != "parquet":
            self._text = open(self._temporary, "w", encoding="utf-8", newline="")
        return self

    def write(self, chunk: pd.DataFrame) -> None:
        if self.format == "parquet":
            schema = self._parquet.schema if self._parquet else None
            table = pa.Table.from_pandas(chunk, preserve_index=False, schema=schema)
            if self._parquet is None:
                self._parquet = pq.ParquetWriter(self._temporary, table.schema)
            self._parquet.write_table(table)
        elif self.format == "jsonl":
            self._text.write(chunk.to_json(orient="records", lines=True, force_ascii=False, double_precision=15).rstrip("\n") + "\n")
        else:
            self._text.write(chunk.to_csv(index=False, header=self.rows == 0, sep="," if self.format == "csv" else "\t"))
        self.rows += len(chunk)

    def __exit__(self, kind, error, traceback) -> bool | None:
        try:
            for closable in (self._parquet, self._text):
                if closable is not None:
                    closable.close()
        except BaseException as close_error:
            self._atomic.__exit__(type(close_error), close_error, close_error.__traceback__)
            raise
        return self._atomic.__exit__(kind, error, traceback)
