"""The report's business sections: the overview, the products with the most negative reviews and their
trends, the detected changes with their evidence, and the aspects that drive negative reviews.

Each function takes the whole summary and returns `Section` (its id, title and HTML), or None when
the summary lacks what it shows.
"""

from __future__ import annotations

from typing import NamedTuple

from .charts import label_share_chart, period_share_chart, share_chart
from .markup import Markup, join, percent, quotes, table, tag


class Section(NamedTuple):
    id: str
    title: str
    body: Markup


def overview(summary: dict) -> Section:
    """How many reviews, the share of each label, the negative share by period, and every group's shares."""
    labels, negative, by = summary["labels"], summary["negative_label"], summary["by"]
    figures = [(f"{summary['reviews']:,}", "reviews")]
    figures += [(percent(summary["overall"][label]), label) for label in labels]
    parts = [tag("div", join(tag("div", tag("strong", value), tag("span", name)) for value, name in figures),
                 cls="figures")]
    if summary["skipped"]:
        parts.append(tag("p", "Left out: " + "; ".join(f"{reason}: {count:,}" for reason, count
                                                       in summary["skipped"].items()), cls="note"))
    charts = [figure_block(label_share_chart("overall", summary["overall"], negative, "Share of reviews by label"),
                           "Share of each label")]
    if summary.get("periods"):
        chart = period_share_chart("periods", summary["periods"], f"{negative} share by {summary['period']}")
        charts.append(figure_block(chart, f"Share of {negative} reviews by {summary['period']}, with its 95 % "
                                          "interval (Wilson)"))
    parts.append(tag("div", join(charts), cls="grid"))
    rows = [[group["name"], f"{group['reviews']:,}", *(percent(group["shares"][label]) for label in labels)]
            for group in summary["groups"]]
    parts.append(table([by, "reviews", *labels], rows, numeric=range(1, len(labels) + 2),
                       caption=f"By {by}, most {negative} first"))
    return Section("overview", "Overview", join(parts))


def products(summary: dict) -> Section | None:
    """Each group with the most negative reviews: its share, its trend with intervals, its change, examples."""
    entries = summary.get("most_negative") or []
    if not entries:
        return None
    negative = summary["negative_label"]
    cards = []
    for number, entry in enumerate(entries):
        parts = [tag("h3", entry["name"]),
                 tag("p", f"{entry['negative_reviews']:,} of {entry['reviews']:,} reviews {negative} "
                          f"({percent(entry['negative_share'])}); ", change_badge(entry.get("change")))]
        trend = entry.get("trend") or []
        if trend:
            chart = share_chart(f"trend-{number}", [p["period"] for p in trend], [p["negative_share"] for p in trend],
                                [p["low"] for p in trend], [p["high"] for p in trend], entry.get("change"),
                                f"{negative} share of {entry['name']} by {summary.get('period', 'period')}")
            parts.append(figure_block(chart, f"{negative} share by {summary.get('period', 'period')}, 95 % interval"))
        if entry.get("examples"):
            parts += [tag("h4", f"{negative} reviews, for example"), quotes(entry["examples"], "date", "probability")]
        cards.append(tag("article", join(parts), cls="card"))
    title = f"Products with the most {negative} reviews" if summary["by"] == "product" else f"Most {negative} reviews"
    return Section("products", title, tag("div", join(cards), cls="grid"))


def changes(summary: dict) -> Section | None:
    """Every group whose negative share changed, with the test's caption, the terms and sentences that
    changed with it, and the new complaints."""
    if "change_test" not in summary:
        return None
    negative, found = summary["negative_label"], summary["changes"]
    parts = [tag("p", change_note(summary), cls="note")]
    if found:
        rows = [[change["group"], change_badge(change), f"{percent(change['before_share'])} → {percent(change['after_share'])}",
                 f"{change['before_reviews']:,} → {change['after_reviews']:,}", f"{change['q_value']:.2g}"]
                for change in found]
        parts.append(table([summary["by"], "change", f"{negative} share before → after", "reviews before → after", "q"],
                           rows, numeric=(2, 3, 4)))
    for change in found:
        parts.append(tag("article", tag("h3", change["group"], " ", change_badge(change)), _evidence(change), cls="card"))
    return Section("changes", "Detected changes", join(parts))


