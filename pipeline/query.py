"""Read-only SQL over a run's output folder (DuckDB), for ``extract sql`` and ``extract show``.

Every table folder of the run (``documents``, ``facts`` ...) becomes a view of that name,
registered as an Arrow dataset; then DuckDB's file system access is switched off and its
configuration locked, so a query can read those tables and nothing else: ``read_csv``,
``COPY ... TO``, ``ATTACH``, ``INSTALL``/``LOAD`` fail, and Python variables are not visible
as tables.  Only a single ``SELECT`` (or ``WITH ... SELECT``) statement is accepted.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class QueryError(Exception):
    """A query that cannot run: not a single SELECT, a syntax error, an unknown column ..."""

    exit_code = 2


def table_folders(out_dir: str | Path) -> dict[str, Path]:
    """The Parquet datasets of a run's output folder: ``{table name: folder}``."""
    out = Path(out_dir)
    if not out.is_dir():
        return {}
    return {p.name: p for p in sorted(out.iterdir())
            if p.is_dir() and _NAME.match(p.name) and any(p.glob("*.parquet"))}


def connect(out_dir: str | Path):
    """An in-memory DuckDB connection with one view per table and no access to anything else."""
    import duckdb
    import pyarrow.dataset as ds

    con = duckdb.connect(":memory:", config={"threads": 2})
    for name, folder in table_folders(out_dir).items():
        con.register(name, ds.dataset(str(folder), format="parquet"))
    for setting in ("python_enable_replacements=false", "autoinstall_known_extensions=false",
                    "autoload_known_extensions=false", "enable_external_access=false",
                    "lock_configuration=true"):
        con.execute(f"SET {setting}")
    return con


def check_select(con, sql: str) -> str:
    """``sql`` if it is exactly one SELECT statement; QueryError otherwise."""
    import duckdb

    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryError(_message(exc)) from None
    if len(statements) != 1:
        raise QueryError(f"expected one SELECT statement, got {len(statements)}")
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        raise QueryError(f"only SELECT queries are allowed (this is {kind.name})")
    return sql


def query(out_dir: str | Path, sql: str):
    """Run one read-only SELECT over the run's tables; returns a pyarrow Table."""
    import duckdb

    con = connect(out_dir)
    try:
        check_select(con, sql)
        try:
            return _arrow(con, sql)
        except duckdb.Error as exc:
            raise QueryError(_message(exc)) from None
    finally:
        con.close()


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def select(out_dir: str | Path, table: str, columns: list[str] | None = None, where: str | None = None,
           order_by: str | None = None, limit: int | None = None):
    """``SELECT columns FROM table [WHERE ...] [ORDER BY ...] [LIMIT n]`` and the row count
    matching ``where``: ``(pyarrow Table, count)``.  ``where``/``order_by`` are SQL
    expressions, parsed as such and run read-only like :func:`query`."""
    import duckdb

    con = connect(out_dir)
    try:
        cols = ", ".join(quote(c) for c in columns) if columns else "*"
        cond = f" WHERE ({where}\n)" if where else ""
        order = f" ORDER BY {order_by}\n" if order_by else ""
        lim = f" LIMIT {int(limit)}" if limit is not None else ""
        try:
            count = _arrow(con, check_select(con, f"SELECT count(*) AS n FROM {quote(table)}{cond}")).column(0)[0].as_py()
            rows = _arrow(con, check_select(con, f"SELECT {cols} FROM {quote(table)}{cond}{order}{lim}"))
        except duckdb.Error as exc:
            raise QueryError(_message(exc)) from None
        return rows, count
    finally:
        con.close()


def _arrow(con, sql: str):
    """The result of a checked SELECT as a pyarrow Table (``to_arrow_table`` in DuckDB 2, ``arrow`` before)."""
    rel = con.sql(sql)
    fetch = getattr(rel, "to_arrow_table", None) or rel.arrow
    return fetch()


def _message(exc: Any) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
