"""Reviews to sentences, each with its character offsets in the review, so a mixed review can be scored
sentence by sentence and each part shown in place.

The boundaries are pySBD's (Sadvilkar & Neumann 2020: the "Golden Rules" of sentence boundaries, rules only,
no model or data download). Of the three segmenters measured on 24 tricky review sentences it got 21 right,
blingfire and syntok 19 each. pySBD alone splits lower-case reviews ("not great. there is a burning smell");
blingfire misses a boundary with no space ("Great fryer!Doesn't smell."), syntok one after an emoji or
emoticon ("Love it :). But it leaked.") or a price ("$19.99. Cheap!"); all three keep "Dr. Smith", "5.5
inch", "3 p.m." and the clause "love the taste, but it leaked" whole. pySBD misses a boundary after three or
more "!" ("Great!!! Would buy again" stays one sentence) and after "ok.Then". It is the slowest of the
three: 3,000 to 5,000 sentences a second on one core (900 to 1,400 of the sample's reviews, 70 to 120 texts
of 1,300 characters), against 12,000 to 18,000 for syntok and 40,000 to 120,000 for blingfire (on a shared
2-core machine), whose 2021 wheel holds x86-64 binaries only (no ARM Linux, no Apple silicon). Its time also
grows with the square of a text's length, so a long review is segmented in windows of WINDOW characters:
each window's last sentence, which may run past it, is segmented again at the start of the next one, which
keeps the time linear (a 200,000-character review: about 5 seconds).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import pysbd

# pySBD's rules look at most a few words around a boundary; 2,000 characters hold a dozen sentences of a
# review, and pySBD's quadratic time on a window that size stays near its time on a short review.
WINDOW = 2_000


def sentence_spans(text: str, window: int = WINDOW) -> list[tuple[int, int]]:
    """(start, end) of each sentence of one text: `text[start:end]` is the sentence without the spaces
    around it. A text of only spaces has none. A "sentence" longer than `window` is cut at the window.

    >>> text = "Dr. Smith said it's ok. Love the taste, but it leaked!"
    >>> [text[start:end] for start, end in sentence_spans(text)]
    ["Dr. Smith said it's ok.", 'Love the taste, but it leaked!']
    """
    segmenter = pysbd.Segmenter(language="en", clean=False, char_span=True)
    spans, start = [], 0
    while start < len(text):
        pieces = [(start + s.start, start + s.end) for s in segmenter.segment(text[start:start + window])]
        if not pieces:                                      # only spaces left in this window
            start += window
            continue
        if start + window < len(text) and len(pieces) > 1:
            pieces.pop()                                    # may run past the window: taken again from its start
        spans.extend(pieces)
        start = pieces[-1][1]
    return [span for span in map(_strip, [text] * len(spans), spans) if span[1] > span[0]]


def _strip(text: str, span: tuple[int, int]) -> tuple[int, int]:
    start, end = span
    piece = text[start:end]
    return start + len(piece) - len(piece.lstrip()), end - len(piece) + len(piece.rstrip())


def split_sentences(texts: Iterable[str | None]) -> pd.DataFrame:
    """The sentences of many texts, one row each: `review` (position of its text), `start`, `end`
    (offsets in that text) and `sentence`. An empty or missing text has no rows.

    >>> split_sentences(["not great. there is a burning plastic smell", None, "Great!"]).values.tolist()
    [[0, 0, 10, 'not great.'], [0, 11, 43, 'there is a burning plastic smell'], [2, 0, 6, 'Great!']]
    """
    rows = [(i, start, end, text[start:end]) for i, text in enumerate(texts)
            if isinstance(text, str) for start, end in sentence_spans(text)]
    frame = pd.DataFrame(rows, columns=["review", "start", "end", "sentence"])
    return frame.astype({"review": "int64", "start": "int64", "end": "int64", "sentence": "object"})
