"""The held-out reviews the parity gate scores: a file given with --check-data, else the training
data's validation split, rebuilt from the file, seed and fraction config.json records (only if the
file still has the fingerprint the model was trained on)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import CustomerSentimentError
from ..io import RatingMap, ReadOptions, clean_texts, fingerprint, read_reviews, split_indices
from ..model_dir import LoadedModel
from ..settings import DataSettings, defaults_of

LIMIT = 2_000                  # reviews the gate scores at most: the first ones
MINIMUM = 100                  # fewer would let a graph that changes labels pass by chance
_ASK = "Pass --check-data FILE: labelled reviews the model did not train on, with the model's columns."


@dataclass
class CheckReviews:
    """The reviews, their label indices (None when unlabelled) and where they come from, in words."""

    texts: list[str]
    labels: np.ndarray | None
    source: str


def check_reviews(loaded: LoadedModel, path: Path | None, options: ReadOptions | None = None,
                  limit: int = LIMIT) -> CheckReviews:
    """At most `limit` held-out reviews for the gate, with labels where the file has the model's labels."""
    data = {**defaults_of(DataSettings), **loaded.config.get("data", {})}
    if path is not None:
        reviews = _read(path, data, options)
        texts, labels, source = reviews.texts, reviews.labels, str(path)
    else:
        texts, labels, source = _validation_split(loaded, data, options)
    texts = clean_texts(texts).to_pylist()                  # as training and prediction clean them
    known = {label: index for index, label in enumerate(loaded.labels)}
    if labels is not None and any(label not in known for label in labels):
        raise CustomerSentimentError(f"{source} holds labels the model does not know",
                                     expected=f"only {loaded.labels}", found=str(sorted(set(labels) - known.keys())[:5]),
                                     fix="Pass --check-data with the model's labels.")
    if len(texts) < MINIMUM:
        raise CustomerSentimentError(f"{source} holds {len(texts):,} reviews to check the export on",
                                     expected=f"at least {MINIMUM}", fix=_ASK)
    indices = None if labels is None else np.array([known[label] for label in labels[:limit]], dtype=np.int64)
    return CheckReviews(texts[:limit], indices,
                        f"{source} ({min(len(texts), limit):,} reviews)")


def _read(path: Path, data: dict, options: ReadOptions | None):
    label_column, rating_column = data.get("label_column"), data.get("rating_column")
    mapping = RatingMap.parse(data["rating_map"]) if rating_column and data.get("rating_map") else None
    return read_reviews(path, data["text_column"], label_column, rating_column, mapping, options)


def _validation_split(loaded: LoadedModel, data: dict, options: ReadOptions | None) -> tuple[list, list, str]:
    """The validation reviews of training, when the training file is still there, unchanged."""
    file, fraction = data.get("file"), loaded.training.validation_fraction
    if not file or not Path(file).is_file() or not fraction:
        reason = "trained without a validation split" if not fraction else f"its training file {file!r} is not here"
        raise CustomerSentimentError(f"No held-out reviews to check the export of {loaded.path} on ({reason})", fix=_ASK)
    reviews = _read(Path(file), data, options)
    if fingerprint(clean_texts(reviews.texts).to_pylist(), reviews.labels) != data.get("fingerprint"):
        raise CustomerSentimentError(f"{file} is not the data {loaded.path} was trained on (its fingerprint differs)",
                                     fix=_ASK)
    _, held_out = split_indices(reviews.labels, fraction, loaded.training.seed)
    return ([reviews.texts[i] for i in held_out], [reviews.labels[i] for i in held_out],
            f"the validation split of {file}")
