"""Review files as UTF-8 bytes for Arrow: any encoding, byte-order marks, and carriage returns that
are text rather than line ends.

Spreadsheets save "Unicode text" as UTF-16 with a byte-order mark, and Excel starts its UTF-8
CSV with one: both are recognised. Text pasted from web forms holds lone carriage returns (`\\r`
not followed by `\\n`), which pandas writes unquoted and Arrow takes for the end of a row. In a
file whose lines end in `\\n`, a lone `\\r` is therefore text: `Utf8Stream` hands it to Arrow as
a code of two Unicode noncharacters (reserved for exactly this kind of internal use) and
`restore_text` puts the `\\r` back after parsing. A file whose lines end in `\\r` alone (old Mac exports) is read as
written.
"""

from __future__ import annotations

import codecs
import io
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from .formats import open_binary

# Two-character codes made of noncharacters: ESCAPE + CR stands for a lone \r, ESCAPE + ESCAPED for
# an ESCAPE the text really holds, so every text comes back exactly as written.
ESCAPE, CR, ESCAPED = "\ufdd0", "\ufdd1", "\ufdd2"
_ESCAPE = ESCAPE.encode("utf-8")
_LONE_CR = re.compile(rb"\r(?!\n)")
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
SAMPLE_BYTES = 1 << 20
# Arrow calls `Utf8Stream.read` from its C++ reader. A SIGTERM or Ctrl-C exception raised inside
# that call unwinds through Arrow, and the interpreter can abort at exit: signal handlers defer
# theirs while Arrow is inside a read (`raise_or_defer`), and the reader raises it between blocks.
_arrow_reads = 0
_deferred: list[BaseException] = []


def raise_or_defer(error: BaseException) -> None:
    """Raise `error` now, or, while Arrow is inside a read, at the next `raise_deferred()`."""
    if _arrow_reads:
        _deferred.append(error)
        return
    raise error


def raise_deferred() -> None:
    """Raise a signal's exception that arrived while Arrow was reading."""
    if _deferred:
        raise _deferred.pop()


