"""Dashboard pages of the guilds module: server settings and channel settings (managers)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from gamesched.core.errors import DomainError, Forbidden, NotFound
from gamesched.core.inputs import convert
from gamesched.web import FormData, id_in_path, render

from .bot_access import what_to_grant
from .models import ANNOUNCEABLE_CHANNEL_TYPES, Channel
from .page_context import Page, names_for
from .permissions import GuildAccess
from .schemas import ChannelSettingsPatch, GuildSettingsPatch, changes_of
from .service import GUILD_NOT_FOUND, GuildService
from .settings import DEFAULTS, resolve_settings

GuildId = Annotated[int, id_in_path("Discord guild id")]
ChannelId = Annotated[int, id_in_path("Discord channel id")]
NOT_A_MANAGER = "Only bot managers can change this server's settings."
NOT_A_CHANNEL_MANAGER = "You need Manage Channels (or to be a bot manager) to change channel settings."
NOT_A_TEMPLATE_MANAGER = "Only bot managers can manage this server's templates."
ROLE_FIELDS = ("manager_role_ids", "host_role_ids", "player_role_ids")


async def manager_access(
    guilds: GuildService, page: Page, guild_id: int, *, channels: bool = False, refusal: str = NOT_A_MANAGER
) -> GuildAccess:
    """The viewer's access to a manager's page of this server (the settings, ``channels``: a channel's
    settings; the template pages pass their own ``refusal``): Forbidden with that sentence otherwise."""
    access = await guilds.access(guild_id, page.viewer.user_id)
    page.guild_id = guild_id
    if channels and not access.can_manage_channels:
        raise Forbidden(NOT_A_CHANNEL_MANAGER)
    if not channels and not access.is_manager:
        raise Forbidden(refusal)
    return access


def _roles(guilds: GuildService, guild_id: int) -> list[dict[str, Any]]:
    if guilds.directory.guild(guild_id) is None:
        raise NotFound(GUILD_NOT_FOUND)
    return guilds.pickable_roles(guild_id)


def bot_posting(guilds: GuildService, guild_id: int, channel_id: int) -> dict[str, Any]:
    """Whether the bot can announce games in a channel now, and what to give it if not."""
    missing = guilds.bot_missing(guild_id, channel_id)
    return {
        "known": missing is not None,
        "can_post": not missing,
        "grant": what_to_grant(missing) if missing else "",
    }


def _category(channel: Channel, names: dict[int, str]) -> str | None:
    return channel.category or names.get(channel.parent_id or 0)


async def _guild_page(
    guilds: GuildService, page: Page, guild_id: int, form: FormData | None = None, *, saved: bool = False
) -> Template:
    record = await guilds.get_guild(guild_id)
    channels = await guilds.list_channels(guild_id)
    names = {c.id: c.name for c in channels}
    guild_settings = record.settings()
    rows = [
        {
            "channel": c,
            "category": _category(c, names),
            "effective": resolve_settings(guild=guild_settings, channel=c.settings()),
            "bot": bot_posting(guilds, guild_id, c.id),
        }
        for c in channels
        if c.type in ANNOUNCEABLE_CHANNEL_TYPES
    ]
    values = form.values if form else _guild_values(record)
    lists = form.lists if form else {f: [str(r) for r in getattr(record, f) or []] for f in ROLE_FIELDS}
    return render(
        page,
        "guilds/settings.html",
        status_code=422 if form and form.errors else 200,
        guild=page.current_guild,
        record=record,
        effective=resolve_settings(guild=guild_settings),
        defaults=DEFAULTS,
        roles=_roles(guilds, guild_id),
        channels=rows,
        values=values,
        lists=lists,
        errors=form.errors if form else {},
        saved=saved,
        names=names_for(guilds, guild_id),
    )


def _guild_values(record: Any) -> dict[str, str]:
    return {
        "max_players": "" if record.max_players is None else str(record.max_players),
        "reminder_minutes": ", ".join(str(m) for m in record.reminder_minutes or []),
        "signup_instructions": record.signup_instructions or "",
    }


@get("/guilds/{guild_id:int}/settings")
async def guild_settings_page(
    guild_id: GuildId,
    page: NamedDependency[Page],
    guilds: NamedDependency[GuildService],
    saved: FromQuery[bool] = False,
) -> Template:
    await manager_access(guilds, page, guild_id)
    return await _guild_page(guilds, page, guild_id, saved=saved)


@post("/guilds/{guild_id:int}/settings", status_code=303)
async def save_guild_settings(
    request: Request[Any, Any, Any],
    guild_id: GuildId,
    page: NamedDependency[Page],
    guilds: NamedDependency[GuildService],
) -> Response[Any]:
    access = await manager_access(guilds, page, guild_id)
    form = FormData.of(await request.form())
    body: dict[str, Any] = {
        "max_players": form.optional_int("max_players", 1, 100, "Max players"),
        "reminder_minutes": form.int_list("reminder_minutes", 1, 10080, "Reminders"),
        "signup_instructions": form.text("signup_instructions", max_length=1000) or None,
        "manager_role_ids": form.ids("manager_role_ids"),
        "host_role_ids": form.ids("host_role_ids"),
        "player_role_ids": form.ids("player_role_ids") or None,
    }
    if form.ok:
        try:
            patch = convert(body, GuildSettingsPatch)
            await guilds.update_guild_settings(access, changes_of(patch))
        except DomainError as error:
            if isinstance(error, Forbidden):
                raise
            form.fail(error)
    if not form.ok:
        return await _guild_page(guilds, page, guild_id, form)
    return Redirect(f"/guilds/{guild_id}/settings?saved=true", status_code=303)


# --- channel settings ---------------------------------------------------------------------------


async def _channel(guilds: GuildService, guild_id: int, channel_id: int) -> Channel:
    for channel in await guilds.list_channels(guild_id, include_absent=True):
        if channel.id == channel_id and channel.type in ANNOUNCEABLE_CHANNEL_TYPES:
            return channel
    raise NotFound("That channel does not exist in this server.")


def _channel_values(channel: Channel) -> tuple[dict[str, str], dict[str, list[str]]]:
    values = {
        "is_active": "on" if channel.is_active else "",
        "category": channel.category or "",
        "max_players": "" if channel.max_players is None else str(channel.max_players),
        "reminder_minutes": ", ".join(str(m) for m in channel.reminder_minutes or []),
        "signup_instructions": channel.signup_instructions or "",
    }
    lists: dict[str, list[str]] = {}
    for name in ("host_role_ids", "player_role_ids"):
        ids = getattr(channel, name)
        values[f"{name}_mode"] = "inherit" if ids is None else "set"
        lists[name] = [str(r) for r in ids or []]
    return values, lists


async def _channel_page(
    guilds: GuildService,
    page: Page,
    guild_id: GuildId,
    channel: Channel,
    form: FormData | None = None,
    *,
    saved: bool = False,
) -> Template:
    record = await guilds.get_guild(guild_id)
    values, lists = _channel_values(channel)
    if form is not None:
        values, lists = form.values, form.lists
    return render(
        page,
        "guilds/channel_settings.html",
        status_code=422 if form and form.errors else 200,
        guild=page.current_guild,
        channel=channel,
        server=resolve_settings(guild=record.settings()),
        effective=resolve_settings(guild=record.settings(), channel=channel.settings()),
        bot=bot_posting(guilds, guild_id, channel.id),
        roles=_roles(guilds, guild_id),
        values=values,
        lists=lists,
        errors=form.errors if form else {},
        saved=saved,
        names=names_for(guilds, guild_id),
    )


@get("/guilds/{guild_id:int}/channels/{channel_id:int}/settings")
async def channel_settings_page(
    guild_id: GuildId,
    channel_id: ChannelId,
    page: NamedDependency[Page],
    guilds: NamedDependency[GuildService],
    saved: FromQuery[bool] = False,
) -> Template:
    await manager_access(guilds, page, guild_id, channels=True)
    return await _channel_page(
        guilds, page, guild_id, await _channel(guilds, guild_id, channel_id), saved=saved
    )


@post("/guilds/{guild_id:int}/channels/{channel_id:int}/settings", status_code=303)
async def save_channel_settings(
    request: Request[Any, Any, Any],
    guild_id: GuildId,
    channel_id: ChannelId,
    page: NamedDependency[Page],
    guilds: NamedDependency[GuildService],
) -> Response[Any]:
    access = await manager_access(guilds, page, guild_id, channels=True)
    channel = await _channel(guilds, guild_id, channel_id)
    form = FormData.of(await request.form())
    body: dict[str, Any] = {
        "is_active": form.values.get("is_active") == "on",
        "category": form.text("category", max_length=100) or None,
        "max_players": form.optional_int("max_players", 1, 100, "Max players"),
        "reminder_minutes": form.int_list("reminder_minutes", 1, 10080, "Reminders"),
        "signup_instructions": form.text("signup_instructions", max_length=1000) or None,
    }
    for name in ("host_role_ids", "player_role_ids"):
        body[name] = form.ids(name) if form.values.get(f"{name}_mode") == "set" else None
    if form.ok:
        try:
            patch = convert(body, ChannelSettingsPatch)
            await guilds.update_channel_settings(access, channel_id, changes_of(patch))
        except DomainError as error:
            if isinstance(error, Forbidden):
                raise
            form.fail(error)
    if not form.ok:
        return await _channel_page(guilds, page, guild_id, channel, form)
    return Redirect(f"/guilds/{guild_id}/channels/{channel_id}/settings?saved=true", status_code=303)


guild_pages: list[Any] = [
    guild_settings_page,
    save_guild_settings,
    channel_settings_page,
    save_channel_settings,
]
