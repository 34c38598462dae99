"""Text to feature ids: lower-cased words and word n-grams, with a vocabulary learned from training data.

Speed is the point here: a bag-of-embeddings forward pass is cheap, so tokenizing is most of the
cost of training and prediction. Every step runs vectorized in Arrow's C++ kernels (lower-casing,
splitting, word lookup) or NumPy (n-gram keys), with n-gram lookup in a pandas hash index built
once; no Python loop runs per word.

A word n-gram is keyed by its word ids, `((w1 * V) + w2) * V + w3` with V the number of word ids,
so bigram and trigram keys never collide and fit in int64 while V < 2,097,152.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import CustomerSentimentError, NotFittedError
from .counts import merge_counts, most_frequent
from .saved import check_saved, check_tokens, refuse_entry

UNKNOWN = "[UNK]"
_MAX_WORD_IDS = 2_097_151              # V**3 < 2**63 for trigram keys


class WordNgramTokenizer:
    """Lower-cased words and their n-grams up to `ngram_max`, each mapped to a feature id.

    Feature 0 is any unknown word; words come next, most frequent first, then n-grams (bigrams and
    trigrams ranked together by frequency). N-grams with an unknown word are left out.

    >>> tokenizer = WordNgramTokenizer(min_count=1).fit(["not bad at all", "not good"])
    >>> tokenizer.tokenize("Not BAD, at all!")
    ['not', 'bad', ',', 'at', 'all', '!']
    >>> [tokenizer.feature_name(i) for i in tokenizer.encode_batch(["not bad"])[0]]
    ['not', 'bad', 'not bad']
    """

    format_name = "customer-sentiment/word-ngram-tokenizer"
    format_version = 1
    settings_help = {"max_words": "most frequent words kept", "max_ngrams": "most frequent bigrams and trigrams kept",
                     "ngram_max": "longest n-gram: 1 (words only), 2 or 3",
                     "min_count": "a word or n-gram must occur this often in the training texts"}

    def __init__(self, max_words: int = 100_000, max_ngrams: int = 1_000_000, ngram_max: int = 3,
                 min_count: int = 2):
        for name, value, (low, high), expected in [("ngram_max", ngram_max, (1, 3), "1, 2 or 3"),
                                                   ("max_words", max_words, (1, _MAX_WORD_IDS - 1),
                                                    f"an integer in 1..{_MAX_WORD_IDS - 1}"),
                                                   ("max_ngrams", max_ngrams, (0, None), "an integer >= 0"),
                                                   ("min_count", min_count, (1, None), "an integer >= 1")]:
            if type(value) is not int or not low <= value <= (high or value):     # bool is no size
                raise CustomerSentimentError(f"Setting tokenizer.{name} is {value!r}", expected=expected,
                                             fix=f"Pass --set tokenizer.{name}=VALUE with such a value.")
        self.max_words, self.max_ngrams, self.ngram_max, self.min_count = max_words, max_ngrams, ngram_max, min_count
        self.words: pa.Array | None = None          # word strings; word id = position + 1
        self.ngram_keys: np.ndarray | None = None   # int64 keys; feature id = len(words) + 1 + position
        self._ngram_index: pd.Index | None = None

    # ------------------------------------------------------------------ learning the vocabulary

    def fit(self, texts: Sequence[str] | pa.Array, chunk_size: int = 10_000) -> WordNgramTokenizer:
        """Learn the words and n-grams seen at least `min_count` times, up to the size caps.

        Two passes over the texts in chunks (words, then n-grams of the kept words), so memory
        grows with the number of distinct n-grams, not with the size of the corpus.
        """
        texts = _as_array(texts)
        return self.fit_chunks(lambda: (texts[i:i + chunk_size] for i in range(0, len(texts), chunk_size)))

    def fit_chunks(self, chunks: Callable[[], Iterable[Sequence[str] | pa.Array]]) -> WordNgramTokenizer:
        """`fit` on texts that arrive in chunks, e.g. read from disk: `chunks()` gives a fresh iterator
        of them for each of the two passes. The vocabulary is the one `fit` learns from the same texts.
        """
        seen = [0]

        def word_counts(chunk):
            chunk = _as_array(chunk)
            seen[0] += len(chunk)
            return pc.value_counts(_split_words(chunk).values)
        self.words = most_frequent(merge_counts(word_counts(c) for c in chunks()), self.max_words, self.min_count)
        if len(self.words) == 0:
            self.words = None
            raise CustomerSentimentError(
                f"No word occurs {self.min_count} or more times in the {seen[0]:,} training texts",
                expected="review texts", fix="Check the text column, or lower --set tokenizer.min_count.")
        self.ngram_keys = np.zeros(0, dtype=np.int64)
        self._ngram_index = None
        if self.ngram_max > 1 and self.max_ngrams > 0:
            def ngram_counts(chunk):
                words = _split_words(_as_array(chunk))
                keys = _ngram_keys(self._word_ids(words.values), words.offsets.to_numpy(), self.ngram_max,
                                   self.word_base).ravel()
                return pc.value_counts(pa.array(keys[keys >= 0]))
            counts = merge_counts(ngram_counts(c) for c in chunks())
            self.ngram_keys = most_frequent(counts, self.max_ngrams, self.min_count).to_numpy()
        return self

    @property
    def word_base(self) -> int:
        """V: the number of word ids, unknown included."""
        self._check_fitted()
        return len(self.words) + 1

    @property
    def vocab_size(self) -> int:
        """Number of feature ids (unknown word, words, n-grams)."""
        return self.word_base + len(self.ngram_keys)

    # ------------------------------------------------------------------ encoding

    def encode_batch(self, texts: Sequence[str] | pa.Array) -> tuple[np.ndarray, np.ndarray]:
        """Feature ids of many texts, flat, with offsets: text i is ids[offsets[i]:offsets[i + 1]].

        Texts should be cleaned first (`data.clean_texts`); the pipeline does that.
        """
        self._check_fitted()
        words = _split_words(_as_array(texts))
        word_ids = self._word_ids(words.values)
        offsets = words.offsets.to_numpy().astype(np.int64)
        offsets = offsets - offsets[0]
        if len(self.ngram_keys) == 0:
            return word_ids, offsets
        keys = _ngram_keys(word_ids, offsets, self.ngram_max, self.word_base)    # (words, orders)
        found = self._ngram_lookup().get_indexer(keys.ravel())
        hits = np.flatnonzero(found >= 0)
        ngram_ids = found[hits] + self.word_base
        ngram_texts = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets) * keys.shape[1])[hits]
        return _append_per_text(word_ids, offsets, ngram_ids, ngram_texts)

    def _word_ids(self, words: pa.Array) -> np.ndarray:
        return pc.index_in(words, value_set=self.words).fill_null(-1).to_numpy().astype(np.int64) + 1

    def _ngram_lookup(self) -> pd.Index:
        if self._ngram_index is None:
            self._ngram_index = pd.Index(self.ngram_keys)
        return self._ngram_index

    # ------------------------------------------------------------------ reading features back

    def tokenize(self, text: str) -> list[str]:
        """The words of one text, as the tokenizer sees them."""
        return _split_words(pa.array([text], type=pa.large_string()))[0].as_py() or []

    def feature_name(self, feature_id: int) -> str:
        """'[UNK]', a word, or an n-gram's words joined by spaces."""
        self._check_fitted()
        if feature_id == 0:
            return UNKNOWN
        if feature_id < self.word_base:
            return self.words[feature_id - 1].as_py()
        key, parts = int(self.ngram_keys[feature_id - self.word_base]), []
        while key:
            key, word = divmod(key, self.word_base)
            parts.append(self.words[word - 1].as_py())
        return " ".join(reversed(parts))

    # ------------------------------------------------------------------ saving

    @property
    def settings(self) -> dict:
        """The constructor's arguments, to rebuild this tokenizer."""
        return {"max_words": self.max_words, "max_ngrams": self.max_ngrams, "ngram_max": self.ngram_max,
                "min_count": self.min_count}

    def to_dict(self) -> dict:
        self._check_fitted()
        return {"format": self.format_name, "version": self.format_version, "settings": self.settings,
                "words": self.words.to_pylist(), "ngrams": self._ngram_strings().to_pylist()}

    def _ngram_strings(self) -> pa.Array:
        """Each n-gram's words joined by spaces, decoded from the keys without a Python loop."""
        keys, parts = self.ngram_keys.copy(), []
        while len(keys) and keys.max() > 0:
            keys, word = np.divmod(keys, self.word_base)
            parts.append(self.words.take(pa.array(np.maximum(word - 1, 0))).to_numpy(zero_copy_only=False))
            parts[-1] = np.where(word > 0, parts[-1], None)
        joined = pa.array([None] * len(self.ngram_keys), type=pa.large_string())
        for words in parts:            # parts[0] holds the last word of each n-gram
            words = pa.array(words, type=pa.large_string())
            combined = pc.binary_join_element_wise(words, joined, pa.scalar(" ", pa.large_string()))
            joined = pc.if_else(pc.is_null(joined), words, pc.if_else(pc.is_null(words), joined, combined))
        return joined.fill_null("")

    @classmethod
    def from_dict(cls, data: dict, source: str = "tokenizer") -> WordNgramTokenizer:
        check_saved(cls, data, source, {"settings": dict, "words": list, "ngrams": list})
        tokenizer = cls(**data["settings"])
        check_tokens(source, "words", data["words"], tokenizer.max_words)
        check_tokens(source, "ngrams", data["ngrams"], tokenizer.max_ngrams, spaced=True)
        tokenizer.words = pa.array(data["words"], type=pa.large_string())
        ngrams = pc.split_pattern(pa.array(data["ngrams"], type=pa.large_string()), pattern=" ")
        ids = tokenizer._word_ids(pc.list_flatten(ngrams))
        keys = np.zeros(len(ngrams), dtype=np.int64)
        lengths = pc.list_value_length(ngrams).to_numpy()
        _check_ngram_words(source, ids, lengths, tokenizer.ngram_max, data["ngrams"])
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        for j in range(int(lengths.max(initial=0))):
            has = lengths > j
            keys[has] = keys[has] * tokenizer.word_base + ids[starts[has] + j]
        tokenizer.ngram_keys = keys
        return tokenizer

    def _check_fitted(self) -> None:
        if self.words is None:
            raise NotFittedError("WordNgramTokenizer", fix="Call fit(texts) first.")


