"""Words and n-grams to feature ids: vocabulary, caps, boundaries, save/load."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from customer_sentiment.errors import CustomerSentimentError, NotFittedError
from customer_sentiment.text.word_ngrams import UNKNOWN, WordNgramTokenizer, _append_per_text

TEXTS = ["Not bad at all!", "not bad, really not bad", "Don't buy: it broke.", "Café crème was great"]


def features(tokenizer: WordNgramTokenizer, text: str) -> list[str]:
    ids, offsets = tokenizer.encode_batch([text])
    return [tokenizer.feature_name(i) for i in ids]


def test_words_are_lowercased_split_and_keep_punctuation():
    tokenizer = WordNgramTokenizer(min_count=1).fit(TEXTS)
    assert tokenizer.tokenize("Don't BUY: it broke. Café!") == ["dont", "buy", ":", "it", "broke", ".", "café", "!"]


def test_ngrams_of_known_words_follow_the_words():
    tokenizer = WordNgramTokenizer(min_count=1).fit(TEXTS)
    assert features(tokenizer, "not bad at all") == [
        "not", "bad", "at", "all", "not bad", "not bad at", "bad at", "bad at all", "at all"]


def test_ngrams_never_cross_from_one_text_to_the_next():
    tokenizer = WordNgramTokenizer(min_count=1).fit(["a b", "b c", "a b c"])
    ids, offsets = tokenizer.encode_batch(["a b", "c"])
    names = [tokenizer.feature_name(i) for i in ids]
    assert names[offsets[0]:offsets[1]] == ["a", "b", "a b"]
    assert names[offsets[1]:offsets[2]] == ["c"]


def test_unknown_words_share_id_0_and_break_ngrams():
    tokenizer = WordNgramTokenizer(min_count=1).fit(["not bad at all"])
    assert features(tokenizer, "not zzz bad") == ["not", UNKNOWN, "bad"]


def test_min_count_and_size_caps():
    texts = ["a a a b b c", "a b", "a b"]
    tokenizer = WordNgramTokenizer(min_count=2, max_words=2, max_ngrams=1).fit(texts)
    assert tokenizer.words.to_pylist() == ["a", "b"]              # c seen once; cap of 2 words
    assert [tokenizer.feature_name(i) for i in range(3, tokenizer.vocab_size)] == ["a b"]   # most frequent n-gram
    assert tokenizer.vocab_size == 1 + 2 + 1


def test_unigram_only_tokenizer_has_no_ngrams():
    tokenizer = WordNgramTokenizer(ngram_max=1, min_count=1).fit(TEXTS)
    assert all(" " not in tokenizer.feature_name(i) for i in tokenizer.encode_batch(TEXTS)[0])


def test_empty_texts_and_empty_batches():
    tokenizer = WordNgramTokenizer(min_count=1).fit(TEXTS)
    ids, offsets = tokenizer.encode_batch(["", "not bad", ""])
    assert offsets.tolist() == [0, 0, 3, 3]
    ids, offsets = tokenizer.encode_batch([])
    assert len(ids) == 0 and offsets.tolist() == [0]


def test_chunked_fit_learns_the_same_vocabulary():
    texts = [f"review {i % 7} is {'good' if i % 3 else 'not good'} really" for i in range(500)]
    whole = WordNgramTokenizer(min_count=1).fit(texts, chunk_size=10_000)
    chunked = WordNgramTokenizer(min_count=1).fit(texts, chunk_size=37)
    assert whole.to_dict() == chunked.to_dict()


def test_a_json_round_trip_gives_identical_ids():
    tokenizer = WordNgramTokenizer(min_count=1).fit(TEXTS)
    saved = json.loads(json.dumps(tokenizer.to_dict()))
    loaded = WordNgramTokenizer.from_dict(saved)
    for a, b in zip(tokenizer.encode_batch(TEXTS), loaded.encode_batch(TEXTS), strict=True):
        np.testing.assert_array_equal(a, b)
    assert saved["format"] == "customer-sentiment/word-ngram-tokenizer" and "not bad" in saved["ngrams"]


def test_texts_without_words_cannot_be_learned_from():
    with pytest.raises(CustomerSentimentError, match=re.escape("No word occurs 1 or more times in the 2 training texts")):
        WordNgramTokenizer(min_count=1).fit(["", "   "])


def test_loading_another_format_version_is_refused():
    data = WordNgramTokenizer(min_count=1).fit(TEXTS).to_dict()
    data["version"] = 99
    with pytest.raises(CustomerSentimentError, match=re.escape("version 99")):
        WordNgramTokenizer.from_dict(data)


def test_encoding_before_fit_says_to_fit():
    with pytest.raises(NotFittedError, match=re.escape("This WordNgramTokenizer is not fitted yet. Call fit(texts) first.")):
        WordNgramTokenizer().encode_batch(["x"])


def test_settings_are_validated():
    with pytest.raises(CustomerSentimentError, match="Setting tokenizer.ngram_max is 4: expected 1, 2 or 3"):
        WordNgramTokenizer(ngram_max=4)


def test_append_per_text_matches_a_plain_loop():
    rng = np.random.default_rng(0)
    lengths = rng.integers(0, 5, size=50)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    words = rng.integers(1, 100, size=offsets[-1])
    extra_texts = np.sort(rng.integers(0, 50, size=80))
    extra = rng.integers(100, 200, size=80)
    merged, new_offsets = _append_per_text(words, offsets, extra, extra_texts)
    for t in range(50):
        expected = list(words[offsets[t]:offsets[t + 1]]) + list(extra[extra_texts == t])
        assert merged[new_offsets[t]:new_offsets[t + 1]].tolist() == expected
