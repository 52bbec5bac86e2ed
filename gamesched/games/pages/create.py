"""Scheduling a game: the form (fresh or cloned), a channel's inherited settings, the submit."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter
from litestar.response import Redirect, Template

from gamesched.core.errors import Forbidden, Invalid, NotFound
from gamesched.core.inputs import convert, parse_snowflake
from gamesched.games.carry import CARRY_MODES
from gamesched.games.pages.form import (
    form_context,
    game_body,
    values_of,
)
from gamesched.games.pages.images import kept_images, read_images
from gamesched.games.pages.series import (
    DAY_LABELS,
    REPEAT_CHOICES,
    preview_series,
    repeat_defaults,
    repeat_fields,
)
from gamesched.games.schemas import GameClone, GameView
from gamesched.games.series_schemas import SeriesCreate
from gamesched.games.service import GameService
from gamesched.guilds import GuildService, Page
from gamesched.web import DRAFT_QUERY, KEEP_DRAFT, FormData, id_in_query, render, take_draft

#: A create form's submission id is remembered this long: a second submit lands on the same game.
SUBMISSION_TTL = 3600


PENDING = b"pending"


async def _clone_values(
    games: GameService, guilds: GuildService, source_id: str, user_id: int, *, players: bool
) -> tuple[dict[str, str], dict[str, list[str]], GameView]:
    """A new game's form filled from an existing one, proposing its next free slot; the host (or a manager)
    also chooses which of its players to carry over (``players``: all of them, proposed)."""
    game = await games.queries.get(source_id, user_id)
    values, lists = values_of(game, guilds)
    values["scheduled_at"] = (await games.clones.proposed_time(game)).isoformat()
    values["template_id"] = game.template_id or NO_TEMPLATE
    values.update(kept_images(game))
    if game.can_manage:
        values["clone_from"] = game.id
        values["clone_title"] = game.title
        values["carry_confirmed"] = values["carry_waitlist"] = "yes" if players else "no"
    return values, lists, game


def _carry_choice(form: FormData) -> GameClone | None:
    """The clone form's carry-over choice (None on a plain new game), its deadline read as the form's time
    pickers send it."""
    if not form.values.get("clone_from"):
        return None
    confirmed, waitlist = (_mode(form.values.get(f"carry_{name}")) for name in ("confirmed", "waitlist"))
    confirm_by = None
    if "deadline" in (confirmed, waitlist) and form.values.get("confirm_by", "").strip():
        confirm_by = form.aware_datetime("confirm_by", required="")
    return GameClone(confirmed=confirmed, waitlist=waitlist, confirm_by=confirm_by)


def _mode(sent: str | None) -> Any:
    return sent if sent in CARRY_MODES else "no"


@get("/games/new")
async def new_game_page(
    request: Request[Any, Any, Any],
    page: NamedDependency[Page],
    games: NamedDependency[GameService],
    guilds: NamedDependency[GuildService],
    guild_id: Annotated[int | None, id_in_query()] = None,
    channel_id: Annotated[int | None, id_in_query()] = None,
    clone_of: Annotated[str | None, QueryParameter(name="from")] = None,
    players: FromQuery[bool] = False,
    draft: Annotated[str | None, QueryParameter(name=DRAFT_QUERY)] = None,
    template_id: Annotated[str | None, QueryParameter(name="template_id", max_length=36)] = None,
) -> Template:
    values: dict[str, str] = {}
    lists: dict[str, list[str]] = {}
    source = None
    kept = await take_draft(request.app.state.cache, draft)
    if kept is not None:  # typed before a login: the same form, as it was
        values, lists = kept.values, kept.lists
        guild_id = parse_snowflake(values.get("guild_id", "")) or guild_id
        channel_id = parse_snowflake(values.get("channel_id", "")) or channel_id
    elif clone_of:
        values, lists, source = await _clone_values(
            games, guilds, clone_of, page.viewer.user_id, players=players
        )
        guild_id, channel_id = int(source.guild_id), int(source.channel_id)
    if guild_id is None:
        hostable = page.host_guilds
        if len(hostable) != 1:
            return render(page, "games/pick_guild.html", guilds=hostable)
        guild_id = hostable[0].id
    await _require_host(guilds, guild_id, page.viewer.user_id)
    templates = await _templates(guilds, guild_id, page.viewer.user_id)
    asked = template_id if template_id is not None else values.get("template_id")
    template = _pick(templates, asked)
    if template is not None and (template_id is not None or (kept is None and source is None)):
        # a fresh form, or a template picked just now: its defaults fill the form
        _prefill(values, template)
    values["template_id"] = str(template.id) if template else NO_TEMPLATE
    context = await form_context(page, guilds, guild_id, channel_id, template=template)
    values.setdefault("submission", uuid.uuid4().hex)
    values.setdefault("signup_method", "self_signup")
    repeat_defaults(values)
    return render(
        page,
        "games/new.html",
        values=values,
        lists=lists,
        errors={},
        clone_of=source,
        restored=kept is not None,
        templates=templates,
        repeat_choices=REPEAT_CHOICES,
        day_labels=DAY_LABELS,
        **context,
    )


#: What the template select sent when it offered "no template" (older forms, drafts): now the default one.
NO_TEMPLATE = "none"


async def _templates(guilds: GuildService, guild_id: int, user_id: int) -> list[Any]:
    return await guilds.templates.visible(await guilds.access(guild_id, user_id))


def _pick(templates: list[Any], asked: str | None) -> Any | None:
    """The template asked for; none asked (a fresh form, a clone of a game made without one): the default
    one, or — for a host who may not use that one — the first they may. There is no "no template": a game
    created without naming one takes that same template (``TemplateService.for_unnamed``), so its locks
    hold."""
    if asked and asked != NO_TEMPLATE:
        found = next((t for t in templates if str(t.id) == asked), None)
        if found is not None:
            return found
    return next((t for t in templates if t.is_default), templates[0] if templates else None)


def _prefill(values: dict[str, str], template: Any) -> None:
    """A template's own defaults that are not inherited settings: duration, place, signup method."""
    if template.duration_minutes is not None:
        values["duration_minutes"] = str(template.duration_minutes)
    if template.location:
        values["location"] = template.location
    if template.default_signup_method:
        values["signup_method"] = template.default_signup_method
    for kind in ("thumbnail", "banner"):  # its pictures, shown with a box to remove each
        if name := getattr(template, f"{kind}_image"):
            values[f"kept_{kind}"] = name


