"""The TOML run configuration: documented keys, validation, and precedence of flags over the file."""

from __future__ import annotations

import json
import re
import tomllib

import pytest

from customer_sentiment import config
from customer_sentiment.errors import CustomerSentimentError
from customer_sentiment.models import ARCHITECTURES, get_architecture

from ..conftest import SAMPLE, run_cli


@pytest.mark.parametrize("name", sorted(ARCHITECTURES))
def test_the_written_config_documents_every_key_and_reads_back(name):
    architecture = get_architecture(name)
    text = config.to_toml(config.defaults(architecture), architecture, header="test")
    parsed = tomllib.loads(text)
    config.check(parsed, architecture, "test.toml")
    for section in config.SECTIONS:
        for key, help_text in config.valid_keys(section, architecture).items():
            assert help_text, f"{section}.{key} has no documentation"
            line = next(line for line in text.splitlines() if re.match(rf"#? ?{key} =", line))
            assert line.split("# ")[-1].strip() == help_text


def test_unknown_sections_and_keys_list_the_valid_ones():
    architecture = get_architecture("bag_of_embeddings.v1")
    expected = "unknown section [optimizer]; valid sections: data, model, tokenizer"
    with pytest.raises(CustomerSentimentError, match=re.escape(expected)):
        config.check({"optimizer": {}}, architecture, "run.toml")
    with pytest.raises(CustomerSentimentError, match=re.escape(
            "run.toml: unknown key tokenizer.vocab_size; valid: max_words, max_ngrams, ngram_max, min_count.")):
        config.check({"tokenizer": {"vocab_size": 3}}, architecture, "run.toml")
    with pytest.raises(CustomerSentimentError, match=re.escape("training.seed is 'x'; expected an integer")):
        config.check({"training": {"seed": "x"}}, architecture, "run.toml")


def test_overrides_are_read_as_toml_values():
    parsed = config.parse_overrides(["training.learning_rate=3e-4", "model.widths=[2, 3]", "data.text_column=body",
                                     "training.precision=bf16"])
    assert parsed["training"] == {"learning_rate": 3e-4, "precision": "bf16"}
    assert parsed["model"] == {"widths": [2, 3]} and parsed["data"] == {"text_column": "body"}


def test_flags_override_the_config_file_which_overrides_defaults(tmp_path):
    done = run_cli("config", "--model", "naive_bayes_bag.v1")
    assert done.returncode == 0
    text = done.stdout.replace('file = ""', f'file = "{SAMPLE}"').replace('rating_column = ""', 'rating_column = "rating"')
    text = text.replace("# epochs =  (unset)", "epochs = 3").replace("seed = 0", "seed = 7")
    (tmp_path / "run.toml").write_text(text)
    done = run_cli("train", "--config", tmp_path / "run.toml", "--epochs", "1", "-o", tmp_path / "model",
                   "--run-dir", tmp_path / "run", "-q")
    assert done.returncode == 0, done.stderr
    saved = json.loads((tmp_path / "model" / "config.json").read_text())
    assert saved["architecture"] == "naive_bayes_bag.v1"
    assert saved["training"]["epochs"] == 1 and saved["training"]["seed"] == 7     # flag, then file
    nb_default = get_architecture("naive_bayes_bag.v1").training_defaults["learning_rate"]
    assert saved["training"]["learning_rate"] == nb_default                        # the architecture's default
    resolved = tomllib.loads((tmp_path / "run" / "config.toml").read_text())
    assert resolved["training"]["epochs"] == 1 and resolved["model"]["architecture"] == "naive_bayes_bag.v1"
    assert resolved["data"]["file"] == str(SAMPLE)


def test_keys_outside_sections_and_odd_architectures_are_refused(tmp_path):
    (tmp_path / "run.toml").write_text("epochs = 3\n")
    done = run_cli("train", SAMPLE, "--rating-column", "rating", "--config", tmp_path / "run.toml", "-o", tmp_path / "m")
    assert done.returncode == 1 and "unknown top-level key 'epochs'; valid sections: data, model" in done.stderr
    (tmp_path / "run.toml").write_text('[model]\narchitecture = ["cnn.v1"]\n')
    done = run_cli("train", SAMPLE, "--rating-column", "rating", "--config", tmp_path / "run.toml", "-o", tmp_path / "m")
    assert done.returncode == 1 and "model.architecture is ['cnn.v1']; expected a string" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_config_file_with_an_unknown_key_is_refused(tmp_path):
    (tmp_path / "run.toml").write_text('[training]\nlearning_rat = 0.1\n')
    done = run_cli("train", SAMPLE, "--rating-column", "rating", "--config", tmp_path / "run.toml", "-o", tmp_path / "m")
    assert done.returncode == 1
    assert "unknown key training.learning_rat; valid: epochs" in done.stderr and not (tmp_path / "m").exists()
