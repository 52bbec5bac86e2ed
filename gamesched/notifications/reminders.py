"""Reminder DMs: when a game's reminder comes due, DM the confirmed players (the waitlist too when the game
asks for it) and the host, each in their own words. Placeholders and people who left the server get none."""

from __future__ import annotations

import structlog

from gamesched.core.clock import Clock
from gamesched.core.db import Database
from gamesched.discord_kit import format_when
from gamesched.games import GameService, GameView, ReminderDue
from gamesched.guilds import GuildService
from gamesched.notifications.about_games import game_dm
from gamesched.notifications.messenger import DirectMessage
from gamesched.notifications.service import DMRequest, Notifier, StillRelevant

log = structlog.get_logger(__name__)


class ReminderDMs:
    def __init__(
        self, *, games: GameService, guilds: GuildService, notifier: Notifier, db: Database, clock: Clock
    ) -> None:
        self.games = games
        self.guilds = guilds
        self.notifier = notifier
        self.db = db
        self.clock = clock

    async def send_reminders(self, event: ReminderDue) -> None:
        """Queue one DM per recipient (each recorded once sent, keyed by game, minutes and person)."""
        game = await self.games.queries.snapshot(event.game_id, guild_id=event.guild_id)
        if game.status != "scheduled" or self.clock.now() >= game.scheduled_at:
            log.info("reminder_skipped", game_id=game.id, status=game.status, minutes=event.minutes)
            return
        host = int(game.host.discord_id)
        players = [p for p in game.participants if p.discord_id is not None]
        if not game.remind_waitlist:
            players = [p for p in players if p.status == "confirmed"]
        wanted = {int(p.discord_id) for p in players if p.discord_id} | {host}
        members = await self.guilds.display_members(event.guild_id, wanted)
        present = {user_id for user_id, member in members.items() if member.present}
        # The game must still be on when each reminder goes out (a reminder due at the start may go out
        # just after it), and a player must still hold the seat it names (the host's counts are read when
        # the reminder is worded).
        requests = (
            [_request(game, event.minutes, host, host_message(game), StillRelevant())]
            if host in present
            else []
        )
        for p in players:
            user_id = int(p.discord_id or 0)
            if user_id in present and user_id != host:
                message = player_message(game, p.status, p.position)
                only_if = StillRelevant(seat=p.status)
                requests.append(_request(game, event.minutes, user_id, message, only_if))
        async with self.db.uow(guild_id=event.guild_id) as uow:
            await self.notifier.request_many(uow.session, requests)
        log.info("reminder_queued", game_id=game.id, minutes=event.minutes, recipients=len(requests))


def _request(
    game: GameView, minutes: int, user_id: int, message: DirectMessage, only_if: StillRelevant
) -> DMRequest:
    summary = f"Reminder: **{game.title}** starts {format_when(game.scheduled_at)}."
    key = f"reminder:{game.id}:{minutes}:{user_id}"
    return game_dm(game, user_id, "reminder", key, message, summary=summary, only_if=only_if)


def player_message(game: GameView, status: str, position: int) -> DirectMessage:
    seat = (
        f"You have seat {position} of {game.max_players}."
        if status == "confirmed"
        else f"You're #{position} on the waitlist; you'll hear from me if a seat opens."
    )
    where = f"\nWhere: {game.location}" if game.location else ""
    return DirectMessage(
        content=f"⏰ **{game.title}** starts {format_when(game.scheduled_at)}.{where}\n{seat}"
    )


def host_message(game: GameView) -> DirectMessage:
    where = f"\nWhere: {game.location}" if game.location else ""
    roster = f"{game.confirmed_count}/{game.max_players} players confirmed"
    if game.waitlist_count:
        roster += f", {game.waitlist_count} on the waitlist"
    return DirectMessage(
        content=f"⏰ You're hosting **{game.title}** {format_when(game.scheduled_at)}.{where}\n{roster}."
    )
