"""Tokenized reviews as items, long ones cut into overlapping windows, and window scores back per review."""

from __future__ import annotations

import numpy as np
import pytest

from customer_sentiment.text import EncodedReviews

# Three reviews: 3 tokens (100..102), none, and 7 tokens (103..109); labels 2, 0, 1.
IDS = np.arange(100, 110)
OFFSETS = np.array([0, 3, 3, 10])
LABELS = np.array([2, 0, 1])


def docs(encoded: EncodedReviews) -> list[list[int]]:
    return [d.tolist() for d in encoded.docs(0, len(encoded))]


def test_items_are_slices_of_the_flat_ids_with_their_labels():
    encoded = EncodedReviews(IDS, OFFSETS, LABELS)
    assert len(encoded) == 3
    assert docs(encoded) == [[100, 101, 102], [], [103, 104, 105, 106, 107, 108, 109]]
    ids, label = encoded[2]
    assert (ids.tolist(), label) == ([103, 104, 105, 106, 107, 108, 109], 1)
    assert encoded.review.tolist() == [0, 1, 2] and encoded.n_reviews == 3


def test_without_labels_every_item_is_labelled_minus_one():
    encoded = EncodedReviews(IDS, OFFSETS)
    assert encoded.labels.tolist() == [-1, -1, -1]
    assert encoded[0][1] == -1


def test_windows_cut_long_items_keep_short_and_empty_ones_whole():
    windows = EncodedReviews(IDS, OFFSETS, LABELS).windows(length=4, stride=2)
    # The 7-token review: windows start at 0 and 2, and the last one starts at 7 - 4 = 3 to end with it.
    assert docs(windows) == [[100, 101, 102], [], [103, 104, 105, 106], [105, 106, 107, 108], [106, 107, 108, 109]]
    assert windows.offsets.tolist() == [0, 3, 3, 7, 11, 15]
    assert windows.review.tolist() == [0, 1, 2, 2, 2]
    assert windows.labels.tolist() == [2, 0, 1, 1, 1]
    assert windows.n_reviews == 3


def test_windows_of_an_item_exactly_length_long_is_the_item():
    encoded = EncodedReviews(np.arange(4), np.array([0, 4]), np.array([1]))
    windows = encoded.windows(length=4, stride=1)
    assert docs(windows) == [[0, 1, 2, 3]]


def test_windows_that_fit_exactly_need_no_extra_last_window():
    encoded = EncodedReviews(np.arange(8), np.array([0, 8]), np.array([0]))
    assert docs(encoded.windows(length=4, stride=2)) == [[0, 1, 2, 3], [2, 3, 4, 5], [4, 5, 6, 7]]
    assert docs(encoded.windows(length=4, stride=4)) == [[0, 1, 2, 3], [4, 5, 6, 7]]


@pytest.mark.parametrize(("length", "stride"), [(1, 1), (3, 1), (3, 2), (3, 3), (5, 2), (4, 3)])
def test_windows_start_every_stride_and_the_last_ends_with_the_item(length, stride):
    sizes = np.arange(13)                                          # items of 0..12 tokens
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    encoded = EncodedReviews(np.arange(offsets[-1]) * 10, offsets, np.arange(len(sizes)) % 3)
    windows = encoded.windows(length=length, stride=stride)
    for item, size in enumerate(sizes):
        whole = encoded[item][0].tolist()
        mine = [d.tolist() for d, r in zip(windows.docs(0, len(windows)), windows.review, strict=True) if r == item]
        starts = [whole.index(w[0]) if w else 0 for w in mine]
        expected = [0] if size <= length else [*range(0, size - length, stride), size - length]
        assert starts == expected
        assert [len(w) for w in mine] == [min(size, length)] * len(expected)
        assert [w == whole[s:s + length] for w, s in zip(mine, starts, strict=True)] == [True] * len(mine)
        assert windows.labels[windows.review == item].tolist() == [item % 3] * len(mine)


def test_windows_of_windows_keep_the_original_reviews():
    windows = EncodedReviews(IDS, OFFSETS, LABELS).windows(length=4, stride=2).windows(length=2, stride=2)
    assert docs(windows) == [[100, 101], [101, 102], [], [103, 104], [105, 106], [105, 106], [107, 108],
                             [106, 107], [108, 109]]
    assert windows.review.tolist() == [0, 0, 1, 2, 2, 2, 2, 2, 2]
    assert windows.windows_per_review.tolist() == [2, 1, 6]


def test_windows_per_review_and_review_labels():
    windows = EncodedReviews(IDS, OFFSETS, LABELS).windows(length=4, stride=2)
    assert windows.windows_per_review.tolist() == [1, 1, 3]
    assert windows.review_labels.tolist() == [2, 0, 1]


def test_per_review_averages_the_rows_of_each_reviews_windows():
    windows = EncodedReviews(IDS, OFFSETS, LABELS).windows(length=4, stride=2)
    window_probabilities = np.array([[0.9, 0.1], [0.5, 0.5], [0.2, 0.8], [0.4, 0.6], [0.9, 0.1]])
    per_review = windows.per_review(window_probabilities)
    # Review 2 has three windows: (0.2 + 0.4 + 0.9) / 3 = 0.5 and (0.8 + 0.6 + 0.1) / 3 = 0.5.
    np.testing.assert_allclose(per_review, [[0.9, 0.1], [0.5, 0.5], [0.5, 0.5]], rtol=0, atol=1e-12)
    assert per_review.shape == (3, 2) and per_review.dtype == np.float64


def test_per_review_gives_zeros_for_a_review_without_items():
    encoded = EncodedReviews(np.arange(4), np.array([0, 2, 4]), np.array([0, 1]), review=np.array([0, 2]), n_reviews=3)
    assert encoded.windows_per_review.tolist() == [1, 0, 1]
    np.testing.assert_array_equal(encoded.per_review(np.array([[1.0, 3.0], [5.0, 7.0]])), [[1, 3], [0, 0], [5, 7]])
