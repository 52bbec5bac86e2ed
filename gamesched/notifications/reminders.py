"""Reminder DMs: when a game's reminder comes due, DM the confirmed players (the waitlist too when the game
asks for it) and the host, each in their own words. Placeholders and people who left the server get none.
The DMs are worded a few seconds ahead (``REMINDER_LEAD``, games/schedule.py) and go out at the moment.

Each says where (the location as the announcement shows it), links to the announcement and the game's page,
and names the server."""

from __future__ import annotations

from datetime import datetime

import msgspec
import structlog

from gamesched.core.clock import Clock
from gamesched.core.db import Database
from gamesched.discord_kit import format_when
from gamesched.games import GameService, GameView, ParticipantView, ReminderDue
from gamesched.guilds import GuildService
from gamesched.notifications.about_games import game_dm, jump_link
from gamesched.notifications.messenger import DirectMessage
from gamesched.notifications.service import DMRequest, Notifier, StillRelevant

log = structlog.get_logger(__name__)

#: Reminders due together (a wave) handled at once: one read and one transaction per guild.
REMINDER_BATCH = 50


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

    async def send_reminders(self, events: list[ReminderDue]) -> None:
        """Queue one DM per recipient (each recorded once sent, keyed by game, minutes and person), due at the
        reminder's moment: the event comes a little ahead of it, so the DMs are worded and queued by then. A
        wave of reminders due together is read in one statement and queued in one transaction per guild."""
        by_guild: dict[int, dict[str, list[ReminderDue]]] = {}
        for event in events:
            by_guild.setdefault(event.guild_id, {}).setdefault(event.game_id, []).append(event)
        for guild_id, due_by_game in by_guild.items():
            games = await self.games.queries.snapshots(list(due_by_game), guild_id=guild_id)
            wanted = {int(p.discord_id) for g in games for p in _recipients(g) if p.discord_id}
            wanted |= {int(g.host.discord_id) for g in games}
            members = await self.guilds.display_members(guild_id, wanted)
            present = {user_id for user_id, member in members.items() if member.present}
            server = await self.guilds.guild_name(guild_id)
            requests: dict[datetime | None, list[DMRequest]] = {}
            for game in games:
                for due in due_by_game[game.id]:
                    if game.status != "scheduled" or self.clock.now() >= game.scheduled_at:
                        log.info("reminder_skipped", game_id=game.id, status=game.status, minutes=due.minutes)
                        continue
                    queued = _requests(game, due.minutes, present, await self._about(game, server))
                    requests.setdefault(due.at, []).extend(queued)
                    log.info("reminder_queued", game_id=game.id, minutes=due.minutes, recipients=len(queued))
            if requests:
                async with self.db.uow(guild_id=guild_id) as uow:
                    for at, dms in requests.items():
                        await self.notifier.request_many(uow.session, dms, due_at=at)

    async def _about(self, game: GameView, server: str | None) -> About:
        where = ""
        if game.location.strip():
            [where] = await self.guilds.link_markup(int(game.guild_id), game.location.strip())
        return About(where=where, links=self._links(game), server=server)

    def _links(self, game: GameView) -> str:
        page = f"{self.base_url}/games/{game.id}"
        announcement = jump_link(game)
        return f"Announcement: {announcement}\nGame page: {page}" if announcement else f"Game page: {page}"


class About(msgspec.Struct, frozen=True, kw_only=True):
    """What every reminder of one wave says besides the seat: where, the links, the server."""

    where: str
    links: str
    server: str | None


def _recipients(game: GameView) -> list[ParticipantView]:
    """The players a reminder goes to: the confirmed ones, the waitlist too when the game asks for it."""
    players = [p for p in game.participants if p.discord_id is not None]
    if not game.remind_waitlist:
        players = [p for p in players if p.status == "confirmed"]
    return players


def _requests(game: GameView, minutes: int, present: set[int], about: About) -> list[DMRequest]:
    """The host's and the players' reminders of one game, to those still in the server. The game must still
    be on, at the start the reminder names, when each goes out (a reminder due at the start may go out just
    after it), and a player must still hold the seat it names (the host's counts are read when the reminder
    is worded)."""
    host = int(game.host.discord_id)
    starts_at = game.scheduled_at
    requests = []
    if host in present:
        message = host_message(game, about)
        requests.append(_request(game, minutes, host, message, StillRelevant(starts_at=starts_at), about))
    for p in _recipients(game):
        user_id = int(p.discord_id or 0)
        if user_id in present and user_id != host:
            message = player_message(game, p.status, p.position, about)
            only_if = StillRelevant(seat=p.status, starts_at=starts_at)
            requests.append(_request(game, minutes, user_id, message, only_if, about))
    return requests


def _request(
    game: GameView, minutes: int, user_id: int, message: DirectMessage, only_if: StillRelevant, about: About
) -> DMRequest:
    summary = f"Reminder: **{game.title}** starts {format_when(game.scheduled_at, game.time_zone)}."
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
        content=f"⏰ **{game.title}** starts {format_when(game.scheduled_at, game.time_zone)}.{where}\n{seat}\n{about.links}"
    )


def host_message(game: GameView, about: About) -> DirectMessage:
    where = f"\nWhere: {about.where}" if about.where else ""
    roster = f"{game.confirmed_count}/{game.max_players} players confirmed"
    if game.waitlist_count:
        roster += f", {game.waitlist_count} on the waitlist"
    return DirectMessage(
        content=(
            f"⏰ You're hosting **{game.title}** {format_when(game.scheduled_at, game.time_zone)}.{where}\n{roster}.\n{about.links}"
        )
    )
