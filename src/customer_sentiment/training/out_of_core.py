"""Training data that does not fit in memory (`--shards DIR`): staged on disk, tokenized in chunks,
its token ids in files read item by item.

1. `stage_reviews`: one pass over the reviews as they are read, chunk by chunk: texts cleaned and
   written with their labels to DIR/reviews.parquet, the data fingerprint fed as it goes, rows and
   skipped rows counted.
2. `prepare_staged`: the classes and the validation split from the labels alone (8 bytes a review);
   the tokenizer's vocabulary counted in streaming passes over the staged training texts (the same
   vocabulary as from the texts in memory); every review encoded chunk by chunk into files on
   disk (`text.shards`); the training loop reads its batches from them.

Peak memory then follows the vocabulary, the model and a chunk, plus 17 bytes a review (the labels,
the split, the epoch's order; 85 MB at 5 million), not the text or the token ids of the reviews. The
split, the tokenizer, the model's initialization and the order of the batches are those of the
in-memory path: with the same seed, the same weights.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..errors import CustomerSentimentError
from ..inference import as_items, encode
from ..io import add_to_fingerprint, clean_texts, split_indices
from ..text import MappedReviews, ShardWriter

STAGED = "reviews.parquet"
CHUNK_ROWS = 50_000                       # reviews tokenized at a time


@dataclass
class StagedReviews:
    """Cleaned reviews and labels in `folder`/reviews.parquet, with what a run records of them."""

    folder: Path
    reviews: int
    fingerprint: str
    info: dict = field(default_factory=dict)        # file, columns, rows_read, skipped

    def labels(self) -> pa.Array:
        """Every review's label, as strings in one Arrow array."""
        return pq.read_table(self.folder / STAGED, columns=["label"])["label"].combine_chunks()

    def __len__(self) -> int:
        return self.reviews

    @property
    def rows_read(self) -> int:
        return self.info.get("rows_read", self.reviews)

    @property
    def skipped(self) -> dict[str, int]:
        return self.info.get("skipped", {})

    def label_counts(self) -> dict[str, int]:
        counts = pc.value_counts(self.labels())
        return dict(zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True))

    def texts(self, keep: np.ndarray | None = None) -> Iterator[tuple[pa.Array, int]]:
        """(texts, index of the first) chunk by chunk; only the rows where `keep` is true, if given."""
        start = 0
        for batch in pq.ParquetFile(self.folder / STAGED).iter_batches(CHUNK_ROWS, columns=["text"]):
            texts = batch.column(0)
            if keep is not None:
                texts = texts.filter(pa.array(keep[start:start + len(texts)]))
            yield texts, start
            start += batch.num_rows


