"""The hottest reads, run straight on asyncpg: a statement SQLAlchemy compiled once, without SQLAlchemy's
execution path around each run.

Per execution, SQLAlchemy looks the statement up in its compiled cache, builds an execution context, and
wraps the rows in its result objects. For the reads behind every page and API call, that cost more CPU
than asyncpg's own work: one game with its roster 0.23 ms against 0.09 ms, a page of 25 games 0.49 ms
against 0.26 ms (1,000 calls of each on a 1,000-game guild, this project's 2-core machine).
``DriverStatement`` keeps SQLAlchemy for writing the statement and compiling it, and hands the SQL and
its parameters to the driver connection under the SQLAlchemy connection the caller already holds: the
same pooled connection, its guild context and its failure handling (a lost connection raises what
``connection_lost`` recognises).

Only for statements whose values need no conversion on either side — checked when the statement is first
compiled: no parameter or column type that processes values for asyncpg (JSON columns arrive decoded by
the codecs SQLAlchemy installs on each connection; arrays as lists), and no expanding ``IN`` parameter.
A statement that does not qualify runs through SQLAlchemy, with the same result: plain named tuples.
"""

from __future__ import annotations

import collections
import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy.engine import Dialect, Result
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql import ClauseElement, Select, sqltypes
from sqlalchemy.sql.compiler import SQLCompiler

#: A row as ``DriverStatement.rows`` returns it: a named tuple of the statement's columns.
PlainRow = Any


@functools.lru_cache(maxsize=64)
def plain_row(columns: tuple[str, ...]) -> Callable[[Iterable[Any]], PlainRow]:
    """The named tuple class for rows of these columns (one class per column set)."""
    return collections.namedtuple("Row", columns)._make  # type: ignore[attr-defined]


def plain_rows(result: Result[Any]) -> list[PlainRow]:
    """A SQLAlchemy result's rows as plain named tuples. Reading a field of SQLAlchemy's ``Row`` cost about
    0.34 µs (a micro-benchmark here) against 0.05 µs for a named tuple, and rendering a game reads some 45:
    25 games rendered in 245 µs instead of 527 µs, and converting them cost 11 µs."""
    make = plain_row(tuple(result.keys()))
    return [make(row) for row in result]


class _Compiled:
    def __init__(self, compiled: SQLCompiler) -> None:
        self.sql = str(compiled)
        self.order: tuple[str, ...] = tuple(compiled.positiontup or ())
        #: Values the statement carries itself (literals SQLAlchemy sends as parameters).
        self.fixed = {
            compiled.bind_names[bind]: bind.effective_value
            for bind in compiled.bind_names
            if not bind.required
        }

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        fixed = self.fixed
        return [params[name] if name in params else fixed[name] for name in self.order]


def _runs_on_the_driver(statement: ClauseElement, compiled: SQLCompiler, dialect: Dialect) -> bool:
    if "POSTCOMPILE" in compiled.string:  # an expanding IN: its SQL depends on each call's values
        return False
    for bind in compiled.bind_names:
        impl = bind.type.dialect_impl(dialect)
        if impl.bind_processor(dialect) is not None and not _a_plain_array(impl, dialect, "bind"):
            return False
    if isinstance(statement, Select):
        for column in statement.selected_columns:
            impl = column.type.dialect_impl(dialect)
            if impl.result_processor(dialect, None) is not None and not _a_plain_array(
                impl, dialect, "result"
            ):
                return False
    return True


def _a_plain_array(impl: Any, dialect: Dialect, way: str) -> bool:
    """An array SQLAlchemy processes only to copy it into a list: one dimension, items that need no
    processing. asyncpg takes a list as it is and returns one."""
    if not isinstance(impl, sqltypes.ARRAY) or impl.dimensions not in (None, 1) or impl.as_tuple:
        return False
    item = impl.item_type.dialect_impl(dialect)
    processor = item.bind_processor(dialect) if way == "bind" else item.result_processor(dialect, None)
    return processor is None


class DriverStatement:
    """A read statement compiled on first use for the connection's dialect and run on its driver."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._compiled: _Compiled | None = None
        self._on_driver: bool | None = None

    def _compile(self, dialect: Dialect) -> _Compiled | None:
        if self._on_driver is None:
            compiled = self.statement.compile(dialect=dialect)
            assert isinstance(compiled, SQLCompiler)
            self._on_driver = _runs_on_the_driver(self.statement, compiled, dialect)
            self._compiled = _Compiled(compiled) if self._on_driver else None
        return self._compiled

    async def rows(self, on: AsyncConnection | AsyncSession, params: Mapping[str, Any]) -> list[PlainRow]:
        """The statement's rows as plain named tuples; ``on`` a connection, or a unit of work's session (its
        transaction's connection: the statement runs in that transaction)."""
        conn = on if isinstance(on, AsyncConnection) else await on.connection()
        compiled = self._compile(conn.dialect)
        if compiled is None:
            return plain_rows(await conn.execute(self.statement, dict(params)))  # type: ignore[call-overload]
        driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None
        try:
            records = await driver.fetch(compiled.sql, *compiled.arguments(params))
        except Exception:
            if not driver.is_closed():
                raise  # the statement failed, not the connection
            # The connection died under the statement (or before it): let SQLAlchemy meet it too, so it
            # handles the loss as for its own statements — the pool drops its connections, and the caller
            # gets the DBAPIError that ``connection_lost`` recognises.
            await conn.execute(self.statement, dict(params))  # type: ignore[call-overload]
            raise
        if not records:
            return []
        make = plain_row(tuple(records[0].keys()))
        return [make(record) for record in records]
