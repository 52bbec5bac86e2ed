"""DMs about games: what happened to your seat, and changes to a game you are in (announcement_dms.py has
those about the announcement).

Each handler reads the game as it is now, words a short DM and queues it through the Notifier (recorded
once sent; closed DMs fall back to one channel message). The join DM waits a little (``join_dm_delay``) as
a timed job that, when due, DMs the seat the player holds then: leaving within the window means no DM at
all (race-free: the due job checks the roster), and a promotion or demotion in it replaces it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import timedelta

import msgspec
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from gamesched.core.clock import Clock
from gamesched.core.db import Database
from gamesched.core.modules import JobSpec, Subscription
from gamesched.core.queue import Job, NewJob
from gamesched.discord_kit import format_when
from gamesched.games import (
    GameCancelled,
    GameEvent,
    GameScheduled,
    GameService,
    GameUpdated,
    GameView,
    HostAddedPlayerLeft,
    PlayerAdded,
    PlayerJoined,
    PlayerLeft,
    PlayerRemoved,
    SignupMethod,
    WaitlistDemoted,
    WaitlistPromoted,
)
from gamesched.guilds import GuildService
from gamesched.notifications.about_games import current_game, game_dm, jump_link
from gamesched.notifications.delivery import ACTIVE, StillRelevant
from gamesched.notifications.service import Notifier

log = structlog.get_logger(__name__)

JOIN_DM_DUE = "notifications.join_dm_due"
#: Joins handled together (a click storm): one transaction per guild for their join DMs.
JOIN_BATCH = 100
#: Changes to these fields are worth a DM to everyone on the roster.
TIME_OR_PLACE = ("scheduled_at", "location", "channel_id")


class GameDMs:
    def __init__(
        self,
        *,
        games: GameService,
        notifier: Notifier,
        db: Database,
        clock: Clock,
        base_url: str,
        join_dm_delay: timedelta,
        guilds: GuildService,
    ) -> None:
        self.games = games
        self.notifier = notifier
        self.db = db
        self.clock = clock
        self.base_url = base_url.rstrip("/")
        self.join_dm_delay = join_dm_delay
        self.guilds = guilds

    def jobs(self) -> list[JobSpec]:
        return [JobSpec(JOIN_DM_DUE, self.send_due_join_dm, gateway=True)]

    def subscriptions(self) -> list[Subscription]:
        return [
            Subscription(GameScheduled, self.send_join_dms_at_creation),
            # The kind keeps its name from when joins came one at a time: rows queued then still run.
            Subscription(PlayerJoined, self.send_join_dms, name="send_join_dm", batch_size=JOIN_BATCH),
            Subscription(PlayerAdded, self.send_added_dm),
            Subscription(PlayerLeft, self.drop_join_dm),
            Subscription(WaitlistPromoted, self.send_promotion_dm),
            Subscription(WaitlistDemoted, self.send_demotion_dm),
            Subscription(PlayerRemoved, self.send_removal_dm),
            Subscription(GameCancelled, self.send_cancellation_dms),
            Subscription(GameUpdated, self.send_change_dms),
            Subscription(HostAddedPlayerLeft, self.send_dropout_dm),
        ]

    # -- who is told ---------------------------------------------------------------------------------

    async def told(self, game: GameView, events: Sequence[GameEvent]) -> set[int]:
        """The games module's ``Audience``: the people the DMs these events cause go to (each handler below
        asks ``recipients`` too), so a host hears "3 people were told" for the DMs really queued."""
        return {user_id for event in events for user_id in recipients(event, game)}

    # -- seats -------------------------------------------------------------------------------------

    async def send_join_dms_at_creation(self, event: GameScheduled) -> None:
        others = recipients(event, None)
        await self._queue_join_dms(
            event.guild_id, [(event.game_id, user_id, event.host_id) for user_id in others]
        )

    async def send_join_dms(self, events: list[PlayerJoined]) -> None:
        """A batch of joins (a click storm): one transaction per guild."""
        by_guild: dict[int, list[tuple[str, int, int | None]]] = {}
        for event in events:
            for user_id in recipients(event, None):
                by_guild.setdefault(event.guild_id, []).append((event.game_id, user_id, None))
        for guild_id, joins in by_guild.items():
            await self._queue_join_dms(guild_id, joins)

    async def send_added_dm(self, event: PlayerAdded) -> None:
        joins = [(event.game_id, user_id, event.by_user_id) for user_id in recipients(event, None)]
        await self._queue_join_dms(event.guild_id, joins)

    async def drop_join_dm(self, event: PlayerLeft) -> None:
        """Left before the join DM went out: say nothing at all. (Should this run late, the due job finds
        the player gone and stays silent anyway.)"""
        async with self.db.uow(guild_id=event.guild_id) as uow:
            dropped = await self._cancel_join_dm(uow.session, event.game_id, event.user_id)
        if dropped:
            log.info("join_dm_dropped", game_id=event.game_id, user_id=event.user_id)

    async def send_promotion_dm(self, event: WaitlistPromoted) -> None:
        game = await self._game(event.game_id, event.guild_id)
        if game is None or not recipients(event, game):
            return
        text = f"Good news: a seat opened up and you're in **{game.title}** (seat {event.position}), {format_when(game.scheduled_at, game.time_zone)}."
        text += _instructions(await self._linked_instructions(game)) + self._link(game)
        await self._send(
            game,
            event.user_id,
            "promoted",
            f"promoted:{game.id}:{event.user_id}:{event.event_id}",
            text,
            summary=f"**{game.title}**: a seat opened up for you.",
            only_if=StillRelevant(seat="confirmed"),
            replaces_join_dm=True,
        )

    async def send_demotion_dm(self, event: WaitlistDemoted) -> None:
        game = await self._game(event.game_id, event.guild_id)
        if game is None or not recipients(event, game):
            return
        text = (
            f"A change by the host moved you to the waitlist of **{game.title}** "
            f"(#{event.position}). I'll DM you if a seat opens.{self._link(game)}"
        )
        await self._send(
            game,
            event.user_id,
            "demoted",
            f"demoted:{game.id}:{event.user_id}:{event.event_id}",
            text,
            summary=f"**{game.title}**: you were moved to the waitlist.",
            only_if=StillRelevant(seat="waitlisted"),
            replaces_join_dm=True,
        )

    async def send_removal_dm(self, event: PlayerRemoved) -> None:
        game = await self._game(event.game_id, event.guild_id)
        if game is None or event.user_id is None or not recipients(event, game):
            return
        text = (
            f"The host removed you from **{game.title}** ({format_when(game.scheduled_at, game.time_zone)})."
        )
        await self._send(
            game,
            event.user_id,
            "removed",
            f"removed:{game.id}:{event.user_id}:{event.event_id}",
            text,
            summary=f"**{game.title}**: you were taken off the roster.",
            only_if=StillRelevant(seat="off_roster"),
            replaces_join_dm=True,
        )

    async def send_dropout_dm(self, event: HostAddedPlayerLeft) -> None:
        game = await self._game(event.game_id, event.guild_id)
        if game is None:
            return
        text = (
            f"<@{event.user_id}>, whom you added, dropped out of **{game.title}** "
            f"({format_when(game.scheduled_at, game.time_zone)}). {game.confirmed_count}/{game.max_players} seats are taken.{self._link(game)}"
        )
        await self._send(
            game,
            event.host_id,
            "host_added_left",
            f"dropout:{game.id}:{event.user_id}:{event.event_id}",
            text,
            summary=f"**{game.title}**: a player you added dropped out.",
            only_if=StillRelevant(),
        )

    # -- the game itself -----------------------------------------------------------------------------

    async def send_cancellation_dms(self, event: GameCancelled) -> None:
        game = await self._game(event.game_id, event.guild_id)
        if game is None:
            return
        async with self.db.uow(guild_id=event.guild_id) as uow:
            # Join DMs still waiting (their delay, or their turn in the queue) have nothing left to say.
            await self.notifier.queue.cancel(uow.session, dedupe_prefix=f"join-dm-due:{game.id}:")
            await self.notifier.cancel(uow.session, f"joined:{game.id}:")
        text = f"**{game.title}** ({format_when(game.scheduled_at, game.time_zone)}) was cancelled."
        if reason := event.reason.strip():
            text += f"\nReason: {reason}"
        text += self._link(game)
        for user_id in recipients(event, game):
            await self._send(
                game,
                user_id,
                "cancelled",
                f"cancelled:{game.id}:{user_id}",
                text,
                summary=f"**{game.title}** was cancelled.",
                only_if=StillRelevant(game_statuses=("cancelled",)),
            )

    async def send_change_dms(self, event: GameUpdated) -> None:
        if not set(TIME_OR_PLACE).intersection(event.changed):
            return
        game = await self._game(event.game_id, event.guild_id)
        if game is None or not (told := recipients(event, game)):
            return
        lines = [f"**{game.title}** has changed."]
        if "scheduled_at" in event.changed:
            lines.append(f"New time: {format_when(game.scheduled_at, game.time_zone)}.")
        if "location" in event.changed:
            where = await self._place(game)
            lines.append(f"Where: {where}" if where else "The location was removed.")
        if "channel_id" in event.changed:
            lines.append(f"It moved to <#{game.channel_id}>; the announcement is there now.")
        text = "\n".join(lines) + self._link(game)
        # The key names the new values, so a redelivered event does not DM twice.
        version = _digest(f"{game.scheduled_at.isoformat()}|{game.location}|{game.channel_id}")
        for user_id in told:
            await self._send(
                game,
                user_id,
                "game_changed",
                f"changed:{game.id}:{user_id}:{version}",
                text,
                summary=f"**{game.title}** has a new time or place: {format_when(game.scheduled_at, game.time_zone)}.",
                only_if=StillRelevant(seat="on_roster"),
            )

    # -- plumbing ------------------------------------------------------------------------------------

    async def _queue_join_dms(self, guild_id: int, joins: Sequence[tuple[str, int, int | None]]) -> None:
        """The joined/waitlisted DM of each (game, person, who added them) waits ``join_dm_delay``; then
        ``send_due_join_dm`` reads the game and says the seat held then (nothing if they left meanwhile), so
        nothing is read here: one insert per join, however long the roster. The DM channels are opened
        meanwhile. Someone else put them there (``added_by``): the DM says who, and how to leave."""
        if not joins:
            return
        due = self.clock.now() + self.join_dm_delay
        jobs = [
            NewJob(
                JOIN_DM_DUE,
                {
                    "game_id": game_id,
                    "guild_id": guild_id,
                    "user_id": user_id,
                    "added_by": added_by if added_by != user_id else None,
                },
                due,
                _join_due_key(game_id, user_id),
            )
            for game_id, user_id, added_by in joins
        ]
        jobs += self.notifier.open_channel_jobs((user_id for _, user_id, _ in joins), before=due)
        async with self.db.uow(guild_id=guild_id) as uow:
            await self.notifier.queue.enqueue_many(uow.session, jobs)
        log.info("join_dms_scheduled", guild_id=guild_id, joins=len(joins))

    async def send_due_join_dm(self, job: Job) -> None:
        """The delay is over: DM the seat the player holds now; say nothing if they left meanwhile."""
        user_id = int(job.payload["user_id"])
        game = await self._game(str(job.payload["game_id"]), int(job.payload["guild_id"]))
        seat = None if game is None else _seat(game, user_id)
        if game is None or seat is None or game.status not in ACTIVE:
            log.info("join_dm_dropped", game_id=job.payload["game_id"], user_id=user_id)
            return
        status, position = seat
        game = await self._linked_instructions(game)
        text, summary = join_text(game, status, position)
        if (added_by := job.payload.get("added_by")) is not None:
            text = f"{await self._name(game, int(added_by))} added you. {text}{self._how_to_leave(game)}"
        await self._send(
            game,
            user_id,
            "joined" if status == "confirmed" else "waitlisted",
            f"{join_key(game.id, user_id)}{job.id}",
            text + self._link(game),
            summary=summary,
            # Said only while it is true; and not after a reminder, which already told the seat.
            only_if=StillRelevant(seat=status, unless_sent=("reminder",)),
        )

    async def _send(
        self,
        game: GameView,
        user_id: int,
        kind: str,
        key: str,
        text: str,
        *,
        summary: str,
        only_if: StillRelevant | None,
        replaces_join_dm: bool = False,
    ) -> None:
        guild_id = int(game.guild_id)
        server = await self.guilds.guild_name(guild_id)
        request = game_dm(game, user_id, kind, key, text, summary=summary, only_if=only_if, server=server)
        async with self.db.uow(guild_id=guild_id) as uow:
            if replaces_join_dm:
                await self._cancel_join_dm(uow.session, game.id, user_id)
            await self.notifier.request(uow.session, request)
        log.info("game_dm_queued", kind=kind, game_id=game.id, user_id=user_id)

    async def _cancel_join_dm(self, session: AsyncSession, game_id: str, user_id: int) -> int:
        dropped = await self.notifier.queue.cancel(session, dedupe_prefix=_join_due_key(game_id, user_id))
        return dropped + await self.notifier.cancel(session, join_key(game_id, user_id))

    async def _game(self, game_id: str, guild_id: int) -> GameView | None:
        """The game now; None also while it is not announced yet: its players hear of it when it is posted
        (``GameScheduled``), not before."""
        game = await current_game(self.games, game_id, guild_id)
        return None if game is None or game.post_at is not None else game

    async def _linked_instructions(self, game: GameView) -> GameView:
        """The game with #channel, @member and :emoji: in its signup instructions as Discord shows them."""
        if not game.signup_instructions.strip():
            return game
        [instructions] = await self.guilds.link_markup(int(game.guild_id), game.signup_instructions)
        return msgspec.structs.replace(game, signup_instructions=instructions)

    async def _place(self, game: GameView) -> str:
        """The location as the announcement shows it (#channel, @member, :emoji: linked)."""
        if not game.location.strip():
            return ""
        [where] = await self.guilds.link_markup(int(game.guild_id), game.location.strip())
        return where

    async def _name(self, game: GameView, user_id: int) -> str:
        members = await self.guilds.display_members(int(game.guild_id), {user_id})
        member = members.get(user_id)
        return f"**{member.display_name}**" if member is not None and member.present else f"<@{user_id}>"

    def _how_to_leave(self, game: GameView) -> str:
        announcement = jump_link(game)
        where = f"on the announcement ({announcement}) or " if announcement else ""
        return f"\nCan't make it? Press Leave {where}on the game's page:"

    def _link(self, game: GameView) -> str:
        return f"\n{self.base_url}/games/{game.id}"


