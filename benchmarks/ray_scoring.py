"""Reviews per second per core: `predict` in one process against `predict --engine ray` on a local Ray.

The bag model (trained on the bundled sample reviews, exported to ONNX) scores a generated file of
sample reviews, first in this process (torch threads = the cores), then on a local Ray of the same
cores with one actor per core, for `--runtime torch` and `onnx`. Ray's time is given whole (with its
start: workers, actors loading the model) and in steady state (the whole minus a run on a tiny file,
which is almost all start). The files are checked byte for byte against each other.

    python benchmarks/ray_scoring.py --rows 100000 --cores 2        # about 3 minutes here
"""

from __future__ import annotations

import argparse
import filecmp
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from customer_sentiment import SentimentPipeline, TrainingArguments, read_reviews
from customer_sentiment.ray_engine import RaySettings, score_file_ray

ROOT = Path(__file__).resolve().parent.parent


def model_dir(work: Path) -> Path:
    """The bag model on the sample reviews, saved and exported to ONNX (fp32)."""
    reviews = read_reviews(ROOT / "sample_reviews.csv", "review", rating_column="rating")
    path = SentimentPipeline(training=TrainingArguments(epochs=8, seed=0), verbose=False).fit(
        reviews.texts, reviews.labels, reviews.info).save(work / "bag")
    subprocess.run([sys.executable, "-m", "customer_sentiment", "export", str(path)], check=True, capture_output=True)
    return path


def reviews_file(work: Path, rows: int) -> Path:
    texts = read_reviews(ROOT / "sample_reviews.csv", "review", rating_column="rating").texts
    picks = np.random.default_rng(0).integers(0, len(texts), rows)
    path = work / f"reviews_{rows}.csv"
    pd.DataFrame({"review_id": np.arange(rows), "review": [texts[i] for i in picks]}).to_csv(path, index=False)
    return path


def seconds_on_ray(pipeline, model: Path, runtime: str, data: Path, output: Path, actors: int) -> float:
    start = time.perf_counter()
    score_file_ray(pipeline, model, runtime, data, output, "review", "review_id", settings=RaySettings(actors=actors),
                   verbose=False)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="Reviews in the file (default 100000).")
    parser.add_argument("--cores", type=int, default=2, help="Cores for both engines (default 2).")
    args = parser.parse_args()
    import ray

    torch.set_num_threads(args.cores)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        model, data, tiny = model_dir(work), reviews_file(work, args.rows), reviews_file(work, 200)
        ray.init(num_cpus=args.cores, object_store_memory=200 * 2**20, include_dashboard=False,
                 logging_level="ERROR", log_to_driver=False)
        print(f"{args.rows:,} reviews, {args.cores} cores; reviews/s per core")
        print("| runtime | one process | Ray, whole run | Ray, steady state | Ray start (s) | same file |")
        print("|---|---|---|---|---|---|")
        for runtime in ("torch", "onnx"):
            pipeline = SentimentPipeline.load(model, device="cpu", runtime=runtime)
            start = time.perf_counter()
            pipeline.predict_file(data, work / "single.csv", "review", "review_id")
            single = time.perf_counter() - start
            startup = seconds_on_ray(pipeline, model, runtime, tiny, work / "tiny.csv", args.cores)
            whole = seconds_on_ray(pipeline, model, runtime, data, work / "ray.csv", args.cores)
            same = filecmp.cmp(work / "single.csv", work / "ray.csv", shallow=False)
            rate = [args.rows / s / args.cores for s in (single, whole, max(whole - startup, 1e-9))]
            print(f"| {runtime} | {rate[0]:,.0f} | {rate[1]:,.0f} | {rate[2]:,.0f} | {startup:.1f} | {same} |")
        ray.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
