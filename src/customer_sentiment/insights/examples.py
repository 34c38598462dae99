"""Example reviews worth reading, kept while the chunks stream past: per group and period, the few most
recent (or most confident) negative reviews, preferring those long enough to say what went wrong.

Memory is bounded by groups x periods x a few reviews, not by the file.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..io import clean_texts

MIN_WORDS = 8                    # a review this long usually says what went wrong ("Stopped heating after...")
SPARE = 2                        # candidates kept per group and period: this many times the examples shown


class ExamplePool:
    """The best few candidates per (group, period) seen so far; `pick` chooses from them at the end."""

    def __init__(self, per_key: int):
        self.per_key = per_key
        self.pool: pd.DataFrame | None = None

    def add(self, reviews: pd.DataFrame) -> None:
        """Offer reviews (columns group, text and any of period, date, confidence); keeps the best."""
        if self.per_key == 0 or "text" not in reviews or reviews.empty:
            return
        offered = reviews.assign(row=reviews.index.to_numpy(), words=_words(reviews["text"]))
        offered = offered[offered["words"] > 0]
        pool = offered if self.pool is None else pd.concat([self.pool, offered])
        keys = ["group", "period"] if "period" in pool else ["group"]
        pool = _ranked(pool).drop_duplicates([*keys, "text"])
        self.pool = pool.groupby(keys, sort=False, dropna=False).head(self.per_key * SPARE)

    def pick(self, n: int, group: str, since: str | None = None) -> list[dict]:
        """Up to n distinct reviews of `group` (from period `since` on), best first, as JSON-ready dicts."""
        if self.pool is None or n == 0:
            return []
        chosen = self.pool[self.pool["group"] == group]
        if since is not None:
            chosen = chosen[chosen["period"].notna() & (chosen["period"] >= since)]
        chosen = chosen.assign(text=clean_texts(chosen["text"]).to_pylist())
        chosen = chosen.assign(words=_words(chosen["text"]))
        return [_example(row) for _, row in _ranked(chosen).drop_duplicates("text").head(n).iterrows()]


def _words(texts: pd.Series) -> np.ndarray:
    """For ranking: MIN_WORDS where a text has at least that many words (runs of non-space), 1 where it has
    fewer but some, 0 where none. Arrow's anchored regular expression stops after the first words, so a long
    review costs no more than a short one."""
    array = pa.array(texts.to_numpy(dtype=object), type=pa.large_string(), from_pandas=True)
    long_enough = pc.match_substring_regex(array, rf"^\s*(?:\S+\s+){{{MIN_WORDS - 1}}}\S").fill_null(False)
    some = pc.match_substring_regex(array, r"\S").fill_null(False)
    return np.where(long_enough.to_numpy(zero_copy_only=False), MIN_WORDS,
                    some.to_numpy(zero_copy_only=False).astype(int))


def _ranked(reviews: pd.DataFrame) -> pd.DataFrame:
    """Informative reviews first; within them the most recent (or most confident, or first in the file)."""
    order = reviews.assign(informative=reviews["words"] >= MIN_WORDS)
    key = "date" if "date" in order else "confidence" if "confidence" in order else None
    by, ascending = ["informative", key or "row"], [False, key is None]
    return order.sort_values(by, ascending=ascending, kind="stable", na_position="last")


def _example(row: pd.Series) -> dict:
    example = {"text": str(row["text"])}
    if "date" in row and pd.notna(row["date"]):
        example["date"] = row["date"].date().isoformat()
    if "confidence" in row and pd.notna(row["confidence"]):
        example["probability"] = round(float(row["confidence"]), 4)
    return example
