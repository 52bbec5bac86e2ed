"""What the create and edit forms share: choices, inherited settings, reading the fields."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any

import msgspec
from litestar import Request
from litestar.response import Redirect, Template

from gamesched.core.errors import Forbidden, Invalid
from gamesched.core.inputs import parse_snowflake
from gamesched.core.time_zones import local_words
from gamesched.games.schedule import DEFAULT_DURATION_MINUTES
from gamesched.games.schemas import GameView
from gamesched.games.service import GameService
from gamesched.games.when import parse_when
from gamesched.guilds import GuildService, Page, names_for
from gamesched.web import FormData, render, with_notice

SIGNUP_METHODS = {
    "self_signup": "Anyone can join",
    "host_selected": "Host picks the players",
    "host_selected_with_waitlist": "Players queue, host picks",
    "role_based": "Priority roles get seats first",
}
ROLE_LISTS = ("player_role_ids", "priority_role_ids", "notify_role_ids")


async def form_context(
    page: Page,
    guilds: GuildService,
    guild_id: int,
    channel_id: int | None,
    game: GameView | None = None,
    template: Any | None = None,
) -> dict[str, Any]:
    """Channels to post in, roles to pick, and the inherited settings shown as placeholders. ``template``: the
    one a new game is made from (its locked fields are shown read-only, its defaults as what is inherited);
    an edited game shows what its template locked when it was made.

    Checks the viewer's membership itself, so no path that renders a form can show another
    server's channels, roles or rules (NotFound, as on every route, for a guild they are not in).
    """
    access = await guilds.access(guild_id, page.viewer.user_id)
    channels = [c for c in await guilds.list_channels(guild_id) if c.announceable and c.is_active]
    if game is None and not access.is_manager:  # a new game: the channels the viewer may host in
        server_roles = (await guilds.get_guild(guild_id)).host_role_ids or []
        channels = [c for c in channels if guilds.may_host_in(access, c, server_roles)]
    if game is not None and all(str(c.id) != game.channel_id for c in channels):
        channels = [
            c for c in await guilds.list_channels(guild_id) if str(c.id) == game.channel_id
        ] + channels
    locked, lock_name = locked_fields(game, template)
    if "channel_id" in locked:
        channel_id = int(locked["channel_id"])
        channels = [c for c in await guilds.list_channels(guild_id) if c.id == channel_id] or channels
    elif channel_id is None and template is not None and template.channel_id is not None:
        channel_id = template.channel_id  # proposed by the template (the default one: the first channel)
    chosen = (
        channel_id if any(c.id == channel_id for c in channels) else (channels[0].id if channels else None)
    )
    inherited = None
    if chosen is not None:
        try:
            from_template = template_settings(template) if template is not None else None
            if game is not None:  # what the game took from its template when it was made
                from_template = {
                    n: getattr(game, n) for n, s in game.settings_sources.items() if s == "template"
                }
            inherited = await guilds.effective_settings(guild_id, chosen, template=from_template)
        except Invalid:
            inherited = None  # a game's channel closed since: still editable, nothing to inherit shown
    roles = guilds.pickable_roles(guild_id)
    page.guild_id = guild_id
    return {
        "guild": page.guild(guild_id),
        "channels": channels,
        "channel_id": chosen,
        "inherited": inherited,
        "roles": roles,
        "methods": SIGNUP_METHODS,
        "names": names_for(guilds, guild_id),
        "default_duration": DEFAULT_DURATION_MINUTES,
        "game_template": template,
        "locked": locked,
        "lock_name": lock_name,
    }


def locked_fields(game: GameView | None, template: Any | None) -> tuple[dict[str, Any], str | None]:
    """The fields a template locks (field → the channel's id, or the role ids, as strings) and its name."""
    if template is not None:
        locked = {
            name: [str(r) for r in value] if name in ROLE_LISTS else str(value)
            for name in ("channel_id", "archive_channel_id", "archive_delay_minutes", *ROLE_LISTS)
            if (value := getattr(template, name)) is not None
        }
        if not template.channel_locked:  # the channel the template proposes, not a lock
            locked.pop("channel_id", None)
        return locked, template.name
    if game is not None and game.locked_fields:
        return {name: getattr(game, name) for name in game.locked_fields}, game.template_name
    return {}, None


def _scheduled_at(form: FormData, zone: tzinfo | None, now: datetime | None) -> datetime | None:
    """The typed time when there is one (it wins over the picker), else the picker's; the understood time
    goes back to the form (``understood``), shown next to the field in the viewer's zone."""
    typed = form.values.get("when", "").strip()
    if not typed:
        return form.aware_datetime("scheduled_at", required="Pick a date and time, or type one.")
    try:
        moment = parse_when(typed, zone=zone or UTC, now=now)
    except Invalid as error:
        form.errors["scheduled_at"] = error.message
        return None
    form.values["scheduled_at"] = moment.isoformat()
    form.values["understood"] = local_words(moment, zone)
    return moment


def template_settings(template: Any) -> dict[str, Any]:
    """What a template passes on to a new game's inherited settings."""
    names = ("max_players", "reminder_minutes", "signup_instructions", "player_role_ids")
    return {name: getattr(template, name) for name in names if getattr(template, name) is not None}


def game_body(form: FormData, *, zone: tzinfo | None = None, now: datetime | None = None) -> dict[str, Any]:
    """The fields create and edit share, read and checked with sentences for people; the typed time
    ("tomorrow 8pm") is read in ``zone``, the viewer's."""
    body: dict[str, Any] = {
        "title": form.text("title", max_length=200, required="Give the game a title."),
        "description": form.text("description", max_length=2000),
        "scheduled_at": _scheduled_at(form, zone, now),
        "duration_minutes": form.optional_int("duration_minutes", 1, 1440, "Duration (minutes)"),
        "max_players": form.optional_int("max_players", 1, 100, "Max players"),
        "reminder_minutes": form.int_list("reminder_minutes", 1, 10080, "Reminders"),
        "signup_instructions": form.text("signup_instructions", max_length=1000) or None,
        "location": form.text("location", max_length=500),
        "signup_method": form.values.get("signup_method") or "self_signup",
        "channel_id": form.values.get("channel_id", ""),
    }
    if body["signup_method"] not in SIGNUP_METHODS:
        form.errors["signup_method"] = "Pick how players sign up."
    body["remind_waitlist"] = form.values.get("remind_waitlist") == "on"
    for name in ROLE_LISTS:
        body[name] = form.ids(name)
    body["player_role_ids"] = body["player_role_ids"] or None
    if body["signup_method"] != "role_based":
        body["priority_role_ids"] = []
    form.snowflake("channel_id", required="Pick a channel to announce the game in.")
    _lifecycle_fields(form, body)
    return body


def _lifecycle_fields(form: FormData, body: dict[str, Any]) -> None:
    """When the game is announced, its rewards, and when it is archived."""
    if form.values.get("post_at", "").strip():  # empty: announce now (or: it is announced already)
        body["post_at"] = form.aware_datetime("post_at", required="Pick when to announce the game.")
    body["rewards"] = form.text("rewards", max_length=2000)
    body["remind_rewards"] = form.values.get("remind_rewards") == "on"
    body["archive_delay_minutes"] = form.optional_int(
        "archive_delay_minutes", 0, 60 * 24 * 365, "Archive after (minutes)"
    )
    archive = form.values.get("archive_channel_id", "").strip()
    body["archive_channel_id"] = None
    if archive:
        body["archive_channel_id"] = form.snowflake("archive_channel_id", required="Pick an archive channel.")
        body["archive_channel_id"] = None if body["archive_channel_id"] is None else archive


def mention_errors(form: FormData, error: Invalid, field: str) -> list[dict[str, Any]]:
    form.errors[field] = error.message
    return list(error.extra.get("invalid_mentions", []))


def values_of(game: GameView, guilds: GuildService) -> tuple[dict[str, str], dict[str, list[str]]]:
    """A game's form fields; inherited settings stay empty so they keep inheriting."""
    own = {name for name, source in game.settings_sources.items() if source == "game"}
    values = {
        "title": game.title,
        "description": game.description,
        "scheduled_at": game.scheduled_at.isoformat(),
        "duration_minutes": "" if game.duration_minutes is None else str(game.duration_minutes),
        "location": guilds.unlink_channels(int(game.guild_id), game.location),
        "signup_method": game.signup_method,
        "channel_id": game.channel_id,
        "max_players": str(game.max_players) if "max_players" in own else "",
        "reminder_minutes": ", ".join(map(str, game.reminder_minutes)) if "reminder_minutes" in own else "",
        "signup_instructions": game.signup_instructions if "signup_instructions" in own else "",
        "version": str(game.version),
        "remind_waitlist": "on" if game.remind_waitlist else "",
        "post_at": "" if game.post_at is None else game.post_at.isoformat(),
        "announced": "" if game.post_at is not None else "yes",
        "rewards": game.rewards,
        "remind_rewards": "on" if game.remind_rewards else "",
        "archive_delay_minutes": ""
        if game.archive_delay_minutes is None
        else str(game.archive_delay_minutes),
        "archive_channel_id": game.archive_channel_id or "",
    }
    lists = {
        "player_role_ids": list(game.player_role_ids)
        if "player_role_ids" in own or "player_role_ids" in game.locked_fields
        else [],
        "priority_role_ids": list(game.priority_role_ids),
        "notify_role_ids": list(game.notify_role_ids),
    }
    return values, lists


async def managed_game(games: GameService, game_id: str, user_id: int) -> GameView:
    game = await games.queries.get(game_id, user_id)
    if not game.can_manage:
        raise Forbidden("Only the host or a bot manager can edit this game.")
    return game


async def edit_page(
    page: Page,
    guilds: GuildService,
    game: GameView,
    *,
    form: FormData | None = None,
    roster_errors: dict[str, str] | None = None,
    invalid: list[dict[str, Any]] | None = None,
    entry: str = "",
    notice: str | None = None,
) -> Template:
    values, lists = values_of(game, guilds)
    if form is not None:
        values, lists = form.values, form.lists
    channel = parse_snowflake(str(values.get("channel_id", ""))) or int(game.channel_id)
    context = await form_context(page, guilds, int(game.guild_id), channel, game)
    failed = bool((form and form.errors) or roster_errors)
    return render(
        page,
        "games/edit.html",
        status_code=422 if failed else 200,
        game=game,
        values=values,
        lists=lists,
        errors=form.errors if form else {},
        roster_errors=roster_errors or {},
        restored=form is not None and not form.errors,
        invalid_mentions=invalid or [],
        entry=entry,
        notice=notice,
        **context,
    )


async def redirect_with_notice(request: Request[Any, Any, Any], url: str, sentence: str) -> Redirect:
    """To ``url``, which then says ``sentence`` (what happened and who was told)."""
    return Redirect(await with_notice(request.app.state.cache, url, sentence), status_code=303)


def told_count(game: GameView) -> int | None:
    """How many people a host's change DMed (None: the answer did not say)."""
    return None if game.told is msgspec.UNSET else game.told
