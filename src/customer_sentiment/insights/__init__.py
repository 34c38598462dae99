"""Business aggregates of scored reviews: shares by product and period, tested changes, examples,
stars against words. `summarize` takes a DataFrame, `summarize_file` streams a scored file."""

from .chunks import PERIODS, Columns
from .summary import summarize, summarize_chunks, summarize_file

__all__ = ["PERIODS", "Columns", "summarize", "summarize_chunks", "summarize_file"]
