"""A module to an ONNX file: `torch.onnx.export(..., dynamo=True)` with symbolic batch and length
dimensions (checked after export: a size of 1 in an example gets specialized), and int8 weights by
onnxruntime's dynamic quantization (`torch.ao` quantization is deprecated)."""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from pathlib import Path

import torch
from torch import nn

from ..errors import CustomerSentimentError
from ..models import SentimentModel

OPSET = 20
OUTPUT = "logits"
# Example texts of several lengths (and an empty one): no dimension of the example is 0 or 1.
EXAMPLE_DOCS = ([3, 5, 7, 2, 9], [], [4, 4], [8])


def example_batch(model: SentimentModel, vocab_size: int) -> dict[str, torch.Tensor]:
    """`collate`'s inputs for a few small reviews: what the graph is traced with."""
    import numpy as np

    docs = [np.array([i % vocab_size for i in doc], dtype=np.int64) for doc in EXAMPLE_DOCS]
    return model.collate(docs)


def dynamic_shapes(batch: dict[str, torch.Tensor]) -> dict[str, dict[int, torch.export.Dim]]:
    """Every input's first dimension varies (reviews, or tokens for a flat bag), a 2-D one's second too (time)."""
    reviews, tokens, time = torch.export.Dim("batch"), torch.export.Dim("tokens"), torch.export.Dim("time")
    return {name: ({0: tokens} if name == "ids" and value.dim() == 1 else {0: reviews, 1: time} if value.dim() == 2
                   else {0: reviews}) for name, value in batch.items()}


def export_onnx(graph: nn.Module, batch: dict[str, torch.Tensor], path: Path) -> None:
    """Write `graph` to `path` as ONNX, inputs named as `collate` names them, output `logits`."""
    names = list(batch)
    with _quiet():
        try:
            program = torch.onnx.export(graph, (), kwargs=batch, dynamo=True, opset_version=OPSET, input_names=names,
                                        output_names=[OUTPUT], dynamic_shapes=dynamic_shapes(batch), verbose=False,
                                        optimize=True)
        except Exception as error:        # the exporter raises many kinds; the user needs the first line
            reason = (str(error).strip().splitlines() or [type(error).__name__])[0][:300]
            raise CustomerSentimentError(f"PyTorch could not export the model to ONNX ({reason})",
                                         fix="Nothing was written. Score it with `customer-sentiment predict`.") from None
        program.save(str(path))
    check_symbolic(path)


def check_symbolic(path: Path) -> None:
    """Every input's and the output's dimensions, but the classes, are named (symbolic), not fixed sizes."""
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph
    for value in [*graph.input, *graph.output]:
        dims = value.type.tensor_type.shape.dim
        fixed = [d.dim_value for d in dims[:1 if value.name == OUTPUT else len(dims)] if not d.dim_param]
        if fixed:
            raise CustomerSentimentError(f"The exported graph's {value.name!r} has a fixed size {fixed}",
                                         expected="symbolic batch and length dimensions",
                                         fix="Nothing was written; this is a bug of the export, please report it.")


def quantize_int8(source: Path, target: Path, per_channel: bool = False, keep_fp32: tuple[str, ...] = (),
                  reduce_range: bool = False) -> None:
    """int8 weights, activations quantized at run time (onnxruntime's dynamic quantization); weights
    scaled per tensor, or per output channel with `per_channel`. The nodes of the modules named in
    `keep_fp32` (by name prefix, e.g. "encoder.encoder.layer.0.") stay in fp32. `reduce_range` keeps
    weights in 7 bits, which onnxruntime advises on x86 CPUs without VNNI: their int8 products add pairs
    in 16 bits, which can saturate."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with _quiet():
        quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=per_channel,
                         reduce_range=reduce_range, nodes_to_exclude=nodes_of_modules(source, keep_fp32) if keep_fp32 else None)


def nodes_of_modules(path: Path, prefixes: tuple[str, ...]) -> list[str]:
    """The graph's nodes that the exporter traced inside a module named with one of `prefixes` (the
    dynamo exporter records each node's module path in its `pkg.torch.onnx.name_scopes` metadata)."""
    import ast

    import onnx

    nodes = []
    for node in onnx.load(str(path), load_external_data=False).graph.node:
        scopes = next((ast.literal_eval(p.value) for p in node.metadata_props
                       if p.key == "pkg.torch.onnx.name_scopes"), [])
        if any(scope.startswith(prefix) for scope in scopes for prefix in prefixes):
            nodes.append(node.name)
    return nodes


@contextlib.contextmanager
def _quiet():
    """The exporter's progress lines and warnings (torchvision missing, say) are not the user's business."""
    loggers = [logging.getLogger(name) for name in ("torch.onnx", "torch.export", "onnxscript", "root")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
