"""The `customer-sentiment` command: train, evaluate, predict, report, models.

A user's mistake (a missing column, a bad file, an unknown label) ends the command with a one-line
`error: ...` on stderr and exit status 1, never a traceback.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import sys
import warnings
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from . import display
from ._version import __version__
from .console import console
from .data import RatingMap, read_reviews, read_table
from .errors import CustomerSentimentError

app = typer.Typer(name="customer-sentiment", add_completion=False, no_args_is_help=True,
                  pretty_exceptions_enable=False,
                  help="Learn the sentiment of customer reviews: train a model, evaluate it, score files, report.")


def _default(name: str) -> str:
    """A TrainingArguments default as help text shows it (the dataclass is the one source)."""
    from .training_args import TrainingArguments
    return str({f.name: f.default for f in dataclasses.fields(TrainingArguments)}[name])


def user_errors(command):
    """Print a CustomerSentimentError (and warnings) on one line, exit 1, no traceback."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        warnings.showwarning = _show_warning
        try:
            return command(*args, **kwargs)
        except CustomerSentimentError as error:
            console.print(Text("error: ", style="bold red") + Text(str(error)))
            raise typer.Exit(1) from None
        except OSError as error:            # a file system problem the checks above did not foresee
            console.print(Text("error: ", style="bold red") + Text(f"{error}. Check the path and its permissions."))
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            console.print(Text("interrupted; no output was written", style="bold red"))
            raise typer.Exit(130) from None
    return wrapper


def _show_warning(message, category, filename, lineno, file=None, line=None):
    console.print(Text("warning: ", style="bold yellow") + Text(str(message)))


# ---------------------------------------------------------------------------------------- options

Data = Annotated[Path, typer.Argument(help="Reviews: .csv, .tsv, .jsonl or .parquet (optionally .gz).")]
ModelDir = Annotated[Path, typer.Argument(help="A model directory written by `customer-sentiment train`.")]
TextColumn = Annotated[str | None, typer.Option(help="Column with the review text.",
                                                   show_default="the model's training column, else review")]
LabelColumn = Annotated[str | None, typer.Option(help="Column with the labels (any set: sentiment, topic, ...).")]
RatingColumn = Annotated[str | None, typer.Option(help="Column with star ratings, turned into labels by --rating-map.")]
RatingMapOption = Annotated[str | None, typer.Option(
    "--rating-map", help="Ratings to labels as inclusive ranges; 'skip' drops a range.",
    show_default="1-2:negative,3:neutral,4-5:positive")]
Encoding = Annotated[str, typer.Option(help="Text encoding of CSV, TSV and JSON Lines input.")]


def _rating_map(spec: str | None, binary: bool) -> RatingMap | None:
    if spec and binary:
        raise CustomerSentimentError("Pass --rating-map or --binary, not both; --binary is '1-2:negative,3:skip,4-5:positive'.")
    return RatingMap.parse(spec) if spec else RatingMap.default(binary=True) if binary else None


# ---------------------------------------------------------------------------------------- train

