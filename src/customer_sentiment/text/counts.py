"""Counting values (words, n-gram keys) over texts that arrive in chunks, in bounded memory: Arrow
`value_counts` per chunk, merged as they come, and the most frequent kept in an order that does not
depend on how the texts were cut into chunks."""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa
import pyarrow.compute as pc


def merge_counts(counts: Iterable[pa.StructArray], every: int = 16) -> pa.StructArray:
    """Sum value_counts results ({values, counts} struct arrays) of several chunks.

    Merged every `every` chunks as they come, so memory holds the distinct values once (plus a few
    chunks' worth), however many chunks there are; the order and the sums are those of one merge.
    """
    merged, waiting = None, []
    for part in counts:
        if len(part):
            waiting.append(part)
        if len(waiting) > every:
            merged, waiting = _merge_parts(([merged] if merged is not None else []) + waiting), []
    parts = ([merged] if merged is not None else []) + waiting
    if len(parts) <= 1:
        return parts[0] if parts else pa.StructArray.from_arrays([pa.array([], pa.int64()), pa.array([], pa.int64())],
                                                                 names=["values", "counts"])
    return _merge_parts(parts)


def _merge_parts(parts: list[pa.StructArray]) -> pa.StructArray:
    table = pa.Table.from_batches([pa.RecordBatch.from_struct_array(p) for p in parts])
    merged = table.group_by("values", use_threads=False).aggregate([("counts", "sum")])
    return pa.StructArray.from_arrays([merged["values"].combine_chunks(), merged["counts_sum"].combine_chunks()],
                                      names=["values", "counts"])


def most_frequent(counts: pa.StructArray, limit: int, min_count: int) -> pa.Array:
    """The values counted at least min_count times, most frequent first, at most `limit`.

    Ties go in the values' own order (Arrow's grouping does not keep the order values were first
    seen in), so the vocabulary is the same however the texts were cut into chunks.
    """
    table = pa.table({"values": counts.field("values"), "counts": counts.field("counts")})
    table = table.filter(pc.greater_equal(table["counts"], min_count))
    order = pc.sort_indices(table, sort_keys=[("counts", "descending"), ("values", "ascending")])[:limit]
    return table["values"].take(order).combine_chunks()
