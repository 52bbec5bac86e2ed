"""JSON routes of the guilds module: a guild with its settings, its channels, member search."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, get, patch
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody, QueryParameter

from gamesched.core.errors import NotFound
from gamesched.guilds.models import ANNOUNCEABLE_CHANNEL_TYPES, Channel
from gamesched.guilds.schemas import (
    ChannelSettingsPatch,
    GuildSettingsPatch,
    changes_of,
    channel_json,
    guild_json,
    member_json,
)
from gamesched.guilds.service import GuildService
from gamesched.guilds.settings import resolve_settings
from gamesched.http import BAD_REQUEST, INVALID, ErrorBody
from gamesched.web import Viewer, id_in_path

GuildId = Annotated[int, id_in_path("Discord guild id")]
ChannelId = Annotated[int, id_in_path("Discord channel id")]

NOT_FOUND = ResponseSpec(ErrorBody, description="No such server or channel, or a server you are not in.")
FORBIDDEN = ResponseSpec(
    ErrorBody, description="Only bot managers (or Manage Channels, for channels) may do this."
)
READ = {400: BAD_REQUEST, 404: NOT_FOUND, 422: INVALID}
CHANGE = {**READ, 403: FORBIDDEN}


class GuildController(Controller):
    path = "/api/v1/guilds"
    tags = ["guilds"]

    @get("/{guild_id:int}", summary="A server with its settings and your permissions there", responses=READ)
    async def get_guild(
        self, guild_id: GuildId, viewer: NamedDependency[Viewer], guilds: NamedDependency[GuildService]
    ) -> dict[str, Any]:
        access = await guilds.access(guild_id, viewer.user_id)
        return await _guild_body(guilds, guild_id, access)

    @patch("/{guild_id:int}/settings", summary="Change server defaults (bot managers)", responses=CHANGE)
    async def update_settings(
        self,
        guild_id: GuildId,
        data: JSONBody[GuildSettingsPatch],
        viewer: NamedDependency[Viewer],
        guilds: NamedDependency[GuildService],
    ) -> dict[str, Any]:
        access = await guilds.access(guild_id, viewer.user_id)
        await guilds.update_guild_settings(access, changes_of(data))
        return await _guild_body(guilds, guild_id, access)

    @get(
        "/{guild_id:int}/channels",
        summary="Channels with their overrides and effective settings",
        responses=READ,
    )
    async def list_channels(
        self, guild_id: GuildId, viewer: NamedDependency[Viewer], guilds: NamedDependency[GuildService]
    ) -> list[dict[str, Any]]:
        await guilds.access(guild_id, viewer.user_id)
        record = await guilds.get_guild(guild_id)
        channels = await guilds.list_channels(guild_id)
        names = {c.id: c.name for c in channels}
        return [
            channel_json(c, _channel_settings(record.settings(), c), names.get(c.parent_id or 0))
            for c in channels
            if c.type in ANNOUNCEABLE_CHANNEL_TYPES
        ]

    @patch(
        "/{guild_id:int}/channels/{channel_id:int}/settings",
        summary="Change one channel's overrides",
        responses=CHANGE,
    )
    async def update_channel_settings(
        self,
        guild_id: GuildId,
        channel_id: ChannelId,
        data: JSONBody[ChannelSettingsPatch],
        viewer: NamedDependency[Viewer],
        guilds: NamedDependency[GuildService],
    ) -> dict[str, Any]:
        access = await guilds.access(guild_id, viewer.user_id)
        channel = await guilds.update_channel_settings(access, channel_id, changes_of(data))
        record = await guilds.get_guild(guild_id)
        return channel_json(channel, _channel_settings(record.settings(), channel), None)

    @get(
        "/{guild_id:int}/members",
        summary="Find members to @mention (prefix of username, global name or nick)",
        responses=READ,
    )
    async def search_members(
        self,
        guild_id: GuildId,
        viewer: NamedDependency[Viewer],
        guilds: NamedDependency[GuildService],
        # "query" is a reserved name in Litestar handlers; the URL parameter keeps the pinned name.
        name: Annotated[
            str, QueryParameter(name="query", max_length=100, description="Start of a name")
        ] = "",
        limit: Annotated[int, QueryParameter(ge=1, le=25)] = 10,
    ) -> list[dict[str, Any]]:
        await guilds.access(guild_id, viewer.user_id)
        return [member_json(m) for m in await guilds.search_members(guild_id, name, limit=limit)]


def _channel_settings(guild_settings: dict[str, Any], channel: Channel) -> Any:
    return resolve_settings(guild=guild_settings, channel=channel.settings())


async def _guild_body(guilds: NamedDependency[GuildService], guild_id: int, access: Any) -> dict[str, Any]:
    info = guilds.directory.guild(guild_id)
    if info is None:
        raise NotFound("That server does not exist, or you are not a member of it.")
    record = await guilds.get_guild(guild_id)
    return guild_json(info, record, access, resolve_settings(guild=record.settings()))


guild_routes = [GuildController]