def stage_reviews(chunks: Iterable[tuple[Sequence[str], Sequence[str]]], folder: str | Path,
                  info: dict | None = None) -> StagedReviews:
    """Write (texts, labels) chunks, cleaned, to `folder`/reviews.parquet; see the module docstring."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    digest, count = hashlib.sha256(), 0
    schema = pa.schema([("text", pa.large_string()), ("label", pa.large_string())])
    with pq.ParquetWriter(folder / STAGED, schema) as writer:
        for texts, labels in chunks:
            if len(texts) != len(labels):
                raise CustomerSentimentError(f"fit() got {len(texts)} texts but {len(labels)} labels",
                                             fix="Pass one label per text.")
            cleaned = clean_texts(texts)
            labels = [str(label) for label in labels]
            add_to_fingerprint(digest, cleaned.to_pylist(), labels)
            writer.write_table(pa.table({"text": cleaned.cast(pa.large_string()),
                                         "label": pa.array(labels, pa.large_string())}, schema=schema))
            count += len(labels)
    return StagedReviews(folder, count, "sha256:" + digest.hexdigest(), dict(info or {}))


def staged_from_file(chunks, folder: str | Path) -> StagedReviews:
    """Stage the `io.iter_reviews` chunks of a file, counting its rows and skipped rows as `read_reviews` does."""
    totals = {"rows_read": 0, "skipped": {}}
    source = {}

    def pairs():
        for reviews in chunks:
            totals["rows_read"] += reviews.rows_read
            for reason, count in reviews.skipped.items():
                totals["skipped"][reason] = totals["skipped"].get(reason, 0) + count
            source.update(file=reviews.source, **reviews.columns)
            yield reviews.texts, reviews.labels
    staged = stage_reviews(pairs(), folder)
    staged.info = {**source, **totals}
    if staged.reviews == 0:
        reasons = "; ".join(f"{reason}: {count:,}" for reason, count in totals["skipped"].items())
        raise CustomerSentimentError(f"None of the {totals['rows_read']:,} rows of {source.get('file')} has both a "
                                     f"review text and a label ({reasons})",
                                     fix="Check --text-column and the label or rating column.")
    return staged


@dataclass
class PreparedData:
    """What the loop trains on: classes, the fitted tokenizer, the model, its items, and the data record."""

    classes: list[str]
    tokenizer: object
    model: object
    train: object                       # EncodedReviews (in memory or mapped)
    validation: object | None
    data: dict


def prepare_staged(staged: StagedReviews, settings, make_tokenizer, make_model) -> PreparedData:
    """Split, fit the tokenizer in streaming passes, encode into files on disk; see the module docstring.

    `make_tokenizer(fit, fingerprint)` returns the fitted tokenizer (`fit(tokenizer)` fits a new one
    on the training texts); `make_model(tokenizer, classes)` builds the model.
    """
    args = settings.training
    labels = staged.labels()
    classes = sorted(set(pc.unique(labels).to_pylist()))
    require_two_classes(classes, staged.reviews, staged.info)
    y = pc.index_in(labels, value_set=pa.array(classes, pa.large_string())).to_numpy().astype(np.int64)
    del labels
    train_idx, val_idx = (split_indices(y, args.validation_fraction, args.seed)
                          if args.validation_fraction > 0 else (np.arange(len(y)), np.arange(0)))
    is_train = np.zeros(len(y), dtype=bool)
    is_train[train_idx] = True
    data = {**staged.info, "fingerprint": staged.fingerprint, "reviews": staged.reviews,
            "train_reviews": int(len(train_idx)), "validation_reviews": int(len(val_idx)), "shards": str(staged.folder)}
    del train_idx, val_idx
    tokenizer = make_tokenizer(lambda t: _fit_streaming(t, staged, is_train), staged.fingerprint)
    model = make_model(tokenizer, classes)
    _write_shards(staged, tokenizer, model, y, is_train)
    validation = MappedReviews(staged.folder, "validation") if (~is_train).any() else None
    return PreparedData(classes, tokenizer, model, MappedReviews(staged.folder, "train"), validation, data)


def _fit_streaming(tokenizer, staged: StagedReviews, is_train: np.ndarray):
    """The tokenizer fitted on the training texts read from disk; in streaming passes if it can."""
    if hasattr(tokenizer, "fit_chunks"):
        return tokenizer.fit_chunks(lambda: (texts for texts, _ in staged.texts(is_train)))
    # Subword tokenizers learn from the texts in memory (the token ids still go to disk).
    return tokenizer.fit([text for texts, _ in staged.texts(is_train) for text in texts.to_pylist()])


def _write_shards(staged: StagedReviews, tokenizer, model, y: np.ndarray, is_train: np.ndarray) -> None:
    """Each review's token ids (windows, for a sequence model) into the train or validation files."""
    with ShardWriter(staged.folder, "train") as train, ShardWriter(staged.folder, "validation") as validation:
        for texts, start in staged.texts():
            mine = is_train[start:start + len(texts)]
            labels = y[start:start + len(texts)]
            for writer, rows in ((train, np.flatnonzero(mine)), (validation, np.flatnonzero(~mine))):
                if len(rows):
                    chunk = texts.take(pa.array(rows)).to_pylist()
                    writer.append(as_items(model, encode(tokenizer, chunk, labels[rows])))


def require_two_classes(classes: list[str], reviews: int, data_info: dict | None) -> None:
    """Refuse training data of fewer than two classes, naming its file."""
    if len(classes) < 2:
        found = f"one class ({classes[0]!r}) in {reviews:,} reviews" if classes else "no reviews"
        source = f" in {data_info['file']}" if data_info and data_info.get("file") else ""
        raise CustomerSentimentError(
            f"The training data{source} has {found}", expected="at least two classes for a classifier",
            fix="Check the label column, or the rating map (--rating-map), and that the file holds more than one "
                "kind of review.")
