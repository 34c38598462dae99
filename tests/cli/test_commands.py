"""The `customer-sentiment` command, run end to end in fresh processes as a user would."""

from __future__ import annotations

import json
import os
import pickle
import re
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from customer_sentiment import SentimentPipeline

from ..conftest import ROOT, SAMPLE, cli_command, invoke, run_cli


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """`customer-sentiment train` on 1,900 sample reviews, once for this module; the other 500 are held out."""
    folder = tmp_path_factory.mktemp("cli")
    sample = pd.read_csv(SAMPLE, dtype=str)
    sample.iloc[:1900].to_csv(folder / "train.csv", index=False)
    sample.iloc[1900:].to_csv(folder / "holdout.csv", index=False)
    done = run_cli("train", folder / "train.csv", "--rating-column", "rating", "--output", folder / "model",
                   "--epochs", "6")
    assert done.returncode == 0, done.stderr
    return folder, done


def test_train_reports_and_saves_a_model_that_labels_held_out_reviews(trained):
    folder, done = trained
    assert "Read 1,900 rows from" in done.stderr and "Labels: negative" in done.stderr
    assert "epoch 1/6" in done.stderr and "validation macro-F1" in done.stderr
    assert "Validation:" in done.stdout and "Confusion matrix" in done.stdout
    pipeline = SentimentPipeline.load(folder / "model")
    holdout = pd.read_csv(folder / "holdout.csv")
    truth = holdout["rating"].map({1: "negative", 2: "negative", 3: "neutral", 4: "positive", 5: "positive"})
    assert (pd.Series(pipeline.predict(holdout["review"].tolist())) == truth).mean() > 0.7
    assert pipeline.config_["data"]["rating_column"] == "rating"


def test_evaluate_predict_report(trained):
    folder, _ = trained
    done = run_cli("evaluate", folder / "model", folder / "holdout.csv", "--json", folder / "metrics.json",
                   "--device", "cpu")
    assert done.returncode == 0, done.stderr
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["reviews"] == 500 and metrics["accuracy"] > 0.7 and metrics["macro_f1"] > 0.6   # never seen
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
    assert change["direction"] == "worse" and change["after_share"] > change["before_share"] + 0.15
    assert "Most negative reviews" in done.stdout and "ChefPro Air Fryer" in done.stdout


def test_same_seed_gives_identical_weights_byte_for_byte(trained, tmp_path):
    from safetensors.torch import load_file

    folder, _ = trained
    done = run_cli("train", folder / "train.csv", "--rating-column", "rating", "--output", tmp_path / "again",
                   "--epochs", "6", "-q")
    assert done.returncode == 0, done.stderr
    first, again = load_file(folder / "model" / "model.safetensors"), load_file(tmp_path / "again" / "model.safetensors")
    assert first.keys() == again.keys() and all(first[k].equal(again[k]) for k in first)
    assert (tmp_path / "again" / "model.safetensors").read_bytes() == (folder / "model" / "model.safetensors").read_bytes()


def test_help_shows_each_default_as_resolve_computes_it():
    from customer_sentiment.settings import AUTO_BATCH, option_name, resolve

    done = invoke("train", "--help", columns=300)
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    settings = resolve()
    for section in ("data", "training"):
        for key, value in getattr(settings, section).to_dict().items():
            if key == "file":
                continue
            shown = f"auto: {AUTO_BATCH}" if value is None else "none" if value == "" else str(value)
            assert re.search(rf"{option_name(key)} .*?\[default: \({re.escape(shown)}[:)]", text), (key, shown)
    assert f"[default: ({settings.model['architecture']})]" in text
    for command in ("evaluate", "predict", "report", "models", "config"):
        assert invoke(command, "--help").returncode == 0


def test_set_overrides_settings_and_rejects_unknown_keys(tmp_path):
    done = run_cli("train", SAMPLE, "--rating-column", "rating", "--output", tmp_path / "model", "-q", "--epochs", "1",
                   "--set", "model.embedding_dim=8", "--set", "tokenizer.ngram_max=2", "--set", "training.schedule=cosine")
    assert done.returncode == 0, done.stderr
    config = json.loads((tmp_path / "model" / "config.json").read_text())
    assert config["model_settings"]["embedding_dim"] == 8 and config["tokenizer"]["settings"]["ngram_max"] == 2
    assert config["training"]["schedule"] == "cosine" and config["training"]["epochs"] == 1
    done = invoke("train", SAMPLE, "--rating-column", "rating", "--output", tmp_path / "other", "--set", "training.lr=1")
    assert_user_error(done, "--set: unknown key training.lr: expected epochs, batch_size, learning_rate")
    assert not (tmp_path / "other").exists()