# ---------------------------------------------------------------------- vectorized helpers

def _check_ngram_words(source: str, ids: np.ndarray, lengths: np.ndarray, ngram_max: int, ngrams: list) -> None:
    """Each saved n-gram is 2..ngram_max words of the saved vocabulary."""
    unknown = np.repeat(np.arange(len(lengths)), lengths)[ids == 0]
    wrong = np.flatnonzero((lengths < 2) | (lengths > ngram_max))
    first = [*unknown[:1], *wrong[:1]]
    if first:
        index = int(min(first))
        refuse_entry(source, "ngrams", index, ngrams[index], f"2 to {ngram_max} words, each one of the saved words")


def _as_array(texts: Sequence[str] | pa.Array) -> pa.Array:
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    if isinstance(texts, pa.Array):
        return texts.cast(pa.large_string()) if texts.type != pa.large_string() else texts
    return pa.array(list(texts), type=pa.large_string())


def _split_words(texts: pa.Array) -> pa.ListArray:
    """Lower-case, drop apostrophes (don't -> dont), make each punctuation mark a word, split.

    An empty text becomes a null list (no words), so no empty word is ever produced.
    """
    texts = pc.utf8_lower(texts)
    texts = pc.replace_substring_regex(texts, pattern=r"['’]", replacement="")
    texts = pc.replace_substring_regex(texts, pattern=r"([^\pL\pN\s])", replacement=r" \1 ")
    texts = pc.ascii_trim_whitespace(texts)              # after clean_texts, spaces are ASCII
    texts = pc.if_else(pc.equal(texts, ""), pa.scalar(None, texts.type), texts)
    return pc.ascii_split_whitespace(texts)


