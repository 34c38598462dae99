"""Where each token of a review lies in its text: character offsets, so that a terminal or a web page
can highlight the words an explanation weighs.

The bags' `WordNgramTokenizer` splits words in Arrow (lower-cased, apostrophes dropped, each
punctuation mark a word of its own); `word_spans` finds the same words in the text with Python's
regular expressions and is checked against the tokenizer's count. The sub-word tokenizers report
their own offsets; `subword_words` merges the pieces of a word (MiniLM's '##' pieces, BPE's pieces
after '▁') back into the word, as Hugging Face's word ids group them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

_APOSTROPHES = "'’"
# A run of letters, digits and apostrophes, or one mark: not a letter, digit or (Arrow's) whitespace;
# Python's \s also holds \x1c-\x1f, which Arrow splits off as marks.
_WORD = re.compile(rf"(?:[^\W_]|[{_APOSTROPHES}])+|[^\w\s{_APOSTROPHES}]|_|[\x1c-\x1f]")

Span = tuple[int, int]


def word_spans(text: str) -> list[Span]:
    """Character spans of the words `WordNgramTokenizer.tokenize(text)` reads, in order; the
    apostrophes at a word's ends are left outside its span.

    >>> text = "Don't buy: 'awful'!"
    >>> [text[start:end] for start, end in word_spans(text)]
    ["Don't", 'buy', ':', 'awful', '!']
    """
    # Arrow lower-cases one character to one (İ to i), so a letter stays a letter: the words are
    # found in `text` as written.
    spans = []
    for match in _WORD.finditer(text):
        start, end = match.span()
        while start < end and text[start] in _APOSTROPHES:
            start += 1
        while end > start and text[end - 1] in _APOSTROPHES:
            end -= 1
        if start < end:                          # apostrophes alone are no word
            spans.append((start, end))
    return spans


def subword_words(text: str, offsets: list[Span], word_ids: list[int | None]) -> tuple[np.ndarray, list[Span]]:
    """The word of each sub-word token, and each word's span with the spaces at its ends left out.

    A token that names no word, or a word that is all spaces (a lone '▁'), joins the word before it
    (the word after it, at the start), so that no token's weight is lost.

    >>> subword_words("not unbelievable", [(0, 3), (3, 8), (8, 16)], [0, 1, 1])
    (array([0, 1, 1]), [(0, 3), (4, 16)])
    """
    groups: dict[object, list[int]] = {}
    for token, word in enumerate(word_ids):
        groups.setdefault(("none", token) if word is None else word, []).append(token)
    spans, members, waiting = [], [], []
    for tokens in groups.values():
        start, end = min(offsets[t][0] for t in tokens), max(offsets[t][1] for t in tokens)
        part = text[start:end]
        if not part.strip():
            (members[-1] if members else waiting).extend(tokens)
            continue
        spans.append((start + len(part) - len(part.lstrip()), end - len(part) + len(part.rstrip())))
        members.append(waiting + tokens)
        waiting = []
    word_of_token = np.full(len(word_ids), -1, dtype=np.int64)       # -1: no word in the text at all
    for index, tokens in enumerate(members):
        word_of_token[tokens] = index
    return word_of_token, spans


@dataclass
class WordWeights:
    """One review's words with their signed weights, and its phrases (a word, or a bag's n-gram).

    `phrases` are (key, shown, weight) per occurrence: `key` groups the occurrences of one phrase
    (as the tokenizer normalizes it), `shown` is its first occurrence as written. `margin` is the
    model's logit margin for the predicted label and `base` the part of it no word gets.
    """

    spans: list[Span]
    weights: np.ndarray
    phrases: list[tuple[str, str, float]]
    margin: float
    base: float
