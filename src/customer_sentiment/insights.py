"""Business aggregates of scored reviews: sentiment share by product and by period, the products
with the most negative reviews, the groups whose negative share changed (tested in `changes`), and
example reviews for each.

The input is a table with one predicted (or true) label per review, such as the output of
`customer-sentiment predict`; the result is a JSON-ready dict that `display.print_summary` renders.
"""

from __future__ import annotations

import pandas as pd

from .changes import FALSE_DISCOVERY_RATE, MIN_REVIEWS_EACH_SIDE, PERMUTATIONS, detect_changes, wilson_interval
from .errors import CustomerSentimentError
from .io import clean_texts, require_columns

PERIODS = {"month": "M", "quarter": "Q", "week": "W"}


def summarize(frame: pd.DataFrame, by: str, label_column: str = "predicted_label", time_column: str | None = None,
              text_column: str | None = None, negative_label: str = "negative", period: str = "month",
              top: int = 5, examples: int = 3, source: str = "the scored file") -> dict:
    """Sentiment shares by `by` (e.g. product) and by period, the products most complained about, and
    (with dates) every group whose negative share changed significantly.

    For each of the `top` groups with the most negative reviews: its negative share per period with a
    Wilson 95 % interval, its detected change if any, and `examples` negative reviews. `"changes"` lists
    the groups with a change at a false discovery rate of 5 %, most significant first (see `changes`).

    >>> scored = pd.DataFrame({"product": ["fryer", "fryer", "kettle"], "date": ["2025-01-02"] * 3,
    ...                        "predicted_label": ["negative", "positive", "positive"]})
    >>> summarize(scored, by="product", time_column="date")["most_negative"][0]["name"]
    'fryer'
    """
    options = {by: "--by", label_column: "--label-column", time_column: "--time-column", text_column: "--text-column"}
    require_columns(frame, source, {column: option for column, option in options.items() if column is not None})
    if period not in PERIODS:
        raise CustomerSentimentError(f"Unknown period {period!r}", expected=f"one of {', '.join(PERIODS)}",
                                     fix="Pass --period with one of those.")
    labels_raw = frame[label_column].astype("string").fillna("").str.strip()
    skipped = {}
    unlabelled = labels_raw.eq("")
    if unlabelled.any():
        skipped["no label (empty review text)"] = int(unlabelled.sum())
    data = pd.DataFrame({"group": frame[by].astype("string").fillna("(none)"), "label": labels_raw})[~unlabelled]
    if data.empty:
        raise CustomerSentimentError(f"{source} has no labelled reviews to summarize",
                                     fix="Score it with `customer-sentiment predict` first.")
    labels = sorted(data["label"].unique())
    if negative_label not in labels:
        raise CustomerSentimentError(
            f"Label '{negative_label}' not found in column '{label_column}' of {source}", found=str(labels),
            fix="Pass --negative-label with the label to track (e.g. the complaint class).")
    if text_column:
        data["text"] = pd.Series(clean_texts(frame.loc[data.index, text_column]).to_pylist(), index=data.index)
    probability = f"prob_{negative_label}"
    if probability in frame.columns:
        data["confidence"] = pd.to_numeric(frame.loc[data.index, probability], errors="coerce")
    if time_column:
        dates = pd.to_datetime(frame.loc[data.index, time_column], errors="coerce", format="mixed", utc=True)
        dates = dates.dt.tz_localize(None)                 # periods in UTC; mixed offsets are fine
        if dates.isna().any():
            skipped[f"unreadable date in '{time_column}' (left out of the period tables)"] = int(dates.isna().sum())
        data["date"] = dates
        data["period"] = dates.dt.to_period(PERIODS[period]).astype("string")

    summary = {"reviews": int(len(data)), "labels": labels, "by": by, "negative_label": negative_label,
               "overall": _shares(data["label"], labels), "skipped": skipped,
               "groups": _group_table(data, "group", labels, negative_label)}
    if time_column:
        dated = data.dropna(subset=["date"])
        summary.update(time_column=time_column, period=period,
                       periods=_group_table(dated, "period", labels, negative_label, sort_by_name=True))
        summary.update(_changes(dated, negative_label, examples))
    summary["most_negative"] = _most_negative(data, labels, negative_label, top, examples,
                                              summary.get("changes"))
    return summary


def _shares(labels: pd.Series, classes: list[str]) -> dict[str, float]:
    counts = labels.value_counts()
    return {label: round(float(counts.get(label, 0)) / max(len(labels), 1), 4) for label in classes}


