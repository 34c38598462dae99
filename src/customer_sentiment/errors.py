"""Errors that mean the user gave something wrong: a file, a column, a setting, a model directory.

A `CustomerSentimentError` is a value with four parts, as spaCy's and setfit's messages are: what
happened (naming the file, line, column, flag or config key), what was expected, what was found,
and the fix. The CLI prints it on one line (no traceback) and exits 1. Internal bugs are not
caught: they stay tracebacks, so they get reported and fixed. A password written in a URL (a
database's) never shows in a message: `hide_passwords` turns it into ***.
"""

from __future__ import annotations

import errno
import re

# scheme://user:PASSWORD@host: the password runs to the last @ before a space (it may hold : / or @ itself).
_URL_PASSWORD = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]*:)[^\s]*@")


def hide_passwords(text: str) -> str:
    """`text` with the password of every URL in it written as ***, as SQLAlchemy shows one.

    >>> hide_passwords("Cannot connect to postgresql+psycopg://shop:s3cr:t@db.example.com/reviews")
    'Cannot connect to postgresql+psycopg://shop:***@db.example.com/reviews'
    """
    return _URL_PASSWORD.sub(r"\1***@", text)


class CustomerSentimentError(Exception):
    """A mistake in what the user gave; the message names the place, the problem and the fix.

    >>> raise CustomerSentimentError("Column 'review' not found in r.csv", found="['text']",
    ...                              fix="Pass --text-column text.")
    Traceback (most recent call last):
    ...
    customer_sentiment.errors.CustomerSentimentError: Column 'review' not found in r.csv: found ['text']. Pass --text-column text.
    """

    def __init__(self, what: str, *, fix: str, expected: str | None = None, found: str | None = None):
        what, expected, found, fix = (None if part is None else hide_passwords(part) for part in (what, expected, found, fix))
        self.what, self.expected, self.found, self.fix = what, expected, found, fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        said = [f"expected {self.expected}" if self.expected else "", f"found {self.found}" if self.found else ""]
        said = ", ".join(part for part in said if part)
        return f"{self.what}{': ' + said if said else ''}. {self.fix}"

    def as_dict(self) -> dict[str, str | None]:
        """The four parts, for JSON (the service's 4xx answers, run records)."""
        return {"error": self.what, "expected": self.expected, "found": self.found, "fix": self.fix}

    def __reduce__(self):
        """Pickled whole (a Ray actor's error reaches the driver as this type, with its four parts)."""
        return _rebuild, (type(self), self.what, self.expected, self.found, self.fix)


def _rebuild(cls: type, what: str, expected: str | None, found: str | None, fix: str) -> CustomerSentimentError:
    error = cls.__new__(cls)            # a subclass's own __init__ takes other arguments
    CustomerSentimentError.__init__(error, what, expected=expected, found=found, fix=fix)
    return error


class NotFittedError(CustomerSentimentError):
    """A pipeline or tokenizer was asked to predict or save before it was fitted or loaded."""

    def __init__(self, name: str, fix: str = "Call fit(texts, labels) first, or load a saved model with "
                                             "SentimentPipeline.load(path)."):
        super().__init__(f"This {name} is not fitted yet", fix=fix)


_CAUSES = {errno.ENOSPC: ("the disk is full", "Free some space, or write to another disk."),
           errno.EDQUOT: ("the disk quota is used up", "Free some space, or write to another disk."),
           errno.EACCES: ("permission denied", "Check the file's and its folder's permissions."),
           errno.EPERM: ("operation not permitted", "Check the file's and its folder's permissions."),
           errno.EROFS: ("the file system is read-only", "Write to another folder."),
           errno.ENOENT: ("no such file or folder", "Check the path.")}


def os_error(error: OSError, where: object = None) -> CustomerSentimentError:
    """An operating-system error as a user error: the file (`where`, else the error's), the real cause, the fix."""
    where = where or error.filename or "a file"
    cause, fix = _CAUSES.get(error.errno, (error.strerror or str(error), "Check the path, its permissions and free space."))
    return CustomerSentimentError(f"Cannot use {where}: {cause}", fix=fix)
