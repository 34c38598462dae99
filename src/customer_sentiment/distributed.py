"""Distributed training with the engine PyTorch has: `torchrun` starts the processes, this module
joins them (gloo on CPU, NCCL on GPU) and answers who is who. Only rank 0 writes files.

    torchrun --nproc_per_node 2 -m customer_sentiment train reviews.csv --rating-column rating -o model
"""

from __future__ import annotations

import os

import torch
import torch.distributed as dist


def launched_by_torchrun() -> bool:
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def start(device_type: str) -> None:
    """Join the process group that torchrun set up, once."""
    if launched_by_torchrun() and not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device_type == "cuda" else "gloo")


def stop() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()


def rank() -> int:
    return dist.get_rank() if dist.is_initialized() else 0


def world_size() -> int:
    return dist.get_world_size() if dist.is_initialized() else 1


def is_main() -> bool:
    """True in the process that writes files and prints (rank 0, or the only process)."""
    return int(os.environ.get("RANK", "0")) == 0 if not dist.is_initialized() else dist.get_rank() == 0


def local_device(device: torch.device) -> torch.device:
    """Each process on its own GPU: cuda:LOCAL_RANK."""
    if device.type == "cuda" and launched_by_torchrun():
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    return device


def sum_across(values: torch.Tensor) -> torch.Tensor:
    """The element-wise sum of `values` over all processes (the values themselves alone)."""
    if dist.is_initialized():
        values = values.clone()
        dist.all_reduce(values, op=dist.ReduceOp.SUM)
    return values
