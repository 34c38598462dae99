"""The training loop: DataLoader, loss, optimizer, learning-rate schedule, early stopping, devices.

Same seed, same data, same machine: identical weights on CPU. The seed drives the model's
initialization (seeded by the caller), the DataLoader's shuffling (its own generator) and dropout.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from .console import console, progress_bar
from .errors import CustomerSentimentError
from .evaluation import macro_f1
from .training_args import TrainingArguments


@dataclass
class TrainingHistory:
    """What happened in a run: one record per epoch, the epoch whose weights were kept."""

    epochs: list[dict] = field(default_factory=list)
    best_epoch: int | None = None
    stopped_early: bool = False
    device: str = "cpu"


class EncodedReviews(Dataset):
    """Tokenized reviews, flat: review i is ids[offsets[i]:offsets[i + 1]], with class id labels[i]."""

    def __init__(self, ids: np.ndarray, offsets: np.ndarray, labels: np.ndarray | None = None):
        self.ids, self.offsets = ids, offsets
        self.labels = labels if labels is not None else np.full(len(offsets) - 1, -1, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> tuple[np.ndarray, int]:
        return self.ids[self.offsets[i]:self.offsets[i + 1]], int(self.labels[i])

    def docs(self, start: int, stop: int) -> list[np.ndarray]:
        return [self.ids[self.offsets[i]:self.offsets[i + 1]] for i in range(start, stop)]


def resolve_device(name: str = "auto") -> torch.device:
    """'auto' picks cuda, then mps, then cpu; an explicit device must exist."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise CustomerSentimentError(f"Unknown device {name!r}; expected auto, cpu, cuda, cuda:N or mps.") from None
    available = {"cpu": True, "cuda": torch.cuda.is_available(), "mps": torch.backends.mps.is_available()}
    if not available.get(device.type, False) or (device.type == "cuda" and (device.index or 0) >= torch.cuda.device_count()):
        raise CustomerSentimentError(f"Device {name!r} is not available on this machine; pass --device auto or cpu.")
    return device


def make_optimizer(model: nn.Module, args: TrainingArguments, learning_rate: float,
                   device: torch.device) -> torch.optim.Optimizer:
    """SGD (with momentum), Adam or AdamW; the fused kernels where the device has them."""
    fused = {"fused": True} if device.type in ("cpu", "cuda") else {}
    if args.optimizer == "sgd":
        return torch.optim.SGD(model.parameters(), lr=learning_rate, momentum=args.momentum,
                               weight_decay=args.weight_decay, **fused)
    kind = torch.optim.Adam if args.optimizer == "adam" else torch.optim.AdamW
    return kind(model.parameters(), lr=learning_rate, weight_decay=args.weight_decay, **fused)


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
    """'balanced': n / (classes * count) per class, as scikit-learn computes it."""
    if mode == "none":
        return None
    counts = np.bincount(labels, minlength=num_classes).astype(np.float64)
    weights = len(labels) / (num_classes * np.maximum(counts, 1))
    return torch.tensor(weights, dtype=torch.float32)


