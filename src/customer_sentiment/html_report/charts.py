"""The report's charts: matplotlib figures rendered to SVG that the page embeds inline.

Text stays text (`svg.fonttype: none`): the SVG is a tenth of the size with glyphs as paths, it is
selectable and searchable, and the browser draws it with a local font from the family list matplotlib
writes (DejaVu Sans ... sans-serif); no font file is embedded or fetched. The hash salt is fixed and the
date left out, so the same summary gives the same bytes; every id is prefixed with the chart's name so
that several SVGs share one page without clashing ids. Figures are made with `Figure`, not pyplot: no
backend and no global figure list are involved.
"""

from __future__ import annotations

import io
import re

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from ..changes import wilson_interval
from .markup import Markup, escape, printable

STYLE = {"svg.fonttype": "none", "svg.hashsalt": "customer-sentiment-report", "font.size": 10,
         "font.family": "sans-serif", "axes.spines.top": False, "axes.spines.right": False,
         "axes.edgecolor": "#5b6475", "axes.grid": True, "grid.color": "#e4e7ec", "axes.axisbelow": True}
NEGATIVE, INTERVAL, NEUTRAL_INK = "#d55e00", "#f3c7a6", "#1d2330"     # Okabe-Ito vermillion: colour-blind safe
OTHER_LABELS = ("#0072b2", "#9aa4b5", "#009e73", "#cc79a7", "#e69f00")    # Okabe-Ito blue, grey, green, ...
_LEVEL = {"color": "#5b6475", "linestyle": ":", "linewidth": 1.2}


def svg(figure: Figure, name: str, description: str) -> Markup:
    """The figure as an inline `<svg>` that scales to its container: no XML prolog, no metadata, ids
    prefixed with `name` (a fixed identifier, never user text), described for screen readers."""
    buffer = io.StringIO()
    with matplotlib.rc_context(STYLE):
        figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, flags=re.S)
    text = re.sub(r"\s*<style[^>]*>.*?</style>", "", text, flags=re.S)     # its `*{...}` would style the page
    text = re.sub(r'(\bid="|href="#|url\(#)', rf"\g<1>{name}-", text)
    label = f'<svg role="img" aria-label="{escape(description)}" '     # a function: the label may hold backslashes
    text = re.sub(r'<svg ([^>]*?)width="[^"]*" height="[^"]*"', lambda match: label + match.group(1), text, count=1)
    return Markup(text)


def _figure(width: float, height: float) -> Figure:
    with matplotlib.rc_context(STYLE):
        return Figure(figsize=(width, height))


def share_chart(name: str, periods: list[str], shares: list[float], low: list[float], high: list[float],
                change: dict | None = None, description: str = "") -> Markup:
    """Negative share per period, its 95 % interval as a band, and a detected change as a dashed line at
    its onset with the share before and after as dotted levels."""
    figure = _figure(5.0, 2.3)
    with matplotlib.rc_context(STYLE):
        axes = figure.subplots()
        x = list(range(len(periods)))
        axes.fill_between(x, low, high, color=INTERVAL, linewidth=0, label="95 % interval")
        axes.plot(x, shares, color=NEGATIVE, marker="o", markersize=3, label="share")
        if change and change["onset"] in periods:
            onset = periods.index(change["onset"]) - 0.5
            axes.axvline(onset, color=NEUTRAL_INK, linestyle="--", linewidth=1, label="change")
            axes.hlines(change["before_share"], 0, onset, **_LEVEL)
            axes.hlines(change["after_share"], onset, len(periods) - 1, **_LEVEL)
        _period_axis(axes, periods)
        axes.set_ylim(0, min(1.0, max(high, default=0.0) * 1.15 + 0.02))
        axes.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        axes.yaxis.set_major_locator(MaxNLocator(4))
        axes.legend(loc="lower left", bbox_to_anchor=(0, 1), fontsize=8, frameon=False, ncols=3, borderaxespad=0)
    return svg(figure, name, description)


def period_share_chart(name: str, rows: list[dict], description: str) -> Markup:
    """`share_chart` of the summary's `periods` rows (name, reviews, negative_reviews), with Wilson intervals."""
    low, high = wilson_interval([r["negative_reviews"] for r in rows], [r["reviews"] for r in rows])
    shares = [r["negative_reviews"] / r["reviews"] for r in rows]
    return share_chart(name, [r["name"] for r in rows], shares, low.tolist(), high.tolist(), None, description)


def _period_axis(axes, periods: list[str]) -> None:
    """At most 8 period labels, evenly spaced: 18 months or 100 weeks stay readable on a phone."""
    step = max(1, -(-len(periods) // 8))
    axes.set_xticks(range(0, len(periods), step), periods[::step], parse_math=False)
    axes.set_xlim(-0.5, len(periods) - 0.5)
    axes.tick_params(axis="x", labelsize=8, labelrotation=30 if len(periods) > 6 else 0)


def label_share_chart(name: str, overall: dict[str, float], negative: str, description: str) -> Markup:
    """The share of each label as a horizontal bar, labelled with its percentage; `negative` in vermillion."""
    labels = list(overall)
    others = iter(OTHER_LABELS * len(labels))
    colors = [NEGATIVE if label == negative else next(others) for label in labels]
    figure = _figure(5.0, 0.6 + 0.35 * len(labels))
    with matplotlib.rc_context(STYLE):
        axes = figure.subplots()
        positions = range(len(labels))
        bars = axes.barh(positions, [overall[label] for label in labels], color=colors, height=0.6)
        axes.set_yticks(positions, [_short(printable(label)) for label in labels], parse_math=False)   # no math
        axes.invert_yaxis()
        axes.bar_label(bars, [f"{overall[label]:.0%}" for label in labels], padding=3, fontsize=8)
        axes.set_xlim(0, 1)
        axes.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        axes.grid(axis="y", visible=False)
    return svg(figure, name, description)


def _short(label: str, width: int = 24) -> str:
    """A label that leaves the bars room; the page's tables show it in full."""
    return label if len(label) <= width else label[: width - 1] + "…"


def reliability_chart(name: str, bins: list[dict], description: str) -> Markup:
    """A reliability diagram: accuracy against mean confidence per confidence bin (on the diagonal when
    calibrated), and below it how many reviews fall in each bin."""
    figure = _figure(5.0, 3.8)
    with matplotlib.rc_context(STYLE):
        top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=[3, 1])
        lows, widths = [b["low"] for b in bins], [b["high"] - b["low"] for b in bins]
        top.bar(lows, [b["accuracy"] for b in bins], width=widths, align="edge", color=INTERVAL,
                edgecolor=NEGATIVE, linewidth=0.8, label="accuracy in bin")
        top.plot([0, 1], [0, 1], color=NEUTRAL_INK, linestyle="--", linewidth=1, label="perfect calibration")
        top.plot([b["confidence"] for b in bins], [b["accuracy"] for b in bins], "o", color=NEGATIVE, markersize=3,
                 label="each bin at its mean confidence")
        top.set_ylim(0, 1)
        top.set_ylabel("accuracy")
        top.legend(loc="upper left", fontsize=8, frameon=False)
        bottom.bar(lows, [b["reviews"] for b in bins], width=widths, align="edge", color="#9aa4b5")
        bottom.set_ylabel("reviews")
        bottom.set_xlabel("confidence (top probability)")
        bottom.set_xlim(0, 1)
        bottom.yaxis.set_major_locator(MaxNLocator(3, integer=True))
    return svg(figure, name, description)
