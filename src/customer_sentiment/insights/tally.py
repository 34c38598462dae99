"""Everything the summary needs from the reviews, counted chunk by chunk: reviews per group, period
and label; candidate examples; stars against words; the terms of the texts. Memory depends on the number of groups and
periods, not on the number of reviews.
"""

from __future__ import annotations

import pandas as pd

from .chunks import Columns, prepare
from .examples import ExamplePool
from .reading import TextReading
from .stars import StarsTally

UNDATED = ""                     # the period of a review without a (readable) date


class Tally:
    """Counts of labelled reviews by (group, period, label), and what else the summary reports."""

    def __init__(self, columns: Columns, examples: int, pipeline=None):
        self.columns = columns
        self.counts: pd.Series | None = None
        self.skipped: dict[str, int] = {}
        self.examples = ExamplePool(examples)
        self.stars = StarsTally(columns.rating, columns.negative_label) if columns.rating else None
        self.reading = TextReading(columns.negative_label, pipeline)

    def add(self, chunk: pd.DataFrame, source: str) -> pd.DataFrame:
        """Count one chunk of the scored file; returns its prepared rows (for the drivers)."""
        self.columns.require(chunk, source)
        data = prepare(chunk, self.columns, self.skipped)
        period = data["period"].fillna(UNDATED) if "period" in data else pd.Series(UNDATED, index=data.index)
        counts = data.groupby([data["group"], period.rename("period"), data["label"]], sort=False).size()
        self.counts = counts if self.counts is None else self.counts.add(counts, fill_value=0)
        self.examples.add(data[data["label"] == self.columns.negative_label])
        if self.stars is not None:
            self.stars.add(data)
        self.reading.add(data)
        return data

    def table(self) -> pd.DataFrame:
        """One row per (group, period, label) with its number of reviews, as integers."""
        if self.counts is None:
            return pd.DataFrame(columns=["group", "period", "label", "reviews"])
        return self.counts.astype("int64").rename("reviews").reset_index()
