"""The prepared GPU check runs end to end in its CPU dry run, so it does not rot between GPU sessions."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from .conftest import ROOT


@pytest.mark.slow
def test_gpu_check_dry_run(tmp_path):
    done = subprocess.run([sys.executable, ROOT / "benchmarks" / "gpu_check.py", "--dry-run"], capture_output=True,
                          text=True, timeout=900, env={**os.environ, "OUT": str(tmp_path)})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    report = json.loads((tmp_path / "gpu_check.json").read_text())
    runs = report["short_runs"]
    assert {r["model"] for r in runs} >= {"bag_of_embeddings.v1", "minilm_l6.v1"}
    assert all(r["ok"] for r in runs) and {r["precision"] for r in runs} == {"fp32", "bf16"}
    assert report["ddp"] == {"nccl": "skipped (no CUDA)"}
