"""Synthetic review files of any size, fast: review-like texts from templates, with products, dates
and star ratings, written by Arrow in blocks (5 million rows in about a minute on one core).

    python benchmarks/synthetic.py 1000000 reviews.csv

A review is two to four sentences. Each sentence takes its polarity from the review's (positive,
neutral or negative) with probability 0.8, else another one, and fills a template's slots with a
product, an aspect, an opinion word and filler words from a vocabulary of 4,000 made-up words, so
the vocabulary of word n-grams is in the millions, not a handful. Ratings follow the review's
polarity (positive 4-5, neutral 3, negative 1-2), 5 % of them at random: a model cannot reach 100 %.
Columns: review_id, product, date (2024-01-01 onward, two years), rating, review.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

BLOCK_ROWS = 250_000
PRODUCTS = [f"{kind} {model}" for kind in ("kettle", "blender", "toaster", "headphones", "vacuum", "lamp", "router",
                                           "backpack", "jacket", "monitor") for model in ("Pro", "Mini", "X2", "Go")]
ASPECTS = ["battery", "price", "delivery", "quality", "sound", "design", "handle", "screen", "material", "size",
           "packaging", "customer service", "setup", "noise", "warranty", "colour", "weight", "cable", "lid", "app"]
OPINIONS = {
    "positive": ["great", "excellent", "sturdy", "perfect", "lovely", "fantastic", "reliable", "brilliant", "solid",
                 "superb", "comfortable", "quick", "impressive", "worth every penny", "a joy to use"],
    "neutral": ["okay", "average", "fine", "as expected", "acceptable", "decent enough", "ordinary", "so-so",
                "standard", "nothing special", "mixed", "adequate"],
    "negative": ["terrible", "flimsy", "broken", "awful", "disappointing", "useless", "cheap feeling", "faulty",
                 "slow", "noisy", "overpriced", "a waste of money", "poor", "defective", "unreliable"],
}
TEMPLATES = {
    "positive": ["The {a} of this {p} is {o}.", "{o} {a}, {f} {f} and I would buy it again.",
                 "Really happy with the {a}: {o}.", "My {f} loves the {p}, the {a} is {o}!",
                 "After {n} weeks the {a} is still {o}."],
    "neutral": ["The {a} is {o}, {f} {f}.", "It does the job, {a} {o}.", "The {p} is {o}; the {a} could be better.",
                "{o} overall, {f} {a}.", "Used it {n} times, the {a} is {o}."],
    "negative": ["The {a} of this {p} is {o}.", "{o} {a}, {f} {f} and I returned it.",
                 "Do not buy: the {a} is {o}.", "The {a} stopped working after {n} days, {o}.",
                 "Very unhappy with the {a}, {o} {f}."],
}
POLARITIES = ["negative", "neutral", "positive"]


def _filler_words(rng: np.random.Generator, count: int = 4_000) -> np.ndarray:
    """Made-up lower-case words of 3 to 9 letters."""
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    lengths = rng.integers(3, 10, count)
    return np.array(["".join(rng.choice(letters, n)) for n in lengths])


def _sentences(rng: np.random.Generator, polarity: np.ndarray, filler: np.ndarray) -> pa.Array:
    """One sentence per row, of the given polarity (0 negative, 1 neutral, 2 positive)."""
    pieces, order = [], []
    for code, name in enumerate(POLARITIES):
        rows = np.flatnonzero(polarity == code)
        template = rng.integers(0, len(TEMPLATES[name]), len(rows))
        text = pa.array(np.array(TEMPLATES[name])[template], pa.large_string())
        slots = {"{p}": np.array(PRODUCTS), "{a}": np.array(ASPECTS), "{o}": np.array(OPINIONS[name]),
                 "{n}": np.arange(2, 60).astype(str), "{f}": filler}
        for slot, words in slots.items():
            for _ in range(2 if slot == "{f}" else 1):       # {f} appears up to twice: one replacement each
                text = _replace_first(text, slot, words[rng.integers(0, len(words), len(rows))])
        pieces.append(text)
        order.append(rows)
    inverse = np.empty(len(polarity), dtype=np.int64)
    inverse[np.concatenate(order)] = np.arange(len(polarity))
    return pa.concat_arrays(pieces).take(pa.array(inverse))


def _replace_first(text: pa.Array, slot: str, fill: np.ndarray) -> pa.Array:
    """Replace the first `slot` of each row by that row's fill."""
    parts = pc.split_pattern(text, pattern=slot, max_splits=1)
    head, tail = pc.list_element(parts, 0), pc.binary_join(pc.list_slice(parts, 1), pa.scalar(slot, pa.large_string()))
    joined = pc.binary_join_element_wise(head, pa.array(fill, pa.large_string()), tail,
                                         pa.scalar("", pa.large_string()))
    return pc.if_else(pc.greater(pc.list_value_length(parts), 1), joined, text)


def review_block(rng: np.random.Generator, rows: int, first_id: int, filler: np.ndarray) -> pa.Table:
    """`rows` synthetic reviews with their ids, products, dates and ratings."""
    polarity = rng.choice(3, rows, p=[0.3, 0.2, 0.5])
    sentences = []
    for k in range(4):
        own = np.where(rng.random(rows) < 0.8, polarity, rng.integers(0, 3, rows))
        sentence = _sentences(rng, own, filler)
        if k >= 2:                                     # two to four sentences
            sentence = pc.if_else(pa.array(rng.random(rows) < 0.5), sentence, "")
        sentences.append(sentence)
    review = pc.utf8_trim_whitespace(pc.binary_join_element_wise(*sentences, pa.scalar(" ", pa.large_string())))
    stars = np.choose(polarity, [rng.integers(1, 3, rows), np.full(rows, 3), rng.integers(4, 6, rows)])
    noisy = rng.random(rows) < 0.05
    stars[noisy] = rng.integers(1, 6, int(noisy.sum()))
    dates = np.datetime64("2024-01-01") + rng.integers(0, 730, rows).astype("timedelta64[D]")
    product = np.array(PRODUCTS)[rng.integers(0, len(PRODUCTS), rows)]
    return pa.table({"review_id": pa.array(np.arange(first_id, first_id + rows)), "product": product,
                     "date": pa.array(dates.astype(str)), "rating": pa.array(stars), "review": review})


def write_reviews(path: Path, rows: int, seed: int = 0) -> Path:
    """A CSV file of `rows` synthetic reviews (same seed, same file), written block by block."""
    rng = np.random.default_rng(seed)
    filler = _filler_words(rng)
    partial = path.with_name(path.name + ".partial")
    with pa_csv.CSVWriter(partial, review_block(rng, 1, 0, filler).schema) as writer:
        for start in range(0, rows, BLOCK_ROWS):
            writer.write_table(review_block(rng, min(BLOCK_ROWS, rows - start), start, filler))
    partial.replace(path)
    return path


def cached_reviews(cache: Path, rows: int, seed: int = 0) -> Path:
    """The file of `rows` reviews in `cache`, written on first use."""
    path = cache / f"synthetic-{rows}-seed{seed}.csv"
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        write_reviews(path, rows, seed)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", type=int, help="number of reviews")
    parser.add_argument("output", type=Path, help="CSV file to write")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    args = parser.parse_args()
    write_reviews(args.output, args.rows, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
