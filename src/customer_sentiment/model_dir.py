"""The model directory: config.json, model.safetensors, tokenizer.json, metrics.json and a model card.

Nothing is pickled, so loading a model never runs code from it. A directory is written beside its
destination under a temporary name (each file through the one fsynced atomic writer) and renamed
into place, so a crash mid-save leaves no half-written model that loads. Loading refuses an unknown
format version and warns when the model was saved by another version of customer-sentiment.

Every file is checked against `model_schema` before anything is built (`load_model`, the one
loader), and before anything is written (`write_model_dir`), so what is saved always loads.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from ._version import __version__
from .errors import CustomerSentimentError, os_error
from .io import atomic_path, recover_directory, remove_stale, replace_directory, staging_prefix, write_json, write_text
from .model_schema import (
    Header,
    ModelConfig,
    check_config,
    check_finite,
    check_tensors,
    check_tokenizer,
    header_of,
)
from .models import SentimentModel
from .settings import TrainingArguments
from .training import TrainedModel

FORMAT_NAME = "customer-sentiment/model"
FORMAT_VERSION = 1
CONFIG, WEIGHTS, TOKENIZER, METRICS, CARD = "config.json", "model.safetensors", "tokenizer.json", "metrics.json", "README.md"
_TRAIN_AGAIN = "Train the model again with `customer-sentiment train`."


class ModelVersionWarning(UserWarning):
    """The model was saved by a different version of customer-sentiment."""


@dataclass
class ModelFiles:
    """The parsed and checked contents of a model directory."""

    config: dict
    tensors: dict[str, torch.Tensor]
    tokenizer: dict
    metrics: dict


@dataclass
class LoadedModel:
    """A model directory, checked and built: what prediction, evaluation, serving and export start from."""

    path: Path
    config: dict                      # config.json as saved
    labels: list[str]                 # the classes, in the order of the model's outputs
    model: SentimentModel             # on the CPU, weights loaded, in evaluation mode
    tokenizer: object
    training: TrainingArguments       # as the model was trained (its precision is used for inference)
    metrics: dict                     # metrics.json; {} when there is none
    temperature: float = 1.0          # calibration: logits are divided by it before the softmax


def check_model_output(path: str | Path) -> Path:
    """Fail early if a model cannot be saved at `path`: something else is there, or its folder is not writable."""
    path = Path(path)
    recover_directory(path)
    if path.exists() and not (path.is_dir() and (not any(path.iterdir()) or (path / CONFIG).is_file())):
        raise CustomerSentimentError(f"{path} exists and is not a model directory; it is left as it is",
                                     fix="Choose another --output.")
    parent = next((p for p in [path.parent, *path.parent.parents] if p.exists()), Path("."))
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise CustomerSentimentError(f"Cannot save a model at {path}: {parent} is not a folder this user can write to",
                                     fix="Choose an --output in a folder you can write to.")
    return path


def write_model_dir(path: str | Path, config: dict, tensors: dict[str, torch.Tensor], tokenizer: dict,
                    metrics: dict, card: str) -> Path:
    """Write a model directory atomically; an existing model directory at `path` is replaced. What loading
    would refuse (non-finite weights, a config outside the schema) is refused here, before anything is written."""
    path = check_model_output(path)
    config = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, "library_version": __version__,
              "torch_version": torch.__version__.split("+")[0], **config}
    _check_before_saving(path, config, tensors, tokenizer)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale(path)
        staging = Path(tempfile.mkdtemp(prefix=staging_prefix(path), suffix=".partial", dir=path.parent))
    except OSError as error:
        raise CustomerSentimentError(f"Cannot save a model at {path}: {error.strerror}",
                                     fix="Choose an --output in a folder you can write to.") from None
    try:
        write_json(staging / CONFIG, config)
        with atomic_path(staging / WEIGHTS) as temporary:
            # One metadata key: safetensors stores the metadata map in no fixed order, and the same
            # weights should give the same bytes.
            save_file({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, str(temporary),
                      metadata={"format": f"{FORMAT_NAME} v{FORMAT_VERSION}"})
        write_json(staging / TOKENIZER, tokenizer, indent=None)
        write_json(staging / METRICS, metrics)
        write_text(staging / CARD, card)
        replace_directory(staging, path)
    except BaseException as error:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(error, OSError):             # a full disk, say: name the model, not the staging folder
            raise os_error(error, path) from None
        raise
    return path


def _check_before_saving(path: Path, config: dict, tensors: dict[str, torch.Tensor], tokenizer: dict) -> None:
    check_finite(tensors, f"Cannot save a model at {path}: training diverged", "Nothing was written. Train again "
                 "with a lower --learning-rate (a tenth, say), or with --grad-clip 1.0.")
    fix = "Nothing was written: a model directory holds only what training produced, so that it loads."
    checked = check_config(config, path / CONFIG, fix)
    check_tokenizer(tokenizer, checked, path / TOKENIZER, fix)
    check_tensors(header_of(tensors), checked, path / WEIGHTS, path / CONFIG, fix)


def load_model(path: str | Path) -> LoadedModel:
    """Check a model directory, then build its tokenizer and model (on the CPU, weights loaded, evaluation
    mode): the one loader of `SentimentPipeline.load`, and so of evaluate, predict, serve and export.

    >>> import tempfile
    >>> from customer_sentiment import SentimentPipeline
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     saved = SentimentPipeline(verbose=False).fit(["Love it", "Broke in a week"] * 4,
    ...                                                  ["positive", "negative"] * 4).save(f"{folder}/model")
    ...     loaded = load_model(saved)
    >>> loaded.labels, type(loaded.model).__name__, loaded.tokenizer.tokenize("Love it!")
    (['negative', 'positive'], 'BagOfEmbeddings', ['love', 'it', '!'])
    """
    files, config, tokenizer = _read_checked(Path(path))
    model = config.architecture.from_saved(config.vocab_size, len(config.labels), config.model_settings)
    model.load_state_dict(files.tensors, strict=True)        # names, shapes and dtypes were checked: it fits
    model.eval()
    return LoadedModel(Path(path), files.config, list(config.labels), model, tokenizer, config.training, files.metrics,
                       config.temperature)


def _read_checked(path: Path) -> tuple[ModelFiles, ModelConfig, object]:
    """Every file read and checked, in order: config.json, tokenizer.json, the tensors' header, their values."""
    config = check_config(_read_config(path), path / CONFIG)
    tokenizer_data = _read_json(path / TOKENIZER, path)
    tokenizer = check_tokenizer(tokenizer_data, config, path / TOKENIZER)
    weights = path / WEIGHTS
    check_tensors(_read_header(weights), config, weights, path / CONFIG)
    tensors = _safetensors(weights, load_file)
    check_finite(tensors, str(weights), "Its weights are not numbers: training diverged, or the file was damaged. "
                                        "Train the model again, with a lower --learning-rate.")
    files = ModelFiles(config.values, tensors, tokenizer_data, _read_json(path / METRICS, path, {}))
    return files, config, tokenizer


