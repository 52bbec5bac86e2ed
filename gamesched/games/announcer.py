"""Keeps each game's Discord announcement in step with the game.

Every game event schedules one coalesced ``games.refresh_announcement`` job per game (dedupe key
``announce:{game_id}``, kept rather than replaced), so a burst of clicks becomes a few edits. The job reads
the game as it is *now* and posts the announcement (when there is none) or edits it; refreshes of one game
run one at a time across every process (``core/locks.py``: an advisory lock named after the game), so an
older state never overwrites a newer one and a message is never edited by two processes at once. When Discord refuses for want of
permissions (or drops the embed for want of Embed Links), the game records it (announcement_problems.py) and
``retry_blocked`` tries again once the bot's permissions change.
"""

from __future__ import annotations

import asyncio
import uuid
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import discord
import msgspec
import structlog
from discord.http import Route
from sqlalchemy.ext.asyncio import AsyncSession

from gamesched.core.clock import Clock
from gamesched.core.db import Database
from gamesched.core.errors import NotFound
from gamesched.core.locks import AdvisoryLocks
from gamesched.core.modules import JobSpec, Subscription
from gamesched.core.queue import Job, JobQueue, NewJob, RetryLater
from gamesched.games.announcement import LIVE_STATUSES, Announcement, render_announcement
from gamesched.games.announcement_problems import AnnouncementProblems
from gamesched.games.calendar import Calendars
from gamesched.games.events import (
    ALL_EVENTS,
    AnnouncementPingsMissed,
    AnnouncementReposted,
    GameEvent,
    GameUpdated,
)
from gamesched.games.schemas import GameView
from gamesched.games.service import GameService
from gamesched.games.views import announcement_view
from gamesched.guilds import GuildService

log = structlog.get_logger(__name__)

REFRESH = "games.refresh_announcement"
MESSAGE_DELETED = "games.announcement_deleted"
TAKE_DOWN = "games.take_down_announcement"
#: Events arriving within this window share one edit.
REFRESH_DELAY = timedelta(milliseconds=400)
#: How long a deleted message waits before it is looked up (see ``message_deleted``).
RESTORE_DELAY = timedelta(seconds=1)
#: Game events handled together (a storm of clicks): one transaction per guild, one refresh per game.
EVENT_BATCH = 100
#: discord.py already retried 5xx a few times before giving up; the queue tries again after this long.
DISCORD_DOWN_RETRY_SECONDS = 15.0
NOT_READY_RETRY_SECONDS = 2.0
#: Discord's 403s for want of permissions in the channel: Missing Access (cannot see it), Missing Permissions.
PERMISSION_REFUSALS = frozenset({50001, 50013})


