"""Model architectures, one file each, found by versioned name through the registry."""

from . import bag, cnn, naive_bayes, pretrained, rnn, transformer  # noqa: F401  (each registers itself)
from .base import SentimentModel
from .registry import ARCHITECTURES, get_architecture, list_architectures, register

__all__ = ["ARCHITECTURES", "SentimentModel", "get_architecture", "list_architectures", "register"]
