"""Database access: the async engine, the unit of work and the row-level-security guild context.

Guild-scoped tables carry a policy on ``app.guild_id`` (see migrations). A unit of work either names its
guild, or says ``bypass_rls=True`` — the explicit, greppable escape hatch for trusted system paths
(dispatcher, guild sync). With neither, guild-scoped queries see no rows at all.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from types import TracebackType
from typing import Any

import asyncpg
import msgspec
import structlog
from sqlalchemy import MetaData, event, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

from .errors import DatabaseUnavailable

log = structlog.get_logger(__name__)

#: The role the application acts as, so RLS holds even when it connects as a superuser or table owner.
APP_ROLE = "gamesched_app"

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


#: What a lost or unreachable database raises through SQLAlchemy or asyncpg directly (SQLAlchemy's
#: OperationalError and InterfaceError are DBAPIErrors).
_DRIVER_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    sa_exc.DBAPIError,
)
#: The errors that code which must outlive an outage waits out and retries: the driver's, and a unit of
#: work that could not reach the database.
DATABASE_ERRORS: tuple[type[BaseException], ...] = (DatabaseUnavailable, *_DRIVER_ERRORS)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


#: Called inside the transaction just before commit with the events the unit of work collected.
EventStager = Callable[[AsyncSession, Sequence[Any]], Awaitable[None]]


#: Connections one process keeps (and at most opens) to PostgreSQL.
POOL_SIZE = 20

#: ``session.info`` key of a unit of work's ``TransactionHooks`` (code handed only the session finds them).
TRANSACTION_HOOKS = "gamesched.transaction_hooks"


class TransactionHooks:
    """What a unit of work does once its transaction has ended, for code that was handed only its session:
    ``on_commit`` callbacks run right after a successful commit (before any other task runs), and
    ``on_abandon`` callbacks when it did not commit. ``on_abandon`` hears ``maybe_committed=True`` when the
    COMMIT itself failed, so its outcome is unknown (the connection broke while it was on the wire)."""

    __slots__ = ("_on_abandon", "_on_commit", "shared")

    def __init__(self) -> None:
        self._on_commit: list[Callable[[], None]] = []
        self._on_abandon: list[Callable[[bool], None]] = []
        #: What code handed the same unit of work keeps for its length (e.g. the job queue's reservation
        #: for the jobs it runs at commit, shared by every enqueue of the transaction).
        self.shared: dict[str, Any] = {}

    def add(self, on_commit: Callable[[], None], on_abandon: Callable[[bool], None]) -> None:
        self._on_commit.append(on_commit)
        self._on_abandon.append(on_abandon)

    def committed(self) -> None:
        hooks, self._on_commit, self._on_abandon = self._on_commit, [], []
        self.shared.clear()
        for hook in hooks:
            try:
                hook()
            except Exception:
                log.exception("transaction_hook_failed")

    def abandoned(self, *, maybe_committed: bool) -> None:
        hooks, self._on_commit, self._on_abandon = self._on_abandon, [], []
        self.shared.clear()
        for hook in hooks:
            try:
                hook(maybe_committed)
            except Exception:
                log.exception("transaction_hook_failed")


def transaction_hooks(session: AsyncSession) -> TransactionHooks | None:
    """The hooks of the unit of work that owns ``session`` (None: a session of its own, not a unit of work)."""
    hooks = session.info.get(TRANSACTION_HOOKS)
    return hooks if isinstance(hooks, TransactionHooks) else None


class ContextConnection(asyncpg.Connection):
    """An asyncpg connection that can send more SQL with the next ``BEGIN``, in the same round trip (the
    simple query protocol takes several statements at once). A unit of work scopes its transaction to a
    guild this way: ``BEGIN`` and the two ``set_config`` calls cost one round trip instead of two."""

    begin_with: str | None = None
    #: The guild context this connection holds outside transactions (``Database.read``), as its SQL.
    read_context: str | None = None

    async def execute(self, query: str, *args: Any, timeout: float | None = None) -> str:  # noqa: ASYNC109 (asyncpg's signature)
        if self.begin_with is not None and not args and query.startswith("BEGIN"):
            query, self.begin_with = f"{query.rstrip(';')}; {self.begin_with}", None
        return await super().execute(query, *args, timeout=timeout)


def create_engine(url: str, *, pool_size: int = POOL_SIZE, pre_ping: bool = False) -> AsyncEngine:
    """A pool that keeps every connection it opens: no overflow connections, which SQLAlchemy closes as
    soon as they are returned. Opening one (a new backend, SET ROLE, codecs, cold catalog caches) costs
    far more than a query, so under a burst of concurrent requests an overflow pool stalls every request
    behind a stream of connects. A checkout beyond ``pool_size`` waits for a free connection instead.

    No ping before each checkout: it is a round trip on every transaction. A connection that died with
    the server fails its first statement instead; SQLAlchemy then discards every pooled connection at once,
    and the work that failed is retried (the queue, DM records) or answered 503 (a page or API call); a unit of
    work retries its first statement once on a fresh connection. ``pre_ping`` turns the ping on."""
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=0,
        pool_pre_ping=pre_ping,
        pool_recycle=3600,
        # UTC sessions: timestamps PostgreSQL writes as text (a roster or a schedule read as one JSON value)
        # then come in UTC whatever the server's own TimeZone, as the driver's binary ones always do.
        connect_args={"connection_class": ContextConnection, "server_settings": {"timezone": "UTC"}},
        # JSON and JSONB values as the driver reads them (a game's settings sources, say): msgspec's
        # decoder, six times faster than the json module's on a game's small objects.
        json_deserializer=msgspec.json.decode,
    )


async def use_app_role(engine: AsyncEngine) -> bool:
    """Make every pooled connection act as APP_ROLE when this login may; return whether RLS is enforced."""
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT r.rolsuper OR r.rolbypassrls AS bypasses,"
                    " pg_has_role(current_user, oid_app.oid, 'MEMBER') AS can_switch"
                    " FROM pg_roles r LEFT JOIN LATERAL"
                    " (SELECT oid FROM pg_roles WHERE rolname = :role) oid_app ON true"
                    " WHERE r.rolname = current_user"
                ),
                {"role": APP_ROLE},
            )
        ).one()
    if row.can_switch:

        @event.listens_for(engine.sync_engine, "connect")
        def _set_role(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute(f"SET ROLE {APP_ROLE}")
            cursor.close()
            # The driver adapter ran that in a transaction of its own making: commit it, or the role lasts
            # only as long as the first use of the connection goes well (a rollback, or switching the
            # connection to autocommit, would undo it and leave the login's own role, which bypasses RLS).
            dbapi_conn.commit()

        await engine.dispose()  # connections opened before the listener must not be reused
        return True
    if row.bypasses:
        log.warning("rls_not_enforced", reason=f"login bypasses RLS and cannot SET ROLE {APP_ROLE}")
        return False
    return True


class Database:
    """The engine plus a factory for units of work."""

    def __init__(self, engine: AsyncEngine, *, stage_events: EventStager | None = None) -> None:
        self.engine = engine
        self.sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
        self.stage_events = stage_events
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")

    def uow(
        self, *, guild_id: int | None = None, bypass_rls: bool = False, begin_with: str | None = None
    ) -> UnitOfWork:
        """A unit of work scoped to ``guild_id``. ``begin_with``: SQL without parameters run first in the
        transaction, in the round trip that begins it (e.g. taking a row lock); trusted text only."""
        return UnitOfWork(self, guild_id=guild_id, bypass_rls=bypass_rls, begin_with=begin_with)

    @contextlib.asynccontextmanager
    async def read(
        self, *, guild_id: int | None = None, bypass_rls: bool = False
    ) -> AsyncIterator[AsyncConnection]:
        """A connection for reads of one guild, outside any transaction: each statement is one round trip,
        with no BEGIN and COMMIT around it (a unit of work costs three round trips for one read).

        The guild context is set for the connection's session (``set_config(…, false)``) and remembered on
        it, so the next read of the same guild on that pooled connection sends nothing more. Safe with the
        pool shared: a unit of work sets its own context for its transaction, which wins over the
        session's, and nothing else reads guild-scoped tables. For several reads that must agree with each
        other (a snapshot), or any write, use ``uow``. ``bypass_rls`` as for ``uow``: trusted system reads."""
        conn = await self._read_connection(_guild_context_sql(guild_id, bypass_rls, local=False))
        try:
            yield conn
        except CONNECT_FAILURES as exc:
            if connection_lost(exc):
                raise DatabaseUnavailable() from exc
            raise
        finally:
            with contextlib.suppress(*CONNECT_FAILURES):
                await conn.close()

    async def _read_connection(self, context: str) -> AsyncConnection:
        for attempt in (1, 2):
            conn = None
            try:
                conn = await self._autocommit.connect()
                driver = (await conn.get_raw_connection()).driver_connection
                if not isinstance(driver, ContextConnection) or driver.read_context != context:
                    await conn.exec_driver_sql(context)
                    if isinstance(driver, ContextConnection):
                        driver.read_context = context
                return conn
            except CONNECT_FAILURES as exc:
                if conn is not None:
                    with contextlib.suppress(*CONNECT_FAILURES):
                        await conn.close()
                # A pooled connection that died with its server: SQLAlchemy has dropped the pool; one more try.
                if attempt == 1 and connection_lost(exc):
                    continue
                raise DatabaseUnavailable() from exc
        raise AssertionError("unreachable")

    async def dispose(self) -> None:
        await self.engine.dispose()


class UnitOfWork:
    """One transaction: ``async with db.uow(guild_id=...) as uow`` commits on success, rolls back on error.

    Events published here become queue rows in the same transaction, so they exist exactly when the
    change they describe does.
    """

    def __init__(
        self, db: Database, *, guild_id: int | None, bypass_rls: bool, begin_with: str | None = None
    ) -> None:
        self._db = db
        self.guild_id = guild_id
        self.bypass_rls = bypass_rls
        self.begin_with = begin_with
        self.events: list[Any] = []
        self.hooks = TransactionHooks()
        self._session: AsyncSession | None = None

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("unit of work used outside 'async with'")
        return self._session

    def publish(self, *events: Any) -> None:
        """Record events to deliver once (and only if) this transaction commits."""
        self.events.extend(events)

    async def __aenter__(self) -> UnitOfWork:
        for attempt in (1, 2):
            self._session = session = self._db.sessionmaker()
            session.info[TRANSACTION_HOOKS] = self.hooks
            try:
                await session.begin()
                # The first round trip connects (or uses a pooled connection): any failure here is the
                # database being out of reach, not a statement of ours going wrong.
                if not await _begin_in_guild(session, self.guild_id, self.bypass_rls, self.begin_with):
                    await set_guild_context(session, self.guild_id, bypass_rls=self.bypass_rls)
                    if self.begin_with is not None:
                        await session.execute(text(self.begin_with))
                return self
            except _BeginFailed as failed:
                await _close_quietly(session)
                self._session = None
                # A connection that died with its server: drop every pooled connection (they died with it),
                # as SQLAlchemy does when a statement finds one dead, and try once on a fresh one.
                await self._db.engine.dispose(close=False)
                if attempt == 1:
                    continue
                raise DatabaseUnavailable() from failed.__cause__
            except CONNECT_FAILURES as exc:
                await _close_quietly(session)
                self._session = None
                # The pool does not ping before each checkout: a pooled connection that died with its
                # server fails here first. SQLAlchemy has dropped the pool by now; one fresh try.
                if attempt == 1 and connection_lost(exc):
                    continue
                raise DatabaseUnavailable() from exc
        raise AssertionError("unreachable")

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        session = self.session
        try:
            if exc_type is None:
                await self.commit()
            elif not connection_lost(exc):
                await session.rollback()
        except Exception as failure:
            if connection_lost(failure):
                raise DatabaseUnavailable() from failure
            raise
        finally:
            # Not committed (an error, or the work before COMMIT failed): a no-op after a commit.
            self.hooks.abandoned(maybe_committed=False)
            await _close_quietly(session)
            self._session = None
        if connection_lost(exc):
            raise DatabaseUnavailable() from exc

    async def commit(self) -> None:
        session = self.session
        if self.events and self._db.stage_events is not None:
            await session.flush()
            await self._db.stage_events(session, list(self.events))
        self.events.clear()
        try:
            await session.commit()
        except BaseException:
            self.hooks.abandoned(maybe_committed=True)
            raise
        self.hooks.committed()


#: How a failed connect shows: a refused, reset or timed-out socket, the server turning us away (starting up,
#: shutting down, too many connections, the database not accepting connections), a pool with no free slot.
CONNECT_FAILURES: tuple[type[BaseException], ...] = (*_DRIVER_ERRORS, sa_exc.TimeoutError)


def connection_lost(exc: BaseException | None) -> bool:
    """Whether ``exc`` is the connection breaking under a statement (the server went away), rather than the
    statement failing."""
    if isinstance(exc, sa_exc.DBAPIError):
        return exc.connection_invalidated
    return isinstance(exc, ConnectionError | asyncpg.ConnectionDoesNotExistError)


async def _close_quietly(session: AsyncSession) -> None:
    """Close; a connection that is already gone has nothing left to close."""
    try:
        await session.close()
    except CONNECT_FAILURES as exc:
        log.debug("session_close_failed", error=str(exc))


class _BeginFailed(Exception):
    """Starting a transaction failed on the wire (the driver's own error is the cause)."""


def _guild_context_sql(guild_id: int | None, bypass_rls: bool, *, local: bool = True) -> str:
    """The guild context as SQL: for the transaction (``local``), or for the connection's session."""
    gid = "" if guild_id is None else str(int(guild_id))  # an int: nothing to quote
    bypass = "on" if bypass_rls else "off"
    scope = "true" if local else "false"
    return f"SELECT set_config('app.guild_id', '{gid}', {scope}), set_config('app.bypass_rls', '{bypass}', {scope})"


async def _begin_in_guild(
    session: AsyncSession, guild_id: int | None, bypass_rls: bool, then: str | None = None
) -> bool:
    """Start the session's transaction scoped to ``guild_id`` (and run ``then``) in one round trip; False
    when the connection cannot (not a ``ContextConnection``, or a driver adapter without the expected lazy
    BEGIN)."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver, adapter = raw.driver_connection, raw.dbapi_connection
    start = getattr(adapter, "_start_transaction", None)
    if (
        not isinstance(driver, ContextConnection)
        or start is None
        or getattr(adapter, "_transaction", 1) is not None
    ):
        return False
    context = _guild_context_sql(guild_id, bypass_rls)
    driver.begin_with = context if then is None else f"{context}; {then}"
    try:
        await start()  # SQLAlchemy's asyncpg adapter begins lazily, before the first statement: begin now
    except Exception as exc:
        raise _BeginFailed() from exc
    finally:
        driver.begin_with = None
    return True


_SET_GUILD_CONTEXT = text(
    "SELECT set_config('app.guild_id', :gid, true), set_config('app.bypass_rls', :bypass, true)"
)


async def set_guild_context(session: AsyncSession, guild_id: int | None, *, bypass_rls: bool = False) -> None:
    """Scope the current transaction to one guild (or explicitly bypass RLS for system work)."""
    await session.execute(
        _SET_GUILD_CONTEXT,
        {"gid": "" if guild_id is None else str(guild_id), "bypass": "on" if bypass_rls else "off"},
    )
