"""Reading reviews from SQL databases and writing scores into them (io/sql.py), on SQLite files."""

from __future__ import annotations

import re
import sqlite3
import sys

import pandas as pd
import pytest
from customer_sentiment.io.sql_writer import TableOutput, check_scored_output, sql_table_writer

from customer_sentiment.errors import CustomerSentimentError
from customer_sentiment.io import ReadOptions, iter_table_chunks, read_reviews
from customer_sentiment.io.sql import display_url

pytest.importorskip("sqlalchemy")

ROWS = pd.DataFrame({"review_id": [5, 3, 1, 4, 2],
                     "review": ["Broke in a week.", "Works.", "Love it!", None, "Meh, average."],
                     "rating": [1, 4, 5, None, 3]})


@pytest.fixture
def shop(tmp_path) -> str:
    """A SQLite file with a `reviews` table (primary key review_id, inserted out of order); its URL."""
    with sqlite3.connect(tmp_path / "shop.db") as connection:
        connection.execute("CREATE TABLE reviews (review_id INTEGER PRIMARY KEY, review TEXT, rating INTEGER)")
        connection.executemany("INSERT INTO reviews VALUES (?, ?, ?)",
                               [(int(i), text, None if pd.isna(r) else int(r)) for i, text, r in ROWS.itertuples(False)])
    return f"sqlite:///{tmp_path / 'shop.db'}"


def tables(url: str) -> list[str]:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
        return [name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]


def test_a_table_is_read_in_primary_key_order_in_chunks_numbered_as_a_file_is(shop):
    chunks = list(iter_table_chunks(shop, 2, ReadOptions(table="reviews")))
    assert [chunk.index.tolist() for chunk in chunks] == [[0, 1], [2, 3], [4]]
    table = pd.concat(chunks)
    assert table["review_id"].tolist() == [1, 2, 3, 4, 5]
    assert table["rating"].tolist()[:3] == [5, 3, 4] and pd.isna(table["rating"].iloc[3])     # integers stay integers


def test_a_query_is_read_and_reviews_get_their_labels_from_ratings(shop):
    options = ReadOptions(query="SELECT review_id, review, rating FROM reviews WHERE rating IS NOT NULL ORDER BY review_id DESC")
    reviews = read_reviews(shop, "review", rating_column="rating", options=options)
    assert reviews.texts == ["Broke in a week.", "Works.", "Meh, average.", "Love it!"]
    assert reviews.labels == ["negative", "positive", "neutral", "positive"]
    assert reviews.source == shop


def test_reading_never_commits_what_a_query_did(shop):
    with pytest.raises(CustomerSentimentError, match=re.escape("returns no rows: it is not a SELECT (and nothing it did "
                                                               "was committed)")):
        list(iter_table_chunks(shop, options=ReadOptions(query="DELETE FROM reviews")))
    assert len(pd.concat(iter_table_chunks(shop, options=ReadOptions(table="reviews")))) == 5


@pytest.mark.parametrize(("source", "options", "message"), [
    ("{shop}", ReadOptions(table="review"),
     "No table 'review' in sqlite:///{folder}/shop.db: found tables ['reviews']. Pass --table with one of those"),
    ("{shop}", ReadOptions(query="SELEC * FROM reviews"),
     "Reading sqlite:///{folder}/shop.db (query) failed: near \"SELEC\": syntax error. Check --table or --query"),
    ("{shop}", ReadOptions(query="SELECT * FROM reviews WHERE rating > 5"),
     "sqlite:///{folder}/shop.db (query) has no rows: expected at least one review"),
    ("{shop}", ReadOptions(), "No table or query was given for sqlite:///{folder}/shop.db: expected --table or --query"),
    ("sqlite:///{folder}/nothing.db", ReadOptions(table="reviews"),
     "Cannot read sqlite:///{folder}/nothing.db: no such database file {folder}/nothing.db"),
    ("mongodb://shop:secret@db/reviews", ReadOptions(table="reviews"),
     "Cannot use mongodb://shop:***@db/reviews: SQLAlchemy knows no database 'mongodb'"),
    ("postgresql+psycopg://shop:secret@127.0.0.1:1/reviews", ReadOptions(table="reviews"),
     "Cannot connect to postgresql+psycopg://shop:***@127.0.0.1:1/reviews: connection failed: connection to server at "
     "\"127.0.0.1\", port 1 failed: Connection refused"),
    ("{folder}/reviews.csv", ReadOptions(table="reviews"), "--table reads a database, and {folder}/reviews.csv is a file"),
])
def test_a_database_mistake_is_a_user_error_that_says_what_and_how_to_fix_it(shop, tmp_path, source, options, message):
    (tmp_path / "reviews.csv").write_text("review\nGood.\n")
    with pytest.raises(CustomerSentimentError, match=re.escape(message.format(folder=tmp_path))) as raised:
        list(iter_table_chunks(source.format(shop=shop, folder=tmp_path), options=options))
    assert "secret" not in str(raised.value)


