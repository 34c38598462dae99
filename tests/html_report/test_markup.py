"""Escaping and highlighting: hostile text stays text, spans land where their offsets say or nowhere."""

from __future__ import annotations

import re

import pytest

from customer_sentiment.html_report.markup import Markup, escape, highlighted, join, table, tag

from .conftest import HOSTILE


def visible_text(markup: str) -> str:
    """What a reader sees: tags removed, the five escapes undone."""
    text = re.sub(r"<[^>]*>", "", markup)
    for escaped, character in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&#x27;", "'"), ("&amp;", "&")):
        text = text.replace(escaped, character)
    return text


def test_hostile_text_is_escaped_and_encodable():
    shown = escape(HOSTILE)
    assert "<" not in shown and ">" not in shown and '"' not in shown and "'" not in shown
    assert "&amp;amp;" in shown                                  # an entity in the input is shown, not decoded
    assert "\\x00" in shown and "\\x1b" in shown and "\\ud800" in shown    # control characters written out
    shown.encode("utf-8")                                        # a lone surrogate would raise here


def test_markup_is_not_escaped_twice_but_plain_strings_always_are():
    inner = tag("b", "<i>")
    assert tag("p", inner) == "<p><b>&lt;i&gt;</b></p>"
    assert join(["<i>", Markup("<br>")]) == "&lt;i&gt;<br>"
    assert tag("a", "x", href='"><script>') == '<a href="&quot;&gt;&lt;script&gt;">x</a>'


def test_table_marks_numeric_columns_and_escapes_cells():
    html = table(["name", "reviews"], [["<kettle>", "1,234"]], numeric=[1], caption="By <product>")
    assert '<td class="n">1,234</td>' in html and "<td>&lt;kettle&gt;</td>" in html
    assert "<caption>By &lt;product&gt;</caption>" in html and html.startswith('<div class="scroll">')


def test_spans_are_marked_by_side_and_strength():
    text = "The lid leaks but the tea is lovely."
    html = highlighted(text, [{"start": 0, "end": 3, "text": "The", "weight": 0.05},
                              {"start": 8, "end": 13, "text": "leaks", "weight": 0.9},
                              {"start": 29, "end": 35, "text": "lovely", "weight": -0.3}])
    marks = re.findall(r'<mark class="([\w ]+)" style="--w:([\d.]+)"[^>]*>([^<]*)</mark>', html)
    assert marks == [("toward strong", "0.75", "leaks"), ("against", "0.35", "lovely")]   # "The": too faint
    assert visible_text(html) == text


@pytest.mark.parametrize("span", [
    {"start": 30, "end": 99, "weight": 1.0},                           # past the end
    {"start": 5, "end": 5, "weight": 1.0},                             # empty
    {"start": 4, "end": 7, "text": "tea", "weight": 1.0},              # offsets into another version of the text
], ids=["past-the-end", "empty", "text-differs"])
def test_a_span_that_does_not_fit_is_left_unmarked(span):
    text = "The lid leaks but the tea is lovely."
    html = highlighted(text, [span])
    assert "<mark" not in html and visible_text(html) == text


def test_overlapping_spans_mark_the_first_only_and_hostile_text_stays_text():
    text = "Terrible " + HOSTILE
    html = highlighted(text, [{"start": 0, "end": 8, "weight": 0.5}, {"start": 4, "end": 20, "weight": 0.9},
                              {"start": 9, "end": 17, "weight": -0.2}])
    assert html.count("<mark") == 2 and "<script" not in html
    assert visible_text(html) == visible_text(escape(text))
