"""customer-sentiment: learn the sentiment of customer reviews with PyTorch.

The public API, in the order data flows:

>>> from customer_sentiment import read_reviews, SentimentPipeline, summarize

Names are imported on first use, so `customer-sentiment --help` does not wait for PyTorch.
"""

from __future__ import annotations

import importlib

from ._version import __version__

_EXPORTS = {
    "RatingMap": "io", "Reviews": "io", "clean_texts": "io", "read_reviews": "io", "split_indices": "io",
    "CustomerSentimentError": "errors", "NotFittedError": "errors",
    "WordNgramTokenizer": "text", "SubwordTokenizer": "text",
    "get_architecture": "models", "list_architectures": "models",
    "TrainingArguments": "settings", "DataSettings": "settings", "resolve": "settings",
    "evaluate_predictions": "evaluation",
    "SentimentPipeline": "pipeline",
    "summarize": "insights", "summarize_file": "insights",
    "explain": "explain",
    "write_html_report": "html_report",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'customer_sentiment' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
