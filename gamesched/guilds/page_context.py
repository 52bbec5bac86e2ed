"""What every dashboard page knows: who is looking and their servers (for the switcher).

The guilds module provides it as the ``page`` dependency, since the switcher is the viewer's guilds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request
from litestar.di import NamedDependency

from gamesched.core.time_zones import zone_named
from gamesched.guilds.preferences import BROWSER_ZONE_COOKIE
from gamesched.guilds.service import GuildService
from gamesched.web import PAGE_STATE_KEY, Names, Viewer


@dataclass(frozen=True, slots=True)
class GuildLink:
    """A server in the switcher, with what the viewer may do there."""

    id: int
    name: str
    icon_url: str | None
    is_manager: bool
    can_host: bool
    can_manage_channels: bool


@dataclass(slots=True)
class Page:
    """The header's data: the viewer and their servers; ``guild_id`` marks the server being looked at."""

    viewer: Viewer
    guilds: list[GuildLink]
    path: str
    guild_id: int | None = None
    names: Names = field(default_factory=Names)
    #: The zone times are shown in: the viewer's choice, else their browser's (a cookie), else UTC.
    zone: ZoneInfo | None = None
    #: Whether ``zone`` is the viewer's own choice (the settings page), not just their browser's.
    zone_chosen: bool = False

    def guild(self, guild_id: int | str | None) -> GuildLink | None:
        if guild_id is None:
            return None
        return next((g for g in self.guilds if g.id == int(guild_id)), None)

    @property
    def current_guild(self) -> GuildLink | None:
        return self.guild(self.guild_id)

    @property
    def host_guilds(self) -> list[GuildLink]:
        return [g for g in self.guilds if g.can_host]


async def provide_page(
    request: Request[Any, Any, Any], viewer: NamedDependency[Viewer], guilds: NamedDependency[GuildService]
) -> Page:
    """The page context of a logged-in person (``viewer`` answers 401 → the login page otherwise)."""
    return await page_for(request, viewer, guilds)


async def page_for(request: Request[Any, Any, Any], viewer: Viewer, guilds: GuildService) -> Page:
    """The header's data for ``viewer``, kept on the request for the error page."""
    shared = await guilds.guilds_for_user(viewer.user_id)
    page = Page(
        viewer=viewer,
        guilds=[
            GuildLink(
                id=info.id,
                name=info.name,
                icon_url=info.icon_url,
                is_manager=access.is_manager,
                can_host=access.can_host,
                can_manage_channels=access.can_manage_channels,
            )
            for info, access in shared
        ],
        path=request.url.path,
    )
    chosen = await guilds.preferences.time_zone(viewer.user_id)
    page.zone = chosen or zone_named(request.cookies.get(BROWSER_ZONE_COOKIE))
    page.zone_chosen = chosen is not None
    request.state[PAGE_STATE_KEY] = page  # the error page shows the same header
    return page


def names_for(guilds: GuildService, guild_id: int) -> Names:
    """Channel and role names of a guild, from the bot's view of it."""
    info = guilds.directory.guild(guild_id)
    if info is None:
        return Names()
    return Names(
        channels={c.id: c.name for c in info.channels.values()},
        roles={r.id: r.name for r in info.roles.values()},
    )
