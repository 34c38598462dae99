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
    dated = "periods" in summary
    if dated:
        table.add_column(f"share by {summary['period']}", no_wrap=True)
        table.add_column("before → recent", no_wrap=True)
        change = next((e["change"] for e in summary["most_negative"] if e.get("change")), None)
        if change:
            table.caption = (f"before: {change['previous_periods']}, recent: {change['recent_periods']}; "
                             f"▲ ▼ a change of more than 5 points")
    for entry in summary["most_negative"]:
        cells = [_shown(entry["name"]), f"{entry['negative_reviews']:,} of {entry['reviews']:,}",
                 f"{entry['negative_share']:.0%}"]
        if dated:
            cells.append(sparkline([p["negative_share"] for p in entry.get("trend", [])]))
            cells.append(_change_text(entry.get("change")))
        table.add_row(*cells)
    return table


def _change_text(change: dict | None) -> str:
    if not change:
        return "too few periods"
    arrow = "[red]▲[/]" if change["difference"] > 0.05 else "[green]▼[/]" if change["difference"] < -0.05 else "≈"
    return f"{change['previous_share']:.0%} → {change['recent_share']:.0%} {arrow}"


def sparkline(values: list[float]) -> str:
    """Shares in [0, 1] as block characters: '▁▃█' rises from low to high."""
    return "".join(_SPARKS[min(len(_SPARKS) - 1, int(v * len(_SPARKS)))] for v in values)


def _shown(text: str) -> str:
    """User text as rich shows it literally: markup escaped, control characters written out."""
    return escape(printable(text))


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"
