"""Review text to terms: lower-cased words and phrases of 2 or 3 words, as integer keys, for counting which
terms drive negative reviews (`drivers`).

A phrase does not run across punctuation ("great. there" is no phrase) and neither starts nor ends with a
function word: "heating element", "stopped heating" and "waste of money" are terms, "the", "it" and "it was"
are not. Negations and intensifiers are content words ("not worth", "too loud"); particles may end a
phrase ("broke down", "never again") but are no term alone.

Vectorized like `word_ngrams`: Arrow splits the texts, each distinct token of a chunk is looked up once in
Python, NumPy builds the phrase keys. Word ids start at 1 (0 is a break); a phrase's key is its word ids
in base WORD_BASE, `(w1 * B + w2) * B + w3`, so the keys of words, pairs and triples never collide.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

FUNCTION_WORDS = frozenset("""a about above after all also am an and any are as at be because been before being below
between both but by can could did do does doing during each few for from further had has have having he her here hers
herself him himself his how i i'd i'll i'm i've if in into is it it's its itself just let's me most my myself now of on
once or other our ours ourselves own same she she's should so some such than that that's the their theirs them
themselves then there there's these they they'd they'll they're they've this those through to under until us very was we
we'd we'll we're we've were what when where which while who whom why will with would you you'd you'll you're you've your
yours yourself""".split())
# Particles end a phrase ("broke down", "peeling off", "never again", "expected more") but are no term alone
# and start none.
PARTICLES = frozenset("again apart away back down more off out over up".split())
# B**3 < 2**63: a triple's key fits int64. Words past the first B - 1 distinct ones count as breaks.
WORD_BASE = 1 << 21
_PUNCTUATION = r"[^\pL\pN\s'’-]+"          # apostrophes and hyphens stay inside words (don't, non-stick)


class TermVocabulary:
    """The words seen so far, and the terms of texts as keys.

    >>> vocabulary = TermVocabulary()
    >>> units, keys = vocabulary.term_keys(as_text_array(["The heating element died. Avoid!"]))
    >>> sorted(vocabulary.term(key) for key in keys)
    ['avoid', 'died', 'element', 'element died', 'heating', 'heating element', 'heating element died']
    """

    def __init__(self):
        self.ids: dict[str, int] = {}                  # word -> id
        self.words: list[str] = [""]                   # words[id]; id 0 is a break
        self._tokens: dict[str, int] = {}              # token as written -> id: most tokens of a chunk are known
        self.kind = np.zeros(1, dtype=np.int8)         # (words,) 0 content, 1 particle, 2 function word

    def id_of(self, token: str) -> int:
        """The id of a token's word (lower-cased, curly apostrophes straightened), added if new; 0 for punctuation."""
        if token in self._tokens:
            return self._tokens[token]
        word = token.lower().replace("’", "'").strip("'-")
        if word not in self.ids and any(ch.isalnum() for ch in word) and len(self.words) < WORD_BASE:
            self.ids[word] = len(self.words)
            self.words.append(word)
        self._tokens[token] = self.ids.get(word, 0)
        return self._tokens[token]

    def term_keys(self, texts: pa.Array, ngram_max: int = 3) -> tuple[np.ndarray, np.ndarray]:
        """(unit, key) of every term occurrence in `texts` (unit: the position of its text)."""
        tokens = pc.utf8_split_whitespace(pc.replace_substring_regex(texts, pattern=_PUNCTUATION, replacement=" | "))
        encoded = pc.dictionary_encode(pc.list_flatten(tokens))
        ids = np.array([self.id_of(t) for t in encoded.dictionary.to_pylist()], dtype=np.int64)
        ids = ids[encoded.indices.to_numpy(zero_copy_only=False)] if len(ids) else np.zeros(0, np.int64)   # (tokens,)
        if len(self.kind) < len(self.words):
            new = self.words[len(self.kind):]
            self.kind = np.append(self.kind, [2 if w in FUNCTION_WORDS else w in PARTICLES for w in new]).astype(np.int8)
        unit = np.repeat(np.arange(len(texts)), pc.list_value_length(tokens).fill_null(0).to_numpy())   # (tokens,)
        inside = ids > 0                                              # may be inside a term; may start / end one:
        first, last = inside & (self.kind[ids] == 0), inside & (self.kind[ids] < 2)
        units, keys, key, whole = [], [], ids.copy(), inside.copy()
        for n in range(1, min(ngram_max, len(ids)) + 1):
            span = len(ids) - n + 1                                   # terms of n words start at 0..span-1
            if n > 1:
                key, whole = key[:span] * WORD_BASE + ids[n - 1:], whole[:span] & inside[n - 1:]
            valid = whole & first[:span] & (last[n - 1:] if n > 1 else True) & (unit[:span] == unit[n - 1:])
            units.append(unit[:span][valid])
            keys.append(key[valid])
        return np.concatenate(units or [np.zeros(0, np.int64)]), np.concatenate(keys or [np.zeros(0, np.int64)])

    def term(self, key: int) -> str:
        """The words of a key, joined by spaces."""
        parts = []
        while key:
            key, word = divmod(int(key), WORD_BASE)
            parts.append(self.words[word])
        return " ".join(reversed(parts))


def term_lengths(keys: np.ndarray) -> np.ndarray:
    """The number of words of each key.

    >>> term_lengths(np.array([5, 5 * WORD_BASE + 7, (5 * WORD_BASE + 7) * WORD_BASE + 9])).tolist()
    [1, 2, 3]
    """
    keys = np.asarray(keys, dtype=np.int64)
    return 1 + (keys >= WORD_BASE).astype(np.int64) + (keys >= WORD_BASE**2)


def as_text_array(texts) -> pa.Array:
    """Texts (a list, NumPy or pandas column, or Arrow array) as an Arrow large_string array; missing ones null."""
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    if isinstance(texts, pa.Array):
        return texts.cast(pa.large_string())
    return pa.array(np.asarray(texts, dtype=object), type=pa.large_string(), from_pandas=True)
