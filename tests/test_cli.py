"""The `customer-sentiment` command, run end to end in fresh processes as a user would."""

from __future__ import annotations

import json
import pickle
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from customer_sentiment import SentimentPipeline

from .conftest import ROOT, SAMPLE, run_cli


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """`customer-sentiment train` on the sample data, once for this module."""
    folder = tmp_path_factory.mktemp("cli")
    done = run_cli("train", SAMPLE, "--rating-column", "rating", "--output", folder / "model", "--epochs", "6")
    assert done.returncode == 0, done.stderr
    return folder, done


def test_train_reports_and_saves_a_loadable_model(trained):
    folder, done = trained
    assert "Read 2,400 rows from" in done.stderr and "Labels: negative" in done.stderr
    assert "epoch 1/6" in done.stderr and "validation macro-F1" in done.stderr
    assert "Validation:" in done.stdout and "Confusion matrix" in done.stdout
    pipeline = SentimentPipeline.load(folder / "model")
    assert pipeline.predict("Not bad at all, no problems so far.") == "positive"
    assert pipeline.config_["data"]["rating_column"] == "rating"


def test_evaluate_predict_report(trained):
    folder, _ = trained
    done = run_cli("evaluate", folder / "model", SAMPLE, "--json", folder / "metrics.json")
    assert done.returncode == 0, done.stderr
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["reviews"] == 2400 and 0.7 < metrics["accuracy"] <= 1.0
    assert "macro-F1" in done.stdout

    done = run_cli("predict", folder / "model", SAMPLE, "--output", folder / "scored.parquet", "--id-column", "review_id")
    assert done.returncode == 0, done.stderr
    scored = pd.read_parquet(folder / "scored.parquet")
    source = pd.read_csv(SAMPLE, dtype=str)
    assert scored["review_id"].tolist() == source["review_id"].tolist()
    assert {"predicted_label", "prob_negative", "prob_neutral", "prob_positive", "product", "date"} <= set(scored)
    assert "Scored 2,400 rows" in done.stderr

    done = run_cli("report", folder / "scored.parquet", "--by", "product", "--time-column", "date",
                   "--json", folder / "summary.json")
    assert done.returncode == 0, done.stderr
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["most_negative"][0]["name"] == "ChefPro Air Fryer"       # the product that turned worse
    change = summary["most_negative"][0]["change"]
    assert change["recent_share"] > change["previous_share"] + 0.15
    assert "Most negative reviews" in done.stdout and "ChefPro Air Fryer" in done.stdout


def test_same_seed_gives_byte_identical_weights(trained, tmp_path):
    folder, _ = trained
    done = run_cli("train", SAMPLE, "--rating-column", "rating", "--output", tmp_path / "again", "--epochs", "6", "-q")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "again" / "model.safetensors").read_bytes() == (folder / "model" / "model.safetensors").read_bytes()


def test_help_states_defaults():
    done = run_cli("train", "--help", columns=300)
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    for expected in ("[default: (10)]", "[default: (adamw)]", "[default: (linear)]", "[default: (0.1)]",
                     "[default: review]", "[default: (1-2:negative,3:neutral,4-5:positive)]",
                     "[default: bag_of_embeddings.v1]"):
        assert expected in text, expected
    for command in ("evaluate", "predict", "report", "models"):
        assert run_cli(command, "--help").returncode == 0


def test_models_lists_the_architectures():
    done = run_cli("models")
    assert done.returncode == 0 and "bag_of_embeddings.v1" in done.stdout


# ------------------------------------------------------------------------------------ bad input

def assert_user_error(done: subprocess.CompletedProcess, *fragments: str) -> None:
    """Exit 1; the error is one line on stderr, the last, starting with 'error:' and holding each
    fragment; no traceback. (Progress lines such as 'Read 2 rows' may come before it.)"""
    assert done.returncode == 1, (done.stdout, done.stderr)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1 and lines[-1] == errors[0], done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    for fragment in fragments:
        assert fragment in errors[0], (fragment, errors[0])


