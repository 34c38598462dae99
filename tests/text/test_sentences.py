"""Reviews to sentences: offsets that slice back to each sentence, the tricky boundaries of review text,
long texts segmented in windows with the same result."""

from __future__ import annotations

import pytest

from customer_sentiment.text.sentences import sentence_spans, split_sentences


def sentences(text: str, **options) -> list[str]:
    return [text[start:end] for start, end in sentence_spans(text, **options)]


@pytest.mark.parametrize(("text", "expected"), [
    ("Dr. Smith said it's ok. It works.", ["Dr. Smith said it's ok.", "It works."]),
    ("The 5.5 inch screen is sharp. Battery is weak.", ["The 5.5 inch screen is sharp.", "Battery is weak."]),
    ("Arrived on Jan. 5 at 3 p.m. and worked fine. Then it broke.",
     ["Arrived on Jan. 5 at 3 p.m. and worked fine.", "Then it broke."]),
    # A clause is not a sentence: the mixed review stays whole here; the model scores its sentences.
    ("love the taste, but it leaked", ["love the taste, but it leaked"]),
    # Review text: all lower case, an emoticon before the full stop, no space after the mark.
    ("not great. there is a burning plastic smell", ["not great.", "there is a burning plastic smell"]),
    ("Love it :). But it leaked.", ["Love it :).", "But it leaked."]),
    ("Great fryer!Doesn't smell.", ["Great fryer!", "Doesn't smell."]),
    ("Great!! Would buy again", ["Great!!", "Would buy again"]),
])
def test_review_sentence_boundaries(text, expected):
    assert sentences(text) == expected


def test_three_exclamation_marks_are_no_boundary_for_pysbd():
    """A known miss of pySBD 0.3.4 (see the module): if an upgrade splits it, update the module's notes."""
    assert sentences("Great!!! Would buy again") == ["Great!!! Would buy again"]


def test_offsets_slice_back_to_stripped_ordered_sentences():
    texts = ["  Leading space. Two  spaces between.  ", "Café was great 😀. Then it broke!", "One.\n\nTwo."]
    frame = split_sentences(texts)
    for row in frame.itertuples():
        assert texts[row.review][row.start:row.end] == row.sentence == row.sentence.strip()
    for _, part in frame.groupby("review"):
        assert (part["start"].to_numpy()[1:] >= part["end"].to_numpy()[:-1]).all()
    assert frame["sentence"].tolist() == ["Leading space.", "Two  spaces between.", "Café was great 😀.",
                                          "Then it broke!", "One.", "Two."]


def test_empty_and_missing_texts_have_no_sentences_and_keep_positions():
    frame = split_sentences(["", None, "   ", "Fine. Broke."])
    assert frame[["review", "sentence"]].values.tolist() == [[3, "Fine."], [3, "Broke."]]
    assert list(split_sentences([]).columns) == ["review", "start", "end", "sentence"]


def test_a_long_text_segmented_in_windows_gives_the_same_sentences():
    text = " ".join(f"Sentence number {i} says the lid leaks, e.g. at 3 p.m. every day." for i in range(40))
    assert len(text) > 2_500
    assert sentence_spans(text, window=150) == sentence_spans(text, window=100_000)
    assert len(sentence_spans(text)) == 40


def test_a_sentence_longer_than_the_window_is_cut_without_losing_text():
    text = "word " * 100 + "end."
    pieces = sentences(text, window=120)
    assert len(pieces) > 1 and " ".join(pieces) == text.strip()
