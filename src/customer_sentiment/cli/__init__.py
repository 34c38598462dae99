"""The `customer-sentiment` command: train, evaluate, predict, explain, export, report, models, config.

One small function per command (train.py, scoring.py, explain.py, export.py, info.py). A user's mistake (a missing
column, a bad file, an unknown label) ends the command with a one-line `error: ...` on stderr and
exit status 1, never a traceback.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from .._version import __version__
from .common import user_errors
from .explain import explain
from .export import export
from .info import config, models, report
from .options import with_setting_flags
from .scoring import evaluate, predict
from .serve import serve
from .train import train


def make_app(train_flags: bool = True) -> typer.Typer:
    """The typer application, built when called so that help texts show the defaults of now.

    `train`'s flags show defaults that `settings.resolve()` computes from the architecture, which
    imports PyTorch (seconds); `train_flags=False` registers `train` without them, for runs of the
    other commands, which then start without PyTorch.
    """
    app = typer.Typer(name="customer-sentiment", add_completion=False, no_args_is_help=True,
                      pretty_exceptions_enable=False,
                      help="Learn the sentiment of customer reviews: train a model, evaluate it, score files, report.")
    for command in (with_setting_flags(train) if train_flags else _summary_of(train), config, evaluate, predict,
                    explain, export, serve, report, models):
        app.command(name=command.__name__)(user_errors(command))
    app.callback()(main)
    return app


def version_callback(value: bool):
    if value:
        print(f"customer-sentiment {__version__}")
        raise typer.Exit()


def main(version: Annotated[bool, typer.Option("--version", callback=version_callback, is_eager=True,
                                               help="Print the version and exit.")] = False):
    """Learn the sentiment of customer reviews: train, evaluate, predict, report."""


def _summary_of(command):
    """`command` as the command list shows it (name and help), without its options."""
    def summary():
        raise RuntimeError(f"{command.__name__} was registered without its options")
    summary.__name__, summary.__doc__ = command.__name__, command.__doc__
    return summary


def run() -> None:  # pragma: no cover - console entry point
    make_app(train_flags=sys.argv[1:2] == ["train"])(prog_name="customer-sentiment")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run())
