"""A TCP relay in front of PostgreSQL that a test can cut, so the app sees its database go away for real.

Cutting closes the listening socket and every relayed connection: open connections break mid-use and new
ones are refused (ECONNREFUSED), as when the database server stops or its host drops off the network. The
shared PostgreSQL server keeps running for everyone else; only this app's path to it is gone.
"""

from __future__ import annotations

import asyncio
import contextlib

from sqlalchemy.engine import make_url

CHUNK = 65536


class DatabaseProxy:
    """``async with DatabaseProxy(url) as proxy:`` then give the app ``proxy.url``; ``cut()`` / ``restore()``."""

    def __init__(self, database_url: str) -> None:
        self._target = make_url(database_url)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    @property
    def url(self) -> str:
        """The database URL through the relay."""
        return self._target.set(host="127.0.0.1", port=self.port).render_as_string(hide_password=False)

    async def __aenter__(self) -> DatabaseProxy:
        await self.restore()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.cut()

    async def restore(self) -> None:
        """Accept connections again (on the same port, so the app's URL still holds)."""
        if self._server is None:
            self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port, reuse_address=True)
            self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        """Refuse new connections and break the open ones."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _relay(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection(
                self._target.host or "127.0.0.1", self._target.port or 5432
            )
        except OSError:
            client_writer.transport.abort()
            return
        self._writers.update((client_writer, server_writer))
        pumps = [
            asyncio.ensure_future(_pump(client_reader, server_writer)),
            asyncio.ensure_future(_pump(server_reader, client_writer)),
        ]
        self._tasks.update(pumps)
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pump in pumps:
                pump.cancel()
                self._tasks.discard(pump)
            for writer in (client_writer, server_writer):
                self._writers.discard(writer)
                writer.transport.abort()


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, asyncio.IncompleteReadError):
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()
