"""SentimentPipeline: the estimator contract, scikit-learn's tools, and the model directory."""

from __future__ import annotations

import json
import pickle
import re

import numpy as np
import pytest

from customer_sentiment import SentimentPipeline, TrainingArguments, model_dir
from customer_sentiment.errors import CustomerSentimentError, NotFittedError
from customer_sentiment.model_dir import ModelVersionWarning


class RunsCode:
    """Unpickling this writes a marker file: proof that code from a model file ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


# ------------------------------------------------------------------------ the estimator contract

def test_predicting_before_fitting_says_to_fit():
    expected = "not fitted yet. Call fit(texts, labels) first, or load a saved model with SentimentPipeline.load(path)"
    with pytest.raises(NotFittedError, match=re.escape(expected)):
        SentimentPipeline().predict("great")


def test_a_single_class_cannot_be_learned():
    with pytest.raises(CustomerSentimentError, match=re.escape(
            "The training data has one class ('positive') in 3 reviews: expected at least two classes for a classifier.")):
        SentimentPipeline(verbose=False).fit(["a", "b", "c"], ["positive"] * 3)


def test_unknown_model_setting_lists_the_valid_ones():
    with pytest.raises(CustomerSentimentError, match=re.escape(
            "unknown key model.hidden_size: expected architecture, embedding_dim, dropout.")):
        SentimentPipeline(model_settings={"hidden_size": 3}, verbose=False).fit(["a", "b"], ["x", "y"])


def test_settings_a_model_cannot_take_are_the_users_error():
    texts, labels = ["a b", "c d"] * 5, ["x", "y"] * 5
    with pytest.raises(CustomerSentimentError, match=re.escape(
            "Setting model.dim of transformer.v1 is 128: expected a multiple of model.heads (3). Pass --set model.dim")):
        SentimentPipeline("transformer.v1", model_settings={"heads": 3}, verbose=False).fit(texts, labels)
    with pytest.raises(CustomerSentimentError, match=re.escape("model.widths of cnn.v1 is []: expected a non-empty list")):
        SentimentPipeline("cnn.v1", model_settings={"widths": []}, verbose=False).fit(texts, labels)
    with pytest.raises(CustomerSentimentError, match=re.escape("model.dropout of cnn.v1 is 1.5: expected a number in [0, 1)")):
        SentimentPipeline("cnn.v1", model_settings={"dropout": 1.5}, verbose=False).fit(texts, labels)


def test_zero_is_a_dropout_but_not_a_size():
    from customer_sentiment.models import get_architecture

    assert get_architecture("cnn.v1")(50, 2, dropout=0).settings["dropout"] == 0          # TOML reads 0 as an int
    with pytest.raises(CustomerSentimentError, match=re.escape("model.filters of cnn.v1 is 0: expected an integer >= 1")):
        get_architecture("cnn.v1")(50, 2, filters=0)
    with pytest.raises(CustomerSentimentError, match=re.escape("model.alpha of naive_bayes_bag.v1 is 0: expected a number > 0")):
        get_architecture("naive_bayes_bag.v1")(50, 2, alpha=0)


def test_a_bug_in_a_model_stays_a_traceback(monkeypatch):
    """Only the user's mistakes become one-line errors; a TypeError inside the package is not dressed as one."""
    from customer_sentiment.models.bag import BagOfEmbeddings

    def broken(self, ids, offsets):
        raise TypeError("a bug")

    monkeypatch.setattr(BagOfEmbeddings, "forward", broken)
    with pytest.raises(TypeError, match="a bug"):
        SentimentPipeline(training=TrainingArguments(epochs=1), verbose=False).fit(["a b", "c d"] * 5, ["x", "y"] * 5)


def test_single_string_in_single_result_out(sample_pipeline):
    assert sample_pipeline.predict("Not bad at all, no problems so far.") == "positive"
    assert sample_pipeline.predict("Stopped heating after two weeks. Avoid.") == "negative"
    probabilities = sample_pipeline.predict_proba("great")
    assert probabilities.shape == (3,) and abs(probabilities.sum() - 1) < 1e-12


def test_the_sample_model_learns_something(sample_pipeline):
    validation = sample_pipeline.metrics_["validation"]
    majority = max(row["support"] for row in validation["per_class"].values()) / validation["reviews"]
    assert validation["accuracy"] > majority + 0.1 and validation["macro_f1"] > 0.6


def test_raw_html_is_cleaned_before_prediction(sample_pipeline):
    raw = "Terrible product.<br /><br />It doesn&#039;t work as advertised."
    np.testing.assert_array_equal(sample_pipeline.predict_proba(raw),
                                  sample_pipeline.predict_proba("Terrible product. It doesn't work as advertised."))


def test_evaluate_refuses_a_label_the_model_does_not_know(sample_pipeline, tmp_path):
    from customer_sentiment import read_reviews

    path = tmp_path / "topics.csv"
    path.write_text("review,topic\ngood,positive\nlate parcel,delivery\n")
    reviews = read_reviews(path, "review", label_column="topic")
    with pytest.raises(CustomerSentimentError, match=re.escape(
            f"{path}, line 3: label 'delivery' is not one the model knows: expected negative, neutral, positive.")):
        sample_pipeline.evaluate(reviews)


# ------------------------------------------------------------------------ the model directory

