"""Calibrated confidence: expected calibration error (15 bins) and Brier score before and after
temperature scaling, on held-out reviews the temperature never saw.

    python benchmarks/calibration.py            # about 3 minutes on 2 cores

Two data sets, each with the default model (`bag_of_embeddings.v1`), the temperature fitted on the
training run's own validation split:
- IMDB 50K (the data and split of benchmarks/imdb.py: the first 40,000 reviews train, the last
  10,000 test);
- the bundled sample, split as `customer_sentiment_analysis.py` splits it (20 % held out, seed 0,
  10 epochs).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from imdb import fetch_imdb  # noqa: E402


def held_out_metrics(train_texts, train_labels, test_texts, test_labels, **settings) -> dict:
    from customer_sentiment import SentimentPipeline, TrainingArguments
    from customer_sentiment.io import Reviews

    pipeline = SentimentPipeline(training=TrainingArguments(**settings), verbose=False).fit(train_texts, train_labels)
    test = Reviews(list(test_texts), list(test_labels), None, "held out", len(test_texts))
    return {"temperature": pipeline.predictor_.temperature, **pipeline.evaluate(test)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=HERE / ".cache", help="data cache (default: %(default)s)")
    args = parser.parse_args()
    import pandas as pd

    from customer_sentiment import read_reviews, split_indices

    reviews = read_reviews(HERE.parent / "sample_reviews.csv", "review", rating_column="rating")
    train, test = split_indices(reviews.labels, fraction=0.2, seed=0)
    runs = {"sample (480 held out)": held_out_metrics(
        [reviews.texts[i] for i in train], [reviews.labels[i] for i in train], [reviews.texts[i] for i in test],
        [reviews.labels[i] for i in test], epochs=10, seed=0)}
    imdb = pd.read_csv(fetch_imdb(args.cache))
    runs["IMDB (10,000 held out)"] = held_out_metrics(imdb["review"][:40_000].tolist(), imdb["sentiment"][:40_000].tolist(),
                                                      imdb["review"][40_000:].tolist(), imdb["sentiment"][40_000:].tolist())
    print("| data | accuracy | temperature | ECE before | ECE after | Brier before | Brier after |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, m in runs.items():
        before = m["before_calibration"]
        print(f"| {name} | {m['accuracy']:.4f} | {m['temperature']:.3f} | {before['ece']:.4f} | {m['ece']:.4f} | "
              f"{before['brier']:.4f} | {m['brier']:.4f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
