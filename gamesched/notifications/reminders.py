"""Reminder DMs: when a game's reminder comes due, DM the confirmed players (the waitlist too when the game
asks for it) and the host, each in their own words. Placeholders and people who left the server get none.

Each says where (the location as the announcement shows it), links to the announcement and the game's page,
and names the server."""

from __future__ import annotations

import msgspec
import structlog

from gamesched.core.clock import Clock
from gamesched.core.db import Database
from gamesched.discord_kit import format_when
from gamesched.games import GameService, GameView, ReminderDue
from gamesched.guilds import GuildService
from gamesched.notifications.about_games import game_dm, jump_link
from gamesched.notifications.messenger import DirectMessage
from gamesched.notifications.service import DMRequest, Notifier, StillRelevant

log = structlog.get_logger(__name__)


class ReminderDMs:
    def __init__(
        self,
        *,
        games: GameService,
        guilds: GuildService,
        notifier: Notifier,
        db: Database,
        clock: Clock,
        base_url: str,
    ) -> None:
        self.games = games
        self.guilds = guilds
        self.notifier = notifier
        self.db = db
        self.clock = clock
        self.base_url = base_url.rstrip("/")

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
        if game.location.strip():
            [where] = await self.guilds.link_markup(event.guild_id, game.location.strip())
        else:
            where = ""
        about = About(
            where=where, links=self._links(game), server=await self.guilds.guild_name(event.guild_id)
        )
        # The game must still be on when each reminder goes out (a reminder due at the start may go out
        # just after it), and a player must still hold the seat it names (the host's counts are read when
        # the reminder is worded).
        requests = (
            [_request(game, event.minutes, host, host_message(game, about), StillRelevant(), about)]
            if host in present
            else []
        )
        for p in players:
            user_id = int(p.discord_id or 0)
            if user_id in present and user_id != host:
                message = player_message(game, p.status, p.position, about)
                only_if = StillRelevant(seat=p.status)
                requests.append(_request(game, event.minutes, user_id, message, only_if, about))
        async with self.db.uow(guild_id=event.guild_id) as uow:
            await self.notifier.request_many(uow.session, requests)
        log.info("reminder_queued", game_id=game.id, minutes=event.minutes, recipients=len(requests))

    def _links(self, game: GameView) -> str:
        page = f"{self.base_url}/games/{game.id}"
        announcement = jump_link(game)
        return f"Announcement: {announcement}\nGame page: {page}" if announcement else f"Game page: {page}"


class About(msgspec.Struct, frozen=True, kw_only=True):
    """What every reminder of one wave says besides the seat: where, the links, the server."""

    where: str
    links: str
    server: str | None


def _request(
    game: GameView, minutes: int, user_id: int, message: DirectMessage, only_if: StillRelevant, about: About
) -> DMRequest:
    summary = f"Reminder: **{game.title}** starts {format_when(game.scheduled_at)}."
    key = f"reminder:{game.id}:{minutes}:{user_id}"
    return game_dm(
        game, user_id, "reminder", key, message, summary=summary, only_if=only_if, server=about.server
    )


def player_message(game: GameView, status: str, position: int, about: About) -> DirectMessage:
    seat = (
        f"You have seat {position} of {game.max_players}."
        if status == "confirmed"
        else f"You're #{position} on the waitlist; you'll hear from me if a seat opens."
    )
    where = f"\nWhere: {about.where}" if about.where else ""
    return DirectMessage(
        content=f"⏰ **{game.title}** starts {format_when(game.scheduled_at)}.{where}\n{seat}\n{about.links}"
    )


def host_message(game: GameView, about: About) -> DirectMessage:
    where = f"\nWhere: {about.where}" if about.where else ""
    roster = f"{game.confirmed_count}/{game.max_players} players confirmed"
    if game.waitlist_count:
        roster += f", {game.waitlist_count} on the waitlist"
    return DirectMessage(
        content=(
            f"⏰ You're hosting **{game.title}** {format_when(game.scheduled_at)}.{where}\n{roster}.\n{about.links}"
        )
    )
