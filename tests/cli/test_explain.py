"""`customer-sentiment explain`, end to end: a review's text, a review file, --json, and a mistake."""

from __future__ import annotations

import json

import pandas as pd

from customer_sentiment import SentimentPipeline
from customer_sentiment.console import printable
from customer_sentiment.explain import explain

from ..conftest import SAMPLE, invoke


def test_explains_a_reviews_text_with_its_words_weighed(sample_model_dir):
    text = "Stopped heating after two weeks, though the fries were great. Avoid."
    done = invoke("explain", sample_model_dir, text, "--top", "2", "--device", "cpu")
    assert done.returncode == 0, done.stderr
    [expected] = explain(SentimentPipeline.load(sample_model_dir, device="cpu"), [text], top=2)
    assert expected["toward"] and expected["against"]
    lines = done.stdout.splitlines()
    assert lines[0] == f"{expected['label']} {expected['probability']:.2f}  (exact n-gram contributions)"
    assert lines[1] == text
    assert lines[2] == "  toward: " + ", ".join(f"{p['phrase']} {p['weight']:+.3f}" for p in expected["toward"])
    assert lines[3] == "  against: " + ", ".join(f"{p['phrase']} {p['weight']:+.3f}" for p in expected["against"])


def test_explains_the_first_reviews_of_a_file_into_json(sample_model_dir, tmp_path):
    reviews = pd.read_csv(SAMPLE, dtype=str).iloc[:5].rename(columns={"review": "comment"})
    reviews.loc[0, "comment"] = "\x1b[31mRed\x1b[0m and [bold]loud[/bold]"          # escapes, markup: shown as text
    reviews.to_csv(tmp_path / "reviews.csv", index=False)
    done = invoke("explain", sample_model_dir, tmp_path / "reviews.csv", "--text-column", "comment", "--limit", "3",
                  "--json", tmp_path / "why.json", "--device", "cpu")
    assert done.returncode == 0, done.stderr
    assert f"Explaining the first 3 of 5 reviews in {tmp_path / 'reviews.csv'} (--limit 3" in done.stderr
    assert f"Wrote 3 explanations to {tmp_path / 'why.json'}" in done.stderr
    written = json.loads((tmp_path / "why.json").read_text())
    expected = explain(SentimentPipeline.load(sample_model_dir, device="cpu"), reviews["comment"].iloc[:3].tolist())
    assert written == json.loads(json.dumps(expected))
    assert "\\x1b[31mRed\\x1b[0m and [bold]loud[/bold]" in done.stdout and "\x1b" not in done.stdout
    for explanation in written:                                      # each review on one line, as written
        assert printable(explanation["text"]) in done.stdout.splitlines()


def test_a_missing_text_column_is_a_one_line_error(sample_model_dir, tmp_path):
    pd.read_csv(SAMPLE, dtype=str).iloc[:3].to_csv(tmp_path / "reviews.csv", index=False)
    done = invoke("explain", sample_model_dir, tmp_path / "reviews.csv", "--text-column", "comment",
                  "--json", tmp_path / "why.json")
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith(f"error: Column 'comment' not found in {tmp_path / 'reviews.csv'}: found ['review_id', ")
    assert done.stderr.rstrip().endswith("Pass --text-column with one of those.") and len(done.stderr.splitlines()) == 1
    assert not (tmp_path / "why.json").exists()


def test_a_file_name_that_is_not_there_is_not_taken_for_a_review(sample_model_dir, tmp_path):
    done = invoke("explain", sample_model_dir, tmp_path / "reviewz.csv")
    assert done.returncode == 1
    assert done.stderr == (f"error: There is no file {tmp_path / 'reviewz.csv'}. Check the path; to explain a "
                           f"review's text, pass the text itself.\n")


def test_an_empty_review_is_a_user_error(sample_model_dir):
    done = invoke("explain", sample_model_dir, "   ")
    assert done.returncode == 1 and "error: The review to explain is empty" in done.stderr