@app.command()
@user_errors
def train(
    data: Data,
    output: Annotated[Path, typer.Option("--output", "-o", help="Model directory to write (replaced if it holds a model).")],
    text_column: Annotated[str, typer.Option(help="Column with the review text.")] = "review",
    label_column: LabelColumn = None,
    rating_column: RatingColumn = None,
    rating_map: RatingMapOption = None,
    binary: Annotated[bool, typer.Option("--binary", help="Two classes from ratings: 1-2 negative, 4-5 positive, "
                                                          "3 skipped (and counted).")] = False,
    model: Annotated[str, typer.Option(help="Architecture; `customer-sentiment models` lists them.")] = "bag_of_embeddings.v1",
    epochs: Annotated[int | None, typer.Option(help="Passes over the data.", show_default=_default("epochs"))] = None,
    batch_size: Annotated[int | None, typer.Option(help="Reviews per step.",
                                                      show_default="reviews/64 within 16..256")] = None,
    learning_rate: Annotated[float | None, typer.Option(
        help="Peak learning rate.", show_default="the architecture's; 0.01 for bag_of_embeddings.v1")] = None,
    optimizer: Annotated[str | None, typer.Option(help="sgd, adam or adamw.", show_default=_default("optimizer"))] = None,
    weight_decay: Annotated[float | None, typer.Option(help="Weight decay.", show_default=_default("weight_decay"))] = None,
    schedule: Annotated[str | None, typer.Option(help="Learning-rate schedule: constant, linear or cosine.",
                                                    show_default=_default("schedule"))] = None,
    class_weights: Annotated[str | None, typer.Option(help="none, or balanced for imbalanced classes.",
                                                         show_default=_default("class_weights"))] = None,
    validation_fraction: Annotated[float | None, typer.Option(help="Share held out for early stopping.",
                                                                 show_default=_default("validation_fraction"))] = None,
    patience: Annotated[int | None, typer.Option(help="Epochs without a better validation macro-F1 before stopping.",
                                                    show_default=_default("patience"))] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed.", show_default=_default("seed"))] = None,
    device: Annotated[str | None, typer.Option(help="auto, cpu, cuda, cuda:N or mps.", show_default=_default("device"))] = None,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="Override a setting: model.embedding_dim=32, tokenizer.max_ngrams=500000, "
                      "training.warmup_fraction=0.1 (repeatable).")] = None,
    encoding: Encoding = "utf-8",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
):
    """Train a model on labelled reviews and save it as a directory (safetensors + JSON)."""
    from .pipeline import SentimentPipeline
    from .saving import check_model_output
    from .training_args import TrainingArguments

    if not label_column and not rating_column:
        raise CustomerSentimentError("Say where the labels are: pass --label-column COL (labels) or "
                                     "--rating-column COL (star ratings, mapped by --rating-map).")
    check_model_output(output)
    mapping = _rating_map(rating_map, binary) if rating_column else None
    reviews = read_reviews(data, text_column, label_column, rating_column, mapping, encoding)
    display.print_skipped(str(data), reviews.rows_read, len(reviews), reviews.skipped, console)
    flags = dict(epochs=epochs, batch_size=batch_size, learning_rate=learning_rate, optimizer=optimizer,
                 weight_decay=weight_decay, schedule=schedule, class_weights=class_weights,
                 validation_fraction=validation_fraction, patience=patience, seed=seed, device=device)
    sections = parse_overrides(set_ or [])
    training = TrainingArguments(**{**sections["training"], **{k: v for k, v in flags.items() if v is not None}})
    counts = Counter(reviews.labels)
    console.print("Labels: " + ", ".join(f"{label} {counts[label]:,}" for label in sorted(counts)))
    pipeline = SentimentPipeline(model, sections["model"], sections["tokenizer"], training, verbose=not quiet)
    pipeline.fit(reviews.texts, reviews.labels, reviews.info)
    if "validation" in pipeline.metrics_:
        display.print_metrics(pipeline.metrics_["validation"], "Validation", display.stdout)
    path = pipeline.save(output)
    console.print(f"Saved the model to {path}/ (config.json, model.safetensors, tokenizer.json, metrics.json)")


def parse_overrides(items: list[str]) -> dict[str, dict]:
    """'model.embedding_dim=32' -> {'model': {'embedding_dim': 32}, ...}; values are read as JSON when they can be."""
    from .training_args import TrainingArguments

    sections: dict[str, dict] = {"model": {}, "tokenizer": {}, "training": {}}
    training_keys = [f.name for f in dataclasses.fields(TrainingArguments)]
    for item in items:
        key, sep, value = item.partition("=")
        section, dot, name = key.strip().partition(".")
        if not sep or not dot or section not in sections or not name:
            raise CustomerSentimentError(
                f"--set {item!r} is not SECTION.KEY=VALUE with SECTION one of model, tokenizer, training; "
                f"e.g. --set model.embedding_dim=32.")
        if section == "training" and name not in training_keys:
            raise CustomerSentimentError(f"Unknown setting training.{name}; valid: {', '.join(training_keys)}.")
        try:
            sections[section][name] = json.loads(value)
        except json.JSONDecodeError:
            sections[section][name] = value
    return sections


# ---------------------------------------------------------------------------------------- evaluate

@app.command()
@user_errors
def evaluate(
    model_dir: ModelDir,
    data: Data,
    text_column: TextColumn = None,
    label_column: LabelColumn = None,
    rating_column: RatingColumn = None,
    rating_map: Annotated[str | None, typer.Option(
        "--rating-map", help="Ratings to labels as inclusive ranges; 'skip' drops a range.",
        show_default="the model's rating map")] = None,
    json_path: Annotated[Path | None, typer.Option("--json", help="Also write the metrics as JSON here.")] = None,
    encoding: Encoding = "utf-8",
):
    """Evaluate a model on labelled reviews: accuracy, macro-F1, per class, confusion matrix.

    Columns and rating map default to those the model was trained with.
    """
    from .files import check_output_path, write_json
    from .pipeline import SentimentPipeline

    if json_path:
        check_output_path(json_path)
    pipeline = SentimentPipeline.load(model_dir)
    trained = pipeline.config_.get("data", {})
    if not label_column and not rating_column:
        label_column, rating_column = trained.get("label_column"), trained.get("rating_column")
    rating_map = rating_map or trained.get("rating_map")            # the model's own map by default
    mapping = RatingMap.parse(rating_map) if rating_column and rating_map else None
    reviews = read_reviews(data, text_column or trained.get("text_column") or "review", label_column,
                           rating_column, mapping, encoding)
    display.print_skipped(str(data), reviews.rows_read, len(reviews), reviews.skipped, console)
    metrics = pipeline.evaluate(reviews)
    metrics["skipped"] = reviews.skipped
    display.print_metrics(metrics, f"Evaluation on {data}")
    if json_path:
        write_json(json_path, metrics)
        console.print(f"Wrote the metrics to {json_path}")


