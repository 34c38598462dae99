"""Where progress and log lines go: stderr, so that tables and data on stdout stay clean."""

from __future__ import annotations

import re

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

console = Console(stderr=True, highlight=False, soft_wrap=True)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """`text` with control characters written out as escapes (a terminal would obey them: a file name
    or review holding ESC could recolour or rewrite the screen, a line break would split an error line).

    >>> printable("two\\nlines \\x1b[31mred")
    'two\\\\nlines \\\\x1b[31mred'
    """
    return _CONTROL.sub(lambda match: repr(match.group())[1:-1], text)


def progress_bar(enabled: bool = True) -> Progress:
    """A rich progress bar with a free-text field for loss and speed; shown only on a terminal."""
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
                    TextColumn("{task.fields[status]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                    console=console, transient=True, disable=not (enabled and console.is_terminal))
