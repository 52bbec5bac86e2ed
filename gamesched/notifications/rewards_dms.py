"""The DM that reminds a host to fill in the rewards of a game that just completed (when they asked for it)."""

from __future__ import annotations

import structlog

from gamesched.core.db import Database
from gamesched.core.modules import Subscription
from gamesched.games import GameService, RewardsWanted
from gamesched.guilds import GuildService
from gamesched.notifications.about_games import current_game, game_dm
from gamesched.notifications.service import Notifier, StillRelevant

log = structlog.get_logger(__name__)


def rewards_text(title: str, link: str) -> str:
    return f"**{title}** is over. You asked to be reminded to add the rewards for your players: {link}"


class RewardsDMs:
    def __init__(
        self, *, games: GameService, guilds: GuildService, notifier: Notifier, db: Database, base_url: str
    ) -> None:
        self.games = games
        self.guilds = guilds
        self.notifier = notifier
        self.db = db
        self.base_url = base_url.rstrip("/")

    def subscriptions(self) -> list[Subscription]:
        return [Subscription(RewardsWanted, self.send_rewards_dm)]

    async def send_rewards_dm(self, event: RewardsWanted) -> None:
        game = await current_game(self.games, event.game_id, event.guild_id)
        if game is None or game.rewards.strip():
            return  # gone, or filled in meanwhile
        link = f"{self.base_url}/games/{game.id}#rewards"
        # No channel fallback: the players should not read the host's to-do in the game's channel.
        request = game_dm(
            game,
            event.host_id,
            "rewards_wanted",
            f"rewards-wanted:{game.id}",
            rewards_text(game.title, link),
            fallback=False,
            only_if=StillRelevant(game_statuses=("completed",)),
            server=await self.guilds.guild_name(event.guild_id),
        )
        async with self.db.uow(guild_id=event.guild_id) as uow:
            await self.notifier.request(uow.session, request)
        log.info("game_dm_queued", kind="rewards_wanted", game_id=game.id, user_id=event.host_id)
