"""Editing a game and its roster (host or manager): fields, then add / remove / reorder / replace."""

from __future__ import annotations

import contextlib
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from gamesched.core.errors import Conflict, Invalid, NotFound
from gamesched.games.pages.form import (
    edit_page,
    game_body,
    managed_game,
    mention_errors,
)
from gamesched.games.schemas import GameUpdate, GameView, ParticipantAdd, ParticipantOrder, ParticipantReplace
from gamesched.games.service import GameService
from gamesched.guilds import GuildService, Page
from gamesched.web import DRAFT_QUERY, KEEP_DRAFT, FormData, take_draft


@get("/games/{game_id:str}/edit")
async def edit_game_page(
    request: Request[Any, Any, Any],
    game_id: FromPath[str],
    page: NamedDependency[Page],
    games: NamedDependency[GameService],
    guilds: NamedDependency[GuildService],
    draft: Annotated[str | None, QueryParameter(name=DRAFT_QUERY)] = None,
) -> Template:
    game = await managed_game(games, game_id, page.viewer.user_id)
    # Changes typed before a login (``web.drafts``) come back as they were.
    kept = await take_draft(request.app.state.cache, draft)
    return await edit_page(page, guilds, game, form=kept)


def _already_applied(game: GameView, data: GameUpdate) -> bool:
    """A resubmitted edit (double click) finds the game already as it asks: nothing to do."""
    for name in data.__struct_fields__:
        wanted = getattr(data, name)
        if name == "expected_version" or wanted is msgspec.UNSET:
            continue
        if wanted is None and name in ("archive_delay_minutes", "archive_channel_id"):  # null: none
            if getattr(game, name) is not None:
                return False
            continue
        if wanted is None:
            if game.settings_sources.get(name, "game") == "game" and name != "duration_minutes":
                return False
            if name == "duration_minutes" and game.duration_minutes is not None:
                return False
            continue
        current = getattr(game, name)
        if isinstance(wanted, list):
            wanted, current = [str(v) for v in wanted], [str(v) for v in current]
            if name == "reminder_minutes":
                wanted, current = sorted(wanted), sorted(current)
        if wanted != current:
            return False
    return True


@post("/games/{game_id:str}/edit", status_code=303, opt={KEEP_DRAFT: True})
async def edit_game(
    request: Request[Any, Any, Any],
    game_id: FromPath[str],
    page: NamedDependency[Page],
    games: NamedDependency[GameService],
    guilds: NamedDependency[GuildService],
) -> Response[Any]:
    game = await managed_game(games, game_id, page.viewer.user_id)
    form = FormData.of(await request.form())
    body = game_body(form)
    version = form.values.get("version", "")
    body["expected_version"] = int(version) if version.isdigit() and int(version) > 0 else None
    try:
        data = await games.lifecycle.check_edit(game.id, page.viewer.user_id, body, known=form.errors)
        try:
            await games.lifecycle.edit(game.id, page.viewer.user_id, data)
        except Conflict as error:
            if error.code != "stale_version":
                raise
            current = await games.queries.get(game.id, page.viewer.user_id)
            if not _already_applied(current, data):
                form.errors["form"] = (
                    "Someone else changed this game while you were editing. "
                    "Your changes are below; open the game again to see theirs."
                )
                return await edit_page(page, guilds, current, form=form)
        return Redirect(f"/games/{game.id}", status_code=303)
    except Invalid as error:
        form.fail(error)
    return await edit_page(page, guilds, game, form=form)


def _back_to_roster(game_id: str) -> Redirect:
    return Redirect(f"/games/{game_id}/edit#roster", status_code=303)


@post("/games/{game_id:str}/participants", status_code=303)
async def add_participant(
    request: Request[Any, Any, Any],
    game_id: FromPath[str],
    page: NamedDependency[Page],
    games: NamedDependency[GameService],
    guilds: NamedDependency[GuildService],
) -> Response[Any]:
    form = FormData.of(await request.form())
    entry = form.text("entry", max_length=100, required="Type @name for a member, or text for a placeholder.")
    if form.ok:
        is_mention = entry.startswith("@") or entry.startswith("<@")
        data = ParticipantAdd(mention=entry) if is_mention else ParticipantAdd(placeholder=entry)
        try:
            await games.signups.add_participant(game_id, page.viewer.user_id, data)
            return _back_to_roster(game_id)
        except Invalid as error:
            if error.code == "invalid_mentions":
                invalid = mention_errors(form, error, "entry")
                game = await managed_game(games, game_id, page.viewer.user_id)
                return await edit_page(
                    page, guilds, game, roster_errors=form.errors, invalid=invalid, entry=entry
                )
            form.fail(error, "entry")
        except Conflict as error:
            form.fail(error, "entry")
    game = await managed_game(games, game_id, page.viewer.user_id)
    return await edit_page(page, guilds, game, roster_errors=form.errors, entry=entry)


@post("/games/{game_id:str}/participants/{participant_id:str}/remove", status_code=303)
async def remove_participant(
    game_id: FromPath[str],
    participant_id: FromPath[str],
    page: NamedDependency[Page],
    games: NamedDependency[GameService],
) -> Redirect:
    try:
        await games.signups.remove_participant(game_id, page.viewer.user_id, participant_id)
    except NotFound as error:
        if "roster" not in error.message:
            raise  # the game itself is gone; a participant already removed is fine (double click)
    return _back_to_roster(game_id)


@post("/games/{game_id:str}/participants/order", status_code=303)
async def reorder_participants(
    request: Request[Any, Any, Any],
    game_id: FromPath[str],
    page: NamedDependency[Page],
    games: NamedDependency[GameService],
) -> Redirect:
    """The order the Up/Down button asked for (the whole prefix, so repeating it changes nothing)."""
    form = FormData.of(await request.form())
    ids = form.lists.get("participant_ids", [])
    if ids:
        # Someone left meanwhile (Invalid): the page then shows the roster as it is now.
        with contextlib.suppress(Invalid):
            await games.signups.reorder(game_id, page.viewer.user_id, ParticipantOrder(participant_ids=ids))
    return _back_to_roster(game_id)


@post("/games/{game_id:str}/participants/{participant_id:str}/replace", status_code=303)
async def replace_placeholder(
    request: Request[Any, Any, Any],
    game_id: FromPath[str],
    participant_id: FromPath[str],
    page: NamedDependency[Page],
    games: NamedDependency[GameService],
    guilds: NamedDependency[GuildService],
) -> Response[Any]:
    form = FormData.of(await request.form())
    mention = form.text("mention", max_length=100, required="Type @name of the member who takes this seat.")
    field = f"replace-{participant_id}"
    invalid: list[dict[str, Any]] = []
    if form.ok:
        try:
            await games.signups.replace_placeholder(
                game_id, page.viewer.user_id, participant_id, ParticipantReplace(mention=mention)
            )
            return _back_to_roster(game_id)
        except (Invalid, Conflict) as error:
            if isinstance(error, Invalid) and error.code == "invalid_mentions":
                invalid = mention_errors(form, error, field)
            else:
                form.fail(error, field)
    else:
        form.errors[field] = form.errors.pop("mention")
    game = await managed_game(games, game_id, page.viewer.user_id)
    return await edit_page(page, guilds, game, roster_errors=form.errors, invalid=invalid)


routes: list[Any] = [
    edit_game_page,
    edit_game,
    add_participant,
    remove_participant,
    reorder_participants,
    replace_placeholder,
]
