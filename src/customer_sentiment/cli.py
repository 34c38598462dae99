"""The `customer-sentiment` command: train, evaluate, predict, report, models.

A user's mistake (a missing column, a bad file, an unknown label) ends the command with a one-line
`error: ...` on stderr and exit status 1, never a traceback.
"""

from __future__ import annotations

import dataclasses
import functools
import sys
import warnings
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from . import display
from ._version import __version__
from .config import DEFAULT_MODEL
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

def _training_option(name: str, help: str, kind=None, **extra):
    return Annotated[kind, typer.Option(help=help, show_default=extra.pop("show", _default(name)), **extra)]


@app.command()
@user_errors
def train(
    data: Annotated[Path | None, typer.Argument(help="Reviews: .csv, .tsv, .jsonl or .parquet (optionally .gz).",
                                                show_default="data.file of --config")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Model directory to write (replaced if it "
                                                                       "holds a model).")] = None,
    config_file: Annotated[Path | None, typer.Option("--config", help="A TOML run configuration; "
                                                                      "`customer-sentiment config` writes one.")] = None,
    text_column: Annotated[str | None, typer.Option(help="Column with the review text.", show_default="review")] = None,
    label_column: LabelColumn = None,
    rating_column: RatingColumn = None,
    rating_map: RatingMapOption = None,
    binary: Annotated[bool, typer.Option("--binary", help="Two classes from ratings: 1-2 negative, 4-5 positive, "
                                                          "3 skipped (and counted).")] = False,
    model: Annotated[str | None, typer.Option(help="Architecture; `customer-sentiment models` lists them.",
                                              show_default=DEFAULT_MODEL)] = None,
    epochs: _training_option("epochs", "Passes over the data.", int | None, show="the architecture's; 10") = None,
    batch_size: _training_option("batch_size", "Reviews (or windows) per step.", int | None,
                                 show="the architecture's; reviews/64 within 16..256") = None,
    learning_rate: _training_option("learning_rate", "Peak learning rate.", float | None,
                                    show="the architecture's; 0.01 for bag_of_embeddings.v1") = None,
    optimizer: _training_option("optimizer", "sgd, adam or adamw.", str | None) = None,
    weight_decay: _training_option("weight_decay", "Weight decay.", float | None, show="the architecture's; 0") = None,
    schedule: _training_option("schedule", "Learning rate after warm-up: constant, linear or cosine.", str | None) = None,
    warmup_fraction: _training_option("warmup_fraction", "Share of the steps spent warming up.", float | None,
                                      show="the architecture's; 0") = None,
    grad_clip: _training_option("grad_clip", "Clip the gradient norm to this (0: off).", float | None) = None,
    accumulation_steps: _training_option("accumulation_steps", "Batches per optimizer step.", int | None) = None,
    precision: _training_option("precision", "fp32, bf16 (CPU and GPU) or fp16 (CUDA).", str | None) = None,
    class_weights: _training_option("class_weights", "none, or balanced for imbalanced classes.", str | None) = None,
    validation_fraction: _training_option("validation_fraction", "Share held out for early stopping.", float | None) = None,
    patience: _training_option("patience", "Epochs without a better validation macro-F1 before stopping.", int | None) = None,
    seed: _training_option("seed", "Random seed.", int | None) = None,
    device: _training_option("device", "auto, cpu, cuda, cuda:N or mps.", str | None) = None,
    checkpoint_every: _training_option("checkpoint_every", "Also checkpoint every this many steps (0: each epoch).",
                                       int | None) = None,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="Override any config key: model.embedding_dim=32, tokenizer.max_ngrams=500000, "
                      "training.learning_rate=3e-4 (repeatable).")] = None,
    run_dir: Annotated[Path | None, typer.Option(help="Where the run's resolved config, metrics log and "
                                                      "checkpoints go.", show_default="runs/OUTPUT-NAME-TIME")] = None,
    resume: Annotated[Path | None, typer.Option(help="Continue the run in this run directory from its last "
                                                     "checkpoint (no other settings).")] = None,
    encoding: Annotated[str | None, typer.Option(help="Text encoding of CSV, TSV and JSON Lines input.",
                                                 show_default="utf-8")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
):
    """Train a model on labelled reviews and save it as a directory (safetensors + JSON).

    Settings come from the defaults, then --config, then the flags and --set. Under
    `torchrun --nproc_per_node N -m customer_sentiment train ...` it trains on N processes (DDP).
    """
    from . import config as run_config
    from . import distributed
    from .models import get_architecture
    from .pipeline import SentimentPipeline
    from .saving import check_model_output
    from .training_args import TrainingArguments

    flags = {"training": dict(epochs=epochs, batch_size=batch_size, learning_rate=learning_rate, optimizer=optimizer,
                              weight_decay=weight_decay, schedule=schedule, warmup_fraction=warmup_fraction,
                              grad_clip=grad_clip, accumulation_steps=accumulation_steps, precision=precision,
                              class_weights=class_weights, validation_fraction=validation_fraction, patience=patience,
                              seed=seed, device=device, checkpoint_every=checkpoint_every),
             "data": dict(file=str(data) if data else None, text_column=text_column, label_column=label_column,
                          rating_column=rating_column, encoding=encoding,
                          rating_map=str(_rating_map(rating_map, binary)) if (rating_map or binary) else None),
             "model": {"architecture": model}}
    if resume:
        given = [name for name, value in [("DATA", data), ("--config", config_file), ("--run-dir", run_dir),
                                          ("--set", set_), ("--output", output)] if value]
        given += [f"--{k.replace('_', '-')}" for section in flags.values() for k, v in section.items() if v]
        if given:
            raise CustomerSentimentError(f"--resume continues a run with its own settings; drop {', '.join(given)}.")
        run_dir = resume
        run_info = RunInfo.read(resume)
        settings, output = run_info.config, run_info.output
        architecture = get_architecture(run_config.architecture_name(settings, str(resume / "config.toml")))
        run_config.check(settings, architecture, str(resume / "config.toml"))
    else:
        from_file = run_config.read_toml(config_file) if config_file else run_config.empty_config()
        overrides = run_config.parse_overrides(set_ or [])
        settings = run_config.merge(from_file, flags, overrides)
        architecture = get_architecture(run_config.architecture_name(settings, str(config_file or "--model")))
        run_config.check(from_file, architecture, str(config_file))
        run_config.check(overrides, architecture, "--set")
    data_settings = {**run_config.DATA_DEFAULTS, **settings["data"]}
    if not data_settings["file"]:
        raise CustomerSentimentError("Say which reviews to train on: pass DATA, or data.file in --config.")
    if not data_settings["label_column"] and not data_settings["rating_column"]:
        raise CustomerSentimentError("Say where the labels are: pass --label-column COL (labels) or "
                                     "--rating-column COL (star ratings, mapped by --rating-map).")
    if output is None:
        raise CustomerSentimentError("Say where the model goes: pass --output MODEL_DIR.")
    check_model_output(output)
    training = TrainingArguments(**settings["training"])
    distributed.start(_device_type(training.device))
    main = distributed.is_main()
    mapping = RatingMap.parse(data_settings["rating_map"]) if data_settings["rating_column"] else None
    reviews = read_reviews(data_settings["file"], data_settings["text_column"], data_settings["label_column"] or None,
                           data_settings["rating_column"] or None, mapping, data_settings["encoding"])
    if main:
        display.print_skipped(data_settings["file"], reviews.rows_read, len(reviews), reviews.skipped, console)
        counts = Counter(reviews.labels)
        console.print("Labels: " + ", ".join(f"{label} {counts[label]:,}" for label in sorted(counts)))
    run_dir = run_dir or _default_run_dir(output)
    if main and not resume:
        console.print(f"Run directory: {run_dir} (resume a stopped run with: customer-sentiment train --resume {run_dir})")
    model_settings = {k: v for k, v in settings["model"].items() if k != "architecture"}
    pipeline = SentimentPipeline(architecture.name, model_settings, settings["tokenizer"], training,
                                 verbose=not quiet and main)
    pipeline.fit(reviews.texts, reviews.labels, {**reviews.info, "encoding": data_settings["encoding"]},
                 run_dir=run_dir, resume=bool(resume), run_info={"output": str(output)})
    if main:
        if "validation" in pipeline.metrics_:
            display.print_metrics(pipeline.metrics_["validation"], "Validation", display.stdout)
        path = pipeline.save(output)
        console.print(f"Saved the model to {path}/ (config.json, model.safetensors, tokenizer.json, metrics.json)")
    distributed.stop()


