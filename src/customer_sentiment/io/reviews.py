"""Labelled reviews from a file: the texts, their labels (from a label column or star ratings), the
rows they came from, and what was skipped; splits and fingerprints of them.

Rows that cannot be used (an empty review, a missing label) are skipped and counted in
`Reviews.skipped`, never dropped silently.
"""

from __future__ import annotations

import hashlib
import math
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import CustomerSentimentError, hide_passwords
from .cleaning import as_label, clean_texts, column_texts
from .diagnosis import row_location
from .options import ReadOptions
from .ratings import RatingMap
from .readers import CHUNK_ROWS, iter_table_chunks, read_table, require_columns


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
        return {"file": hide_passwords(self.source), **self.columns, "rows_read": self.rows_read, "skipped": self.skipped}

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
                 options: ReadOptions | str | None = None) -> Reviews:
    """Read a review file; labels come from `label_column`, or from `rating_column` through `rating_map`.

    `options` are `ReadOptions` (encoding, delimiter, longest review) or an encoding name.

    >>> reviews = read_reviews("sample_reviews.csv", "review", rating_column="rating")
    >>> reviews.labels[:2], reviews.skipped
    (['positive', 'neutral'], {})
    """
    if label_column and rating_column:
        raise CustomerSentimentError("Both a label column and a rating column were given",
                                     fix="Pass either --label-column or --rating-column, not both.")
    reviews = _kept_rows(read_table(path, options), path, text_column, label_column, rating_column, rating_map, options)
    if len(reviews) == 0:
        reasons = "; ".join(f"{reason}: {count:,}" for reason, count in reviews.skipped.items())
        raise CustomerSentimentError(f"None of the {reviews.rows_read:,} rows of {path} has both a review text and a "
                                     f"label ({reasons})", fix="Check --text-column and the label or rating column.")
    return reviews


def iter_reviews(path: str | Path, text_column: str, label_column: str | None = None,
                 rating_column: str | None = None, rating_map: RatingMap | None = None,
                 options: ReadOptions | str | None = None, chunk_rows: int = CHUNK_ROWS) -> Iterator[Reviews]:
    """`read_reviews` in chunks of `chunk_rows` rows, in bounded memory: each chunk's kept reviews,
    with that chunk's rows read and skipped (a chunk may keep none)."""
    if label_column and rating_column:
        raise CustomerSentimentError("Both a label column and a rating column were given",
                                     fix="Pass either --label-column or --rating-column, not both.")
    for frame in iter_table_chunks(path, chunk_rows, options):
        yield _kept_rows(frame, path, text_column, label_column, rating_column, rating_map, options)


def _kept_rows(frame: pd.DataFrame, path: str | Path, text_column: str, label_column: str | None,
               rating_column: str | None, rating_map: RatingMap | None, options: ReadOptions | str | None) -> Reviews:
    """The rows of `frame` with a review text and a label, and what was skipped."""
    optional = {label_column: "--label-column", rating_column: "--rating-column"}
    require_columns(frame, path, {text_column: "--text-column", **{c: flag for c, flag in optional.items() if c}})
    skipped: dict[str, int] = {}
    labels, keep = _labels(frame, label_column, rating_column, rating_map, path, options, skipped)
    raw, numbers = column_texts(frame[text_column], str(path), options)
    if numbers:
        warnings.warn(f"{path}: {numbers:,} values of column '{text_column}' are numbers; they are read as text",
                      stacklevel=3)
    empty = np.array([not text for text in clean_texts(raw).to_pylist()], dtype=bool) & keep
    _count(skipped, "empty review text", empty)
    kept = np.flatnonzero(keep & ~empty)
    columns = {"text_column": text_column, "label_column": label_column, "rating_column": rating_column,
               "rating_map": str(rating_map or RatingMap.default()) if rating_column else None}
    return Reviews([raw[i] for i in kept], None if labels is None else [labels[i] for i in kept],
                   frame.iloc[kept], str(path), len(frame), skipped, columns)


