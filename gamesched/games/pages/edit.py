"""Editing a game and its roster (host or manager): fields, then add / remove / reorder / replace."""

from __future__ import annotations

from datetime import datetime
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
    redirect_with_notice,
    told_count,
)
from gamesched.games.pages.images import read_images
from gamesched.games.schemas import GameUpdate, GameView, ParticipantAdd, ParticipantOrder, ParticipantReplace
from gamesched.games.service import GameService
from gamesched.games.told import NEWS, change_topic, told_sentence
from gamesched.guilds import GuildService, Page
from gamesched.web import (
    DRAFT_QUERY,
    KEEP_DRAFT,
    NOTICE_QUERY,
    FormData,
    take_draft,
    take_notice,
)


@get("/games/{game_id:str}/edit")
async def edit_game_page(
    request: Request[Any, Any, Any],
    game_id: FromPath[str],
    page: NamedDependency[Page],
    games: NamedDependency[GameService],
    guilds: NamedDependency[GuildService],
    draft: Annotated[str | None, QueryParameter(name=DRAFT_QUERY)] = None,
    notice: Annotated[str | None, QueryParameter(name=NOTICE_QUERY)] = None,
) -> Template:
    game = await managed_game(games, game_id, page.viewer.user_id)
    # Changes typed before a login (``web.drafts``) come back as they were.
    kept = await take_draft(request.app.state.cache, draft)
    said = await take_notice(request.app.state.cache, notice)
    return await edit_page(page, guilds, game, form=kept, notice=said)


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
    raw = await request.form()
    form = FormData.of(raw)
    images = await read_images(raw, form, games)
    body = game_body(form, zone=page.zone, now=games.clock.now())
    if _same_minute(body.get("scheduled_at"), game.scheduled_at):
        # The picker shows minutes: a time with seconds (set through the API) comes back without them.
        # That is no new time, and nobody should be told it is.
        body["scheduled_at"] = game.scheduled_at
    for name in game.locked_fields:  # shown read-only: the template's, not the form's to change
        body.pop(name, None)
    version = form.values.get("version", "")
    body["expected_version"] = int(version) if version.isdigit() and int(version) > 0 else None
    try:
        data = await games.lifecycle.check_edit(game.id, page.viewer.user_id, body, known=form.errors)
        sentence = "Saved."
        try:
            saved = await games.lifecycle.edit(game.id, page.viewer.user_id, data)
            sentence = told_sentence("Saved", told_count(saved), _topic(game, saved))
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
        await images.apply(games, game.id, page.viewer.user_id)
        return await redirect_with_notice(request, f"/games/{game.id}", sentence)
    except Invalid as error:
        form.fail(error)
    return await edit_page(page, guilds, game, form=form)


def _same_minute(posted: Any, current: datetime) -> bool:
    return isinstance(posted, datetime) and posted == current.replace(second=0, microsecond=0)


async def _back_to_roster(request: Request[Any, Any, Any], game: GameView | str, done: str) -> Redirect:
    if isinstance(game, str):
        return await redirect_with_notice(request, f"/games/{game}/edit#roster", f"{done}.")
    return await redirect_with_notice(
        request, f"/games/{game.id}/edit#roster", told_sentence(done, told_count(game))
    )


def _topic(before: GameView, after: GameView) -> str:
    """What an edit's DMs were about: the new time, place or channel, or else the seats it moved."""
    changed = [name for name, _ in NEWS if getattr(before, name) != getattr(after, name)]
    return change_topic(changed) or (" about their seats" if told_count(after) else "")


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
            added = await games.signups.add_participant(game_id, page.viewer.user_id, data)
            return await _back_to_roster(request, added, "Added")
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
    request: Request[Any, Any, Any],
    game_id: FromPath[str],
    participant_id: FromPath[str],
    page: NamedDependency[Page],
    games: NamedDependency[GameService],
) -> Redirect:
    try:
        removed = await games.signups.remove_participant(game_id, page.viewer.user_id, participant_id)
    except NotFound as error:
        if "roster" not in error.message:
            raise  # the game itself is gone; a participant already removed is fine (double click)
        return await _back_to_roster(request, game_id, "Removed")
    return await _back_to_roster(request, removed, "Removed")


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
        try:
            moved = await games.signups.reorder(
                game_id, page.viewer.user_id, ParticipantOrder(participant_ids=ids)
            )
        except Invalid:
            pass  # someone left meanwhile: the page then shows the roster as it is now
        else:
            return await _back_to_roster(request, moved, "Moved")
    return Redirect(f"/games/{game_id}/edit#roster", status_code=303)


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
            replaced = await games.signups.replace_placeholder(
                game_id, page.viewer.user_id, participant_id, ParticipantReplace(mention=mention)
            )
            return await _back_to_roster(request, replaced, "Seat given")
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
