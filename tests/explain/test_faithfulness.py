"""Faithfulness, for every architecture: deleting the words an explanation weighs most toward the
predicted label lowers that label's probability more than deleting as many words at random.

Models are trained on the sample's first reviews and explain reviews they never saw.
"""

from __future__ import annotations

import numpy as np
import pytest

from .conftest import architectures

K, DRAWS = 3, 5                        # words deleted; random draws per review


def without(text: str, spans: list[dict]) -> str:
    """`text` with the characters of `spans` replaced by spaces (the pipeline collapses them)."""
    chars = list(text)
    for span in spans:
        chars[span["start"]:span["end"]] = " " * (span["end"] - span["start"])
    return "".join(chars)


def deletion_drops(pipeline, explanations: list[dict], seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Per review: the drop in its label's probability when its top-K words are deleted, and the
    mean drop over DRAWS deletions of K random words."""
    rng = np.random.default_rng(seed)
    top, random = [], []
    for explanation in explanations:
        spans = explanation["spans"]
        ranked = sorted(range(len(spans)), key=lambda i: -spans[i]["weight"])
        top.append(without(explanation["text"], [spans[i] for i in ranked[:K]]))
        random += [without(explanation["text"], [spans[i] for i in rng.choice(len(spans), K, replace=False)])
                   for _ in range(DRAWS)]
    label = np.array([pipeline.labels_.index(e["label"]) for e in explanations])
    before = np.array([e["probability"] for e in explanations])
    after_top = pipeline.predict_proba(top)[np.arange(len(label)), label]
    after_random = pipeline.predict_proba(random)[np.arange(len(random)), np.repeat(label, DRAWS)]
    return before - after_top, before - after_random.reshape(len(label), DRAWS).mean(axis=1)


@pytest.mark.parametrize("name", architectures())
def test_deleting_the_top_words_lowers_the_label_more_than_deleting_random_ones(explained, name):
    pipeline, explanations = explained(name)
    explanations = [e for e in explanations if len(e["spans"]) >= 2 * K]
    assert len(explanations) >= 15
    top, random = deletion_drops(pipeline, explanations)
    print(f"{name}: mean drop top-{K} {top.mean():.4f}, random {random.mean():.4f} over {len(top)} reviews")
    assert top.mean() > random.mean()
    assert (top > random).mean() > 0.5                 # and for most reviews, not a few large ones
