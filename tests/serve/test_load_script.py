"""benchmarks/serve_load.py runs end to end (a few clients, 2 s per mode), so it does not rot."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ..conftest import ROOT


@pytest.mark.slow
def test_the_load_test_runs_and_finds_no_server_error(sample_model_dir, tmp_path):
    output = tmp_path / "serve_load.json"
    done = subprocess.run([sys.executable, ROOT / "benchmarks" / "serve_load.py", "--model", sample_model_dir,
                           "--clients", "4", "--seconds", "2", "--output", output],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "micro-batching raises throughput" in done.stdout
    results = json.loads(output.read_text())
    for mode in ("micro_batched", "one_at_a_time"):
        figures = results[mode]
        assert figures["server_errors"] == 0 and figures["failures"] == 0 and figures["exit_status"] == 0
        assert figures["ok"] == figures["requests"] > 0 and figures["p50_ms"] <= figures["p99_ms"]
        assert figures["logged_requests"] >= figures["requests"]          # one log line per request (and probes)
    assert results["throughput_ratio"] > 0
