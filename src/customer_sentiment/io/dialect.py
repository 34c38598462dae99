"""How a delimited file is written: its delimiter, whether its fields are quoted, its line ends.

Decided once per file from its first megabyte, so that reading (Arrow) and finding the line of an
error (Python's csv module) agree:

- The delimiter is the option given, else the extension's (`,` for .csv, a tab for .tsv), except
  that a .csv whose header holds semicolons and no comma is read with `;` (European spreadsheets
  write that); where the header holds both, the comma stays and the error says how to choose.
- CSV fields are quoted (RFC 4180). TSV is written two ways: pandas, Python's csv module and
  spreadsheets quote a field that holds a tab, a line break or a quote; older tools never quote,
  so a `"` is text. A TSV is read as quoted unless its sample only makes sense unquoted (a quote
  that opens a field and closes before its end, or rows that quoting would merge).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from .decoding import SAMPLE_BYTES, Utf8Stream, lines_end_in_cr

DELIMITERS = {",": ",", ";": ";", "\t": "\t", "tab": "\t", "\\t": "\t", "|": "|"}


@dataclass(frozen=True)
class Dialect:
    """How one delimited file is written."""

    delimiter: str
    quoted: bool = True                    # fields may be quoted with "
    cr_lines: bool = False                 # lines end in a lone \r

    def csv_options(self) -> dict:
        """The same dialect for Python's csv module."""
        if self.quoted:
            return {"delimiter": self.delimiter}
        return {"delimiter": self.delimiter, "quoting": csv.QUOTE_NONE}


def detect_dialect(path: Path, fmt: str, encoding: str, delimiter: str | None = None) -> Dialect:
    """The dialect of a CSV or TSV file (see the module docstring); `delimiter` as given by the user."""
    cr_lines = lines_end_in_cr(path, encoding)
    sample = _sample(path, encoding, cr_lines)
    header = sample.splitlines()[0] if sample else ""
    chosen = delimiter or ("\t" if fmt == "tsv" else _header_delimiter(header))
    quoted = chosen != "\t" or _reads_quoted(sample, chosen, cut=len(sample.encode()) >= SAMPLE_BYTES // 2)
    return Dialect(chosen, quoted, cr_lines)


def _header_delimiter(header: str) -> str:
    return ";" if ";" in header and "," not in header else ","


def _reads_quoted(sample: str, delimiter: str, cut: bool) -> bool:
    """False when the sample only makes sense unquoted: a strict quoted reading fails in it, gives
    rows of another width than the header, or leaves a quote open at the end of the file."""
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter, strict=True)
    widths = set()
    try:
        for fields in reader:
            if fields:
                widths.add(len(fields))
    except csv.Error as error:
        if not cut or "unexpected end of data" not in str(error):   # else: a quoted field cut by the sample
            return False
    return len(widths) <= 1


def _sample(path: Path, encoding: str, cr_lines: bool) -> str:
    with Utf8Stream(path, encoding, keep_cr=not cr_lines, errors="replace") as stream:
        data = stream.read(SAMPLE_BYTES)
    text = data.decode("utf-8", errors="replace")
    end = max(text.rfind("\n"), text.rfind("\r")) if len(data) >= SAMPLE_BYTES else len(text)
    return text[:end] if end > 0 else text
