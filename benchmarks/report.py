"""The business report on a million scored reviews: time and peak memory of `customer-sentiment report`.

    python benchmarks/report.py                    # about 2 minutes on 2 cores
    python benchmarks/report.py --rows 200000,1000000 --formats csv

Trains the default model on the bundled sample, scores the sample with `predict` (probability columns
and all), and repeats the scored rows (ids made unique) into files of the sizes asked for, as CSV and
Parquet. Then runs `report --by product --time-column date --rating-column rating --json` on each in
its own process and prints rows, file size, seconds (the whole command: start-up, reading, counting,
change tests, writing the JSON) and the process's peak RSS. The report reads in chunks, so memory
should stay flat as the file grows.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from streaming import peak_rss_of  # noqa: E402

SAMPLE = HERE.parent / "sample_reviews.csv"


def scored_sample(work: Path, cli: list) -> Path:
    """The sample scored by a model trained on it, as `predict` writes it (probabilities included)."""
    subprocess.run([*cli, "train", SAMPLE, "--rating-column", "rating", "--output", work / "model", "-q"],
                   check=True, capture_output=True)
    scored = work / "scored-sample.csv"
    subprocess.run([*cli, "predict", work / "model", SAMPLE, "--output", scored, "--keep-columns",
                    "review_id,date,product,rating", "-q"], check=True, capture_output=True)
    return scored


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1000000", help="rows per file (default: %(default)s)")
    parser.add_argument("--formats", default="csv,parquet", help="file formats (default: %(default)s)")
    args = parser.parse_args()
    import pandas as pd

    cli = [sys.executable, "-m", "customer_sentiment"]
    print("| rows | format | file (MB) | seconds | peak RSS (MB) |\n|---:|---|---:|---:|---:|", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sample = pd.read_csv(scored_sample(work, cli), dtype={"review_id": str})
        for rows in sorted(int(r) for r in args.rows.split(",")):
            frame = pd.concat([sample] * (rows // len(sample) + 1), ignore_index=True).iloc[:rows]
            frame["review_id"] = [f"R{i:08d}" for i in range(rows)]
            for fmt in args.formats.split(","):
                data = work / f"scored-{rows}.{fmt}"
                frame.to_csv(data, index=False) if fmt == "csv" else frame.to_parquet(data, index=False)
                seconds, peak = peak_rss_of([*cli, "report", data, "--by", "product", "--time-column", "date",
                                             "--rating-column", "rating", "--json", work / "summary.json"])
                print(f"| {rows:,} | {fmt} | {data.stat().st_size / 1e6:,.0f} | {seconds:.1f} | {peak:,.0f} |",
                      flush=True)
                data.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
