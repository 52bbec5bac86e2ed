"""DMs about places a clone carried over: the request to confirm (with Confirm / Decline buttons), and the
news that a place nobody confirmed was given up at the deadline."""

from __future__ import annotations

import structlog

from gamesched.core.db import Database
from gamesched.core.modules import Subscription
from gamesched.discord_kit import format_when
from gamesched.games import (
    ConfirmationAsked,
    ConfirmationLapsed,
    GameService,
    GameView,
    confirmation_components,
)
from gamesched.guilds import GuildService
from gamesched.notifications.about_games import current_game, game_dm
from gamesched.notifications.messenger import DirectMessage
from gamesched.notifications.service import Notifier, StillRelevant

log = structlog.get_logger(__name__)


def confirmation_text(game: GameView, event: ConfirmationAsked, host: str) -> str:
    place = (
        f"seat {event.position} of {game.max_players}"
        if event.status == "confirmed"
        else f"#{event.position} on the waitlist"
    )
    return (
        f"{host} scheduled **{game.title}** again, {format_when(game.scheduled_at, game.time_zone)}, and kept "
        f"your place ({place}). Will you play? Press **Confirm** or **Decline** by "
        f"{format_when(event.confirm_by, game.time_zone)}: a place nobody confirms by then goes to the waitlist."
    )


def lapsed_text(game: GameView) -> str:
    return (
        f"You didn't confirm your place in **{game.title}** ({format_when(game.scheduled_at, game.time_zone)}) "
        "in time, so it was given up. You can still join from the announcement if there is room."
    )


class ConfirmationDMs:
    def __init__(
        self, *, games: GameService, guilds: GuildService, notifier: Notifier, db: Database, base_url: str
    ) -> None:
        self.games = games
        self.guilds = guilds
        self.notifier = notifier
        self.db = db
        self.base_url = base_url.rstrip("/")

    def subscriptions(self) -> list[Subscription]:
        return [
            Subscription(ConfirmationAsked, self.send_confirmation_request),
            Subscription(ConfirmationLapsed, self.send_lapsed_dm),
        ]

    async def send_confirmation_request(self, event: ConfirmationAsked) -> None:
        game = await current_game(self.games, event.game_id, event.guild_id)
        if game is None or game.post_at is not None:
            return
        members = await self.guilds.display_members(event.guild_id, {event.host_id})
        host = members.get(event.host_id)
        host_name = f"**{host.display_name}**" if host is not None and host.present else f"<@{event.host_id}>"
        link = f"\n{self.base_url}/games/{game.id}"
        message = DirectMessage(
            content=confirmation_text(game, event, host_name) + link,
            components=confirmation_components(game.id),
        )
        by = format_when(event.confirm_by)
        await self._request(
            game,
            event.user_id,
            "confirm_place",
            f"confirm-place:{game.id}:{event.user_id}",
            message,
            summary=f"**{game.title}**: confirm your place on the game's page by {by}, or it goes to the waitlist.",
            only_if=StillRelevant(game_statuses=("scheduled",), seat="on_roster"),
        )

    async def send_lapsed_dm(self, event: ConfirmationLapsed) -> None:
        game = await current_game(self.games, event.game_id, event.guild_id)
        if game is None:
            return
        await self._request(
            game,
            event.user_id,
            "confirmation_lapsed",
            f"confirm-lapsed:{game.id}:{event.user_id}:{event.event_id}",
            lapsed_text(game) + f"\n{self.base_url}/games/{game.id}",
            summary=f"**{game.title}**: an unconfirmed place was given up.",
            only_if=StillRelevant(seat="off_roster"),
        )

    async def _request(
        self,
        game: GameView,
        user_id: int,
        kind: str,
        key: str,
        message: DirectMessage | str,
        *,
        summary: str,
        only_if: StillRelevant,
    ) -> None:
        request = game_dm(
            game,
            user_id,
            kind,
            key,
            message,
            summary=summary,
            only_if=only_if,
            server=await self.guilds.guild_name(int(game.guild_id)),
        )
        async with self.db.uow(guild_id=int(game.guild_id)) as uow:
            await self.notifier.request(uow.session, request)
        log.info("game_dm_queued", kind=kind, game_id=game.id, user_id=user_id)
