"""Exact explanations of the linear bags: each word's and n-gram's own share of the logits.

Both bags are linear in their features, so the logits split exactly into one term per feature
occurrence plus the bias, with no approximation:
- bag of embeddings: logits = W · mean(E[f] for the review's features f) + b, so feature f adds
  W · E[f] / n, with n the number of feature occurrences (words and n-grams);
- naive-Bayes bag: logits = sum over the review's features of w[f] * r[f] + b (each feature once
  with `binary`, the default, whose share is then split evenly over its occurrences).
An n-gram's term is its phrase's weight; on the words it is split evenly over the words it spans,
so that word spans do not overlap and still sum, with the bias, to the margin.
"""

from __future__ import annotations

import numpy as np
import torch

from ..models.bag import BagOfEmbeddings
from ..models.naive_bayes import NaiveBayesBag
from ..text import WordNgramTokenizer
from .spans import WordWeights, word_spans

LINEAR = (BagOfEmbeddings, NaiveBayesBag)


@torch.no_grad()
def feature_terms(model: BagOfEmbeddings | NaiveBayesBag, doc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each feature occurrence's term of every logit (len(doc), classes), and the bias (classes,)."""
    ids = model.collate([doc])["ids"].to(next(model.parameters()).device)
    if isinstance(model, BagOfEmbeddings):
        terms = model.embedding.weight[ids] @ model.classifier.weight.T / max(len(ids), 1)   # (features, classes)
        bias = model.classifier.bias
    else:
        terms, bias = model.weight[ids] * model.ratios[ids], model.bias                        # (features, classes)
    # The model's features are the review's ids, or (binary) each once: spread each id's total over its occurrences.
    unique, inverse, counts = np.unique(doc, return_inverse=True, return_counts=True)
    totals = np.zeros((len(unique), terms.shape[1]))
    np.add.at(totals, np.searchsorted(unique, ids.cpu().numpy()), terms.double().cpu().numpy())
    return totals[inverse] / counts[inverse, None], bias.double().cpu().numpy()


@torch.no_grad()
def bag_words(model: BagOfEmbeddings | NaiveBayesBag, tokenizer: WordNgramTokenizer, text: str, doc: np.ndarray,
              direction: np.ndarray) -> WordWeights:
    """The words of one review with their exact weights along `direction` (the predicted label's margin)."""
    terms, bias = feature_terms(model, doc)
    occurrence = terms @ direction                            # (features,) each occurrence's share of the margin
    batch = {k: v.to(next(model.parameters()).device) for k, v in model.collate([doc]).items()}
    margin = float(model(**batch).double().cpu().numpy()[0] @ direction)
    words = tokenizer.tokenize(text)
    spans = word_spans(text)
    if len(spans) != len(words):                             # never seen; then phrases only, no highlighting
        spans = []
    weights = occurrence[:len(words)].copy()                  # a review's ids: its words, then its n-grams
    phrases = [(tokenizer.feature_name(i) if i else word, _shown(text, spans, k, k + 1, word), float(w))
               for k, (i, word, w) in enumerate(zip(doc[:len(words)], words, weights, strict=True))]
    for start, length, weight in _ngram_positions(tokenizer, words, doc[len(words):], occurrence[len(words):]):
        weights[start:start + length] += weight / length
        phrases.append((" ".join(words[start:start + length]),
                        _shown(text, spans, start, start + length, " ".join(words[start:start + length])), weight))
    return WordWeights(spans, weights if spans else np.zeros(0), phrases, margin, float(bias @ direction))


def _ngram_positions(tokenizer: WordNgramTokenizer, words: list[str], ngram_ids: np.ndarray,
                     weights: np.ndarray) -> list[tuple[int, int, float]]:
    """(first word, words, weight) of each n-gram feature. The tokenizer lists them by first word,
    then length, leaving out n-grams it does not know; a known n-gram is listed at every position,
    so matching names in that order places each one."""
    found, next_id = [], 0
    names = [tokenizer.feature_name(i) for i in ngram_ids]
    for start in range(len(words)):
        for length in range(2, min(tokenizer.ngram_max, len(words) - start) + 1):
            if next_id < len(names) and names[next_id] == " ".join(words[start:start + length]):
                found.append((start, length, float(weights[next_id])))
                next_id += 1
    return found


def _shown(text: str, spans: list[tuple[int, int]], first: int, stop: int, fallback: str) -> str:
    """Words first..stop-1 as the review writes them (their normalized form without spans)."""
    return text[spans[first][0]:spans[stop - 1][1]] if spans else fallback
