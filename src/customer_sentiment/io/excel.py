"""Excel workbooks (.xlsx), read through openpyxl's streaming read-only mode: the first sheet, its
first row as the header, every cell as the text a spreadsheet shows (as CSV would have it)."""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Iterator
from pathlib import Path

from ..errors import CustomerSentimentError


def excel_rows(path: Path) -> Iterator[tuple]:
    """The values of each row of the workbook's first sheet (formulas as their last computed value)."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise CustomerSentimentError(f"{path} is not a readable Excel workbook ({error})", expected="an .xlsx file",
                                     fix="Save it again from the spreadsheet as an Excel workbook (.xlsx), or as CSV.") from None
    try:
        sheet = workbook.worksheets[0]
        yield from sheet.iter_rows(values_only=True)
    finally:
        workbook.close()


def excel_text(value: object) -> str | None:
    """A cell as text: whole numbers without '.0', dates in ISO form, empty cells None.

    >>> [excel_text(v) for v in (5.0, 4.5, None, True, dt.datetime(2025, 3, 1))]
    ['5', '4.5', None, 'TRUE', '2025-03-01']
    """
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)