async def _require_host(guilds: GuildService, guild_id: int, user_id: int) -> None:
    """NotFound for a guild the viewer is not in, Forbidden for a member who may not host there (neither by
    the server's and channels' host roles nor with a template whose host roles they hold)."""
    access = await guilds.access(guild_id, user_id)
    if not access.can_host and not await guilds.templates.visible(access):
        raise Forbidden(guilds.cannot_host(access))


@get("/games/new/inherited")
async def inherited_fields(
    request: Request[Any, Any, Any],
    page: NamedDependency[Page],
    guilds: NamedDependency[GuildService],
    guild_id: Annotated[int, id_in_query()],
    channel_id: Annotated[int | None, id_in_query()] = None,
    template_id: Annotated[str | None, QueryParameter(name="template_id", max_length=36)] = None,
) -> Template:
    """htmx: the settings a channel passes on, after the channel select changed (typed values kept)."""
    await guilds.access(guild_id, page.viewer.user_id)
    template = _pick(await _templates(guilds, guild_id, page.viewer.user_id), template_id or NO_TEMPLATE)
    context = await form_context(page, guilds, guild_id, channel_id, template=template)
    values = {k: v for k, v in request.query_params.items() if isinstance(v, str)}
    return render(page, "games/_inherited.html", values=values, errors={}, **context)


async def _claim_submission(cache: Any, key: str) -> str | None:
    """None: go ahead and create. Otherwise the id of the game an identical earlier submit created."""
    for _ in range(50):
        # Atomic: of two submits at once (in one process or two), exactly one goes ahead.
        if await cache.add(key, PENDING, ttl_seconds=SUBMISSION_TTL):
            return None
        seen = await cache.get(key)
        if seen is not None and seen != PENDING:
            return str(seen.decode())
        await asyncio.sleep(0.1)  # the first submit is still creating it
    return None


