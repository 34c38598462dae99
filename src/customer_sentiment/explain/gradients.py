"""Explanations of the sequence models (CNN, GRU, Transformer, MiniLM): Captum's Layer Integrated
Gradients (Sundararajan et al., 2017) on the token embeddings.

The path runs from a baseline, the same review with every token replaced by padding ([PAD], id 0;
the special tokens [CLS] and [SEP] of MiniLM and the review's length kept), to the review, in
`STEPS` steps (Gauss-Legendre). Only the token embedding moves along it: the Transformers' position
embeddings are the same at both ends. A token's attribution is the integral summed over its
embedding's dimensions; by completeness the attributions sum to the margin of the review minus the
margin of the baseline, up to Captum's convergence delta (returned, so it can be checked).

A review longer than the model's window is scored by the predictor as overlapping windows, its
probabilities the mean of theirs; it is explained the same way: every window is attributed, and a
token's weight is the sum of its attributions over the windows holding it divided by the number of
windows, so the weights decompose the mean of the windows' margins.
"""

from __future__ import annotations

import numpy as np
import torch
from captum.attr import LayerIntegratedGradients
from torch import nn

from ..inference import as_items
from ..text import EncodedReviews

STEPS = 50                # points on the path from the baseline; the convergence delta is checked in the tests
WINDOWS_PER_CALL = 4      # windows attributed together: STEPS * 4 rows go through the model at a time
PAD_ID = 0                # [PAD] in every sub-word vocabulary here (learned BPE and MiniLM's WordPiece)


def token_embedding(model: nn.Module) -> nn.Embedding:
    """The layer whose output is attributed: the model's own token embedding (MiniLM's word embeddings)."""
    if isinstance(getattr(model, "embedding", None), nn.Embedding):
        return model.embedding
    return model.encoder.get_input_embeddings()


def review_windows(model: nn.Module, length: int) -> list[np.ndarray]:
    """The token positions of each window the predictor scores a review of `length` tokens in."""
    positions = as_items(model, EncodedReviews(np.arange(length), np.array([0, length])))
    return positions.docs(0, len(positions))


def token_attributions(model: nn.Module, docs: list[np.ndarray], directions: np.ndarray,
                       steps: int = STEPS) -> list[tuple[np.ndarray, float, float]]:
    """Per review: each token's attribution to the margin along `directions[review]` (see the module
    docstring), the margin itself and the baseline's margin, both averaged over the review's windows."""
    windows = [(review, positions) for review, doc in enumerate(docs) for positions in review_windows(model, len(doc))]
    weights = [np.zeros(len(doc)) for doc in docs]
    margins, bases, counts = np.zeros(len(docs)), np.zeros(len(docs)), np.zeros(len(docs))
    # [CLS] ... [SEP]: half of the special tokens come before the review's own (MiniLM; none for the others).
    first = getattr(model, "special_tokens", 0) // 2
    for start in range(0, len(windows), WINDOWS_PER_CALL):
        chunk = windows[start:start + WINDOWS_PER_CALL]
        attributions, margin, base = _attribute(model, [docs[r][p] for r, p in chunk],
                                                directions[[r for r, _ in chunk]], steps)
        for row, (review, positions) in enumerate(chunk):
            weights[review][positions] += attributions[row, first:first + len(positions)]
            margins[review] += margin[row]
            bases[review] += base[row]
            counts[review] += 1
    return [(w / n, m / n, b / n) for w, m, b, n in zip(weights, margins, bases, counts, strict=True)]


def _attribute(model: nn.Module, docs: list[np.ndarray], directions: np.ndarray,
               steps: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Attributions (windows, time) of a batch of windows, and the margins of the windows and their baselines."""
    device = next(model.parameters()).device
    batch = {k: v.to(device) for k, v in model.collate(docs).items()}
    baseline = model.collate([np.full(len(doc), PAD_ID, dtype=np.int64) for doc in docs])["ids"].to(device)
    direction = torch.as_tensor(directions, dtype=torch.float32, device=device)      # (windows, classes)

    def margin(ids: torch.Tensor, lengths: torch.Tensor, along: torch.Tensor) -> torch.Tensor:
        return (model(ids=ids, lengths=lengths).float() * along).sum(dim=1)           # (windows,)

    # cuDNN's GRU has no backward pass in evaluation mode; the plain kernels do.
    with torch.enable_grad(), torch.backends.cudnn.flags(enabled=False):
        attributions = LayerIntegratedGradients(margin, token_embedding(model)).attribute(
            batch["ids"], baseline, additional_forward_args=(batch["lengths"], direction), n_steps=steps,
            internal_batch_size=steps * WINDOWS_PER_CALL)
    with torch.no_grad():
        ends = [margin(ids, batch["lengths"], direction).double().cpu().numpy() for ids in (batch["ids"], baseline)]
    return attributions.sum(dim=2).double().detach().cpu().numpy(), ends[0], ends[1]   # (windows, time)
