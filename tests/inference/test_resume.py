"""Scoring that survives a crash: `predict` killed part way continues with `--resume` from its last
committed chunk, and the file it writes is byte for byte an uninterrupted run's; the summary covers
the whole file; a resume with another input, model or options is refused, saying what changed."""

from __future__ import annotations

import copy
import os
import re
import signal
import subprocess
import time
from unittest import mock

import pandas as pd
import pytest
import torch

import customer_sentiment.inference.scoring as scoring
from customer_sentiment import SentimentPipeline
from customer_sentiment.errors import CustomerSentimentError
from customer_sentiment.inference.predictor import Predictor
from customer_sentiment.inference.scoring import score_file
from customer_sentiment.io.resumable import staging_folder

from ..conftest import SAMPLE, cli_command, invoke


def reviews(path, rows: int):
    """`rows` reviews from the sample data with ids, every 50th without text; CSV or Parquet by suffix."""
    sample = pd.read_csv(SAMPLE, dtype=str)
    frame = pd.DataFrame({"review_id": [f"r{i:06d}" for i in range(rows)], "product": "fryer",
                          "review": [f"{sample['review'][i % len(sample)]} #{i}" for i in range(rows)]})
    frame.loc[::50, "review"] = ""
    frame.to_parquet(path) if path.suffix == ".parquet" else frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def small_input(tmp_path_factory):
    return reviews(tmp_path_factory.mktemp("resume") / "reviews.csv", 1_000)


def interrupt_after(pipeline, data, output, chunks: int, **settings) -> None:
    """Score until `chunks` chunks are committed, then stop as Ctrl-C would."""
    real = scoring.score_chunk
    calls = iter(range(1, 10**9))

    def dying(*args, **kwargs):
        if next(calls) > chunks:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    with mock.patch.object(scoring, "score_chunk", dying), pytest.raises(KeyboardInterrupt):
        pipeline.predict_file(data, output, **settings)


SETTINGS = {"id_column": "review_id", "chunk_rows": 125, "review_below": 0.6}


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])         # TSV and JSON Lines: tests/io, and the slow kill test
def test_an_interrupted_run_resumes_to_the_bytes_and_summary_of_an_uninterrupted_one(sample_pipeline, small_input,
                                                                                    tmp_path, suffix):
    whole = sample_pipeline.predict_file(small_input, tmp_path / f"whole{suffix}", **SETTINGS)
    output = tmp_path / f"scored{suffix}"
    interrupt_after(sample_pipeline, small_input, output, chunks=3, **SETTINGS)
    assert not output.exists() and staging_folder(output).is_dir()
    resumed = sample_pipeline.predict_file(small_input, output, **SETTINGS, resume=True)
    assert output.read_bytes() == (tmp_path / f"whole{suffix}").read_bytes()
    assert resumed["resumed_rows"] == 375 and whole["resumed_rows"] == 0
    counts = ("rows", "empty_texts", "needs_review", "predicted", "carriage_returns", "numbers_as_text")
    assert {k: resumed[k] for k in counts} == {k: whole[k] for k in counts} and resumed["empty_texts"] == 20
    assert not staging_folder(output).exists()


def test_a_resume_with_another_model_or_options_is_refused_saying_what_changed(sample_pipeline, small_input, tmp_path):
    output = tmp_path / "scored.csv"
    interrupt_after(sample_pipeline, small_input, output, chunks=2, **SETTINGS)
    with pytest.raises(CustomerSentimentError, match=re.escape(
            "settings --chunk-rows was 125 and is now 300 since the interrupted run (250 rows committed). Resume with "
            "the input, model and options of the interrupted run, or run without --resume to start over.")):
        sample_pipeline.predict_file(small_input, output, **{**SETTINGS, "chunk_rows": 300}, resume=True)
    with pytest.raises(CustomerSentimentError, match=re.escape("settings --review-below was 0.6 and is now not set")):
        sample_pipeline.predict_file(small_input, output, **{**SETTINGS, "review_below": None}, resume=True)
    model = copy.deepcopy(sample_pipeline.predictor_.model)
    with torch.no_grad():
        next(model.parameters())[0] += 1e-3
    changed = Predictor(model, sample_pipeline.tokenizer_, "cpu", temperature=sample_pipeline.predictor_.temperature)
    with pytest.raises(CustomerSentimentError, match="resume [^ ]*scored.csv: model weights sha256 was [0-9a-f]{64} and "
                                                     "is now [0-9a-f]{64} since the interrupted run"):
        score_file(changed, sample_pipeline.labels_, small_input, output, "review", "review_id", chunk_rows=125,
                   verbose=False, review_below=0.6, resume=True)
    assert sample_pipeline.predict_file(small_input, output, **SETTINGS, resume=True)["resumed_rows"] == 250


