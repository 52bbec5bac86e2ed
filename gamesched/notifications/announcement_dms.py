"""DMs about a game's announcement itself: posted again after a deletion, or refused by Discord.

A refused announcement is not left to the logs: the host and the server's managers (the owner always; with
the members intent, everyone the bot counts as a manager) are told once per problem what to give the bot in
which channel. There is no channel fallback for these DMs: the channel is the one the bot cannot post in.
"""

from __future__ import annotations

import structlog

from gamesched.core.db import Database
from gamesched.core.modules import Subscription
from gamesched.games import (
    AnnouncementBlocked,
    AnnouncementPingsMissed,
    AnnouncementReposted,
    GameService,
    GameView,
)
from gamesched.guilds import GuildService, spoken_list, what_to_grant
from gamesched.notifications.about_games import current_game, game_dm
from gamesched.notifications.service import Notifier, StillRelevant

log = structlog.get_logger(__name__)


class AnnouncementDMs:
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
            Subscription(AnnouncementReposted, self.send_repost_dm),
            Subscription(AnnouncementBlocked, self.send_blocked_dms),
            Subscription(AnnouncementPingsMissed, self.send_pings_missed_dm),
        ]

    async def send_repost_dm(self, event: AnnouncementReposted) -> None:
        game = await self._game(event.game_id, event.guild_id)
        if game is None:
            return
        text = (
            f"The announcement of **{game.title}** was deleted, so I posted it again in <#{event.channel_id}>. "
            "If the game is off, cancel it instead."
        )
        await self._send(
            game,
            event.host_id,
            "announcement_reposted",
            f"reposted:{game.id}:{event.message_id}",
            text,
            fallback_summary=f"The announcement of **{game.title}** was deleted and has been posted again.",
        )

    async def send_blocked_dms(self, event: AnnouncementBlocked) -> None:
        """Once per problem (the event comes when it starts or changes), to the host and the managers."""
        game = await self._game(event.game_id, event.guild_id)
        if game is None or game.status not in ("scheduled", "in_progress"):
            return
        text = blocked_text(game.title, event) + f"\n{self.base_url}/games/{game.id}"
        managers = await self.guilds.manager_ids(event.guild_id)
        for user_id in dict.fromkeys([event.host_id, *managers]):
            await self._send(
                game,
                user_id,
                "announcement_blocked",
                f"announcement-blocked:{game.id}:{user_id}:{event.event_id}",
                text,
            )

    async def send_pings_missed_dm(self, event: AnnouncementPingsMissed) -> None:
        """The host learns which notify roles Discord did not ping, and how to have them pinged next time."""
        game = await self._game(event.game_id, event.guild_id)
        if game is None:
            return
        roles = [f"@{self.guilds.role_name(event.guild_id, r) or 'deleted-role'}" for r in event.role_ids]
        await self._send(
            game,
            event.host_id,
            "announcement_pings_missed",
            f"pings-missed:{game.id}:{event.message_id}",
            pings_missed_text(game.title, event, roles),
        )

    async def _send(
        self, game: GameView, user_id: int, kind: str, key: str, text: str, *, fallback_summary: str = ""
    ) -> None:
        # No channel fallback unless a summary is given: a blocked announcement's channel is the one
        # the bot cannot post in.
        # About a game still on: an announcement problem of a cancelled or finished game is nobody's concern.
        request = game_dm(
            game,
            user_id,
            kind,
            key,
            text,
            summary=fallback_summary,
            fallback=bool(fallback_summary),
            only_if=StillRelevant(),
            server=await self.guilds.guild_name(int(game.guild_id)),
        )
        async with self.db.uow(guild_id=int(game.guild_id)) as uow:
            await self.notifier.request(uow.session, request)
        log.info("game_dm_queued", kind=kind, game_id=game.id, user_id=user_id)

    async def _game(self, game_id: str, guild_id: int) -> GameView | None:
        return await current_game(self.games, game_id, guild_id)


def pings_missed_text(title: str, event: AnnouncementPingsMissed, roles: list[str]) -> str:
    """Who was not pinged, why, and the two ways to fix it (only the permission helps for @everyone)."""
    missed = spoken_list([*roles, *(["@everyone"] if event.everyone else [])])
    fixes = []
    if roles:
        fixes.append(
            f"Make {spoken_list(roles)} mentionable (Server Settings → Roles → Allow anyone to @mention this role)"
        )
    permission = "give me Mention @everyone, @here and All Roles in that channel"
    fixes.append(permission + (" (the only way for @everyone)" if event.everyone and roles else ""))
    fix = ", or ".join(fixes)
    return (
        f"I announced **{title}** in <#{event.channel_id}>, but Discord didn't ping {missed}: "
        f"I'm not allowed to mention {'them' if len(roles) + event.everyone > 1 else 'it'} there. "
        f"{fix[0].upper()}{fix[1:]}."
    )


def blocked_text(title: str, event: AnnouncementBlocked) -> str:
    """What the bot lacks, where, and what happens once it is given."""
    channel = f"<#{event.channel_id}>"
    grant = what_to_grant(event.missing)
    if event.message_id is None:
        return (
            f"I can't post the announcement of **{title}** in {channel}: give me {grant} there. "
            "I'll post it as soon as I can."
        )
    if list(event.missing) == ["embed_links"]:
        return (
            f"The announcement of **{title}** in {channel} lost its details card: give me Embed Links there "
            "and I'll put it back."
        )
    return (
        f"I can't update the announcement of **{title}** in {channel}: give me {grant} there. "
        "Until then it shows outdated details."
    )
