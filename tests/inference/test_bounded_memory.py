"""Reading is bounded in bytes: a file of huge rows streams through `predict` in flat memory."""

from __future__ import annotations

import gzip
import random

import pandas as pd
import pytest

from ..conftest import cli_command, peak_rss_mb

WORDS = "great product broke after a week love it terrible battery fast shipping would buy again not worth".split()


@pytest.mark.slow
def test_predict_on_2000_rows_of_one_megabyte_stays_under_1_5_gb(sample_model_dir, tmp_path):
    random.seed(0)
    row = " ".join(random.choice(WORDS) for _ in range(200_000))[:1_000_000]
    data = tmp_path / "huge.csv.gz"
    with gzip.open(data, "wt", compresslevel=1) as handle:        # 2 GB of text
        handle.write("id,review\n")
        handle.writelines(f"{i},{row}\n" for i in range(2_000))
    output = tmp_path / "scored.parquet"
    command = [*cli_command(), "predict", str(sample_model_dir), str(data), "--output", str(output),
               "--keep-columns", "id", "-q"]
    status, peak_mb, stderr = peak_rss_mb(command)
    assert status == 0, stderr
    assert peak_mb < 1_500, f"peak RSS {peak_mb:,.0f} MB"
    scored = pd.read_parquet(output)
    assert scored["id"].tolist() == list(range(2_000)) or scored["id"].tolist() == [str(i) for i in range(2_000)]
    print(f"peak RSS {peak_mb:,.0f} MB")
