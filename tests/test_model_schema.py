"""The model directory's schema: a hand-edited or damaged model directory is refused before anything is
built, by `predict` as a user runs it, in one line naming the file, the key or tensor, what was expected
and what was found, with exit status 1, no traceback and no output; and what would be refused is never
written."""

from __future__ import annotations

import json
import re
import shutil
import time

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from customer_sentiment import SentimentPipeline
from customer_sentiment.errors import CustomerSentimentError
from customer_sentiment.model_dir import LoadedModel, load_model

from .conftest import TINY, invoke, tiny_training, write_csv

TEXTS = [text for text, _ in TINY]
LABELS = [label for _, label in TINY]
TRANSFORMER = {"dim": 8, "heads": 2, "layers": 1, "feedforward": 16}


@pytest.fixture(scope="module")
def bag_dir(tmp_path_factory):
    """A bag of embeddings trained one epoch on eight reviews (a second), saved once for every case."""
    pipeline = SentimentPipeline(tokenizer_settings={"min_count": 1}, training=tiny_training(epochs=1), verbose=False)
    return pipeline.fit(TEXTS, LABELS).save(tmp_path_factory.mktemp("models") / "bag")


@pytest.fixture(scope="module")
def transformer_dir(tmp_path_factory):
    """A tiny Transformer with a learned subword tokenizer (Hugging Face JSON inside tokenizer.json)."""
    pipeline = SentimentPipeline("transformer.v1", TRANSFORMER, {"vocab_size": 60, "min_count": 1},
                                 training=tiny_training(epochs=1), verbose=False)
    return pipeline.fit(TEXTS, LABELS).save(tmp_path_factory.mktemp("models") / "transformer")


@pytest.fixture(scope="module")
def reviews_csv(tmp_path_factory):
    return write_csv(tmp_path_factory.mktemp("data") / "reviews.csv", [{"review": text} for text in TEXTS])


# ------------------------------------------------------------------------ ways to damage a model directory

def in_json(name: str, edit):
    """Apply `edit` to the parsed JSON file `name` of a model directory."""
    def corrupt(model):
        data = json.loads((model / name).read_text())
        edit(data)
        (model / name).write_text(json.dumps(data))
    return corrupt


def setting(name: str, key: str, value):
    """Set a dotted key of a JSON file ('model_settings.embedding_dim')."""
    def edit(data):
        *parents, last = key.split(".")
        for parent in parents:
            data = data[parent]
        data[last] = value
    return in_json(name, edit)


def config(key, value):
    return setting("config.json", key, value)


def tokenizer(key, value):
    return setting("tokenizer.json", key, value)


def in_tensors(edit):
    """Apply `edit` to the dict of tensors in model.safetensors and write it back."""
    def corrupt(model):
        tensors = load_file(model / "model.safetensors")
        edit(tensors)
        save_file(tensors, model / "model.safetensors")
    return corrupt


def poison(name: str, value: float):
    return in_tensors(lambda tensors: tensors[name].view(-1).__setitem__(0, value))


def one_row_less(tensors):
    tensors["embedding.weight"] = tensors["embedding.weight"][:-1].clone()


def one_more_word(data):
    data["words"].append("zzzextra")


def unknown_ngram(data):
    data["ngrams"][0] = "zzz qqq"