def _read_config(path: Path) -> dict:
    """config.json of the model directory at `path`, of this format version (another library version warns)."""
    recover_directory(path)
    if not path.exists():
        raise CustomerSentimentError(f"No model at {path}: no such directory", fix=_TRAIN_AGAIN)
    if not path.is_dir():
        kind = "a file" if path.is_file() else "not a regular file"     # a FIFO, say: never opened
        raise CustomerSentimentError(f"{path} is {kind}, not a model directory{_pickle_hint(path)}",
                                     expected=f"a directory with {CONFIG} and {WEIGHTS}", fix=_TRAIN_AGAIN)
    config = _read_json(path / CONFIG, path)
    if config.get("format") != FORMAT_NAME:
        raise CustomerSentimentError(f"{path / CONFIG} is not a customer-sentiment model config",
                                     expected=repr(FORMAT_NAME), found=repr(config.get("format")), fix=_TRAIN_AGAIN)
    if config.get("format_version") != FORMAT_VERSION:
        raise CustomerSentimentError(
            f"{path} has model format version {config.get('format_version')!r}; this customer-sentiment "
            f"{__version__} reads version {FORMAT_VERSION}",
            fix=f"Install the version that saved it ({config.get('library_version', 'unknown')}) or train it again.")
    if config.get("library_version") != __version__:
        warnings.warn(f"{path} was saved by customer-sentiment {config.get('library_version')}; this is "
                      f"{__version__}. Predictions may differ; train again to be sure.", ModelVersionWarning,
                      stacklevel=4)
    return config


