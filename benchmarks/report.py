"""The business report on a million scored reviews: time and peak memory of `customer-sentiment report`.

    python benchmarks/report.py                    # about 2 minutes on 2 cores
    python benchmarks/report.py --rows 200000,1000000 --formats csv

Trains the default model on the bundled sample, scores the sample with `predict` (probability columns
and all), and repeats the scored rows (ids made unique) into files of the sizes asked for, as CSV and
Parquet: short reviews, as shops collect them (about 100 characters). `--texts imdb` takes the 50,000
IMDB reviews instead (about 1,300 characters each, all distinct; the data of benchmarks/imdb.py, same
cache), labelled by their own sentiment, spread over 20 products and 18 months. Then runs
`report --by product --time-column date --rating-column rating --json` on each in its own process
and prints rows, file size, seconds (the whole command: start-up, reading, counting,
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

from imdb import fetch_imdb  # noqa: E402
from streaming import peak_rss_of  # noqa: E402

SAMPLE = HERE.parent / "sample_reviews.csv"


def scored_sample(work: Path, cli: list) -> Path:
    """The sample scored by a model trained on it, as `predict` writes it (probabilities included)."""
    subprocess.run([*cli, "train", SAMPLE, "--rating-column", "rating", "--output", work / "model", "-q"],
                   check=True, capture_output=True)
    scored = work / "scored-sample.csv"
    subprocess.run([*cli, "predict", work / "model", SAMPLE, "--output", scored, "--keep-columns",
                    "review_id,date,product,rating,review", "-q"], check=True, capture_output=True)
    return scored


def imdb_scored(cache: Path):
    """IMDB's reviews as a scored file: labels from their sentiment, products and dates spread evenly."""
    import numpy as np
    import pandas as pd

    frame = pd.read_csv(fetch_imdb(cache))
    rng = np.random.default_rng(0)
    negative = frame["sentiment"].eq("negative").to_numpy()
    confidence = rng.uniform(0.5, 1.0, len(frame))
    return pd.DataFrame({
        "review_id": "", "date": pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 546, len(frame)), "D"),
        "product": [f"Product {i:02d}" for i in rng.integers(0, 20, len(frame))],
        "rating": np.where(negative, rng.integers(1, 3, len(frame)), rng.integers(4, 6, len(frame))),
        "review": frame["review"], "predicted_label": frame["sentiment"],
        "prob_negative": np.where(negative, confidence, 1 - confidence),
        "prob_positive": np.where(negative, 1 - confidence, confidence)})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1000000", help="rows per file (default: %(default)s)")
    parser.add_argument("--formats", default="csv,parquet", help="file formats (default: %(default)s)")
    parser.add_argument("--texts", choices=["sample", "imdb"], default="sample", help="review texts (default: %(default)s)")
    parser.add_argument("--cache", type=Path, default=HERE / ".cache", help="IMDB cache (default: %(default)s)")
    args = parser.parse_args()
    import pandas as pd

    cli = [sys.executable, "-m", "customer_sentiment"]
    print("| texts | rows | format | file (MB) | seconds | peak RSS (MB) |\n|---|---:|---|---:|---:|---:|", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sample = (imdb_scored(args.cache) if args.texts == "imdb" else
                  pd.read_csv(scored_sample(work, cli), dtype={"review_id": str}))
        for rows in sorted(int(r) for r in args.rows.split(",")):
            frame = pd.concat([sample] * (rows // len(sample) + 1), ignore_index=True).iloc[:rows]
            frame["review_id"] = [f"R{i:08d}" for i in range(rows)]
            for fmt in args.formats.split(","):
                data = work / f"scored-{rows}.{fmt}"
                frame.to_csv(data, index=False) if fmt == "csv" else frame.to_parquet(data, index=False)
                seconds, peak = peak_rss_of([*cli, "report", data, "--by", "product", "--time-column", "date",
                                             "--rating-column", "rating", "--json", work / "summary.json"])
                print(f"| {args.texts} | {rows:,} | {fmt} | {data.stat().st_size / 1e6:,.0f} | {seconds:.1f} | {peak:,.0f} |",
                      flush=True)
                data.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
