"""Timed work of a game, run by the dispatcher: reminders to players and host, start and end of the game."""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog

from gamesched.core.clock import Clock
from gamesched.core.queue import Job, JobQueue
from gamesched.games.schedule import COMPLETE, REMINDER, START
from gamesched.games.schemas import GameView
from gamesched.notifications import DirectMessage, DMRequest, Notifier

if TYPE_CHECKING:
    from gamesched.games.service import GameService
    from gamesched.guilds import GuildService

log = structlog.get_logger(__name__)


class GameJobs:
    def __init__(self, *, games: GameService, guilds: GuildService, notifier: Notifier, clock: Clock) -> None:
        self.games = games
        self.guilds = guilds
        self.notifier = notifier
        self.clock = clock

    def register(self, queue: JobQueue) -> None:
        queue.register(REMINDER, self.send_reminders)
        queue.register(START, self.start_game)
        queue.register(COMPLETE, self.complete_game)

    async def start_game(self, job: Job) -> None:
        await self.games.transition(
            job.payload["game_id"], guild_id=int(job.payload["guild_id"]), to="in_progress"
        )

    async def complete_game(self, job: Job) -> None:
        await self.games.transition(
            job.payload["game_id"], guild_id=int(job.payload["guild_id"]), to="completed"
        )

    async def send_reminders(self, job: Job) -> None:
        """Queue one DM per recipient (each recorded once sent); late reminders go out unless the game began."""
        guild_id, minutes = int(job.payload["guild_id"]), int(job.payload["minutes"])
        game = await self.games.snapshot(job.payload["game_id"], guild_id=guild_id)
        if game.status != "scheduled" or self.clock.now() >= game.scheduled_at:
            log.info("reminder_skipped", game_id=game.id, status=game.status, minutes=minutes)
            return
        players = [p for p in game.participants if p.discord_id is not None]
        if not game.remind_waitlist:
            players = [p for p in players if p.status == "confirmed"]
        wanted = {int(p.discord_id) for p in players if p.discord_id} | {int(game.host.discord_id)}
        present = {
            uid for uid, m in (await self.guilds.display_members(guild_id, wanted)).items() if m.present
        }
        requests = (
            [self._request(game, minutes, int(game.host.discord_id), host_message(game))]
            if int(game.host.discord_id) in present
            else []
        )
        for p in players:
            user_id = int(p.discord_id or 0)
            if user_id in present and user_id != int(game.host.discord_id):
                requests.append(
                    self._request(game, minutes, user_id, player_message(game, p.status, p.position))
                )
        async with self.games.db.uow(guild_id=guild_id) as uow:
            for request in requests:
                await self.notifier.request(uow.session, request)
        log.info("reminder_queued", game_id=game.id, minutes=minutes, recipients=len(requests))

    def _request(self, game: GameView, minutes: int, user_id: int, message: DirectMessage) -> DMRequest:
        return DMRequest(
            guild_id=int(game.guild_id),
            user_id=user_id,
            kind="reminder",
            dedupe_key=f"reminder:{game.id}:{minutes}:{user_id}",
            message=message,
            channel_id=int(game.channel_id),
            game_id=game.id,
            fallback_summary=f"Reminder: **{game.title}** starts {_when(game)}.",
        )


def _when(game: GameView) -> str:
    stamp = int(game.scheduled_at.timestamp())
    return f"<t:{stamp}:R> (<t:{stamp}:F>)"


def player_message(game: GameView, status: str, position: int) -> DirectMessage:
    seat = (
        f"You have seat {position} of {game.max_players}."
        if status == "confirmed"
        else f"You're #{position} on the waitlist; you'll hear from me if a seat opens."
    )
    where = f"\nWhere: {game.location}" if game.location else ""
    return DirectMessage(content=f"⏰ **{game.title}** starts {_when(game)}.{where}\n{seat}")


def host_message(game: GameView) -> DirectMessage:
    where = f"\nWhere: {game.location}" if game.location else ""
    roster = f"{game.confirmed_count}/{game.max_players} players confirmed"
    if game.waitlist_count:
        roster += f", {game.waitlist_count} on the waitlist"
    return DirectMessage(content=f"⏰ You're hosting **{game.title}** {_when(game)}.{where}\n{roster}.")