def test_a_resume_of_a_changed_input_is_refused(sample_pipeline, tmp_path):
    data = reviews(tmp_path / "reviews.csv", 500)
    output = tmp_path / "scored.parquet"
    interrupt_after(sample_pipeline, data, output, chunks=2, **SETTINGS)
    with open(data, "a", encoding="utf-8") as more:
        more.write("r999999,fryer,one more review\n")
    with pytest.raises(CustomerSentimentError, match=re.escape(f"Cannot resume {output}: input size was ")):
        sample_pipeline.predict_file(data, output, **SETTINGS, resume=True)


def test_a_run_without_resume_starts_over_and_says_so(sample_pipeline, small_input, tmp_path):
    output = tmp_path / "scored.jsonl"
    interrupt_after(sample_pipeline, small_input, output, chunks=2, **SETTINGS)
    with pytest.warns(UserWarning, match=re.escape(f"Starting {output} over: an interrupted run had committed 250 rows "
                                                   f"of it (pass --resume to continue such a run)")):
        summary = sample_pipeline.predict_file(small_input, output, **SETTINGS)
    assert summary["resumed_rows"] == 0 and summary["rows"] == 1_000


def test_the_cli_says_when_nothing_is_resumed_and_refuses_a_table_or_ray(sample_model_dir, small_input, tmp_path):
    output = tmp_path / "scored.csv"
    first = invoke("predict", sample_model_dir, small_input, "-o", output, "--resume", "-q")
    assert first.returncode == 0 and f"Nothing to resume for {output}: scored from the first row" in first.stderr
    refused = invoke("predict", sample_model_dir, small_input, "-o", "sqlite:///" + str(tmp_path / "s.db"),
                     "--output-table", "scores", "--resume", "-q")
    assert refused.returncode == 1 and "--resume continues a file scored into a file: found " in refused.stderr
    on_ray = invoke("predict", sample_model_dir, small_input, "-o", output, "--engine", "ray", "--resume")
    assert on_ray.returncode == 1 and "--resume continues a run of --engine local. Leave --resume out" in on_ray.stderr


def kill_after_commits(command: list, staging, commits: int) -> None:
    """Run `command`, SIGKILL it once its progress record shows `commits` committed chunks."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if pd.read_json(staging / "progress.json", typ="series")["chunks"] >= commits:
                    break
            except (OSError, ValueError):
                pass                                        # not written yet
            time.sleep(0.02)
        assert process.poll() is None, "the run ended before it could be killed"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.wait()


@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".tsv", ".jsonl"])
def test_a_run_killed_with_sigkill_resumes_to_the_same_bytes(sample_model_dir, tmp_path, suffix):
    data = reviews(tmp_path / "reviews.parquet", 30_000)
    options = ["--id-column", "review_id", "--chunk-rows", "500", "--review-below", "0.6", "-q"]
    output = tmp_path / f"scored{suffix}"
    command = [*cli_command(), "predict", str(sample_model_dir), str(data), "-o", str(output), *options]
    kill_after_commits(command, staging_folder(output), commits=5)
    committed = pd.read_json(staging_folder(output) / "progress.json", typ="series")
    assert not output.exists() and 5 <= committed["chunks"] < 60
    resumed = subprocess.run([*command, "--resume"], capture_output=True, text=True, timeout=300,
                             env={**os.environ, "COLUMNS": "200"})
    assert resumed.returncode == 0, resumed.stderr
    assert f"Resumed after the {committed['rows']:,} rows an interrupted run had committed" in resumed.stderr
    assert "Scored 30,000 rows" in resumed.stderr and "600 rows had no review text" in resumed.stderr
    SentimentPipeline.load(sample_model_dir).predict_file(data, tmp_path / f"whole{suffix}", id_column="review_id",
                                                          chunk_rows=500, review_below=0.6)
    assert output.read_bytes() == (tmp_path / f"whole{suffix}").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["reviews.parquet", output.name, f"whole{suffix}"])
