"""Tokenized reviews on disk, for training on more reviews than memory holds: token ids read item
by item with `pread`, the per-item arrays memory-mapped.

A split (`train`, `validation`) is a set of flat files in one folder, the same layout as
`EncodedReviews` (item i is ids[offsets[i]:offsets[i + 1]]): `NAME.ids` (int32), `NAME.offsets`,
`NAME.labels` and `NAME.review` (int64), and `NAME.json`, which names the format and its version
and is written last: a split without it is incomplete and refused. `ShardWriter` appends encoded
chunks; `MappedReviews` maps the files back and reads items from them as `EncodedReviews` does
from arrays, so the training loop and the batches are the same.

Token ids are read with `pread`, through the page cache, not through the mapping: the pages of a
mapping that have been touched count in the process's resident memory until unmapped, and a
kernel with large page-cache folios maps up to 2 MB per fault (measured on Linux 6.18: 2,000
random reviews read through the mapping of a 1.5 GB ids file made 1.3 GB of it resident). The
small per-item arrays (offsets, labels, review numbers) are mapped; `MappedReviews` tells the
kernel every `RELEASE_EVERY` reads that it no longer needs their pages (MADV_DONTNEED): they stay
in the page cache, outside this process's memory.
"""

from __future__ import annotations

import json
import mmap
import os
from pathlib import Path

import numpy as np

from ..errors import CustomerSentimentError
from .batches import EncodedReviews

FORMAT_NAME, FORMAT_VERSION = "customer-sentiment/review-shards", 1
RELEASE_EVERY = 20_000                 # item reads between two releases of the mapped pages
_ID_DTYPE = np.int32                   # feature ids (vocabularies stay far below 2**31): half the disk of int64


class ShardWriter:
    """Append encoded chunks of reviews to the files of split `name` in `folder`.

    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> with ShardWriter(folder, "train") as writer:
    ...     writer.append(EncodedReviews(np.array([4, 5, 6]), np.array([0, 2, 3]), np.array([1, 0])))
    ...     writer.append(EncodedReviews(np.array([7]), np.array([0, 1]), np.array([1])))
    >>> reviews = MappedReviews(folder, "train")
    >>> [doc.tolist() for doc in reviews.docs(0, len(reviews))], reviews.labels.tolist()
    ([[4, 5], [6], [7]], [1, 0, 1])
    """

    def __init__(self, folder: str | Path, name: str):
        self.folder, self.name = Path(folder), name
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / f"{name}.json").unlink(missing_ok=True)        # incomplete until closed
        self.files = {part: open(self.folder / f"{name}.{part}", "wb") for part in ("ids", "offsets", "labels", "review")}
        self.files["offsets"].write(np.zeros(1, dtype=np.int64).tobytes())
        self.items = self.ids = self.reviews = 0

    def append(self, encoded: EncodedReviews) -> None:
        """The items of `encoded`, its reviews numbered after those already written."""
        ids = np.asarray(encoded.ids)
        if len(ids) and (ids.min() < 0 or ids.max() > np.iinfo(_ID_DTYPE).max):
            raise ValueError(f"token ids must be in 0..{np.iinfo(_ID_DTYPE).max}")
        self.files["ids"].write(ids.astype(_ID_DTYPE).tobytes())
        offsets = np.asarray(encoded.offsets, dtype=np.int64)
        self.files["offsets"].write((offsets[1:] - offsets[0] + self.ids).tobytes())
        self.files["labels"].write(np.asarray(encoded.labels, dtype=np.int64).tobytes())
        self.files["review"].write((np.asarray(encoded.review, dtype=np.int64) + self.reviews).tobytes())
        self.items += len(encoded)
        self.ids += int(offsets[-1] - offsets[0])
        self.reviews += encoded.n_reviews

    def close(self) -> None:
        for handle in self.files.values():
            handle.close()
        manifest = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "items": self.items, "reviews": self.reviews,
                    "ids": self.ids}
        (self.folder / f"{self.name}.json").write_text(json.dumps(manifest) + "\n")

    def __enter__(self) -> ShardWriter:
        return self

    def __exit__(self, kind, error, trace) -> None:
        if kind is None:
            self.close()
        else:
            for handle in self.files.values():
                handle.close()


