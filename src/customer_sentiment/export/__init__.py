"""Export a saved model to ONNX, behind a parity gate: a graph that runs without PyTorch.

`graphs` turns each architecture into a module `torch.onnx.export` lowers well (the bags' EmbeddingBag
as a gather and a segment sum), `onnx_graph` exports it with symbolic batch and length dimensions and
quantizes it to int8, `inference.onnx_runtime` scores token ids with onnxruntime (and refuses a file
export.json does not vouch for), `gate` compares it with eager PyTorch on held-out reviews (`check_data`), and
`exporter` writes model.onnx, model.int8.onnx and export.json only when the gate passes.
onnx, onnxruntime and onnxscript (the `[onnx]` extra) are imported only when a graph is made or run.
"""

from ..inference.onnx_runtime import OnnxScorer, load_onnx
from .exporter import ExportRecord, export_model
from .graphs import exportable

__all__ = ["ExportRecord", "OnnxScorer", "exportable", "export_model", "load_onnx"]
