"""Each architecture as a module that exports to ONNX with the same logits as the eager model.

`nn.EmbeddingBag` exports badly (the legacy exporter fails on empty bags, the dynamo exporter lowers
it to a loop over bags), so the bags export as a gather of each token's row and a segment sum taken
as the difference of a running sum (CumSum, in float64 so that the difference loses nothing) at each
review's end and start: an empty review sums nothing, as in PyTorch. Not a scatter-add (`index_add`):
onnxruntime's CPU ScatterND with reduction="add" races between threads on repeated indices and gave
other logits from run to run (microsoft/onnxruntime#18048, #23396).
MiniLM exports with Hugging Face's "eager" attention (an additive mask, softmax, two MatMuls) rather
than its default SDPA, which the exporter decomposes with a NaN guard (`IsNaN` + `Where`) over every
(batch, heads, time, time) score: measured on 2 cores, that guard took 35 % of the int8 graph's time,
and eager attention made the fp32 graph 1.4x and the int8 graph 1.35x faster, with the same logits.
The graph takes the inputs `collate` makes (token ids from the shared Python tokenizer) and returns
logits; the softmax, the calibration's temperature and the mean over windows stay in Python.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from ..errors import CustomerSentimentError
from ..models import SentimentModel
from ..models.bag import BagOfEmbeddings
from ..models.naive_bayes import NaiveBayesBag

# Sequence architectures the dynamo exporter lowers as they are (checked by the parity gate, as all are).
SEQUENCE_EXPORTS = ("cnn.v1", "transformer.v1", "minilm_l6.v1")
# Modules whose int8 weights move the labels most, tried in fp32 when int8 throughout fails the gate.
# MiniLM's first layer (measured on 500 held-out IMDB reviews: 98.0 % of labels as eager with every
# layer in int8, 99.2 % with the first in fp32; the last layer in fp32, or the feed-forward outputs, gave
# 98.0 % and 98.4 %): its rounding errors go through the five layers above it.
INT8_SENSITIVE = {"minilm_l6.v1": ("encoder.encoder.layer.0.",)}
# Why the others are refused, said to the user.
NOT_EXPORTABLE = {"bigru_attention.v1": "torch.export cannot trace pack_padded_sequence, whose sizes come from the "
                                        "data; it needs a GRU over padded steps with masks first"}


class BagGraph(nn.Module):
    """Sum (or mean) of each review's rows of `table`, then an optional linear layer: EmbeddingBag's logits."""

    def __init__(self, table: torch.Tensor, bias: torch.Tensor, weight: torch.Tensor | None = None,
                 mean: bool = False):
        super().__init__()
        self.register_buffer("table", table.detach().clone())                  # (vocab_size, width)
        self.register_buffer("bias", bias.detach().clone())                    # (num_classes,)
        self.register_buffer("weight", None if weight is None else weight.detach().clone())  # (classes, width)
        self.mean = mean

    def forward(self, ids: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
        ends = torch.cat([offsets[1:], offsets.new_full((1,), ids.shape[0])])  # (batch,) one past each review
        rows = nn.functional.embedding(ids, self.table).double()                # (tokens, width): one Gather
        running = torch.cat([rows.new_zeros((1, rows.shape[1])), torch.cumsum(rows, 0)])  # (tokens + 1, width)
        pooled = (running.index_select(0, ends) - running.index_select(0, offsets)).to(self.table.dtype)  # (batch, width)
        if self.mean:
            counts = (ends - offsets).clamp(min=1).to(pooled.dtype)             # an empty review stays zeros
            pooled = pooled / counts[:, None]
        if self.weight is not None:
            pooled = pooled @ self.weight.T                                     # (batch, num_classes)
        return pooled + self.bias


def exportable(model: SentimentModel) -> nn.Module:
    """The module to export for `model`, in evaluation mode; a clear refusal for an architecture not supported.

    >>> from customer_sentiment.models.bag import BagOfEmbeddings
    >>> type(exportable(BagOfEmbeddings(vocab_size=10, num_classes=2))).__name__
    'BagGraph'
    """
    if isinstance(model, BagOfEmbeddings):
        return BagGraph(model.embedding.weight, model.classifier.bias, model.classifier.weight, mean=True).eval()
    if isinstance(model, NaiveBayesBag):
        return BagGraph(model.weight * model.ratios, model.bias).eval()        # the scaled table, folded once
    if model.name == "minilm_l6.v1":
        return with_eager_attention(model)
    if model.name in SEQUENCE_EXPORTS:
        return model.eval()
    supported = ", ".join(["bag_of_embeddings.v1", "naive_bayes_bag.v1", *SEQUENCE_EXPORTS])
    raise CustomerSentimentError(
        f"{model.name} cannot be exported to ONNX yet ({NOT_EXPORTABLE.get(model.name, 'no export graph for it')})",
        expected=f"one of {supported}", fix="Score it with `customer-sentiment predict` (PyTorch), or train one of those.")


def with_eager_attention(model: SentimentModel) -> nn.Module:
    """A copy of a Hugging Face encoder model whose attention is written out as plain operations; the model
    given keeps its own (SDPA, faster in PyTorch)."""
    graph = copy.deepcopy(model).eval()
    if hasattr(graph.encoder, "set_attn_implementation"):
        graph.encoder.set_attn_implementation("eager")
    else:                       # older transformers: it may keep SDPA (slower, same logits: the gate checks)
        graph.encoder.config._attn_implementation = "eager"
    return graph
