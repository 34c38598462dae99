"""What a training step is made of: the optimizer, the learning-rate schedule, the class weights."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from ..settings import TrainingArguments


def make_optimizer(model: nn.Module, args: TrainingArguments, device: torch.device) -> torch.optim.Optimizer:
    """SGD (with momentum), Adam or AdamW over the trainable parameters; fused kernels where there are some.

    Weight decay applies to weight matrices and embeddings, not to biases and normalization scales.
    """
    trainable = [p for p in model.parameters() if p.requires_grad]
    groups = [{"params": [p for p in trainable if p.ndim >= 2], "weight_decay": args.weight_decay},
              {"params": [p for p in trainable if p.ndim < 2], "weight_decay": 0.0}]
    groups = [group for group in groups if group["params"]]
    fused = {"fused": True} if device.type in ("cpu", "cuda") else {}
    if args.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=args.learning_rate, momentum=args.momentum, **fused)
    kind = torch.optim.Adam if args.optimizer == "adam" else torch.optim.AdamW
    return kind(groups, lr=args.learning_rate, **fused)


def make_schedule(optimizer: torch.optim.Optimizer, args: TrainingArguments,
                  total_steps: int) -> torch.optim.lr_scheduler.LambdaLR:
    """Linear warm-up over warmup_fraction of the steps, then constant, linear or cosine decay to 0."""
    warmup = int(args.warmup_fraction * total_steps)

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, total_steps - warmup)
        if args.schedule == "linear":
            return max(0.0, 1.0 - progress)
        if args.schedule == "cosine":
            return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))
        return 1.0

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def class_weight_tensor(labels: np.ndarray, num_classes: int, mode: str) -> torch.Tensor | None:
    """'balanced': n / (classes * count) per class, as scikit-learn computes it.

    >>> class_weight_tensor(np.array([0, 0, 0, 1]), 2, "balanced").tolist()
    [0.6666666865348816, 2.0]
    """
    if mode == "none":
        return None
    counts = np.bincount(labels, minlength=num_classes).astype(np.float64)
    weights = len(labels) / (num_classes * np.maximum(counts, 1))
    return torch.tensor(weights, dtype=torch.float32)