def train_model(model: nn.Module, train: EncodedReviews, validation: EncodedReviews | None,
                args: TrainingArguments, num_classes: int, verbose: bool = True) -> TrainingHistory:
    """Train `model` in place; with a validation set, keep the weights of the best macro-F1 epoch."""
    device = resolve_device(args.device)
    model.to(device)
    collate = model.collate
    loader = DataLoader(train, batch_size=args.resolved_batch_size(len(train)), shuffle=True,
                        generator=torch.Generator().manual_seed(args.seed),
                        collate_fn=lambda items: (collate([doc for doc, _ in items]),
                                                  torch.tensor([label for _, label in items])),
                        pin_memory=device.type == "cuda")
    optimizer = make_optimizer(model, args, args.learning_rate or model.default_learning_rate, device)
    scheduler = make_schedule(optimizer, args, args.epochs * len(loader))
    weights = class_weight_tensor(train.labels, num_classes, args.class_weights)
    loss_fn = nn.CrossEntropyLoss(weight=None if weights is None else weights.to(device))
    history = TrainingHistory(device=str(device))
    best_f1, best_state = -1.0, None
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        loss = train_epoch(model, loader, optimizer, scheduler, loss_fn, device, epoch, args.epochs, verbose)
        seconds = time.perf_counter() - start
        record = {"epoch": epoch, "train_loss": loss, "seconds": round(seconds, 3),
                  "reviews_per_second": round(len(train) / seconds, 1),
                  "learning_rate": scheduler.get_last_lr()[0]}
        if validation is not None and len(validation):
            predicted = predict_logits(model, validation, device=device).argmax(axis=1)
            record["validation_macro_f1"] = macro_f1(validation.labels, predicted, num_classes)
            record["validation_accuracy"] = float(np.mean(predicted == validation.labels))
            if record["validation_macro_f1"] > best_f1:
                best_f1, history.best_epoch = record["validation_macro_f1"], epoch
                best_state = copy.deepcopy(model.state_dict())
        history.epochs.append(record)
        if verbose:
            console.print(_epoch_line(record, args.epochs))
        if history.best_epoch is not None and epoch - history.best_epoch >= args.patience and epoch < args.epochs:
            history.stopped_early = True
            if verbose:
                console.print(f"  early stopping: no better validation macro-F1 for {args.patience} epochs")
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    if history.best_epoch is None:
        history.best_epoch = history.epochs[-1]["epoch"]
    model.eval()
    return history


def train_epoch(model: nn.Module, loader: DataLoader, optimizer: torch.optim.Optimizer,
                scheduler: torch.optim.lr_scheduler.LambdaLR, loss_fn: nn.Module, device: torch.device,
                epoch: int, epochs: int, verbose: bool) -> float:
    """One pass over the data; returns the mean training loss. A non-finite loss stops the run."""
    model.train()
    total, count, seen, start = 0.0, 0, 0, time.perf_counter()
    with progress_bar(verbose) as bar:
        task = bar.add_task(f"epoch {epoch}/{epochs}", total=len(loader), status="")
        for step, (batch, labels) in enumerate(loader, start=1):
            batch = {k: v.to(device, non_blocking=True) for k, v in batch.items()}
            labels = labels.to(device, non_blocking=True)
            loss = loss_fn(model(**batch), labels)
            if not torch.isfinite(loss):
                raise CustomerSentimentError(
                    f"Training diverged at epoch {epoch}, step {step}: the loss is {loss.item()}. "
                    f"Lower the learning rate (--learning-rate) or use --optimizer adamw.")
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            total += loss.item() * len(labels)
            count += len(labels)
            seen += len(labels)
            speed = seen / max(time.perf_counter() - start, 1e-9)
            bar.update(task, advance=1, status=f"loss {total / count:.4f}  {speed:,.0f} reviews/s")
    return total / max(count, 1)


@torch.inference_mode()
def predict_logits(model: nn.Module, reviews: EncodedReviews, batch_size: int = 2048,
                   device: torch.device | None = None) -> np.ndarray:
    """Logits (reviews, classes) in float32, batch by batch, in evaluation mode."""
    model.eval()
    device = device or next(model.parameters()).device
    out = []
    for start in range(0, len(reviews), batch_size):
        batch = model.collate(reviews.docs(start, min(start + batch_size, len(reviews))))
        out.append(model(**{k: v.to(device, non_blocking=True) for k, v in batch.items()}).float().cpu().numpy())
    if not out:
        return np.zeros((0, model.num_classes), dtype=np.float32)
    return np.concatenate(out)


def _epoch_line(record: dict, epochs: int) -> str:
    line = (f"epoch {record['epoch']}/{epochs}  loss {record['train_loss']:.4f}  "
            f"{record['reviews_per_second']:,.0f} reviews/s  {record['seconds']:.1f}s")
    if "validation_macro_f1" in record:
        line += (f"  validation macro-F1 {record['validation_macro_f1']:.4f}"
                 f"  accuracy {record['validation_accuracy']:.4f}")
    return line
