"""Token ids on disk (`text.shards`): a round trip, the manifest checked, and pages released."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from customer_sentiment.errors import CustomerSentimentError
from customer_sentiment.text import EncodedReviews, MappedReviews, ShardWriter, WordNgramTokenizer
from customer_sentiment.text import shards as shards_module

TEXTS = ["great kettle, boils fast", "broke after a week", "", "not bad at all, would buy again", "awful smell"] * 7


def _encoded(texts, labels) -> EncodedReviews:
    ids, offsets = WordNgramTokenizer(min_count=1).fit(TEXTS).encode_batch(texts)
    return EncodedReviews(ids, offsets, np.asarray(labels))


def test_chunks_written_then_mapped_equal_the_arrays_in_memory(tmp_path):
    labels = np.arange(len(TEXTS)) % 3
    whole = _encoded(TEXTS, labels)
    with ShardWriter(tmp_path, "train") as writer:
        for start in range(0, len(TEXTS), 4):                    # chunks of 4, the last one shorter
            writer.append(_encoded(TEXTS[start:start + 4], labels[start:start + 4]))
    mapped = MappedReviews(tmp_path, "train")
    assert len(mapped) == len(whole) and mapped.n_reviews == whole.n_reviews
    assert [d.tolist() for d in mapped.docs(0, len(mapped))] == [d.tolist() for d in whole.docs(0, len(whole))]
    assert [(d.tolist(), y) for d, y in (mapped[i] for i in range(len(mapped)))] == \
           [(d.tolist(), y) for d, y in (whole[i] for i in range(len(whole)))]
    assert mapped.labels.tolist() == labels.tolist() and mapped.review.tolist() == list(range(len(TEXTS)))


def test_windows_keep_their_review_numbers_across_chunks(tmp_path):
    encoded = EncodedReviews(np.arange(10), np.array([0, 3, 10]), np.array([0, 1]))
    with ShardWriter(tmp_path, "train") as writer:
        writer.append(encoded.windows(length=4, stride=3))
        writer.append(encoded.windows(length=4, stride=3))
    mapped = MappedReviews(tmp_path, "train")
    assert mapped.review.tolist() == [0, 1, 1, 2, 3, 3] and mapped.n_reviews == 4
    assert mapped.review_labels.tolist() == [0, 1, 0, 1]


def test_an_empty_split_maps_to_no_items(tmp_path):
    with ShardWriter(tmp_path, "validation"):
        pass
    mapped = MappedReviews(tmp_path, "validation")
    assert len(mapped) == 0 and mapped.docs(0, 0) == []


def test_a_split_whose_writer_failed_is_refused(tmp_path):
    with pytest.raises(RuntimeError), ShardWriter(tmp_path, "train") as writer:
        writer.append(_encoded(TEXTS[:2], [0, 1]))
        raise RuntimeError("killed")
    with pytest.raises(CustomerSentimentError, match=re.escape("No complete shards of the train split in")):
        MappedReviews(tmp_path, "train")


def test_a_manifest_of_another_version_is_refused(tmp_path):
    with ShardWriter(tmp_path, "train") as writer:
        writer.append(_encoded(TEXTS[:2], [0, 1]))
    manifest = tmp_path / "train.json"
    manifest.write_text(manifest.read_text().replace('"version": 1', '"version": 99'))
    with pytest.raises(CustomerSentimentError, match=re.escape("expected format customer-sentiment/review-shards "
                                                               "version 1, found format")):
        MappedReviews(tmp_path, "train")


def test_reading_releases_the_mapped_pages_every_so_often(tmp_path, monkeypatch):
    with ShardWriter(tmp_path, "train") as writer:
        writer.append(_encoded(TEXTS, np.zeros(len(TEXTS), dtype=int)))
    mapped = MappedReviews(tmp_path, "train")
    released = []
    monkeypatch.setattr(shards_module, "RELEASE_EVERY", 10)
    monkeypatch.setattr(mapped, "release", lambda: released.append(mapped.reads))
    for i in range(25):
        mapped[i]
    assert len(released) == 2
    MappedReviews(tmp_path, "train").release()                  # madvise on real mappings does not fail


def _resident_file_mb() -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("RssFile")) / 1024


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads RssFile from /proc")
def test_random_reads_of_a_large_split_stay_out_of_resident_memory(tmp_path):
    reviews, length = 200_000, 128                               # 26 million ids: 102 MB on disk
    with ShardWriter(tmp_path, "train") as writer:
        for _ in range(4):
            ids = np.arange(reviews // 4 * length, dtype=np.int64) % 1_000_003
            writer.append(EncodedReviews(ids, np.arange(0, len(ids) + 1, length), np.zeros(reviews // 4, dtype=int)))
    mapped = MappedReviews(tmp_path, "train")
    before = _resident_file_mb()
    for i in np.random.default_rng(0).integers(0, reviews, 10_000):
        mapped[int(i)]
    assert mapped[7][0].tolist() == (np.arange(7 * length, 8 * length) % 1_000_003).tolist()
    assert _resident_file_mb() - before < 30, "token ids read through the mapping stay resident"