@post("/games/new", status_code=303, opt={KEEP_DRAFT: True})
async def create_game(
    request: Request[Any, Any, Any],
    page: NamedDependency[Page],
    games: NamedDependency[GameService],
    guilds: NamedDependency[GuildService],
) -> Response[Any]:
    raw = await request.form()
    form = FormData.of(raw)
    guild_raw = form.values.get("guild_id", "")
    guild_id = parse_snowflake(guild_raw)
    if guild_id is None:
        raise NotFound("That server does not exist, or you are not a member of it.")
    # Before anything of the guild is read (host look-up, the error page's channels, roles and rules).
    await _require_host(guilds, guild_id, page.viewer.user_id)
    body = {
        **game_body(form, zone=page.zone, now=games.clock.now()),
        "guild_id": guild_raw,
        "initial_participants": form.lines("initial_participants"),
    }
    chosen = form.values.get("template_id", "")
    if chosen and chosen != NO_TEMPLATE:
        body["template_id"] = chosen
    if host := form.text("host"):
        body["host_id"] = await _host_id(guilds, form, guild_id, host)
    invalid: list[dict[str, Any]] = []
    cache = request.app.state.cache
    key = f"web:submission:{page.viewer.user_id}:{form.values.get('submission', '')[:64]}"
    images = await read_images(raw, form, games)
    if page.zone is not None:
        body["time_zone"] = page.zone.key  # words the game's time when the host chose no zone of their own
    # "Check the time": everything is checked and the form comes back with the time as understood; nothing
    # is created until the plain submit.
    preview = form.values.get("preview") == "1"
    carry = _carry_choice(form)
    if carry is not None and "confirm_by" not in form.errors:
        try:
            games.clones.check(carry, scheduled_at=body.get("scheduled_at"), post_at=body.get("post_at"))
        except Invalid as error:
            form.errors["confirm_by"] = error.message
    repeat = repeat_fields(form, body.get("scheduled_at"), page.zone)
    upcoming = None
    try:
        data = await games.lifecycle.check_new(page.viewer.user_id, body, known=form.errors)
        if repeat is not None:
            upcoming = preview_series(games, body, repeat, page.zone)
            if not preview:
                return await _create_series(request, page, games, data, repeat, key)
        elif not preview:
            if existing := await _claim_submission(cache, key):
                return Redirect(f"/games/{existing}", status_code=303)
            try:
                if carry is None:
                    game = await games.lifecycle.create(page.viewer.user_id, data)
                else:
                    source = form.values["clone_from"]
                    game = await games.clones.create(
                        page.viewer.user_id, data, source_id=source, choice=carry
                    )
            except BaseException:
                await cache.delete(key)
                raise
            await cache.set(key, game.id.encode(), ttl_seconds=SUBMISSION_TTL)
            await images.apply(games, game.id, page.viewer.user_id)
            return Redirect(f"/games/{game.id}", status_code=303)
    except Invalid as error:
        form.fail(error)
        invalid = list(error.extra.get("invalid_mentions", []))
    channel = parse_snowflake(str(body["channel_id"]))
    templates = await _templates(guilds, guild_id, page.viewer.user_id)
    template = _pick(templates, chosen or NO_TEMPLATE)
    context = await form_context(page, guilds, guild_id, channel, template=template)
    return render(
        page,
        "games/new.html",
        status_code=200 if preview and form.ok else 422,
        values=form.values,
        lists=form.lists,
        errors=form.errors,
        invalid_mentions=invalid,
        previewed=preview and form.ok,
        templates=templates,
        repeat_choices=REPEAT_CHOICES,
        day_labels=DAY_LABELS,
        upcoming=upcoming,
        **context,
    )


async def _create_series(
    request: Request[Any, Any, Any],
    page: Page,
    games: GameService,
    data: Any,
    repeat: dict[str, Any],
    key: str,
) -> Response[Any]:
    """A game that repeats: the series is made (its first games with it) and its page shown."""
    cache = request.app.state.cache
    if existing := await _claim_submission(cache, key):
        return Redirect(existing, status_code=303)
    body = {**msgspec.to_builtins(data), **repeat}
    if page.zone is not None:
        body["time_zone"] = page.zone.key  # the rule repeats at the same local time in the host's zone
    try:
        series = await games.series.create(page.viewer.user_id, convert(body, SeriesCreate))
    except BaseException:
        await cache.delete(key)
        raise
    url = f"/series/{series.id}"
    await cache.set(key, url.encode(), ttl_seconds=SUBMISSION_TTL)
    return Redirect(url, status_code=303)


async def _host_id(guilds: GuildService, form: FormData, guild_id: int, text: str) -> str | None:
    """A manager may name another host ("@name")."""
    resolution = await guilds.resolve_mentions(
        guild_id, [text if text.startswith(("@", "<@")) else f"@{text}"]
    )
    if resolution.invalid:
        form.errors["host"] = resolution.invalid[0].reason
        return None
    user_id = resolution.entries[0].user_id if resolution.entries else None
    return None if user_id is None else str(user_id)


routes: list[Any] = [new_game_page, inherited_fields, create_game]
