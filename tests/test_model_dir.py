"""Replacing a model directory: a model that loads stands at the path at every instant, even when the
process is killed between any two steps; saved models get the user's usual permissions."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from customer_sentiment import SentimentPipeline
from customer_sentiment.io import writers

# Saves `sample` over MODEL, killing itself (os._exit, no clean-up) at the Nth rename or exchange.
KILL_AT_STEP = """
import os, sys
from pathlib import Path
from customer_sentiment import SentimentPipeline
from customer_sentiment.io import writers

step, exchange = int(sys.argv[2]), sys.argv[3] == "exchange"
calls = [0]
real_rename = Path.rename

def rename(self, target):
    calls[0] += 1
    if calls[0] == step:
        os._exit(9)
    return real_rename(self, target)

Path.rename = rename
if not exchange:
    writers._exchange = lambda first, second: False
else:
    real_exchange = writers._exchange
    def exchange_then_die(first, second):
        done = real_exchange(first, second)
        os._exit(9)
    writers._exchange = exchange_then_die
pipeline = SentimentPipeline.load(sys.argv[1])
pipeline.config_["created"] = "new"
pipeline.save(sys.argv[1])
"""


@pytest.mark.parametrize("exchange, step", [pytest.param("rename", 1, marks=pytest.mark.slow), ("rename", 2),
                                            pytest.param("rename", 3, marks=pytest.mark.slow), ("exchange", 1)])
def test_a_process_killed_at_any_step_of_a_replacement_leaves_a_model_that_loads(sample_model_dir, tmp_path,
                                                                                    exchange, step):
    model = tmp_path / "model"
    SentimentPipeline.load(sample_model_dir).save(model)
    done = subprocess.run([sys.executable, "-c", KILL_AT_STEP, str(model), str(step), exchange], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode in (0, 9), done.stderr[-2000:]
    loaded = SentimentPipeline.load(model)                       # old or new, never nothing
    assert loaded.config_["created"] in (SentimentPipeline.load(sample_model_dir).config_["created"], "new")
    assert loaded.predict("Stopped heating after two weeks. Avoid.") == SentimentPipeline.load(
        sample_model_dir).predict("Stopped heating after two weeks. Avoid.")
    assert not (tmp_path / ".model.previous").exists()
    SentimentPipeline.load(sample_model_dir).save(model)         # and it can be replaced again
    assert [p.name for p in tmp_path.iterdir() if not p.name.endswith(".partial")] == ["model"]


def test_replacing_swaps_the_directory_in_one_step_here(sample_pipeline, tmp_path, monkeypatch):
    """On Linux the old directory is exchanged for the new one atomically; no second rename happens."""
    model = sample_pipeline.save(tmp_path / "model")
    renames = []
    real_rename = writers.Path.rename
    monkeypatch.setattr(writers.Path, "rename", lambda self, target: renames.append(self) or real_rename(self, target))
    sample_pipeline.save(model, metrics={"again": True})
    assert renames == [] and json.loads((model / "metrics.json").read_text())["again"] is True
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_a_saved_model_has_the_users_usual_permissions(sample_pipeline, tmp_path):
    mask = os.umask(0o022)
    try:
        model = sample_pipeline.save(tmp_path / "model")
    finally:
        os.umask(mask)
    assert model.stat().st_mode & 0o777 == 0o755
    assert {path.stat().st_mode & 0o777 for path in model.iterdir()} == {0o644}
