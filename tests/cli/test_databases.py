"""Reviews in SQLite and a real PostgreSQL, through the command line: the same round trip on both (read,
train, score back into a table in one transaction, report), 100,000 reviews into PostgreSQL and back,
and a write killed part way that leaves no table."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time

import numpy as np
import pandas as pd
import pytest

from customer_sentiment.io import clean_texts, fingerprint

from ..conftest import SAMPLE, cli_command, invoke

sa = pytest.importorskip("sqlalchemy")

PASSWORD = "s3cret-Pa55"                      # tests/postgres.py's; SQLite URLs have none
TEXT = ["review_id", "date", "product", "category", "rating", "review"]
ORDERED = "SELECT * FROM reviews ORDER BY review_id"


def load(url: str, table: str, frame: pd.DataFrame, key: str | None = "review_id") -> None:
    """`frame` into a new table of text columns, `key` its primary key (a table without one has no order)."""
    engine = sa.create_engine(url)
    columns = [sa.Column(name, sa.Text, primary_key=name == key) for name in frame.columns]
    try:
        with engine.begin() as connection:
            created = sa.Table(table, sa.MetaData(), *columns)
            created.create(connection)
            connection.execute(created.insert(), frame.astype(object).where(frame.notna(), None).to_dict("records"))
    finally:
        engine.dispose()


def read(url: str, query: str) -> pd.DataFrame:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return pd.read_sql(sa.text(query), connection)
    finally:
        engine.dispose()


def has_table(url: str, table: str) -> bool:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return sa.inspect(connection).has_table(table)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def from_file(sample_model_dir, tmp_path_factory):
    """What predict, evaluate and report give on the sample file: the answers the databases must match."""
    folder = tmp_path_factory.mktemp("from-file")
    for args in (("predict", sample_model_dir, SAMPLE, "-o", folder / "scored.csv", "--id-column", "review_id"),
                 ("evaluate", sample_model_dir, SAMPLE, "--json", folder / "metrics.json"),
                 ("report", folder / "scored.csv", "--by", "product", "--time-column", "date", "--json",
                  folder / "summary.json")):
        done = invoke(*args)
        assert done.returncode == 0, done.stderr
    scored = pd.read_csv(folder / "scored.csv", dtype={column: str for column in TEXT})
    return scored, json.loads((folder / "metrics.json").read_text()), json.loads((folder / "summary.json").read_text())


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def database(request, tmp_path_factory) -> str:
    """A database holding the sample reviews in a table `reviews`, every column text as in the file."""
    folder = tmp_path_factory.mktemp(request.param)
    url = f"sqlite:///{folder / 'shop.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    load(url, "reviews", pd.read_csv(SAMPLE, dtype=str))
    return url


def test_a_model_trained_from_a_query_records_the_data_and_never_the_password(database, sample_reviews, tmp_path):
    query = "SELECT review, rating FROM reviews WHERE review_id <= 'R00600' ORDER BY review_id"
    done = invoke("train", database, "--query", query, "--rating-column", "rating", "--output", tmp_path / "model",
                  "--run-dir", tmp_path / "run", "--epochs", "1")
    assert done.returncode == 0, done.stderr
    assert "Read 600 rows from" in done.stderr
    config = json.loads((tmp_path / "model" / "config.json").read_text())
    first = sample_reviews.subset(range(600))                  # the sample file skips none of its rows
    expected = fingerprint(clean_texts(first.texts).to_pylist(), first.labels)
    assert config["data"]["fingerprint"] == expected and config["data"]["query"] == query
    assert config["data"]["file"] == database.replace(PASSWORD, "***")
    written = [path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()]
    assert len(written) > 5 and not any(PASSWORD.encode() in data for data in written)
    assert PASSWORD not in done.stdout + done.stderr


def test_scores_written_to_a_table_equal_predicts_file_output(database, sample_model_dir, from_file, tmp_path):
    scored, metrics, summary = from_file
    done = invoke("predict", sample_model_dir, database, "--query", ORDERED, "-o", database, "--output-table", "scores",
                  "--id-column", "review_id")
    assert done.returncode == 0, done.stderr
    assert "Scored 2,400 rows of" in done.stderr and PASSWORD not in done.stdout + done.stderr
    pd.testing.assert_frame_equal(read(database, "SELECT * FROM scores ORDER BY review_id"), scored)

    done = invoke("evaluate", sample_model_dir, database, "--table", "reviews", "--json", tmp_path / "metrics.json")
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "metrics.json").read_text())["accuracy"] == metrics["accuracy"]
    done = invoke("report", database, "--table", "scores", "--by", "product", "--time-column", "date",
                  "--json", tmp_path / "summary.json")
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "summary.json").read_text())["most_negative"] == summary["most_negative"]


def test_an_existing_table_is_kept_without_replace_and_replaced_with_it(database, sample_model_dir):
    load(database, "mine", pd.DataFrame({"note": ["keep me"]}), key="note")
    args = ("predict", sample_model_dir, database, "--table", "reviews", "-o", database, "--output-table", "mine")
    done = invoke(*args)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert re.search(r"error: Table mine already exists in \S+\. Pass another --output-table, or --replace to drop it",
                     " ".join(done.stderr.split()))
    assert read(database, "SELECT * FROM mine")["note"].tolist() == ["keep me"]
    done = invoke(*args, "--replace")
    assert done.returncode == 0, done.stderr
    assert len(read(database, "SELECT * FROM mine")) == 2400


@pytest.mark.slow
def test_a_wrong_password_is_a_one_line_error_without_the_password(postgres_url, sample_model_dir, tmp_path):
    wrong = postgres_url.replace(PASSWORD, "not-the-password")
    done = invoke("predict", sample_model_dir, wrong, "--table", "reviews", "-o", tmp_path / "scored.csv")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    said = " ".join(done.stderr.split())
    assert said.startswith(f"error: Cannot connect to {postgres_url.replace(PASSWORD, '***')}: connection failed:")
    assert 'password authentication failed for user "shop"' in said and "not-the-password" not in said


@pytest.mark.slow
def test_100_000_reviews_from_postgresql_are_scored_back_into_a_table(postgres_url, sample_model_dir, from_file):
    scored, _, _ = from_file
    sample = pd.read_csv(SAMPLE, dtype=str)
    repeats = -(-100_000 // len(sample))
    reviews = pd.concat([sample.assign(review_id=[f"{i:02d}-{r}" for r in sample["review_id"]]) for i in range(repeats)])
    load(postgres_url, "reviews_100k", reviews.iloc[:100_000])
    started = time.perf_counter()
    done = invoke("predict", sample_model_dir, postgres_url, "--table", "reviews_100k", "-o", postgres_url,
                  "--output-table", "scores_100k", "--id-column", "review_id")
    assert done.returncode == 0, done.stderr
    print(f"100,000 reviews from PostgreSQL scored back into a table in {time.perf_counter() - started:.1f}s")
    back = read(postgres_url, "SELECT * FROM scores_100k ORDER BY review_id")
    assert len(back) == 100_000 and back["review_id"].is_unique
    tiled = pd.concat([scored] * repeats).iloc[:100_000].reset_index(drop=True)
    # each review scores as its copy in the sample file (ids sort as the copies were made: 00-R00001, ...)
    assert back["predicted_label"].tolist() == tiled["predicted_label"].tolist()
    assert np.array_equal(back["prob_negative"].to_numpy(), tiled["prob_negative"].to_numpy())


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_write_killed_part_way_leaves_no_table(kind, request, sample_model_dir, tmp_path):
    url = f"sqlite:///{tmp_path / 'shop.db'}" if kind == "sqlite" else request.getfixturevalue("postgres_url")
    sample = pd.read_csv(SAMPLE, dtype=str)
    load(url, "kill_reviews", pd.concat([sample.assign(review_id=[f"{i}-{r}" for r in sample["review_id"]])
                                         for i in range(10)]))
    process = subprocess.Popen([*cli_command(), "predict", str(sample_model_dir), url, "--table", "kill_reviews",
                                "-o", url, "--output-table", "killed_scores", "--chunk-rows", "500", "-q"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not _writing(url, tmp_path) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert process.poll() is None, f"predict ended before it could be killed: {process.stderr.read()}"
        time.sleep(0.3)                                           # a few chunks more
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 30                              # PostgreSQL ends the orphaned transaction
    while has_table(url, "killed_scores") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not has_table(url, "killed_scores")


def _writing(url: str, folder) -> bool:
    """Whether the predict process has begun its write: SQLite's rollback journal, PostgreSQL's INSERT."""
    if url.startswith("sqlite"):
        journal = folder / "shop.db-journal"
        return journal.exists() and journal.stat().st_size > 0
    activity = read(url, "SELECT count(*) AS n FROM pg_stat_activity WHERE query LIKE 'INSERT INTO killed_scores%'")
    return int(activity["n"].iloc[0]) > 0