def _read_header(weights: Path) -> Header:
    """The name, dtype and shape of each tensor, from the file's header: no tensor is read."""
    def header(file: str) -> Header:
        with safe_open(file, framework="pt") as handle:
            return {name: (handle.get_slice(name).get_dtype(), handle.get_slice(name).get_shape())
                    for name in handle.keys()}
    return _safetensors(weights, header)


def _safetensors(weights: Path, read):
    """`read(file)` of a safetensors file; anything else (a pickle, say) is refused, never unpickled."""
    if not weights.is_file():
        raise CustomerSentimentError(f"{weights.parent} has no {WEIGHTS}; the model is incomplete", fix=_TRAIN_AGAIN)
    try:
        return read(str(weights))
    except (SafetensorError, OSError, ValueError) as error:
        raise CustomerSentimentError(
            f"{weights} is not a safetensors file{_pickle_hint(weights)} ({error}); it was not loaded",
            fix="Only files written by `customer-sentiment train` are loaded; train the model again.") from None


def _read_json(file: Path, model_dir: Path, default: dict | None = None) -> dict:
    if not file.is_file():
        if default is not None:
            return default
        raise CustomerSentimentError(f"{model_dir} has no {file.name}",
                                     expected="a model directory written by `customer-sentiment train`",
                                     fix=_TRAIN_AGAIN)
    try:
        value = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:   # RecursionError: nesting thousands deep
        reason = "nested too deeply" if isinstance(error, RecursionError) else str(error)
        raise CustomerSentimentError(f"{file} is not valid JSON{_pickle_hint(file)} ({reason})",
                                     fix=_TRAIN_AGAIN) from None
    if not isinstance(value, dict):
        raise CustomerSentimentError(f"{file} is not a JSON object", expected="a JSON object",
                                     found=type(value).__name__, fix=_TRAIN_AGAIN)
    return value


def _pickle_hint(file: Path) -> str:
    """' (it looks like a pickle...)' when the file starts like a pickle or a torch.save zip."""
    if not file.is_file():
        return ""
    try:
        with open(file, "rb") as handle:
            head = handle.read(2)
    except OSError:
        return ""
    if head[:1] == b"\x80" or head == b"PK":
        return "; it looks like a pickle (or torch.save) file, which is never loaded because unpickling runs code"
    return ""


def model_config(trained: TrainedModel) -> dict:
    """What config.json records of a trained model: architecture, settings, labels, tokenizer, training, data."""
    return {
        "architecture": trained.model.name, "model_settings": trained.model.settings,
        "vocab_size": trained.tokenizer.vocab_size, "labels": trained.labels,
        "tokenizer": {"format": trained.tokenizer.format_name, "settings": trained.tokenizer.settings},
        "training": trained.training.to_dict(), "seed": trained.training.seed, "data": trained.data,
        "history": {"best_epoch": trained.history.best_epoch, "stopped_early": trained.history.stopped_early,
                    "device": trained.history.device},
        **({"calibration": {"method": "temperature scaling", "temperature": trained.temperature,
                            "fitted_on": "validation", "reviews": len(trained.validation[0])}}
           if trained.validation is not None else {}),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def model_card(config: dict, labels: list[str], metrics: dict) -> str:
    """A short README.md for the model directory: what it is, how it did, how to load it."""
    validation = metrics.get("validation", {})
    lines = [f"# customer-sentiment model: {config['architecture']}", "",
             f"Labels: {', '.join(labels)}.",
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
