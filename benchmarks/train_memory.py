"""Training on more reviews than memory holds: `train --shards DIR` against the in-memory path.

    python benchmarks/train_memory.py                    # 200K both ways, then 5M out of core: ~35 min
    python benchmarks/train_memory.py --large 1000000    # a shorter look

Synthetic reviews (benchmarks/synthetic.py; cached in benchmarks/.cache), labels from the rating,
the default model (bag_of_embeddings.v1), one epoch, seed 0. First a subset both paths can hold
(--subset, 200,000 reviews) trained in memory and with --shards, default settings: peak RSS,
seconds, validation accuracy of each (the same 10 % held out), and whether the weights are
byte-identical (they should be: same split, vocabulary, initialization and batch order). Then
--large reviews (5 million) with --shards alone and a batch size of 4,096: peak RSS (the limit is
4 GB), seconds, validation accuracy. Each
command runs in its own process; peak RSS is its own ru_maxrss. Writes
benchmarks/results/train_memory.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from streaming import peak_rss_of  # noqa: E402
from synthetic import cached_reviews  # noqa: E402

LIMIT_MB = 4_000


def train(data: Path, work: Path, name: str, shards: bool, batch_size: int | None = None) -> dict:
    """One `train` run: its seconds, peak RSS and validation accuracy."""
    cli = [sys.executable, "-m", "customer_sentiment"]
    command = [*cli, "train", data, "--rating-column", "rating", "--epochs", "1", "--output", work / name,
               "--run-dir", work / f"run-{name}", "-q"] + (["--shards", work / f"shards-{name}"] if shards else [])
    command += ["--batch-size", str(batch_size)] if batch_size else []
    seconds, peak = peak_rss_of(command)
    validation = json.loads((work / name / "metrics.json").read_text())["validation"]
    shards_mb = sum(f.stat().st_size for f in (work / f"shards-{name}").iterdir()) / 1e6 if shards else 0
    if shards:
        shutil.rmtree(work / f"shards-{name}")
    return {"path": "shards" if shards else "memory", "reviews": int(data.stem.split("-")[1]),
            "batch_size": batch_size or "auto (256)", "seconds": round(seconds, 1),
            "peak_rss_mb": round(peak, 1), "validation_accuracy": validation["accuracy"],
            "validation_reviews": validation["reviews"], "shards_mb_on_disk": round(shards_mb, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subset", type=int, default=200_000, help="reviews trained both ways (default: %(default)s)")
    parser.add_argument("--large", type=int, default=5_000_000, help="reviews trained out of core (default: %(default)s)")
    parser.add_argument("--large-batch-size", type=int, default=4096,
                        help="batch size of the large run (default: %(default)s; the default model's dense AdamW "
                             "update of its 1M-row embedding costs about 0.3 s a step on 2 cores, so 256 would "
                             "take 17,600 steps)")
    parser.add_argument("--cache", type=Path, default=HERE / ".cache", help="data cache (default: %(default)s)")
    parser.add_argument("--results", type=Path, default=HERE / "results" / "train_memory.json",
                        help="JSON results (default: %(default)s)")
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    runs = []
    print("| path | reviews | seconds | peak RSS (MB) | validation accuracy |\n|---|---:|---:|---:|---:|", flush=True)
    with tempfile.TemporaryDirectory(dir=args.cache) as tmp:
        work = Path(tmp)
        subset = cached_reviews(args.cache, args.subset)
        for name, shards in (("subset-memory", False), ("subset-shards", True)):
            runs.append(train(subset, work, name, shards))
            _print(runs[-1])
        identical = (work / "subset-memory" / "model.safetensors").read_bytes() == \
                    (work / "subset-shards" / "model.safetensors").read_bytes()
        runs.append(train(cached_reviews(args.cache, args.large), work, "large-shards", True, args.large_batch_size))
        _print(runs[-1])
    under = runs[-1]["peak_rss_mb"] < LIMIT_MB
    print(f"subset: weights {'byte-identical' if identical else 'DIFFER'} in memory and from shards; "
          f"accuracy {runs[0]['validation_accuracy']:.4f} vs {runs[1]['validation_accuracy']:.4f}")
    print(f"{args.large:,} reviews out of core: peak RSS {runs[-1]['peak_rss_mb']:,.0f} MB "
          f"({'under' if under else 'OVER'} {LIMIT_MB:,} MB) in {runs[-1]['seconds'] / 60:.1f} min")
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps({"runs": runs, "subset_weights_identical": identical, "limit_mb": LIMIT_MB,
                                        "under_limit": under}, indent=2) + "\n")
    return 0 if under and identical else 1


def _print(run: dict) -> None:
    print(f"| {run['path']} | {run['reviews']:,} | {run['seconds']:,.1f} | {run['peak_rss_mb']:,.0f} | "
          f"{run['validation_accuracy']:.4f} |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
