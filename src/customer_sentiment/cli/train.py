"""`customer-sentiment train`: settings resolved once, the device resolved once, the reviews read,
`training.fit_model` in a run directory, the model saved."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from .. import display
from ..console import console
from ..errors import CustomerSentimentError
from ..io.ratings import RatingMap
from ..settings import DEFAULT_MODEL, Settings, option_name, parse_overrides, read_toml, resolve

BINARY = str(RatingMap.default(binary=True))


def train(
    data: Annotated[str | None, typer.Argument(help="Reviews: .csv, .tsv, .jsonl (optionally compressed), .parquet or "
                                                    ".xlsx; or a database URL with --table or --query.",
                                               show_default="data.file of --config")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Model directory to write (replaced if it "
                                                                       "holds a model).")] = None,
    config_file: Annotated[Path | None, typer.Option("--config", help="A TOML run configuration; "
                                                                      "`customer-sentiment config` writes one.")] = None,
    model: Annotated[str | None, typer.Option(help="Architecture; `customer-sentiment models` lists them.",
                                              show_default=DEFAULT_MODEL)] = None,
    binary: Annotated[bool, typer.Option("--binary", help=f"Two classes from ratings: --rating-map {BINARY} "
                                                          f"(3s skipped, and counted).")] = False,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="Override any config key: model.embedding_dim=32, tokenizer.max_ngrams=500000, "
                      "training.learning_rate=3e-4 (repeatable).")] = None,
    run_dir: Annotated[Path | None, typer.Option(help="Where the run's resolved config, metrics log and "
                                                      "checkpoints go.", show_default="runs/OUTPUT-NAME-TIME")] = None,
    resume: Annotated[Path | None, typer.Option(help="Continue the run in this run directory from its last "
                                                     "checkpoint (no other settings).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
    flags: dict | None = None,
):
    """Train a model on labelled reviews and save it as a directory (safetensors + JSON).

    Settings come from the defaults (the architecture's included), then --config, then the flags
    and --set. Under `torchrun --nproc_per_node N -m customer_sentiment train ...` it trains on N
    processes (DDP).
    """
    from ..io import RatingMap, iter_reviews, read_reviews
    from ..io.sql import source_name
    from ..pipeline import SentimentPipeline
    from ..training import RunDirectory, distributed, fit_model, staged_from_file, training_device

    settings, output = _resolve(flags, data, output, config_file, model, binary, set_, run_dir, resume)
    run_dir = resume or run_dir
    _check_complete(settings, output)
    device = training_device(settings.training)                   # once, before minutes of reading
    main = distributed.is_main()
    reader = iter_reviews if settings.training.shards else read_reviews        # in chunks, or all at once
    reviews = reader(settings.data.file, settings.data.text_column, settings.data.label_column or None,
                     settings.data.rating_column or None,
                     RatingMap.parse(settings.data.rating_map) if settings.data.rating_column else None,
                     settings.data.read_options())
    if settings.training.shards:
        reviews = staged_from_file(reviews, settings.training.shards)
    run_dir = run_dir or _default_run_dir(output)
    if main:
        display.print_skipped(source_name(settings.data.file, settings.data.read_options()), reviews.rows_read,
                              len(reviews), reviews.skipped, console)
        counts = reviews.label_counts() if settings.training.shards else Counter(reviews.labels)
        console.print("Labels: " + ", ".join(f"{label} {counts[label]:,}" for label in sorted(counts)))
        if not resume:
            console.print(f"Run directory: {run_dir} (resume a stopped run with: customer-sentiment train "
                          f"--resume {run_dir})")
    texts, labels = (reviews, None) if settings.training.shards else (reviews.texts, reviews.labels)
    trained = fit_model(texts, labels, _as_recorded(settings), device,
                        {**reviews.info, "encoding": settings.data.encoding, **_database(settings.data)},
                        RunDirectory(run_dir, writer=main), bool(resume), {"output": str(output)}, not quiet and main)
    if main:
        pipeline = SentimentPipeline.from_trained(trained, verbose=not quiet)
        if "validation" in pipeline.metrics_:
            display.print_metrics(pipeline.metrics_["validation"], "Validation", display.stdout)
        path = pipeline.save(output)
        console.print(f"Saved the model to {path}/ (config.json, model.safetensors, tokenizer.json, metrics.json)")
    distributed.stop()


def _resolve(flags: dict, data: str | None, output: Path | None, config_file: Path | None, model: str | None,
             binary: bool, set_: list[str] | None, run_dir: Path | None, resume: Path | None) -> tuple[Settings, Path]:
    """The run's settings (a resumed run's own, else defaults, --config, flags and --set) and its output."""
    from ..training import RunDirectory

    if resume:
        _refuse_settings_on_resume(flags, data=data, config=config_file, model=model, binary=binary, run_dir=run_dir,
                                   set=set_, output=output)
        recorded, output = RunDirectory(resume).resumable()
        return resolve((str(resume / "config.toml"), recorded)), output
    if binary:
        if flags["data"]["rating_map"]:
            raise CustomerSentimentError("Both --rating-map and --binary were given",
                                         fix=f"Pass one of them; --binary is --rating-map '{BINARY}'.")
        flags["data"]["rating_map"] = BINARY
    flags["data"]["file"] = str(data) if data else None
    flags["model"] = {"architecture": model}
    layers = [(str(config_file), read_toml(config_file))] if config_file else []
    return resolve(*layers, ("flags", flags), ("--set", parse_overrides(set_ or []))), output


def _refuse_settings_on_resume(flags: dict, **given) -> None:
    """`given`: train's own options by parameter name (data is the DATA argument); `flags`: the settings flags."""
    names = {"data": "DATA", "set": "--set", "config": "--config"}
    named = [names.get(name, option_name(name)) for name, value in given.items() if value]
    named += [option_name(k) for section in flags.values() for k, v in section.items() if v is not None]
    if named:
        raise CustomerSentimentError("--resume continues a run with its own settings",
                                     found=", ".join(named), fix="Drop those options.")


