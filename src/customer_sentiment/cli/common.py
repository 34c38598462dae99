"""What the commands share: one-line user errors, the options every command takes the same way."""

from __future__ import annotations

import functools
import signal
import threading
import warnings
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from ..console import console, printable
from ..errors import CustomerSentimentError, os_error
from ..io import raise_or_defer
from ..settings import DataSettings, TrainingArguments, defaults_of


class Terminated(BaseException):
    """SIGTERM, raised where the command is, so that its `finally` blocks remove temporary files."""


def _terminate(signum, frame):
    raise_or_defer(Terminated())          # not inside Arrow's reader: it would abort the interpreter


def _interrupt(signum, frame):
    raise_or_defer(KeyboardInterrupt())


def user_errors(command):
    """Print a CustomerSentimentError (and warnings) on one line, exit 1, no traceback; bugs stay tracebacks.

    SIGINT and SIGTERM end the command through its clean-up (no partial output), with exit 130 or 143.
    """
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        warnings.showwarning = _show_warning
        main_thread = threading.current_thread() is threading.main_thread()
        previous = ((signal.signal(signal.SIGTERM, _terminate), signal.signal(signal.SIGINT, _interrupt))
                    if main_thread else None)
        try:
            return command(*args, **kwargs)
        except CustomerSentimentError as error:
            console.print(Text("error: ", style="bold red") + Text(printable(str(error))))
            raise typer.Exit(1) from None
        except OSError as error:            # a file system problem the checks did not foresee
            console.print(Text("error: ", style="bold red") + Text(printable(str(os_error(error)))))
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            console.print(Text("interrupted; no output was written", style="bold red"))
            raise typer.Exit(130) from None
        except Terminated:
            console.print(Text("terminated; no output was written", style="bold red"))
            raise typer.Exit(143) from None
        finally:
            if main_thread:
                signal.signal(signal.SIGTERM, previous[0])
                signal.signal(signal.SIGINT, previous[1])
    return wrapper


def _show_warning(message, category, filename, lineno, file=None, line=None):
    console.print(Text("warning: ", style="bold yellow") + Text(printable(str(message))))


ENCODING = defaults_of(DataSettings)["encoding"]
MAX_REVIEW_MB = defaults_of(DataSettings)["max_review_mb"]
DEVICE = defaults_of(TrainingArguments)["device"]
Data = Annotated[str, typer.Argument(help="Reviews: .csv, .tsv, .jsonl (optionally compressed), .parquet or .xlsx; "
                                          "or a database URL (sqlite:///reviews.db, postgresql+psycopg://user@host/db) "
                                          "with --table or --query.")]
Table = Annotated[str | None, typer.Option(help="When DATA is a database URL: the table of reviews ([schema.]name), "
                                                "read in its primary key's order.", show_default="none")]
Query = Annotated[str | None, typer.Option(help="When DATA is a database URL: a SELECT returning the reviews, "
                                                "instead of --table.", show_default="none")]
ModelDir = Annotated[Path, typer.Argument(help="A model directory written by `customer-sentiment train`.")]
TextColumn = Annotated[str | None, typer.Option(help="Column with the review text.",
                                                   show_default="the model's training column")]
LabelColumn = Annotated[str | None, typer.Option(help="Column with the labels (any set: sentiment, topic, ...).",
                                                    show_default="the model's training column")]
RatingColumn = Annotated[str | None, typer.Option(help="Column with star ratings, turned into labels by --rating-map.",
                                                     show_default="the model's training column")]
RatingMapOption = Annotated[str | None, typer.Option("--rating-map", help="Ratings to labels as inclusive ranges; "
                                                     "'skip' drops a range.", show_default="the model's rating map")]
Encoding = Annotated[str, typer.Option(help="Text encoding of CSV, TSV and JSON Lines input.")]
Delimiter = Annotated[str | None, typer.Option(help="Delimiter of CSV input: , ; | or tab.",
                                               show_default="by extension; ';' detected in a .csv header")]
MaxReviewMb = Annotated[float, typer.Option(help="Longest review accepted, in MB; a longer one is an error naming "
                                                 "its line.")]
Device = Annotated[str, typer.Option(help="auto (a GPU when there is one), cpu, cuda, cuda:N or mps.")]


class RuntimeName(StrEnum):
    torch = "torch"
    onnx = "onnx"
    onnx_int8 = "onnx-int8"


Runtime = Annotated[RuntimeName, typer.Option(
    help="Where the logits are computed: torch (PyTorch), or the exported graph in onnxruntime on the CPU, onnx "
         "(fp32) or onnx-int8 (run `customer-sentiment export MODEL_DIR [--quantize int8]` first).")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")]
JsonPath = Annotated[Path | None, typer.Option("--json", help="Also write the results as JSON here.")]