def test_commands_other_than_train_start_without_pytorch():
    """Only `train` (its --help shows the architecture's defaults) and the commands that run a model load PyTorch."""
    probe = ("import sys; sys.argv = ['customer-sentiment', *sys.argv[1:]]; from customer_sentiment.cli import run\n"
             "try:\n    run()\nexcept SystemExit:\n    pass\nprint('torch' in sys.modules)")
    for args, loads in [(["--version"], False), (["report", "--help"], False), (["--help"], False),
                        (["train", "--help"], True)]:
        done = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0 and done.stdout.split()[-1] == str(loads), (args, done.stdout[-300:], done.stderr)


def test_models_lists_the_architectures():
    done = invoke("models")
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
    "malformed row": (b"review,rating\ngood,5\nbad, really,1\n", ["line 3: expected 2 fields separated by commas, found 3"]),
    "rating outside the map": (b"review,rating\ngood,5\nodd,9\n",
                               ["line 3: rating 9 in column 'rating' is outside the rating map", "--rating-map"]),
    "single class": (b"review,rating\ngood,5\ngreat,4\n", ["has one class ('positive') in 2 reviews"]),
}


@pytest.mark.parametrize("case", list(TRAIN_CASES))
def test_bad_training_input_fails_in_one_line_and_writes_nothing(tmp_path, case):
    content, fragments = TRAIN_CASES[case]
    data = bad_file(tmp_path, "reviews.csv", content)
    done = invoke("train", data, "--rating-column", "rating", "--output", tmp_path / "model")
    assert_user_error(done, "reviews.csv", *fragments)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reviews.csv"]


def test_label_not_in_the_model(trained, tmp_path):
    folder, _ = trained
    data = bad_file(tmp_path, "topics.csv", b"review,topic\ngood,positive\nlate parcel,delivery\n")
    done = invoke("evaluate", folder / "model", data, "--label-column", "topic", "--json", tmp_path / "m.json")
    assert_user_error(done, "topics.csv, line 3: label 'delivery' is not one the model knows")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["topics.csv"]


def test_malformed_row_while_scoring_leaves_no_output(trained, tmp_path):
    folder, _ = trained
    rows = b"review_id,review\n" + b"".join(b"%d,fine\n" % i for i in range(200)) + b"999,bad,row\n"
    data = bad_file(tmp_path, "new.csv", rows)
    done = invoke("predict", folder / "model", data, "--output", tmp_path / "scored.csv", "--chunk-rows", "50")
    assert_user_error(done, "new.csv, line 202: expected 2 fields separated by commas, found 3")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.csv"]


