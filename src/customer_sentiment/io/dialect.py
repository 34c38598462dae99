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
import re
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
    header, _ = _sample(path, encoding, cr_lines)
    header = header.splitlines()[0] if header else ""
    chosen = delimiter or ("\t" if fmt == "tsv" else _header_delimiter(header))
    quoted = chosen != "\t" or _tsv_reads_quoted(path, encoding, cr_lines, header)
    return Dialect(chosen, quoted, cr_lines)


def _header_delimiter(header: str) -> str:
    return ";" if ";" in header and "," not in header else ","


def _tsv_reads_quoted(path: Path, encoding: str, cr_lines: bool, header: str) -> bool:
    """Whether a TSV is quoted, judged where the evidence is: from the first line on which a field
    starts with a quote (the whole file is searched for one, at the speed of a regular expression).
    Without any such field, quoting changes nothing, and the file is read as quoted."""
    start = _first_quoted_field(path, encoding, cr_lines)
    if start is None:
        return True
    sample, cut = _sample(path, encoding, cr_lines, start)
    return _reads_quoted(header + "\n" + sample, "\t", cut)


def _reads_quoted(sample: str, delimiter: str, cut: bool) -> bool:
    """False when the sample only makes sense unquoted: a strict quoted reading fails in it, gives
    rows of different widths, or leaves a quote open at the end of the file."""
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


_QUOTE_OPENS = re.compile(rb'(?:^|[\t\n\r])"', re.MULTILINE)


def _first_quoted_field(path: Path, encoding: str, cr_lines: bool) -> int | None:
    """The offset (in the UTF-8 stream) of the start of the line where a field first starts with `"`."""
    offset, tail = 0, b""
    with Utf8Stream(path, encoding, keep_cr=not cr_lines, errors="replace") as stream:
        while block := stream.read(SAMPLE_BYTES):
            data = tail + block
            found = _QUOTE_OPENS.search(data)
            if found:
                line_start = max(data.rfind(b"\n", 0, found.start() + 1), data.rfind(b"\r", 0, found.start() + 1))
                return offset - len(tail) + line_start + 1
            offset, tail = offset + len(block), data[-1:]
    return None


def _sample(path: Path, encoding: str, cr_lines: bool, start: int = 0) -> tuple[str, bool]:
    """About a megabyte of the file's text from byte `start` of its UTF-8 stream, in whole lines unless
    the file ends sooner; and whether it was cut."""
    with Utf8Stream(path, encoding, keep_cr=not cr_lines, errors="replace") as stream:
        while start > 0:                                  # skip, a megabyte at a time
            start -= len(stream.read(min(start, SAMPLE_BYTES))) or start
        data = stream.read(SAMPLE_BYTES)
        cut = not stream.at_end and stream.read(1) != b""
    text = data.decode("utf-8", errors="replace")
    if cut:
        end = max(text.rfind("\n"), text.rfind("\r"))
        text = text[:end] if end > 0 else text
    return text, cut