def _evidence(change: dict) -> Markup:
    parts = []
    evidence = change.get("evidence") or {}
    if evidence.get("terms"):
        rows = [[term["term"], f"{term['z']:+.1f}", f"{term['before']:,} of {evidence['before_units']:,} → "
                                                    f"{term['after']:,} of {evidence['after_units']:,}"]
                for term in evidence["terms"]]
        parts.append(table(["term", "z", f"{evidence['unit']} before → after"], rows, numeric=(1, 2),
                           caption="Terms whose frequency changed with the share"))
    if evidence.get("examples"):
        parts += [tag("h4", "What they say since"), quotes(evidence["examples"], "period")]
    if change.get("examples"):
        parts += [tag("h4", "New complaints, for example"), quotes(change["examples"], "date", "probability")]
    return join(parts) if parts else tag("p", "No evidence recorded.", cls="note")


def drivers(summary: dict) -> Section | None:
    """The terms most over-represented in negative text, per group."""
    groups = summary.get("drivers") or []
    if not groups:
        return None
    negative = summary["negative_label"]
    cards = []
    for group in groups:
        rows = [[term["term"], f"{term['z']:+.1f}", f"{term['negative']:,}", f"{term['positive']:,}",
                 tag("span", _spark(term.get("rate_by_period", [])), cls="spark")] for term in group["terms"]]
        period = summary.get("period", "period")
        cards.append(tag("article", tag("h3", group["group"]),
                         table(["term", "z", negative, "positive", f"by {period}"], rows, numeric=(1, 2, 3),
                               caption=f"{group['unit'].capitalize()} that mention each term; by {period}: its share "
                                       f"of the {negative} {group['unit']}, oldest first"),
                         cls="card"))
    note = tag("p", f"A term's z is how far more often it appears in {negative} text than in positive text, "
                    "in standard errors: above 2 is unlikely to be chance.", cls="note")
    return Section("drivers", "What drives negative reviews", join([note, tag("div", join(cards), cls="grid")]))


def _spark(values: list[float]) -> str:
    """Rates as block characters scaled to their largest: '▁▃█' rises."""
    top = max(values, default=0) or 1
    return "".join("▁▂▃▄▅▆▇█"[min(7, int(8 * v / top))] for v in values)


def change_badge(change: dict | None) -> Markup:
    """'▲ worse from 2025-10' in red, '▼ better from ...' in green, or 'no significant change'."""
    if not change:
        return tag("span", "no significant change", cls="badge")
    worse = change["direction"] == "worse"
    return tag("span", f"{'▲ worse' if worse else '▼ better'} from {change['onset']}",
               cls="badge worse" if worse else "badge better")


def change_note(summary: dict) -> str:
    """What was tested and how: the groups tested, changed, too small, and the false discovery rate."""
    test, negative, by = summary["change_test"], summary["negative_label"], summary["by"]
    least = test["min_reviews_each_side"]
    if not test["groups_tested"]:
        return f"No {by} has the dated reviews to test for a change: at least {least} before and {least} after."
    found = (f"{len(summary['changes'])} of {test['groups_tested']:,} {by} groups tested changed" if summary["changes"]
             else f"No significant change in the {negative} share of the {test['groups_tested']:,} {by} groups tested")
    return (f"{found} (false discovery rate {test['false_discovery_rate']:.0%}; at least {least} reviews before "
            f"and after; {test['groups_too_small']:,} too few to test).")


def figure_block(chart: Markup, caption: str) -> Markup:
    """A chart with its caption."""
    return tag("figure", chart, tag("figcaption", caption), cls="chart")
