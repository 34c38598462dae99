"""Business aggregates of scored reviews: sentiment share by product and by period, the products
with the most negative reviews and how that changed, and example reviews for each.

The input is a table with one predicted (or true) label per review, such as the output of
`customer-sentiment predict`; the result is a JSON-ready dict that `display.print_summary` renders.
"""

from __future__ import annotations

import pandas as pd

from .errors import CustomerSentimentError
from .io import clean_texts, require_columns

PERIODS = {"month": "M", "quarter": "Q", "week": "W"}


def summarize(frame: pd.DataFrame, by: str, label_column: str = "predicted_label", time_column: str | None = None,
              text_column: str | None = None, negative_label: str = "negative", period: str = "month",
              top: int = 5, examples: int = 3, recent_periods: int = 3, source: str = "the scored file") -> dict:
    """Sentiment shares by `by` (e.g. product) and by period, and the products most complained about.

    For each of the `top` groups with the most negative reviews: its negative share per period, the
    change from all earlier periods to the last `recent_periods`, and `examples` negative reviews.

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
    summary["most_negative"] = _most_negative(data, labels, negative_label, top, examples, recent_periods,
                                              bool(time_column))
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
                   recent_periods: int, dated: bool) -> list[dict]:
    counts = data[data["label"] == negative].groupby("group").size()
    totals = data.groupby("group").size()
    ranked = sorted(counts.index, key=lambda g: (-counts[g], -counts[g] / totals[g], str(g)))[:top]
    out = []
    for group in ranked:
        part = data[data["group"] == group]
        entry = {"name": str(group), "negative_reviews": int(counts[group]), "reviews": int(totals[group]),
                 "negative_share": round(float(counts[group] / totals[group]), 4)}
        if dated:
            entry.update(_trend(part.dropna(subset=["date"]), negative, recent_periods))
        entry["examples"] = _examples(part[part["label"] == negative], examples)
        out.append(entry)
    return out


def _trend(part: pd.DataFrame, negative: str, recent: int) -> dict:
    """Negative share per period, and in the last `recent` periods against all periods before them."""
    by_period = part.groupby("period")["label"].agg(reviews="size", negative=lambda s: int((s == negative).sum()))
    trend = [{"period": str(p), "reviews": int(r.reviews), "negative_share": round(r.negative / r.reviews, 4)}
             for p, r in by_period.iterrows()]
    periods = list(by_period.index)
    if len(periods) <= recent:
        return {"trend": trend, "change": None}
    last, before = periods[-recent:], periods[:-recent]

    def share(selected):
        rows = by_period.loc[selected]
        return round(float(rows["negative"].sum() / max(rows["reviews"].sum(), 1)), 4)

    change = {"recent_periods": f"{last[0]}..{last[-1]}", "recent_share": share(last),
              "previous_periods": f"{before[0]}..{before[-1]}", "previous_share": share(before)}
    change["difference"] = round(change["recent_share"] - change["previous_share"], 4)
    return {"trend": trend, "change": change}


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
