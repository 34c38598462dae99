"""A scored file that survives a crash: built chunk by chunk in a staging folder beside it, each chunk
committed (its data fsynced, then a progress record written atomically), so that a run killed at any
instant continues from its last committed chunk (`predict --resume`) and still writes the file an
uninterrupted run writes, byte for byte.

The staging folder of `scored.csv` is `.scored.csv.resume`: hidden, named by the output alone so that
the next run finds it (whatever its process id), and never taken for a dead process's leftovers by
`remove_stale`, which removes only `.NAME.PID.*.partial`. It holds:

- `progress.json`: what is committed (chunks, input rows, output bytes), the run's counters, and the
  fingerprint of what must not change for a resume (input file, model, every option that changes
  the output);
- `data` (CSV, TSV, JSON Lines): the output so far, cut back to the committed bytes on resume;
- `part-NNNNNN.arrow` (Parquet): one Arrow IPC file per chunk, since a Parquet file whose writer died
  has no footer and cannot be appended to; they are joined into the Parquet file at the end, the same
  way whether or not the run was interrupted (`schema.arrow` keeps the first chunk's schema);
- `lock`: held (flock) by the run writing the folder; the system lets go of it when the process dies.

The output appears at its path only when complete, in one rename; the staging folder goes then.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import CustomerSentimentError
from .formats import FORMATS
from .writers import TABLE_SUFFIXES, arrow_chunk, atomic_path, check_output_path, chunk_text, fsync, publish, write_json

PROGRESS, DATA, SCHEMA, LOCK = "progress.json", "data", "schema.arrow", "lock"
RECORD_FORMAT, RECORD_VERSION = "customer-sentiment scoring progress", 1


@dataclass
class Committed:
    """What a run committed: chunks written, input rows consumed, output bytes (CSV, TSV, JSON Lines)
    and the counters the caller keeps (a summary of every committed row)."""

    chunks: int = 0
    rows: int = 0
    bytes: int = 0
    counters: dict = field(default_factory=dict)


def staging_folder(path: Path) -> Path:
    """Where the resumable run writing `path` keeps its progress.

    >>> staging_folder(Path("out/scored.csv")).as_posix()
    'out/.scored.csv.resume'
    """
    return path.with_name(f".{path.name}.resume")


@contextlib.contextmanager
def resumable_writer(path: str | Path, fingerprint: dict, resume: bool) -> Iterator[ResumableTable]:
    """Yield a `ResumableTable` writing `path` (CSV, TSV, JSON Lines or Parquet): with `resume`, it
    continues the interrupted run whose progress it finds (`.committed`), or refuses one whose
    `fingerprint` differs; without, it starts over (`.discarded` tells what was thrown away). When the
    block completes the file is put at `path`. When it is interrupted (a signal, a full disk) the
    committed chunks stay for a resume; a user error (a bad row, say) removes them, since resuming with
    the same input would meet it again."""
    path = check_output_path(path, TABLE_SUFFIXES)
    staging = staging_folder(path)
    staging.mkdir(exist_ok=True)
    with _locked(staging, path):
        table = ResumableTable(path, staging, fingerprint, resume)
        try:
            yield table
        except BaseException as error:
            table.close()
            if table.committed.chunks == 0 or isinstance(error, CustomerSentimentError):
                shutil.rmtree(staging, ignore_errors=True)
            raise
        table.finish()
        shutil.rmtree(staging, ignore_errors=True)        # under the lock: no other run takes it half removed


class ResumableTable:
    """The staging of one output: `write(chunk, counters)` appends a chunk and commits it."""

    def __init__(self, path: Path, staging: Path, fingerprint: dict, resume: bool):
        self.path, self.staging, self.fingerprint = path, staging, fingerprint
        self.format = FORMATS[path.suffix.lower()]
        self.discarded: Committed | None = None
        self.committed = self._resumed() if resume else None
        if self.committed is None:
            self.discarded = self._found()
            self._clear()
            self.committed = Committed()
        self.schema = pa.ipc.read_schema(pa.OSFile(str(staging / SCHEMA))) if self.committed.chunks and \
            self.format == "parquet" else None
        self.handle = None if self.format == "parquet" else self._open_data()

    # ------------------------------------------------------------------ starting
    def _found(self) -> Committed | None:
        """The progress an earlier run left, if any and readable."""
        try:
            return self._read()
        except CustomerSentimentError:
            return None

    def _read(self) -> Committed | None:
        record_path = self.staging / PROGRESS
        if not record_path.exists():
            return None
        try:
            record = json.loads(record_path.read_text(encoding="utf-8"))
            if record.get("format") != RECORD_FORMAT or record.get("version") != RECORD_VERSION:
                raise ValueError(f"{record.get('format')} v{record.get('version')}")
            return Committed(record["chunks"], record["rows"], record["bytes"], record["counters"])
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise CustomerSentimentError(f"Cannot resume {self.path}: its progress record {record_path} is not one "
                                         f"this version reads ({error})",
                                         fix="Run without --resume to start over.") from None

    def _resumed(self) -> Committed | None:
        """The interrupted run's progress, checked against this run's fingerprint; None if there is none."""
        committed = self._read()
        if committed is None or committed.chunks == 0:
            return None
        before = json.loads((self.staging / PROGRESS).read_text(encoding="utf-8"))["fingerprint"]
        changes = fingerprint_changes(before, self.fingerprint)
        if changes:
            raise CustomerSentimentError(
                f"Cannot resume {self.path}: {'; '.join(changes)} since the interrupted run "
                f"({committed.rows:,} rows committed)",
                fix="Resume with the input, model and options of the interrupted run, or run without --resume to "
                    "start over.")
        self._cut_back(committed)
        return committed

    def _cut_back(self, committed: Committed) -> None:
        """Drop what was written after the last commit: the tail of `data`, the parts past the last one."""
        if self.format == "parquet":
            for part in self.staging.glob("part-*.arrow"):
                if int(part.stem.split("-")[1]) >= committed.chunks:
                    part.unlink()
            missing = [p.name for p in map(self._part, range(committed.chunks)) if not p.is_file()]
            missing += [] if (self.staging / SCHEMA).is_file() else [SCHEMA]
        else:
            data = self.staging / DATA
            missing = [] if data.is_file() and data.stat().st_size >= committed.bytes else [DATA]
            if not missing:
                os.truncate(data, committed.bytes)
        if missing:
            raise CustomerSentimentError(f"Cannot resume {self.path}: {', '.join(missing)} missing or cut short in "
                                         f"{self.staging}", fix="Run without --resume to start over.")

    def _clear(self) -> None:
        for entry in self.staging.iterdir():
            if entry.name != LOCK:
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()

    def _open_data(self):
        handle = open(self.staging / DATA, "ab")
        fsync(self.staging)
        return handle

    def _part(self, number: int) -> Path:
        return self.staging / f"part-{number:06d}.arrow"

    # ------------------------------------------------------------------ writing
    def write(self, chunk: pd.DataFrame, counters: dict) -> None:
        """Append `chunk` (the output rows of `len(chunk)` input rows), then commit it with `counters`."""
        if self.format == "parquet":
            self._write_part(chunk)
        else:
            self.handle.write(chunk_text(chunk, self.format, header=self.committed.chunks == 0).encode("utf-8"))
            self.handle.flush()
            os.fsync(self.handle.fileno())
        done = self.committed
        self.committed = Committed(done.chunks + 1, done.rows + len(chunk),
                                   self.handle.tell() if self.handle else 0, counters)
        write_json(self.staging / PROGRESS, {"format": RECORD_FORMAT, "version": RECORD_VERSION,
                                             "output": str(self.path), "chunks": self.committed.chunks,
                                             "rows": self.committed.rows, "bytes": self.committed.bytes,
                                             "counters": counters, "fingerprint": self.fingerprint})

    def _write_part(self, chunk: pd.DataFrame) -> None:
        table = arrow_chunk(chunk, self.path, self.schema)
        if self.schema is None:
            self.schema = table.schema
            (self.staging / SCHEMA).write_bytes(self.schema.serialize().to_pybytes())
            fsync(self.staging / SCHEMA)
        part = self._part(self.committed.chunks)
        with pa.OSFile(str(part), "wb") as sink, pa.ipc.new_file(sink, self.schema) as writer:
            writer.write_table(table)
        fsync(part)
        fsync(self.staging)

    # ------------------------------------------------------------------ ending
    def finish(self) -> None:
        """Put the complete file at `path`. The progress record goes first: a crash after it leaves
        nothing to resume, never a record of chunks whose data was moved away."""
        self.close()
        (self.staging / PROGRESS).unlink(missing_ok=True)
        fsync(self.staging)
        if self.format != "parquet":
            publish(self.staging / DATA, self.path)
            return
        with atomic_path(self.path) as temporary:
            if self.schema is None:
                return
            with pq.ParquetWriter(temporary, self.schema) as writer:
                for number in range(self.committed.chunks):
                    with pa.memory_map(str(self._part(number))) as source:
                        writer.write_table(pa.ipc.open_file(source).read_all().combine_chunks())

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()


@contextlib.contextmanager
def _locked(staging: Path, path: Path) -> Iterator[None]:
    """Hold the staging folder's lock, or refuse: another run is writing the same output now."""
    try:
        import fcntl
    except ImportError:                   # no flock (Windows): unlocked
        yield
        return
    with open(staging / LOCK, "a+", encoding="utf-8") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "?"
            raise CustomerSentimentError(f"Another run (process {holder}) is writing {path} now",
                                         fix="Wait for it to finish, or pass another --output.") from None
        if not (staging / LOCK).exists() or os.stat(staging / LOCK).st_ino != os.fstat(lock.fileno()).st_ino:
            raise CustomerSentimentError(f"Another run has just finished writing {path}",
                                         fix="Run again to write it anew.")
        lock.truncate(0)
        lock.write(str(os.getpid()))
        lock.flush()
        yield


def fingerprint_changes(before: dict, now: dict, prefix: str = "") -> list[str]:
    """What differs between two fingerprints, in words: "--chunk-rows was 500 and is now 1000".

    >>> fingerprint_changes({"model": {"weights_sha256": "ab12"}}, {"model": {"weights_sha256": "cd34"}})
    ['model weights_sha256 was ab12 and is now cd34']
    """
    changes = []
    for key in dict.fromkeys([*before, *now]):
        old, new = before.get(key), now.get(key)
        if isinstance(old, dict) and isinstance(new, dict):
            changes += fingerprint_changes(old, new, f"{prefix}{key} ")
        elif old != new:
            changes.append(f"{prefix}{key} was {_shown(old)} and is now {_shown(new)}")
    return changes


def _shown(value) -> str:
    return "not set" if value is None else repr(value) if isinstance(value, str) and " " in value else str(value)
