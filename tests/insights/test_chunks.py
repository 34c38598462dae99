"""Reading a scored file in chunks gives the summary of reading it whole; dates parse fast and right."""

from __future__ import annotations

import numpy as np
import pandas as pd

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
