"""Tables for people: metrics, run summaries and the business summary, rendered with rich.

The CLI and `customer_sentiment_analysis.py` print through these, so both show the same tables.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .console import printable

stdout = Console(highlight=False)
if not stdout.is_terminal:          # logs and pipes: wide enough for the tables, no wrapping
    stdout = Console(highlight=False, width=120)
_SPARKS = "▁▂▃▄▅▆▇█"


def print_metrics(metrics: dict, title: str = "Evaluation", console: Console = stdout) -> None:
    """Accuracy and macro-F1, per-class precision/recall/F1, and the confusion matrix."""
    console.print(f"[bold]{_shown(title)}[/]: {metrics['reviews']:,} reviews, accuracy {metrics['accuracy']:.4f}, "
                  f"macro-F1 {metrics['macro_f1']:.4f}")
    table = Table("label", "precision", "recall", "F1", "support")
    for label, row in metrics["per_class"].items():
        table.add_row(_shown(label), f"{row['precision']:.4f}", f"{row['recall']:.4f}", f"{row['f1']:.4f}",
                      f"{row['support']:,}")
    console.print(table)
    matrix = metrics["confusion_matrix"]
    confusion = Table("true \\ predicted", *matrix["labels"], title="Confusion matrix")
    for label, counts in zip(matrix["labels"], matrix["matrix"], strict=True):
        confusion.add_row(_shown(label), *(f"{c:,}" for c in counts))
    console.print(confusion)
    if "ece" in metrics:
        print_confidence(metrics, console)


def print_confidence(metrics: dict, console: Console = stdout) -> None:
    """How far the probabilities can be trusted: calibration error, Brier score, and the accuracy left
    when the least confident reviews go to a person."""
    line = f"Confidence: ECE {metrics['ece']:.4f} (15 bins), Brier {metrics['brier']:.4f}"
    if "before_calibration" in metrics:
        before = metrics["before_calibration"]
        line += f"; before calibration ECE {before['ece']:.4f}, Brier {before['brier']:.4f}"
    console.print(line)
    table = Table("top probability below", "sent to review", "accuracy of the rest", title="Selective prediction")
    for row in metrics["selective"]:
        rest = row["accuracy_of_the_rest"]
        table.add_row(f"{row['threshold']:g}", f"{row['sent_to_review']:.1%}", "-" if rest is None else f"{rest:.4f}")
    console.print(table)


def print_skipped(source: str, rows_read: int, kept: int, skipped: dict[str, int], console: Console = stdout) -> None:
    """'Read 2,400 rows from x.csv: 2,398 used, 2 skipped (empty review text: 2)'."""
    line = f"Read {rows_read:,} rows from {source}: {kept:,} used"
    if skipped:
        line += f", {sum(skipped.values()):,} skipped (" + "; ".join(f"{k}: {v:,}" for k, v in skipped.items()) + ")"
    console.print(line, markup=False)


def print_summary(summary: dict, console: Console = stdout) -> None:
    """The business summary: shares overall, by group and by period, the most negative groups."""
    labels, negative = summary["labels"], summary["negative_label"]
    overall = ", ".join(f"{label} {share:.0%}" for label, share in summary["overall"].items())
    console.print(f"[bold]Sentiment summary[/]: {summary['reviews']:,} reviews: {_shown(overall)}")
    for reason, count in summary["skipped"].items():
        console.print(f"  skipped {count:,}: {_shown(reason)}")
    console.print(_share_table(f"By {summary['by']} (most {negative} first)", summary["by"], summary["groups"], labels))
    if "periods" in summary:
        console.print(_share_table(f"By {summary['period']}", summary["period"], summary["periods"], labels))
    console.print(_most_negative_table(summary))
    if "changes" in summary:
        _print_changes(summary, console)
    if summary.get("drivers"):
        _print_drivers(summary, console)
    if "stars_vs_words" in summary:
        _print_stars_vs_words(summary["stars_vs_words"], summary["by"], summary["negative_label"], console)
    for entry in summary["most_negative"]:
        if entry["examples"]:
            console.print(f"[bold]{_shown(entry['name'])}[/]: {_shown(negative)} reviews, for example")
            for example in entry["examples"]:
                when = f"{example['date']}  " if "date" in example else ""
                console.print(f"  {when}\"{_shown(_shorten(example['text'], 160))}\"")


def _share_table(title: str, key: str, rows: list[dict], labels: list[str]) -> Table:
    table = Table(key, "reviews", *labels, title=title, title_justify="left")
    for row in rows:
        table.add_row(_shown(row["name"]), f"{row['reviews']:,}", *(f"{row['shares'][label]:.0%}" for label in labels))
    return table


def _most_negative_table(summary: dict) -> Table:
    negative = summary["negative_label"]
    table = Table(summary["by"], f"{negative} reviews", "share", title=f"Most {negative} reviews",
                  title_justify="left")
    dated = "changes" in summary
    if dated:
        table.add_column(f"share by {summary['period']}", no_wrap=True)
        table.add_column("change", no_wrap=True)
    for entry in summary["most_negative"]:
        cells = [_shown(entry["name"]), f"{entry['negative_reviews']:,} of {entry['reviews']:,}",
                 f"{entry['negative_share']:.0%}"]
        if dated:
            cells.append(sparkline([p["negative_share"] for p in entry.get("trend", [])]))
            cells.append(_change_text(entry.get("change")))
        table.add_row(*cells)
    return table


def _print_changes(summary: dict, console: Console) -> None:
    """Every group with a significant change in its negative share, most significant first."""
    test, negative, by = summary["change_test"], summary["negative_label"], _shown(summary["by"])
    least = test["min_reviews_each_side"]
    if not test["groups_tested"]:
        console.print(f"No {by} has the dated reviews to test for a change: at least {least} before and {least} after.")
        return
    found = (f"{len(summary['changes'])} of {test['groups_tested']:,} {by} groups tested changed"
             if summary["changes"] else
             f"No significant change in the {negative} share of the {test['groups_tested']:,} {by} groups tested")
    note = (f"{found} (false discovery rate {test['false_discovery_rate']:.0%}; at least {least} reviews before "
            f"and after; {test['groups_too_small']:,} too few to test)")
    if not summary["changes"]:
        console.print(note)
        return
    table = Table(by, "change", f"{negative} share before → after", "reviews before → after", "q",
                  title=f"Changes in {negative} share", title_justify="left", caption=note)
    for change in summary["changes"]:
        table.add_row(_shown(change["group"]), _change_text(change),
                      f"{change['before_share']:.0%} → {change['after_share']:.0%}",
                      f"{change['before_reviews']:,} → {change['after_reviews']:,}", f"{change['q_value']:.2g}")
    console.print(table)
    for change in summary["changes"]:
        evidence = change.get("evidence")
        if evidence and evidence["terms"]:
            rates = ", ".join(f"{_shown(t['term'])} {t['rate_before']:g} → {t['rate_after']:g}" for t in evidence["terms"][:5])
            console.print(f"[bold]{_shown(change['group'])}[/], new in {negative} {evidence['unit']} from {change['onset']} "
                          f"(per 100): {rates}")
            for quote in evidence["examples"][:2]:
                console.print(f"  {quote['period']}  \"{_shown(_shorten(quote['text'], 150))}\"")


def _print_drivers(summary: dict, console: Console) -> None:
    """The terms over-represented in each shown group's negative text against its positive text."""
    negative, unit = summary["negative_label"], summary["drivers"][0]["unit"]
    table = Table(_shown(summary["by"]), f"terms of {negative} {unit} ({negative} / other {unit} mentioning each)",
                  title=f"What drives {negative} {unit}", title_justify="left",
                  caption="Log-odds ratio with an informative Dirichlet prior (Monroe et al. 2008), z ≥ 1.96")
    for found in summary["drivers"]:
        terms = ", ".join(f"{_shown(t['term'])} ({t['negative']}/{t['positive']})" for t in found["terms"])
        table.add_row(_shown(found["group"]), terms)
    console.print(table)


