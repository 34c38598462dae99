"""What the review texts say, beyond their labels: the terms that drive each product's complaints, the
terms of new complaints after a change, and (given the model) example reviews explained word by word
and sentence by sentence.

Without a model, the units are whole reviews with the scored file's labels. With the model that scored
them, every review is split into sentences and each sentence is labelled, so "love the taste, but it
leaked" counts its complaint on the negative side and its praise on the positive side (slower: about
3,000 to 5,000 sentences a second on one core, see `text.sentences`).

The terms are counted in the first reviews of each group, period and label in the file, up to
`CHARACTERS_PER_CELL` characters of text (about 100 reviews of 500 characters; the review that crosses
it is cut there): enough to rank a product's complaint terms month by month, while the work stays
bounded by groups x periods, not by the reviews (counting every term of a million long reviews takes
minutes). The summary says how many reviews were read and how many counted (`"drivers_counted"`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..drivers import DriverCounts, score_sentences

if TYPE_CHECKING:                # PyTorch and Captum load only when a model is given
    from ..pipeline import SentimentPipeline

DRIVER_TERMS = 8                 # terms listed per product
CHARACTERS_PER_CELL = 50_000     # text whose terms are counted, per group, period and label
EXPLAINED = 6                    # example reviews explained word by word
EXPLAINED_PHRASES = 5            # phrases listed on each side of an explained review


class TextReading:
    """Driver counts, added chunk by chunk, and the model (if any) that reads sentences and explains."""

    def __init__(self, negative_label: str, pipeline: SentimentPipeline | None = None):
        self.negative_label, self.pipeline = negative_label, pipeline
        self.counts: DriverCounts | None = None
        self.per_cell: pd.DataFrame | None = None        # reviews and characters counted, by (group, period, label)
        self.read = 0

    def add(self, data: pd.DataFrame) -> None:
        if "text" not in data or data.empty:
            return
        self.read += len(data)
        data = self._within_cap(data)
        if self.counts is None:          # negative against every other label but "neutral", whatever the chunk holds
            self.counts = DriverCounts(self.negative_label, positive_label=None)
        if data.empty:                   # every cell of this chunk is full: nothing to count
            return
        periods = data["period"] if "period" in data else None
        if self.pipeline is None:
            self.counts.add(data["group"], periods, data["label"], data["text"])
        else:
            self.counts.add_sentences(self.pipeline, data["group"].to_numpy(), periods, data["text"])

    def _within_cap(self, data: pd.DataFrame) -> pd.DataFrame:
        """The rows that start before their cell has had `CHARACTERS_PER_CELL` characters counted."""
        keys = [data["group"], data["period"].fillna("") if "period" in data else pd.Series("", index=data.index),
                data["label"]]
        cell = pd.MultiIndex.from_arrays(keys, names=["group", "period", "label"])
        lengths = pd.Series(pc.utf8_length(pa.array(data["text"].to_numpy(dtype=object), type=pa.large_string(),
                                                    from_pandas=True)).fill_null(0).to_numpy(zero_copy_only=False),
                            index=data.index)
        before = 0 if self.per_cell is None else self.per_cell["characters"].reindex(cell, fill_value=0).to_numpy()
        start = lengths.groupby(keys).cumsum().to_numpy() - lengths.to_numpy() + before
        keep = start < CHARACTERS_PER_CELL
        room = np.minimum(lengths.to_numpy(), CHARACTERS_PER_CELL - start)[keep]     # a long review is cut
        counted = pd.DataFrame({"reviews": 1, "characters": room}, index=cell[keep]).groupby(level=[0, 1, 2]).sum()
        self.per_cell = counted if self.per_cell is None else self.per_cell.add(counted, fill_value=0)
        kept = data[keep]
        if (room < lengths.to_numpy()[keep]).any():
            kept = kept.assign(text=[text[:int(n)] for text, n in zip(kept["text"], room, strict=True)])
        return kept

    def counted(self) -> dict:
        """How many reviews with text were read, and how many had their terms counted."""
        total = 0 if self.per_cell is None else int(self.per_cell["reviews"].sum())
        return {"reviews_read": self.read, "reviews_counted": total, "characters_per_group_period_label": CHARACTERS_PER_CELL}

    def drivers(self, groups: list[str]) -> list[dict]:
        """The driving terms of each group's negative units (see `drivers.DriverCounts.drivers`)."""
        if self.counts is None:
            return []
        return [found for found in (self.counts.drivers(group, DRIVER_TERMS) for group in groups) if found["terms"]]

    def add_evidence(self, changes: list[dict]) -> None:
        """Each change to worse gets the terms and sentences of its new complaints, as `evidence`."""
        if self.counts is None:
            return
        for change in changes:
            if change["direction"] == "worse":
                change["evidence"] = self.counts.change_evidence(change["group"], change["onset"], DRIVER_TERMS)

    def explained(self, examples: list[dict]) -> list[dict]:
        """Example reviews explained word by word, each with its sentences and their labels."""
        if self.pipeline is None or not examples:
            return []
        from ..explain import explain

        texts = list(dict.fromkeys(example["text"] for example in examples))[:EXPLAINED]
        explained = explain(self.pipeline, texts, top=EXPLAINED_PHRASES)
        sentences = score_sentences(self.pipeline, [e["text"] for e in explained])
        for i, explanation in enumerate(explained):
            mine = sentences[sentences["review"] == i]
            explanation["sentences"] = [{"start": int(s.start), "end": int(s.end), "label": str(s.label),
                                         "probability": float(s.probability)} for s in mine.itertuples()]
        return explained
