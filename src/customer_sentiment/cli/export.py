"""`customer-sentiment export`: the model as an ONNX graph (and int8), written only if it scores
held-out reviews as PyTorch does (the parity gate), with export.json beside it."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ..console import console
from .common import ENCODING, Delimiter, Encoding, ModelDir


class Format(StrEnum):
    onnx = "onnx"


class Quantize(StrEnum):
    int8 = "int8"


def export(
    model_dir: ModelDir,
    format: Annotated[Format, typer.Option("--format", help="Graph format.")] = Format.onnx,
    quantize: Annotated[Quantize | None, typer.Option(
        help="Also write model.int8.onnx (onnxruntime's dynamic quantization), gated by labels and accuracy.",
        show_default="no int8 file")] = None,
    check_data: Annotated[Path | None, typer.Option(
        help="Labelled reviews the model did not train on, for the parity gate (the first 2,000), with the "
             "model's columns.", show_default="the validation split of the training file, if it is still there")] = None,
    threads: Annotated[int | None, typer.Option(min=1, help="onnxruntime's threads.",
                                                show_default="the cores this process may use")] = None,
    encoding: Encoding = ENCODING,
    delimiter: Delimiter = None,
):
    """Export a model to ONNX (model.onnx, and model.int8.onnx with --quantize int8) and export.json.

    Nothing is written unless the graph matches PyTorch on held-out reviews: probabilities within 1e-4 and
    every label the same (int8: 99 % of the labels, at most 0.5 point of accuracy lost).
    """
    from ..export import export_model
    from ..io import ReadOptions

    result = export_model(model_dir, quantize.value if quantize else None, check_data,
                          ReadOptions(encoding, delimiter), threads)
    console.print(f"Checked on {result.record['check_data']}.")
    for name, file in result.record["files"].items():
        figures = file["parity"]
        accuracy = (f", accuracy {figures['accuracy']:.4f} (PyTorch {figures['accuracy_eager']:.4f})"
                    if "accuracy" in figures else ", accuracy not checked (the check reviews have no labels)")
        console.print(f"{name}: {file['bytes'] / 1e6:.2f} MB, largest probability difference "
                      f"{figures['max_abs_prob_diff']:.2g}, labels the same {100 * figures['label_agreement']:.2f} %"
                      f"{accuracy}")
    console.print(f"Wrote {', '.join(str(path) for path in result.files)}")
