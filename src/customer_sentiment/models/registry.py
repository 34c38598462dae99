"""Architectures by versioned name: `bag_of_embeddings.v1` stays loadable beside any later `.v2`.

What an architecture must provide is the contract of `base.SentimentModel`.
"""

from __future__ import annotations

from ..errors import CustomerSentimentError

ARCHITECTURES: dict[str, type] = {}


def register(cls: type) -> type:
    """Class decorator: make an architecture available under its `name`."""
    if cls.name in ARCHITECTURES:
        raise ValueError(f"Architecture {cls.name!r} is registered twice; give the new one a new version.")
    ARCHITECTURES[cls.name] = cls
    return cls


def get_architecture(name: str) -> type:
    """The architecture class registered as `name`.

    >>> get_architecture("bag_of_embeddings.v1").__name__
    'BagOfEmbeddings'
    """
    if name not in ARCHITECTURES:
        raise CustomerSentimentError(f"Unknown model {name!r}", expected=f"one of {sorted(ARCHITECTURES)}",
                                     fix="Pass --model with one of those (`customer-sentiment models` lists them).")
    return ARCHITECTURES[name]


def list_architectures() -> dict[str, str]:
    """Registered names and their one-line descriptions."""
    return {name: cls.description for name, cls in sorted(ARCHITECTURES.items())}
