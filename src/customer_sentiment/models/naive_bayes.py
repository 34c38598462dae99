"""Naive-Bayes-weighted bag of n-grams: a linear model whose features are scaled by how much more
often each word or n-gram appears in one class than in the others (NBSVM, Wang & Manning 2012).

Before training, `prepare` counts every feature per class and stores the log-count ratios
r[f, k] = log((p_fk / |p_k|) / (q_fk / |q_k|)), with p the counts in class k and q in the other
classes (one against the rest, add-`alpha` smoothed). The model learns one weight per feature and
class on top: logits[k] = sum over the review's features of w[f, k] * r[f, k], plus a bias.
With `binary` (the default, as in NBSVM) a feature counts once per review however often it occurs,
both in the ratios and in the sum; on IMDB that and a small learning rate are worth about 1.5
points of validation accuracy over raw counts at the bag's learning rate.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..text.word_ngrams import WordNgramTokenizer
from .base import SentimentModel, bag_batch
from .registry import register


@register
class NaiveBayesBag(SentimentModel):
    """Linear model over word and n-gram counts, each scaled by its naive-Bayes log-count ratio."""

    name = "naive_bayes_bag.v1"
    description = ("Words and n-grams weighted by naive-Bayes log-count ratios, then a linear layer (NBSVM-style); "
                   "the most accurate from scratch.")
    tokenizer_class = WordNgramTokenizer
    training_defaults = {"learning_rate": 0.001, "epochs": 5}
    settings_help = {"alpha": "smoothing added to every count when the log-count ratios are computed",
                     "binary": "count a word or n-gram once per review (presence), not every time it occurs"}

    def __init__(self, vocab_size: int, num_classes: int, alpha: float = 1.0, binary: bool = True):
        super().__init__(num_classes, {"alpha": alpha, "binary": binary})
        if not alpha > 0:                             # log(0): every ratio of an unseen feature would be infinite
            self.refuse("alpha", alpha, "a number > 0")
        self.weight = nn.Parameter(torch.zeros(vocab_size, num_classes))
        self.bias = nn.Parameter(torch.zeros(num_classes))
        self.register_buffer("ratios", torch.zeros(vocab_size, num_classes))

    def prepare(self, ids: np.ndarray, offsets: np.ndarray, labels: np.ndarray) -> None:
        """Log-count ratios of each feature, one class against the rest, from the training reviews."""
        vocab_size, alpha = self.weight.shape[0], self.settings["alpha"]
        docs = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))    # the review of each feature occurrence
        if self.settings["binary"]:
            ids, docs = _each_once(ids, docs, vocab_size)
        doc_labels = labels[docs]
        counts = np.bincount(doc_labels * vocab_size + ids, minlength=self.num_classes * vocab_size)
        counts = counts.reshape(self.num_classes, vocab_size).astype(np.float64)
        others = counts.sum(axis=0, keepdims=True) - counts
        inside, outside = counts + alpha, others + alpha
        ratios = np.log(inside / inside.sum(axis=1, keepdims=True)) - np.log(outside / outside.sum(axis=1, keepdims=True))
        self.ratios.copy_(torch.from_numpy(ratios.T.astype(np.float32)))   # (vocab_size, num_classes)

    def collate(self, docs: list[np.ndarray]) -> dict[str, torch.Tensor]:
        # One small sort per review: faster than one np.unique over the whole batch (measured 32 vs 153 ms
        # for 2,048 reviews).
        return bag_batch([np.unique(doc) for doc in docs] if self.settings["binary"] else docs)

    def forward(self, ids: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
        scaled = self.weight * self.ratios                                 # (vocab_size, num_classes)
        return F.embedding_bag(ids, scaled, offsets, mode="sum") + self.bias   # (batch, num_classes)


def _each_once(ids: np.ndarray, docs: np.ndarray, vocab_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Each (review, feature) pair once, sorted by review then feature: the features present in each review."""
    pairs = np.unique(docs * vocab_size + ids)
    return pairs % vocab_size, pairs // vocab_size
