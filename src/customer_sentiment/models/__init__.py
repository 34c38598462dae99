"""Model architectures, one file each, found by versioned name through the registry."""

from . import bag  # noqa: F401  (registers bag_of_embeddings.v1)
from .registry import ARCHITECTURES, get_architecture, list_architectures, register

__all__ = ["ARCHITECTURES", "get_architecture", "list_architectures", "register"]
