"""The saved model as one object: texts in, labels and probabilities out.

`SentimentPipeline` follows scikit-learn's estimator contract: `__init__` stores settings, `fit`
returns self, `predict_proba` rows sum to 1 and their argmax is `predict`, predicting before
fitting raises `NotFittedError`. It cleans, tokenizes and scores, and saves and loads the model
directory of `saving.py`.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch

from . import config as run_config
from . import distributed
from .config import DEFAULT_MODEL
from .console import progress_bar
from .data import Reviews, clean_texts, estimate_rows, fingerprint, iter_table_chunks, require_columns, split_indices
from .encoding import EncodedReviews
from .errors import CustomerSentimentError, NotFittedError
from .evaluation import evaluate_predictions
from .files import TABLE_SUFFIXES, check_output_path, table_writer
from .models import get_architecture
from .runs import RunDirectory
from .saving import ModelFiles, read_model_dir, write_model_dir
from .training import Trainer, TrainingHistory, check_device, predict_logits, resolve_device, softmax
from .training_args import TrainingArguments

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

    def fit(self, texts: Sequence[str], labels: Sequence[str], data_info: dict | None = None,
            run_dir: str | Path | None = None, resume: bool = False, run_info: dict | None = None) -> SentimentPipeline:
        """Learn the tokenizer and train the model; `data_info` (file, columns) is kept in config.json.

        With `run_dir`, the run's config, metrics log and checkpoints go there; `resume=True`
        continues the run found there (same data, same tokenizer) from its last checkpoint.
        """
        architecture = get_architecture(self.model)
        run_config.check({"model": {"architecture": self.model, **self.model_settings},
                          "tokenizer": self.tokenizer_settings}, architecture, "the pipeline's settings")
        check_device(self.training)                                    # before minutes of tokenizing
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
        texts = clean_texts(texts).to_pylist()
        class_ids = {label: i for i, label in enumerate(classes)}
        y = np.array([class_ids[label] for label in labels], dtype=np.int64)
        seed = self.training.seed
        train_idx, val_idx = (split_indices(labels, self.training.validation_fraction, seed)
                              if self.training.validation_fraction > 0 else (np.arange(len(labels)), np.arange(0)))
        run = RunDirectory(run_dir, writer=distributed.is_main()) if run_dir is not None else None
        data_fingerprint = fingerprint(texts, labels)
        self.tokenizer_ = self._tokenizer(architecture, [texts[i] for i in train_idx], run, resume, data_fingerprint)
        self.labels_ = classes
        torch.manual_seed(seed)
        self.model_ = _build(architecture, self.tokenizer_.vocab_size, len(classes), self.model_settings)
        train = self._items(self._encode([texts[i] for i in train_idx], y[train_idx]))
        validation = self._items(self._encode([texts[i] for i in val_idx], y[val_idx])) if len(val_idx) else None
        self.model_.prepare(train.ids, train.offsets, train.labels)
        args = self.training.resolve(architecture, len(train))
        data = {**(data_info or {}), "fingerprint": data_fingerprint, "reviews": len(labels),
                "train_reviews": int(len(train_idx)), "validation_reviews": int(len(val_idx))}
        if run is not None and not resume:
            run.start(self._run_config_toml(architecture, args, data), {"data": data, "seed": seed, **(run_info or {})},
                      self.tokenizer_.to_dict())
        trainer = Trainer(self.model_, train, validation, args, len(classes), run, self.verbose)
        self.history_ = trainer.fit(resume=run.load_checkpoint() if resume else None)
        self.metrics_ = {}
        if validation is not None:
            predicted = trainer.predict_reviews(validation).argmax(axis=1)
            self.metrics_["validation"] = evaluate_predictions(
                [classes[i] for i in validation.review_labels], [classes[i] for i in predicted], classes)
        self.config_ = self._config(args, data)
        if run is not None:
            run.update_info({"status": "finished", "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")})
        return self

    def _tokenizer(self, architecture, texts: list[str], run: RunDirectory | None, resume: bool, data_fingerprint: str):
        """A new tokenizer fitted on the training texts, or, resuming, the run's own (same data checked)."""
        if not resume:
            return architecture.tokenizer_class(**self.tokenizer_settings).fit(texts)
        if run is None:
            raise CustomerSentimentError("resume=True needs the run_dir of the run to continue.")
        recorded = run.info().get("data", {}).get("fingerprint")
        if recorded != data_fingerprint:
            raise CustomerSentimentError(
                f"The data differs from the run's in {run.path} (fingerprint {data_fingerprint[:19]}..., the run "
                f"used {str(recorded)[:19]}...). Resume with the same file, or start a new run.")
        return architecture.tokenizer_class.from_dict(run.tokenizer(), source=str(run.tokenizer_path))

    def _items(self, encoded: EncodedReviews) -> EncodedReviews:
        """Reviews as the model reads them: whole for bags, overlapping windows for sequence models."""
        length = self.model_.max_length
        if length is None:
            return encoded
        content = length - self.model_.special_tokens
        return encoded.windows(content, max(1, content * 3 // 4))          # windows overlap by a quarter

    def _run_config_toml(self, architecture, args: TrainingArguments, data: dict) -> str:
        from . import config as run_config

        resolved = {"data": {k: data[k] for k in run_config.DATA_HELP if data.get(k) is not None},
                    "model": {"architecture": self.model, **self.model_.public_settings},
                    "tokenizer": dict(self.tokenizer_.settings), "training": args.to_dict()}
        return run_config.to_toml(resolved, architecture, header="The resolved configuration of this run.")

    def _config(self, args: TrainingArguments, data: dict) -> dict:
        return {
            "architecture": self.model, "model_settings": self.model_.settings,
            "vocab_size": self.tokenizer_.vocab_size, "labels": self.labels_,
            "tokenizer": {"format": self.tokenizer_.format_name, "settings": self.tokenizer_.settings},
            "training": args.to_dict(), "seed": args.seed, "data": data,
            "history": {"best_epoch": self.history_.best_epoch, "stopped_early": self.history_.stopped_early,
                        "device": self.history_.device},
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }

    # ------------------------------------------------------------------ prediction

    def predict_proba(self, texts: str | Sequence[str]) -> np.ndarray:
        """Probabilities (reviews, classes), columns in the order of `labels_`; one row for one string.

        A review longer than a sequence model's window is scored over overlapping windows, averaged.
        """
        self._check_fitted()
        single = isinstance(texts, str)
        probabilities, _ = self._proba_of_clean(clean_texts([texts] if single else texts))
        return probabilities[0] if single else probabilities

    def _proba_of_clean(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Probabilities per review and the number of windows each took."""
        items = self._items(self._encode(texts))
        precision = self.config_.get("training", {}).get("precision", "fp32")
        logits = predict_logits(self.model_, items, precision=precision)
        return items.per_review(softmax(logits)), items.windows_per_review

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
        every input column), `predicted_label` and one `prob_<label>` column per class, and for
        sequence models `windows`: how many overlapping windows the review took. A review with no
        text keeps its row, with an empty label and no probabilities, and is counted.
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
        windows = np.zeros(len(texts), dtype=np.int64)
        if has_text.any():
            probabilities[has_text], windows[has_text] = self._proba_of_clean(
                [t for t, keep in zip(texts, has_text, strict=True) if keep])
        predicted = np.array([""] * len(texts), dtype=object)
        predicted[has_text] = [self.labels_[i] for i in probabilities[has_text].argmax(axis=1)]
        out = chunk[columns].copy()
        out["predicted_label"] = predicted
        for i, label in enumerate(self.labels_):
            out[f"prob_{label}"] = probabilities[:, i]
        if self.model_.max_length is not None:          # how many windows each review took
            out["windows"] = windows
            summary["long_reviews"] = summary.get("long_reviews", 0) + int((windows > 1).sum())
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
        device = str(resolve_device(device))
        pipeline.tokenizer_ = architecture.tokenizer_class.from_dict(files.tokenizer, source=f"{path}/tokenizer.json")
        pipeline.labels_ = list(config["labels"])
        model = architecture.from_saved(pipeline.tokenizer_.vocab_size, len(pipeline.labels_), pipeline.model_settings)
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


def _build(architecture, vocab_size: int, num_classes: int, settings: dict):
    """The architecture with these settings; a setting it cannot take is the user's error, said so."""
    try:
        return architecture(vocab_size, num_classes, **settings)
    except (ValueError, AssertionError, TypeError) as error:
        raise CustomerSentimentError(
            f"{architecture.name} cannot be built with {settings}: {error}. Fix the model settings "
            f"(`customer-sentiment config --model {architecture.name}` lists them with their defaults).") from None
