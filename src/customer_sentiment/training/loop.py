"""The training loop: batches, loss, optimizer, schedule, precision, early stopping, checkpoints.

Same seed, same data, same machine: identical weights on CPU, also across a kill and `--resume`.
The seed drives the model's initialization (seeded by the caller), the order of the batches (a
fresh permutation per epoch, from the seed and the epoch number) and dropout (the RNG state is
checkpointed). Under `torchrun` the same loop runs DistributedDataParallel; rank 0 writes.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from sklearn.metrics import f1_score
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader

from ..console import console, progress_bar
from ..errors import CustomerSentimentError
from ..inference import autocast, review_probabilities
from ..settings import TrainingArguments
from ..text import EncodedReviews
from . import distributed
from .optim import class_weight_tensor, make_optimizer, make_schedule
from .runs import RunDirectory
from .sampling import EpochBatches

_DIVERGED = "Lower the learning rate (--learning-rate), or set --grad-clip."


@dataclass
class TrainingHistory:
    """What happened in a run: one record per epoch, the epoch whose weights were kept."""

    epochs: list[dict] = field(default_factory=list)
    best_epoch: int | None = None
    stopped_early: bool = False
    device: str = "cpu"


class Trainer:
    """One training run of `model` on `train`, early-stopped on `validation`'s macro-F1 per review.

    `args` must be resolved (`settings.resolve`, and a batch size). `device` is resolved by the caller
    (in a torchrun process group: this process's own). With a `run` directory it logs metrics and
    writes checkpoints there; `fit(resume=...)` continues from a checkpoint where it left off.
    """

    def __init__(self, model: nn.Module, train: EncodedReviews, validation: EncodedReviews | None,
                 args: TrainingArguments, device: torch.device, run: RunDirectory | None = None, verbose: bool = True):
        self.args, self.num_classes, self.run, self.train, self.validation = args, model.num_classes, run, train, validation
        self.device = device
        self.verbose = verbose and distributed.is_main()
        self.model = model.to(self.device)
        self.network = (DistributedDataParallel(self.model, device_ids=[self.device.index] if self.device.type == "cuda"
                                                else None) if distributed.world_size() > 1 else self.model)
        if distributed.world_size() > 1:
            torch.manual_seed(args.seed + distributed.rank())       # each process its own dropout masks
        self.optimizer = make_optimizer(self.model, args, self.device)
        self.batches_per_epoch = math.ceil(math.ceil(len(train) / distributed.world_size()) / args.batch_size)
        self.steps_per_epoch = math.ceil(self.batches_per_epoch / args.accumulation_steps)
        self.scheduler = make_schedule(self.optimizer, args, args.epochs * self.steps_per_epoch)
        self.scaler = torch.amp.GradScaler("cuda") if args.precision == "fp16" else None
        weights = class_weight_tensor(train.labels, self.num_classes, args.class_weights)
        self.loss_fn = nn.CrossEntropyLoss(weight=None if weights is None else weights.to(self.device))
        self.history = TrainingHistory(device=str(self.device))
        self.position = {"epoch": 1, "batch": 0, "step": 0}
        self.early = {"best_f1": -1.0, "best_epoch": None}
        self.epoch_loss = [0.0, 0]                                  # sum and count, this epoch so far
        self.best_state: dict | None = None
        self.skipped_steps = 0                                      # fp16 steps skipped in a row (overflow)

    # ------------------------------------------------------------------ the loop

    def fit(self, resume: dict | None = None) -> TrainingHistory:
        if resume is not None:
            self._restore(resume)
        while self.position["epoch"] <= self.args.epochs and not self.history.stopped_early:
            epoch = self.position["epoch"]
            start = time.perf_counter()
            loss = self._train_epoch(epoch, self.position["batch"])
            self._end_epoch(epoch, loss, time.perf_counter() - start)
        if self.best_state is not None:
            self.model.load_state_dict(self.best_state)
        self.history.best_epoch = self.early["best_epoch"] or (self.history.epochs[-1]["epoch"] if self.history.epochs else None)
        self.model.eval()
        if self.run is not None:
            self.run.close()
        return self.history

    def _batches(self, epoch: int) -> EpochBatches:
        """This process's batches of epoch `epoch`: a permutation fixed by the seed and the epoch."""
        return EpochBatches(len(self.train), self.args.batch_size, self.args.seed, epoch, distributed.world_size(),
                            distributed.rank())

    def _train_epoch(self, epoch: int, start_batch: int) -> float:
        model, args = self.model, self.args
        batches = self._batches(epoch)
        # A generator of its own: creating an iterator would otherwise draw from the global RNG, which
        # dropout uses, and a resumed run would be one draw off.
        loader = DataLoader(self.train, batch_sampler=batches[start_batch:], pin_memory=self.device.type == "cuda",
                            generator=torch.Generator(),
                            collate_fn=lambda items: (model.collate([doc for doc, _ in items]),
                                                      torch.tensor([label for _, label in items])))
        self.network.train()
        seen, started, since_log = 0, time.perf_counter(), [0.0, 0]
        with progress_bar(self.verbose) as bar:
            task = bar.add_task(f"epoch {epoch}/{args.epochs}", total=len(batches), completed=start_batch, status="")
            for offset, (batch, labels) in enumerate(loader):
                number = start_batch + offset                       # 0-based micro-batch number in this epoch
                group_end = min((number // args.accumulation_steps + 1) * args.accumulation_steps, len(batches))
                group_size = group_end - (number // args.accumulation_steps) * args.accumulation_steps
                loss = self._backward(batch, labels, epoch, number, group_size)
                self.epoch_loss[0] += loss * len(labels)
                self.epoch_loss[1] += len(labels)
                since_log[0] += loss
                since_log[1] += 1
                seen += len(labels)
                if number + 1 == group_end:
                    grad_norm = self._optimizer_step(epoch, number)
                    self.position.update(batch=number + 1, step=self.position["step"] + 1)
                    speed = seen * distributed.world_size() / max(time.perf_counter() - started, 1e-9)
                    if self.position["step"] % args.log_every == 0:
                        self._log_step(epoch, since_log, grad_norm, speed)
                        since_log = [0.0, 0]
                    if args.checkpoint_every and self.position["step"] % args.checkpoint_every == 0 \
                            and number + 1 < len(batches):
                        self._checkpoint()
                    bar.update(task, completed=number + 1, status=f"loss {self.epoch_loss[0] / max(self.epoch_loss[1], 1):.4f}"
                                                                  f"  {speed:,.0f} reviews/s")
        self.items_this_call = seen * distributed.world_size()     # a resumed epoch counts only its own part
        totals = distributed.sum_across(torch.tensor(self.epoch_loss, dtype=torch.float64))
        return float(totals[0] / max(totals[1], 1))

    def _backward(self, batch: dict, labels: torch.Tensor, epoch: int, number: int, group_size: int) -> float:
        batch = {k: v.to(self.device, non_blocking=True) for k, v in batch.items()}
        labels = labels.to(self.device, non_blocking=True)
        with autocast(self.device, self.args.precision):
            loss = self.loss_fn(self.network(**batch).float(), labels)
        finite = torch.isfinite(loss).float().reshape(1)
        if distributed.world_size() > 1:                            # every process stops, not one alone
            finite = distributed.sum_across(finite) / distributed.world_size()
        if finite.item() < 1:
            raise CustomerSentimentError(
                f"Training diverged at epoch {epoch}, batch {number + 1}: the loss is {loss.item()} (in one process "
                f"at least); no checkpoint was written from this step", fix=_DIVERGED)
        scaled = loss / group_size
        (self.scaler.scale(scaled) if self.scaler else scaled).backward()
        return loss.item()

    def _optimizer_step(self, epoch: int, number: int) -> float:
        """Clip, check and apply the accumulated gradients; returns their total norm."""
        if self.scaler is not None:
            self.scaler.unscale_(self.optimizer)
        parameters = [p for p in self.model.parameters() if p.grad is not None]
        limit = self.args.grad_clip if self.args.grad_clip > 0 else float("inf")
        norm = float(torch.nn.utils.clip_grad_norm_(parameters, limit)) if parameters else 0.0
        if self.scaler is not None:                 # fp16: an overflow skips the step and lowers the scale
            scale = self.scaler.get_scale()
            self.scaler.step(self.optimizer)
            self.scaler.update()
            if self.scaler.get_scale() < scale:
                self.skipped_steps += 1
                self.optimizer.zero_grad(set_to_none=True)
                if self.skipped_steps >= 50:
                    raise CustomerSentimentError(
                        f"Training diverged at epoch {epoch}, batch {number + 1}: the fp16 gradients were not finite "
                        f"for 50 steps in a row", fix="Lower the learning rate, or use --precision bf16.")
                return norm
            self.skipped_steps = 0
        else:
            if not math.isfinite(norm):
                raise CustomerSentimentError(
                    f"Training diverged at epoch {epoch}, batch {number + 1}: the gradient is {norm}; no checkpoint "
                    f"was written from this step", fix=_DIVERGED)
            self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.scheduler.step()
        return norm

    def _end_epoch(self, epoch: int, loss: float, seconds: float) -> None:
        record = {"epoch": epoch, "train_loss": loss, "seconds": round(seconds, 3),
                  "reviews_per_second": round(self.items_this_call / max(seconds, 1e-9), 1),
                  "learning_rate": self.scheduler.get_last_lr()[0]}
        if self.validation is not None and len(self.validation):
            predicted = self.predict_reviews(self.validation).argmax(axis=1)
            truth = self.validation.review_labels
            f1 = f1_score(truth, predicted, labels=list(range(self.num_classes)), average="macro", zero_division=0)
            scores = torch.tensor([f1, float(np.mean(predicted == truth))], dtype=torch.float64)
            scores = distributed.from_rank_0(scores)                # one decision in every process
            record["validation_macro_f1"], record["validation_accuracy"] = float(scores[0]), float(scores[1])
            if record["validation_macro_f1"] > self.early["best_f1"]:
                self.early.update(best_f1=record["validation_macro_f1"], best_epoch=epoch)
                self.best_state = copy.deepcopy(self.model.state_dict())
                if self.run is not None:
                    self.run.save_best(self.best_state, epoch)
        self.history.epochs.append(record)
        if self.verbose:
            console.print(_epoch_line(record, self.args.epochs))
        if self.run is not None:
            self.run.log({"kind": "epoch", "step": self.position["step"], **record})
        best = self.early["best_epoch"]
        if best is not None and epoch - best >= self.args.patience and epoch < self.args.epochs:
            self.history.stopped_early = True
            if self.verbose:
                console.print(f"  early stopping: no better validation macro-F1 for {self.args.patience} epochs")
        self.position.update(epoch=epoch + 1, batch=0)
        self.epoch_loss = [0.0, 0]
        self._checkpoint()

    def _log_step(self, epoch: int, since_log: list, grad_norm: float, speed: float) -> None:
        totals = distributed.sum_across(torch.tensor(since_log, dtype=torch.float64))
        if self.run is not None:
            self.run.log({"kind": "train", "step": self.position["step"], "epoch": epoch,
                          "loss": float(totals[0] / max(totals[1], 1)), "learning_rate": self.scheduler.get_last_lr()[0],
                          "grad_norm": grad_norm, "reviews_per_second": round(speed, 1)})

    # ------------------------------------------------------------------ prediction

    def predict_reviews(self, encoded: EncodedReviews) -> np.ndarray:
        """Probabilities per review, the mean over its windows."""
        return review_probabilities(self.model, encoded, self.device, self.args.precision)

    # ------------------------------------------------------------------ checkpoints

    def _checkpoint(self) -> None:
        """Every process takes part (RNG states and the loss so far are gathered); rank 0 writes."""
        if self.run is None:
            return
        loss_so_far = distributed.sum_across(torch.tensor(self.epoch_loss, dtype=torch.float64))
        cuda_rng = torch.cuda.get_rng_state(self.device) if self.device.type == "cuda" else torch.zeros(0, dtype=torch.uint8)
        self.run.save_checkpoint({
            "model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(), "scaler": self.scaler.state_dict() if self.scaler else {},
            "torch_rng": distributed.gather(torch.get_rng_state()), "cuda_rng": distributed.gather(cuda_rng),
            "position": dict(self.position), "early": dict(self.early), "epoch_loss": loss_so_far.tolist(),
            "history": {"epochs": self.history.epochs, "stopped_early": self.history.stopped_early},
            "layout": {"world_size": distributed.world_size(), "batches_per_epoch": self.batches_per_epoch},
        })
        self.run.prune_best(self.early["best_epoch"])

    def _restore(self, state: dict) -> None:
        layout = {"world_size": distributed.world_size(), "batches_per_epoch": self.batches_per_epoch}
        if state.get("layout") != layout:
            raise CustomerSentimentError(
                "The checkpoint was written by a run of another layout", expected=str(layout),
                found=str(state.get("layout")),
                fix="Resume with the same number of processes (torchrun --nproc_per_node) and settings.")
        try:
            self.model.load_state_dict(state["model"])
            self.optimizer.load_state_dict(state["optimizer"])
            self.scheduler.load_state_dict(state["scheduler"])
            if self.scaler is not None and state["scaler"]:
                self.scaler.load_state_dict(state["scaler"])
        except (RuntimeError, KeyError, ValueError) as error:
            raise CustomerSentimentError(
                f"The checkpoint does not fit this model ({str(error).splitlines()[0]}); was the run's config.toml "
                f"edited?", fix="Resume with the settings the run started with.") from None
        rank = distributed.rank()
        torch.set_rng_state(state["torch_rng"][rank])
        if self.device.type == "cuda" and len(state["cuda_rng"][rank]):
            torch.cuda.set_rng_state(state["cuda_rng"][rank], self.device)
        self.position, self.early = dict(state["position"]), dict(state["early"])
        self.epoch_loss = list(state["epoch_loss"]) if rank == 0 else [0.0, 0]   # the sum of all processes'
        self.history.epochs = list(state["history"]["epochs"])
        self.history.stopped_early = bool(state["history"]["stopped_early"])
        best = self.run.load_best(self.early["best_epoch"]) if self.run is not None else None
        self.best_state = {k: v.to(self.device) for k, v in best.items()} if best is not None else None
        if self.run is not None:
            self.run.log({"kind": "resume", "step": self.position["step"], "epoch": self.position["epoch"],
                          "note": "lines after this step's earlier records repeat the steps the stopped run lost"})


def _epoch_line(record: dict, epochs: int) -> str:
    line = (f"epoch {record['epoch']}/{epochs}  loss {record['train_loss']:.4f}  "
            f"{record['reviews_per_second']:,.0f} reviews/s  {record['seconds']:.1f}s")
    if "validation_macro_f1" in record:
        line += (f"  validation macro-F1 {record['validation_macro_f1']:.4f}"
                 f"  accuracy {record['validation_accuracy']:.4f}")
    return line