def test_model_directory_holds_json_and_safetensors_only(sample_model_dir):
    files = sorted(p.name for p in sample_model_dir.iterdir())
    assert files == ["README.md", "config.json", "metrics.json", "model.safetensors", "tokenizer.json"]
    for path in sample_model_dir.iterdir():
        head = path.read_bytes()[:2]
        assert head[:1] != b"\x80" and head != b"PK", f"{path.name} looks like a pickle"
    config = json.loads((sample_model_dir / "config.json").read_text())
    assert config["format"] == "customer-sentiment/model" and config["format_version"] == 1
    assert config["architecture"] == "bag_of_embeddings.v1" and config["labels"] == ["negative", "neutral", "positive"]
    assert config["data"]["fingerprint"].startswith("sha256:") and config["seed"] == 0
    assert {"library_version", "training", "model_settings", "tokenizer"} <= set(config)
    assert "validation" in json.loads((sample_model_dir / "metrics.json").read_text())


def test_a_pickle_renamed_as_the_model_is_refused_and_never_runs(sample_model_dir, tmp_path):
    marker = tmp_path / "code-ran"
    payload = pickle.dumps(RunsCode(marker))
    as_directory = tmp_path / "model.pkl"
    as_directory.write_bytes(payload)
    with pytest.raises(CustomerSentimentError, match="is a file, not a model directory; it looks like a pickle"):
        SentimentPipeline.load(as_directory)
    tampered = tmp_path / "tampered"
    tampered.mkdir()
    for path in sample_model_dir.iterdir():
        (tampered / path.name).write_bytes(path.read_bytes())
    (tampered / "model.safetensors").write_bytes(payload)
    expected = "model.safetensors is not a safetensors file; it looks like a pickle"
    with pytest.raises(CustomerSentimentError, match=re.escape(expected)):
        SentimentPipeline.load(tampered)
    assert not marker.exists()


def test_unknown_format_version_is_refused(sample_model_dir, tmp_path):
    copy = _copy(sample_model_dir, tmp_path / "future")
    config = json.loads((copy / "config.json").read_text())
    config["format_version"] = 2
    (copy / "config.json").write_text(json.dumps(config))
    with pytest.raises(CustomerSentimentError, match=re.escape("has model format version 2; this customer-sentiment")):
        SentimentPipeline.load(copy)


def test_another_library_version_warns(sample_model_dir, tmp_path):
    copy = _copy(sample_model_dir, tmp_path / "old")
    config = json.loads((copy / "config.json").read_text())
    config["library_version"] = "0.0.1"
    (copy / "config.json").write_text(json.dumps(config))
    with pytest.warns(ModelVersionWarning, match="was saved by customer-sentiment 0.0.1"):
        SentimentPipeline.load(copy)


def test_a_crash_mid_save_leaves_no_model_and_keeps_the_old_one(sample_pipeline, tmp_path, monkeypatch):
    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(model_dir, "save_file", crash)
    with pytest.raises(CustomerSentimentError, match=re.escape(f"Cannot use {tmp_path / 'new'}: disk full")):
        sample_pipeline.save(tmp_path / "new")
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    sample_pipeline.save(tmp_path / "existing")
    before = (tmp_path / "existing" / "model.safetensors").read_bytes()
    monkeypatch.setattr(model_dir, "save_file", crash)
    with pytest.raises(CustomerSentimentError, match="disk full"):
        sample_pipeline.save(tmp_path / "existing")
    assert (tmp_path / "existing" / "model.safetensors").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing"]


def test_saving_over_something_that_is_not_a_model_is_refused(sample_pipeline, tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(CustomerSentimentError, match="exists and is not a model directory"):
        sample_pipeline.save(tmp_path / "notes.txt")
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def _copy(source, target):
    target.mkdir()
    for path in source.iterdir():
        (target / path.name).write_bytes(path.read_bytes())
    return target


# ------------------------------------------------------------------------ scikit-learn

def test_clone_copies_the_settings_not_the_fitted_state(sample_pipeline):
    from sklearn.base import clone

    pipeline = SentimentPipeline("cnn.v1", model_settings={"filters": 8}, training=TrainingArguments(epochs=2),
                                 device="cpu", verbose=False)
    copy = clone(pipeline)
    assert copy is not pipeline and copy.get_params() == pipeline.get_params()
    assert copy.training is not pipeline.training and copy.model_settings is not pipeline.model_settings
    assert copy.set_params(model="naive_bayes_bag.v1").model == "naive_bayes_bag.v1" and pipeline.model == "cnn.v1"
    with pytest.raises(NotFittedError):
        clone(sample_pipeline).predict("fine")


def test_grid_search_picks_settings_by_cross_validation(sample_reviews):
    from sklearn.model_selection import GridSearchCV

    texts, labels = sample_reviews.texts[:400], sample_reviews.labels[:400]
    search = GridSearchCV(SentimentPipeline(training=TrainingArguments(epochs=3, validation_fraction=0.0),
                                            device="cpu", verbose=False),
                          {"model": ["bag_of_embeddings.v1", "naive_bayes_bag.v1"]}, cv=2, scoring="accuracy")
    search.fit(texts, labels)
    scores = search.cv_results_["mean_test_score"]
    assert search.best_params_["model"] == ["bag_of_embeddings.v1", "naive_bayes_bag.v1"][int(scores.argmax())]
    held_out = sample_reviews.labels[400:800]
    majority = max(held_out.count(label) for label in set(held_out)) / len(held_out)
    accuracy = np.mean(np.array(search.best_estimator_.predict(sample_reviews.texts[400:800])) == np.array(held_out))
    assert accuracy > majority + 0.05, (accuracy, majority)
