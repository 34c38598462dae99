"""POST /v1/score-file: a review file in the body, the scored CSV back, as `customer-sentiment predict`
writes it (the same reading and scoring code: `SentimentPipeline.predict_file`, into a temporary folder).

The format comes from the `filename`'s extension when it names one (.csv, .tsv, .jsonl, .ndjson),
else from the Content-Type (text/csv, application/x-ndjson, application/jsonl, ...). Compressed files,
Parquet and Excel are not taken: a small compressed body can unpack to gigabytes.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from ..errors import CustomerSentimentError
from ..io import ReadOptions
from ..pipeline import SentimentPipeline

SUFFIXES = (".csv", ".tsv", ".tab", ".jsonl", ".ndjson")
CONTENT_TYPES = {"text/csv": ".csv", "application/csv": ".csv", "text/tab-separated-values": ".tsv",
                 "application/x-ndjson": ".jsonl", "application/ndjson": ".jsonl", "application/jsonl": ".jsonl",
                 "application/x-jsonlines": ".jsonl", "application/jsonlines": ".jsonl"}
SAFE_STEM = re.compile(r"[^A-Za-z0-9._-]+")


class UnsupportedFile(CustomerSentimentError):
    """The body's format cannot be told (answered 415)."""


def upload_suffix(filename: str | None, content_type: str | None) -> str:
    """The file suffix the upload is read as: the filename's, when it names a review format, else the
    Content-Type's.

    >>> upload_suffix("reviews.json", "application/x-ndjson"), upload_suffix("March.CSV", None)
    ('.jsonl', '.csv')
    """
    suffix = Path(filename or "").suffix.lower()
    if suffix in SUFFIXES:
        return suffix
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type in CONTENT_TYPES:
        return CONTENT_TYPES[media_type]
    raise UnsupportedFile(f"Cannot tell the format of the uploaded file (Content-Type {media_type or 'none'!r}, "
                          f"filename {filename!r})", expected="Content-Type text/csv or application/x-ndjson, or a "
                          f"filename ending in {', '.join(SUFFIXES)} (uncompressed)",
                          fix="Send the file with Content-Type text/csv (CSV) or application/x-ndjson (JSON Lines).")


def scored_name(filename: str | None) -> str:
    """<stem>.scored.csv for the download, from the upload's name without folders or odd characters.

    >>> scored_name("../March reviews.jsonl.gz"), scored_name(None)
    ('March_reviews.scored.csv', 'reviews.scored.csv')
    """
    name = Path(filename or "reviews").name
    stem = name.split(".")[0] if "." in name else name
    stem = SAFE_STEM.sub("_", stem).strip("._") or "reviews"
    return f"{stem[:100]}.scored.csv"


def score_upload(pipeline: SentimentPipeline, body: bytes, suffix: str, text_column: str | None,
                 encoding: str = "utf-8") -> dict:
    """Score the uploaded file; the scored CSV as text and the counts (what the endpoint answers, but its name)."""
    if not body:
        raise CustomerSentimentError("The uploaded file is empty", fix="Send the file's content as the request body.")
    with tempfile.TemporaryDirectory(prefix="customer-sentiment-upload-") as folder:
        data, output = Path(folder) / f"upload{suffix}", Path(folder) / "scored.csv"
        data.write_bytes(body)
        try:
            summary = pipeline.predict_file(data, output, text_column or None, options=ReadOptions(encoding))
        except CustomerSentimentError as error:      # name the upload, not the temporary file
            raise _about_upload(error, str(data)) from None
        scored = output.read_text(encoding="utf-8")
    return {"rows": summary["rows"], "skipped": summary["empty_texts"], "counts": summary["predicted"],
            "scored": scored}


def _about_upload(error: CustomerSentimentError, path: str) -> CustomerSentimentError:
    """`error` with the temporary file's path read as "the uploaded file", and the CLI's flags as query parameters."""
    def said(text: str | None) -> str | None:
        if text is None:
            return None
        for flag, parameter in (("--text-column", "the text_column query parameter"),
                                ("--encoding", "the encoding query parameter"), (path, "the uploaded file")):
            text = text.replace(flag, parameter)
        return text
    return CustomerSentimentError(said(error.what), expected=said(error.expected), found=said(error.found),
                                  fix=said(error.fix))
