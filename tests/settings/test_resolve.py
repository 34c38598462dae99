"""One resolved configuration: the order of the layers, the documented TOML, and every surface that
shows a default (train --help, `config`, the run's config.toml) following `resolve()`."""

from __future__ import annotations

import json
import re
import tomllib

import pytest
from typer.testing import CliRunner

from customer_sentiment.errors import CustomerSentimentError
from customer_sentiment.models import ARCHITECTURES, get_architecture
from customer_sentiment.settings import SECTIONS, parse_overrides, resolve, to_toml, valid_keys

from ..conftest import SAMPLE, invoke, run_cli


@pytest.mark.parametrize("name", sorted(ARCHITECTURES))
def test_the_written_config_documents_every_key_and_resolves_back_to_itself(name):
    settings = resolve(("test", {"model": {"architecture": name}}))
    text = to_toml(settings, header="test")
    assert resolve(("written", tomllib.loads(text))) == settings
    for section in SECTIONS:
        for key, help_text in valid_keys(section, get_architecture(name)).items():
            assert help_text, f"{section}.{key} has no documentation"
            line = next(line for line in text.splitlines() if re.match(rf"#? ?{key} =", line))
            assert line.split("# ")[-1].strip() == help_text


def test_layers_apply_in_order_builtin_architecture_file_flags_set():
    nb = get_architecture("naive_bayes_bag.v1")
    file = {"model": {"architecture": "naive_bayes_bag.v1"}, "training": {"epochs": 3, "seed": 7, "patience": 9}}
    flags = {"training": {"epochs": 1, "seed": None}, "data": {"text_column": "body"}}
    overrides = {"training": {"patience": 2}}
    settings = resolve(("run.toml", file), ("flags", flags), ("--set", overrides))
    assert settings.training.learning_rate == nb.training_defaults["learning_rate"]     # the architecture's
    assert settings.training.optimizer == "adamw"                                       # built in
    assert (settings.training.seed, settings.training.epochs, settings.training.patience) == (7, 1, 2)
    assert settings.data.text_column == "body" and settings.model["alpha"] == 1.0


def test_unknown_sections_and_keys_list_the_valid_ones():
    with pytest.raises(CustomerSentimentError, match=re.escape(
            "run.toml: unknown section [optimizer]: expected one of data, model, tokenizer, training.")):
        resolve(("run.toml", {"optimizer": {}}))
    with pytest.raises(CustomerSentimentError, match=re.escape(
            "run.toml: unknown key tokenizer.vocab_size: expected max_words, max_ngrams, ngram_max, min_count.")):
        resolve(("run.toml", {"tokenizer": {"vocab_size": 3}}))
    with pytest.raises(CustomerSentimentError, match=re.escape(
            "Setting training.seed is 'x': expected an integer. Pass --seed or --set training.seed=VALUE")):
        resolve(("run.toml", {"training": {"seed": "x"}}))
    with pytest.raises(CustomerSentimentError, match=re.escape(
            "Setting model.embedding_dim is 'big': expected an integer. Pass --set model.embedding_dim=VALUE")):
        resolve(("run.toml", {"model": {"embedding_dim": "big"}}))


def test_a_setting_error_names_a_flag_that_exists():
    """Every training and data key's fix names `--KEY`: each must be an option of `train`."""
    from typer.main import get_command

    from customer_sentiment.cli import make_app

    flags = {name for param in get_command(make_app()).commands["train"].params for name in param.opts}
    for section in ("data", "training"):
        for key in valid_keys(section, get_architecture("cnn.v1")):
            with pytest.raises(CustomerSentimentError) as caught:
                resolve(("t", {section: {key: ["not", "a", "value"]}}))
            named = re.findall(r"(--[a-z-]+)", caught.value.fix)
            assert named and all(flag in flags | {"--set", "--config"} for flag in named), (key, caught.value.fix)


def test_overrides_are_read_as_toml_values():
    parsed = parse_overrides(["training.learning_rate=3e-4", "model.widths=[2, 3]", "data.text_column=body",
                              "training.precision=bf16"])
    assert parsed["training"] == {"learning_rate": 3e-4, "precision": "bf16"}
    assert parsed["model"] == {"widths": [2, 3]} and parsed["data"] == {"text_column": "body"}


