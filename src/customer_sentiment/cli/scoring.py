"""`customer-sentiment evaluate` and `predict`: a saved model on a device, on a review file."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from .. import display
from ..console import console
from ..errors import CustomerSentimentError
from ..io import CHUNK_ROWS
from ..settings import DataSettings, defaults_of
from .common import (
    DEVICE,
    ENCODING,
    MAX_REVIEW_MB,
    Data,
    Delimiter,
    Device,
    Encoding,
    JsonPath,
    LabelColumn,
    MaxReviewMb,
    ModelDir,
    Query,
    Quiet,
    RatingColumn,
    RatingMapOption,
    Runtime,
    RuntimeName,
    Table,
    TextColumn,
)


class Engine(StrEnum):
    local = "local"
    ray = "ray"


def evaluate(model_dir: ModelDir, data: Data, text_column: TextColumn = None, label_column: LabelColumn = None,
             rating_column: RatingColumn = None, rating_map: RatingMapOption = None, json_path: JsonPath = None,
             encoding: Encoding = ENCODING, delimiter: Delimiter = None, max_review_mb: MaxReviewMb = MAX_REVIEW_MB,
             device: Device = DEVICE, table: Table = None, query: Query = None):
    """Evaluate a model on labelled reviews: accuracy, macro-F1, per class, confusion matrix.

    Columns and rating map default to those the model was trained with.
    """
    from ..io import RatingMap, ReadOptions, check_output_path, read_reviews, write_json
    from ..io.sql import source_name
    from ..pipeline import SentimentPipeline

    options = ReadOptions(encoding, delimiter, max_review_mb, table, query)
    if json_path:
        check_output_path(json_path)
    pipeline = SentimentPipeline.load(model_dir, device=device)
    trained = {**defaults_of(DataSettings), **pipeline.config_.get("data", {})}
    if not label_column and not rating_column:
        label_column, rating_column = trained.get("label_column"), trained.get("rating_column")
    rating_map = rating_map or trained.get("rating_map")            # the model's own map by default
    mapping = RatingMap.parse(rating_map) if rating_column and rating_map else None
    reviews = read_reviews(data, text_column or trained["text_column"], label_column, rating_column, mapping, options)
    display.print_skipped(source_name(data, options), reviews.rows_read, len(reviews), reviews.skipped, console)
    metrics = pipeline.evaluate(reviews)
    metrics["skipped"] = reviews.skipped
    display.print_metrics(metrics, f"Evaluation on {source_name(data, options)}")
    if json_path:
        write_json(json_path, metrics)
        console.print(f"Wrote the metrics to {json_path}")


def predict(
    model_dir: ModelDir,
    data: Data,
    output: Annotated[str, typer.Option("--output", "-o", help="Scored file: .csv, .tsv, .jsonl or .parquet; or a "
                                                               "database URL, with --output-table.")],
    text_column: TextColumn = None,
    id_column: Annotated[str | None, typer.Option(help="Column identifying each review; checked and put first.")] = None,
    keep_columns: Annotated[str | None, typer.Option(help="Comma-separated input columns to keep.", show_default="all")] = None,
    chunk_rows: Annotated[int, typer.Option(help="Rows read and scored at a time (bounds memory).")] = CHUNK_ROWS,
    encoding: Encoding = ENCODING,
    delimiter: Delimiter = None,
    max_review_mb: MaxReviewMb = MAX_REVIEW_MB,
    review_below: Annotated[float | None, typer.Option(
        help="Add a needs_review column: True where the top (calibrated) probability is below this.",
        show_default="no column")] = None,
    device: Device = DEVICE,
    runtime: Runtime = RuntimeName.torch,
    quiet: Quiet = False,
    engine: Annotated[Engine, typer.Option(help="Where to score: in this process, or on a Ray cluster's actors "
                                                "(pip install 'customer-sentiment[ray]').")] = Engine.local,
    ray_address: Annotated[str | None, typer.Option(help="With --engine ray: the cluster to join (HOST:6379, or auto).",
                                                    show_default="RAY_ADDRESS, else a local Ray")] = None,
    ray_actors: Annotated[int | None, typer.Option(help="With --engine ray: scoring actors, each loading the model once.",
                                                   show_default="one per CPU of the cluster")] = None,
    table: Table = None,
    query: Query = None,
    output_table: Annotated[str | None, typer.Option(
        help="With a database URL as --output: the table to create there, keyed by --id-column if given; written in "
             "one transaction.", show_default="none")] = None,
    replace: Annotated[bool, typer.Option("--replace", help="Drop an existing --output-table and write it anew (in "
                                                            "the same transaction).")] = False,
    resume: Annotated[bool, typer.Option("--resume", help="Continue a run that was killed part way, after its last "
                                                          "committed chunk (same input, model and options); with "
                                                          "nothing to resume, score from the start.")] = False,
):
    """Score a review file: adds predicted_label and one prob_<label> column per class, rows in order."""
    from ..io import ReadOptions
    from ..io.sql import source_name
    from ..pipeline import SentimentPipeline

    options = ReadOptions(encoding, delimiter, max_review_mb, table, query)
    output = _scored_output(output, output_table, replace, id_column)
    if resume and engine is Engine.ray:
        raise CustomerSentimentError("--resume continues a run of --engine local",
                                     fix="Leave --resume out with --engine ray, or score with --engine local.")
    pipeline = SentimentPipeline.load(model_dir, device=device, verbose=not quiet, runtime=runtime.value)
    keep = [c.strip() for c in keep_columns.split(",") if c.strip()] if keep_columns else None
    if engine is Engine.ray:
        summary = _score_on_ray(pipeline, model_dir, runtime.value, data, output, text_column, id_column, keep,
                                chunk_rows, options, review_below, ray_address, ray_actors, quiet)
    else:
        summary = pipeline.predict_file(data, output, text_column, id_column, keep, chunk_rows, options, review_below,
                                        resume)
    if resume:
        console.print(f"Resumed after the {summary['resumed_rows']:,} rows an interrupted run had committed"
                      if summary["resumed_rows"] else f"Nothing to resume for {output}: scored from the first row")
    predicted = ", ".join(f"{label} {count:,}" for label, count in summary["predicted"].items())
    console.print(f"Scored {summary['rows']:,} rows of {source_name(data, options)} in {summary['seconds']:.1f}s "
                  f"({summary['reviews_per_second']:,.0f} reviews/s) with {pipeline.predictor_.runtime}"
                  f"{' on ' + str(summary['actors']) + ' Ray actors' if 'actors' in summary else ''}: {predicted}")
    if review_below is not None:
        share = summary["needs_review"] / max(summary["rows"] - summary["empty_texts"], 1)
        console.print(f"{summary['needs_review']:,} reviews ({share:.1%}) have a top probability below {review_below:g}: "
                      f"needs_review is True for them")
    if summary["carriage_returns"]:
        console.print(f"{summary['carriage_returns']:,} reviews hold a carriage return (kept as text)")
    if summary["numbers_as_text"]:
        console.print(f"warning: {summary['numbers_as_text']:,} review texts were numbers; scored as text")
    if summary["empty_texts"]:
        console.print(f"{summary['empty_texts']:,} rows had no review text: kept, with an empty predicted_label")
    console.print(f"Wrote {output}")


def _score_on_ray(pipeline, model_dir, runtime, data, output, text_column, id_column, keep, chunk_rows, options,
                  review_below, address, actors, quiet) -> dict:
    """`predict --engine ray`: the same file, scored by a Ray cluster's actors (`ray_engine`)."""
    from ..ray_engine import RaySettings, score_file_ray

    if not isinstance(output, str):
        raise CustomerSentimentError("--engine ray writes a file, not a database table",
                                     fix="Pass --output scored.parquet, say, or leave out --engine ray.")
    return score_file_ray(pipeline, model_dir, runtime, data, output, text_column, id_column, keep, chunk_rows, options,
                          review_below, RaySettings(address, actors), verbose=not quiet).to_dict()


def _scored_output(output: str, output_table: str | None, replace: bool, id_column: str | None):
    """--output as a file path, or with --output-table as a table in the database it names."""
    from ..io.formats import is_database_url
    from ..io.sql import display_url
    from ..io.sql_writer import TableOutput

    if output_table and not is_database_url(output):
        raise CustomerSentimentError(f"--output-table writes into a database, and --output {output} is a file",
                                     fix="Pass a database URL as --output (sqlite:///scores.db, say), or leave "
                                         "--output-table out.")
    if is_database_url(output) and not output_table:
        raise CustomerSentimentError(f"--output {display_url(output)} is a database and no table was named",
                                     fix="Pass --output-table NAME.")
    if replace and not output_table:
        raise CustomerSentimentError("--replace applies to a table output", fix="Pass --output-table, or leave "
                                                                                "--replace out.")
    return TableOutput(output, output_table, replace, id_column) if output_table else output
