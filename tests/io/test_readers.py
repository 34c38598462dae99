"""Reading review files: formats, columns, rating maps, cleaning, and the error for each bad input."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from customer_sentiment.errors import CustomerSentimentError
from customer_sentiment.io import (
    RatingMap,
    clean_texts,
    file_format,
    iter_table_chunks,
    read_reviews,
    read_table,
    row_location,
    split_indices,
)

ROWS = [
    {"id": "007", "review": "Great &amp; cheap<br /><br />works!", "stars": 5, "topic": "price"},
    {"id": "008", "review": "Broke   after a week", "stars": 1, "topic": "quality"},
    {"id": "009", "review": "It's fine", "stars": 3, "topic": "quality"},
]


def write(path: Path, rows=ROWS) -> Path:
    frame = pd.DataFrame(rows)
    fmt = file_format(path)
    if fmt == "csv":
        frame.to_csv(path, index=False)
    elif fmt == "tsv":
        frame.to_csv(path, index=False, sep="\t")
    elif fmt == "jsonl":
        frame.to_json(path, orient="records", lines=True)
    else:
        frame.to_parquet(path, index=False)
    return path


@pytest.mark.parametrize("name", ["r.csv", "r.tsv", "r.jsonl", "r.parquet", "r.csv.gz"])
def test_every_format_reads_the_same_reviews(tmp_path, name):
    reviews = read_reviews(write(tmp_path / name), "review", rating_column="stars")
    assert reviews.texts == [row["review"] for row in ROWS]                # as written; the pipeline cleans
    assert clean_texts(reviews.texts).to_pylist() == ["Great & cheap works!", "Broke after a week", "It's fine"]
    assert reviews.labels == ["positive", "negative", "neutral"]
    assert reviews.rows_read == 3 and reviews.skipped == {}


def test_csv_keeps_ids_as_written(tmp_path):
    assert read_table(write(tmp_path / "r.csv"))["id"].tolist() == ["007", "008", "009"]


def test_label_column_takes_any_labels(tmp_path):
    reviews = read_reviews(write(tmp_path / "r.csv"), "review", label_column="topic")
    assert reviews.labels == ["price", "quality", "quality"]


def test_binary_rating_map_skips_and_counts_the_middle(tmp_path):
    reviews = read_reviews(write(tmp_path / "r.csv"), "review", rating_column="stars",
                           rating_map=RatingMap.default(binary=True))
    assert reviews.labels == ["positive", "negative"]
    assert reviews.skipped == {"rating skipped by the rating map": 1}


def test_custom_rating_map_round_trips():
    spec = "1-2.5:bad,3:skip,3.5-5:good"
    mapping = RatingMap.parse(spec)
    assert str(mapping) == spec
    assert mapping.label_of(2.5) == "bad" and mapping.label_of(3) is None and mapping.labels == ["bad", "good"]
    with pytest.raises(KeyError):
        mapping.label_of(3.2)


def test_bad_rating_map_says_how_to_write_one():
    with pytest.raises(CustomerSentimentError, match=re.escape("is not a rule: expected LOW-HIGH:LABEL or VALUE:LABEL")):
        RatingMap.parse("one to two = bad")


def test_empty_texts_and_missing_labels_are_skipped_and_counted(tmp_path):
    rows = ROWS + [{"id": "010", "review": "<br />  ", "stars": 4, "topic": "x"},
                   {"id": "011", "review": "fine", "stars": "", "topic": ""}]
    reviews = read_reviews(write(tmp_path / "r.csv", rows), "review", rating_column="stars")
    assert len(reviews) == 3 and reviews.rows_read == 5
    assert reviews.skipped == {"no rating": 1, "empty review text": 1}
    assert reviews.frame.index.tolist() == [0, 1, 2]


def test_cleaning_decodes_entities_drops_tags_and_squeezes_whitespace():
    dirty = ["Doesn&#039;t&nbsp;smell<br/>at  all\t\n!", "I <3 it, a < b > c", None, float("nan"), 5]
    assert clean_texts(dirty).to_pylist() == ["Doesn't smell at all !", "I <3 it, a < b > c", "", "", "5"]


# ------------------------------------------------------------------------------ bad input

def test_missing_column_lists_the_columns_found(tmp_path):
    path = write(tmp_path / "r.csv")
    with pytest.raises(CustomerSentimentError, match=re.escape(
            f"Column 'text' not found in {path}: found ['id', 'review', 'stars', 'topic']. "
            f"Pass --text-column with one of those.")):
        read_reviews(path, "text", rating_column="stars")


def test_an_empty_text_column_name_is_a_missing_column(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("review,stars\ngood,5\n")
    with pytest.raises(CustomerSentimentError, match=re.escape(f"Column '' not found in {path}: found ['review', 'stars']")):
        read_reviews(path, "", rating_column="stars")


def test_empty_file(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("")
    with pytest.raises(CustomerSentimentError, match=re.escape(f"{path} is empty: expected a header row")):
        read_table(path)


def test_header_only_file(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("review,stars\n")
    with pytest.raises(CustomerSentimentError, match=re.escape(f"{path} has a header but no rows")):
        read_table(path)


def test_unknown_extension(tmp_path):
    with pytest.raises(CustomerSentimentError, match=re.escape("unknown extension '.xls'")):
        read_table(tmp_path / "r.xls")


def test_invalid_utf8_names_line_and_byte(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes(b"review,stars\ngood,5\ncaf\xe9 ok,4\n")
    with pytest.raises(CustomerSentimentError, match=re.escape(
            f"{path}, line 3, byte 4: 0xe9 is not valid utf-8. Save the file as UTF-8, or pass --encoding")):
        read_table(path)
    assert read_table(path, "latin-1")["review"].tolist() == ["good", "café ok"]


def test_row_with_too_many_fields_names_its_physical_line(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text('review,stars\n"two\nlines",5\nok,4\nbad, row,3\n')
    expected = f"{path}, line 5: expected 2 fields separated by commas, found 3."
    with pytest.raises(CustomerSentimentError, match=re.escape(expected)):
        read_table(path)


def test_row_with_too_few_fields(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("review,stars,product\nok,4,a\nshort,5\n")
    with pytest.raises(CustomerSentimentError, match=re.escape(f"{path}, line 3: expected 3 fields")):
        read_table(path)


def test_malformed_json_line(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text('{"review": "ok", "stars": 5}\n\n{"review": "broken", \n')
    with pytest.raises(CustomerSentimentError, match=re.escape(f"{path}, line 3, column")):
        read_table(path)


def test_rating_outside_the_map_names_the_line(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text('review,stars\n"multi\nline",5\nodd,7\n')
    with pytest.raises(CustomerSentimentError, match=re.escape(
            f"{path}, line 4: rating 7 in column 'stars' is outside the rating map "
            f"1-2:negative,3:neutral,4-5:positive. Fix the row, or pass --rating-map with a rule for 7.")):
        read_reviews(path, "review", rating_column="stars")


def test_rating_that_is_not_a_number(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("review,stars\nok,five\n")
    with pytest.raises(CustomerSentimentError, match=re.escape("line 2: rating 'five' in column 'stars' is not a number")):
        read_reviews(path, "review", rating_column="stars")


def test_not_a_parquet_file(tmp_path):
    path = tmp_path / "r.parquet"
    path.write_text("review\nnot parquet\n")
    with pytest.raises(CustomerSentimentError, match="is not a readable Parquet file"):
        read_table(path)


# ------------------------------------------------------------------------------ streaming, locations, splits

def test_chunks_continue_the_row_numbers(tmp_path):
    path = write(tmp_path / "r.csv", ROWS * 3)
    chunks = list(iter_table_chunks(path, chunk_rows=4))
    assert [len(c) for c in chunks] == [4, 4, 1]
    assert np.concatenate([c.index for c in chunks]).tolist() == list(range(9))


@pytest.mark.parametrize("name, expected", [("r.csv", "line 5"), ("r.jsonl", "line 3"), ("r.parquet", "row 3")])
def test_row_location(tmp_path, name, expected):
    rows = [{"review": "one\ntwo"}, {"review": "b"}, {"review": "c"}]
    assert row_location(write(tmp_path / name, rows), 2) == expected


def test_split_is_stratified_and_repeatable():
    labels = ["a"] * 80 + ["b"] * 20
    train, held_out = split_indices(labels, 0.25, seed=3)
    assert len(held_out) == 25 and sorted(np.concatenate([train, held_out])) == list(range(100))
    assert sum(labels[i] == "b" for i in held_out) == 5
    assert split_indices(labels, 0.25, seed=3)[1].tolist() == held_out.tolist()


# ------------------------------------------------------------------------------ more bad input

def test_repeated_column_names_are_refused(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("review,rating,review\ngood,5,x\n")
    with pytest.raises(CustomerSentimentError, match=re.escape(f"{path} has more than one column named 'review'")):
        read_table(path)


def test_compressed_files_get_line_numbers_too(tmp_path):
    import gzip

    path = tmp_path / "r.csv.gz"
    with gzip.open(path, "wt") as handle:
        handle.write("review,stars\nok,4\nbad,row,3\n")
    expected = f"{path}, line 3: expected 2 fields separated by commas, found 3"
    with pytest.raises(CustomerSentimentError, match=re.escape(expected)):
        read_table(path)
    with gzip.open(path, "wt") as handle:
        handle.write("review,stars\nok,4\nodd,7\n")
    with pytest.raises(CustomerSentimentError, match=re.escape("line 3: rating 7")):
        read_reviews(path, "review", rating_column="stars")


def test_a_plain_tsv_reads_quotes_as_text(tmp_path):
    path = tmp_path / "r.tsv"
    path.write_text('review\tstars\n"Best" fryer\t5\nbad\trow\t1\n')
    expected = f"{path}, line 3: expected 2 fields separated by tabs, found 3. Remove the extra tabs"
    with pytest.raises(CustomerSentimentError, match=re.escape(expected)):
        read_table(path)
    path.write_text('review\tstars\n"Best" fryer\t5\n')
    assert read_table(path)["review"].tolist() == ['"Best" fryer']


def test_json_lines_keep_integer_labels_and_ignore_a_bom(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"review": "good", "label": 1}\n{"review": "bad", "label": 0}\n'
                     b'{"review": "meh", "label": null}\n')
    reviews = read_reviews(path, "review", label_column="label")
    assert reviews.labels == ["1", "0"] and reviews.skipped == {"no label": 1}


def test_a_json_line_that_is_not_an_object(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text('{"review": "ok"}\n5\n')
    with pytest.raises(CustomerSentimentError, match=re.escape(f"{path}, line 2: expected a JSON object, found int")):
        read_table(path)


@pytest.mark.parametrize("encoding", ["bogus", "hex", "base64", "zlib_codec", "rot13", "unicode_escape", "utf\x008"])
def test_unknown_encoding(tmp_path, encoding):
    """Codecs that are not text encodings (bytes to bytes, escapes) are refused too, not crashed on."""
    with pytest.raises(CustomerSentimentError, match=re.escape(f"Unknown encoding {encoding!r}")):
        read_table(write(tmp_path / "r.csv"), encoding)


def test_rating_map_numbers_must_be_numbers():
    with pytest.raises(CustomerSentimentError, match="is not a rule"):
        RatingMap.parse("1..2:negative")


def test_a_file_with_no_usable_row(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("review,stars\n<br />,5\n,4\n")
    with pytest.raises(CustomerSentimentError, match=re.escape(
            f"None of the 2 rows of {path} has both a review text and a label (empty review text: 2)")):
        read_reviews(path, "review", rating_column="stars")


def test_a_split_needs_rows_on_both_sides():
    with pytest.raises(CustomerSentimentError, match=re.escape("Holding out 0.9 of 8 reviews leaves 0 to train on")):
        split_indices(["a", "b"] * 4, 0.9, seed=0)
    train, held_out = split_indices(["a", "b", "c"] * 3 + ["a"], 0.2, seed=0)   # 2 held out < 3 classes: unstratified
    assert len(train) == 8 and len(held_out) == 2


def test_labels_and_ratings_that_exports_write_for_missing_are_missing_not_classes(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("review,label,stars\ngood,positive,5\nbad,negative,1\nx,nan,nan\ny,NaN,NA\nz,None,\nw,N/A,null\n")
    reviews = read_reviews(path, "review", label_column="label")
    assert reviews.labels == ["positive", "negative"] and reviews.skipped == {"no label": 4}
    reviews = read_reviews(path, "review", rating_column="stars")
    assert reviews.labels == ["positive", "negative"] and reviews.skipped == {"no rating": 4}


def test_a_fifo_or_folder_is_refused_without_being_opened(tmp_path):
    fifo = tmp_path / "reviews.csv"
    os.mkfifo(fifo)                                  # opening it for reading would wait for a writer forever
    with pytest.raises(CustomerSentimentError, match=re.escape(f"Cannot read {fifo}: it is not a regular file")):
        read_table(fifo)
    (tmp_path / "folder.csv").mkdir()
    with pytest.raises(CustomerSentimentError, match="it is not a regular file"):
        read_table(tmp_path / "folder.csv")


def test_a_malformed_row_after_a_review_of_200_kb_names_its_line(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("review,stars\n\"" + "long " * 40_000 + "\",5\nok,4\nbad, row,3\n")
    expected = f"{path}, line 4: expected 2 fields separated by commas, found 3."
    with pytest.raises(CustomerSentimentError, match=re.escape(expected)):
        read_table(path)


@pytest.mark.parametrize("value, kind", [({"a": 1}, "dict"), ([1, 2], "list"), (True, "bool")])
def test_a_text_column_holding_something_else_is_refused_naming_the_row(tmp_path, value, kind):
    path = tmp_path / "r.jsonl"
    rows = [{"review": "good", "stars": 5}, {"review": "bad", "stars": 1}, {"review": value, "stars": 4}]
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n")
    with pytest.raises(CustomerSentimentError, match=re.escape(f"{path}, line 3: column 'review' holds a {kind}")):
        read_reviews(path, "review", rating_column="stars")


def test_numbers_in_a_text_column_are_read_as_text_with_a_warning(tmp_path):
    path = tmp_path / "r.parquet"
    pd.DataFrame({"review": ["good", None, "bad"], "stars": [5, 4, 1]}).to_parquet(path)
    pd.DataFrame({"review": [4.5, 1.0, 3.0], "stars": [5, 4, 1]}).to_parquet(tmp_path / "n.parquet")
    with pytest.warns(UserWarning, match="3 values of column 'review' are numbers; they are read as text"):
        reviews = read_reviews(tmp_path / "n.parquet", "review", rating_column="stars")
    assert reviews.texts == ["4.5", "1.0", "3.0"]
    lists = tmp_path / "l.parquet"
    pd.DataFrame({"review": [["a"], ["b"]], "stars": [5, 1]}).to_parquet(lists)
    with pytest.raises(CustomerSentimentError, match=re.escape(f"{lists}, row 1: column 'review' holds a list")):
        read_reviews(lists, "review", rating_column="stars")
