"""Scores written to a table of a SQL database (the [sql] extra), in one transaction: the table, with
all its rows, appears at commit or not at all, and an existing table is replaced only when asked
(`TableOutput.replace`)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa

from ..errors import CustomerSentimentError
from .formats import is_database_url
from .options import ReadOptions
from .sql import _connection, _database_errors, display_url, sqlalchemy
from .writers import TABLE_SUFFIXES, check_output_path, table_writer


@dataclass(frozen=True)
class TableOutput:
    """A table to write scores into: `table` ([schema.]name) in the database at `url`, its primary key
    `key` (the id column) if given; an existing table is dropped and written anew only if `replace`."""

    url: str
    table: str
    replace: bool = False
    key: str | None = None

    def __str__(self) -> str:
        return f"{display_url(self.url)} (table {self.table})"


def check_scored_output(output: str | Path | TableOutput, data: str | Path, options: ReadOptions) -> None:
    """Before any work: a file output can be written and is not the input; a table output's database
    answers, the table is not the input table, and it does not exist unless `replace` is set."""
    if not isinstance(output, TableOutput):
        check_output_path(output, TABLE_SUFFIXES)
        if not is_database_url(data) and Path(output).resolve() == Path(data).resolve():
            raise CustomerSentimentError(f"The output {output} is the input file",
                                         fix="Pass another --output so the reviews are not overwritten.")
        return
    if is_database_url(data) and options.table == output.table and \
            sqlalchemy().make_url(str(data)) == sqlalchemy().make_url(output.url):
        raise CustomerSentimentError(f"The output table {output.table} is the input table",
                                     fix="Pass another --output-table so the reviews are not overwritten.")
    with _connection(output.url, str(output), reading=False) as connection, _database_errors(str(output), "writing"):
        _refuse_existing(connection, output)


def _refuse_existing(connection, output: TableOutput) -> bool:
    """Whether the table exists; an error if it does and `replace` is not set."""
    schema, _, name = output.table.rpartition(".")
    exists = sqlalchemy().inspect(connection).has_table(name, schema=schema or None)
    if exists and not output.replace:
        raise CustomerSentimentError(f"Table {output.table} already exists in {display_url(output.url)}",
                                     fix="Pass another --output-table, or --replace to drop it and write it anew "
                                         "(in the same transaction as the scores).")
    return exists


def scored_writer(output: str | Path | TableOutput):
    """`table_writer(output)` for a file; for a table, the same `write(chunk)` into one transaction."""
    return sql_table_writer(output) if isinstance(output, TableOutput) else table_writer(output)


@contextlib.contextmanager
def sql_table_writer(output: TableOutput) -> Iterator[Callable[[pd.DataFrame], None]]:
    """Yield `write(chunk)`, which inserts DataFrame chunks into `output`'s table, created from the first
    chunk's columns; everything (drop, create, rows) commits when the block completes, or none of it."""
    where = str(output)
    with _connection(output.url, where, reading=False) as connection, _database_errors(where, "writing"), \
            connection.begin():
        exists = _refuse_existing(connection, output)
        created: list = []

        def write(chunk: pd.DataFrame) -> None:
            if not created:
                created.append(_create_table(connection, output, chunk, exists))
            records = chunk.astype(object).where(chunk.notna(), None).to_dict("records")
            connection.execute(created[0].insert(), records)

        yield write


def _create_table(connection, output: TableOutput, chunk: pd.DataFrame, exists: bool):
    sa = sqlalchemy()
    schema, _, name = output.table.rpartition(".")
    columns = [sa.Column(str(column), _column_type(chunk[column].dtype), primary_key=str(column) == output.key)
               for column in chunk.columns]
    table = sa.Table(name, sa.MetaData(), *columns, schema=schema or None)
    if exists:
        table.drop(connection)
    table.create(connection)
    return table


def _column_type(dtype):
    """The SQL type of a column, from its pandas dtype; text for anything else."""
    sa = sqlalchemy()
    if isinstance(dtype, pd.ArrowDtype) and pa.types.is_date(dtype.pyarrow_dtype):
        return sa.Date()
    types = {"b": sa.Boolean, "i": sa.BigInteger, "u": sa.BigInteger, "f": sa.Double, "M": sa.DateTime}
    return types.get(dtype.kind, sa.Text)()