def _as_recorded(settings: Settings) -> Settings:
    """The settings as the run directory records them: a database URL's password as ***."""
    from ..io.sql import display_url

    if not _database(settings.data):
        return settings
    return dataclasses.replace(settings, data=dataclasses.replace(settings.data, file=display_url(settings.data.file)))


def _database(data) -> dict:
    """For a database: its URL (password as ***) and the table or query, as config.json records them; else {}."""
    from ..io.formats import is_database_url
    from ..io.sql import display_url

    if not is_database_url(data.file):
        return {}
    return {"file": display_url(data.file), **{key: value for key in ("table", "query") if (value := getattr(data, key))}}


def _check_complete(settings: Settings, output: Path | None) -> None:
    from ..model_dir import check_model_output

    if not settings.data.file:
        raise CustomerSentimentError("No reviews to train on were given",
                                     fix="Pass DATA, or data.file in --config.")
    if not settings.data.label_column and not settings.data.rating_column:
        raise CustomerSentimentError("No label or rating column was given",
                                     fix="Pass --label-column COL (labels) or --rating-column COL (star ratings, "
                                         "mapped by --rating-map).")
    if output is None:
        raise CustomerSentimentError("No place for the model was given", fix="Pass --output MODEL_DIR.")
    check_model_output(output)


def _default_run_dir(output: Path) -> Path:
    """runs/OUTPUT-NAME-YYYYMMDD-HHMMSS, the same name in every process of a distributed run."""
    from ..training import distributed

    name = [f"{output.name}-{dt.datetime.now().strftime('%Y%m%d-%H%M%S')}"]
    if distributed.world_size() > 1:
        import torch.distributed as dist
        dist.broadcast_object_list(name, src=0)
    return Path("runs") / name[0]
