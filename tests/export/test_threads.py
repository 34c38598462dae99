"""onnxruntime's threads follow the cores this process may use, a container's CPU quota included."""

from __future__ import annotations

import os

import pytest

from customer_sentiment.inference.onnx_runtime import default_threads


@pytest.mark.parametrize("cpu_max, quota", [("max 100000\n", None), ("150000 100000\n", 2), ("50000 100000\n", 1)])
def test_a_cpu_quota_lowers_the_threads(tmp_path, cpu_max, quota):
    path = tmp_path / "cpu.max"
    path.write_text(cpu_max)
    cores = len(os.sched_getaffinity(0))
    assert default_threads(path) == (cores if quota is None else min(cores, quota))
    assert default_threads(tmp_path / "missing") == cores
