"""Stars against words: reviews whose text reads confidently opposite to their stars, per product."""

from __future__ import annotations

import pandas as pd

from customer_sentiment.insights import summarize
from customer_sentiment.insights.stars import CONFIDENT


def rated() -> pd.DataFrame:
    rows = [  # product, stars, label, P(negative), text
        ("fryer", 5, "negative", 0.95, "Stopped heating after a week, avoid"),     # 5 stars, clearly negative text
        ("fryer", 5, "negative", 0.60, "Hmm, not sure it heats evenly"),           # negative, but not sure enough
        ("fryer", 1, "positive", 0.05, "Crispy fries every time, love it"),        # 1 star, clearly positive text
        ("fryer", 4, "positive", 0.10, "Good fryer"),
        ("fryer", 3, "negative", 0.90, "Meh, it broke"),                           # 3 stars: neither side
        ("kettle", 5, "positive", 0.02, "Boils fast"),
        ("kettle", 2, "negative", 0.97, "Leaks from the lid"),
        ("kettle", None, "negative", 0.99, "No stars given, leaks"),               # unrated: not counted
    ]
    frame = pd.DataFrame(rows, columns=["product", "rating", "predicted_label", "prob_negative", "review"])
    return frame.assign(prob_positive=1 - frame["prob_negative"])


def test_opposite_reviews_are_counted_per_product_with_the_star_average():
    stars = summarize(rated(), by="product", text_column="review", rating_column="rating")["stars_vs_words"]
    assert stars["confident_at"] == CONFIDENT and stars["rating_column"] == "rating"
    fryer, kettle = stars["groups"]
    assert fryer == {"name": "fryer", "reviews": 5, "star_average": 3.6, "high_stars_negative_text": 1,
                     "low_stars_positive_text": 1, "opposite_share": 0.4}
    assert kettle["reviews"] == 2 and kettle["high_stars_negative_text"] == kettle["low_stars_positive_text"] == 0
    assert [(e["text"], e["rating"], e["probability"]) for e in stars["examples"]] == [
        ("Stopped heating after a week, avoid", 5.0, 0.95), ("Crispy fries every time, love it", 1.0, 0.95)]


def test_without_probabilities_the_label_decides_and_the_summary_says_so():
    frame = rated().drop(columns=["prob_negative", "prob_positive"])
    stars = summarize(frame, by="product", rating_column="rating")["stars_vs_words"]
    assert stars["confident_at"] is None
    assert stars["groups"][0]["high_stars_negative_text"] == 2 and stars["examples"] == []


def test_without_a_rating_column_there_is_no_such_section():
    assert "stars_vs_words" not in summarize(rated(), by="product")


def test_labels_other_than_positive_and_negative_count_as_the_other_side():
    frame = rated().replace({"predicted_label": {"negative": "complaint", "positive": "other"}})
    frame = frame.rename(columns={"prob_negative": "prob_complaint", "prob_positive": "prob_other"})
    stars = summarize(frame, by="product", rating_column="rating", negative_label="complaint")["stars_vs_words"]
    assert (stars["groups"][0]["high_stars_negative_text"], stars["groups"][0]["low_stars_positive_text"]) == (1, 1)
