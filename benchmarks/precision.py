"""bf16 against fp32: what mixed precision does to speed and accuracy, on this machine's CPU.

    pip install -e ".[bench]"
    python benchmarks/precision.py            # about 20 minutes on 2 cores

For the pretrained model (minilm_l6.v1, first 400 IMDB training reviews, 2 epochs) and the CNN
(cnn.v1, first 5,000, 2 epochs): trains once in fp32 and once under bf16 autocast, same seed, and
tests each in its own precision on the same 1,000 IMDB test reviews (the first of the test half). Also times the pretrained
encoder's forward pass alone (32 windows of 256 tokens) in both. Prints a table; writes
benchmarks/results/precision.json.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from imdb import fetch_imdb  # noqa: E402

RUNS = [("minilm_l6.v1", 400, 2), ("cnn.v1", 5_000, 2)]
TEST = 1_000


def encoder_forward_speedup() -> dict:
    from customer_sentiment.inference import autocast
    from customer_sentiment.models.pretrained import PretrainedMiniLM

    model = PretrainedMiniLM(vocab_size=30522, num_classes=2).eval()
    ids = torch.randint(1000, 2000, (32, 256))
    lengths = torch.full((32,), 256)
    seconds = {}
    with torch.inference_mode():
        for precision in ("fp32", "bf16"):
            with autocast(torch.device("cpu"), precision):
                model(ids, lengths)                                   # warm-up
                start = time.perf_counter()
                for _ in range(3):
                    model(ids, lengths)
            seconds[precision] = (time.perf_counter() - start) / 3
    return {"fp32_seconds": round(seconds["fp32"], 3), "bf16_seconds": round(seconds["bf16"], 3),
            "speedup": round(seconds["fp32"] / seconds["bf16"], 2)}


def main() -> int:
    from customer_sentiment import SentimentPipeline, TrainingArguments

    frame = pd.read_csv(fetch_imdb(HERE / ".cache"))
    test = frame.iloc[40_000:40_000 + TEST]
    rows = []
    for name, size, epochs in RUNS:
        for precision in ("fp32", "bf16"):
            start = time.perf_counter()
            pipeline = SentimentPipeline(name, training=TrainingArguments(epochs=epochs, precision=precision),
                                         verbose=False)
            pipeline.fit(frame["review"].iloc[:size].tolist(), frame["sentiment"].iloc[:size].tolist())
            train_seconds = time.perf_counter() - start
            start = time.perf_counter()
            predicted = pipeline.predict(test["review"].tolist())
            predict_seconds = time.perf_counter() - start
            rows.append({"model": name, "train_reviews": size, "epochs": epochs, "precision": precision,
                         "train_seconds": round(train_seconds, 1),
                         "test_reviews_per_second": round(TEST / predict_seconds, 1),
                         "accuracy": round(float(np.mean(np.array(predicted) == test["sentiment"].to_numpy())), 4)})
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    forward = encoder_forward_speedup()
    print("| model | trained on | precision | training (s) | test reviews/s | accuracy |\n|---|---|---|---:|---:|---:|")
    for r in rows:
        print(f"| {r['model']} | {r['train_reviews']:,}, {r['epochs']} epochs | {r['precision']} | {r['train_seconds']:.0f} | "
              f"{r['test_reviews_per_second']:,.1f} | {r['accuracy']:.2%} |")
    print(f"\nminilm_l6.v1 encoder forward pass (32 x 256 tokens): fp32 {forward['fp32_seconds']}s, "
          f"bf16 {forward['bf16_seconds']}s: {forward['speedup']}x")
    out = HERE / "results" / "precision.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"runs": rows, "encoder_forward": forward}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