class TouchesAFile:
    """Unpickled in any process, this creates `marker`: proof that code from the model file ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_pickle_given_as_the_model_is_refused_and_never_runs(trained, tmp_path):
    folder, _ = trained
    marker = tmp_path / "code-ran"
    payload = pickle.dumps(TouchesAFile(marker))
    model = bad_file(tmp_path, "model.pkl", payload)
    done = run_cli("predict", model, SAMPLE, "--output", tmp_path / "scored.csv")
    assert_user_error(done, "is a file, not a model directory", "pickle")
    tampered = shutil.copytree(folder / "model", tmp_path / "tampered")
    (tampered / "model.safetensors").write_bytes(payload)
    done = run_cli("predict", tampered, SAMPLE, "--output", tmp_path / "scored.csv")
    assert_user_error(done, "model.safetensors is not a safetensors file", "pickle")
    assert not marker.exists() and not (tmp_path / "scored.csv").exists()
    pickle.loads(payload)                    # the payload is live: unpickling it does create the marker
    assert marker.exists()


def test_outputs_are_checked_before_the_work(trained, tmp_path):
    folder, _ = trained
    (tmp_path / "notes.txt").write_text("keep me")
    done = invoke("train", SAMPLE, "--rating-column", "rating", "--output", tmp_path / "notes.txt")
    assert_user_error(done, "exists and is not a model directory")
    assert "epoch" not in done.stderr and (tmp_path / "notes.txt").read_text() == "keep me"
    done = invoke("predict", folder / "model", SAMPLE, "--output", tmp_path / "missing" / "scored.csv")
    assert_user_error(done, "the folder", "does not exist")
    done = invoke("predict", folder / "model", SAMPLE, "--output", tmp_path / "scored.xlsx")
    assert_user_error(done, "expected a name ending in")
    copy = shutil.copy(SAMPLE, tmp_path / "reviews.csv")
    done = invoke("predict", folder / "model", copy, "--output", copy)
    assert_user_error(done, "is the input file")
    done = invoke("evaluate", folder / "model", SAMPLE, "--json", tmp_path / "missing" / "m.json")
    assert_user_error(done, "does not exist")
    assert "Evaluation" not in done.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "reviews.csv"]


@pytest.mark.parametrize("args, fragment", [
    (["--set", "model.embedding_dim=abc"], "model.embedding_dim is 'abc': expected an integer. Pass --set model."),
    (["--set", "training.epochs=abc"], "training.epochs is 'abc': expected an integer"),
    (["--set", "training.epochs=0"], "Setting training.epochs is 0: expected a number >= 1. Pass --epochs"),
    (["--set", "model.hidden=3"], "unknown key model.hidden: expected architecture, embedding_dim, dropout"),
    (["--model", "cnn.v9"], "Unknown model 'cnn.v9'"),
    (["--encoding", "bogus"], "Unknown encoding 'bogus'"),
    (["--rating-map", "1..2:negative"], "is not a rule: expected LOW-HIGH:LABEL"),
    (["--validation-fraction", "0.9999"], "leaves 0 to train on"),
    (["--seed", "-1"], "Setting training.seed is -1: expected an integer in 0..4294967295. Pass --seed"),
    (["--set", "model.embedding_dim=0"], "model.embedding_dim of bag_of_embeddings.v1 is 0: expected an integer >= 1"),
])
def test_bad_settings_fail_in_one_line(tmp_path, args, fragment):
    done = invoke("train", SAMPLE, "--rating-column", "rating", "--output", tmp_path / "model", "-q", *args)
    assert_user_error(done, fragment)
    assert not (tmp_path / "model").exists()


def test_chunk_rows_below_one_is_a_one_line_error(trained, tmp_path):
    folder, _ = trained
    done = invoke("predict", folder / "model", folder / "holdout.csv", "-o", tmp_path / "s.csv", "--chunk-rows", "0")
    assert_user_error(done, "--chunk-rows is 0: expected an integer >= 1. Pass --chunk-rows 1 or more.")
    assert list(tmp_path.iterdir()) == []


def test_evaluating_a_file_without_text(trained, tmp_path):
    folder, _ = trained
    data = bad_file(tmp_path, "empty.csv", b"review,rating\n,5\n<br />,1\n")
    done = invoke("evaluate", folder / "model", data)
    assert_user_error(done, "None of the 2 rows", "empty review text: 2")


def test_missing_label_options_say_what_to_pass(tmp_path):
    done = invoke("train", SAMPLE, "--output", tmp_path / "model")
    assert_user_error(done, "No label or rating column was given. Pass --label-column COL (labels) or --rating-column COL")


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


# ------------------------------------------------------------------------------------ every architecture

@pytest.mark.parametrize("name", ["naive_bayes_bag.v1", "cnn.v1", "bigru_attention.v1", "transformer.v1",
                                  pytest.param("minilm_l6.v1", marks=pytest.mark.slow)])
def test_train_works_for_every_architecture(tmp_path, name):
    sample = pd.read_csv(SAMPLE).groupby("rating").head(30)             # 150 reviews, every rating
    long_review = " ".join(["The fryer stopped heating after two weeks and support never answered."] * 60)
    sample.loc[sample.index[0], "review"] = long_review                 # longer than any window
    data = tmp_path / "reviews.csv"
    sample.to_csv(data, index=False)
    done = invoke("train", data, "--rating-column", "rating", "--model", name, "--epochs", "1", "-q",
                  "-o", tmp_path / "model", "--run-dir", tmp_path / "run")
    assert done.returncode == 0, done.stderr
    pipeline = SentimentPipeline.load(tmp_path / "model")
    assert pipeline.config_["architecture"] == name
    done = invoke("predict", tmp_path / "model", data, "-o", tmp_path / "scored.csv", "--id-column", "review_id", "-q")
    assert done.returncode == 0, done.stderr
    scored = pd.read_csv(tmp_path / "scored.csv")
    columns = [f"prob_{label}" for label in pipeline.labels_]           # the command and the API: one path
    np.testing.assert_allclose(scored[columns].to_numpy(), pipeline.predict_proba(sample["review"].tolist()),
                               rtol=1e-5, atol=1e-7)
    assert scored["predicted_label"].tolist() == [pipeline.labels_[i] for i in scored[columns].to_numpy().argmax(1)]
    if pipeline.model_.max_length is None:
        assert "windows" not in scored
    else:                                                               # the long review took several windows
        assert scored.loc[0, "windows"] > 1 and (scored["windows"].iloc[1:] == 1).all()


@pytest.mark.slow
@pytest.mark.parametrize("signal_number, status, said", [(signal.SIGTERM, 143, "terminated"),
                                                         (signal.SIGINT, 130, "interrupted")])
def test_a_signal_mid_scoring_leaves_no_partial_file(sample_model_dir, tmp_path, signal_number, status, said):
    data = tmp_path / "in" / "reviews.csv"
    data.parent.mkdir()
    pd.concat([pd.read_csv(SAMPLE, dtype=str)] * 150).to_csv(data, index=False)      # 360,000 rows
    out = tmp_path / "out"
    out.mkdir()
    process = subprocess.Popen([*cli_command(), "predict", str(sample_model_dir), str(data), "-o", str(out / "s.csv"),
                                "--chunk-rows", "2000", "-q"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not any(out.iterdir()) and process.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    assert process.poll() is None, "scoring ended before the signal could be sent"
    process.send_signal(signal_number)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == status and f"{said}; no output was written" in stderr, stderr[-2000:]
    assert "Traceback" not in stderr and not (out / "s.csv").exists()
    assert [p.name for p in out.iterdir()] in ([], [".s.csv.resume"])     # committed chunks stay for --resume