def bad_file(tmp_path, name: str, content: bytes):
    path = tmp_path / name
    path.write_bytes(content)
    return path


TRAIN_CASES = {
    "missing column": (b"text,rating\ngood,5\nbad,1\n",
                       ["Column 'review' not found in", "found ['text', 'rating']", "Pass --text-column"]),
    "empty file": (b"", ["is empty: expected a header row"]),
    "header only": (b"review,rating\n", ["has a header but no rows"]),
    "invalid utf-8": (b"review,rating\ngood,5\nbad caf\xe9,1\n", ["line 3, byte 8: 0xe9 is not valid utf-8"]),
    "malformed row": (b"review,rating\ngood,5\nbad, really,1\n", ["line 3: expected 2 fields, found 3"]),
    "rating outside the map": (b"review,rating\ngood,5\nodd,9\n",
                               ["line 3: rating 9 in column 'rating' is outside the rating map", "--rating-map"]),
    "single class": (b"review,rating\ngood,5\ngreat,4\n", ["one class ('positive') in 2 reviews"]),
}


@pytest.mark.parametrize("case", list(TRAIN_CASES))
def test_bad_training_input_fails_in_one_line_and_writes_nothing(tmp_path, case):
    content, fragments = TRAIN_CASES[case]
    data = bad_file(tmp_path, "reviews.csv", content)
    done = run_cli("train", data, "--rating-column", "rating", "--output", tmp_path / "model")
    assert_user_error(done, *fragments)
    if case != "empty file":
        assert "reviews.csv" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reviews.csv"]


def test_label_not_in_the_model(trained, tmp_path):
    folder, _ = trained
    data = bad_file(tmp_path, "topics.csv", b"review,topic\ngood,positive\nlate parcel,delivery\n")
    done = run_cli("evaluate", folder / "model", data, "--label-column", "topic", "--json", tmp_path / "m.json")
    assert_user_error(done, "topics.csv, line 3: label 'delivery' is not one the model knows")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["topics.csv"]


def test_malformed_row_while_scoring_leaves_no_output(trained, tmp_path):
    folder, _ = trained
    rows = b"review_id,review\n" + b"".join(b"%d,fine\n" % i for i in range(200)) + b"999,bad,row\n"
    data = bad_file(tmp_path, "new.csv", rows)
    done = run_cli("predict", folder / "model", data, "--output", tmp_path / "scored.csv", "--chunk-rows", "50")
    assert_user_error(done, "new.csv, line 202: expected 2 fields, found 3")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.csv"]


def test_a_pickle_given_as_the_model_is_refused(tmp_path):
    marker = tmp_path / "code-ran"
    model = bad_file(tmp_path, "model.pkl", pickle.dumps(eval("open"), protocol=4))   # noqa: S307 - a harmless pickle
    done = run_cli("predict", model, SAMPLE, "--output", tmp_path / "scored.csv")
    assert_user_error(done, "is a file, not a model directory", "pickle")
    assert not marker.exists() and not (tmp_path / "scored.csv").exists()


def test_missing_label_options_say_what_to_pass(tmp_path):
    done = run_cli("train", SAMPLE, "--output", tmp_path / "model")
    assert_user_error(done, "pass --label-column COL (labels) or --rating-column COL")


# ------------------------------------------------------------------------------------ the tutorial's application

def test_customer_sentiment_analysis_runs_end_to_end(tmp_path):
    shutil.copy(ROOT / "customer_sentiment_analysis.py", tmp_path)
    shutil.copy(SAMPLE, tmp_path)
    done = subprocess.run([sys.executable, "customer_sentiment_analysis.py"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Test on held-out reviews: 480 reviews, accuracy" in done.stdout
    assert "Sentiment summary: 2,400 reviews" in done.stdout and "Most negative reviews" in done.stdout
    metrics = json.loads((tmp_path / "models" / "sample-sentiment" / "metrics.json").read_text())
    assert metrics["test"]["reviews"] == 480 and metrics["test"]["accuracy"] > 0.75
