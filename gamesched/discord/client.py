"""The Discord client: discord.py in the app's event loop, reporting its connection state for /health."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

import discord
import discord.gateway
import structlog
from discord.ext import commands

from gamesched.core.foreground import Foreground
from gamesched.discord.rate_limit import pace_requests, prune_idle_buckets_sparingly, send_window_trace

log = structlog.get_logger(__name__)

MEMBERS_INTENT_REFUSED = (
    "Discord refused the Server Members intent (GAMESCHED_DISCORD_MEMBERS_INTENT=true). Switch on "
    "'Server Members Intent' for the bot in the Discord Developer Portal (Bot → Privileged Gateway Intents), "
    "or set GAMESCHED_DISCORD_MEMBERS_INTENT=false to look members up through Discord's API instead."
)
TOKEN_REFUSED = (
    "Discord refused the bot token: check GAMESCHED_DISCORD_TOKEN (Developer Portal → Bot → Reset Token)."
)


GATEWAY_AUTHENTICATION_FAILED = 4004
GATEWAY_INVALID_SHARD, GATEWAY_SHARDING_REQUIRED = 4010, 4011
#: What to change when Discord refuses the shard settings.
SHARDING_REFUSED = {
    GATEWAY_INVALID_SHARD: (
        "Discord refused the shard settings (4010, invalid shard): GAMESCHED_SHARD_IDS must be below "
        "GAMESCHED_SHARD_COUNT, and every process of the bot must use the same GAMESCHED_SHARD_COUNT."
    ),
    GATEWAY_SHARDING_REQUIRED: (
        "Discord requires more shards (4011, sharding required): the bot is in too many servers for "
        "GAMESCHED_SHARD_COUNT. Raise it to at least the count Discord recommends (GET /gateway/bot answers "
        "it) and run every shard of the new count."
    ),
}
#: discord.py events after which a guild's channels, roles or the bot's permissions may differ (guild_*,
#: member_update for the bot's own roles; ready/resumed rebuild or refresh the cache).
GUILD_STATE_EVENT_PREFIXES = ("guild_", "member_update", "raw_member_update", "ready", "resumed", "connect")


class DiscordRefused(Exception):
    """Discord will not let the bot connect as configured; retrying cannot help. The message says what to
    change."""


def _stamp_heartbeats_before_sending() -> None:
    """Backport of Rapptz/discord.py#10448 (not in a release yet; 2.7.1 has the race).

    discord.py's keep-alive thread records when it sent a heartbeat only after the send completed on the
    event loop. When the gateway answers at once — the sandbox in the same process, a local gateway proxy
    — the loop handles the ACK first and measures it from the previous heartbeat: the latency reads as a
    whole interval and the log says "Can't keep up, shard ID None websocket is 41.3s behind." Stamping the
    send on the loop, just before it goes out, as upstream now does, makes the ACK measure the round trip.
    """
    original = discord.gateway.DiscordWebSocket.send_heartbeat
    if getattr(original, "__gamesched_stamped__", False):
        return

    async def send_heartbeat(self: discord.gateway.DiscordWebSocket, data: Any) -> None:
        keep_alive = self._keep_alive
        if keep_alive is not None:
            keep_alive._last_send = time.perf_counter()
        await original(self, data)

    send_heartbeat.__gamesched_stamped__ = True  # type: ignore[attr-defined]
    discord.gateway.DiscordWebSocket.send_heartbeat = send_heartbeat  # type: ignore[method-assign]


_stamp_heartbeats_before_sending()


class GameschedBot(commands.Bot):
    """discord.py bot; cogs (guild sync, commands, buttons) are added by the composition root."""

    def __init__(self, *, intents: discord.Intents, guild_ready_timeout: float = 2.0, **options: Any) -> None:
        # gamesched never joins voice: no warnings about voice libraries at every start.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        # No prefix commands: everything is slash commands and buttons (no message content intent needed).
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            help_command=None,
            guild_ready_timeout=guild_ready_timeout,
            # Nothing pings unless a message says whom (announcements name their notify roles): a reply or a
            # DM that quotes a name never notifies anyone by accident.
            allowed_mentions=discord.AllowedMentions.none(),
            **options,
        )

        #: Bumped by every gateway event that can change a guild's structure, roles or the bot's permissions
        #: (the directory rebuilds its view of a guild when it moved).
        self.guild_state_version = 0
        #: Bumped by those events and by ``user_update`` (a member's name or avatar changed in place): the
        #: directory reuses what it read from a cached member until it moves.
        self.member_state_version = 0
        #: Called with each interaction before any handler runs (e.g. the directory remembers the member
        #: the interaction carries, so answering a click needs no member look-up at Discord).
        self.interaction_observers: list[Callable[[discord.Interaction[Any]], None]] = []
        #: Asked with each interaction's id before discord.py sees it, and a function to tell whether this
        #: process won it: when not, another process answers and this one does nothing at all (see
        #: core/claims.py). None: answer everything.
        self.claim_interaction: Callable[[int, Callable[[bool], None]], None] | None = None
        #: The answers being worked on here (``discord_kit.respond`` counts them; core/foreground.py).
        self.foreground = Foreground()
        # Discord sends each interaction to every session of the bot (every process). The gate sits at
        # the gateway parser, before discord.py builds the interaction and schedules its command, button,
        # form or autocomplete handler: there is no later point that covers every kind of handler.
        parsers = self._connection.parsers
        self._parse_interaction = parsers["INTERACTION_CREATE"]
        parsers["INTERACTION_CREATE"] = self._interaction_received

    def dispatch(self, event_name: str, /, *args: Any, **kwargs: Any) -> None:
        if event_name.startswith(GUILD_STATE_EVENT_PREFIXES):
            self.guild_state_version += 1
            self.member_state_version += 1
        elif event_name == "user_update":
            self.member_state_version += 1
        # discord.py has already scheduled the button's or command's handler as a task; it runs after this.
        if event_name == "interaction":
            for observe in self.interaction_observers:
                observe(args[0])
        super().dispatch(event_name, *args, **kwargs)

    def _interaction_received(self, data: Any) -> None:
        if self.claim_interaction is None:
            self._parse_interaction(data)
            return
        self.claim_interaction(int(data["id"]), lambda won: self._claimed(data, won))

    def _claimed(self, data: Any, won: bool) -> None:
        if won:
            self._parse_interaction(data)
        else:
            log.debug("interaction_claimed_elsewhere", interaction_id=data["id"])

    async def on_ready(self) -> None:
        log.info("discord_ready", user=str(self.user), guilds=len(self.guilds))


class ShardedGameschedBot(GameschedBot, commands.AutoShardedBot):
    """The bot on some of Discord's shards (``GAMESCHED_SHARD_COUNT`` / ``_SHARD_IDS``): one gateway
    connection per shard, each with only the events of its guilds, ``(guild_id >> 22) % shard_count``, and
    DMs on shard 0. discord.py's ``AutoShardedBot`` with the shards given; everything else as GameschedBot."""


