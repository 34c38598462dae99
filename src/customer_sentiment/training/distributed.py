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
    """Join the process group that torchrun set up, once; on GPUs, each process takes its own."""
    if launched_by_torchrun() and not dist.is_initialized():
        if device_type == "cuda":
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        dist.init_process_group(backend="nccl" if device_type == "cuda" else "gloo")


def stop() -> None:
    """Leave the process group after a run that finished on every rank. The barrier keeps a rank
    from tearing down gloo while another still uses it (seen as a SIGABRT at exit, now and then)."""
    if dist.is_initialized():
        dist.barrier()
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


def _collective_device() -> torch.device:
    return torch.device("cuda", torch.cuda.current_device()) if dist.get_backend() == "nccl" else torch.device("cpu")


def sum_across(values: torch.Tensor) -> torch.Tensor:
    """The element-wise sum of `values` over all processes (the values themselves alone)."""
    if not dist.is_initialized():
        return values
    values = values.detach().to(_collective_device(), copy=True)
    dist.all_reduce(values, op=dist.ReduceOp.SUM)
    return values.cpu()


def from_rank_0(values: torch.Tensor) -> torch.Tensor:
    """Rank 0's `values` in every process, so that all of them take the same decision."""
    if not dist.is_initialized():
        return values
    values = values.detach().to(_collective_device(), copy=True)
    dist.broadcast(values, src=0)
    return values.cpu()


def gather(values: torch.Tensor) -> list[torch.Tensor]:
    """Every process's `values` (same shape everywhere), in rank order."""
    if not dist.is_initialized():
        return [values]
    values = values.detach().to(_collective_device())
    parts = [torch.empty_like(values) for _ in range(dist.get_world_size())]
    dist.all_gather(parts, values)
    return [part.cpu() for part in parts]