class MappedReviews(EncodedReviews):
    """The split `name` written by `ShardWriter` in `folder`, on disk: reading an item reads its ids
    from the file (or the page cache), so memory does not grow with the number of reviews."""

    def __init__(self, folder: str | Path, name: str):
        manifest = _manifest(Path(folder), name)
        parts = {part: Path(folder) / f"{name}.{part}" for part in ("ids", "offsets", "labels", "review")}
        super().__init__(_map(parts["ids"], _ID_DTYPE, manifest["ids"]),
                         _map(parts["offsets"], np.int64, manifest["items"] + 1),
                         _map(parts["labels"], np.int64, manifest["items"]),
                         _map(parts["review"], np.int64, manifest["items"]), manifest["reviews"])
        self.ids_path, self.reads = parts["ids"], 0
        self._ids_file = open(self.ids_path, "rb")          # noqa: SIM115 (open as long as this object)

    def __getitem__(self, i: int) -> tuple[np.ndarray, int]:
        self._count_read(1)
        return self._read_ids(int(self.offsets[i]), int(self.offsets[i + 1])), int(self.labels[i])

    def docs(self, start: int, stop: int) -> list[np.ndarray]:
        self._count_read(stop - start)
        ends = np.asarray(self.offsets[start:stop + 1]) - int(self.offsets[start])
        block = self._read_ids(int(self.offsets[start]), int(self.offsets[stop]))
        return [block[ends[i]:ends[i + 1]] for i in range(stop - start)]

    def _read_ids(self, first: int, last: int) -> np.ndarray:
        size = np.dtype(_ID_DTYPE).itemsize
        return np.frombuffer(os.pread(self._ids_file.fileno(), (last - first) * size, first * size), dtype=_ID_DTYPE)

    def _count_read(self, items: int) -> None:
        self.reads += items
        if self.reads >= RELEASE_EVERY:
            self.reads = 0
            self.release()

    def release(self) -> None:
        """Drop the mapped pages read so far from this process's memory (they stay in the page cache)."""
        for array in (self.ids, self.offsets, self.labels, self.review):
            mapping = getattr(array, "_mmap", None)
            if mapping is not None and hasattr(mapping, "madvise"):
                mapping.madvise(mmap.MADV_DONTNEED)

    def __getstate__(self) -> dict:               # a DataLoader worker reopens the file
        return {k: v for k, v in self.__dict__.items() if k != "_ids_file"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._ids_file = open(self.ids_path, "rb")          # noqa: SIM115


def _manifest(folder: Path, name: str) -> dict:
    path = folder / f"{name}.json"
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError):
        raise CustomerSentimentError(f"No complete shards of the {name} split in {folder} ({path.name} is missing "
                                     f"or unreadable)", fix="Write them again (train with --shards DIR).") from None
    if manifest.get("format") != FORMAT_NAME or manifest.get("version") != FORMAT_VERSION:
        raise CustomerSentimentError(
            f"{path} is not a shard manifest this version reads",
            expected=f"format {FORMAT_NAME} version {FORMAT_VERSION}",
            found=f"format {manifest.get('format')} version {manifest.get('version')}",
            fix="Write the shards again with this version (train with --shards DIR).")
    return manifest


def _map(path: Path, dtype, count: int) -> np.ndarray:
    """A read-only mapping of `count` values (an empty array for none: a file of 0 bytes cannot be mapped)."""
    if count == 0:
        return np.zeros(0, dtype=dtype)
    return np.memmap(path, dtype=dtype, mode="r", shape=(count,))