def _group_table(data: pd.DataFrame, key: str, labels: list[str], negative: str,
                 sort_by_name: bool = False) -> list[dict]:
    rows = []
    for name, part in data.groupby(key, sort=True):
        shares = _shares(part["label"], labels)
        rows.append({"name": str(name), "reviews": int(len(part)), "shares": shares,
                     "negative_reviews": int((part["label"] == negative).sum())})
    if not sort_by_name:
        rows.sort(key=lambda r: (-r["shares"][negative], -r["reviews"], r["name"]))
    return rows


def _most_negative(data: pd.DataFrame, labels: list[str], negative: str, top: int, examples: int,
                   changes: list[dict] | None) -> list[dict]:
    counts = data[data["label"] == negative].groupby("group").size()
    totals = data.groupby("group").size()
    ranked = sorted(counts.index, key=lambda g: (-counts[g], -counts[g] / totals[g], str(g)))[:top]
    out = []
    for group in ranked:
        part = data[data["group"] == group]
        entry = {"name": str(group), "negative_reviews": int(counts[group]), "reviews": int(totals[group]),
                 "negative_share": round(float(counts[group] / totals[group]), 4)}
        if changes is not None:
            entry["trend"] = _trend(part.dropna(subset=["date"]), negative)
            entry["change"] = next((c for c in changes if c["group"] == str(group)), None)
        entry["examples"] = _examples(part[part["label"] == negative], examples)
        out.append(entry)
    return out


def _period_counts(dated: pd.DataFrame, negative: str, keys: list[str]) -> pd.DataFrame:
    return (dated.assign(negative=dated["label"].eq(negative)).groupby(keys)["negative"]
            .agg(reviews="size", negatives="sum").reset_index())


def _trend(part: pd.DataFrame, negative: str) -> list[dict]:
    """Negative share per period with its Wilson 95 % interval (`low`, `high`)."""
    counts = _period_counts(part, negative, ["period"])
    low, high = wilson_interval(counts["negatives"], counts["reviews"])
    shares = counts["negatives"] / counts["reviews"]
    return [{"period": str(period), "reviews": int(reviews), "negative_share": round(float(share), 4),
             "low": round(float(lo), 4), "high": round(float(hi), 4)}
            for period, reviews, share, lo, hi in zip(counts["period"], counts["reviews"], shares, low, high, strict=True)]


def _changes(dated: pd.DataFrame, negative: str, examples: int) -> dict:
    """Every group tested for a change in its negative share; for a change to worse, examples of the
    negative reviews from its onset on (the new complaints)."""
    found = detect_changes(_period_counts(dated, negative, ["group", "period"]))
    for change in found["changes"]:
        if change["direction"] == "worse":
            new = dated[(dated["group"] == change["group"]) & (dated["period"] >= change["onset"])
                        & (dated["label"] == negative)]
            change["examples"] = _examples(new, examples)
    test = {"groups_tested": len(found["tests"]), "groups_too_small": found["too_small"],
            "false_discovery_rate": FALSE_DISCOVERY_RATE, "min_reviews_each_side": MIN_REVIEWS_EACH_SIDE,
            "permutations": PERMUTATIONS,
            "method": "most likely single change point by binomial likelihood ratio; permutation p-value of the "
                      "maximum over splits; Benjamini-Hochberg across groups"}
    return {"changes": found["changes"], "change_test": test}


def _examples(negatives: pd.DataFrame, n: int, min_words: int = 8) -> list[dict]:
    """Up to n distinct negative reviews, the most recent (or most confident) first, preferring
    reviews long enough to say what went wrong."""
    if "text" not in negatives or n == 0:
        return []
    key = "date" if "date" in negatives else "confidence" if "confidence" in negatives else None
    order = negatives.sort_values(key, ascending=False, kind="stable") if key else negatives
    informative = order["text"].str.split().str.len().fillna(0) >= min_words
    order = pd.concat([order[informative], order[~informative]])
    picked: list[dict] = []
    for _, row in order.drop_duplicates("text").head(n).iterrows():
        example = {"text": str(row["text"])}
        if "date" in row and pd.notna(row["date"]):
            example["date"] = row["date"].date().isoformat()
        if "confidence" in row and pd.notna(row["confidence"]):
            example["probability"] = round(float(row["confidence"]), 4)
        picked.append(example)
    return picked
