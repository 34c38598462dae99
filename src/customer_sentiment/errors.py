"""Errors that mean the user gave something wrong: a file, a column, a label, a model directory.

Each message says what was expected, what was found and how to fix it, in one line, because the CLI
prints it as it is (no traceback) and exits non-zero.
"""


class CustomerSentimentError(Exception):
    """A mistake in what the user gave; the message names the place, the problem and the fix.

    >>> raise CustomerSentimentError("Column 'review' not found in r.csv; found ['text']. Pass --text-column text.")
    Traceback (most recent call last):
    ...
    customer_sentiment.errors.CustomerSentimentError: Column 'review' not found in r.csv; found ['text']. Pass --text-column text.
    """


class NotFittedError(CustomerSentimentError):
    """A pipeline was asked to predict or save before it was fitted or loaded."""