def recipients(event: GameEvent, game: GameView | None) -> list[int]:
    """Who the DMs an event causes go to, ``game`` as it is now (None where the rule needs no game). Both
    the handlers and the count a host is shown after a change (``GameDMs.told``) ask this."""
    if isinstance(event, GameScheduled):
        return _others(event.participant_ids, event.host_id)
    if isinstance(event, PlayerJoined):
        return [event.user_id]
    if isinstance(event, PlayerAdded):
        return [] if event.user_id is None else [event.user_id]
    if isinstance(event, PlayerRemoved):
        return [] if event.user_id is None or event.user_id == event.by_user_id else [event.user_id]
    if isinstance(event, WaitlistPromoted | WaitlistDemoted):
        return [event.user_id] if game is not None and _seat(game, event.user_id) is not None else []
    if isinstance(event, HostAddedPlayerLeft):
        return [event.host_id]
    if isinstance(event, GameCancelled):
        # The host hears about it too when a bot manager cancelled their game.
        return _others([*event.participant_ids, event.host_id], event.by_user_id)
    if isinstance(event, GameUpdated):
        if not set(TIME_OR_PLACE).intersection(event.changed):
            return []
        if game is None or game.status not in ACTIVE:
            return []
        players = [int(p.discord_id) for p in game.participants if p.discord_id is not None]
        return _others(players, event.by_user_id)
    return []


