"""The one place a device name becomes a device; `evaluate` and `predict` take --device."""

from __future__ import annotations

import re

import pytest
import torch

from customer_sentiment import SentimentPipeline
from customer_sentiment.errors import CustomerSentimentError
from customer_sentiment.inference import resolve_device

from ..conftest import SAMPLE, invoke, run_cli

NO_CUDA = pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")
CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def test_cpu_is_always_there_and_a_name_that_is_no_device_is_refused():
    assert resolve_device("cpu") == torch.device("cpu")
    with pytest.raises(CustomerSentimentError, match=re.escape("Unknown device 'gpu0': expected auto, cpu, cuda")):
        resolve_device("gpu0")


@NO_CUDA
def test_auto_is_the_cpu_and_cuda_is_refused_without_a_gpu():
    assert resolve_device("auto").type in ("cpu", "mps")
    with pytest.raises(CustomerSentimentError, match=re.escape("Device 'cuda' is not available on this machine")):
        resolve_device("cuda")


@CUDA
def test_auto_is_the_gpu_when_there_is_one(sample_model_dir):
    assert resolve_device("auto").type == "cuda"
    assert SentimentPipeline.load(sample_model_dir).predictor_.device.type == "cuda"


def test_load_puts_the_model_on_the_device_asked_for(sample_model_dir):
    pipeline = SentimentPipeline.load(sample_model_dir, device="cpu")
    assert pipeline.predictor_.device == torch.device("cpu")
    assert {p.device for p in pipeline.model_.parameters()} == {torch.device("cpu")}


def test_predict_and_evaluate_take_a_device(sample_model_dir, tmp_path):
    done = run_cli("predict", sample_model_dir, SAMPLE, "-o", tmp_path / "scored.csv", "--device", "cpu", "-q")
    assert done.returncode == 0 and "reviews/s) with PyTorch on cpu" in done.stderr, done.stderr
    done = invoke("evaluate", sample_model_dir, SAMPLE, "--device", "no-such-device")
    assert done.returncode == 1 and "error: Unknown device 'no-such-device'" in done.stderr
    assert "Traceback" not in done.stderr
