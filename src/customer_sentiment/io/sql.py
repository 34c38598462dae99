"""Reviews in SQL databases, through SQLAlchemy (the [sql] extra): read from a table or a query in
chunks, and scores written to a table in one transaction.

A source is a SQLAlchemy URL (sqlite:///reviews.db, postgresql+psycopg://user@host/db) with
`ReadOptions.table` or `ReadOptions.query`. Rows are streamed with a server-side cursor where the
driver has one (`stream_results`, `yield_per`), so memory stays bounded as tables grow, and come
out as DataFrame chunks numbered as the file readers number theirs. Reading never commits (the
connection is rolled back when it closes). Writing is one transaction: the table, with all its
rows, appears at commit or not at all, and an existing table is replaced only when asked
(`TableOutput.replace`). A password in a URL is shown as *** wherever the URL is shown or stored.
SQLAlchemy is imported only here and in `sql_writer` (scores into a table), and only when a database is used.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa

from ..errors import CustomerSentimentError, hide_passwords
from .formats import is_database_url
from .options import ReadOptions
from .readers import CHUNK_BYTES, check_review_sizes, check_unique_columns

INSTALL = "pip install 'customer-sentiment[sql]'"
FETCH_ROWS = 1_000                      # rows per round trip; chunks gather them up to chunk_rows or CHUNK_BYTES


def sqlalchemy():
    """The sqlalchemy module, or an error saying how to install it."""
    try:
        import sqlalchemy
    except ImportError:
        raise CustomerSentimentError("Reading or writing a database needs SQLAlchemy, which is not installed",
                                     fix=f"Install it with: {INSTALL}") from None
    return sqlalchemy


def display_url(url: str) -> str:
    """The URL as it is shown and stored: its password as ***.

    >>> display_url("postgresql+psycopg://shop:s3cret@db.example.com:5432/reviews")
    'postgresql+psycopg://shop:***@db.example.com:5432/reviews'
    """
    try:
        from sqlalchemy import exc, make_url
    except ImportError:
        return hide_passwords(url)
    try:
        return make_url(url).render_as_string(hide_password=True)
    except exc.ArgumentError:
        return hide_passwords(url)


def source_name(source: str | Path, options: ReadOptions | None = None) -> str:
    """How messages name a source: a file's path, or a database's URL (password hidden) and its table.

    >>> source_name("sqlite:///shop.db", ReadOptions(table="reviews"))
    'sqlite:///shop.db (table reviews)'
    """
    if not is_database_url(source):
        return str(source)
    what = f"table {options.table}" if options and options.table else "query" if options and options.query else ""
    return display_url(str(source)) + (f" ({what})" if what else "")


def iter_sql_chunks(url: str, chunk_rows: int | None, options: ReadOptions) -> Iterator[pd.DataFrame]:
    """The rows of `options.table` (ordered by its primary key, if it has one) or of `options.query`, in
    chunks of at most `chunk_rows` rows and about CHUNK_BYTES (None: one chunk), index numbered from 0."""
    where = source_name(url, options)
    if not options.table and not options.query:
        raise CustomerSentimentError(f"No table or query was given for {where}", expected="--table or --query",
                                     fix="Pass --table NAME to read a whole table, or --query 'SELECT ...'.")
    rows = 0
    with _connection(url, where, reading=True) as connection, _database_errors(where, "reading"):
        statement = _statement(connection, options, url)
        fetch = min(FETCH_ROWS, chunk_rows or FETCH_ROWS)
        result = connection.execution_options(stream_results=True, yield_per=fetch).execute(statement)
        if not result.returns_rows:
            raise CustomerSentimentError(f"The --query on {display_url(url)} returns no rows: it is not a SELECT "
                                         f"(and nothing it did was committed)",
                                         fix="Pass a --query that selects the reviews.")
        names = [str(name) for name in result.keys()]
        check_unique_columns(where, names)
        for batch in _batches(result, chunk_rows):
            frame = _frame(batch, names, where, rows, options)
            frame.index = pd.RangeIndex(rows, rows + len(frame))
            rows += len(frame)
            yield frame
    if rows == 0:
        raise CustomerSentimentError(f"{where} has no rows", expected="at least one review",
                                     fix="Check the table, or the query's WHERE clause.")


def _statement(connection, options: ReadOptions, url: str):
    sa = sqlalchemy()
    if options.query:
        return sa.text(options.query)
    schema, _, name = options.table.rpartition(".")
    try:
        table = sa.Table(name, sa.MetaData(), schema=schema or None, autoload_with=connection)
    except sa.exc.NoSuchTableError:
        found = sa.inspect(connection).get_table_names(schema=schema or None)
        raise CustomerSentimentError(f"No table '{options.table}' in {display_url(url)}",
                                     found=f"tables {found[:20]}" if found else "no tables",
                                     fix="Pass --table with one of those, or --query 'SELECT ...'.") from None
    return sa.select(table).order_by(*table.primary_key.columns)


def _batches(result, chunk_rows: int | None) -> Iterator[list]:
    """Rows gathered up to `chunk_rows` rows or CHUNK_BYTES of text (None: all of them)."""
    pending: list = []
    size = 0
    for part in result.partitions():
        pending.extend(part)
        size += _text_bytes(part)
        while chunk_rows is not None and pending and (len(pending) >= chunk_rows or size >= CHUNK_BYTES):
            batch, pending = pending[:chunk_rows], pending[chunk_rows:]
            size = _text_bytes(pending)
            yield batch
    if pending:
        yield pending


def _text_bytes(rows: list) -> int:
    return sum(len(value) for row in rows for value in row if isinstance(value, str | bytes))


def _frame(rows: list, names: list[str], where: str, first_row: int, options: ReadOptions) -> pd.DataFrame:
    """Rows as a DataFrame with Arrow-backed columns, as Parquet's are: integers with NULLs stay integers."""
    columns = list(zip(*rows, strict=True))
    table = pa.table({name: _arrow_column(values) for name, values in zip(names, columns, strict=True)})
    check_review_sizes(table, where, first_row, options)
    return table.to_pandas(types_mapper=pd.ArrowDtype)