def join_text(game: GameView, status: str, position: int) -> tuple[str, str]:
    """The join DM and its channel-fallback line, in the words of the game's signup method."""
    when = format_when(game.scheduled_at, game.time_zone)
    if status == "confirmed":
        text = (
            f"You're in **{game.title}**: seat {position} of {game.max_players}, {when}.{_instructions(game)}"
        )
        return text, f"**{game.title}**: your seat is confirmed."
    if game.signup_method == SignupMethod.HOST_SELECTED_WITH_WAITLIST:
        text = (
            f"The host picks the players for **{game.title}** ({when}); you're on the list (#{position}). "
            "I'll DM you if the host gives you a seat."
        )
        return text, f"**{game.title}**: you're on the list; the host picks the players."
    text = f"**{game.title}** is full, so you're #{position} on the waitlist ({when}). I'll DM you if a seat opens."
    return text, f"**{game.title}**: you're on the waitlist."


def _join_due_key(game_id: str, user_id: int) -> str:
    return f"join-dm-due:{game_id}:{user_id}:"


def join_key(game_id: str, user_id: int) -> str:
    # The trailing colon keeps a prefix cancel of one user from matching a longer user id.
    return f"joined:{game_id}:{user_id}:"


def _seat(game: GameView, user_id: int) -> tuple[str, int] | None:
    for p in game.participants:
        if p.discord_id == str(user_id):
            return p.status, p.position
    return None


def _others(user_ids: Iterable[int], actor: int) -> list[int]:
    return [u for u in dict.fromkeys(user_ids) if u != actor]


def _instructions(game: GameView) -> str:
    rules = game.signup_instructions.strip()
    return f"\n\n**Signup instructions**\n{rules}\n" if rules else ""


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]