def _labels(frame: pd.DataFrame, label_column: str | None, rating_column: str | None, rating_map: RatingMap | None,
            path: str | Path, options: ReadOptions | str | None, skipped: dict[str, int]) -> tuple[list[str] | None, np.ndarray]:
    """Each row's label ('' for none) and which rows keep one; counts what is skipped."""
    keep = np.ones(len(frame), dtype=bool)
    if label_column:
        labels = [as_label(value) for value in frame[label_column].tolist()]
        missing = np.array([label == "" for label in labels])
        _count(skipped, "no label", missing)
        return labels, keep & ~missing
    if rating_column:
        labels, dropped = _labels_from_ratings(frame[rating_column], rating_column, rating_map or RatingMap.default(),
                                               path, options)
        missing = np.array([label == "" for label in labels])
        _count(skipped, "no rating", missing & ~dropped)
        _count(skipped, "rating skipped by the rating map", dropped)
        return labels, keep & ~dropped & ~missing
    return None, keep


def _count(skipped: dict[str, int], reason: str, mask: np.ndarray) -> None:
    if mask.any():
        skipped[reason] = skipped.get(reason, 0) + int(mask.sum())


def _labels_from_ratings(column: pd.Series, name: str, rating_map: RatingMap, path: str | Path,
                         options: ReadOptions | str | None) -> tuple[list[str], np.ndarray]:
    labels, dropped = [], np.zeros(len(column), dtype=bool)
    for i, value in enumerate(column.tolist()):
        text = as_label(value)
        if not text:
            labels.append("")
            continue
        try:
            label = rating_map.label_of(float(text))
        except ValueError:
            raise CustomerSentimentError(
                f"{path}, {row_location(path, column.index[i], options)}: rating '{text}' in column '{name}' is not "
                f"a number",
                expected=f"a star rating covered by the rating map {rating_map}",
                fix="Fix the row, or pass --label-column if the column holds labels.") from None
        except KeyError:
            raise CustomerSentimentError(
                f"{path}, {row_location(path, column.index[i], options)}: rating {text} in column '{name}' is outside the "
                f"rating map {rating_map}", fix=f"Fix the row, or pass --rating-map with a rule for {text}.") from None
        dropped[i] = label is None
        labels.append(label or "")
    return labels, dropped


def split_indices(labels: Sequence[str], fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Stratified (train, held-out) index arrays, the held-out part `fraction` of the rows.

    Classes too small to stratify fall back to a plain shuffled split.

    >>> split_indices(["a", "b"] * 5, 0.2, seed=0)[1].tolist()
    [7, 8]
    """
    from sklearn.model_selection import train_test_split

    total = len(labels)
    held_out_size = math.ceil(fraction * total)
    if not 1 <= held_out_size < total:
        raise CustomerSentimentError(
            f"Holding out {fraction:g} of {total:,} reviews leaves {total - held_out_size:,} to train on and "
            f"{held_out_size:,} to check", expected="at least one of each",
            fix="Use more reviews or another fraction (--validation-fraction, 0 for none).")
    counts = pd.Series(labels).value_counts()
    enough = counts.min() >= 2 and len(counts) <= min(held_out_size, total - held_out_size)
    train, held_out = train_test_split(np.arange(total), test_size=held_out_size, random_state=seed,
                                       stratify=labels if enough else None)
    return np.sort(train), np.sort(held_out)


def fingerprint(texts: Sequence[str], labels: Sequence[str] | None = None) -> str:
    """sha256 of the texts and labels a model was trained on, to record in its config."""
    digest = hashlib.sha256()
    add_to_fingerprint(digest, texts, labels)
    return "sha256:" + digest.hexdigest()


def add_to_fingerprint(digest, texts: Sequence[str], labels: Sequence[str] | None = None) -> None:
    """Feed texts and labels to a sha256 `digest`: chunk by chunk, the same as `fingerprint` of them all."""
    for i, text in enumerate(texts):
        digest.update(text.encode("utf-8"))
        digest.update(b"\x1f" + (labels[i].encode("utf-8") if labels is not None else b"") + b"\x1e")
