"""The Discord client slot: runs discord.py in the app's event loop and reports its connection state."""

from __future__ import annotations

import contextlib

import discord
import structlog

log = structlog.get_logger(__name__)


class GameschedClient(discord.Client):
    """discord.py client; slash commands, views and event handlers are attached by the bot module."""

    async def on_ready(self) -> None:
        log.info("discord_ready", user=str(self.user), guilds=len(self.guilds))


class DiscordConnection:
    """Owns the client's lifetime; ``status`` is what /health reports."""

    def __init__(self, *, token: str | None, intents: discord.Intents | None = None) -> None:
        self.token = token
        self.client: GameschedClient | None = None
        if token:
            self.client = GameschedClient(intents=intents or default_intents())

    @property
    def status(self) -> str:
        if self.client is None:
            return "disabled"
        return "connected" if self.client.is_ready() and not self.client.is_closed() else "disconnected"

    async def run(self) -> None:
        """Connect and stay connected (discord.py reconnects by itself) until ``close()``."""
        if self.client is None or self.token is None:
            return
        try:
            await self.client.start(self.token, reconnect=True)
        except discord.LoginFailure as exc:
            log.error("discord_login_failed", error=str(exc))
            raise

    async def close(self) -> None:
        if self.client is not None and not self.client.is_closed():
            with contextlib.suppress(Exception):
                await self.client.close()


def default_intents() -> discord.Intents:
    """Guilds and members-free by default: member data comes from REST search when the intent is off."""
    intents = discord.Intents.none()
    intents.guilds = True
    return intents
