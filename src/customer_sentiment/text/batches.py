"""Tokenized reviews as the models take them, and long reviews as overlapping windows.

Reviews are stored flat: item i is ids[offsets[i]:offsets[i + 1]]. A sequence model reads a window
of at most `max_length` tokens, so a longer review is cut into overlapping windows, each scored,
and the review's probabilities are the mean of its windows' (nothing is silently cut off). Bags
take a review whole: one item per review.
"""

from __future__ import annotations

import numpy as np
from torch.utils.data import Dataset


class EncodedReviews(Dataset):
    """Token ids of items (reviews, or windows of reviews), each with its label and its review."""

    def __init__(self, ids: np.ndarray, offsets: np.ndarray, labels: np.ndarray | None = None,
                 review: np.ndarray | None = None, n_reviews: int | None = None):
        self.ids, self.offsets = ids, offsets
        n_items = len(offsets) - 1
        self.labels = labels if labels is not None else np.full(n_items, -1, dtype=np.int64)
        self.review = review if review is not None else np.arange(n_items)
        self.n_reviews = n_reviews if n_reviews is not None else n_items

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> tuple[np.ndarray, int]:
        return self.ids[self.offsets[i]:self.offsets[i + 1]], int(self.labels[i])

    def docs(self, start: int, stop: int) -> list[np.ndarray]:
        return [self.ids[self.offsets[i]:self.offsets[i + 1]] for i in range(start, stop)]

    @property
    def windows_per_review(self) -> np.ndarray:
        return np.bincount(self.review, minlength=self.n_reviews)

    @property
    def review_labels(self) -> np.ndarray:
        """The label of each review (that of its first item)."""
        _, first = np.unique(self.review, return_index=True)      # items are in review order
        return self.labels[first]

    def windows(self, length: int, stride: int) -> EncodedReviews:
        """Items of at most `length` tokens; a longer item becomes windows starting every `stride`
        tokens, the last one ending at the item's end.

        >>> e = EncodedReviews(np.arange(10), np.array([0, 3, 10]), np.array([0, 1]))
        >>> w = e.windows(length=4, stride=3)
        >>> [d.tolist() for d in w.docs(0, len(w))], w.review.tolist()
        ([[0, 1, 2], [3, 4, 5, 6], [6, 7, 8, 9]], [0, 1, 1])
        """
        sizes = np.diff(self.offsets)
        count = np.where(sizes <= length, 1, -(-(sizes - length) // stride) + 1)
        item = np.repeat(np.arange(len(sizes)), count)                          # the item of each window
        k = np.arange(len(item)) - np.repeat(np.cumsum(count) - count, count)    # window number in its item
        start = np.minimum(k * stride, np.maximum(sizes[item] - length, 0))
        width = np.minimum(length, sizes[item] - start)
        new_offsets = np.concatenate([[0], np.cumsum(width)]).astype(np.int64)
        position = np.arange(new_offsets[-1]) - np.repeat(new_offsets[:-1], width)
        ids = self.ids[np.repeat(self.offsets[item] + start, width) + position]
        return EncodedReviews(ids, new_offsets, self.labels[item], self.review[item], self.n_reviews)

    def per_review(self, item_values: np.ndarray) -> np.ndarray:
        """Mean over each review's items of per-item rows (e.g. probabilities): (n_reviews, columns)."""
        sums = np.zeros((self.n_reviews, item_values.shape[1]), dtype=np.float64)
        np.add.at(sums, self.review, item_values)
        return sums / np.maximum(self.windows_per_review, 1)[:, None]