def test_a_missing_column_names_the_table(shop):
    with pytest.raises(CustomerSentimentError, match=re.escape("Column 'text' not found in sqlite:///")):
        read_reviews(shop, "text", rating_column="rating", options=ReadOptions(table="reviews"))


def test_both_a_table_and_a_query_is_an_error():
    with pytest.raises(CustomerSentimentError, match=re.escape("Both --table and --query were given")):
        ReadOptions(table="reviews", query="SELECT 1")


def test_without_sqlalchemy_a_database_asks_for_the_extra(shop, monkeypatch):
    monkeypatch.setitem(sys.modules, "sqlalchemy", None)              # import sqlalchemy raises ImportError
    with pytest.raises(CustomerSentimentError, match=re.escape("pip install 'customer-sentiment[sql]'")):
        list(iter_table_chunks(shop, options=ReadOptions(table="reviews")))
    assert display_url("postgresql://shop:secret@db/reviews") == "postgresql://shop:***@db/reviews"


def scores(first: int, rows: int) -> pd.DataFrame:
    return pd.DataFrame({"review_id": [f"R{i}" for i in range(first, first + rows)], "prob_positive": 0.25,
                         "predicted_label": "positive", "needs_review": False})


def test_scores_are_written_in_one_transaction_all_rows_or_none(shop):
    target = TableOutput(shop, "scores", key="review_id")
    with pytest.raises(RuntimeError, match="killed"), sql_table_writer(target) as write:
        write(scores(0, 3))
        raise RuntimeError("killed after the first chunk")
    assert "scores" not in tables(shop)                               # not even the empty table
    with sql_table_writer(target) as write:
        write(scores(0, 3))
        write(scores(3, 2))
    written = pd.read_sql("SELECT * FROM scores", shop)
    assert written["review_id"].tolist() == ["R0", "R1", "R2", "R3", "R4"] and written["prob_positive"].eq(0.25).all()
    with sqlite3.connect(shop.removeprefix("sqlite:///")) as connection:
        assert "PRIMARY KEY (review_id)" in connection.execute("SELECT sql FROM sqlite_master WHERE name = 'scores'"
                                                               ).fetchone()[0]


def test_an_existing_table_is_replaced_only_with_replace_and_a_repeated_key_writes_nothing(shop):
    with pytest.raises(CustomerSentimentError, match=re.escape(
            f"Table reviews already exists in {shop}. Pass another --output-table, or --replace to drop it")):
        check_scored_output(TableOutput(shop, "reviews"), "scored.csv", ReadOptions())
    with pytest.raises(CustomerSentimentError, match=re.escape("The output table reviews is the input table")):
        check_scored_output(TableOutput(shop, "reviews", replace=True), shop, ReadOptions(table="reviews"))
    repeated = pd.concat([scores(0, 2), scores(1, 1)])
    with pytest.raises(CustomerSentimentError, match=re.escape(f"Writing {shop} (table reviews) failed: "
                                                               f"UNIQUE constraint failed: reviews.review_id")):
        with sql_table_writer(TableOutput(shop, "reviews", replace=True, key="review_id")) as write:
            write(repeated)
    assert len(pd.read_sql("SELECT * FROM reviews", shop)) == 5               # the drop was rolled back too
    with sql_table_writer(TableOutput(shop, "reviews", replace=True)) as write:
        write(repeated)
    assert pd.read_sql("SELECT * FROM reviews", shop)["review_id"].tolist() == ["R0", "R1", "R1"]
