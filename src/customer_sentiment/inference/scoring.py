"""Scoring a review file into another, in chunks (bounded memory), atomically.

The output keeps the input's rows in order: `id_column` first, then `keep_columns` (default: every
input column), `predicted_label` and one `prob_<label>` column per class, and for sequence models
`windows`, how many overlapping windows the review took, and with `review_below` a `needs_review`
column: True where the top (calibrated) probability is below it, the reviews a person should read.
A review with no text keeps its row, with an empty label and no probabilities, and is counted.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..console import progress_bar
from ..errors import CustomerSentimentError
from ..io import (
    CHUNK_ROWS,
    ReadOptions,
    clean_texts,
    column_texts,
    iter_table_chunks,
    parquet_rows,
    read_options,
    require_columns,
)
from ..io.formats import is_database_url
from ..io.resumable import Committed, resumable_writer
from ..io.sql import source_name
from ..io.sql_writer import TableOutput, check_scored_output, scored_writer
from .predictor import Predictor
from .resume import scoring_fingerprint

COUNTED = ("rows", "empty_texts", "long_reviews", "numbers_as_text", "carriage_returns", "needs_review", "predicted",
           "seconds")                       # what the progress record of a resumable run keeps of the summary


@dataclass
class ScoringSummary:
    """What a scoring run did: rows read and written, reviews without text, labels predicted, speed."""

    input: str
    output: str
    predicted: dict[str, int]
    rows: int = 0
    empty_texts: int = 0
    long_reviews: int = 0
    numbers_as_text: int = 0                      # text-column values that were numbers, scored as text
    carriage_returns: int = 0                     # reviews holding a \r (kept in the output as written)
    needs_review: int = 0                         # reviews whose top probability is below --review-below
    seconds: float = 0.0                          # scoring time, over the interrupted run and its resume
    resumed_rows: int = 0                         # rows an interrupted run had committed (--resume)

    @property
    def reviews_per_second(self) -> float:
        return round(self.rows / max(self.seconds, 1e-9), 1)

    def to_dict(self) -> dict:
        return {"input": self.input, "output": self.output, "rows": self.rows, "empty_texts": self.empty_texts,
                "long_reviews": self.long_reviews, "numbers_as_text": self.numbers_as_text,
                "carriage_returns": self.carriage_returns, "needs_review": self.needs_review, "predicted": self.predicted,
                "seconds": self.seconds, "reviews_per_second": self.reviews_per_second, "resumed_rows": self.resumed_rows}


def score_file(predictor: Predictor, labels: list[str], data: str | Path, output: str | Path | TableOutput, text_column: str,
               id_column: str | None = None, keep_columns: Sequence[str] | None = None, chunk_rows: int = CHUNK_ROWS,
               options: ReadOptions | str | None = None, verbose: bool = True,
               review_below: float | None = None, resume: bool = False) -> ScoringSummary:
    """Score `data` (a file, or a database URL with `options.table` or `.query`) into `output` (CSV, TSV, JSON
    Lines or Parquet, by extension, or a `TableOutput`, in one transaction); see the module docstring.

    A file scored into a file commits chunk by chunk (`io.resumable`): with `resume`, a run killed part
    way continues after its last committed chunk (the rows before it are read again, not scored), and the
    file ends byte for byte as an uninterrupted run writes it; without, such a run's progress is dropped.
    """
    check_scoring_settings(chunk_rows, review_below)
    options = read_options(options)
    check_scored_output(output, data, options)
    summary = ScoringSummary(source_name(data, options), str(output), {label: 0 for label in labels})
    settings = {"--text-column": text_column, "--id-column": id_column, "--review-below": review_below,
                "--keep-columns": None if keep_columns is None else list(keep_columns), "--chunk-rows": chunk_rows}
    start = time.perf_counter()
    with _scored_output(predictor, data, output, options, settings, resume) as out, progress_bar(verbose) as bar, \
            contextlib.ExitStack() as stack:
        committed, skipped, columns = out.committed, 0, None
        _restore(summary, committed)
        start -= summary.seconds
        task = bar.add_task("scoring", total=parquet_rows(data), status="")
        chunks = stack.enter_context(contextlib.closing(iter_table_chunks(data, chunk_rows, options)))
        for number, chunk in enumerate(chunks):
            columns = columns or output_columns(chunk, data, text_column, id_column, keep_columns)
            if number < committed.chunks:      # committed by the interrupted run: read to reach the rest, not scored
                skipped += len(chunk)
                bar.update(task, completed=skipped, status="skipping committed rows")
                continue
            _check_skipped(skipped, committed, output)
            scored = score_chunk(predictor, labels, chunk, text_column, columns, summary, str(data), options,
                                 review_below)
            summary.rows += len(chunk)
            summary.seconds = time.perf_counter() - start
            out.write(scored, {name: getattr(summary, name) for name in COUNTED})
            bar.update(task, completed=summary.rows, status=f"{summary.reviews_per_second:,.0f} reviews/s")
            _return_freed_memory()
        _check_skipped(skipped, committed, output)
    summary.seconds = round(time.perf_counter() - start, 3)
    return summary


@contextlib.contextmanager
def _scored_output(predictor: Predictor, data, output, options: ReadOptions, settings: dict, resume: bool):
    """A file scored into a file: a resumable writer, fingerprinted; else the plain one, which refuses `resume`."""
    if isinstance(output, TableOutput) or is_database_url(data):
        if resume:
            raise CustomerSentimentError("--resume continues a file scored into a file",
                                         found=f"{source_name(data, options)} scored into {output}",
                                         fix="Leave --resume out: a table is written in one transaction, so a killed "
                                             "run leaves nothing to resume, and a database can change between runs.")
        with scored_writer(output) as write:
            yield _Unresumable(write)
        return
    with resumable_writer(output, scoring_fingerprint(predictor, data, output, options, settings), resume) as table:
        if table.discarded is not None and table.discarded.chunks:
            warnings.warn(f"Starting {output} over: an interrupted run had committed {table.discarded.rows:,} rows of "
                          f"it (pass --resume to continue such a run)", stacklevel=3)
        yield table


@dataclass
class _Unresumable:
    """The same interface as a `ResumableTable`, for outputs written in one go."""

    write_chunk: object
    committed: Committed = field(default_factory=Committed)
    discarded: Committed | None = None

    def write(self, chunk: pd.DataFrame, counters: dict) -> None:
        self.write_chunk(chunk)


def _restore(summary: ScoringSummary, committed: Committed) -> None:
    """Take the counts of the rows an interrupted run committed into `summary`."""
    for name in COUNTED:
        if name in committed.counters:
            setattr(summary, name, committed.counters[name])
    summary.resumed_rows = committed.rows


def _check_skipped(skipped: int, committed: Committed, output) -> None:
    if skipped != committed.rows:
        raise CustomerSentimentError(f"Cannot resume {output}: the input's first {committed.chunks:,} chunks hold "
                                     f"{skipped:,} rows, and the interrupted run committed {committed.rows:,}",
                                     fix="Run without --resume to start over.")


def check_scoring_settings(chunk_rows: int, review_below: float | None) -> None:
    """Refuse a chunk size or a --review-below threshold that cannot work, before any reading."""
    if chunk_rows < 1:
        raise CustomerSentimentError(f"--chunk-rows is {chunk_rows}", expected="an integer >= 1",
                                     fix="Pass --chunk-rows 1 or more.")
    if review_below is not None and not 0 < review_below <= 1:
        raise CustomerSentimentError(f"--review-below is {review_below}", expected="a probability in (0, 1]",
                                     fix="Pass --review-below 0.8, say: reviews labelled with less confidence are "
                                         "marked for a person to read.")


def _return_freed_memory() -> None:
    """Hand freed heap pages back to the system after each chunk: glibc keeps them (in one arena per
    thread), and the peak would creep up chunk by chunk. A no-op where there is no glibc."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim():
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