BAG_CASES = [
    # config.json: keys and the kinds of their values
    ("unknown-top-level-key", config("marker", "new"), "config.json: unknown key marker: expected format, "),
    ("missing-labels", in_json("config.json", lambda c: c.pop("labels")), "config.json: the file lacks labels"),
    ("unknown-model-setting", config("model_settings.hidden_size", 8),
     "config.json: unknown key model_settings.hidden_size: expected embedding_dim, dropout"),
    ("string-size", config("model_settings.embedding_dim", "16"),
     "config.json: model_settings.embedding_dim is '16': expected an integer"),
    ("bool-size", config("model_settings.embedding_dim", True),
     "config.json: model_settings.embedding_dim is True: expected an integer"),
    ("float-size", config("model_settings.embedding_dim", 16.0),
     "config.json: model_settings.embedding_dim is 16.0: expected an integer"),
    ("string-dropout", config("model_settings.dropout", "0.1"),
     "config.json: model_settings.dropout is '0.1': expected a number"),
    ("model-settings-not-an-object", config("model_settings", [16]),
     "config.json: model_settings is [16]: expected a JSON object"),
    # ranges: the architecture's own checks
    ("negative-size", config("model_settings.embedding_dim", -4),
     "config.json: model.embedding_dim of bag_of_embeddings.v1 is -4: expected an integer >= 1"),
    ("zero-size", config("model_settings.embedding_dim", 0),
     "config.json: model.embedding_dim of bag_of_embeddings.v1 is 0: expected an integer >= 1"),
    ("dropout-1.5", config("model_settings.dropout", 1.5),
     "config.json: model.dropout of bag_of_embeddings.v1 is 1.5: expected a number in [0, 1)"),
    ("absurd-size", config("model_settings.embedding_dim", 10**12),
     "config.json: model_settings.embedding_dim is 1,000,000,000,000: expected at most "),
    ("absurd-vocab-size", config("vocab_size", 10**12), "tokenizer.json holds "),
    ("string-vocab-size", config("vocab_size", "57"), "config.json: vocab_size is '57': expected an integer"),
    ("unknown-architecture", config("architecture", "bag.v9"),
     "config.json: Unknown model 'bag.v9': expected one of ['bag_of_embeddings.v1'"),
    ("architecture-not-a-string", config("architecture", 1), "config.json: architecture is 1: expected a string"),
    # labels
    ("labels-not-a-list", config("labels", "negative,neutral,positive"),
     "config.json: labels is 'negative,neutral,positive': expected a list"),
    ("label-not-a-string", config("labels", ["negative", 1, "positive"]),
     "config.json: labels[1] is 1: expected a non-empty string"),
    ("duplicated-label", config("labels", ["negative", "negative", "positive"]),
     "config.json: labels holds 'negative' more than once: expected each label once"),
    ("empty-label", config("labels", ["negative", "", "positive"]),
     "config.json: labels[1] is '': expected a non-empty string"),
    ("single-label", config("labels", ["positive"]), "config.json: labels is ['positive']: expected at least two labels"),
    ("more-labels-than-outputs", config("labels", ["a", "b", "c", "d"]),
     "model.safetensors: tensor 'classifier.weight' has shape [3, 16]: expected [4, 16], as config.json describes the model"),
    # the other sections
    ("training-unknown-key", config("training.epochz", 3), "config.json: unknown key training.epochz: expected epochs, "),
    ("training-wrong-type", config("training.epochs", "3"), "config.json: training.epochs is '3': expected an integer"),
    ("training-out-of-range", config("training.learning_rate", -1),
     "config.json: training.learning_rate is -1: expected a number > 0"),
    ("training-not-an-object", config("training", ["epochs"]), "config.json: training is ['epochs']: expected a JSON object"),
    ("tokenizer-setting-unknown", config("tokenizer.settings.lowercase", True),
     "config.json: unknown key tokenizer.settings.lowercase: expected max_words, max_ngrams, ngram_max, min_count"),
    ("tokenizer-setting-type", config("tokenizer.settings.ngram_max", "3"),
     "config.json: tokenizer.settings.ngram_max is '3': expected an integer"),
    ("tokenizer-of-another-architecture", config("tokenizer.format", "customer-sentiment/subword-tokenizer"),
     "config.json: tokenizer.format is 'customer-sentiment/subword-tokenizer': expected "),
    ("seed-out-of-range", config("seed", -1), "config.json: training.seed is -1: expected an integer in 0..4294967295"),
    ("history-wrong-type", config("history.best_epoch", "1"), "config.json: history.best_epoch is '1': expected an integer"),
    ("data-column-not-a-string", config("data.text_column", 5), "config.json: data.text_column is 5: expected a string"),
    # tokenizer.json
    ("tokenizer-wrong-format", tokenizer("format", "minbpe v1"), "tokenizer.json is not this tokenizer's JSON: expected "),
    ("tokenizer-wrong-version", tokenizer("version", 2), "found format 'customer-sentiment/word-ngram-tokenizer' version 2"),
    ("tokenizer-unknown-key", tokenizer("merges", []), "tokenizer.json: unknown key merges: expected format, version"),
    ("tokenizer-unknown-setting", tokenizer("settings.lowercase", True), "tokenizer.json: unknown key settings.lowercase"),
    ("tokenizer-setting-out-of-range", tokenizer("settings.ngram_max", 4),
     "tokenizer.json: tokenizer.ngram_max is 4: expected 1, 2 or 3"),
    ("tokenizer-setting-string", tokenizer("settings.min_count", "1"),
     "tokenizer.json: tokenizer.min_count is '1': expected an integer >= 1"),
    ("words-not-a-list", tokenizer("words", "love it"), "tokenizer.json lacks words"),
    ("words-not-strings", tokenizer("words", [1, 2, 3]), "tokenizer.json: words[0] is 1: expected a non-empty string"),
    ("word-with-a-space", tokenizer("words", ["love it"]), "tokenizer.json: words[0] is 'love it': expected a non-empty "),
    ("duplicated-word", in_json("tokenizer.json", lambda t: t["words"].append(t["words"][0])), "is there twice"),
    ("ngrams-not-strings", tokenizer("ngrams", [None]), "tokenizer.json: ngrams[0] is None: expected words joined"),
    ("ngram-of-unknown-words", in_json("tokenizer.json", unknown_ngram),
     "tokenizer.json: ngrams[0] is 'zzz qqq': expected 2 to 3 words, each one of the saved words"),
    ("vocab-size-mismatch", in_json("tokenizer.json", one_more_word), "tokenizer.json holds "),
    # model.safetensors
    ("missing-tensor", in_tensors(lambda t: t.pop("classifier.bias")),
     "model.safetensors: tensor 'classifier.bias' is missing: expected the 3 tensors config.json describes"),
    ("extra-tensor", in_tensors(lambda t: t.update(extra=torch.zeros(2))), "model.safetensors: unexpected tensor 'extra'"),
    ("wrong-shape", in_tensors(one_row_less), "model.safetensors: tensor 'embedding.weight' has shape ["),
    ("wrong-dtype", in_tensors(lambda t: t.update({"classifier.weight": t["classifier.weight"].half()})),
     "model.safetensors: tensor 'classifier.weight' has dtype F16: expected F32"),
    ("nan-weights", poison("embedding.weight", float("nan")),
     "model.safetensors: tensor 'embedding.weight' holds 1 NaN and 0 infinite values: expected finite weights"),
    ("inf-weights", poison("classifier.bias", float("inf")),
     "model.safetensors: tensor 'classifier.bias' holds 0 NaN and 1 infinite values"),
    ("not-safetensors", lambda model: (model / "model.safetensors").write_bytes(b"\x00" * 64),
     "model.safetensors is not a safetensors file"),
]