class RunInfo:
    """What `--resume` needs from a run directory: its resolved config and where the model goes."""

    def __init__(self, config: dict, output: Path):
        self.config, self.output = config, output

    @classmethod
    def read(cls, path: Path) -> RunInfo:
        from . import config as run_config
        from .runs import RunDirectory

        run = RunDirectory(path)
        info = run.info()
        if info.get("status") == "finished":
            raise CustomerSentimentError(f"The run in {path} has finished; its model is in {info.get('output')}.")
        if not info.get("output") or not run.config_path.is_file():
            raise CustomerSentimentError(
                f"{path} lacks its config.toml or the model's output path (was it started from Python rather than "
                f"`customer-sentiment train`?). Resume it with SentimentPipeline.fit(..., run_dir=..., resume=True).")
        return cls(run_config.read_toml(run.config_path), Path(info["output"]))


def _device_type(device: str) -> str:
    return "cuda" if device.startswith("cuda") or (device == "auto" and _cuda_available()) else "cpu"


def _cuda_available() -> bool:
    import torch
    return torch.cuda.is_available()


def _default_run_dir(output: Path) -> Path:
    """runs/OUTPUT-NAME-YYYYMMDD-HHMMSS, the same name in every process of a distributed run."""
    import datetime as dt

    from . import distributed

    name = [f"{output.name}-{dt.datetime.now().strftime('%Y%m%d-%H%M%S')}"]
    if distributed.world_size() > 1:
        import torch.distributed as dist
        dist.broadcast_object_list(name, src=0)
    return Path("runs") / name[0]


@app.command()
@user_errors
def config(model: Annotated[str, typer.Option(help="Architecture whose settings to list.")] = DEFAULT_MODEL):
    """Print a TOML run configuration with every key, its default and a comment on what it does."""
    from . import config as run_config
    from .models import get_architecture

    architecture = get_architecture(model)
    header = (f"customer-sentiment run configuration for {model}.\n"
              f"Use it with: customer-sentiment train --config FILE -o MODEL_DIR. Flags and --set override it.\n"
              f"Training settings left unset take the architecture's defaults.")
    print(run_config.to_toml(run_config.defaults(architecture), architecture, header), end="")


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