def _print_stars_vs_words(stars: dict, by: str, negative: str, console: Console) -> None:
    """Per group, the reviews whose text reads opposite to their stars: where the star average misleads."""
    sure = f"with probability ≥ {stars['confident_at']:.0%}" if stars["confident_at"] else "by label (no probabilities)"
    other = "positive" if negative == "negative" else f"not {_shown(negative)}"
    table = Table(_shown(by), "rated", "stars", f"4-5★, {_shown(negative)} text", f"1-2★, {other} text", "share",
                  title="Stars against words", title_justify="left",
                  caption=f"Text the model reads as the opposite of its stars, {sure}")
    for row in stars["groups"]:
        table.add_row(_shown(row["name"]), f"{row['reviews']:,}", f"{row['star_average']:.2f}",
                      f"{row['high_stars_negative_text']:,}", f"{row['low_stars_positive_text']:,}",
                      f"{row['opposite_share']:.1%}")
    console.print(table)
    for example in stars["examples"][:5]:
        console.print(f"  {example['rating']:g}★ {_shown(example['group'])}, read as {_shown(example['label'])} "
                      f"({example['probability']:.2f}): \"{_shown(_shorten(example['text'], 140))}\"")


def _change_text(change: dict | None) -> str:
    if not change:
        return "no significant change"
    arrow = "[red]▲ worse[/]" if change["direction"] == "worse" else "[green]▼ better[/]"
    return f"{arrow} from {change['onset']}"


def sparkline(values: list[float]) -> str:
    """Shares in [0, 1] as block characters: '▁▃█' rises from low to high."""
    return "".join(_SPARKS[min(len(_SPARKS) - 1, int(v * len(_SPARKS)))] for v in values)


def _shown(text: str) -> str:
    """User text as rich shows it literally: markup escaped, control characters written out."""
    return escape(printable(text))


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"