def _arrow_column(values: tuple) -> pa.Array:
    """A column's values as Arrow infers them; decimals as floats; a column of mixed kinds (SQLite allows
    one) as the text of each value."""
    try:
        array = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return pa.array([None if value is None else str(value) for value in values], type=pa.string())
    return array.cast(pa.float64()) if pa.types.is_decimal(array.type) else array


@contextlib.contextmanager
def _connection(url: str, where: str, reading: bool):
    """A connection to the database at `url`, its errors as user errors; closed (rolled back if open) at the end."""
    sa = sqlalchemy()
    engine = _engine(url, reading)
    try:
        try:
            connection = engine.connect()
        except sa.exc.DBAPIError as error:
            raise CustomerSentimentError(f"Cannot connect to {display_url(url)}: {_said(error)}",
                                         fix="Check the URL (driver, host, port, user, database) and that the "
                                             "database server is running.") from None
        with connection:
            yield connection
    finally:
        engine.dispose()


def _engine(url: str, reading: bool):
    sa = sqlalchemy()
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        raise CustomerSentimentError(f"Cannot use {hide_passwords(url)}: it is not a database URL",
                                     expected="dialect[+driver]://user@host/database, such as sqlite:///reviews.db "
                                              "or postgresql+psycopg://user@host/reviews",
                                     fix="Check the URL.") from None
    sqlite = parsed.get_backend_name() == "sqlite"
    if sqlite and reading and parsed.database not in (None, "", ":memory:") and not Path(parsed.database).is_file():
        raise CustomerSentimentError(f"Cannot read {display_url(url)}: no such database file {parsed.database}",
                                     fix="Check the path (sqlite:///relative.db, sqlite:////absolute/path.db).")
    try:
        engine = sa.create_engine(parsed, poolclass=sa.pool.NullPool)
    except sa.exc.NoSuchModuleError:
        raise CustomerSentimentError(f"Cannot use {display_url(url)}: SQLAlchemy knows no database "
                                     f"'{parsed.drivername}'", fix="Check the URL's start: sqlite:///FILE, "
                                     "postgresql+psycopg://..., mysql+pymysql://... (SQLAlchemy's dialects).") from None
    except ImportError as error:
        raise CustomerSentimentError(f"Cannot use {display_url(url)}: its driver {error.name or ''} is not installed",
                                     fix=f"Use postgresql+psycopg:// for PostgreSQL ({INSTALL}), or install the "
                                         f"driver the URL names.") from None
    if sqlite:
        _transactional_ddl(engine)
    return engine


def _transactional_ddl(engine) -> None:
    """Python's sqlite3 runs CREATE and DROP outside any transaction and begins one late; SQLAlchemy's
    recipe makes the whole write one transaction, so a killed write leaves no table behind."""
    event = sqlalchemy().event

    @event.listens_for(engine, "connect")
    def _manual_transactions(dbapi_connection, record):
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN")


@contextlib.contextmanager
def _database_errors(where: str, doing: str):
    """An error the database reports (a bad query, a missing column, a duplicate key) as a user error."""
    sa = sqlalchemy()
    try:
        yield
    except sa.exc.DBAPIError as error:
        raise CustomerSentimentError(f"{doing.capitalize()} {where} failed: {_said(error)}",
                                     fix="Check --table or --query, and the columns and their types."
                                     if doing == "reading" else
                                     "Check the table name, and that --id-column (the table's key) is unique "
                                     "and never empty.") from None


def _said(error) -> str:
    """The first line of what the database said."""
    return hide_passwords(str(getattr(error, "orig", None) or error).strip().splitlines()[0]).rstrip(".")
