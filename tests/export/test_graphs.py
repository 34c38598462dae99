"""The exported graphs give the eager model's logits: empty reviews, batches of 1 and 7, any length."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from customer_sentiment import SentimentPipeline
from customer_sentiment.errors import CustomerSentimentError
from customer_sentiment.export import exportable, load_onnx
from customer_sentiment.inference.predictor import encode
from customer_sentiment.models import get_architecture
from tests.conftest import tiny_training

HELD_OUT = ["", "Broke after a week, the lid leaks.", "Love it!", "", "It's okay I guess, average sound and a "
            "battery that lasts a day, nothing special but not bad either", "Terrible.", "great great great"]


def eager_and_batch(pipeline, texts):
    model = pipeline.predictor_.model
    batch = model.collate(encode(pipeline.tokenizer_, texts).docs(0, len(texts)))
    with torch.inference_mode():
        return model(**batch).numpy(), batch


@pytest.mark.parametrize("architecture", ["bag_of_embeddings.v1", "naive_bayes_bag.v1"])
def test_the_bag_graph_gives_the_eager_logits(architecture, sample_reviews):
    pipeline = SentimentPipeline(architecture, training=tiny_training(epochs=1), verbose=False).fit(
        sample_reviews.texts[:200], sample_reviews.labels[:200])
    eager, batch = eager_and_batch(pipeline, HELD_OUT)
    with torch.inference_mode():
        graph = exportable(pipeline.predictor_.model)(**batch).numpy()
    np.testing.assert_allclose(graph, eager, atol=1e-5, rtol=0)         # HELD_OUT[0] and [3] are empty reviews
    for texts in (["", ""], ["Love it!", ""], [""]):                     # only empty reviews; a trailing empty one
        eager, batch = eager_and_batch(pipeline, texts)
        with torch.inference_mode():
            np.testing.assert_allclose(exportable(pipeline.predictor_.model)(**batch).numpy(), eager, atol=1e-5, rtol=0)


@pytest.mark.parametrize("size", [1, 7])
def test_the_onnx_graph_has_dynamic_batch_and_length(exported_dir, sample_pipeline, size):
    scorer = load_onnx(exported_dir[0], threads=1)
    texts = HELD_OUT[:size] if size > 1 else ["Works great, no problems so far, would buy again."]
    eager, batch = eager_and_batch(sample_pipeline, texts)
    onnx = scorer.session.run(None, {name: value.numpy() for name, value in batch.items()})[0]
    assert onnx.shape == (size, 3)
    np.testing.assert_allclose(onnx, eager, atol=1e-5, rtol=0)


def test_an_architecture_without_a_graph_is_refused_with_the_reason():
    model = get_architecture("bigru_attention.v1")(vocab_size=20, num_classes=2)
    with pytest.raises(CustomerSentimentError, match=re.escape("bigru_attention.v1 cannot be exported to ONNX yet "
                                                               "(torch.export cannot trace pack_padded_sequence")):
        exportable(model)


def test_minilm_exports_attention_as_plain_operations_with_the_eager_logits(tmp_path):
    """SDPA exports with a NaN guard (IsNaN + Where) over every attention score, a third of the int8
    graph's time; the export takes Hugging Face's eager attention instead, on a copy of the model."""
    pytest.importorskip("transformers")
    import onnx
    import onnxruntime as ort

    from customer_sentiment.export.onnx_graph import example_batch, export_onnx

    tiny = {"vocab_size": 128, "hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 4,
            "intermediate_size": 32, "max_position_embeddings": 64, "type_vocab_size": 2}
    torch.manual_seed(0)
    model = get_architecture("minilm_l6.v1").from_saved(128, 2, {"freeze_encoder": False, "dropout": 0.1,
                                                                "_encoder_config": tiny}).eval()
    path = tmp_path / "minilm.onnx"
    export_onnx(exportable(model), example_batch(model, 128), path)
    assert "IsNaN" not in {node.op_type for node in onnx.load(str(path)).graph.node}
    assert model.encoder.config._attn_implementation != "eager"            # the model scoring in PyTorch keeps SDPA
    docs = [np.array(doc, dtype=np.int64) for doc in ([5, 9, 11, 3], [7], [], [12] * 30)]
    batch = model.collate(docs)
    with torch.inference_mode():
        eager = model(**batch).numpy()
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(session.run(None, {k: v.numpy() for k, v in batch.items()})[0], eager, atol=1e-5, rtol=0)
