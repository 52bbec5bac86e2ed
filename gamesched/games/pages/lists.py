"""My games and a server's games, filtered and paginated."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Template

from gamesched.games.service import GameService
from gamesched.guilds import GuildService, Page, names_for
from gamesched.web import id_in_path, id_in_query, render

UPCOMING = ("scheduled", "in_progress")


STATUS_FILTERS = {
    "upcoming": UPCOMING,
    "scheduled": ("scheduled",),
    "in_progress": ("in_progress",),
    "completed": ("completed", "archived"),
    "cancelled": ("cancelled",),
    "all": (),
}


PAGE_SIZE = 20


#: Category filters read this many games at most (the service filters one channel at a time).
CATEGORY_SCAN_LIMIT = 500


Query = Annotated[str | None, QueryParameter()]


@get("/")
async def my_games(
    page: NamedDependency[Page],
    games: NamedDependency[GameService],
    tab: Annotated[str, QueryParameter(pattern="^(hosting|joined)$")] = "hosting",
    show: Annotated[str, QueryParameter(pattern="^(upcoming|all)$")] = "upcoming",
) -> Template:
    """Games I host / games I joined, across my servers."""
    statuses = UPCOMING if show == "upcoming" else ()
    uid = page.viewer.user_id
    hosting = await games.queries.list(uid, role="host", statuses=statuses, limit=100)
    joined = await games.queries.list(uid, role="participant", statuses=statuses, limit=100)
    return render(page, "games/mine.html", tab=tab, show=show, hosting=hosting, joined=joined)


@get("/guilds/{guild_id:int}")
async def guild_games(
    guild_id: Annotated[int, id_in_path("Discord guild id")],
    page: NamedDependency[Page],
    games: NamedDependency[GameService],
    guilds: NamedDependency[GuildService],
    channel: Annotated[int | None, id_in_query()] = None,
    status: Annotated[str, QueryParameter(pattern="^(" + "|".join(STATUS_FILTERS) + ")$")] = "upcoming",
    category: Query = None,
    page_number: Annotated[int, QueryParameter(name="page", ge=1, le=10_000)] = 1,
) -> Template:
    """A server's games, filtered by channel, status and category, a page at a time."""
    await guilds.access(guild_id, page.viewer.user_id)
    page.guild_id = guild_id
    channels = [c for c in await guilds.list_channels(guild_id) if c.announceable]
    parents = {c.id: c.name for c in await guilds.list_channels(guild_id)}
    categories = {c.id: c.category or parents.get(c.parent_id or 0) or "" for c in channels}
    offset = (page_number - 1) * PAGE_SIZE
    statuses = STATUS_FILTERS[status]
    if category and channel is None:
        wanted = {cid for cid, label in categories.items() if label == category}
        found = await games.queries.list(
            page.viewer.user_id, guild_id=guild_id, statuses=statuses, limit=100, offset=0
        )
        items = [g for g in found.items if int(g.channel_id) in wanted]
        scanned = len(found.items)
        while scanned < min(found.total, CATEGORY_SCAN_LIMIT):
            more = await games.queries.list(
                page.viewer.user_id, guild_id=guild_id, statuses=statuses, limit=100, offset=scanned
            )
            if not more.items:
                break
            scanned += len(more.items)
            items.extend(g for g in more.items if int(g.channel_id) in wanted)
        total, shown = len(items), items[offset : offset + PAGE_SIZE]
    else:
        listed = await games.queries.list(
            page.viewer.user_id,
            guild_id=guild_id,
            channel_id=channel,
            statuses=statuses,
            limit=PAGE_SIZE,
            offset=offset,
        )
        total, shown = listed.total, listed.items
    filters = {"channel": channel or "", "status": status, "category": category or ""}
    return render(
        page,
        "games/guild.html",
        guild=page.current_guild,
        games=shown,
        total=total,
        channels=channels,
        categories=sorted({label for label in categories.values() if label}),
        filters=filters,
        page_number=page_number,
        pages=max(1, -(-total // PAGE_SIZE)),
        page_url=lambda n: f"/guilds/{guild_id}?" + urlencode({**filters, "page": n}),
        names=names_for(guilds, guild_id),
        series=(await games.series.of_guild(page.viewer.user_id, guild_id)).items,
    )


routes: list[Any] = [my_games, guild_games]
