"""`customer-sentiment report`, `models` and `config`: summaries and what there is to choose from."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from .. import display
from ..console import console, progress_bar
from ..settings import DEFAULT_MODEL
from .common import JsonPath, Query, Table


def report(
    scored_file: Annotated[str, typer.Argument(help="A scored file from `customer-sentiment predict`; or a database "
                                                    "URL with --table or --query.")],
    by: Annotated[str, typer.Option(help="Column to group by, e.g. product.")],
    time_column: Annotated[str | None, typer.Option(
        help="Date column for the by-period tables, trends and change detection.")] = None,
    label_column: Annotated[str, typer.Option(help="Column with each review's label.")] = "predicted_label",
    text_column: Annotated[str | None, typer.Option(help="Column with review text for examples.",
                                                       show_default="review or text, if present")] = None,
    negative_label: Annotated[str, typer.Option(help="The label to track (complaints).")] = "negative",
    period: Annotated[str, typer.Option(help="month, quarter or week.")] = "month",
    top: Annotated[int, typer.Option(min=1, help="How many groups with the most negative reviews to show.")] = 5,
    examples: Annotated[int, typer.Option(min=0, help="Example reviews per group.")] = 3,
    rating_column: Annotated[str | None, typer.Option(
        help="Star-rating column: count the reviews whose text reads opposite to their stars.")] = None,
    model_dir: Annotated[Path | None, typer.Option("--model", help=(
        "The model directory that scored the file: drivers by sentence, example reviews explained, and the "
        "model's evaluation in the HTML report (slower: every review is split into sentences)."))] = None,
    html: Annotated[Path | None, typer.Option(help="Also write the report as one self-contained HTML page.")] = None,
    json_path: JsonPath = None,
    table: Table = None,
    query: Query = None,
):
    """Summarize scored reviews for a product manager: shares by product and period, top complaints, what
    drives them, and (with --time-column) every group whose negative share changed, tested at a 5 % false
    discovery rate. The file is read in chunks: memory stays flat however many reviews it holds."""
    from ..insights import Columns, summarize_chunks
    from ..io import ReadOptions, check_output_path, iter_table_chunks, parquet_rows, write_json
    from ..io.sql import source_name

    for path, suffixes in ((json_path, None), (html, (".html", ".htm"))):
        if path:
            check_output_path(path, suffixes)
    pipeline, evaluation = _scoring_model(model_dir)
    options = ReadOptions(table=table, query=query)
    with progress_bar() as bar:
        task = bar.add_task("reading", total=parquet_rows(scored_file), status="")
        chunks = _counted(iter_table_chunks(scored_file, options=options), bar, task)
        first = next(chunks)
        if text_column is None:
            text_column = next((c for c in ("review", "text") if c in first.columns), None)
        columns = Columns(by, label_column, time_column, text_column, rating_column, negative_label, period)
        summary = summarize_chunks(itertools.chain([first], chunks), columns, top, examples,
                                   source_name(scored_file, options), pipeline, evaluation)
    display.print_summary(summary)
    if json_path:
        write_json(json_path, summary)
        console.print(f"Wrote the summary to {json_path}")
    if html:
        from ..html_report import write_html_report

        console.print(f"Wrote the report to {write_html_report(summary, html)}")


def _scoring_model(model_dir: Path | None):
    """The model that scored the file, and its held-out evaluation (test if it has one, else validation)."""
    if model_dir is None:
        return None, None
    from ..pipeline import SentimentPipeline

    pipeline = SentimentPipeline.load(model_dir)
    split = next((name for name in ("test", "validation") if "reliability" in pipeline.metrics_.get(name, {})), None)
    return pipeline, {**pipeline.metrics_[split], "split": split} if split else None


def _counted(chunks, bar, task):
    """The chunks, with the progress bar advanced by each one's rows."""
    for chunk in chunks:
        yield chunk
        bar.advance(task, len(chunk))


def models():
    """List the registered model architectures."""
    from ..models import list_architectures

    for name, description in list_architectures().items():
        display.stdout.print(Text(name, style="bold") + Text(f"  {description}"))


def config(model: Annotated[str, typer.Option(help="Architecture whose settings to list.")] = DEFAULT_MODEL):
    """Print a TOML run configuration with every key, its resolved default and a comment on what it does."""
    from ..settings import resolve, to_toml

    settings = resolve(("--model", {"model": {"architecture": model}}))
    header = (f"customer-sentiment run configuration for {model}.\n"
              f"Use it with: customer-sentiment train --config FILE -o MODEL_DIR. Flags and --set override it.")
    print(to_toml(settings, header), end="")
