"""The sandbox on its own: ``gamesched sandbox`` serves only the local Discord (no app, no bot), so a bot in
another process — gamesched with GAMESCHED_SANDBOX_URL, or any other Discord bot — can run against it."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Generator
from pathlib import Path

import uvicorn
from litestar import Litestar

from .core.sandbox import Sandbox
from .router import build_sandbox_router


def sandbox_app(sandbox: Sandbox) -> Litestar:
    """A Litestar app serving ``/sandbox`` (REST, gateway, OAuth2, control API, viewer) and nothing else."""
    return Litestar(route_handlers=[build_sandbox_router(sandbox)], openapi_config=None)


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield  # our own handlers below stop the server and save the world


async def serve(
    *, host: str, port: int, world_file: Path | None, rate_limits: bool = True, announce: bool = True
) -> None:
    """Serve until SIGINT/SIGTERM; the world is saved to ``world_file`` as it changes and at the end."""
    sandbox = Sandbox(rate_limits=rate_limits, world_file=world_file)
    server = _Server(uvicorn.Config(sandbox_app(sandbox), host=host, port=port, log_config=None))
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, lambda: setattr(server, "should_exit", True))
    serving = asyncio.create_task(server.serve())
    while not server.started and not serving.done():  # noqa: ASYNC110 — uvicorn exposes only a flag
        await asyncio.sleep(0.01)
    if announce and server.started:
        [bound] = [s.getsockname() for srv in server.servers for s in srv.sockets][:1]
        base = f"http://{host}:{bound[1]}"
        print(f"sandbox Discord: {base}/sandbox/ (bots: GAMESCHED_SANDBOX_URL={base})", flush=True)
    try:
        await serving
    finally:
        sandbox.save()
