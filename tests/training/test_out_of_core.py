"""Training out of memory (`--shards DIR`): the same vocabulary, batches and weights as in memory."""

from __future__ import annotations

import json

import numpy as np
import pytest

from customer_sentiment.io import fingerprint
from customer_sentiment.settings import resolve
from customer_sentiment.text import WordNgramTokenizer
from customer_sentiment.training import fit_model, stage_reviews
from customer_sentiment.training.sampling import EpochBatches

from ..conftest import invoke

GOOD = ["love it, works great", "great value, fast shipping", "excellent kettle, boils fast", "would buy again"]
BAD = ["broke after a week", "awful smell, returned it", "terrible battery life", "not worth the money"]
TEXTS = [f"{text} {i}" for i in range(30) for text in GOOD + BAD]
LABELS = [label for _ in range(30) for label in ["positive"] * 4 + ["negative"] * 4]


def test_the_vocabulary_counted_in_chunks_equals_the_one_counted_at_once():
    texts = TEXTS * 3
    whole = WordNgramTokenizer(min_count=1).fit(texts)
    for size in (7, 50):
        chunked = WordNgramTokenizer(min_count=1).fit_chunks(lambda s=size: (texts[i:i + s] for i in range(0, len(texts), s)))
        assert chunked.to_dict() == whole.to_dict()


@pytest.mark.parametrize(("items", "world_size"), [(1, 1), (10, 1), (37, 2), (37, 3)])
def test_epoch_batches_are_those_of_the_distributed_sampler(items, world_size):
    from torch.utils.data import BatchSampler, DistributedSampler

    for rank in range(world_size):
        sampler = DistributedSampler(range(items), num_replicas=world_size, rank=rank, shuffle=True, seed=4)
        sampler.set_epoch(2)
        expected = list(BatchSampler(sampler, 4, drop_last=False))
        assert list(EpochBatches(items, 4, seed=4, epoch=2, world_size=world_size, rank=rank)) == expected
        assert list(EpochBatches(items, 4, seed=4, epoch=2, world_size=world_size, rank=rank)[1:]) == expected[1:]


def test_staging_keeps_the_fingerprint_of_the_texts_in_memory(tmp_path):
    chunks = [(TEXTS[i:i + 50], LABELS[i:i + 50]) for i in range(0, len(TEXTS), 50)]
    staged = stage_reviews(chunks, tmp_path)
    assert staged.reviews == len(TEXTS)
    assert staged.fingerprint == fingerprint(TEXTS, LABELS)
    assert staged.label_counts() == {"positive": 120, "negative": 120}


def test_training_from_shards_gives_the_weights_of_training_in_memory(tmp_path):
    settings = resolve(("test", {"training": {"epochs": 2, "seed": 3, "device": "cpu"}}))
    in_memory = fit_model(TEXTS, LABELS, settings, verbose=False)
    sharded = resolve(("test", {"training": {"epochs": 2, "seed": 3, "device": "cpu", "shards": str(tmp_path)}}))
    from_disk = fit_model(TEXTS, LABELS, sharded, verbose=False)
    assert from_disk.tokenizer.to_dict() == in_memory.tokenizer.to_dict()
    assert from_disk.data["fingerprint"] == in_memory.data["fingerprint"]
    assert (from_disk.data["train_reviews"], from_disk.data["validation_reviews"]) == (216, 24)
    for name, weight in in_memory.model.state_dict().items():
        assert np.array_equal(weight.numpy(), from_disk.model.state_dict()[name].numpy()), name
    assert np.array_equal(in_memory.validation[1], from_disk.validation[1])


def test_train_with_shards_end_to_end(tmp_path):
    data = tmp_path / "reviews.csv"
    rows = [f'{i},"{text}",{5 if label == "positive" else 1 if i % 3 else 3}' for i, (text, label)
            in enumerate(zip(TEXTS, LABELS, strict=True))]
    data.write_text("id,review,rating\n" + "\n".join(rows) + "\n,,5\n")
    done = invoke("train", str(data), "--rating-column", "rating", "--output", str(tmp_path / "model"), "--epochs", "2",
                  "--shards", str(tmp_path / "shards"), "--run-dir", str(tmp_path / "run"), "-q")
    assert done.returncode == 0, done.stderr
    config = json.loads((tmp_path / "model" / "config.json").read_text())
    assert config["data"]["rows_read"] == len(TEXTS) + 1
    assert config["data"]["skipped"] == {"empty review text": 1}
    assert config["data"]["shards"] == str(tmp_path / "shards")
    assert (tmp_path / "shards" / "train.ids").stat().st_size > 0
