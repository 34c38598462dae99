"""sample_reviews.csv: written by its seeded generator, and shaped as the tutorial promises."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd

from .conftest import ROOT, SAMPLE


def test_the_committed_file_is_what_the_generator_writes():
    done = subprocess.run([sys.executable, ROOT / "scripts" / "generate_sample_reviews.py", "--check"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_shape_of_the_sample():
    frame = pd.read_csv(SAMPLE)
    assert list(frame.columns) == ["review_id", "date", "product", "category", "rating", "review"]
    assert len(frame) >= 2000 and frame["review_id"].is_unique
    assert set(frame["rating"]) == {1, 2, 3, 4, 5}
    dates = pd.to_datetime(frame["date"])
    assert (dates.max() - dates.min()).days >= 365
    assert frame["product"].nunique() >= 8 and frame["category"].nunique() >= 3
    lengths = frame["review"].str.split().str.len()
    assert lengths.min() <= 4 and lengths.max() >= 50                     # short and long reviews
    text = " ".join(frame["review"]).lower()
    for phrase in ("not bad at all", "no problems so far", "recieved", "<br />", "&#039;", " but "):
        assert phrase in text, phrase


def test_one_product_turns_worse_over_time():
    frame = pd.read_csv(SAMPLE, parse_dates=["date"])
    fryer = frame[frame["product"] == "ChefPro Air Fryer"]
    early = fryer[fryer["date"] < "2025-10-01"]["rating"].mean()
    late = fryer[fryer["date"] >= "2025-10-01"]["rating"].mean()
    assert early - late > 0.8
