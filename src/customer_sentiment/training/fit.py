"""Training a model from texts and labels: the classes, the validation split, the tokenizer, the
model and its batches, then the loop; in a run directory when one is given, which `--resume`
continues (same data, same tokenizer, from the last checkpoint).

The estimator (`SentimentPipeline.fit`) and the `train` command both train through `fit_model`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
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
from .out_of_core import PreparedData, StagedReviews, prepare_staged, require_two_classes, stage_reviews
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


def fit_model(texts: Sequence[str] | StagedReviews, labels: Sequence[str] | None, settings: Settings,
              device: torch.device | None = None, data_info: dict | None = None, run: RunDirectory | None = None,
              resume: bool = False, run_info: dict | None = None, verbose: bool = True) -> TrainedModel:
    """Train `settings.architecture` on raw texts and their labels; see the module docstring.

    `texts` may also be reviews staged on disk (`out_of_core.stage_reviews`, labels None); texts in
    memory are staged too when `settings.training.shards` names a folder. `run_info` (e.g. where the
    model will be saved) is recorded in the run directory's run.json.
    """
    args = settings.training
    device = device or training_device(args)
    if args.shards and not isinstance(texts, StagedReviews):
        texts = stage_reviews([(texts, labels)], args.shards, data_info)
    make_tokenizer = functools.partial(_tokenizer, settings, run=run, resume=resume)
    if isinstance(texts, StagedReviews):
        texts.info = {**texts.info, **(data_info or {})}
        prepared = prepare_staged(texts, settings, make_tokenizer, functools.partial(_model, settings))
    else:
        prepared = _prepare_in_memory(texts, labels, settings, data_info, make_tokenizer)
    return _train(prepared, settings, device, run, resume, run_info, verbose)


def _prepare_in_memory(texts: Sequence[str], labels: Sequence[str], settings: Settings, data_info: dict | None,
                       make_tokenizer) -> PreparedData:
    """The classes, the split, the tokenizer, the model and its items, all in memory."""
    args = settings.training
    labels = [str(label) for label in labels]
    classes = _classes(texts, labels, data_info)
    texts = clean_texts(texts).to_pylist()
    class_ids = {label: i for i, label in enumerate(classes)}
    y = np.array([class_ids[label] for label in labels], dtype=np.int64)
    train_idx, val_idx = (split_indices(labels, args.validation_fraction, args.seed)
                          if args.validation_fraction > 0 else (np.arange(len(labels)), np.arange(0)))
    data = {**(data_info or {}), "fingerprint": fingerprint(texts, labels), "reviews": len(labels),
            "train_reviews": int(len(train_idx)), "validation_reviews": int(len(val_idx))}
    tokenizer = make_tokenizer(lambda t: t.fit([texts[i] for i in train_idx]), data["fingerprint"])
    model = _model(settings, tokenizer, classes)
    train = as_items(model, encode(tokenizer, [texts[i] for i in train_idx], y[train_idx]))
    validation = as_items(model, encode(tokenizer, [texts[i] for i in val_idx], y[val_idx])) if len(val_idx) else None
    return PreparedData(classes, tokenizer, model, train, validation, data)


def _model(settings: Settings, tokenizer, classes: list[str]) -> torch.nn.Module:
    """The architecture, initialized from the seed."""
    torch.manual_seed(settings.training.seed)
    return settings.architecture(tokenizer.vocab_size, len(classes), **settings.model_settings)


def _train(prepared: PreparedData, settings: Settings, device: torch.device, run: RunDirectory | None, resume: bool,
           run_info: dict | None, verbose: bool) -> TrainedModel:
    """The loop on prepared data, in the run directory if there is one, then calibration."""
    model, train, validation, tokenizer = prepared.model, prepared.train, prepared.validation, prepared.tokenizer
    model.prepare(train.ids, train.offsets, train.labels)
    args = dataclasses.replace(settings.training, batch_size=settings.training.batch_size or auto_batch_size(len(train)))
    if run is not None and not resume:
        used = dataclasses.replace(settings, training=args)
        run.start(to_toml(used, header="The resolved configuration of this run."),
                  {"data": prepared.data, "seed": args.seed, **(run_info or {})}, tokenizer.to_dict())
    trainer = Trainer(model, train, validation, args, device, run, verbose)
    history = trainer.fit(resume=run.load_checkpoint() if resume else None)
    calibration = _calibrate(model, validation, device, args.precision) if validation is not None else {}
    if run is not None:
        run.update_info({"status": "finished", "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")})
    return TrainedModel(prepared.classes, tokenizer, model, history, args, prepared.data, **calibration)


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
    require_two_classes(classes, len(labels), data_info)
    return classes


def _tokenizer(settings: Settings, fit, data_fingerprint: str, run: RunDirectory | None, resume: bool):
    """A new tokenizer fitted on the training texts (`fit(tokenizer)` returns it fitted), or, resuming,
    the run's own (same data checked)."""
    tokenizer_class = settings.architecture.tokenizer_class
    if not resume:
        return fit(tokenizer_class(**settings.tokenizer))
    if run is None:
        raise CustomerSentimentError("resume=True was given without a run directory",
                                     fix="Pass the run directory of the run to continue.")
    recorded = run.info().get("data", {}).get("fingerprint")
    if recorded != data_fingerprint:
        raise CustomerSentimentError(
            f"The data differs from the run's in {run.path}", expected=f"fingerprint {str(recorded)[:19]}...",
            found=f"{data_fingerprint[:19]}...", fix="Resume with the same file, or start a new run.")
    return tokenizer_class.from_dict(run.tokenizer(), source=str(run.tokenizer_path))
