"""Reading a scored file in chunks gives the summary of reading it whole; dates parse fast and right."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from customer_sentiment.insights import Columns, summarize, summarize_chunks, summarize_file
from customer_sentiment.insights.chunks import parse_dates, period_names

from .test_summary import large_scored


def varied_scored() -> pd.DataFrame:
    """large_scored with probabilities, star ratings, an undated row and repeated texts in every chunk."""
    frame = large_scored()
    rng = np.random.default_rng(0)
    negative = frame["predicted_label"].eq("negative").to_numpy()
    frame["prob_negative"] = np.where(negative, rng.uniform(0.5, 1, len(frame)), rng.uniform(0, 0.5, len(frame)))
    frame["prob_positive"] = 1 - frame["prob_negative"]
    frame["rating"] = np.where(rng.random(len(frame)) < 0.1, 5, np.where(negative, 1, 5))
    frame["review"] = [f"{text} and then it broke down for good {i % 7}" for i, text in enumerate(frame["review"])]
    frame.loc[5, "date"] = "someday"
    return frame


def test_a_summary_in_chunks_equals_the_summary_of_the_whole():
    frame = varied_scored()
    columns = Columns("product", time="date", text="review", rating="rating")
    whole = summarize_chunks([frame], columns, top=5, examples=3, source="x")
    for size in (29, 97, 500):
        chunks = [frame.iloc[start:start + size] for start in range(0, len(frame), size)]
        assert summarize_chunks(chunks, columns, top=5, examples=3, source="x") == whole
    assert whole == summarize(frame, by="product", time_column="date", text_column="review", rating_column="rating",
                              source="x")
    assert whole["skipped"] == {"unreadable date in 'date' (left out of the period tables)": 1}


def test_summarize_file_reads_in_chunks(tmp_path):
    frame = varied_scored()
    frame.to_csv(tmp_path / "scored.csv", index=False)
    columns = Columns("product", time="date", text="review", rating="rating")
    in_chunks = summarize_file(tmp_path / "scored.csv", columns, chunk_rows=100)
    whole = summarize_file(tmp_path / "scored.csv", columns, chunk_rows=None)
    assert in_chunks == whole and whole["reviews"] == len(frame)
    assert [c["group"] for c in whole["changes"]] == ["fryer"]


def test_dates_parse_as_iso_first_and_mixed_formats_after():
    dates = parse_dates(pd.Series(["2025-10-01", "2025-10-31T23:30:00-02:00", "October 3, 2025", None, "", "n/a"]))
    assert dates.dt.strftime("%Y-%m-%d").tolist()[:3] == ["2025-10-01", "2025-11-01", "2025-10-03"]
    assert dates.isna().tolist() == [False, False, False, True, True, True]
    assert period_names(dates, "M").tolist() == ["2025-10", "2025-11", "2025-10", None, None, None]
    assert period_names(dates, "Q").tolist()[:2] == ["2025Q4", "2025Q4"]


def test_a_file_sorted_by_label_gives_the_same_summary_in_any_chunks(tmp_path):
    """Which labels a chunk happens to hold decides nothing: the first chunks here hold no positive review,
    and only one label has its probability column."""
    frame = varied_scored().assign(predicted_label=lambda f: f["predicted_label"].where(f.index % 5 > 0, "neutral"))
    frame.drop(columns="prob_positive").sort_values("predicted_label", kind="stable").to_csv(tmp_path / "s.csv", index=False)
    columns = Columns("product", time="date", text="review", rating="rating")
    in_chunks = summarize_file(tmp_path / "s.csv", columns, chunk_rows=7)
    assert in_chunks == summarize_file(tmp_path / "s.csv", columns, chunk_rows=None)
    fryer = next(d for d in in_chunks["drivers"] if d["group"] == "fryer")
    assert fryer["positive_units"] == int(((frame["product"] == "fryer") & (frame["predicted_label"] == "positive")).sum())


def test_infinities_and_empty_groups_are_no_numbers_and_no_names(tmp_path):
    import json

    frame = varied_scored().astype({"rating": object, "prob_positive": object})
    frame.loc[0, "rating"], frame.loc[1, "prob_positive"], frame.loc[2, "rating"] = "inf", "-inf", "five stars"
    frame.loc[3:5, "product"] = "  "
    frame.to_csv(tmp_path / "scored.csv", index=False)
    frame.loc[3:5, "product"] = None
    frame.astype({"rating": str, "prob_positive": str}).to_parquet(tmp_path / "scored.parquet")
    columns = Columns("product", time="date", text="review", rating="rating")
    for name in ("scored.csv", "scored.parquet"):
        summary = summarize_file(tmp_path / name, columns)
        json.loads(json.dumps(summary), parse_constant=lambda c: pytest.fail(f"{c} in the JSON"))
        assert "(none)" in [g["name"] for g in summary["groups"]] and "" not in [g["name"] for g in summary["groups"]]
        assert summary["skipped"]["rating in 'rating' not a finite number (left out of stars against words)"] == 2
