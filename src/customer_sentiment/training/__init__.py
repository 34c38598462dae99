"""Training: the loop (optimizers, schedules, precision, early stopping, checkpoints, DDP), run
directories for `--resume`, and `fit_model`, which trains a model from texts and labels."""

from .fit import TrainedModel, fit_model, training_device
from .loop import Trainer, TrainingHistory
from .out_of_core import StagedReviews, stage_reviews, staged_from_file
from .runs import RunDirectory

__all__ = ["RunDirectory", "StagedReviews", "TrainedModel", "Trainer", "TrainingHistory", "fit_model", "stage_reviews",
           "staged_from_file", "training_device"]
