"""Command line: ``gamesched run [--sandbox] [--host H] [--port P]``, ``gamesched migrate`` and
``gamesched sandbox [--host H] [--port P]``."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

from gamesched.core.config import Settings, SettingsError, check_roles, load_settings
from gamesched.core.embedded_pg import DataDirInUse
from gamesched.core.logging import configure_logging
from gamesched.discord import DiscordRefused

#: ``gamesched sandbox`` listens here by default (next to the app's 8000).
SANDBOX_PORT = 8001


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gamesched", description="Schedule game sessions for Discord.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the web app, the Discord bot and the job dispatcher")
    run.add_argument("--sandbox", action="store_true", help="run against the built-in local Discord")
    run.add_argument("--host", help="listen address (default GAMESCHED_HTTP_HOST or 127.0.0.1)")
    run.add_argument("--port", type=int, help="listen port (default GAMESCHED_HTTP_PORT or 8000)")
    commands.add_parser("migrate", help="apply database migrations and exit")
    sandbox = commands.add_parser(
        "sandbox", help="serve only the local Discord (for a bot in another process, e.g. benchmarks)"
    )
    sandbox.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    sandbox.add_argument(
        "--port", type=int, default=SANDBOX_PORT, help=f"listen port (default {SANDBOX_PORT})"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(os.environ)
    except SettingsError as exc:
        print(f"gamesched: {exc}", file=sys.stderr)
        return 2
    configure_logging(fmt=settings.log_format, level=settings.log_level)
    try:
        if args.command == "migrate":
            asyncio.run(migrate(settings))
            return 0
        if args.command == "sandbox":
            from discord_sandbox import WORLD_FILE_NAME
            from discord_sandbox.server import serve as serve_sandbox

            world_file = settings.data_dir / WORLD_FILE_NAME
            asyncio.run(serve_sandbox(host=args.host, port=args.port, world_file=world_file))
            return 0
        settings = settings.with_overrides(
            sandbox=args.sandbox,
            http_host=args.host or settings.http_host,
            http_port=settings.http_port if args.port is None else args.port,
        )
        if settings.sandbox and settings.discord_token:
            print(
                "gamesched: --sandbox ignores GAMESCHED_DISCORD_TOKEN (the bot talks to the sandbox)",
                file=sys.stderr,
            )
            settings = settings.with_overrides(discord_token=None)
        try:
            check_roles(settings)
        except SettingsError as exc:
            print(f"gamesched: {exc}", file=sys.stderr)
            return 2
        from gamesched.serve import serve

        asyncio.run(serve(settings))
        return 0
    except (DataDirInUse, DiscordRefused, OSError) as exc:
        print(f"gamesched: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


async def migrate(settings: Settings) -> None:
    from gamesched.app import start_database
    from gamesched.core.db import create_engine
    from gamesched.core.migrate import upgrade_head

    closers: list[object] = []
    url = await start_database(settings, closers)
    engine = create_engine(url)
    try:
        await upgrade_head(engine)
        print("gamesched: database is at the newest migration")
    finally:
        await engine.dispose()
        for close in reversed(closers):
            close()  # type: ignore[operator]
