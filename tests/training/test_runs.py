"""The run directory, resuming a run killed with SIGKILL, and distributed training with torchrun."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest
import torch
from safetensors.torch import load_file

from customer_sentiment import SentimentPipeline

from ..conftest import SAMPLE, cli_command, invoke, run_cli

# Small batches and dropout: an epoch takes long enough to be killed in the middle, and resuming
# must restore the RNG state as well as the weights, the optimizer and the position in the data.
RESUMABLE = ["train", SAMPLE, "--rating-column", "rating", "--model", "cnn.v1", "--epochs", "2", "--batch-size", "8",
             "--checkpoint-every", "10", "--set", "model.embedding_dim=32", "--set", "model.filters=32", "-q"]


def test_the_run_directory_records_the_run(tmp_path):
    done = run_cli("train", SAMPLE, "--rating-column", "rating", "--epochs", "2", "-o", tmp_path / "model",
                   "--run-dir", tmp_path / "run", "--set", "training.log_every=5", "-q")
    assert done.returncode == 0, done.stderr
    run = tmp_path / "run"
    info = json.loads((run / "run.json").read_text())
    assert info["status"] == "finished" and info["seed"] == 0 and info["output"] == str(tmp_path / "model")
    assert info["data"]["fingerprint"].startswith("sha256:") and {"torch", "customer-sentiment"} <= set(info["versions"])
    lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert {line["kind"] for line in lines} == {"train", "epoch"}
    assert [line["epoch"] for line in lines if line["kind"] == "epoch"] == [1, 2]
    assert all(line["step"] % 5 == 0 for line in lines if line["kind"] == "train")
    checkpoint = torch.load(run / "checkpoint.pt", weights_only=True)
    assert checkpoint["position"] == {"epoch": 3, "batch": 0, "step": lines[-1]["step"]}
    assert (run / "tokenizer.json").exists() and (run / "config.toml").exists()
    done = invoke("train", "--resume", run)                                   # a finished run is not run again
    assert done.returncode == 1 and f"The run in {run} has finished; its model is in {tmp_path / 'model'}" in done.stderr
    assert json.loads((run / "run.json").read_text()) == info


@pytest.mark.slow
def test_a_run_killed_mid_epoch_resumes_to_identical_weights(tmp_path):
    done = run_cli(*RESUMABLE, "-o", tmp_path / "whole", "--run-dir", tmp_path / "whole-run")
    assert done.returncode == 0, done.stderr

    command = [*cli_command(), *map(str, RESUMABLE), "-o", str(tmp_path / "resumed"), "--run-dir", str(tmp_path / "run")]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    checkpoint = tmp_path / "run" / "checkpoint.pt"
    deadline = time.time() + 120
    while not checkpoint.exists() and process.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL
    position = torch.load(checkpoint, weights_only=True)["position"]
    assert position["epoch"] == 1 and position["batch"] > 0                    # killed in the middle of epoch 1
    assert not (tmp_path / "resumed").exists()

    done = run_cli("train", "--resume", tmp_path / "run")
    assert done.returncode == 0, done.stderr
    whole, resumed = load_file(tmp_path / "whole" / "model.safetensors"), load_file(tmp_path / "resumed" / "model.safetensors")
    assert whole.keys() == resumed.keys() and all(torch.equal(whole[k], resumed[k]) for k in whole)
    assert json.loads((tmp_path / "run" / "run.json").read_text())["status"] == "finished"


def test_resume_refuses_other_settings_and_finished_runs(tmp_path):
    done = invoke("train", "--resume", tmp_path / "nothing")
    assert done.returncode == 1 and "is not a run directory" in done.stderr
    done = invoke("train", "--resume", tmp_path, "--epochs", "3")
    assert done.returncode == 1 and "--resume continues a run with its own settings: found --epochs. Drop" in done.stderr


def test_two_processes_train_with_ddp_and_rank_0_saves(tmp_path):
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
               "-m", "customer_sentiment", "train", str(SAMPLE), "--rating-column", "rating", "--epochs", "3",
               "-o", str(tmp_path / "model"), "--run-dir", str(tmp_path / "run")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stderr.count("Saved the model") == 1 and done.stderr.count("epoch 1/3") == 1   # rank 0 alone
    pipeline = SentimentPipeline.load(tmp_path / "model")
    assert pipeline.metrics_["validation"]["accuracy"] > 0.7
    assert pipeline.predict("Stopped heating after two weeks. Avoid.") == "negative"
    lines = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [line["epoch"] for line in lines if line["kind"] == "epoch"] == [1, 2, 3]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model", "run"]


def test_resuming_with_another_batch_layout_or_other_data_is_refused(tmp_path):
    from customer_sentiment import CustomerSentimentError, read_reviews
    from customer_sentiment.settings import resolve
    from customer_sentiment.training import RunDirectory, fit_model

    reviews = read_reviews(SAMPLE, "review", rating_column="rating").subset(range(200))

    def fit(texts, labels, batch_size, resume):
        settings = resolve(("test", {"training": {"epochs": 1, "batch_size": batch_size}}))
        return fit_model(texts, labels, settings, run=RunDirectory(tmp_path / "run"), resume=resume,
                         run_info={"output": str(tmp_path / "model")}, verbose=False)

    fit(reviews.texts, reviews.labels, 8, resume=False)
    info = json.loads((tmp_path / "run" / "run.json").read_text())
    (tmp_path / "run" / "run.json").write_text(json.dumps({**info, "status": "running"}))   # as if killed
    with pytest.raises(CustomerSentimentError, match="Resume with the same number of processes"):
        fit(reviews.texts, reviews.labels, 16, resume=True)
    with pytest.raises(CustomerSentimentError, match="The data differs from the run's"):
        fit(reviews.texts[:-1], reviews.labels[:-1], 8, resume=True)
