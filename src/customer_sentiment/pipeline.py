"""The saved model as one object: texts in, labels and probabilities out.

`SentimentPipeline` follows scikit-learn's estimator contract: `__init__` stores settings, `fit`
returns self, `predict_proba` rows sum to 1 and their argmax is `predict`, predicting before
fitting raises `NotFittedError`. It cleans, tokenizes and scores, and saves and loads the model
directory of `saving.py`.
"""

from __future__ import annotations

import datetime as dt
import inspect
import os
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch

from .console import progress_bar
from .data import Reviews, clean_texts, estimate_rows, fingerprint, iter_table_chunks, require_columns, split_indices
from .errors import CustomerSentimentError, NotFittedError
from .evaluation import evaluate_predictions
from .files import TABLE_SUFFIXES, check_output_path, table_writer
from .models import get_architecture
from .saving import ModelFiles, read_model_dir, write_model_dir
from .training import EncodedReviews, TrainingHistory, predict_logits, train_model
from .training_args import TrainingArguments, check_type

DEFAULT_MODEL = "bag_of_embeddings.v1"
_ENCODE_SLICE = 4_096                # texts tokenized at a time by one thread


class SentimentPipeline:
    """Cleaning, tokenizer and model, trained together and saved as one directory.

    >>> pipeline = SentimentPipeline(training=TrainingArguments(epochs=3), verbose=False)
    >>> pipeline = pipeline.fit(["Love it", "Great value", "Broke in a week", "Awful smell"] * 10,
    ...                         ["positive", "positive", "negative", "negative"] * 10)
    >>> pipeline.predict("love it, great value")
    'positive'
    """

    def __init__(self, model: str = DEFAULT_MODEL, model_settings: dict | None = None,
                 tokenizer_settings: dict | None = None, training: TrainingArguments | None = None,
                 verbose: bool = True):
        self.model = model
        self.model_settings = dict(model_settings or {})
        self.tokenizer_settings = dict(tokenizer_settings or {})
        self.training = training or TrainingArguments()
        self.verbose = verbose
        self.labels_: list[str] | None = None
        self.tokenizer_ = None
        self.model_: torch.nn.Module | None = None
        self.history_: TrainingHistory | None = None
        self.metrics_: dict = {}
        self.config_: dict = {}

    # ------------------------------------------------------------------ training

    def fit(self, texts: Sequence[str], labels: Sequence[str], data_info: dict | None = None) -> SentimentPipeline:
        """Learn the tokenizer and train the model; `data_info` (file, columns) is kept in config.json."""
        architecture = get_architecture(self.model)
        _check_settings(architecture, self.model_settings, "model", skip=("self", "vocab_size", "num_classes"))
        _check_settings(architecture.tokenizer_class, self.tokenizer_settings, "tokenizer", skip=("self",))
        labels = [str(label) for label in labels]
        if len(texts) != len(labels):
            raise CustomerSentimentError(f"fit() got {len(texts)} texts but {len(labels)} labels; pass one label per text.")
        classes = sorted(set(labels))
        if len(classes) < 2:
            found = f"one class ({classes[0]!r}) in {len(labels):,} reviews" if classes else "no reviews"
            source = f" in {data_info['file']}" if data_info and data_info.get("file") else ""
            raise CustomerSentimentError(
                f"The training data{source} has {found}; a classifier needs at least two classes. Check the label "
                f"column, or the rating map (--rating-map), and that the file holds more than one kind of review.")
        args = self.training
        texts = clean_texts(texts).to_pylist()
        class_ids = {label: i for i, label in enumerate(classes)}
        y = np.array([class_ids[label] for label in labels], dtype=np.int64)
        train_idx, val_idx = (split_indices(labels, args.validation_fraction, args.seed)
                              if args.validation_fraction > 0 else (np.arange(len(labels)), np.arange(0)))
        torch.manual_seed(args.seed)
        self.tokenizer_ = architecture.tokenizer_class(**self.tokenizer_settings).fit([texts[i] for i in train_idx])
        train = self._encode([texts[i] for i in train_idx], y[train_idx])
        validation = self._encode([texts[i] for i in val_idx], y[val_idx]) if len(val_idx) else None
        self.labels_ = classes
        self.model_ = architecture(self.tokenizer_.vocab_size, len(classes), **self.model_settings)
        self.history_ = train_model(self.model_, train, validation, args, len(classes), self.verbose)
        self.metrics_ = {}
        if validation is not None:
            predicted = predict_logits(self.model_, validation).argmax(axis=1)
            self.metrics_["validation"] = evaluate_predictions(
                [classes[i] for i in validation.labels], [classes[i] for i in predicted], classes)
        self.config_ = self._config(labels, texts, train_idx, val_idx, data_info or {})
        return self

    def _config(self, labels, texts, train_idx, val_idx, data_info: dict) -> dict:
        return {
            "architecture": self.model, "model_settings": self.model_.settings,
            "vocab_size": self.tokenizer_.vocab_size, "labels": self.labels_,
            "tokenizer": {"format": self.tokenizer_.format_name, "settings": self.tokenizer_.settings},
            "training": self.training.to_dict(), "seed": self.training.seed,
            "data": {**data_info, "fingerprint": fingerprint(texts, labels), "reviews": len(labels),
                     "train_reviews": int(len(train_idx)), "validation_reviews": int(len(val_idx))},
            "history": {"best_epoch": self.history_.best_epoch, "stopped_early": self.history_.stopped_early,
                        "device": self.history_.device},
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }

    # ------------------------------------------------------------------ prediction

    def predict_proba(self, texts: str | Sequence[str]) -> np.ndarray:
        """Probabilities (reviews, classes), columns in the order of `labels_`; one row for one string."""
        self._check_fitted()
        single = isinstance(texts, str)
        probabilities = self._proba_of_clean(clean_texts([texts] if single else texts))
        return probabilities[0] if single else probabilities

    def _proba_of_clean(self, texts: Sequence[str]) -> np.ndarray:
        logits = predict_logits(self.model_, self._encode(texts)).astype(np.float64)
        logits -= logits.max(axis=1, keepdims=True)
        probabilities = np.exp(logits)
        return probabilities / probabilities.sum(axis=1, keepdims=True)

    def predict(self, texts: str | Sequence[str]) -> str | list[str]:
        """The most probable label of each text; a single label for a single string."""
        probabilities = self.predict_proba(texts)
        if probabilities.ndim == 1:
            return self.labels_[int(probabilities.argmax())]
        return [self.labels_[i] for i in probabilities.argmax(axis=1)]

    def evaluate(self, reviews: Reviews) -> dict:
        """Metrics on labelled reviews; a label the model does not know is an error naming its line."""
        self._check_fitted()
        if reviews.labels is None:
            raise CustomerSentimentError(f"{reviews.source} has no labels to evaluate against; pass --label-column "
                                         f"or --rating-column.")
        if not len(reviews):
            raise CustomerSentimentError(f"{reviews.source} has no reviews with text to evaluate.")
        known = set(self.labels_)
        for i, label in enumerate(reviews.labels):
            if label not in known:
                raise CustomerSentimentError(
                    f"{reviews.location(i)}: label {label!r} is not one the model knows ({', '.join(self.labels_)}). "
                    f"Use the label column and rating map the model was trained with, or train a model on these labels.")
        return evaluate_predictions(reviews.labels, self.predict(reviews.texts), self.labels_)

    def predict_file(self, data: str | Path, output: str | Path, text_column: str | None = None,
                     id_column: str | None = None, keep_columns: Sequence[str] | None = None,
                     chunk_rows: int = 50_000, encoding: str = "utf-8") -> dict:
        """Score a review file in chunks (bounded memory) into CSV/TSV/JSON Lines/Parquet, atomically.

        The output keeps the input's rows in order, `id_column` first, then `keep_columns` (default:
        every input column), `predicted_label` and one `prob_<label>` column per class. A review with
        no text keeps its row, with an empty label and no probabilities, and is counted.
        """
        self._check_fitted()
        if chunk_rows < 1:
            raise CustomerSentimentError(f"chunk_rows is {chunk_rows}; expected at least 1 (--chunk-rows).")
        check_output_path(output, TABLE_SUFFIXES)
        if Path(output).resolve() == Path(data).resolve():
            raise CustomerSentimentError(f"The output {output} is the input file; pass another --output so the "
                                         f"reviews are not overwritten.")
        text_column = text_column or self.config_.get("data", {}).get("text_column") or "review"
        summary = {"input": str(data), "output": str(output), "rows": 0, "empty_texts": 0,
                   "predicted": {label: 0 for label in self.labels_}}
        start = time.perf_counter()
        total = estimate_rows(data)
        with table_writer(output) as write, progress_bar(self.verbose) as bar:
            task = bar.add_task("scoring", total=total, status="")
            for chunk in iter_table_chunks(data, chunk_rows, encoding):
                if summary["rows"] == 0:
                    columns = _output_columns(chunk, data, text_column, id_column, keep_columns)
                write(self._score_chunk(chunk, text_column, columns, summary))
                summary["rows"] += len(chunk)
                speed = summary["rows"] / max(time.perf_counter() - start, 1e-9)
                bar.update(task, completed=summary["rows"], status=f"{speed:,.0f} reviews/s")
        summary["seconds"] = round(time.perf_counter() - start, 3)
        summary["reviews_per_second"] = round(summary["rows"] / max(summary["seconds"], 1e-9), 1)
        return summary

    def _score_chunk(self, chunk, text_column: str, columns: list[str], summary: dict):
        texts = clean_texts(chunk[text_column]).to_pylist()
        has_text = np.array([bool(t) for t in texts])
        probabilities = np.full((len(texts), len(self.labels_)), np.nan)
        if has_text.any():
            probabilities[has_text] = self._proba_of_clean([t for t, keep in zip(texts, has_text, strict=True) if keep])
        predicted = np.array([""] * len(texts), dtype=object)
        predicted[has_text] = [self.labels_[i] for i in probabilities[has_text].argmax(axis=1)]
        out = chunk[columns].copy()
        out["predicted_label"] = predicted
        for i, label in enumerate(self.labels_):
            out[f"prob_{label}"] = probabilities[:, i]
        summary["empty_texts"] += int((~has_text).sum())
        for label, count in zip(*np.unique(predicted[has_text], return_counts=True), strict=True):
            summary["predicted"][label] += int(count)
        return out

    def _encode(self, texts: Sequence[str], labels: np.ndarray | None = None) -> EncodedReviews:
        """Tokenize cleaned texts in slices on parallel threads (Arrow and pandas release the GIL);
        slices also bound the memory that tokenizing a large batch takes."""
        workers = min(os.cpu_count() or 1, torch.get_num_threads(), 8)
        size = min(_ENCODE_SLICE, max(1, -(-len(texts) // workers)))
        slices = [(i, min(i + size, len(texts))) for i in range(0, len(texts), size)] or [(0, 0)]
        with ThreadPoolExecutor(workers) as pool:
            parts = list(pool.map(lambda b: self.tokenizer_.encode_batch(texts[b[0]:b[1]]), slices))
        sizes = np.concatenate([np.diff(offsets) for _, offsets in parts])
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        return EncodedReviews(np.concatenate([ids for ids, _ in parts]), offsets, labels)

    # ------------------------------------------------------------------ saving and loading

    def save(self, path: str | Path, metrics: dict | None = None) -> Path:
        """Write the model directory (atomically); `metrics` are added to metrics.json."""
        self._check_fitted()
        all_metrics = {**self.metrics_, **(metrics or {})}
        if self.history_ is not None:
            all_metrics["history"] = self.history_.epochs
        return write_model_dir(path, self.config_, self.model_.state_dict(), self.tokenizer_.to_dict(),
                               all_metrics, self._model_card(all_metrics))

    @classmethod
    def load(cls, path: str | Path, device: str = "cpu", verbose: bool = False) -> SentimentPipeline:
        """Load a model directory written by `save` (no pickle, so no code runs from it)."""
        files: ModelFiles = read_model_dir(path)
        config = files.config
        architecture = get_architecture(config["architecture"])
        pipeline = cls(config["architecture"], config.get("model_settings"),
                       config.get("tokenizer", {}).get("settings"),
                       TrainingArguments(**{**config.get("training", {}), "device": device}), verbose)
        pipeline.tokenizer_ = architecture.tokenizer_class.from_dict(files.tokenizer, source=f"{path}/tokenizer.json")
        pipeline.labels_ = list(config["labels"])
        model = architecture(pipeline.tokenizer_.vocab_size, len(pipeline.labels_), **pipeline.model_settings)
        try:
            model.load_state_dict(files.tensors, strict=True)
        except RuntimeError as error:
            raise CustomerSentimentError(
                f"The weights in {path} do not fit its config ({str(error).splitlines()[0]}). Train the model again.") from None
        pipeline.model_ = model.to(device).eval()
        pipeline.metrics_ = {k: v for k, v in files.metrics.items() if k != "history"}
        pipeline.config_ = config
        return pipeline

    def _model_card(self, metrics: dict) -> str:
        config, validation = self.config_, metrics.get("validation", {})
        lines = [f"# customer-sentiment model: {config['architecture']}", "",
                 f"Labels: {', '.join(self.labels_)}.",
                 f"Trained on {config['data']['train_reviews']:,} reviews "
                 f"({config['data'].get('file', 'in memory')}), data {config['data']['fingerprint'][:19]}..., "
                 f"seed {config['seed']}, {config['created']}."]
        if validation:
            lines.append(f"Validation ({validation['reviews']:,} held-out reviews): accuracy "
                         f"{validation['accuracy']:.4f}, macro-F1 {validation['macro_f1']:.4f}.")
        lines += ["", "Load it with:", "", "```python", "from customer_sentiment import SentimentPipeline",
                  "pipeline = SentimentPipeline.load(\"PATH\")", "pipeline.predict(\"Works great, no problems so far.\")",
                  "```", "", "Files: config.json (settings), model.safetensors (weights), tokenizer.json (vocabulary), "
                  "metrics.json. Nothing here is pickled.", ""]
        return "\n".join(lines)

    def _check_fitted(self) -> None:
        if self.model_ is None:
            raise NotFittedError("This SentimentPipeline is not fitted yet; call fit(texts, labels) or "
                                 "SentimentPipeline.load(path) first.")


def _output_columns(chunk, data, text_column: str, id_column: str | None,
                    keep_columns: Sequence[str] | None) -> list[str]:
    wanted = {text_column: "--text-column"}
    if id_column:
        wanted[id_column] = "--id-column"
    for column in keep_columns or []:
        wanted.setdefault(column, "--keep-columns")
    require_columns(chunk, data, wanted)
    columns = list(dict.fromkeys(keep_columns)) if keep_columns is not None else [str(c) for c in chunk.columns]
    if id_column:
        columns = [id_column] + [c for c in columns if c != id_column]
    clashes = [c for c in columns if c == "predicted_label" or c.startswith("prob_")]
    if clashes:
        raise CustomerSentimentError(
            f"{data} already has column(s) {clashes}, which the output adds. Pass --keep-columns without them.")
    return columns


def _check_settings(target: type, settings: dict, section: str, skip: tuple[str, ...]) -> None:
    """Unknown names and values of the wrong type are errors; a setting's type is its default's."""
    parameters = {name: p for name, p in inspect.signature(target.__init__).parameters.items() if name not in skip}
    unknown = sorted(set(settings) - set(parameters))
    if unknown:
        raise CustomerSentimentError(
            f"Unknown {section} setting{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} for "
            f"{getattr(target, 'name', target.__name__)}; valid: {', '.join(parameters)}.")
    for name, value in settings.items():
        default = parameters[name].default
        if default is not inspect.Parameter.empty and default is not None:
            check_type(f"The {section} setting {name}", value, type(default).__name__,
                       f"--set {section}.{name}=VALUE with a value like {default!r}")
