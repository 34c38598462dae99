"""Every lesson in tutorials/ runs top to bottom, and what it teaches holds in its own results."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "tutorials").glob("[0-9][0-9]_*.py"))


def run_lesson(number: int, monkeypatch) -> dict:
    """Run lesson `number` as `python tutorials/NN_*.py` would (from the repo root); its globals."""
    (path,) = [p for p in LESSONS if p.name.startswith(f"{number:02d}_")]
    monkeypatch.chdir(ROOT)
    return runpy.run_path(str(path), run_name="__main__")


def test_lessons_are_numbered_one_to_nine_in_percent_format():
    assert [int(p.name[:2]) for p in LESSONS] == list(range(1, 10))
    for path in LESSONS:
        text = path.read_text()
        assert text.startswith("# %% [markdown]\n# # Lesson"), path.name
        assert "# Expected" in text, f"{path.name} should state the output a learner should expect"


def test_01_tensors(monkeypatch):
    lesson = run_lesson(1, monkeypatch)
    assert lesson["ratings"].shape == (2400,)
    assert lesson["shares_memory"]                                  # from_numpy shares the NumPy buffer


def test_02_autograd(monkeypatch):
    lesson = run_lesson(2, monkeypatch)
    assert lesson["gradients_agree"]                                # hand-written gradient == autograd's
    assert lesson["gradcheck_passed"]
    assert lesson["accuracy"] > 0.7                                 # the hand-written descent learned


def test_03_modules(monkeypatch):
    lesson = run_lesson(3, monkeypatch)
    assert lesson["same_as_mean"]                                   # EmbeddingBag(mean) == mean of embeddings
    assert lesson["reloaded_same"]                                  # state_dict round trip


def test_04_data(monkeypatch):
    lesson = run_lesson(4, monkeypatch)
    assert lesson["same_tokens"]
    assert lesson["batches"] == 75


def test_05_training_loop(monkeypatch):
    lesson = run_lesson(5, monkeypatch)
    assert lesson["same_seed_identical"] and lesson["other_seed_differs"]
    assert lesson["overfits"]                                       # validation loss turns up while training loss falls
    assert lesson["neutral_recall_balanced"] > lesson["neutral_recall_unweighted"]
    assert max(lesson["results"]["adam"], lesson["results"]["adamw"]) > lesson["results"]["sgd"]


def test_06_sentiment_from_scratch(monkeypatch):
    lesson = run_lesson(6, monkeypatch)
    assert lesson["done"].returncode == 0, lesson["done"].stderr
    assert lesson["scratch_accuracy"] > lesson["baseline_accuracy"] + 0.1   # beats always-the-majority on held-out reviews
    assert lesson["package_accuracy"] > lesson["baseline_accuracy"] + 0.1


def test_07_evaluation(monkeypatch):
    lesson = run_lesson(7, monkeypatch)
    assert lesson["model_f1"] > lesson["naive_f1"] + 0.2            # macro-F1 sees what accuracy hides
    assert lesson["naive_accuracy"] > 0.85                         # ... the naive model's accuracy looks fine
    assert lesson["same_predictions"]                              # temperature scaling keeps the argmax
    assert lesson["nll_after"] <= lesson["nll_before"]


def test_08_gpu_precision_distributed(monkeypatch):
    lesson = run_lesson(8, monkeypatch)
    assert lesson["relative_error"] < 0.05                         # bf16 autocast stays close to fp32
    assert lesson["ranks_agree"]
    assert lesson["ddp_matches_single"]                            # 2 processes x half batch == 1 x whole batch


def test_09_deployment(monkeypatch):
    lesson = run_lesson(9, monkeypatch)
    assert lesson["pickle_ran_code"]                               # the demonstration payload is real ...
    assert lesson["torch_load_refused"] and lesson["package_refused"] and lesson["code_never_ran"]
    assert lesson["export_matches"]
    assert lesson["rows_sum_to_one"] and lesson["argmax_is_predict"] and lesson["same_as_trained"]
    assert lesson["scored_rows"] == 200
    assert not lesson["folder"].exists()


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_lesson_uses_no_network_or_gpu_only_code(path):
    text = path.read_text()
    assert "urlopen" not in text and "requests." not in text and "from_pretrained(" not in text
