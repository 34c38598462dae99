"""`customer-sentiment export` end to end: the files, export.json's figures, the gate, tampering refused."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from customer_sentiment.errors import CustomerSentimentError
from customer_sentiment.export import export_model, gate, load_onnx
from tests.conftest import SAMPLE


def test_the_cli_writes_the_graphs_and_export_json(exported_dir):
    path, result = exported_dir
    assert result.returncode == 0, result.stdout + result.stderr
    said = result.stdout + result.stderr
    assert "the validation split of" in said and "model.int8.onnx: " in said
    record = json.loads((path / "export.json").read_text())
    assert record["inputs"] == ["ids", "offsets"] and record["outputs"] == ["logits"] and record["opset"] >= 18
    assert {"torch", "onnx", "onnxruntime"} <= record["versions"].keys()
    fp32, int8 = record["files"]["model.onnx"]["parity"], record["files"]["model.int8.onnx"]["parity"]
    assert fp32["reviews"] == 240 and fp32["max_abs_prob_diff"] < 1e-4 and fp32["label_agreement"] == 1.0
    assert int8["label_agreement"] >= 0.99 and int8["accuracy_points_lost"] <= 0.5
    assert 0 < int8["accuracy"] <= 1 and int8["max_abs_prob_diff"] > 0       # int8 is not a copy of fp32


def test_a_tampered_graph_is_refused_at_load(exported_dir, tmp_path):
    path = tmp_path / "model"
    shutil.copytree(exported_dir[0], path)
    load_onnx(path, quantized=True)
    with open(path / "model.onnx", "ab") as handle:
        handle.write(b"\0")
    with pytest.raises(CustomerSentimentError, match=re.escape("model.onnx is not the file that was exported")):
        load_onnx(path)


def test_a_graph_of_other_weights_is_refused_at_load(exported_dir, tmp_path):
    path = tmp_path / "model"
    shutil.copytree(exported_dir[0], path)
    weights = bytearray((path / "model.safetensors").read_bytes())
    weights[-1] ^= 1
    (path / "model.safetensors").write_bytes(bytes(weights))
    with pytest.raises(CustomerSentimentError, match=re.escape("was exported from other weights")):
        load_onnx(path)


def test_the_gate_refuses_and_writes_nothing(sample_model_dir, tmp_path, monkeypatch):
    path = tmp_path / "model"
    shutil.copytree(sample_model_dir, path)
    monkeypatch.setattr(gate, "FP32_MAX_PROB_DIFF", 0.0)          # no graph can pass: the refusal is what is tested
    with pytest.raises(CustomerSentimentError, match=re.escape("The exported model.onnx disagrees with PyTorch")):
        export_model(path, check_data=SAMPLE)
    assert sorted(p.name for p in path.iterdir()) == sorted(p.name for p in sample_model_dir.iterdir())


def test_without_check_data_a_changed_training_file_is_refused(sample_model_dir, tmp_path):
    path = tmp_path / "model"
    shutil.copytree(sample_model_dir, path)
    other = tmp_path / "other.csv"
    other.write_text("review,rating\nGreat,5\nAwful,1\n")
    config = json.loads((path / "config.json").read_text())
    config["data"]["file"] = str(other)
    (path / "config.json").write_text(json.dumps(config))
    with pytest.raises(CustomerSentimentError, match=re.escape("is not the data")) as refused:
        export_model(path)
    assert "Pass --check-data FILE" in str(refused.value) and not (path / "model.onnx").exists()


@pytest.mark.slow
@pytest.mark.parametrize("architecture", ["cnn.v1", "transformer.v1", "minilm_l6.v1"])
def test_sequence_models_export_through_the_gate(architecture, sample_reviews, tmp_path):
    from customer_sentiment import SentimentPipeline
    from tests.conftest import tiny_training

    pipeline = SentimentPipeline(architecture, training=tiny_training(epochs=1), verbose=False).fit(
        sample_reviews.texts[:200], sample_reviews.labels[:200])
    path = pipeline.save(tmp_path / "model")
    record = export_model(path, quantize="int8", check_data=SAMPLE).record
    assert record["files"]["model.onnx"]["parity"]["max_abs_prob_diff"] < 1e-4
    assert record["files"]["model.int8.onnx"]["parity"]["label_agreement"] >= 0.99


def test_too_few_check_reviews_are_refused(sample_model_dir, tmp_path):
    path = tmp_path / "model"
    shutil.copytree(sample_model_dir, path)
    few = tmp_path / "few.csv"
    few.write_text("review,rating\n" + "".join(f"Review number {i},5\n" for i in range(20)))
    with pytest.raises(CustomerSentimentError, match=re.escape("holds 20 reviews to check the export on: expected "
                                                               "at least 100")):
        export_model(path, check_data=few)
    assert not (path / "model.onnx").exists()