def score_chunk(predictor: Predictor, labels: list[str], chunk: pd.DataFrame, text_column: str, columns: list[str],
                summary: ScoringSummary, source: str, options: ReadOptions | None = None,
                review_below: float | None = None) -> pd.DataFrame:
    """One chunk of input rows with their predictions; counts go into `summary`."""
    raw, numbers = column_texts(chunk[text_column], source, options)
    summary.numbers_as_text += numbers
    summary.carriage_returns += sum("\r" in text for text in raw)
    texts = clean_texts(raw).to_pylist()
    has_text = np.array([bool(t) for t in texts])
    probabilities = np.full((len(texts), len(labels)), np.nan)
    windows = np.zeros(len(texts), dtype=np.int64)
    if has_text.any():
        probabilities[has_text], windows[has_text] = predictor.proba_of_clean(
            [t for t, keep in zip(texts, has_text, strict=True) if keep])
    predicted = np.array([""] * len(texts), dtype=object)
    predicted[has_text] = [labels[i] for i in probabilities[has_text].argmax(axis=1)]
    out = chunk[columns].copy()
    if numbers and text_column in columns:        # one type per column: the numbers go out as the text they were read as
        out[text_column] = [text if text else None for text in raw]
    out["predicted_label"] = predicted
    for i, label in enumerate(labels):
        out[f"prob_{label}"] = probabilities[:, i]
    if review_below is not None:                        # rows without text have no label to doubt
        out["needs_review"] = has_text & (np.nan_to_num(probabilities.max(axis=1, initial=0)) < review_below)
        summary.needs_review += int(out["needs_review"].sum())
    if predictor.model.max_length is not None:          # how many windows each review took
        out["windows"] = windows
        summary.long_reviews += int((windows > 1).sum())
    summary.empty_texts += int((~has_text).sum())
    for label, count in zip(*np.unique(predicted[has_text], return_counts=True), strict=True):
        summary.predicted[label] += int(count)
    return out


def output_columns(chunk: pd.DataFrame, data, text_column: str, id_column: str | None,
                   keep_columns: Sequence[str] | None) -> list[str]:
    """The input columns the output keeps, id first; checked against the file's header."""
    wanted = {text_column: "--text-column"}
    if id_column:
        wanted[id_column] = "--id-column"
    for column in keep_columns or []:
        wanted.setdefault(column, "--keep-columns")
    require_columns(chunk, data, wanted)
    columns = list(dict.fromkeys(keep_columns)) if keep_columns is not None else [str(c) for c in chunk.columns]
    if id_column:
        columns = [id_column] + [c for c in columns if c != id_column]
    clashes = [c for c in columns if c == "predicted_label" or c.startswith("prob_")]
    if clashes:
        raise CustomerSentimentError(f"{data} already has column(s) {clashes}, which the output adds",
                                     fix="Pass --keep-columns without them.")
    return columns
