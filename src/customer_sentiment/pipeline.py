"""The saved model as one object: texts in, labels and probabilities out.

`SentimentPipeline` follows scikit-learn's estimator contract: `__init__` stores settings and does
no work, `get_params`/`set_params` (so `sklearn.base.clone` and grid search work), `fit` returns
self, `predict_proba` rows sum to 1 and their argmax is `predict`, predicting before fitting raises
`NotFittedError`. Training is `training.fit_model`, prediction is `inference.Predictor`, the files
are `model_dir`; this class ties them together.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from .errors import CustomerSentimentError, NotFittedError
from .evaluation import evaluate_probabilities
from .inference import Predictor, score_file
from .inference.onnx_runtime import RUNTIMES, load_onnx
from .io import CHUNK_ROWS, ReadOptions, Reviews
from .model_dir import load_model, model_card, model_config, write_model_dir
from .settings import DEFAULT_MODEL, DataSettings, Settings, TrainingArguments, defaults_of, resolve
from .training import TrainedModel, fit_model


class SentimentPipeline(ClassifierMixin, BaseEstimator):
    """Cleaning, tokenizer and model, trained together and saved as one directory.

    >>> pipeline = SentimentPipeline(training=TrainingArguments(epochs=3), verbose=False)
    >>> pipeline = pipeline.fit(["Love it", "Great value", "Broke in a week", "Awful smell"] * 10,
    ...                         ["positive", "positive", "negative", "negative"] * 10)
    >>> pipeline.predict("love it, great value")
    'positive'
    """

    def __init__(self, model: str = DEFAULT_MODEL, model_settings: dict | None = None,
                 tokenizer_settings: dict | None = None, training: TrainingArguments | None = None,
                 device: str | None = None, verbose: bool = True):
        self.model = model
        self.model_settings = model_settings
        self.tokenizer_settings = tokenizer_settings
        self.training = training
        self.device = device
        self.verbose = verbose

    def settings(self) -> Settings:
        """The complete settings these arguments resolve to (architecture defaults filled in)."""
        training = self.training.given() if self.training else {}
        if self.device is not None:                    # where to train: this, else training.device, else auto
            training["device"] = self.device
        given = {"model": {"architecture": self.model, **(self.model_settings or {})},
                 "tokenizer": dict(self.tokenizer_settings or {}), "training": training}
        return resolve(("SentimentPipeline's settings", given))

    def fit(self, texts: Sequence[str], labels: Sequence[str], data_info: dict | None = None) -> SentimentPipeline:
        """Learn the tokenizer and train the model; `data_info` (file, columns) is kept in config.json."""
        return self._adopt(fit_model(texts, labels, self.settings(), data_info=data_info, verbose=self.verbose))

    @classmethod
    def from_trained(cls, trained: TrainedModel, verbose: bool = True) -> SentimentPipeline:
        """The pipeline of a model trained by `training.fit_model` (as `customer-sentiment train` does)."""
        pipeline = cls(trained.model.name, trained.model.public_settings, trained.tokenizer.settings,
                       trained.training, trained.training.device, verbose)
        return pipeline._adopt(trained)

    def _adopt(self, trained: TrainedModel) -> SentimentPipeline:
        self.labels_, self.tokenizer_, self.history_ = trained.labels, trained.tokenizer, trained.history
        self.predictor_ = Predictor(trained.model, trained.tokenizer, trained.history.device, trained.training.precision,
                                    temperature=trained.temperature)
        self.metrics_ = {}
        if trained.validation is not None:
            truth, probabilities = trained.validation
            self.metrics_["validation"] = evaluate_probabilities(
                [self.labels_[i] for i in truth], probabilities, self.labels_, trained.uncalibrated)
        self.config_ = model_config(trained)
        return self

    # ------------------------------------------------------------------ prediction

    @property
    def model_(self):
        return self._fitted().model

    @property
    def classes_(self) -> np.ndarray:
        self._fitted()
        return np.array(self.labels_)

    def predict_proba(self, texts: str | Sequence[str]) -> np.ndarray:
        """Probabilities (reviews, classes), columns in the order of `labels_`; one row for one string.

        A review longer than a sequence model's window is scored over overlapping windows, averaged.
        """
        single = isinstance(texts, str)
        probabilities = self._fitted().predict_proba([texts] if single else texts)
        return probabilities[0] if single else probabilities

    def predict(self, texts: str | Sequence[str]) -> str | list[str]:
        """The most probable label of each text; a single label for a single string."""
        probabilities = self.predict_proba(texts)
        if probabilities.ndim == 1:
            return self.labels_[int(probabilities.argmax())]
        return [self.labels_[i] for i in probabilities.argmax(axis=1)]

    def evaluate(self, reviews: Reviews) -> dict:
        """Metrics on labelled reviews; a label the model does not know is an error naming its line."""
        self._fitted()
        if reviews.labels is None:
            raise CustomerSentimentError(f"{reviews.source} has no labels to evaluate against",
                                         fix="Pass --label-column or --rating-column.")
        if not len(reviews):
            raise CustomerSentimentError(f"{reviews.source} has no reviews with text to evaluate",
                                         fix="Check --text-column.")
        known = set(self.labels_)
        for i, label in enumerate(reviews.labels):
            if label not in known:
                raise CustomerSentimentError(
                    f"{reviews.location(i)}: label {label!r} is not one the model knows",
                    expected=", ".join(self.labels_), fix="Use the label column and rating map the model was trained "
                                                          "with, or train a model on these labels.")
        calibrated, raw = self._fitted().calibrated_and_raw(reviews.texts)
        return evaluate_probabilities(reviews.labels, calibrated, self.labels_,
                                      raw if self.predictor_.temperature != 1.0 else None)

    def predict_file(self, data: str | Path, output: str | Path, text_column: str | None = None,
                     id_column: str | None = None, keep_columns: Sequence[str] | None = None,
                     chunk_rows: int = CHUNK_ROWS, options: ReadOptions | str | None = None,
                     review_below: float | None = None, resume: bool = False) -> dict:
        """Score a review file in chunks into CSV/TSV/JSON Lines/Parquet, atomically (see `inference.scoring`);
        `options` are `ReadOptions` (encoding, delimiter, longest review) or an encoding name; `resume`
        continues a run that was killed part way, from its last committed chunk."""
        predictor = self._fitted()
        text_column = text_column or self.config_.get("data", {}).get("text_column") or defaults_of(DataSettings)["text_column"]
        return score_file(predictor, self.labels_, data, output, text_column, id_column, keep_columns, chunk_rows,
                          options, self.verbose, review_below, resume).to_dict()

    # ------------------------------------------------------------------ saving and loading

    def save(self, path: str | Path, metrics: dict | None = None) -> Path:
        """Write the model directory (atomically); `metrics` are added to metrics.json."""
        predictor = self._fitted()
        all_metrics = {**self.metrics_, **(metrics or {})}
        if self.history_ is not None:
            all_metrics["history"] = self.history_.epochs
        return write_model_dir(path, self.config_, predictor.model.state_dict(), self.tokenizer_.to_dict(),
                               all_metrics, model_card(self.config_, self.labels_, all_metrics))

    @classmethod
    def load(cls, path: str | Path, device: str = "auto", verbose: bool = False,
             runtime: str = "torch") -> SentimentPipeline:
        """Load a model directory written by `save` (no pickle, so no code runs from it) onto `device`;
        every file is checked against the model directory's schema first (`model_schema`).

        `runtime="onnx"` (or `"onnx-int8"`) scores with the exported graph in onnxruntime on the CPU
        (`customer-sentiment export` first; the file is checked against export.json), else PyTorch.
        """
        if runtime not in RUNTIMES:
            raise CustomerSentimentError(f"Unknown runtime {runtime!r}", expected=", ".join(RUNTIMES),
                                         fix="Pass --runtime torch, onnx or onnx-int8.")
        loaded = load_model(path)
        onnx = None if runtime == "torch" else load_onnx(Path(path), quantized=runtime == "onnx-int8")
        model, tokenizer, training = loaded.model, loaded.tokenizer, loaded.training
        pipeline = cls(loaded.config["architecture"], model.public_settings, tokenizer.settings, training, device,
                       verbose)
        pipeline.labels_, pipeline.tokenizer_, pipeline.history_ = loaded.labels, tokenizer, None
        pipeline.predictor_ = Predictor(model, tokenizer, device, training.precision or "fp32",
                                        temperature=loaded.temperature, onnx=onnx)
        pipeline.metrics_ = {k: v for k, v in loaded.metrics.items() if k != "history"}
        pipeline.config_ = loaded.config
        return pipeline

    def _fitted(self) -> Predictor:
        if getattr(self, "predictor_", None) is None:
            raise NotFittedError(type(self).__name__)
        return self.predictor_


