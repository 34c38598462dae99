"""Scoring with the exported graph: `predict --runtime onnx` writes what PyTorch writes, the same every run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from customer_sentiment import SentimentPipeline
from customer_sentiment.export import load_onnx
from customer_sentiment.inference.predictor import as_items, encode
from tests.conftest import SAMPLE, invoke, run_cli


def scored(model_dir, output, *runtime: str) -> pd.DataFrame:
    done = run_cli("predict", model_dir, SAMPLE, "-o", output, "-q", *runtime)
    assert done.returncode == 0, done.stderr
    return pd.read_csv(output)


@pytest.mark.slow          # two predict commands, 15 s: CI's slow run
def test_predict_with_the_exported_graph_writes_what_pytorch_writes(exported_dir, tmp_path):
    torch_file = scored(exported_dir[0], tmp_path / "torch.csv")
    onnx_file = scored(exported_dir[0], tmp_path / "onnx.csv", "--runtime", "onnx")
    assert list(onnx_file.columns) == list(torch_file.columns) and len(onnx_file) == len(torch_file)
    probabilities = [c for c in torch_file.columns if c.startswith("prob_")]
    difference = np.abs(onnx_file[probabilities].to_numpy() - torch_file[probabilities].to_numpy()).max()
    assert difference < 1e-4 and (onnx_file["predicted_label"] == torch_file["predicted_label"]).all()


def test_the_int8_graph_gives_nearly_pytorch_s_labels(exported_dir, sample_reviews):
    texts = sample_reviews.texts[-480:]
    eager = SentimentPipeline.load(exported_dir[0]).predict_proba(texts)
    int8 = SentimentPipeline.load(exported_dir[0], runtime="onnx-int8")
    assert int8.predictor_.runtime == "onnxruntime (model.int8.onnx)"
    probabilities = int8.predict_proba(texts)
    difference = np.abs(probabilities - eager).max()
    assert 0 < difference < 0.2 and (probabilities.argmax(1) == eager.argmax(1)).mean() >= 0.98


def test_the_exported_graph_gives_the_same_logits_every_run_on_many_threads(exported_dir, sample_reviews):
    """A scatter-add graph raced between onnxruntime's threads (other logits each run); a running sum does not."""
    pipeline = SentimentPipeline.load(exported_dir[0])
    model = pipeline.model_
    items = as_items(model, encode(pipeline.tokenizer_, sample_reviews.texts * 4))     # about 5,000 reviews
    scorer = load_onnx(exported_dir[0], threads=4)
    runs = [scorer.logits(model.collate, items, len(items)) for _ in range(5)]
    for run in runs[1:]:
        np.testing.assert_array_equal(run, runs[0])
    eager = SentimentPipeline.load(exported_dir[0]).predictor_.logits(items)
    np.testing.assert_allclose(runs[0], eager, atol=1e-5, rtol=0)


def test_the_onnx_runtime_without_an_export_is_a_clear_error(sample_model_dir, tmp_path):
    done = invoke("predict", sample_model_dir, SAMPLE, "-o", tmp_path / "out.csv", "--runtime", "onnx")
    assert done.returncode == 1 and "has no export.json: the model was not exported" in done.stderr
    assert "customer-sentiment export MODEL_DIR" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out.csv").exists()