class Announcer:
    """Posts, edits, moves and restores game announcements."""

    def __init__(
        self,
        *,
        bot: discord.Client | None,
        games: GameService,
        queue: JobQueue,
        db: Database,
        clock: Clock,
        base_url: str,
        problems: AnnouncementProblems,
        calendars: Calendars | None = None,
        guilds: GuildService | None = None,
        refresh_delay: timedelta = REFRESH_DELAY,
        locks: AdvisoryLocks | None = None,
    ) -> None:
        self.bot = bot
        self.games = games
        self.problems = problems
        self.queue = queue
        self.db = db
        self.clock = clock
        self.base_url = base_url
        self.refresh_delay = refresh_delay
        #: Signs the announcement's calendar links (no calendar field without it).
        self.calendars = calendars
        self.guilds = guilds
        #: Across processes when given (the app always gives them); else within this process only.
        self.locks = locks
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    async def _render(self, game: GameView) -> Announcement:
        calendar = self.calendars.links(game.id) if self.calendars is not None else None
        if self.guilds is not None:
            # #channel, @member and :emoji: in the host's texts, as Discord shows them (kept as typed in
            # the database, so the edit form shows what was typed).
            description, instructions, location = await self.guilds.link_markup(
                int(game.guild_id), game.description, game.signup_instructions, game.location
            )
            game = msgspec.structs.replace(
                game, description=description, signup_instructions=instructions, location=location
            )
        return render_announcement(game, base_url=self.base_url, calendar=calendar)

    @property
    def _client(self) -> discord.Client:
        if self.bot is None:
            raise RuntimeError("announcement jobs run only in the process that runs the bot")
        return self.bot

    def client_ready(self) -> discord.Client:
        """The bot, once connected (``RetryLater`` until then)."""
        if not self._client.is_ready():
            raise RetryLater(NOT_READY_RETRY_SECONDS, "bot not connected yet")
        return self._client

    def subscriptions(self) -> list[Subscription]:
        """Every process reacts to game events by writing refresh jobs (no Discord call)."""
        return [
            Subscription(event, self.refresh_on_events, name="refresh_announcement", batch_size=EVENT_BATCH)
            for event in ALL_EVENTS
        ]

    def jobs(self) -> list[JobSpec]:
        """Only the process running the bot posts and edits announcements. A refresh or a restore reads the
        guild from the gateway view (is the bot in it, the channels and members its text links, the bot's
        permissions when refused), so with sharding it runs where the guild's shard is; a take-down is
        two REST calls and runs anywhere."""
        return [
            JobSpec(REFRESH, self.refresh_announcement, gateway=True),
            JobSpec(MESSAGE_DELETED, self.restore_deleted_announcement, gateway=True),
            JobSpec(TAKE_DOWN, self.take_down_old_announcement),
        ]

    # -- events → one coalesced refresh per game -----------------------------------------------------

    async def refresh_on_events(self, events: list[GameEvent]) -> None:
        """Only writes jobs (no Discord call here), so it can run in any process. A batch of events (a
        storm of clicks) is one transaction per guild and one refresh per game."""
        by_guild: dict[int, list[GameEvent]] = {}
        for event in events:
            by_guild.setdefault(event.guild_id, []).append(event)
        for guild_id, guild_events in by_guild.items():
            jobs = [
                NewJob(
                    TAKE_DOWN,
                    {
                        "game_id": event.game_id,
                        "guild_id": event.guild_id,
                        "channel_id": event.previous_channel_id,
                        "message_id": event.message_id,
                    },
                    dedupe_key=f"take-down:{event.message_id}",
                )
                for event in guild_events
                if isinstance(event, GameUpdated) and event.previous_channel_id and event.message_id
            ]
            jobs += [
                self._refresh_job(game_id, guild_id)
                for game_id in dict.fromkeys(event.game_id for event in guild_events)
            ]
            async with self.db.uow(guild_id=guild_id) as uow:
                await self.queue.enqueue_many(uow.session, jobs)

    async def schedule_refresh(self, game_id: str, guild_id: int) -> None:
        async with self.db.uow(guild_id=guild_id) as uow:
            await self._enqueue_refresh(uow.session, game_id, guild_id)

    async def _enqueue_refresh(self, session: AsyncSession, game_id: str, guild_id: int) -> None:
        await self.queue.enqueue_many(session, [self._refresh_job(game_id, guild_id)])

    def _refresh_job(self, game_id: str, guild_id: int) -> NewJob:
        """One pending refresh per game (kept, not moved): a burst of changes becomes one edit."""
        return NewJob(
            REFRESH,
            {"game_id": game_id, "guild_id": guild_id},
            self.clock.now() + self.refresh_delay,
            f"announce:{game_id}",
            replace=False,
        )

    async def retry_blocked(self, guild_id: int, *, channel_id: int | None = None) -> int:
        """The bot's permissions changed: try again every announcement of the guild (or of one channel) that
        is missing or was refused. Returns how many refreshes were queued."""
        game_ids = await self.problems.to_retry(guild_id, channel_id=channel_id)
        if game_ids:
            async with self.db.uow(guild_id=guild_id) as uow:
                for game_id in game_ids:
                    await self._enqueue_refresh(uow.session, game_id, guild_id)
        log.info("announcements_retried", guild_id=guild_id, channel_id=channel_id, games=len(game_ids))
        return len(game_ids)

    async def message_deleted(self, *, guild_id: int, channel_id: int, message_id: int) -> None:
        """A message vanished from a channel; if it announced a game, restore it (durably, via the queue)."""
        # A second later: Discord shows a new announcement before its id is recorded on the game, and a
        # deletion handled in between would find no game for it (and restore nothing).
        async with self.db.uow(guild_id=guild_id) as uow:
            await self.queue.enqueue(
                uow.session,
                MESSAGE_DELETED,
                {"guild_id": guild_id, "channel_id": channel_id, "message_id": message_id},
                due_at=self.clock.now() + RESTORE_DELAY,
            )

    # -- jobs ----------------------------------------------------------------------------------------

    async def refresh_announcement(self, job: Job) -> None:
        game_id, guild_id = str(job.payload["game_id"]), int(job.payload["guild_id"])
        async with self._refreshing(game_id, guild_id):
            game = await self._current(game_id, guild_id)
            if game is None:
                return
            announcement = await self._render(game)
            if game.status == "archived":
                await self._archive(game, announcement)
                return
            if game.message_id is None:
                if game.status in LIVE_STATUSES and game.post_at is None:  # a deferred game waits
                    await self._post(game, announcement)
                return
            try:
                await self._edit(game, announcement)
            except discord.NotFound:
                # Gone without us seeing the delete (e.g. while disconnected): put it back and tell the host,
                # unless the game is moving channel and its old post is about to be taken down anyway.
                moving = await self._moving_away(game)
                log.info("announcement_missing", game_id=game_id, message_id=game.message_id, moving=moving)
                await self._replace(game, announcement, tell_host=not moving)

    async def restore_deleted_announcement(self, job: Job) -> None:
        guild_id, message_id = int(job.payload["guild_id"]), int(job.payload["message_id"])
        found = await self.games.queries.find_by_message(message_id, guild_id=guild_id)
        if found is None:
            return
        async with self._refreshing(found.id, guild_id):
            game = await self._current(found.id, guild_id)
            if game is None or game.message_id != str(message_id):
                return  # already replaced or moved meanwhile
            log.info("announcement_deleted_by_hand", game_id=game.id, status=game.status)
            await self._replace(game, await self._render(game), tell_host=True)

    async def repost_if_missing(self, game_id: str, guild_id: int, message_id: int) -> bool:
        """Post the announcement again (and tell the host) if its message is gone from Discord."""
        async with self._refreshing(game_id, guild_id):
            game = await self._current(game_id, guild_id)
            if game is None or game.message_id != str(message_id):
                return False  # gone, or posted anew meanwhile
            channel = self._client.get_partial_messageable(int(game.channel_id), guild_id=guild_id)
            try:
                await channel.fetch_message(message_id)
                return False
            except discord.NotFound:
                log.info("announcement_missing", game_id=game_id, message_id=message_id)
            await self._replace(game, await self._render(game), tell_host=True)
            return True
        return False

    # -- Discord ---------------------------------------------------------------------------------------

    async def _current(self, game_id: str, guild_id: int) -> GameView | None:
        """The game now, or None when it cannot be announced (gone, or the bot left its server)."""
        if self.client_ready().get_guild(guild_id) is None:
            log.info("announcement_skipped", game_id=game_id, reason="bot_not_in_guild")
            return None
        try:
            return await self.games.queries.snapshot(game_id, guild_id=guild_id)
        except NotFound:
            return None

    async def _post(self, game: GameView, announcement: Announcement) -> int:
        channel = self._client.get_partial_messageable(int(game.channel_id), guild_id=int(game.guild_id))
        message = await channel.send(**_message_fields(announcement))
        await self.games.lifecycle.record_announcement(
            game.id, guild_id=int(game.guild_id), message_id=message.id
        )
        log.info("announcement_posted", game_id=game.id, channel_id=game.channel_id, message_id=message.id)
        await self._went_through(game, message)
        await self._check_pings(game, announcement, message)
        return message.id

    async def _edit(self, game: GameView, announcement: Announcement) -> None:
        channel = self._client.get_partial_messageable(int(game.channel_id), guild_id=int(game.guild_id))
        message = await channel.get_partial_message(int(game.message_id or 0)).edit(
            **_message_fields(announcement)
        )
        log.info("announcement_edited", game_id=game.id, message_id=game.message_id, status=game.status)
        await self._went_through(game, message)

    async def _went_through(self, game: GameView, message: discord.Message) -> None:
        """Discord took the post or edit, but without Embed Links it drops the embed: the game's card is
        missing, which is a problem too. Otherwise an earlier problem is over."""
        if not message.embeds:
            await self.problems.blocked(game.id, int(game.guild_id), missing=["embed_links"])
        elif game.announcement_problem is not None:
            await self.problems.resolved(game.id, int(game.guild_id))

    async def _check_pings(
        self, game: GameView, announcement: Announcement, message: discord.Message
    ) -> None:
        """A new post is when Discord pings (edits do not): if it left out notify roles or @everyone, because
        the bot may not mention them there, tell the host, who can fix it before the game."""
        pinged = {role.id for role in message.role_mentions}
        missed = tuple(r for r in announcement.role_ids if r not in pinged)
        everyone = announcement.mentions_everyone and not message.mention_everyone
        if not missed and not everyone:
            return
        log.warning(
            "announcement_pings_missed",
            game_id=game.id,
            message_id=message.id,
            role_ids=missed,
            everyone=everyone,
        )
        async with self.db.uow(guild_id=int(game.guild_id)) as uow:
            uow.publish(
                AnnouncementPingsMissed(
                    game_id=game.id,
                    guild_id=int(game.guild_id),
                    channel_id=int(game.channel_id),
                    host_id=int(game.host.discord_id),
                    message_id=message.id,
                    role_ids=missed,
                    everyone=everyone,
                )
            )

    async def _replace(self, game: GameView, announcement: Announcement, *, tell_host: bool) -> None:
        """The announcement is gone: post it again while the game is on, else just forget it."""
        guild_id = int(game.guild_id)
        await self.games.lifecycle.record_announcement(game.id, guild_id=guild_id, message_id=None)
        if game.status not in LIVE_STATUSES:
            return
        message_id = await self._post(game, announcement)
        if tell_host:
            await self._tell_host(game, message_id)

    async def _archive(self, game: GameView, announcement: Announcement) -> None:
        """The game was archived: its announcement goes (forgotten first, so its deletion is not taken for
        one "by hand"); with an archive channel, the embed is posted there without buttons — once: the post
        carries a nonce from the game's id, so a retry after a crash is answered with the first message."""
        guild_id = int(game.guild_id)
        if game.message_id is not None:
            await self.games.lifecycle.record_announcement(game.id, guild_id=guild_id, message_id=None)
            old = self._client.get_partial_messageable(int(game.channel_id), guild_id=guild_id)
            try:
                await old.get_partial_message(int(game.message_id)).delete()
            except (discord.NotFound, discord.Forbidden) as exc:
                log.info("archived_announcement_not_deleted", game_id=game.id, error=str(exc))
        if game.archive_channel_id is None:
            return
        payload: dict[str, Any] = {
            "content": None,
            "embeds": [announcement.embed],
            "components": [],
            "allowed_mentions": {"parse": []},
        }
        if game.archive_message_id is None:
            route = Route("POST", "/channels/{channel_id}/messages", channel_id=int(game.archive_channel_id))
            nonce = "a" + uuid.UUID(game.id).hex[:24]  # Discord takes at most 25 characters
            message = await self._client.http.request(
                route, json={**payload, "nonce": nonce, "enforce_nonce": True}
            )
            await self.games.lifecycle.record_archive_announcement(
                game.id, guild_id=guild_id, message_id=int(message["id"])
            )
            log.info("announcement_archived", game_id=game.id, channel_id=game.archive_channel_id)
            return
        route = Route(
            "PATCH",
            "/channels/{channel_id}/messages/{message_id}",
            channel_id=int(game.archive_channel_id),
            message_id=int(game.archive_message_id),
        )
        try:
            await self._client.http.request(route, json=payload)
        except discord.NotFound:
            log.info("archived_announcement_missing", game_id=game.id)

    async def take_down_old_announcement(self, job: Job) -> None:
        """The game moved channel: forget the old post first (so its deletion is not "by hand"), delete it.

        If a refresh got there first it has already posted in the new channel; then only the delete is left.
        """
        game_id, guild_id = str(job.payload["game_id"]), int(job.payload["guild_id"])
        channel_id, message_id = int(job.payload["channel_id"]), int(job.payload["message_id"])
        async with self._exclusive(game_id), _discord_outcomes(game_id):
            try:
                game = await self.games.queries.snapshot(game_id, guild_id=guild_id)
            except NotFound:
                return
            if game.message_id == str(message_id):
                await self.games.lifecycle.record_announcement(game_id, guild_id=guild_id, message_id=None)
            old = self._client.get_partial_messageable(channel_id, guild_id=guild_id)
            try:
                await old.get_partial_message(message_id).delete()
            except (discord.NotFound, discord.Forbidden) as exc:
                log.info("old_announcement_not_deleted", game_id=game_id, error=str(exc))

    async def _moving_away(self, game: GameView) -> bool:
        """A take-down of the game's current post is queued: it was moved to another channel."""
        async with self.db.uow(guild_id=int(game.guild_id)) as uow:
            return bool(await self.queue.pending(uow.session, dedupe_prefix=f"take-down:{game.message_id}"))

    async def _tell_host(self, game: GameView, message_id: int) -> None:
        async with self.db.uow(guild_id=int(game.guild_id)) as uow:
            uow.publish(
                AnnouncementReposted(
                    game_id=game.id,
                    guild_id=int(game.guild_id),
                    channel_id=int(game.channel_id),
                    host_id=int(game.host.discord_id),
                    message_id=message_id,
                )
            )

    @asynccontextmanager
    async def _refreshing(self, game_id: str, guild_id: int) -> AsyncIterator[None]:
        """One refresh of the game at a time, Discord's outcomes handled; a refusal for want of permissions in
        the channel is recorded on the game (the host and managers hear of it), not only logged."""
        async with self._exclusive(game_id), _discord_outcomes(game_id):
            try:
                yield
            except discord.Forbidden as exc:
                if exc.code not in PERMISSION_REFUSALS:
                    raise
                await self.problems.blocked(game_id, guild_id)

    @asynccontextmanager
    async def _exclusive(self, game_id: str) -> AsyncIterator[None]:
        """One refresh of a game at a time (in every process, with ``locks``), so edits land in the order
        states were read. Costs two round trips on the locks' own connection per refresh, none per click."""
        if self.locks is not None:
            async with self.locks.hold(f"announce:{game_id}"):
                yield
            return
        lock = self._locks.get(game_id)
        if lock is None:
            lock = self._locks[game_id] = asyncio.Lock()
        async with lock:
            yield


@asynccontextmanager
async def _discord_outcomes(game_id: str) -> AsyncIterator[None]:
    """Rate limits and outages are retried through the queue; refusals are logged, not retried forever."""
    try:
        yield
    except discord.RateLimited as exc:
        raise RetryLater(exc.retry_after, f"rate limited: {exc}") from exc
    except discord.DiscordServerError as exc:
        raise RetryLater(DISCORD_DOWN_RETRY_SECONDS, f"discord unavailable: {exc}") from exc
    except discord.Forbidden as exc:
        log.warning("announcement_forbidden", game_id=game_id, error=str(exc))
    except discord.NotFound as exc:
        log.warning("announcement_channel_missing", game_id=game_id, error=str(exc))


def _message_fields(announcement: Announcement) -> dict[str, Any]:
    return {
        "content": announcement.content,
        "embed": discord.Embed.from_dict(announcement.embed),
        "view": announcement_view(announcement.buttons),
        "allowed_mentions": discord.AllowedMentions(
            everyone=announcement.mentions_everyone,
            users=False,
            roles=[discord.Object(r) for r in announcement.role_ids],
        ),
    }
