"""What the texts say in the summary: driver terms, the evidence of a change, and the bound on the
reviews whose terms are counted."""

from __future__ import annotations

import pandas as pd

from customer_sentiment.insights import Columns, reading, summarize, summarize_chunks

from .test_summary import large_scored


def fryer_fault() -> pd.DataFrame:
    """large_scored, where the fryer's complaints from July name a new fault."""
    frame = large_scored()
    late = frame["date"] >= "2025-07"
    fryer_negative = (frame["product"] == "fryer") & (frame["predicted_label"] == "negative")
    frame.loc[fryer_negative & late, "review"] = "The door hinge snapped off"
    frame.loc[fryer_negative & ~late, "review"] = "Fries come out soggy"
    return frame


def test_a_change_to_worse_carries_the_terms_of_its_new_complaints():
    summary = summarize(fryer_fault(), by="product", time_column="date", text_column="review")
    (change,) = summary["changes"]
    terms = [t["term"] for t in change["evidence"]["terms"]]
    assert terms and "hinge" in terms[0] and "soggy" not in " ".join(terms)
    assert change["evidence"]["examples"][0]["text"] == "The door hinge snapped off"
    fryer = next(d for d in summary["drivers"] if d["group"] == "fryer")
    assert fryer["unit"] == "reviews" and [t["term"] for t in fryer["terms"]] == ["door hinge snapped", "fries come out"]
    assert summary["drivers_counted"] == {"reviews_read": 960, "reviews_counted": 960,
                                          "characters_per_group_period_label": reading.CHARACTERS_PER_CELL}


def test_terms_are_counted_in_a_bounded_number_of_reviews_per_cell_whatever_the_chunks(monkeypatch):
    monkeypatch.setattr(reading, "CHARACTERS_PER_CELL", 100)
    frame = fryer_fault()
    columns = Columns("product", time="date", text="review")
    whole = summarize_chunks([frame], columns, top=5, examples=3, source="x")
    # Each review starts a cell's count while fewer than 100 characters are counted in it: ceil(100 / length).
    lengths = frame["review"].str.len()
    cells = frame.assign(length=lengths).groupby(["product", frame["date"].str[:7], "predicted_label"])["length"]
    expected = sum(min(len(part), -(-100 // part.iloc[0])) for _, part in cells)
    assert whole["drivers_counted"]["reviews_counted"] == expected < len(frame)
    chunks = [frame.iloc[start:start + 37] for start in range(0, len(frame), 37)]
    assert summarize_chunks(chunks, columns, top=5, examples=3, source="x") == whole
    assert "hinge" in whole["changes"][0]["evidence"]["terms"][0]["term"]


def test_without_text_there_are_no_drivers():
    summary = summarize(fryer_fault().drop(columns="review"), by="product", time_column="date")
    assert "drivers" not in summary and "evidence" not in summary["changes"][0]


def test_the_review_that_crosses_the_cap_is_cut_there(monkeypatch):
    monkeypatch.setattr(reading, "CHARACTERS_PER_CELL", 30)
    data = pd.DataFrame({"group": "fryer", "period": "2025-07", "label": "negative",
                         "text": ["Door hinge snapped", "The drawer stuck" + " and stuck" * 10_000, "Never counted"]})
    kept = reading.TextReading("negative")._within_cap(data)
    assert kept["text"].tolist() == ["Door hinge snapped", "The drawer s"]        # 18 + 12 = 30 characters
