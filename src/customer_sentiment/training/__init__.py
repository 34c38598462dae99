"""Training: the loop (optimizers, schedules, precision, early stopping, checkpoints, DDP), run
directories for `--resume`, and `fit_model`, which trains a model from texts and labels."""

from .fit import TrainedModel, fit_model, training_device
from .loop import Trainer, TrainingHistory
from .runs import RunDirectory

__all__ = ["RunDirectory", "TrainedModel", "Trainer", "TrainingHistory", "fit_model", "training_device"]
