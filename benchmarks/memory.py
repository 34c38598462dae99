"""Peak memory of `predict` and `report` as the input grows: flat, because both stream in chunks.

    python benchmarks/memory.py                          # 1M and 5M rows: about 25 minutes on 2 cores
    python benchmarks/memory.py --rows 20000,100000      # a quick look

Writes synthetic review files of each size (benchmarks/synthetic.py: products, dates, ratings,
review-like texts; cached in benchmarks/.cache), trains the default model on 20,000 other synthetic
reviews, then runs, each in a process of its own,

    customer-sentiment predict MODEL reviews.csv --output scored.parquet --id-column review_id
        --keep-columns review_id,product,date,rating,review -q
    customer-sentiment report scored.parquet --by product --time-column date --rating-column rating
        --json report.json

and records each command's seconds and peak RSS (its own `ru_maxrss`, from a launcher process so
this script's memory is not folded in). Prints a table, writes benchmarks/results/memory.json, and
exits non-zero if the largest file's peak RSS is more than 10 % above the smallest's.

Measured (2 cores, under load): report 469 -> 514 MB (+9.5 %); predict 869 -> 1,326 MB (+53 %) at
the default --max-review-mb 16, but 774 -> 800 MB (+3.3 %) with --max-review-mb 2. Arrow's streaming
CSV reader reads up to 32 blocks ahead (a fixed queue, not an option: ARROW-12090), and a block
holds the longest review allowed plus 1 MB: 32 x 17 MB = 544 MB may sit read ahead, so a 177 MB
file is read ahead whole and an 890 MB one up to the cap. Memory is bounded, but flat only past it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from streaming import peak_rss_of  # noqa: E402
from synthetic import cached_reviews, write_reviews  # noqa: E402

TOLERANCE = 0.10


def commands(cli: list, model: Path, data: Path, work: Path, max_review_mb: float | None) -> dict[str, list]:
    scored = work / f"{data.stem}-scored.parquet"
    limit = ["--max-review-mb", str(max_review_mb)] if max_review_mb else []
    return {
        "predict": [*cli, "predict", model, data, "--output", scored, "--id-column", "review_id",
                    "--keep-columns", "review_id,product,date,rating,review", *limit, "-q"],
        "report": [*cli, "report", scored, "--by", "product", "--time-column", "date", "--rating-column", "rating",
                   "--json", work / "report.json"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1000000,5000000", help="rows per file (default: %(default)s)")
    parser.add_argument("--max-review-mb", type=float, default=None,
                        help="predict's --max-review-mb (default: predict's own, 16); it sets the CSV reader's block "
                             "size: at least 4 MB, the longest review + 1 MB")
    parser.add_argument("--cache", type=Path, default=HERE / ".cache", help="data cache (default: %(default)s)")
    parser.add_argument("--results", type=Path, default=HERE / "results" / "memory.json",
                        help="JSON results (default: %(default)s)")
    args = parser.parse_args()
    cli = [sys.executable, "-m", "customer_sentiment"]
    sizes = sorted(int(s) for s in args.rows.split(","))
    rows = []
    args.cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.cache) as tmp:          # scored files of GBs: beside the cache
        work = Path(tmp)
        train = write_reviews(work / "train.csv", 20_000, seed=1)
        subprocess.run([*cli, "train", train, "--rating-column", "rating", "--output", work / "model", "-q"],
                       check=True, capture_output=True)
        print("| command | reviews | input (MB) | seconds | peak RSS (MB) |\n|---|---:|---:|---:|---:|", flush=True)
        for size in sizes:
            data = cached_reviews(args.cache, size)
            for name, command in commands(cli, work / "model", data, work, args.max_review_mb).items():
                seconds, peak = peak_rss_of(command)
                source = Path(command[5] if name == "predict" else command[4])      # reviews, or scored reviews
                row = {"command": name, "reviews": size, "input_mb": round(source.stat().st_size / 1e6, 1),
                       "seconds": round(seconds, 1), "peak_rss_mb": round(peak, 1)}
                rows.append(row)
                print(f"| {name} | {size:,} | {row['input_mb']:,.0f} | {seconds:,.1f} | {peak:,.0f} |", flush=True)
    verdicts = {}
    for name in ("predict", "report"):
        peaks = [r["peak_rss_mb"] for r in rows if r["command"] == name]
        growth = peaks[-1] / peaks[0] - 1
        verdicts[name] = {"growth": round(growth, 4), "flat": abs(growth) <= TOLERANCE}
        print(f"{name}: peak RSS {growth:+.1%} from {sizes[0]:,} to {sizes[-1]:,} rows "
              f"({'flat' if verdicts[name]['flat'] else 'NOT flat'}: within {TOLERANCE:.0%})")
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps({"runs": rows, "tolerance": TOLERANCE, "verdicts": verdicts,
                                        "predict_max_review_mb": args.max_review_mb,
                                        "cpus": _cpus()}, indent=2) + "\n")
    return 0 if all(v["flat"] for v in verdicts.values()) else 1


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0))


if __name__ == "__main__":
    sys.exit(main())