def file_encoding(path: Path, encoding: str) -> str:
    """The codec to read `path` with: a byte-order mark decides over a UTF family default (never over
    an explicit choice such as latin-1); 'utf-8-sig' only where the file starts with the mark. UTF-16
    without a mark is recognised by the zero byte beside each ASCII character of its first line."""
    name = codecs.lookup(encoding).name
    if name not in ("utf-8", "utf-8-sig", "utf-16", "utf-32"):
        return encoding
    with open_binary(path) as handle:
        head = handle.read(256)
    found = next((codec for bom, codec in _BOMS if head.startswith(bom)), None)
    if found is None and name == "utf-8" and len(head) >= 4:
        head = head[:len(head) // 2 * 2]
        found = "utf-16-le" if not any(head[1::2]) else "utf-16-be" if not any(head[0::2]) else None
    return found or ("utf-8" if name == "utf-8-sig" else encoding)


def lines_end_in_cr(path: Path, encoding: str) -> bool:
    """True for a file whose lines end in a lone `\\r`, as its first line (the header) does."""
    with open_binary(path) as handle:
        sample = codecs.decode(handle.read(1 << 16), file_encoding(path, encoding), errors="ignore")
    end = re.search("[\r\n]", sample)
    return end is not None and end.group() == "\r" and sample[end.end():end.end() + 1] != "\n"


_NATIVE_COMPRESSION = {".gz": "gzip", ".bz2": "bz2", ".zst": "zstd"}


def native_source(path: Path, encoding: str, keep_cr: bool) -> tuple[object | None, int]:
    """What Arrow can read by itself (a path, or its own decompressing stream) when the file is
    UTF-8 and holds no lone `\\r` to keep, else None (read through `Utf8Stream`); and the number of
    quote characters in the file, found by the same one pass.

    A Python stream handed to Arrow is read from Arrow's background thread, which can still be
    waiting for the interpreter when a signal ends the process: a native source never calls Python.
    """
    compression = _NATIVE_COMPRESSION.get(path.suffix.lower())
    if file_encoding(path, encoding) not in ("utf-8", "utf-8-sig") or (path.suffix.lower() == ".xz"):
        return None, 0
    quotes, tail = 0, b""
    with open_binary(path) as handle:
        while block := handle.read(SAMPLE_BYTES):
            quotes += block.count(b'"')
            data, tail = tail + block, b""
            if data.endswith(b"\r"):                       # its \n may be in the next block
                data, tail = data[:-1], b"\r"
            if keep_cr and _LONE_CR.search(data):
                return None, 0
    source = str(path) if compression is None else pa.input_stream(str(path), compression=compression)
    return source, quotes


class Utf8Stream(io.RawIOBase):
    """A file read as UTF-8 bytes: decoded from `encoding` (byte-order mark removed); with `keep_cr`,
    each lone `\\r` becomes a two-character code (see above) that `restore_text` undoes, and
    `stand_ins` counts the blocks that hold codes. `quotes` counts the `"` read: a quote left open
    at the end of a file makes it odd."""

    def __init__(self, path: Path, encoding: str, keep_cr: bool = True, errors: str = "strict",
                 for_arrow: bool = False):
        super().__init__()
        self._for_arrow = for_arrow        # reads come from Arrow's C++ reader: signals wait (see above)
        self._file = open_binary(path)
        codec = file_encoding(path, encoding)
        if codec == "utf-8-sig":           # the fast path: UTF-8 goes to Arrow as it is, checked there
            self._file.read(len(codecs.BOM_UTF8))
            codec = "utf-8"
        self._decoder = None if codec == "utf-8" else codecs.getincrementaldecoder(codec)(errors=errors)
        self._keep_cr = keep_cr
        self._pending = b""                # a `\r` or part of a character at the end of a block waits
        self._buffer = b""
        self.stand_ins = self.quotes = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        """`size` bytes (all, for -1), fewer only at the end: a short read would split Arrow's blocks."""
        global _arrow_reads
        _arrow_reads += self._for_arrow
        try:
            return self._read(size)
        finally:
            _arrow_reads -= self._for_arrow

    def _read(self, size: int) -> bytes:
        whole = size is None or size < 0
        while (whole or len(self._buffer) < size) and self._file is not None:
            self._buffer += self._next_block(1 << 22 if whole else max(size - len(self._buffer), 1 << 16))
        if whole:
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    @property
    def at_end(self) -> bool:
        """Everything has been read."""
        return self._file is None and not self._buffer

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def _next_block(self, size: int) -> bytes:
        raw = self._file.read(size)
        last = not raw
        block = raw if self._decoder is None else self._decoder.decode(raw, final=last).encode("utf-8")
        block, self._pending = self._pending + block, b""
        if last:
            self._file.close()
            self._file = None
        else:
            cut = _complete_end(block)
            block, self._pending = block[:cut], block[cut:]
        if self._keep_cr and (b"\r" in block or _ESCAPE in block):
            escapes = _ESCAPE in block
            block = block.replace(_ESCAPE, (ESCAPE + ESCAPED).encode("utf-8"))
            final_cr = last and block.endswith(b"\r")          # the end of the last line, not text
            block, count = _LONE_CR.subn((ESCAPE + CR).encode("utf-8"), block[:-1] if final_cr else block)
            block += b"\r" if final_cr else b""
            self.stand_ins += bool(count or escapes)
        self.quotes += block.count(b'"')
        return block

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        super().close()


def _complete_end(block: bytes) -> int:
    """Where `block` ends on a whole UTF-8 character that is not a `\\r` (the rest waits for more)."""
    end = len(block) - block.endswith(b"\r")
    for back in range(1, min(4, end) + 1):                 # find the start of the last character
        byte = block[end - back]
        if byte < 0x80:
            return end
        if byte >= 0xC0:
            size = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return end if back >= size else end - back
    return end


def restore_text(table: pa.Table) -> pa.Table:
    """Undo `Utf8Stream`'s codes in every text column: each lone `\\r` and escape back as written."""
    def restore(column):
        column = pc.replace_substring(column, ESCAPE + CR, "\r")
        return pc.replace_substring(column, ESCAPE + ESCAPED, ESCAPE)

    columns = [restore(column) if pa.types.is_string(column.type) else column for column in table.columns]
    return pa.Table.from_arrays(columns, schema=table.schema)