# ---------------------------------------------------------------------------------------- predict

@app.command()
@user_errors
def predict(
    model_dir: ModelDir,
    data: Data,
    output: Annotated[Path, typer.Option("--output", "-o", help="Scored file: .csv, .tsv, .jsonl or .parquet.")],
    text_column: TextColumn = None,
    id_column: Annotated[str | None, typer.Option(help="Column identifying each review; checked and put first.")] = None,
    keep_columns: Annotated[str | None, typer.Option(help="Comma-separated input columns to keep.", show_default="all")] = None,
    chunk_rows: Annotated[int, typer.Option(min=1, help="Rows read and scored at a time (bounds memory).")] = 50_000,
    encoding: Encoding = "utf-8",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
):
    """Score a review file: adds predicted_label and one prob_<label> column per class, rows in order."""
    from .pipeline import SentimentPipeline

    pipeline = SentimentPipeline.load(model_dir, verbose=not quiet)
    keep = [c.strip() for c in keep_columns.split(",") if c.strip()] if keep_columns else None
    summary = pipeline.predict_file(data, output, text_column, id_column, keep, chunk_rows, encoding)
    predicted = ", ".join(f"{label} {count:,}" for label, count in summary["predicted"].items())
    console.print(f"Scored {summary['rows']:,} rows of {data} in {summary['seconds']:.1f}s "
                  f"({summary['reviews_per_second']:,.0f} reviews/s): {predicted}")
    if summary["empty_texts"]:
        console.print(f"{summary['empty_texts']:,} rows had no review text: kept, with an empty predicted_label")
    console.print(f"Wrote {output}")


# ---------------------------------------------------------------------------------------- report

@app.command()
@user_errors
def report(
    scored_file: Annotated[Path, typer.Argument(help="A scored file from `customer-sentiment predict`.")],
    by: Annotated[str, typer.Option(help="Column to group by, e.g. product.")],
    time_column: Annotated[str | None, typer.Option(help="Date column for the by-period tables and trends.")] = None,
    label_column: Annotated[str, typer.Option(help="Column with each review's label.")] = "predicted_label",
    text_column: Annotated[str | None, typer.Option(help="Column with review text for examples.",
                                                       show_default="review or text, if present")] = None,
    negative_label: Annotated[str, typer.Option(help="The label to track (complaints).")] = "negative",
    period: Annotated[str, typer.Option(help="month, quarter or week.")] = "month",
    top: Annotated[int, typer.Option(min=1, help="How many groups with the most negative reviews to show.")] = 5,
    examples: Annotated[int, typer.Option(min=0, help="Example reviews per group.")] = 3,
    json_path: Annotated[Path | None, typer.Option("--json", help="Also write the summary as JSON here.")] = None,
):
    """Summarize scored reviews for a product manager: shares by product and period, top complaints."""
    from .files import check_output_path, write_json
    from .insights import summarize

    if json_path:
        check_output_path(json_path)
    frame = read_table(scored_file)
    if text_column is None:
        text_column = next((c for c in ("review", "text") if c in frame.columns), None)
    summary = summarize(frame, by, label_column, time_column, text_column, negative_label, period, top, examples,
                        source=str(scored_file))
    display.print_summary(summary)
    if json_path:
        write_json(json_path, summary)
        console.print(f"Wrote the summary to {json_path}")


# ---------------------------------------------------------------------------------------- models

@app.command()
def models():
    """List the registered model architectures."""
    from .models import list_architectures

    for name, description in list_architectures().items():
        display.stdout.print(Text(name, style="bold") + Text(f"  {description}"))


def version_callback(value: bool):
    if value:
        print(f"customer-sentiment {__version__}")
        raise typer.Exit()


@app.callback()
def main(version: Annotated[bool, typer.Option("--version", callback=version_callback, is_eager=True,
                                               help="Print the version and exit.")] = False):
    """Learn the sentiment of customer reviews: train, evaluate, predict, report."""


def run() -> None:  # pragma: no cover - console entry point
    app(prog_name="customer-sentiment")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run())
