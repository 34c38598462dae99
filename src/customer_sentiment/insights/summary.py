"""The business summary of scored reviews: sentiment shares by group (e.g. product) and by period, the
groups with the most negative reviews and their trend, every group whose negative share changed
(tested in `changes`), example reviews, and stars against words.

The input is a table with one predicted (or true) label per review, such as the output of
`customer-sentiment predict`, as one DataFrame (`summarize`) or a file read in chunks
(`summarize_file`, bounded memory); the result is a JSON-ready dict that `display.print_summary`
renders.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..changes import FALSE_DISCOVERY_RATE, MIN_REVIEWS_EACH_SIDE, PERMUTATIONS, detect_changes, wilson_interval
from ..errors import CustomerSentimentError
from ..io import CHUNK_ROWS, ReadOptions, iter_table_chunks
from .chunks import Columns
from .reading import TextReading
from .tally import UNDATED, Tally

if TYPE_CHECKING:                # PyTorch loads only when a model is given: a report of labels needs none
    from ..pipeline import SentimentPipeline


def summarize(frame: pd.DataFrame, by: str, label_column: str = "predicted_label", time_column: str | None = None,
              text_column: str | None = None, negative_label: str = "negative", period: str = "month",
              top: int = 5, examples: int = 3, source: str = "the scored file", rating_column: str | None = None,
              pipeline: SentimentPipeline | None = None, evaluation: dict | None = None) -> dict:
    """Sentiment shares by `by` (e.g. product) and by period, the products most complained about, and
    (with dates) every group whose negative share changed significantly.

    For each of the `top` groups with the most negative reviews: its negative share per period with a
    Wilson 95 % interval, its detected change if any, and `examples` negative reviews. `"changes"` lists
    the groups with a change at a false discovery rate of 5 %, most significant first (see `changes`).
    With `rating_column`, `"stars_vs_words"` counts the reviews whose text reads opposite to their stars.
    With `text_column`, `"drivers"` lists the terms behind each shown group's complaints, and each change
    to worse carries its `"evidence"`; with the `pipeline` that scored the reviews, by sentence, and
    `"explained_examples"` explains example reviews word by word. `evaluation` (the model's test metrics)
    is passed through for the HTML report's reliability diagram.

    >>> scored = pd.DataFrame({"product": ["fryer", "fryer", "kettle"], "date": ["2025-01-02"] * 3,
    ...                        "predicted_label": ["negative", "positive", "positive"]})
    >>> summarize(scored, by="product", time_column="date")["most_negative"][0]["name"]
    'fryer'
    """
    columns = Columns(by, label_column, time_column, text_column, rating_column, negative_label, period)
    if not frame.index.is_unique:                      # rows are told apart by their index
        frame = frame.reset_index(drop=True)
    return summarize_chunks([frame], columns, top, examples, source, pipeline, evaluation)


def summarize_file(path: str | Path, columns: Columns, top: int = 5, examples: int = 3,
                   options: ReadOptions | str | None = None, chunk_rows: int = CHUNK_ROWS,
                   pipeline: SentimentPipeline | None = None, evaluation: dict | None = None) -> dict:
    """`summarize` of a scored file read in chunks of `chunk_rows` rows: memory depends on the number of
    groups, periods and terms, not on the number of reviews."""
    return summarize_chunks(iter_table_chunks(path, chunk_rows, options), columns, top, examples, str(path),
                            pipeline, evaluation)


def summarize_chunks(chunks: Iterable[pd.DataFrame], columns: Columns, top: int, examples: int, source: str,
                     pipeline: SentimentPipeline | None = None, evaluation: dict | None = None) -> dict:
    """The summary of scored reviews that arrive in chunks (see `summarize`)."""
    tally = Tally(columns, examples, pipeline)
    for chunk in chunks:
        tally.add(chunk, source)
    summary = summary_of(tally, top, examples, source)
    if evaluation:
        summary["evaluation"] = evaluation
    return summary


def summary_of(tally: Tally, top: int, examples: int, source: str) -> dict:
    """The JSON-ready summary of everything counted in `tally`."""
    columns, table = tally.columns, tally.table()
    if table.empty:
        raise CustomerSentimentError(f"{source} has no labelled reviews to summarize",
                                     fix="Score it with `customer-sentiment predict` first.")
    labels, negative = sorted(table["label"].unique()), columns.negative_label
    if negative not in labels:
        raise CustomerSentimentError(
            f"Label '{negative}' not found in column '{columns.label}' of {source}",
            found=str(labels) if len(labels) <= 20 else f"{len(labels):,} labels, e.g. {labels[:10]}",
            fix="Pass --negative-label with the label to track (e.g. the complaint class).")
    by_label = table.groupby("label")["reviews"].sum()
    summary = {"reviews": int(by_label.sum()), "labels": labels, "by": columns.by, "negative_label": negative,
               "overall": _shares(by_label, labels), "skipped": tally.skipped,
               "groups": _share_rows(table, "group", labels, negative)}
    changes = None
    if columns.time:
        dated = table[table["period"] != UNDATED]
        summary.update(time_column=columns.time, period=columns.period,
                       periods=_share_rows(dated, "period", labels, negative, sort_by_name=True))
        summary.update(_changes(_negatives_by(dated, negative, ["group", "period"]), tally, examples))
        changes = summary["changes"]
    summary["most_negative"] = _most_negative(table, negative, top, examples, tally, changes)
    if tally.stars is not None:
        summary["stars_vs_words"] = tally.stars.result()
    _read_texts(summary, tally.reading)
    return summary


def _read_texts(summary: dict, reading: TextReading) -> None:
    """Drivers of the groups shown (the most negative, and every changed one), the evidence of each change
    to worse, and example reviews explained (given the model)."""
    changes = summary.get("changes", [])
    shown = list(dict.fromkeys([e["name"] for e in summary["most_negative"]] + [c["group"] for c in changes]))
    drivers = reading.drivers(shown)
    if drivers:
        summary["drivers"], summary["drivers_counted"] = drivers, reading.counted()
    reading.add_evidence(changes)
    examples = [c["examples"][0] for c in changes if c.get("examples")]
    examples += [e["examples"][0] for e in summary["most_negative"] if e["examples"]]
    explained = reading.explained(examples)
    if explained:
        summary["explained_examples"] = explained


def _shares(counts: pd.Series, labels: list[str]) -> dict[str, float]:
    total = max(int(counts.sum()), 1)
    return {label: round(float(counts.get(label, 0)) / total, 4) for label in labels}


def _share_rows(table: pd.DataFrame, key: str, labels: list[str], negative: str, sort_by_name: bool = False) -> list[dict]:
    rows = []
    for name, part in table.groupby(key, sort=True):
        by_label = part.groupby("label")["reviews"].sum()
        rows.append({"name": str(name), "reviews": int(by_label.sum()), "shares": _shares(by_label, labels),
                     "negative_reviews": int(by_label.get(negative, 0))})
    if not sort_by_name:
        rows.sort(key=lambda r: (-r["shares"][negative], -r["reviews"], r["name"]))
    return rows


def _negatives_by(table: pd.DataFrame, negative: str, keys: list[str]) -> pd.DataFrame:
    """Reviews and negative reviews per `keys`, one row each."""
    counted = table.assign(negatives=table["reviews"].where(table["label"] == negative, 0))
    return counted.groupby(keys, sort=True)[["reviews", "negatives"]].sum().reset_index()


def _most_negative(table: pd.DataFrame, negative: str, top: int, examples: int, tally: Tally,
                   changes: list[dict] | None) -> list[dict]:
    per_group = _negatives_by(table, negative, ["group"]).set_index("group")
    per_group = per_group[per_group["negatives"] > 0]
    ranked = sorted(per_group.index, key=lambda g: (-per_group.at[g, "negatives"],
                                                    -per_group.at[g, "negatives"] / per_group.at[g, "reviews"], str(g)))
    dated = _negatives_by(table[table["period"] != UNDATED], negative, ["group", "period"])
    out = []
    for group in ranked[:top]:
        negatives, reviews = int(per_group.at[group, "negatives"]), int(per_group.at[group, "reviews"])
        entry = {"name": str(group), "negative_reviews": negatives, "reviews": reviews,
                 "negative_share": round(negatives / reviews, 4)}
        if changes is not None:
            entry["trend"] = _trend(dated[dated["group"] == group])
            entry["change"] = next((c for c in changes if c["group"] == str(group)), None)
        entry["examples"] = tally.examples.pick(examples, group)
        out.append(entry)
    return out


def _trend(counts: pd.DataFrame) -> list[dict]:
    """Negative share per period with its Wilson 95 % interval (`low`, `high`)."""
    low, high = wilson_interval(counts["negatives"], counts["reviews"])
    shares = counts["negatives"] / counts["reviews"]
    return [{"period": str(period), "reviews": int(reviews), "negative_share": round(float(share), 4),
             "low": round(float(lo), 4), "high": round(float(hi), 4)}
            for period, reviews, share, lo, hi in zip(counts["period"], counts["reviews"], shares, low, high, strict=True)]


def _changes(counts: pd.DataFrame, tally: Tally, examples: int) -> dict:
    """Every group tested for a change in its negative share; for a change to worse, examples of the
    negative reviews from its onset on (the new complaints)."""
    found = detect_changes(counts)
    for change in found["changes"]:
        if change["direction"] == "worse":
            change["examples"] = tally.examples.pick(examples, change["group"], since=change["onset"])
    test = {"groups_tested": len(found["tests"]), "groups_too_small": found["too_small"],
            "false_discovery_rate": FALSE_DISCOVERY_RATE, "min_reviews_each_side": MIN_REVIEWS_EACH_SIDE,
            "permutations": PERMUTATIONS,
            "method": "most likely single change point by binomial likelihood ratio; permutation p-value of the "
                      "maximum over splits; Benjamini-Hochberg across groups"}
    return {"changes": found["changes"], "change_test": test}
