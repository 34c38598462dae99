"""Tables for people: the numbers of the metrics and of the business summary show up as printed."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from rich.console import Console

from customer_sentiment.display import print_metrics, print_skipped, print_summary, sparkline
from customer_sentiment.evaluation import evaluate_predictions
from customer_sentiment.insights import summarize

LABELS = ["negative", "neutral", "positive"]


def render(print_function, *args, **kwargs) -> str:
    console = Console(record=True, width=120)
    print_function(*args, console=console, **kwargs)
    return console.export_text()


def rows(text: str) -> list[list[str]]:
    """The cells of every table row (header rows included) in rendered text."""
    return [[cell.strip() for cell in re.split("[│┃]", line)[1:-1]] for line in text.splitlines()
            if "│" in line or "┃" in line]


@pytest.fixture(scope="module")
def metrics_text() -> str:
    true = ["positive", "positive", "negative", "neutral", "negative"]
    predicted = ["positive", "positive", "positive", "neutral", "negative"]
    return render(print_metrics, evaluate_predictions(true, predicted, LABELS), title="Test set")


def test_metrics_headline_has_counts_accuracy_and_macro_f1(metrics_text):
    # accuracy 4/5; F1 negative 2/3, neutral 1, positive 0.8: macro (2/3 + 1 + 0.8) / 3 = 0.8222
    assert metrics_text.splitlines()[0] == "Test set: 5 reviews, accuracy 0.8000, macro-F1 0.8222"


def test_metrics_per_class_rows(metrics_text):
    table = rows(metrics_text)
    assert ["label", "precision", "recall", "F1", "support"] in table
    assert ["negative", "1.0000", "0.5000", "0.6667", "2"] in table
    assert ["neutral", "1.0000", "1.0000", "1.0000", "1"] in table
    assert ["positive", "0.6667", "1.0000", "0.8000", "2"] in table


def test_metrics_confusion_matrix_rows_are_true_labels(metrics_text):
    assert "Confusion matrix" in metrics_text
    table = rows(metrics_text)
    header = table.index(["true \\ predicted", "negative", "neutral", "positive"])
    assert table[header + 1:header + 4] == [["negative", "1", "0", "1"], ["neutral", "0", "1", "0"],
                                            ["positive", "0", "0", "2"]]


def test_metrics_counts_have_thousands_separators():
    true = ["positive"] * 1200 + ["negative"] * 34
    predicted = ["positive"] * 1200 + ["positive"] * 30 + ["negative"] * 4
    text = render(print_metrics, evaluate_predictions(true, predicted, ["negative", "positive"]))
    assert text.splitlines()[0].startswith("Evaluation: 1,234 reviews, accuracy 0.9757, ")   # 1,204 / 1,234
    assert ["positive", "0", "1,200"] in rows(text) and ["negative", "4", "30"] in rows(text)


def test_skipped_line_names_the_source_and_counts():
    text = render(print_skipped, "reviews.csv", 2405, 2400, {"empty review text": 3, "no rating": 2})
    assert text == "Read 2,405 rows from reviews.csv: 2,400 used, 5 skipped (empty review text: 3; no rating: 2)\n"


def test_skipped_line_without_skips():
    assert render(print_skipped, "reviews.csv", 12, 12, {}) == "Read 12 rows from reviews.csv: 12 used\n"


SCORED = pd.DataFrame([
    ("kettle", "negative", "2025-01-05", "Loud, slow and the handle gets very hot to touch"),
    ("kettle", "negative", "2025-02-10", "Stopped heating after two weeks"),
    ("kettle", "positive", "2025-03-01", "Boils fast"),
    ("kettle", "negative", "2025-04-20", "The lid cracked and now it leaks all over the counter"),
    ("fryer", "negative", "2025-02-01", "Smells of plastic"),
    ("fryer", "positive", "2025-04-02", "Crispy fries"),
    ("lamp", "positive", "2025-03-15", "Bright"),
    ("lamp", "", "2025-03-16", ""),
], columns=["product", "predicted_label", "date", "review"])


@pytest.fixture(scope="module")
def summary_text() -> str:
    return render(print_summary, summarize(SCORED, by="product", time_column="date", text_column="review"))


def test_summary_headline_and_skipped_rows(summary_text):
    lines = summary_text.splitlines()
    assert lines[0] == "Sentiment summary: 7 reviews: negative 57%, positive 43%"       # 4 and 3 of 7
    assert lines[1] == "  skipped 1: no label (empty review text)"


def test_summary_groups_most_negative_first_and_periods_in_order(summary_text):
    table = rows(summary_text)
    groups = table.index(["product", "reviews", "negative", "positive"])
    assert table[groups + 1:groups + 4] == [["kettle", "4", "75%", "25%"], ["fryer", "2", "50%", "50%"],
                                            ["lamp", "1", "0%", "100%"]]
    periods = table.index(["month", "reviews", "negative", "positive"])
    assert table[periods + 1:periods + 5] == [["2025-01", "1", "100%", "0%"], ["2025-02", "2", "100%", "0%"],
                                              ["2025-03", "2", "0%", "100%"], ["2025-04", "2", "50%", "50%"]]


def test_summary_most_negative_table_with_trend_and_change(summary_text):
    table = rows(summary_text)
    header = table.index(["product", "negative reviews", "share", "share by month", "change"])
    # kettle by month: 1/1, 1/1, 0/1, 1/1 negative; far too few reviews to test for a change.
    assert table[header + 1] == ["kettle", "3 of 4", "75%", "██▁█", "no significant change"]
    assert table[header + 2] == ["fryer", "1 of 2", "50%", "█▁", "no significant change"]
    assert "No product has the dated reviews to test for a change: at least 30 before and 30 after." in summary_text


def test_summary_examples_are_informative_then_recent(summary_text):
    lines = summary_text.splitlines()
    start = lines.index("kettle: negative reviews, for example")
    assert lines[start + 1:start + 4] == [
        '  2025-04-20  "The lid cracked and now it leaks all over the counter"',
        '  2025-01-05  "Loud, slow and the handle gets very hot to touch"',
        '  2025-02-10  "Stopped heating after two weeks"',
    ]
    assert lines[lines.index("fryer: negative reviews, for example") + 1] == '  2025-02-01  "Smells of plastic"'


def test_sparkline_maps_shares_to_eight_levels():
    assert sparkline([0.0, 0.124, 0.13, 0.5, 0.99, 1.0]) == "▁▁▂▅██"            # 8 * share, rounded down, at most 7


def test_skipped_line_prints_a_file_name_with_brackets_as_it_is():
    text = render(print_skipped, "reviews [final].csv", 3, 3, {})
    assert text == "Read 3 rows from reviews [final].csv: 3 used\n"


def test_summary_prints_review_text_with_bracket_tags_as_it_is():
    scored = pd.DataFrame({"product": ["[new] kettle"], "predicted_label": ["negative"],
                           "review": ["It leaks. [/quote] Avoid this kettle, the lid cracked on day two"]})
    text = render(print_summary, summarize(scored, by="product", text_column="review"))
    assert '"It leaks. [/quote] Avoid this kettle, the lid cracked on day two"' in text
    assert ["[new] kettle", "1", "100%"] in rows(text)
