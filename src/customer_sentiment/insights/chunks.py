"""One chunk of a scored file, made ready to count: the group, the label, the period, and (where the
file has them) the text, the model's confidence and the star rating of each review.

`report` reads a scored file in chunks of 50,000 rows (as `predict` does), so that memory stays flat
however long the file; each chunk passes through `prepare` on its way to the `Tally`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import CustomerSentimentError
from ..io import require_columns

PERIODS = {"month": "M", "quarter": "Q", "week": "W"}
NO_LABEL = "no label (empty review text)"
NO_GROUP = "(none)"              # the group of a review whose group cell is empty, in every file format


@dataclass(frozen=True)
class Columns:
    """Which column holds what, as the user named them (None: the file has no such column)."""

    by: str
    label: str = "predicted_label"
    time: str | None = None
    text: str | None = None
    rating: str | None = None
    negative_label: str = "negative"
    period: str = "month"

    def __post_init__(self):
        if self.period not in PERIODS:
            raise CustomerSentimentError(f"Unknown period {self.period!r}", expected=f"one of {', '.join(PERIODS)}",
                                         fix="Pass --period with one of those.")

    def require(self, frame: pd.DataFrame, source: str) -> None:
        options = {self.by: "--by", self.label: "--label-column", self.time: "--time-column",
                   self.text: "--text-column", self.rating: "--rating-column"}
        require_columns(frame, source, {column: option for column, option in options.items() if column is not None})


def prepare(chunk: pd.DataFrame, columns: Columns, skipped: dict[str, int]) -> pd.DataFrame:
    """The chunk's labelled reviews as columns group, label[, period, date, text, confidence, probabilities,
    rating]; rows without a label, and unreadable dates, are counted in `skipped`.

    >>> chunk = pd.DataFrame({"product": ["fryer", "fryer"], "predicted_label": ["negative", ""]})
    >>> skipped = {}
    >>> prepare(chunk, Columns(by="product"), skipped)[["group", "label"]].to_dict("records"), skipped
    ([{'group': 'fryer', 'label': 'negative'}], {'no label (empty review text)': 1})
    """
    labels = chunk[columns.label].astype("string").fillna("").str.strip()
    unlabelled = labels.eq("").to_numpy()
    _count(skipped, NO_LABEL, int(unlabelled.sum()))
    keep = ~unlabelled
    groups = chunk[columns.by].astype("string").str.strip().replace("", pd.NA).fillna(NO_GROUP)
    data = pd.DataFrame({"group": groups.to_numpy()[keep],
                         "label": labels.to_numpy()[keep]}, index=chunk.index[keep])
    data["group"], data["label"] = data["group"].astype(object), data["label"].astype(object)
    if columns.text:
        data["text"] = chunk.loc[data.index, columns.text].astype("string").fillna("").to_numpy(dtype=object)
    for column in chunk.columns:
        if str(column).startswith("prob_"):
            data[str(column)] = _numbers(chunk.loc[data.index, column])
    if f"prob_{columns.negative_label}" in data:
        data["confidence"] = data[f"prob_{columns.negative_label}"]
    if columns.rating:
        data["rating"] = _numbers(chunk.loc[data.index, columns.rating])
        given = chunk.loc[data.index, columns.rating].astype("string").str.strip().fillna("").ne("").to_numpy()
        _count(skipped, f"rating in '{columns.rating}' not a finite number (left out of stars against words)",
               int((given & np.isnan(data["rating"].to_numpy())).sum()))
    if columns.time:
        dates = parse_dates(chunk.loc[data.index, columns.time])
        _count(skipped, f"unreadable date in '{columns.time}' (left out of the period tables)", int(dates.isna().sum()))
        data["date"] = dates.to_numpy()
        data["period"] = period_names(dates, PERIODS[columns.period]).to_numpy(dtype=object)
    return data


def _numbers(values: pd.Series) -> np.ndarray:
    """Numbers as floats; NaN for text, missing values and infinities (which no JSON can hold)."""
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    return np.where(np.isfinite(numbers), numbers, np.nan)


def parse_dates(values: pd.Series) -> pd.Series:
    """Dates in UTC without a zone; NaT where unreadable. Each distinct value is parsed once (a million
    reviews hold a few hundred dates): ISO 8601 vectorized, and only what that cannot read through pandas'
    slower element-by-element 'mixed' parsing. A column that already holds timestamps is taken as it is.

    >>> parse_dates(pd.Series(["2025-01-02", "2025-01-02T23:30:00-02:00", "Jan 3, 2025", "soon"])).dt.date.tolist()
    [datetime.date(2025, 1, 2), datetime.date(2025, 1, 3), datetime.date(2025, 1, 3), NaT]
    """
    if pd.api.types.is_datetime64_any_dtype(values.dtype) and not isinstance(values.dtype, pd.ArrowDtype):
        dates = values if values.dt.tz is None else values.dt.tz_convert("UTC").dt.tz_localize(None)
        return dates.astype("datetime64[ns]")
    codes, uniques = pd.factorize(values.astype("string"))
    text = pd.Series(uniques, dtype="string")
    dates = pd.to_datetime(text, errors="coerce", format="ISO8601", utc=True)
    retry = dates.isna() & text.notna() & text.str.strip().ne("")
    if retry.any():
        dates[retry] = pd.to_datetime(text[retry], errors="coerce", format="mixed", utc=True)
    parsed = dates.dt.tz_localize(None).to_numpy()                  # periods in UTC; mixed offsets are fine
    out = np.where(codes >= 0, parsed[np.maximum(codes, 0)] if len(parsed) else np.datetime64("NaT"), np.datetime64("NaT"))
    return pd.Series(out, index=values.index, dtype="datetime64[ns]")


def period_names(dates: pd.Series, frequency: str) -> pd.Series:
    """'2025-10' (month), '2025Q4' (quarter) or the week's span, for each date; <NA> where there is none.
    Computed once per distinct day, not per review."""
    days = dates.dt.floor("D")
    codes, uniques = pd.factorize(days)
    names = pd.Series(pd.DatetimeIndex(uniques).to_period(frequency).astype(str), dtype=object)
    out = np.where(codes >= 0, names.to_numpy()[np.maximum(codes, 0)] if len(names) else None, None)
    return pd.Series(out, index=dates.index, dtype=object)


def _count(skipped: dict[str, int], reason: str, count: int) -> None:
    if count:
        skipped[reason] = skipped.get(reason, 0) + count
