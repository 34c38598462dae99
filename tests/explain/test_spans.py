"""Character spans of the words a tokenizer reads, for highlighting."""

from __future__ import annotations

import itertools

import pytest

from customer_sentiment.explain.spans import word_spans
from customer_sentiment.io import clean_texts
from customer_sentiment.text import WordNgramTokenizer

TRICKY = ["Don't buy: 'awful'!", "İstanbul ΟΔΟΣ café naïve", "x\x1cy\x1f z", "snake_case__x", "emoji 😀👍🏽 ok",
          "½ ² 一二 ﬁne", "e\u0301 combining", "'' ' ’’ rock'n'roll", "ǅ ß ẞ", "1,000.50$ 3rd", "<b>bold</b> &amp; co"]


@pytest.fixture(scope="module")
def tokenizer() -> WordNgramTokenizer:
    return WordNgramTokenizer(min_count=1).fit(["a b c"])


@pytest.mark.parametrize("text", TRICKY)
def test_word_spans_find_the_tokenizers_words(tokenizer, text):
    text = clean_texts([text]).to_pylist()[0]
    spans = word_spans(text)
    words = tokenizer.tokenize(text)
    assert len(spans) == len(words)
    for (start, end), word in zip(spans, words, strict=True):    # the same word, lower-cased one letter to one
        shown = text[start:end].replace("'", "").replace("’", "")
        assert "".join(char.lower()[0] for char in shown) == word
    assert spans == sorted(spans) and all(a[1] <= b[0] for a, b in itertools.pairwise(spans))
