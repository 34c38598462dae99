"""The run directory: what a training run used and did, and where it can be resumed from.

    RUN_DIR/config.toml        the resolved configuration (every key, with its documentation)
    RUN_DIR/run.json           data file and fingerprint, seed, library versions, command, output, status
    RUN_DIR/tokenizer.json     the tokenizer fitted at the start (a resumed run reuses it)
    RUN_DIR/metrics.jsonl      one JSON line per logged step and per epoch (and TensorBoard, if installed)
    RUN_DIR/checkpoint.pt      the latest checkpoint: model, optimizer, scheduler, RNG states, data position
    RUN_DIR/best-epoch-N.safetensors  the weights of the best epoch so far (early stopping keeps these)

Checkpoints are written to a temporary file and renamed, so a run killed at any point leaves the
previous complete one. They hold only tensors and plain values and are read back with
`torch.load(weights_only=True)`, which unpickles nothing else.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from .._version import __version__
from ..errors import CustomerSentimentError, hide_passwords
from ..io import atomic_path, write_bytes
from ..settings import read_toml

RUN_FORMAT = "customer-sentiment/run"


def library_versions() -> dict[str, str]:
    found = {"python": platform.python_version(), "customer-sentiment": __version__}
    for name in ("torch", "numpy", "pandas", "pyarrow", "tokenizers", "transformers"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            pass
    return found


class RunDirectory:
    """Files of one run; in a distributed run only rank 0 writes (`writer=False` elsewhere)."""

    def __init__(self, path: str | Path, writer: bool = True):
        self.path = Path(path)
        self.writer = writer
        self._tensorboard = None

    config_path = property(lambda self: self.path / "config.toml")
    info_path = property(lambda self: self.path / "run.json")
    tokenizer_path = property(lambda self: self.path / "tokenizer.json")
    metrics_path = property(lambda self: self.path / "metrics.jsonl")
    checkpoint_path = property(lambda self: self.path / "checkpoint.pt")

    def start(self, config_toml: str, info: dict, tokenizer: dict) -> None:
        """A new run: refuse a directory that holds another run, then write what the run uses."""
        if not self.writer:
            return
        if self.info_path.exists():
            raise CustomerSentimentError(f"{self.path} already holds a run",
                                         fix=f"Continue it with --resume {self.path}, or pass another --run-dir.")
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CustomerSentimentError(f"Cannot create the run directory {self.path}: {error.strerror}",
                                         fix="Pass a --run-dir in a folder you can write to.") from None
        write_bytes(self.config_path, config_toml.encode())
        self.update_info({"format": RUN_FORMAT, "version": 1, "status": "running",
                          "command": [hide_passwords(arg) for arg in sys.argv],
                          "started": _now(), "versions": library_versions(), **info})
        write_bytes(self.tokenizer_path, json.dumps(tokenizer, ensure_ascii=False).encode())

    def info(self) -> dict:
        try:
            info = json.loads(self.info_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            raise CustomerSentimentError(f"{self.path} is not a run directory (no readable run.json)",
                                         fix="Pass the --run-dir of an earlier run.") from None
        if info.get("format") != RUN_FORMAT:
            raise CustomerSentimentError(f"{self.info_path} is not a customer-sentiment run record",
                                         expected=f"format {RUN_FORMAT!r}", found=repr(info.get("format")),
                                         fix="Pass the --run-dir of a run started by `customer-sentiment train`.")
        return info

    def update_info(self, changes: dict) -> None:
        if self.writer:
            current = json.loads(self.info_path.read_text(encoding="utf-8")) if self.info_path.exists() else {}
            write_bytes(self.info_path, json.dumps({**current, **changes}, indent=2, ensure_ascii=False).encode())

    def resumable(self) -> tuple[dict, Path]:
        """What `train --resume` needs: the run's resolved config (as a settings layer) and where its model goes."""
        info = self.info()
        if info.get("status") == "finished":
            raise CustomerSentimentError(f"The run in {self.path} has finished; its model is in {info.get('output')}",
                                         fix="Start a new run to train again.")
        if not info.get("output") or not self.config_path.is_file():
            raise CustomerSentimentError(
                f"{self.path} lacks its config.toml or the model's output path (was it started from Python rather "
                f"than `customer-sentiment train`?)",
                fix="Resume it from Python with fit_model(..., run=RunDirectory(path), resume=True).")
        return read_toml(self.config_path), Path(info["output"])

    def tokenizer(self) -> dict:
        return json.loads(self.tokenizer_path.read_text(encoding="utf-8"))

    # ------------------------------------------------------------------ metrics

    def log(self, record: dict) -> None:
        """Append one JSON line; TensorBoard gets the numbers too when it is installed."""
        if not self.writer:
            return
        with open(self.metrics_path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"time": _now(), **record}) + "\n")
        board = self._board()
        if board is not None:
            step = record.get("step", 0)
            for key, value in record.items():
                if isinstance(value, (int, float)) and key not in ("step", "epoch"):
                    board.add_scalar(f"{record.get('kind', 'train')}/{key}", value, step)

    def _board(self):
        if self._tensorboard is None:
            try:
                from torch.utils.tensorboard import SummaryWriter
                self._tensorboard = SummaryWriter(str(self.path / "tensorboard"))
            except ImportError:
                self._tensorboard = False
        return self._tensorboard or None

    def close(self) -> None:
        if self._tensorboard:
            self._tensorboard.close()

    # ------------------------------------------------------------------ checkpoints

    def save_checkpoint(self, state: dict) -> None:
        """Write the checkpoint atomically; refuse one that holds a non-finite number."""
        if not self.writer:
            return
        bad = next((name for name, tensor in _tensors(state) if tensor.is_floating_point()
                    and not torch.isfinite(tensor).all()), None)
        if bad is not None:
            raise CustomerSentimentError(f"Not writing a checkpoint: {bad} holds a non-finite value",
                                         fix="Lower the learning rate (--learning-rate), or set --grad-clip.")
        with atomic_path(self.checkpoint_path) as temporary:
            torch.save(state, temporary)

    def load_checkpoint(self) -> dict | None:
        if not self.checkpoint_path.exists():
            return None
        try:
            return torch.load(self.checkpoint_path, map_location="cpu", weights_only=True)
        except Exception as error:                       # a damaged or foreign file: say so, run nothing
            raise CustomerSentimentError(f"Cannot read the checkpoint {self.checkpoint_path}: {error}",
                                         fix="Start a new run (the checkpoint is damaged or not one of ours).") from None

    def best_path(self, epoch: int) -> Path:
        return self.path / f"best-epoch-{epoch}.safetensors"

    def save_best(self, state_dict: dict[str, torch.Tensor], epoch: int) -> None:
        """The weights of a new best epoch, in a file of its own until a checkpoint names it the best."""
        if self.writer:
            tensors = {k: v.detach().cpu().contiguous() for k, v in state_dict.items()}
            with atomic_path(self.best_path(epoch)) as temporary:
                save_file(tensors, str(temporary))

    def prune_best(self, keep: int | None) -> None:
        """After a checkpoint: drop best-weight files of other epochs."""
        if self.writer:
            for path in self.path.glob("best-epoch-*.safetensors"):
                if path != (self.best_path(keep) if keep is not None else None):
                    path.unlink(missing_ok=True)

    def load_best(self, epoch: int | None) -> dict[str, torch.Tensor] | None:
        if epoch is None:
            return None
        path = self.best_path(epoch)
        try:
            return load_file(str(path))
        except Exception as error:                       # missing or damaged: the run cannot restore its best
            raise CustomerSentimentError(f"Cannot read the best weights {path}: {error}",
                                         fix="Start a new run.") from None


def _tensors(value, prefix: str = ""):
    if isinstance(value, torch.Tensor):
        yield prefix, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _tensors(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _tensors(item, f"{prefix}[{index}]")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