TRANSFORMER_CASES = [
    ("absurd-layer-count", config("model_settings.layers", 10**9),
     "config.json: model_settings.layers is 1,000,000,000: expected at most "),
    ("many-layers", config("model_settings.layers", 1000),
     "config.json: model_settings.layers makes 1,000 layers: expected at most 18, the number of tensors in "
     "model.safetensors"),
    ("heads-not-dividing-dim", config("model_settings.heads", 3),
     "config.json: model.dim of transformer.v1 is 8: expected a multiple of model.heads (3)"),
    ("hf-tokenizer-garbage", tokenizer("tokenizer", {"model": 5}),
     "tokenizer.json: its 'tokenizer' is not a Hugging Face tokenizer (data did not match any variant"),
    ("hf-vocabulary-not-ids", tokenizer("tokenizer.model.vocab.[PAD]", "zero"),
     "tokenizer.json: its 'tokenizer' is not a Hugging Face tokenizer (invalid type"),
    ("subword-setting-string", tokenizer("settings.vocab_size", "60"),
     "tokenizer.json: Tokenizer settings vocab_size='60', min_count=1"),
    ("sequence-tensor-shape", in_tensors(lambda t: t.update({"positions.weight": t["positions.weight"][:, :4].clone()})),
     "model.safetensors: tensor 'positions.weight' has shape [256, 4]: expected [256, 8]"),
]

CASES = ([pytest.param("bag_dir", corrupt, fragment, id=name) for name, corrupt, fragment in BAG_CASES]
         + [pytest.param("transformer_dir", corrupt, fragment, id=name) for name, corrupt, fragment in TRANSFORMER_CASES])