def test_help_config_and_the_run_record_follow_an_architecture_default(monkeypatch, tmp_path):
    """Change the default architecture's learning rate: --help, `config` and config.toml all show the new value."""
    from customer_sentiment import cli
    from customer_sentiment.settings import DEFAULT_MODEL

    architecture = get_architecture(DEFAULT_MODEL)
    monkeypatch.setitem(architecture.training_defaults, "learning_rate", 0.0123)
    monkeypatch.setitem(architecture.training_defaults, "epochs", 1)
    runner, app = CliRunner(), cli.make_app()
    shown = runner.invoke(app, ["train", "--help"], env={"COLUMNS": "250"})
    assert shown.exit_code == 0
    assert f"[default: (0.0123: {DEFAULT_MODEL}'s)]" in " ".join(shown.output.split())
    written = runner.invoke(app, ["config"])
    assert tomllib.loads(written.output)["training"]["learning_rate"] == 0.0123
    trained = runner.invoke(app, ["train", str(SAMPLE), "--rating-column", "rating", "-o", str(tmp_path / "m"),
                                  "--run-dir", str(tmp_path / "run"), "-q"])
    assert trained.exit_code == 0, trained.output
    recorded = tomllib.loads((tmp_path / "run" / "config.toml").read_text())
    assert recorded["training"]["learning_rate"] == 0.0123 and recorded["training"]["epochs"] == 1
    assert json.loads((tmp_path / "m" / "config.json").read_text())["training"]["learning_rate"] == 0.0123


def test_flags_override_the_config_file_which_overrides_defaults(tmp_path):
    done = run_cli("config", "--model", "naive_bayes_bag.v1")
    assert done.returncode == 0
    text = done.stdout.replace('file = ""', f'file = "{SAMPLE}"').replace('rating_column = ""', 'rating_column = "rating"')
    text = text.replace("epochs = 5", "epochs = 3").replace("seed = 0", "seed = 7")
    (tmp_path / "run.toml").write_text(text)
    done = run_cli("train", "--config", tmp_path / "run.toml", "--epochs", "1", "-o", tmp_path / "model",
                   "--run-dir", tmp_path / "run", "-q")
    assert done.returncode == 0, done.stderr
    saved = json.loads((tmp_path / "model" / "config.json").read_text())
    assert saved["architecture"] == "naive_bayes_bag.v1"
    assert saved["training"]["epochs"] == 1 and saved["training"]["seed"] == 7     # flag, then file
    resolved = tomllib.loads((tmp_path / "run" / "config.toml").read_text())
    assert resolved["training"]["epochs"] == 1 and resolved["model"]["architecture"] == "naive_bayes_bag.v1"
    assert resolved["data"]["file"] == str(SAMPLE)


def test_keys_outside_sections_and_odd_architectures_are_refused(tmp_path):
    (tmp_path / "run.toml").write_text("epochs = 3\n")
    done = invoke("train", SAMPLE, "--rating-column", "rating", "--config", tmp_path / "run.toml", "-o", tmp_path / "m")
    assert done.returncode == 1 and "unknown top-level key 'epochs': expected one of data, model" in done.stderr
    (tmp_path / "run.toml").write_text('[model]\narchitecture = ["cnn.v1"]\n')
    done = invoke("train", SAMPLE, "--rating-column", "rating", "--config", tmp_path / "run.toml", "-o", tmp_path / "m")
    assert done.returncode == 1 and "model.architecture is ['cnn.v1']: expected a string" in done.stderr
    assert "Traceback" not in done.stderr
    (tmp_path / "run.toml").write_text('[training]\nlearning_rat = 0.1\n')
    done = invoke("train", SAMPLE, "--rating-column", "rating", "--config", tmp_path / "run.toml", "-o", tmp_path / "m")
    assert done.returncode == 1
    assert "unknown key training.learning_rat: expected epochs" in done.stderr and not (tmp_path / "m").exists()
