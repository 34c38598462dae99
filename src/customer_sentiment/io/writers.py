"""Writing output atomically: a temporary file in the same folder, flushed to disk, then renamed.

A run that fails or is interrupted leaves no partial output behind, and an existing file at the
destination is replaced only by a complete one. `atomic_path` is the one way this package writes
a file: tables, JSON, checkpoints, run records and model directories all go through it.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import glob
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import CustomerSentimentError
from .formats import FORMATS

TABLE_SUFFIXES = tuple(sorted(suffix for suffix, fmt in FORMATS.items() if fmt != "excel"))   # what we write


def check_output_path(path: str | Path, suffixes: tuple[str, ...] | None = None) -> Path:
    """Fail early, before any work, if `path` cannot be written: a missing folder, a directory, a wrong suffix."""
    path = Path(path)
    if suffixes and path.suffix.lower() not in suffixes:
        tables = ".parquet" in suffixes
        example = "scored.parquet" if tables else f"report{suffixes[0]}"
        raise CustomerSentimentError(f"Cannot write {path}", expected=f"a name ending in {', '.join(suffixes)}"
                                     + (" (uncompressed; Parquet compresses itself)" if tables else ""),
                                     fix=f"Pass another output name, e.g. {example}.")
    if path.is_dir():
        raise CustomerSentimentError(f"Cannot write {path}: it is a directory", fix="Pass a file name.")
    if not path.parent.is_dir():
        raise CustomerSentimentError(f"Cannot write {path}: the folder {path.parent} does not exist",
                                     fix="Create it first.")
    if not os.access(path.parent, os.W_OK):
        raise CustomerSentimentError(f"Cannot write {path}: no permission to write in {path.parent}",
                                     fix="Choose a folder you can write to.")
    return path


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; when the block succeeds, fsync it and rename it to `path`
    (then fsync the folder, so the rename survives a power cut); if the block fails, delete it."""
    path = check_output_path(path)
    try:
        remove_stale(path)
        handle, temporary = tempfile.mkstemp(prefix=staging_prefix(path), suffix=".partial", dir=path.parent)
    except OSError as error:
        raise CustomerSentimentError(f"Cannot write {path}: {error.strerror}",
                                     fix="Check the folder's permissions and free space.") from None
    os.close(handle)
    temporary = Path(temporary)
    try:
        try:
            yield temporary
        except OSError as error:           # a full disk says no file name: name the output being written
            if error.filename is None and error.errno is not None:
                raise OSError(error.errno, error.strerror, str(path)) from error
            raise
        publish(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def publish(temporary: Path, path: Path) -> None:
    """Put the complete file `temporary` at `path` in one step: fsync it, give it the user's usual mode,
    rename it, and fsync the folder, so that the rename survives a power cut."""
    fsync(temporary)
    os.chmod(temporary, 0o666 & ~_umask())
    os.replace(temporary, path)
    fsync(path.parent)


def staging_prefix(path: Path) -> str:
    """The name a temporary file or folder for `path` starts with: hidden, and marked with this process."""
    return f".{path.name}.{os.getpid()}."


def remove_stale(path: Path) -> None:
    """Delete temporary files and folders a killed process left beside `path` (its process is gone)."""
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*.partial"):
        pid = stale.name[len(path.name) + 2:].split(".", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True) if stale.is_dir() else stale.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:              # another user's process
        return True
    return True


def fsync(path: Path) -> None:
    """Flush a file's (or a folder's) contents to disk."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def replace_directory(staging: Path, path: Path) -> None:
    """Put the complete directory `staging` at `path`, so that a directory that reads stands at `path` at
    every instant: an existing one is swapped out in one atomic step where the system has one (Linux's
    renameat2 with RENAME_EXCHANGE); elsewhere it is first renamed to `.NAME.previous`, which
    `recover_directory` puts back if the process died before the new one was in place."""
    os.chmod(staging, 0o777 & ~_umask())            # mkdtemp makes 0700; outputs get the user's usual mode
    if path.exists() and _exchange(staging, path):
        shutil.rmtree(staging, ignore_errors=True)  # it now holds the old directory
    else:
        previous = path.with_name(f".{path.name}.previous")
        shutil.rmtree(previous, ignore_errors=True)
        if path.exists():
            path.rename(previous)
        staging.rename(path)
        shutil.rmtree(previous, ignore_errors=True)
    fsync(path.parent)


def recover_directory(path: Path) -> None:
    """Put back the directory a replacement moved aside, if the process died before the new one arrived."""
    previous = path.with_name(f".{path.name}.previous")
    if not path.exists() and previous.is_dir():
        previous.rename(path)


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False where the system cannot."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    here, exchange = -100, 2                                   # AT_FDCWD, RENAME_EXCHANGE
    if renameat2(here, os.fsencode(first), here, os.fsencode(second), exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):  # a file system or kernel without it
        return False
    raise OSError(code, os.strerror(code), str(second))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes(path: str | Path, data: bytes) -> None:
    with atomic_path(path) as temporary:
        temporary.write_bytes(data)


def write_text(path: str | Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_json(path: str | Path, value: object, indent: int | None = 2) -> None:
    """Write JSON atomically, indented for people to read."""
    write_text(path, json.dumps(value, indent=indent, ensure_ascii=False) + "\n")


@contextlib.contextmanager
def table_writer(path: str | Path) -> Iterator[Callable[[pd.DataFrame], None]]:
    """Yield `write(chunk)`, which appends DataFrame chunks to a CSV, TSV, JSON Lines or Parquet file
    (by extension); the file appears at `path` only when the block completes.

    CSV and TSV are written as pandas and spreadsheets write them (a field holding the delimiter, a
    quote or a line break is quoted), with \r\n line ends, so that a lone \r in a review is quoted too
    and the file reads back, here and in pandas, as exactly the rows written.
    """
    path = check_output_path(path, TABLE_SUFFIXES)
    fmt = FORMATS[path.suffix.lower()]
    with atomic_path(path) as temporary, contextlib.ExitStack() as stack:
        if fmt == "parquet":
            yield _parquet_appender(path, temporary, stack)
            return
        handle = stack.enter_context(open(temporary, "w", encoding="utf-8", newline=""))
        first = [True]

        def write(chunk: pd.DataFrame) -> None:
            handle.write(chunk_text(chunk, fmt, header=first[0]))
            first[0] = False

        yield write


def chunk_text(chunk: pd.DataFrame, fmt: str, header: bool) -> str:
    """A chunk of rows as CSV or TSV (`header`: with the column names first) or JSON Lines text."""
    if fmt == "jsonl":
        return chunk.to_json(orient="records", lines=True, force_ascii=False, double_precision=15).rstrip("\n") + "\n"
    # RFC 4180 line ends, so that a field holding any \r or \n is quoted
    return chunk.to_csv(index=False, header=header, sep="\t" if fmt == "tsv" else ",", lineterminator="\r\n")


def arrow_chunk(chunk: pd.DataFrame, path: Path, schema: pa.Schema | None = None) -> pa.Table:
    """A chunk of rows as one contiguous Arrow table of `schema` (None: the chunk's own, a column with no
    values yet made text), as a Parquet file takes it; a type that cannot be kept is a user error."""
    try:
        table = pa.Table.from_pandas(chunk, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as error:
        raise CustomerSentimentError(f"Cannot write {path}: a column mixes kinds of values "
                                     f"({'; '.join(map(str, error.args))})",
                                     fix="Keep only text columns (--keep-columns), or write CSV or JSON Lines "
                                         "output.") from None
    if schema is None:
        schema = pa.schema([f.with_type(pa.string()) if pa.types.is_null(f.type) else f for f in table.schema])
    try:
        table = table.cast(schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as error:
        raise CustomerSentimentError(f"Cannot write {path}: a column changes type from one chunk of rows to the "
                                     f"next ({error})",
                                     fix="Give the column one type in the input, or write CSV output.") from None
    return table.combine_chunks()       # one array per column: the file's pages do not depend on how it was held


def _parquet_appender(path: Path, temporary: Path, stack: contextlib.ExitStack) -> Callable[[pd.DataFrame], None]:
    state: dict = {}

    def write(chunk: pd.DataFrame) -> None:
        table = arrow_chunk(chunk, path, state["writer"].schema if "writer" in state else None)
        if "writer" not in state:
            state["writer"] = stack.enter_context(pq.ParquetWriter(temporary, table.schema))
        state["writer"].write_table(table)

    return write