@pytest.mark.parametrize("model, corrupt, fragment", CASES)
def test_a_damaged_model_directory_is_refused_in_one_line(request, tmp_path, reviews_csv, model, corrupt, fragment):
    copy = shutil.copytree(request.getfixturevalue(model), tmp_path / "model")
    corrupt(copy)
    output = tmp_path / "scored.csv"
    started = time.perf_counter()
    done = invoke("predict", copy, reviews_csv, "-o", output)
    said = done.stdout + done.stderr
    assert done.returncode == 1, said
    errors = [line for line in said.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and fragment in errors[0], said
    assert errors[0].endswith(".") and "Traceback" not in said and not output.exists()
    assert time.perf_counter() - started < 10                # absurd sizes included: refused, never allocated


def test_the_untouched_copies_load_and_predict(bag_dir, transformer_dir, reviews_csv, tmp_path):
    """The cases above fail for their damage alone: the same directories, untouched, score the file."""
    for model in (bag_dir, transformer_dir):
        done = invoke("predict", model, reviews_csv, "-o", tmp_path / f"{model.name}.csv")
        assert done.returncode == 0, done.stdout + done.stderr


# ------------------------------------------------------------------------ the one loader

def test_load_model_builds_what_the_pipeline_predicts_with(bag_dir):
    loaded = load_model(bag_dir)
    pipeline = SentimentPipeline.load(bag_dir)
    assert isinstance(loaded, LoadedModel) and loaded.labels == ["negative", "neutral", "positive"]
    assert loaded.config == pipeline.config_ and loaded.training == pipeline.training
    assert loaded.tokenizer.vocab_size == loaded.config["vocab_size"] and "history" in loaded.metrics
    for name, tensor in pipeline.model_.state_dict().items():
        assert torch.equal(loaded.model.state_dict()[name], tensor), name


def test_the_loader_refuses_before_building(bag_dir, tmp_path, monkeypatch):
    """An absurd size is refused before the model is described, even on the meta device (no memory), let
    alone built; a sound model is described on the meta device, then built once, on the CPU."""
    from customer_sentiment.models.bag import BagOfEmbeddings

    devices = []
    real = BagOfEmbeddings.from_saved.__func__
    monkeypatch.setattr(BagOfEmbeddings, "from_saved",
                        classmethod(lambda cls, *args: devices.append(torch.empty(0).device.type) or real(cls, *args)))
    copy = shutil.copytree(bag_dir, tmp_path / "model")
    config("model_settings.embedding_dim", 10**12)(copy)
    with pytest.raises(CustomerSentimentError, match=re.escape("embedding_dim is 1,000,000,000,000: expected at most")):
        load_model(copy)
    assert devices == []
    load_model(bag_dir)
    assert devices == ["meta", "cpu"]


# ------------------------------------------------------------------------ what would be refused is never written

def test_weights_that_diverged_are_never_saved(bag_dir, tmp_path):
    pipeline = SentimentPipeline.load(bag_dir)
    with torch.no_grad():
        pipeline.model_.embedding.weight[3, 1] = float("nan")
    with pytest.raises(CustomerSentimentError, match=re.escape(
            f"Cannot save a model at {tmp_path / 'model'}: training diverged: tensor 'embedding.weight' holds 1 NaN "
            f"and 0 infinite values: expected finite weights. Nothing was written. Train again with a lower "
            f"--learning-rate")):
        pipeline.save(tmp_path / "model")
    assert list(tmp_path.iterdir()) == []


def test_a_config_loading_would_refuse_is_never_saved(bag_dir, tmp_path):
    pipeline = SentimentPipeline.load(bag_dir)
    pipeline.config_["labels"] = ["negative", "negative", "positive"]
    with pytest.raises(CustomerSentimentError, match=re.escape(
            f"{tmp_path / 'model' / 'config.json'}: labels holds 'negative' more than once: expected each label once. "
            f"Nothing was written")):
        pipeline.save(tmp_path / "model")
    assert list(tmp_path.iterdir()) == []


def test_a_saved_model_loads_with_identical_predictions(bag_dir, tmp_path):
    first = SentimentPipeline.load(bag_dir)
    again = SentimentPipeline.load(first.save(tmp_path / "again"))
    np.testing.assert_array_equal(again.predict_proba(TEXTS), first.predict_proba(TEXTS))


# ------------------------------------------------------------------------ the architectures' own checks

def test_a_saved_encoder_config_is_checked_before_the_encoder_is_built():
    from customer_sentiment.models import get_architecture
    from customer_sentiment.models.pretrained import ENCODER_SIZES

    minilm, sizes = get_architecture("minilm_l6.v1"), dict.fromkeys(ENCODER_SIZES, 4)
    with pytest.raises(CustomerSentimentError, match=re.escape(
            "model._encoder_config.hidden_size of minilm_l6.v1 is '384': expected an integer >= 1")):
        minilm.from_saved(100, 2, {"dropout": 0.1, "_encoder_config": {**sizes, "hidden_size": "384"}})
    with pytest.raises(CustomerSentimentError, match=re.escape(
            "model._encoder_config.hidden_size of minilm_l6.v1 is 6: expected a multiple of num_attention_heads")):
        minilm.from_saved(100, 2, {"_encoder_config": {**sizes, "hidden_size": 6}})
    with pytest.raises(CustomerSentimentError, match=re.escape("model._encoder_config of minilm_l6.v1 is 'list'")):
        minilm.from_saved(100, 2, {"_encoder_config": []})


def test_a_width_must_be_an_integer_not_a_bool():
    from customer_sentiment.models import get_architecture

    with pytest.raises(CustomerSentimentError, match=re.escape("model.widths of cnn.v1 is [True]: expected a non-empty")):
        get_architecture("cnn.v1")(50, 2, widths=[True])
