"""One game: its page, the live part htmx refreshes, the event stream, join / leave / confirm, cancel."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, ServerSentEvent, Template

from gamesched.auth import Viewer
from gamesched.core.errors import Conflict, Invalid
from gamesched.core.inputs import convert
from gamesched.core.live import LiveHub
from gamesched.games.lifecycle import CANCEL_REASON_MAX
from gamesched.games.live_updates import topic
from gamesched.games.pages.form import managed_game, redirect_with_notice, told_count
from gamesched.games.schemas import GameView, RewardsUpdate
from gamesched.games.service import GameService
from gamesched.games.told import told_sentence
from gamesched.guilds import GuildService, Page, names_for, what_to_grant
from gamesched.web import NOTICE_QUERY, FormData, LiveStreams, is_htmx, render, take_notice


def game_page(page: Page, guilds: GuildService, game: GameView, template: str, **context: Any) -> Template:
    page.guild_id = int(game.guild_id)
    context.setdefault("join_refusal", None)
    context.setdefault("rewards_error", None)
    context.setdefault("rewards_value", None)
    context.setdefault("archive_values", None)
    context.setdefault("archive_errors", {})
    names = names_for(guilds, int(game.guild_id))
    if game.status == "completed":  # its archive settings may still change, until it is archived
        info = guilds.directory.guild(int(game.guild_id))
        channels = sorted(info.channels.values(), key=lambda c: (c.position, c.id)) if info else []
        context["archive_channels"] = [(str(c.id), c.name) for c in channels if c.type in (0, 5)]
    return render(page, template, game=game, names=names, announcement=announcement_trouble(game), **context)


def announcement_trouble(game: GameView) -> dict[str, Any] | None:
    """What the game page says when Discord refused the game's announcement (None: nothing to say)."""
    if game.announcement_problem is None or game.status not in ("scheduled", "in_progress"):
        return None
    return {
        "grant": what_to_grant(game.announcement_problem),
        "posted": game.message_id is not None,
        "card_only": game.announcement_problem == ["embed_links"],
        "channel": f"#{game.channel_name}" if game.channel_name else "its channel",
    }


@get("/games/{game_id:str}")
async def game_detail(
    request: Request[Any, Any, Any],
    game_id: FromPath[str],
    page: NamedDependency[Page],
    games: NamedDependency[GameService],
    guilds: NamedDependency[GuildService],
    notice: Annotated[str | None, QueryParameter(name=NOTICE_QUERY)] = None,
) -> Template:
    game = await games.queries.get(game_id, page.viewer.user_id)
    refusal = await games.signups.join_refusal(game, page.viewer.user_id)
    said = await take_notice(request.app.state.cache, notice)
    return game_page(page, guilds, game, "games/detail.html", join_refusal=refusal, notice=said)


@get("/games/{game_id:str}/panel")
async def game_panel(
    game_id: FromPath[str],
    page: NamedDependency[Page],
    games: NamedDependency[GameService],
    guilds: NamedDependency[GuildService],
) -> Template:
    """The game's live part (details, roster, actions), re-fetched by htmx when the game changes."""
    game = await games.queries.get(game_id, page.viewer.user_id)
    refusal = await games.signups.join_refusal(game, page.viewer.user_id)
    return game_page(page, guilds, game, "games/_panel.html", join_refusal=refusal)


@get("/games/{game_id:str}/live")
async def game_live(
    game_id: FromPath[str],
    viewer: NamedDependency[Viewer],
    games: NamedDependency[GameService],
    live: NamedDependency[LiveHub],
    streams: NamedDependency[LiveStreams],
) -> ServerSentEvent:
    """Server-Sent Events: "changed" whenever the game or its roster changes (web, Discord or timers)."""
    game = await games.queries.get(game_id, viewer.user_id)
    return streams.response(live, topic(game.id))


async def _after_roster_action(
    request: Request[Any, Any, Any], page: Page, games: GameService, guilds: GuildService, game: GameView
) -> Response[Any]:
    if is_htmx(request):
        refusal = await games.signups.join_refusal(game, page.viewer.user_id)
        return game_page(page, guilds, game, "games/_panel.html", join_refusal=refusal)
    return Redirect(f"/games/{game.id}", status_code=303)


@post("/games/{game_id:str}/join", status_code=303)
async def join_game(
    request: Request[Any, Any, Any],
    game_id: FromPath[str],
    page: NamedDependency[Page],
    games: NamedDependency[GameService],
    guilds: NamedDependency[GuildService],
) -> Response[Any]:
    game = await games.signups.join(game_id, page.viewer.user_id)
    return await _after_roster_action(request, page, games, guilds, game)


