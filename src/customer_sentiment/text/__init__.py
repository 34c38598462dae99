"""Text to token ids: the bags' word n-gram tokenizer, the subword tokenizers of the sequence
models, and tokenized reviews as batches of items (long reviews as overlapping windows)."""

from .batches import EncodedReviews
from .subword import PretrainedTokenizer, SubwordTokenizer
from .word_ngrams import WordNgramTokenizer

TOKENIZERS = (WordNgramTokenizer, SubwordTokenizer, PretrainedTokenizer)

__all__ = ["TOKENIZERS", "EncodedReviews", "PretrainedTokenizer", "SubwordTokenizer", "WordNgramTokenizer"]
