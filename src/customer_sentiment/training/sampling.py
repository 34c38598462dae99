"""The batches of an epoch: the order `DistributedSampler` gives, held as one integer array.

`BatchSampler(DistributedSampler(...))` builds the epoch as Python lists, about 70 bytes per
review (a list of every index, then lists of batches): 350 MB at 5 million reviews, for nothing but
the order. `EpochBatches` computes the same permutation (`torch.randperm` seeded with seed +
epoch, padded and strided as `DistributedSampler` does for this process) into 8 bytes per review
and cuts batches from it as the loader asks: the same batches in the same order.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import torch


class EpochBatches:
    """This process's batches of one epoch, as `BatchSampler(DistributedSampler(...), drop_last=False)`.

    >>> batches = EpochBatches(10, batch_size=4, seed=0, epoch=1)
    >>> len(batches), [len(b) for b in batches], sorted(i for b in batches for i in b)
    (3, [4, 4, 2], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    """

    def __init__(self, items: int, batch_size: int, seed: int, epoch: int, world_size: int = 1, rank: int = 0,
                 start: int = 0):
        generator = torch.Generator()
        generator.manual_seed(seed + epoch)
        order = torch.randperm(items, generator=generator).numpy()
        per_process = math.ceil(items / world_size)
        padding = per_process * world_size - items
        if padding and items:
            order = np.concatenate([order, np.resize(order, padding)])   # repeats from the start, as the sampler
        self.order = order[rank::world_size]
        self.batch_size, self.start = batch_size, start

    def __len__(self) -> int:
        return max(0, math.ceil(len(self.order) / self.batch_size) - self.start)

    def __getitem__(self, batches: slice) -> EpochBatches:
        """The batches from `batches.start` on (a resumed epoch skips those done)."""
        if batches.stop is not None or batches.step not in (None, 1):
            raise TypeError("EpochBatches slices only as [start:]")
        tail = object.__new__(EpochBatches)
        tail.order, tail.batch_size, tail.start = self.order, self.batch_size, self.start + (batches.start or 0)
        return tail

    def __iter__(self) -> Iterator[list[int]]:
        for number in range(self.start, self.start + len(self)):
            yield self.order[number * self.batch_size:(number + 1) * self.batch_size].tolist()
