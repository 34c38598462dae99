"""Review text to terms: words and phrases, function words only inside a phrase, no phrase across
punctuation, keys that decode back to their words."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from customer_sentiment.text.terms import TermVocabulary, as_text_array, term_lengths


def terms_of(*texts: str, ngram_max: int = 3) -> list[set[str]]:
    vocabulary = TermVocabulary()
    units, keys = vocabulary.term_keys(as_text_array(list(texts)), ngram_max)
    found: list[set[str]] = [set() for _ in texts]
    for unit, key in zip(units, keys, strict=True):
        found[unit].add(vocabulary.term(key))
    return found


def test_phrases_may_hold_function_words_inside_but_not_at_their_ends():
    [found] = terms_of("It was a complete waste of money")
    assert {"complete waste", "waste of money", "complete", "waste", "money"} <= found
    assert not {"it", "was", "a", "of", "it was", "waste of", "of money", "a complete"} & found


def test_negations_are_content_words():
    [found] = terms_of("It stopped heating and does not heat. Never again!")
    assert {"stopped heating", "not heat", "never", "never again", "not"} <= found


def test_no_phrase_runs_across_punctuation():
    [found] = terms_of("Not great. There is a burning plastic smell")
    assert "great there" not in found and "not great" in found and "burning plastic smell" in found


def test_case_curly_apostrophes_and_hyphens():
    first, second = terms_of("Don’t BUY the Non-Stick pan", "don't buy the non-stick pan")
    assert first == second and {"don't buy", "non-stick pan", "non-stick"} <= first


def test_units_are_the_positions_of_their_texts():
    vocabulary = TermVocabulary()
    units, keys = vocabulary.term_keys(as_text_array(["Leaks.", None, "", "Heating element"]))
    assert sorted((int(u), vocabulary.term(k)) for u, k in zip(units, keys, strict=True)) == [
        (0, "leaks"), (3, "element"), (3, "heating"), (3, "heating element")]


def test_keys_of_words_pairs_and_triples_never_collide_and_decode_back():
    vocabulary = TermVocabulary()
    text = " ".join(f"w{i}" for i in range(200))
    units, keys = vocabulary.term_keys(as_text_array([text]))
    assert len(keys) == len(set(keys.tolist())) == 200 + 199 + 198
    assert np.bincount(term_lengths(keys)).tolist() == [0, 200, 199, 198]
    assert vocabulary.term(keys[-1]) == "w197 w198 w199"


def test_ngram_max_limits_the_phrases():
    [found] = terms_of("burning plastic smell", ngram_max=2)
    assert found == {"burning", "plastic", "smell", "burning plastic", "plastic smell"}


def test_arrow_and_pandas_inputs_give_the_same_terms():
    import pandas as pd

    texts = ["Heating element died", None]
    assert as_text_array(pd.Series(texts)).to_pylist() == as_text_array(pa.array(texts)).to_pylist() == texts
