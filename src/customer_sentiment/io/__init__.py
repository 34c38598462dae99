"""Input and output: review files in (formats, chunks, errors with line numbers), labels from
columns or star ratings, text cleaning, and atomic output files."""

from .cleaning import clean_texts, column_texts, is_missing
from .decoding import raise_deferred, raise_or_defer
from .diagnosis import row_location
from .formats import FORMATS, file_format
from .options import MAX_REVIEW_MB, ReadOptions, read_options
from .ratings import RatingMap
from .readers import CHUNK_BYTES, CHUNK_ROWS, iter_table_chunks, parquet_rows, read_table, require_columns
from .reviews import Reviews, add_to_fingerprint, fingerprint, iter_reviews, read_reviews, split_indices
from .writers import (
           TABLE_SUFFIXES,
           atomic_path,
           check_output_path,
           recover_directory,
           remove_stale,
           replace_directory,
           staging_prefix,
           table_writer,
           write_bytes,
           write_json,
           write_text,
)

__all__ = ["CHUNK_BYTES", "CHUNK_ROWS", "FORMATS", "MAX_REVIEW_MB", "TABLE_SUFFIXES", "RatingMap", "ReadOptions",
           "Reviews", "add_to_fingerprint", "atomic_path", "check_output_path", "clean_texts", "column_texts",
           "file_format", "fingerprint", "is_missing", "iter_reviews", "iter_table_chunks", "parquet_rows",
           "raise_deferred", "raise_or_defer", "read_options", "read_reviews", "read_table", "recover_directory",
           "remove_stale", "replace_directory", "require_columns", "row_location", "split_indices", "staging_prefix",
           "table_writer", "write_bytes", "write_json", "write_text"]
