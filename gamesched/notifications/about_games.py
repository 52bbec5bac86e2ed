"""What every DM about a game starts from: the game as it is now, and a DM request that names it."""

from __future__ import annotations

import msgspec

from gamesched.core.errors import NotFound
from gamesched.games import GameService, GameView
from gamesched.notifications.messenger import DirectMessage
from gamesched.notifications.service import DMRequest, StillRelevant

#: Discord's limit for a message's content.
MAX_CONTENT = 2000


def jump_link(game: GameView) -> str | None:
    """The game's announcement in Discord (None while it is not posted)."""
    if game.message_id is None:
        return None
    return f"https://discord.com/channels/{game.guild_id}/{game.channel_id}/{game.message_id}"


async def current_game(games: GameService, game_id: str, guild_id: int) -> GameView | None:
    """The game now, or None when it is gone (handlers are at-least-once and may run late)."""
    try:
        return await games.queries.snapshot(game_id, guild_id=guild_id)
    except NotFound:
        return None


def game_dm(
    game: GameView,
    user_id: int,
    kind: str,
    key: str,
    message: DirectMessage | str,
    *,
    summary: str = "",
    fallback: bool = True,
    only_if: StillRelevant | None,
    server: str | None,
) -> DMRequest:
    """A DM about ``game``; ``fallback``: when DMs are closed, say ``summary`` in the game's channel.

    ``only_if``: what must still hold when it is due (every DM about a game says; None only for news that
    stays true whatever happens next). ``server``: the guild's name, which every DM about a game ends with
    (a DM arrives outside the server: "which one?"); None only when the bot no longer knows it."""
    if isinstance(message, str):
        message = DirectMessage(content=message)
    where = f"\nServer: **{server}**" if server else ""
    message = msgspec.structs.replace(message, content=message.content[: MAX_CONTENT - len(where)] + where)
    return DMRequest(
        guild_id=int(game.guild_id),
        user_id=user_id,
        kind=kind,
        dedupe_key=key,
        message=message,
        channel_id=int(game.channel_id) if fallback else None,
        game_id=game.id,
        fallback_summary=summary,
        only_if=only_if,
    )
