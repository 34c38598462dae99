"""How to read reviews: a file's encoding and delimiter, the longest review accepted, and in a database
(a URL) the table or the query that holds them."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import CustomerSentimentError
from .dialect import DELIMITERS
from .formats import check_encoding

MAX_REVIEW_MB = 16.0                  # generous: a 16 MB review is about three million words


@dataclass(frozen=True)
class ReadOptions:
    """Reading options shared by every reader; checked on creation.

    >>> ReadOptions(delimiter="tab").delimiter == "\\t"
    True
    """

    encoding: str = "utf-8"
    delimiter: str | None = None      # None: by extension, `;` detected in a .csv header
    max_review_mb: float = MAX_REVIEW_MB
    table: str | None = None          # a database's reviews: a table ([schema.]name) ...
    query: str | None = None          # ... or a query (io/sql.py)

    def __post_init__(self):
        check_encoding(self.encoding)
        if self.table and self.query:
            raise CustomerSentimentError("Both --table and --query were given", expected="one of them",
                                         fix="Pass --table NAME to read a whole table, or --query 'SELECT ...'.")
        if self.delimiter is not None:
            if self.delimiter not in DELIMITERS:
                raise CustomerSentimentError(f"--delimiter is {self.delimiter!r}", expected="one of , ; | tab",
                                             fix="Pass --delimiter ';' (or , | tab), or leave it out to detect it.")
            object.__setattr__(self, "delimiter", DELIMITERS[self.delimiter])
        if isinstance(self.max_review_mb, bool) or not isinstance(self.max_review_mb, int | float) \
                or not 0 < self.max_review_mb <= 1024:
            raise CustomerSentimentError(f"--max-review-mb is {self.max_review_mb!r}", expected="a number in (0, 1024]",
                                         fix=f"Pass --max-review-mb {MAX_REVIEW_MB:g} (the default) or another size.")

    @property
    def max_review_bytes(self) -> int:
        return int(self.max_review_mb * (1 << 20))


def read_options(options: ReadOptions | str | None) -> ReadOptions:
    """ReadOptions from options, an encoding name, or None (the defaults)."""
    if isinstance(options, ReadOptions):
        return options
    return ReadOptions() if options is None else ReadOptions(encoding=options)
