"""--runtime onnx: the service scores with the exported graph, as PyTorch does; explanations use the
PyTorch model beside it."""

from __future__ import annotations

import numpy as np

from ..export.conftest import exported_dir  # noqa: F401  (the session's one exported sample model)
from .conftest import started

REVIEWS = ["Love it, works great and the battery lasts all day.", "Stopped heating after two weeks. Avoid."]


def test_the_onnx_runtime_answers_as_pytorch_does(exported_dir, client):  # noqa: F811
    path, _ = exported_dir
    torch_answer = client.post("/v1/predict", json={"texts": REVIEWS}).json()
    for runtime in ("onnx", "onnx-int8"):
        with started(path, runtime=runtime) as onnx:
            assert onnx.get("/v1/model").json()["runtime"] == runtime
            answer = onnx.post("/v1/predict", json={"texts": REVIEWS}).json()
            assert [p["label"] for p in answer["predictions"]] == [p["label"] for p in torch_answer["predictions"]]
            np.testing.assert_allclose([list(p["probabilities"].values()) for p in answer["predictions"]],
                                       [list(p["probabilities"].values()) for p in torch_answer["predictions"]],
                                       atol=1e-4 if runtime == "onnx" else 0.05)
            explained = onnx.post("/v1/predict", json={"texts": REVIEWS, "explain": True}).json()["predictions"]
            assert [p["explanation"]["label"] for p in explained] == [p["label"] for p in explained]
