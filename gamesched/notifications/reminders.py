"""Reminder DMs: when a game's reminder comes due, DM the confirmed players (the waitlist too when the game
asks for it) and the host, each in their own words. Placeholders and people who left the server get none."""

from __future__ import annotations

import structlog

from gamesched.core.clock import Clock
from gamesched.core.db import Database
from gamesched.discord_kit import format_when
from gamesched.games import GameService, GameView, ParticipantView, ReminderDue
from gamesched.guilds import GuildService
from gamesched.notifications.about_games import game_dm
from gamesched.notifications.messenger import DirectMessage
from gamesched.notifications.service import DMRequest, Notifier, StillRelevant

log = structlog.get_logger(__name__)

#: Reminders due together (a wave) handled at once: one read and one transaction per guild.
REMINDER_BATCH = 50


class ReminderDMs:
    def __init__(
        self, *, games: GameService, guilds: GuildService, notifier: Notifier, db: Database, clock: Clock
    ) -> None:
        self.games = games
        self.guilds = guilds
        self.notifier = notifier
        self.db = db
        self.clock = clock

    async def send_reminders(self, events: list[ReminderDue]) -> None:
        """Queue one DM per recipient (each recorded once sent, keyed by game, minutes and person). A wave of
        reminders due together is read in one statement and queued in one transaction per guild."""
        by_guild: dict[int, dict[str, list[int]]] = {}
        for event in events:
            by_guild.setdefault(event.guild_id, {}).setdefault(event.game_id, []).append(event.minutes)
        for guild_id, minutes_by_game in by_guild.items():
            games = await self.games.queries.snapshots(list(minutes_by_game), guild_id=guild_id)
            wanted = {int(p.discord_id) for g in games for p in _recipients(g) if p.discord_id}
            wanted |= {int(g.host.discord_id) for g in games}
            members = await self.guilds.display_members(guild_id, wanted)
            present = {user_id for user_id, member in members.items() if member.present}
            requests: list[DMRequest] = []
            for game in games:
                for minutes in minutes_by_game[game.id]:
                    if game.status != "scheduled" or self.clock.now() >= game.scheduled_at:
                        log.info("reminder_skipped", game_id=game.id, status=game.status, minutes=minutes)
                        continue
                    queued = _requests(game, minutes, present)
                    requests += queued
                    log.info("reminder_queued", game_id=game.id, minutes=minutes, recipients=len(queued))
            if requests:
                async with self.db.uow(guild_id=guild_id) as uow:
                    await self.notifier.request_many(uow.session, requests)


def _recipients(game: GameView) -> list[ParticipantView]:
    """The players a reminder goes to: the confirmed ones, the waitlist too when the game asks for it."""
    players = [p for p in game.participants if p.discord_id is not None]
    if not game.remind_waitlist:
        players = [p for p in players if p.status == "confirmed"]
    return players


def _requests(game: GameView, minutes: int, present: set[int]) -> list[DMRequest]:
    """The host's and the players' reminders of one game, to those still in the server. The game must still
    be on when each goes out (a reminder due at the start may go out just after it), and a player must still
    hold the seat it names (the host's counts are read when the reminder is worded)."""
    host = int(game.host.discord_id)
    requests = [_request(game, minutes, host, host_message(game), StillRelevant())] if host in present else []
    for p in _recipients(game):
        user_id = int(p.discord_id or 0)
        if user_id in present and user_id != host:
            message = player_message(game, p.status, p.position)
            requests.append(_request(game, minutes, user_id, message, StillRelevant(seat=p.status)))
    return requests


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