def make_bot(
    *,
    intents: discord.Intents,
    guild_ready_timeout: float,
    shard_count: int | None = None,
    shard_ids: tuple[int, ...] | None = None,
    requests_per_second: float = 0,
) -> GameschedBot:
    """One unsharded connection, or the given shards of ``shard_count``; REST requests with the bot token
    paced at ``requests_per_second`` (``rate_limit.py``; 0: not paced)."""
    options: dict[str, Any] = {"intents": intents, "guild_ready_timeout": guild_ready_timeout}
    if (trace := send_window_trace(requests_per_second)) is not None:
        options["http_trace"] = trace
    bot = (
        GameschedBot(**options)
        if shard_count is None
        else ShardedGameschedBot(
            **options,
            shard_count=shard_count,
            shard_ids=list(shard_ids if shard_ids is not None else range(shard_count)),
        )
    )
    pace_requests(bot, requests_per_second)
    prune_idle_buckets_sparingly(bot)
    return bot


class DiscordConnection:
    """Owns the bot's lifetime; ``status`` is what /health reports."""

    def __init__(
        self,
        *,
        token: str | None,
        members_intent: bool = False,
        local: bool = False,
        shard_count: int | None = None,
        shard_ids: tuple[int, ...] | None = None,
        requests_per_second: float = 0,
    ) -> None:
        self.token = token
        # discord.py waits guild_ready_timeout for late GUILD_CREATEs; the local sandbox sends them at once.
        wait = 0.1 if local else 2.0
        self.bot: GameschedBot | None = (
            make_bot(
                intents=default_intents(members_intent),
                guild_ready_timeout=wait,
                shard_count=shard_count,
                shard_ids=shard_ids,
                requests_per_second=requests_per_second,
            )
            if token
            else None
        )
        #: Set once the bot is ready and the guilds module has recorded every guild.
        self.synced = asyncio.Event()

    @property
    def status(self) -> str:
        if self.bot is None:
            return "disabled"
        ready = self.bot.is_ready() and not self.bot.is_closed() and self.synced.is_set()
        return "connected" if ready else "disconnected"

    async def run(self) -> None:
        """Connect and stay connected (discord.py reconnects by itself) until ``close()``."""
        if self.bot is None or self.token is None:
            return
        try:
            await self.bot.start(self.token, reconnect=True)
        except discord.PrivilegedIntentsRequired as exc:
            log.error("discord_intents_refused", error=str(exc))
            raise DiscordRefused(MEMBERS_INTENT_REFUSED) from exc
        except discord.LoginFailure as exc:
            log.error("discord_login_failed", error=str(exc))
            raise DiscordRefused(TOKEN_REFUSED) from exc
        except discord.ConnectionClosed as exc:
            # discord.py gives up on these gateway close codes; retrying would fail the same way.
            log.error("discord_gateway_refused", code=exc.code, reason=exc.reason)
            if exc.code == GATEWAY_AUTHENTICATION_FAILED:
                raise DiscordRefused(TOKEN_REFUSED) from exc
            if exc.code in SHARDING_REFUSED:
                raise DiscordRefused(SHARDING_REFUSED[exc.code]) from exc
            raise DiscordRefused(f"Discord closed the gateway with code {exc.code} ({exc.reason}).") from exc
        except Exception as exc:
            if self.bot.is_closed():  # shut down while still logging in: the request met a closed session
                log.debug("discord_start_interrupted", error=repr(exc))
                return
            raise

    async def close(self) -> None:
        if self.bot is not None and not self.bot.is_closed():
            with contextlib.suppress(Exception):
                await self.bot.close()


def default_intents(members: bool = False) -> discord.Intents:
    """Guilds and guild messages (without content: we only need deletions); with ``members`` (privileged)
    member data comes from the gateway cache."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True  # MESSAGE_DELETE: an announcement deleted by hand is posted again
    intents.emojis_and_stickers = True  # the guild's custom emoji, for ":name:" in a game's texts
    intents.members = members
    return intents
