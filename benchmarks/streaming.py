"""Scoring files of growing size: speed and peak memory of `customer-sentiment predict`.

    python benchmarks/streaming.py            # about 2 minutes on 2 cores

Trains a model on the IMDB training reviews (the data of benchmarks/imdb.py, same cache), writes
CSV files of 100,000, 200,000 and 400,000 reviews (the 50,000 IMDB reviews repeated), scores each
with the CLI in its own process, and prints rows, file size, seconds, reviews per second and the
process's peak RSS. Seconds are the whole command: start-up, loading the model, counting the
file's lines for the progress bar, reading, scoring and writing Parquet. Memory should stay flat
while the files grow: predict streams in chunks.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from imdb import fetch_imdb  # noqa: E402

# A child's ru_maxrss starts at the RSS of the process that spawned it (Linux folds the parent's high-water
# mark in at exec), and this script holds the reviews in memory: a small launcher process spawns the command
# and reports the command's own peak.
_LAUNCHER = ("import os, subprocess, sys; child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL); "
             "_, status, usage = os.wait4(child.pid, 0); print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)")


def peak_rss_of(command: list) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one command, in a process of its own."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _LAUNCHER, *map(str, command)], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    status, kilobytes = done.stdout.split()
    if int(status):
        raise SystemExit(done.stderr)
    return seconds, int(kilobytes) / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,200000,400000", help="rows per file (default: %(default)s)")
    parser.add_argument("--cache", type=Path, default=HERE / ".cache", help="data cache (default: %(default)s)")
    args = parser.parse_args()
    import pandas as pd

    reviews = pd.read_csv(fetch_imdb(args.cache))
    cli = [sys.executable, "-m", "customer_sentiment"]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        reviews.iloc[:40_000].to_csv(work / "train.csv", index=False)
        subprocess.run([*cli, "train", work / "train.csv", "--label-column", "sentiment", "--output",
                        work / "model", "-q"], check=True, capture_output=True)
        print("| reviews | file (MB) | seconds | reviews/s | peak RSS (MB) |\n|---:|---:|---:|---:|---:|")
        for size in sorted(int(s) for s in args.sizes.split(",")):
            frame = pd.concat([reviews] * (size // len(reviews) + 1), ignore_index=True).iloc[:size]
            frame.insert(0, "review_id", range(size))
            data = work / f"reviews-{size}.csv"
            frame.to_csv(data, index=False)
            del frame
            seconds, peak = peak_rss_of([*cli, "predict", work / "model", data, "--output", work / "scored.parquet",
                                         "--id-column", "review_id", "--keep-columns", "review_id", "-q"])
            print(f"| {size:,} | {data.stat().st_size / 1e6:,.0f} | {seconds:.1f} | {size / seconds:,.0f} | "
                  f"{peak:,.0f} |", flush=True)
            data.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
