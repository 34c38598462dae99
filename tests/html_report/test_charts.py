"""The charts: matplotlib SVG that is inline-ready, self-contained, deterministic and safe with user text."""

from __future__ import annotations

import re

from customer_sentiment.html_report.charts import label_share_chart, reliability_chart, share_chart

from .conftest import HOSTILE

PERIODS = [f"2025-{m:02d}" for m in range(1, 13)]
SHARES = [0.1] * 6 + [0.5] * 6
CHANGE = {"onset": "2025-07", "before_share": 0.1, "after_share": 0.5, "direction": "worse"}


def trend(name: str = "trend-0", change: dict | None = CHANGE) -> str:
    return share_chart(name, PERIODS, SHARES, [s - 0.05 for s in SHARES], [s + 0.05 for s in SHARES], change, "trend")


def test_the_svg_is_ready_to_inline_and_fetches_nothing():
    svg = trend()
    assert svg.startswith("<svg ") and "<?xml" not in svg and "<!DOCTYPE" not in svg and "<metadata" not in svg
    root = svg[: svg.index(">")]
    assert 'viewBox="' in root and "width=" not in root and 'role="img"' in root    # scales to its container
    assert not re.search(r'(href|src)="(?!#)|url\((?!#)|@font-face|@import|<image|<style', svg)
    assert "<text" in svg                              # svg.fonttype none: text stays text, no glyph paths


def test_ids_are_prefixed_so_several_charts_share_one_page():
    first, second = trend("trend-0"), trend("trend-1")
    ids = re.findall(r'\bid="([^"]+)"', first)
    assert ids and all(i.startswith("trend-0-") for i in ids) and len(ids) == len(set(ids))
    assert not set(ids) & set(re.findall(r'\bid="([^"]+)"', second))
    references = re.findall(r'href="#([^"]+)"|url\(#([^)]+)\)', first)
    assert references and {a or b for a, b in references} <= set(ids)


def test_the_same_data_gives_the_same_bytes():
    assert trend() == trend()
    bins = [{"low": 0.5, "high": 0.6, "reviews": 3, "confidence": 0.55, "accuracy": 2 / 3}]
    assert reliability_chart("r", bins, "reliability") == reliability_chart("r", bins, "reliability")


def test_a_change_draws_its_onset_and_levels():
    with_change, without = trend(change=CHANGE), trend(change=None)
    assert ">change</text>" in with_change and ">change</text>" not in without
    assert with_change.count("stroke-dasharray") > without.count("stroke-dasharray")


def test_user_labels_are_text_not_math_and_stay_escaped():
    svg = label_share_chart("overall", {HOSTILE: 0.2, "$x^$": 0.05, "positive": 0.75}, HOSTILE, "shares")
    assert "<script" not in svg and "&lt;script&gt;" in svg
    assert ">$x^$</text>" in svg and ">positive</text>" in svg
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", svg)
    svg.encode("utf-8")
