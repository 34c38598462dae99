"""The business summary: shares, the most complained-about products, their trend, examples."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from customer_sentiment.errors import CustomerSentimentError
from customer_sentiment.insights import summarize


def scored() -> pd.DataFrame:
    rows = []
    for month in range(1, 7):
        date = f"2025-{month:02d}-15"
        fryer_negative = 1 if month <= 3 else 3          # the fryer turns worse from April
        rows += [("fryer", date, "negative", f"Stopped heating after {month} weeks, avoid it please now")] * fryer_negative
        rows += [("fryer", date, "positive", "Crispy fries")] * (4 - fryer_negative)
        rows += [("kettle", date, "negative", "Leaks")] + [("kettle", date, "positive", "Fast")] * 3
        rows += [("kettle", date, "neutral", "Fine")]
    return pd.DataFrame(rows, columns=["product", "date", "predicted_label", "review"])


def test_shares_by_product_and_month():
    summary = summarize(scored(), by="product", time_column="date", text_column="review")
    assert summary["reviews"] == 54 and summary["labels"] == ["negative", "neutral", "positive"]
    fryer = next(g for g in summary["groups"] if g["name"] == "fryer")
    assert fryer["reviews"] == 24 and fryer["shares"]["negative"] == round(12 / 24, 4)
    assert summary["groups"][0]["name"] == "fryer"                   # most negative first
    assert [p["name"] for p in summary["periods"]] == [f"2025-{m:02d}" for m in range(1, 7)]
    assert summary["periods"][0]["reviews"] == 9


def test_most_negative_products_with_their_trend_and_examples():
    summary = summarize(scored(), by="product", time_column="date", text_column="review")
    top = summary["most_negative"]
    assert [entry["name"] for entry in top] == ["fryer", "kettle"]
    fryer = top[0]
    assert [p["negative_share"] for p in fryer["trend"]] == [0.25, 0.25, 0.25, 0.75, 0.75, 0.75]
    assert (fryer["trend"][0]["low"], fryer["trend"][0]["high"]) == (0.0456, 0.6994)    # Wilson 95 %, 1 of 4
    assert fryer["examples"][0] == {"text": "Stopped heating after 6 weeks, avoid it please now", "date": "2025-06-15"}
    assert len(fryer["examples"]) == 3
    # 24 reviews a product: under 30 on each side of any split, so neither is tested, however stark the shift.
    assert fryer["change"] is None and summary["changes"] == []
    assert summary["change_test"]["groups_tested"] == 0 and summary["change_test"]["groups_too_small"] == 2


def large_scored() -> pd.DataFrame:
    """Two products, 40 reviews a month for a year; the fryer's complaints jump from 10 % to 50 % in July."""
    rows = []
    for month in range(1, 13):
        date = f"2025-{month:02d}-15"
        fryer_negative = 4 if month < 7 else 20
        rows += [("fryer", date, "negative", f"Stopped heating in month {month}")] * fryer_negative
        rows += [("fryer", date, "positive", "Crispy fries")] * (40 - fryer_negative)
        rows += [("kettle", date, "negative", "Leaks")] * 8 + [("kettle", date, "positive", "Fast")] * 32
    return pd.DataFrame(rows, columns=["product", "date", "predicted_label", "review"])


def test_changes_list_each_group_with_a_significant_shift():
    summary = summarize(large_scored(), by="product", time_column="date", text_column="review", examples=1)
    assert [c["group"] for c in summary["changes"]] == ["fryer"]                        # the steady kettle is not
    fryer = summary["changes"][0]
    assert {k: fryer[k] for k in ("direction", "onset", "before_share", "after_share", "before_reviews")} == {
        "direction": "worse", "onset": "2025-07", "before_share": 0.1, "after_share": 0.5, "before_reviews": 240}
    assert fryer["q_value"] < 0.05 and fryer["examples"] == [{"text": "Stopped heating in month 12", "date": "2025-12-15"}]
    assert summary["most_negative"][0]["change"] == fryer and summary["most_negative"][1]["change"] is None
    assert summary["change_test"]["groups_tested"] == 2


def test_without_dates_there_is_no_trend():
    summary = summarize(scored(), by="product")
    assert "periods" not in summary and "trend" not in summary["most_negative"][0]
    assert "changes" not in summary and "change" not in summary["most_negative"][0]


def test_unreadable_dates_and_unlabelled_rows_are_counted():
    frame = scored()
    frame.loc[0, "date"] = "not a date"
    frame.loc[1, "predicted_label"] = ""
    summary = summarize(frame, by="product", time_column="date")
    assert summary["skipped"] == {"no label (empty review text)": 1,
                                  "unreadable date in 'date' (left out of the period tables)": 1}
    assert summary["reviews"] == 53 and sum(p["reviews"] for p in summary["periods"]) == 52


def test_a_missing_negative_label_says_how_to_pick_one():
    frame = scored().replace({"negative": "complaint"})
    with pytest.raises(CustomerSentimentError, match=re.escape(
            "Label 'negative' not found in column 'predicted_label' of the scored file: found ['complaint', 'neutral', "
            "'positive']. Pass --negative-label")):
        summarize(frame, by="product")
    assert summarize(frame, by="product", negative_label="complaint")["most_negative"][0]["name"] == "fryer"


def test_a_missing_column_lists_the_columns():
    with pytest.raises(CustomerSentimentError, match=re.escape("Column 'sku' not found in the scored file: found")):
        summarize(scored(), by="sku")
