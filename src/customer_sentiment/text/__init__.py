"""Text to token ids: the bags' word n-gram tokenizer, the subword tokenizers of the sequence
models, and tokenized reviews as batches of items (long reviews as overlapping windows); sentences
and terms of review text for the report.

Names are imported on first use: the report's sentences and terms (`text.sentences`, `text.terms`)
need no PyTorch, which the batches import.
"""

from __future__ import annotations

import importlib

_EXPORTS = {"EncodedReviews": "batches", "MappedReviews": "shards", "PretrainedTokenizer": "subword",
            "ShardWriter": "shards", "SubwordTokenizer": "subword", "WordNgramTokenizer": "word_ngrams"}

__all__ = ["TOKENIZERS", *_EXPORTS]


def __getattr__(name: str):
    if name == "TOKENIZERS":
        value = tuple(__getattr__(n) for n in ("WordNgramTokenizer", "SubwordTokenizer", "PretrainedTokenizer"))
    elif name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value