def _ngram_keys(ids: np.ndarray, offsets: np.ndarray, ngram_max: int, base: int) -> np.ndarray:
    """(len(ids), ngram_max - 1) keys of the 2..ngram_max-grams starting at each word, -1 where none.

    An n-gram has no key where it would run past its text's end or holds an unknown word (id 0).
    Row-major order keeps the keys of text i before those of text i + 1.
    """
    m = len(ids)
    keys = np.full((m, ngram_max - 1), -1, dtype=np.int64)
    text_end = np.repeat(offsets[1:], np.diff(offsets))          # (words,) end of each word's text
    key, known = ids.copy(), ids > 0
    for n in range(2, ngram_max + 1):
        span = m - n + 1
        if span <= 0:
            break
        key = key[:span] * base + ids[n - 1:]
        known = known[:span] & (ids[n - 1:] > 0)
        valid = known & (np.arange(span) + n <= text_end[:span])
        keys[:span, n - 2] = np.where(valid, key, -1)
    return keys


def _append_per_text(word_ids: np.ndarray, offsets: np.ndarray, extra_ids: np.ndarray,
                     extra_texts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge two flat id lists so each text's words are followed by its extra ids (O(n), no sort).

    `extra_texts` (the text of each extra id) must be non-decreasing.
    """
    n_texts = len(offsets) - 1
    n_words = np.diff(offsets)
    n_extra = np.bincount(extra_texts, minlength=n_texts)
    new_offsets = np.concatenate([[0], np.cumsum(n_words + n_extra)]).astype(np.int64)
    merged = np.empty(new_offsets[-1], dtype=np.int64)
    merged[np.arange(len(word_ids)) + np.repeat(new_offsets[:-1] - offsets[:-1], n_words)] = word_ids
    first_extra = np.concatenate([[0], np.cumsum(n_extra)[:-1]])
    rank = np.arange(len(extra_ids)) - first_extra[extra_texts]
    merged[new_offsets[extra_texts] + n_words[extra_texts] + rank] = extra_ids
    return merged, new_offsets
