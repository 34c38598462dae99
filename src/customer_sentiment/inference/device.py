"""Where a model runs: the one place a device name ('auto', 'cpu', 'cuda:1', 'mps') becomes a
`torch.device`, and the autocast context for a precision on it."""

from __future__ import annotations

import contextlib

import torch

from ..errors import CustomerSentimentError

DEVICES = "auto, cpu, cuda, cuda:N or mps"


def resolve_device(name: str | torch.device | None = "auto") -> torch.device:
    """'auto' (or None) picks cuda, then mps, then cpu; an explicit device must exist.

    >>> resolve_device("cpu")
    device(type='cpu')
    """
    if isinstance(name, torch.device):
        return name
    if name is None or name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise CustomerSentimentError(f"Unknown device {name!r}", expected=DEVICES, fix="Pass --device auto.") from None
    available = {"cpu": True, "cuda": torch.cuda.is_available(), "mps": torch.backends.mps.is_available()}
    if not available.get(device.type, False) or (device.type == "cuda" and (device.index or 0) >= torch.cuda.device_count()):
        raise CustomerSentimentError(f"Device {name!r} is not available on this machine",
                                     fix="Pass --device auto or --device cpu.")
    return device


def autocast(device: torch.device, precision: str):
    """The autocast context for a precision: bf16 on CPU and GPU, fp16 on CUDA; fp32 runs as is."""
    if precision == "fp32":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast(device_type=device.type, dtype=dtype)


def inference_precision(device: torch.device, precision: str) -> str:
    """The precision to score in: the training precision, except fp16 off CUDA (scoring has no gradient
    scaler to need it, and CPU fp16 is slow), which runs in fp32."""
    return "fp32" if precision == "fp16" and device.type != "cuda" else precision
