"""Training a model from texts and labels: the classes, the validation split, the tokenizer, the
model and its batches, then the loop; in a run directory when one is given, which `--resume`
continues (same data, same tokenizer, from the last checkpoint).

The estimator (`SentimentPipeline.fit`) and the `train` command both train through `fit_model`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from ..errors import CustomerSentimentError
from ..inference import as_items, encode, fit_temperature, predict_logits, resolve_device, scaled_softmax
from ..io import clean_texts, fingerprint, split_indices
from ..settings import Settings, TrainingArguments, auto_batch_size, to_toml
from . import distributed
from .loop import Trainer, TrainingHistory
from .runs import RunDirectory


@dataclass
class TrainedModel:
    """What training produced: the classes, the fitted tokenizer and model, and how it went."""

    labels: list[str]
    tokenizer: object
    model: torch.nn.Module
    history: TrainingHistory
    training: TrainingArguments                  # as used, batch size included
    data: dict                                   # where the reviews came from, their fingerprint and counts
    validation: tuple[np.ndarray, np.ndarray] | None = None   # (true class ids, calibrated probabilities)
    temperature: float = 1.0                     # fitted on the validation split (inference.calibration)
    uncalibrated: np.ndarray | None = None       # the validation probabilities before calibration


def training_device(args: TrainingArguments) -> torch.device:
    """The device this process trains on, resolved once, before any data is read: it joins the
    torchrun process group if there is one (each process then takes its own GPU)."""
    device = resolve_device(args.device)
    if args.precision == "fp16" and device.type != "cuda":
        raise CustomerSentimentError("Precision fp16 needs a CUDA GPU (it relies on gradient scaling there)",
                                     found=f"device {device.type}", fix="Use --precision bf16 on this device.")
    distributed.start(device.type)
    return distributed.local_device(device)


def fit_model(texts: Sequence[str], labels: Sequence[str], settings: Settings, device: torch.device | None = None,
              data_info: dict | None = None, run: RunDirectory | None = None, resume: bool = False,
              run_info: dict | None = None, verbose: bool = True) -> TrainedModel:
    """Train `settings.architecture` on raw texts and their labels; see the module docstring.

    `run_info` (e.g. where the model will be saved) is recorded in the run directory's run.json.
    """
    args = settings.training
    device = device or training_device(args)
    labels = [str(label) for label in labels]
    classes = _classes(texts, labels, data_info)
    texts = clean_texts(texts).to_pylist()
    class_ids = {label: i for i, label in enumerate(classes)}
    y = np.array([class_ids[label] for label in labels], dtype=np.int64)
    train_idx, val_idx = (split_indices(labels, args.validation_fraction, args.seed)
                          if args.validation_fraction > 0 else (np.arange(len(labels)), np.arange(0)))
    data = {**(data_info or {}), "fingerprint": fingerprint(texts, labels), "reviews": len(labels),
            "train_reviews": int(len(train_idx)), "validation_reviews": int(len(val_idx))}
    tokenizer = _tokenizer(settings, [texts[i] for i in train_idx], run, resume, data["fingerprint"])
    torch.manual_seed(args.seed)
    model = settings.architecture(tokenizer.vocab_size, len(classes), **settings.model_settings)
    train = as_items(model, encode(tokenizer, [texts[i] for i in train_idx], y[train_idx]))
    validation = as_items(model, encode(tokenizer, [texts[i] for i in val_idx], y[val_idx])) if len(val_idx) else None
    model.prepare(train.ids, train.offsets, train.labels)
    args = dataclasses.replace(args, batch_size=args.batch_size or auto_batch_size(len(train)))
    if run is not None and not resume:
        used = dataclasses.replace(settings, training=args)
        run.start(to_toml(used, header="The resolved configuration of this run."),
                  {"data": data, "seed": args.seed, **(run_info or {})}, tokenizer.to_dict())
    trainer = Trainer(model, train, validation, args, device, run, verbose)
    history = trainer.fit(resume=run.load_checkpoint() if resume else None)
    calibration = _calibrate(model, validation, device, args.precision) if validation is not None else {}
    if run is not None:
        run.update_info({"status": "finished", "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")})
    return TrainedModel(classes, tokenizer, model, history, args, data, **calibration)


def _calibrate(model: torch.nn.Module, validation, device: torch.device, precision: str) -> dict:
    """Temperature scaling fitted on the validation split's logits; its probabilities before and after."""
    logits = predict_logits(model, validation, device, precision)
    truth = validation.review_labels
    temperature = fit_temperature(logits, validation.review, truth)
    return {"validation": (truth, validation.per_review(scaled_softmax(logits, temperature))),
            "temperature": temperature, "uncalibrated": validation.per_review(scaled_softmax(logits))}


def _classes(texts: Sequence[str], labels: list[str], data_info: dict | None) -> list[str]:
    """The sorted classes; at least two, one label per text."""
    if len(texts) != len(labels):
        raise CustomerSentimentError(f"fit() got {len(texts)} texts but {len(labels)} labels",
                                     fix="Pass one label per text.")
    classes = sorted(set(labels))
    if len(classes) < 2:
        found = f"one class ({classes[0]!r}) in {len(labels):,} reviews" if classes else "no reviews"
        source = f" in {data_info['file']}" if data_info and data_info.get("file") else ""
        raise CustomerSentimentError(
            f"The training data{source} has {found}", expected="at least two classes for a classifier",
            fix="Check the label column, or the rating map (--rating-map), and that the file holds more than one "
                "kind of review.")
    return classes


def _tokenizer(settings: Settings, texts: list[str], run: RunDirectory | None, resume: bool, data_fingerprint: str):
    """A new tokenizer fitted on the training texts, or, resuming, the run's own (same data checked)."""
    tokenizer_class = settings.architecture.tokenizer_class
    if not resume:
        return tokenizer_class(**settings.tokenizer).fit(texts)
    if run is None:
        raise CustomerSentimentError("resume=True was given without a run directory",
                                     fix="Pass the run directory of the run to continue.")
    recorded = run.info().get("data", {}).get("fingerprint")
    if recorded != data_fingerprint:
        raise CustomerSentimentError(
            f"The data differs from the run's in {run.path}", expected=f"fingerprint {str(recorded)[:19]}...",
            found=f"{data_fingerprint[:19]}...", fix="Resume with the same file, or start a new run.")
    return tokenizer_class.from_dict(run.tokenizer(), source=str(run.tokenizer_path))
