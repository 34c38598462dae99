"""The training loop: settings, optimizers, schedules, class weights, early stopping, reproducibility."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from customer_sentiment import SentimentPipeline, TrainingArguments
from customer_sentiment.errors import CustomerSentimentError
from customer_sentiment.training.optim import class_weight_tensor, make_schedule

from ..conftest import TINY, tiny_training

TEXTS = [text for text, _ in TINY] * 4
LABELS = [label for _, label in TINY] * 4


def weights(pipeline: SentimentPipeline) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in pipeline.model_.state_dict().items()}


def train(**overrides) -> SentimentPipeline:
    return SentimentPipeline(tokenizer_settings={"min_count": 1}, training=tiny_training(**overrides),
                             verbose=False).fit(TEXTS, LABELS)


def test_same_seed_same_data_gives_identical_weights():
    first, second = weights(train(epochs=5, validation_fraction=0.25)), weights(train(epochs=5, validation_fraction=0.25))
    assert all(torch.equal(first[k], second[k]) for k in first)


def test_another_seed_gives_other_weights():
    first, other = weights(train(epochs=5)), weights(train(epochs=5, seed=1))
    assert not torch.equal(first["embedding.weight"], other["embedding.weight"])


@pytest.mark.parametrize("optimizer, learning_rate", [("sgd", 2.0), ("adam", 0.05), ("adamw", 0.05)])
def test_each_optimizer_learns_the_training_reviews(optimizer, learning_rate):
    pipeline = train(optimizer=optimizer, learning_rate=learning_rate, epochs=40)
    losses = [epoch["train_loss"] for epoch in pipeline.history_.epochs]
    assert losses[-1] < 0.5 * losses[0]
    assert pipeline.predict(TEXTS) == LABELS


@pytest.mark.parametrize("schedule, expected", [
    ("constant", [0.5, 1.0, 1.0, 1.0]), ("linear", [0.5, 1.0, 2 / 3, 1 / 3]), ("cosine", [0.5, 1.0, 0.75, 0.25])])
def test_schedules_warm_up_then_decay(schedule, expected):
    parameter = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([parameter], lr=1.0)
    args = TrainingArguments(schedule=schedule, warmup_fraction=0.25)
    scheduler = make_schedule(optimizer, args, total_steps=8)
    seen = []
    for _ in range(4):
        seen.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
        optimizer.step()
        scheduler.step()
    np.testing.assert_allclose(seen, expected, atol=1e-9)


def test_balanced_class_weights_follow_scikit_learn():
    from sklearn.utils.class_weight import compute_class_weight

    labels = np.array([0, 0, 0, 1, 2, 2])
    expected = compute_class_weight("balanced", classes=np.arange(3), y=labels)
    np.testing.assert_allclose(class_weight_tensor(labels, 3, "balanced").numpy(), expected, rtol=1e-6)
    assert class_weight_tensor(labels, 3, "none") is None


def test_class_weights_lift_recall_of_a_rare_class():
    texts = [f"fine product number {i}" for i in range(60)] + [f"broken again {i}" for i in range(6)]
    texts += [f"fine but broken {i}" for i in range(20)]
    labels = ["positive"] * 60 + ["negative"] * 6 + ["positive"] * 16 + ["negative"] * 4

    def negatives_found(mode):
        pipeline = SentimentPipeline(tokenizer_settings={"min_count": 1},
                                     training=tiny_training(epochs=3, class_weights=mode, learning_rate=0.02),
                                     verbose=False).fit(texts, labels)
        return sum(p == "negative" for p in pipeline.predict(texts))

    assert negatives_found("balanced") > negatives_found("none")


def test_early_stopping_keeps_the_best_epoch():
    pipeline = train(epochs=40, validation_fraction=0.25, patience=2, learning_rate=0.5)
    history = pipeline.history_
    scores = [epoch["validation_macro_f1"] for epoch in history.epochs]
    assert history.stopped_early and len(scores) == history.best_epoch + 2       # patience 2
    assert history.best_epoch == scores.index(max(scores)) + 1                  # the first best epoch
    assert pipeline.metrics_["validation"]["macro_f1"] == max(scores)          # its weights were restored


@pytest.mark.parametrize("setting, value, expected", [
    ("epochs", 0, "Setting training.epochs is 0: expected a number >= 1. Pass --epochs or --set training.epochs=VALUE"),
    ("optimizer", "rmsprop", "Setting training.optimizer is 'rmsprop': expected one of sgd, adam, adamw. Pass --optimizer"),
    ("validation_fraction", 1.0, "Setting training.validation_fraction is 1.0: expected a number in [0, 1). Pass "
                                 "--validation-fraction or --set training.validation_fraction=VALUE"),
])
def test_settings_are_validated_with_the_fix(setting, value, expected):
    with pytest.raises(CustomerSentimentError, match=re.escape(expected)):
        TrainingArguments(**{setting: value})


def test_a_non_finite_gradient_stops_training_at_that_step():
    with pytest.raises(CustomerSentimentError, match=r"Training diverged at epoch 1, batch \d+: the gradient is (nan|inf)"):
        train(optimizer="sgd", learning_rate=1e38, momentum=0.0, epochs=5)


def test_a_non_finite_loss_stops_training_and_leaves_no_checkpoint(tmp_path):
    from customer_sentiment.models.bag import BagOfEmbeddings
    from customer_sentiment.text import EncodedReviews
    from customer_sentiment.training import RunDirectory, Trainer

    model = BagOfEmbeddings(vocab_size=5, num_classes=2)
    with torch.no_grad():
        model.embedding.weight[3] = float("inf")
    data = EncodedReviews(np.array([1, 2, 3, 4]), np.array([0, 2, 4]), np.array([0, 1]))
    run = RunDirectory(tmp_path)
    run.start("", {}, {})
    args = _resolved(epochs=1, batch_size=2, learning_rate=0.1, validation_fraction=0.0)
    with pytest.raises(CustomerSentimentError, match=r"Training diverged at epoch 1, batch 1: the loss is nan"):
        Trainer(model, data, None, args, torch.device("cpu"), run, verbose=False).fit()
    assert not run.checkpoint_path.exists()


def test_a_checkpoint_with_a_non_finite_value_is_refused(tmp_path):
    from customer_sentiment.training import RunDirectory

    run = RunDirectory(tmp_path)
    run.start("", {}, {})
    with pytest.raises(CustomerSentimentError, match=re.escape("Not writing a checkpoint: model.w holds a non-finite value")):
        run.save_checkpoint({"model": {"w": torch.tensor([1.0, float("nan")])}})
    assert not run.checkpoint_path.exists()


def _resolved(**training) -> TrainingArguments:
    from customer_sentiment.settings import resolve

    return resolve(("test", {"training": training})).training


def _bag_run(**overrides):
    from customer_sentiment.models.bag import BagOfEmbeddings
    from customer_sentiment.text import EncodedReviews
    from customer_sentiment.training import Trainer

    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 8, size=32)
    data = EncodedReviews(rng.integers(0, 50, size=lengths.sum()), np.concatenate([[0], np.cumsum(lengths)]),
                          rng.integers(0, 2, size=32))
    torch.manual_seed(0)
    model = BagOfEmbeddings(vocab_size=50, num_classes=2, embedding_dim=4)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    settings = {"epochs": 1, "learning_rate": 0.1, "validation_fraction": 0.0, "optimizer": "sgd", "momentum": 0.0,
                "schedule": "constant", **overrides}
    Trainer(model, data, None, _resolved(**settings), torch.device("cpu"), verbose=False).fit()
    return before, model.state_dict()


def test_accumulating_two_half_batches_equals_one_full_batch():
    _, whole = _bag_run(batch_size=8)
    _, halves = _bag_run(batch_size=4, accumulation_steps=2)
    for key in whole:
        torch.testing.assert_close(whole[key], halves[key], rtol=1e-5, atol=1e-6)


def test_gradient_clipping_bounds_each_step():
    before, after = _bag_run(batch_size=32, grad_clip=1e-3)            # one SGD step of learning rate 0.1
    change = torch.sqrt(sum(((after[k] - before[k]) ** 2).sum() for k in before))
    assert 0 < change <= 0.1 * 1e-3 * 1.0001
    _, unclipped = _bag_run(batch_size=32)
    assert torch.sqrt(sum(((unclipped[k] - before[k]) ** 2).sum() for k in before)) > 10 * change


def test_bf16_trains_on_cpu_and_fp16_needs_cuda():
    pipeline = train(precision="bf16", epochs=20, device="cpu")
    assert np.isfinite(pipeline.history_.epochs[-1]["train_loss"]) and pipeline.predict(TEXTS) == LABELS
    with pytest.raises(CustomerSentimentError, match=re.escape("Precision fp16 needs a CUDA GPU")):
        train(precision="fp16", device="cpu")