@post("/games/{game_id:str}/leave", status_code=303)
async def leave_game(
    request: Request[Any, Any, Any],
    game_id: FromPath[str],
    page: NamedDependency[Page],
    games: NamedDependency[GameService],
    guilds: NamedDependency[GuildService],
) -> Response[Any]:
    try:
        game = await games.signups.leave(game_id, page.viewer.user_id)
    except Conflict as error:
        if error.code != "not_a_participant":
            raise
        game = await games.queries.get(game_id, page.viewer.user_id)  # a second click: already gone
    return await _after_roster_action(request, page, games, guilds, game)


@post("/games/{game_id:str}/confirm", status_code=303)
async def confirm_place(
    request: Request[Any, Any, Any],
    game_id: FromPath[str],
    page: NamedDependency[Page],
    games: NamedDependency[GameService],
    guilds: NamedDependency[GuildService],
) -> Response[Any]:
    """A player a clone carried over keeps their place (the DM's Confirm button, on the web)."""
    await games.confirmations.confirm(game_id, page.viewer.user_id)
    game = await games.queries.get(game_id, page.viewer.user_id)
    return await _after_roster_action(request, page, games, guilds, game)


@get("/games/{game_id:str}/cancel")
async def cancel_game_page(
    game_id: FromPath[str],
    page: NamedDependency[Page],
    games: NamedDependency[GameService],
    guilds: NamedDependency[GuildService],
) -> Template:
    game = await managed_game(games, game_id, page.viewer.user_id)
    return game_page(page, guilds, game, "games/cancel.html", reason="", errors={})


@post("/games/{game_id:str}/cancel", status_code=303)
async def cancel_game(
    request: Request[Any, Any, Any],
    game_id: FromPath[str],
    page: NamedDependency[Page],
    games: NamedDependency[GameService],
    guilds: NamedDependency[GuildService],
) -> Response[Any]:
    """Cancelling twice is harmless: the service treats it as done. The reason is optional."""
    form = FormData.of(await request.form())
    reason = form.text("reason", max_length=CANCEL_REASON_MAX)
    if form.ok:
        try:
            game = await games.lifecycle.cancel(game_id, page.viewer.user_id, reason)
        except Invalid as error:
            form.fail(error, "reason")
        else:
            sentence = told_sentence("Cancelled", told_count(game))
            return await redirect_with_notice(request, f"/games/{game.id}", sentence)
    game = await managed_game(games, game_id, page.viewer.user_id)
    return game_page(
        page, guilds, game, "games/cancel.html", reason=reason, errors=form.errors, status_code=422
    )


@post("/games/{game_id:str}/post", status_code=303)
async def post_game_now(
    game_id: FromPath[str], page: NamedDependency[Page], games: NamedDependency[GameService]
) -> Redirect:
    """ "Post now": a deferred game is announced at once (a second click finds it announced)."""
    game = await games.lifecycle.post_now(game_id, page.viewer.user_id)
    return Redirect(f"/games/{game.id}", status_code=303)


@post("/games/{game_id:str}/rewards", status_code=303)
async def save_rewards(
    request: Request[Any, Any, Any],
    game_id: FromPath[str],
    page: NamedDependency[Page],
    games: NamedDependency[GameService],
    guilds: NamedDependency[GuildService],
) -> Response[Any]:
    """The host's rewards ("Save and archive" on a completed game archives it at once)."""
    form = FormData.of(await request.form())
    rewards = form.text("rewards", max_length=2000)
    body: dict[str, Any] = {"rewards": rewards, "archive_now": form.values.get("archive_now") == "yes"}
    if "archive_delay_minutes" in form.values:  # the form of a completed game: its archive settings too
        body["archive_delay_minutes"] = form.optional_int(
            "archive_delay_minutes", 0, 60 * 24 * 365, "Archive after (minutes)"
        )
        archive = form.values.get("archive_channel_id", "").strip()
        if archive:
            form.snowflake("archive_channel_id", required="Pick an archive channel.")
        body["archive_channel_id"] = archive or None
    if form.ok:
        try:
            data = convert(body, RewardsUpdate)
            game = await games.lifecycle.set_rewards(game_id, page.viewer.user_id, data)
            return Redirect(f"/games/{game.id}#rewards", status_code=303)
        except (Invalid, Conflict) as error:
            form.fail(error, "rewards")
    game = await games.queries.get(game_id, page.viewer.user_id)
    template = game_page(
        page,
        guilds,
        game,
        "games/detail.html",
        rewards_error=form.errors.get("rewards") or form.errors.get("archive_now"),
        rewards_value=rewards,
        archive_values=form.values,
        archive_errors=form.errors,
        status_code=422,
    )
    return template


routes: list[Any] = [
    game_detail,
    game_panel,
    game_live,
    join_game,
    leave_game,
    confirm_place,
    cancel_game_page,
    cancel_game,
    post_game_now,
    save_rewards,
]
