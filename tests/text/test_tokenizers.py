"""The tokenizer contract, for every tokenizer in `customer_sentiment.text.TOKENIZERS`.

Each must: encode a batch to flat ids in [0, vocab_size) with offsets; survive to_dict → JSON →
from_dict with byte-identical encodings of texts it never saw; learn the same vocabulary from the
same texts in any process (Hugging Face's trainers once numbered tokens in hash-map order); encode
an empty text to no ids without disturbing its neighbours; and refuse to encode before fit.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pytest

from customer_sentiment.errors import CustomerSentimentError, NotFittedError
from customer_sentiment.text import TOKENIZERS, PretrainedTokenizer, SubwordTokenizer, WordNgramTokenizer

# Small settings, so each tokenizer learns every word of FIT_TEXTS in milliseconds.
SETTINGS = {
    WordNgramTokenizer: {"min_count": 1},
    SubwordTokenizer: {"vocab_size": 60, "min_count": 1},
    PretrainedTokenizer: {},
}
LEARNS_A_VOCABULARY = [WordNgramTokenizer, SubwordTokenizer]     # PretrainedTokenizer reads a fixed one

FIT_TEXTS = [
    "Love it, works great and the battery lasts all day.",
    "Not bad at all, no problems so far.",
    "Stopped heating after two weeks. Avoid.",
    "Terrible, the lid leaks all over my bag.",
    "It's okay, does the job.",
    "great kettle, great price",
]
HELD_OUT = [
    "The LID broke after a week; never again!",
    "Great battery, zzz qqq 🙂 café",
    "okay",
    "leaks leaks leaks",
]

# Prints {tokenizer name: its to_dict() as JSON} for the learned tokenizers, fitted in this process.
_FIT_IN_A_FRESH_PROCESS = """
import json, sys
from customer_sentiment.text import TOKENIZERS
settings, texts = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(json.dumps({c.__name__: json.dumps(c(**settings[c.__name__]).fit(texts).to_dict())
                  for c in TOKENIZERS if c.__name__ in settings}))
"""


def by_name(tokenizer_class: type) -> str:
    return tokenizer_class.__name__


@pytest.fixture(scope="module", params=TOKENIZERS, ids=by_name)
def fitted(request):
    return request.param(**SETTINGS[request.param]).fit(FIT_TEXTS)


def items(ids: np.ndarray, offsets: np.ndarray) -> list[list[int]]:
    return [ids[offsets[i]:offsets[i + 1]].tolist() for i in range(len(offsets) - 1)]


def test_every_tokenizer_has_a_contract_setting():
    assert set(SETTINGS) == set(TOKENIZERS)
    assert set(LEARNS_A_VOCABULARY) < set(TOKENIZERS)


@pytest.mark.parametrize("texts", [FIT_TEXTS, HELD_OUT], ids=["fit-texts", "held-out"])
def test_encode_batch_gives_flat_ids_in_the_vocabulary_with_offsets(fitted, texts):
    ids, offsets = fitted.encode_batch(texts)
    assert ids.ndim == 1 and offsets.ndim == 1
    assert offsets[0] == 0 and len(offsets) == len(texts) + 1 and offsets[-1] == len(ids)
    assert np.all(np.diff(offsets) >= 0)
    assert np.all(np.diff(offsets)[:len(texts)] > 0)          # every one of these texts has a token
    assert ids.min() >= 0 and ids.max() < fitted.vocab_size


def test_arrow_input_encodes_as_a_list_does(fitted):
    from_list = fitted.encode_batch(HELD_OUT)
    from_arrow = fitted.encode_batch(pa.array(HELD_OUT))
    np.testing.assert_array_equal(from_arrow[0], from_list[0])
    np.testing.assert_array_equal(from_arrow[1], from_list[1])


def test_json_round_trip_encodes_unseen_texts_identically(fitted):
    assert not set(HELD_OUT) & set(FIT_TEXTS)
    saved = json.loads(json.dumps(fitted.to_dict()))
    loaded = type(fitted).from_dict(saved)
    for before, after in zip(fitted.encode_batch(HELD_OUT), loaded.encode_batch(HELD_OUT), strict=True):
        assert (after.dtype, after.shape, after.tobytes()) == (before.dtype, before.shape, before.tobytes())
    assert loaded.vocab_size == fitted.vocab_size
    assert loaded.settings == fitted.settings == SETTINGS[type(fitted)] | loaded.settings
    assert [loaded.feature_name(i) for i in range(loaded.vocab_size)] == [
        fitted.feature_name(i) for i in range(fitted.vocab_size)]
    assert loaded.to_dict() == saved


def test_from_dict_refuses_another_format_version(fitted):
    saved = fitted.to_dict() | {"version": 99}
    name = type(fitted).format_name
    with pytest.raises(CustomerSentimentError, match=re.escape(
            f"model/tokenizer.json is not this tokenizer's JSON: expected '{name}' version 1, found format "
            f"'{name}' version 99. Train the model again with this version of customer-sentiment.")):
        type(fitted).from_dict(saved, source="model/tokenizer.json")


def test_fitting_twice_gives_the_same_tokenizer(fitted):
    again = type(fitted)(**SETTINGS[type(fitted)])
    assert again.fit(FIT_TEXTS) is again
    assert again.to_dict() == fitted.to_dict()


@pytest.fixture(scope="module")
def fitted_in_fresh_processes() -> list[dict[str, str]]:
    """The learned tokenizers' JSON from two fresh processes with different hash seeds, run side by side."""
    settings = {c.__name__: SETTINGS[c] for c in LEARNS_A_VOCABULARY}
    args = [sys.executable, "-c", _FIT_IN_A_FRESH_PROCESS, json.dumps(settings), json.dumps(FIT_TEXTS)]
    runs = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONHASHSEED": seed}) for seed in ("1", "2")]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err for _, err in outputs]
    return [json.loads(out) for out, _ in outputs]


@pytest.mark.parametrize("tokenizer_class", LEARNS_A_VOCABULARY, ids=by_name)
def test_fresh_processes_with_other_hash_seeds_learn_the_same_vocabulary(tokenizer_class, fitted_in_fresh_processes):
    first, second = (run[tokenizer_class.__name__] for run in fitted_in_fresh_processes)
    in_this_process = tokenizer_class(**SETTINGS[tokenizer_class]).fit(FIT_TEXTS).to_dict()
    assert first == second == json.dumps(in_this_process)


def test_an_empty_text_has_no_ids_and_leaves_its_neighbours_alone(fitted):
    texts = ["great kettle", "", "the lid leaks", ""]
    ids, offsets = fitted.encode_batch(texts)
    alone = [items(*fitted.encode_batch([text]))[0] for text in texts]
    assert items(ids, offsets) == alone
    assert np.diff(offsets).tolist() == [len(alone[0]), 0, len(alone[2]), 0] and len(alone[0]) > 0
    assert [a.tolist() for a in fitted.encode_batch([""])] == [[], [0, 0]]
    assert [a.tolist() for a in fitted.encode_batch([])] == [[], [0]]


@pytest.mark.parametrize("tokenizer_class", TOKENIZERS, ids=by_name)
def test_encoding_or_saving_before_fit_says_to_fit_first(tokenizer_class):
    tokenizer = tokenizer_class(**SETTINGS[tokenizer_class])
    message = re.escape(f"This {tokenizer_class.__name__} is not fitted yet. Call fit(")
    with pytest.raises(NotFittedError, match=message):
        tokenizer.encode_batch(["great kettle"])
    with pytest.raises(NotFittedError, match=message):
        tokenizer.to_dict()
