"""Calendar links that work for whoever clicks them: a per-game signed URL for the .ics file and for
Google Calendar, used in the Discord announcement, where most readers are not logged in to the dashboard;
and each person's subscription feed, by the secret link on their settings page (``guilds.calendar_feeds``).

The token is an HMAC of the game's id with the app's secret key: it cannot be guessed from the id, it
opens only that game's calendar entry (title, time, place, description — what the announcement already
shows to the channel), and rotating ``GAMESCHED_SECRET_KEY`` revokes every link at once. Outside Discord,
Discord's markup reads as names (``#board-games``, ``@Erin``), never ``<#1191…>``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import PathParameter
from litestar.response import Redirect

from gamesched.core.errors import NotFound
from gamesched.discord_kit import mentioned_ids, readable
from gamesched.games.ics import (
    FeedEntry,
    PlannedEntry,
    Seat,
    calendar_filename,
    google_calendar_url,
    render_calendar,
    render_feed,
)
from gamesched.games.schemas import GameView
from gamesched.games.service import GameService
from gamesched.games.use_case import GAME_NOT_FOUND, parse_game_id

if TYPE_CHECKING:
    from gamesched.guilds import GuildService

#: The media type of an .ics file; the framework adds the charset.
CALENDAR_MEDIA_TYPE = "text/calendar"
FEED_NAME = "gamesched: my games"
#: Calendar apps poll the feed; a proxy or the app may keep it this long (the ETag makes re-fetches cheap).
FEED_MAX_AGE_SECONDS = 300


def calendar_token(secret: str, game_id: str) -> str:
    """The signature in a game's calendar links (128 bits, URL-safe)."""
    digest = hmac.new(secret.encode(), f"calendar:{game_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


#: How far ahead a feed shows the games a host's series will make (the next two months: enough to plan by,
#: and a weekly series adds about nine events).
PLANNED_AHEAD = timedelta(weeks=9)


class Calendars:
    """Signed calendar links of games, and the games as people outside Discord read them."""

    def __init__(self, *, games: GameService, guilds: GuildService, secret: str, base_url: str) -> None:
        self.games = games
        self.guilds = guilds
        self.secret = secret
        self.base_url = base_url.rstrip("/")

    def links(self, game_id: str) -> tuple[str, str]:
        """(the .ics file, Google Calendar) for ``game_id``, signed."""
        base = f"{self.base_url}/calendar/{game_id}/{calendar_token(self.secret, game_id)}"
        return base, f"{base}/google"

    def valid(self, game_id: str, token: str) -> bool:
        # As bytes: compare_digest refuses a str with non-ASCII characters (a TypeError, so a 500).
        return hmac.compare_digest(
            calendar_token(self.secret, game_id).encode(), token.encode(errors="surrogatepass")
        )

    async def readable(self, game: GameView) -> GameView:
        """The game with Discord's markup in its texts turned into names."""
        guild_id = int(game.guild_id)
        texts = (game.location, game.description, game.signup_instructions)
        members = await self.guilds.display_members(guild_id, mentioned_ids("@", *texts))
        roles = {
            role_id: name
            for role_id in mentioned_ids("@&", *texts)
            if (name := self.guilds.role_name(guild_id, role_id)) is not None
        }
        channels = self.guilds.channel_names(guild_id)
        people = {user_id: m.display_name for user_id, m in members.items() if m.present}
        location, description, instructions = (
            readable(t, channels=channels, roles=roles, members=people) for t in texts
        )
        return msgspec.structs.replace(
            game, location=location, description=description, signup_instructions=instructions
        )

    async def feed(self, token: str) -> list[FeedEntry | PlannedEntry]:
        """The games of the person whose feed link ``token`` is, readable, and the games the series they
        host will make in the next PLANNED_AHEAD; NotFound for any other token."""
        user_id = await self.guilds.calendar_feeds.owner(token)
        entries: list[FeedEntry | PlannedEntry] = []
        names: dict[int, str] = {}
        for game in await self.games.queries.upcoming_for_user(user_id):
            guild_id = int(game.guild_id)
            if guild_id not in names:
                names[guild_id] = await self.guilds.guild_name(guild_id) or ""
            # Not on the roster: then they host it (the query finds nothing else).
            seat: Seat = game.viewer_status or "host"
            entries.append(
                FeedEntry(
                    game=await self.readable(game),
                    seat=seat,
                    url=f"{self.base_url}/games/{game.id}",
                    server_name=names[guild_id],
                    waitlist_position=game.viewer_position if game.viewer_status == "waitlisted" else None,
                )
            )
        now = self.games.clock.now()
        for occurrence in await self.games.series.upcoming_for_host(user_id, now, now + PLANNED_AHEAD):
            guild_id = int(occurrence.guild_id)
            if occurrence.game_id is not None:
                continue  # made: the game itself is in the feed (if its host may still see it)
            if guild_id not in names:
                try:
                    await self.guilds.access(guild_id, user_id)
                except NotFound:
                    continue  # a server they left: its games left their feed too
                names[guild_id] = await self.guilds.guild_name(guild_id) or ""
            entries.append(
                PlannedEntry(
                    occurrence=occurrence,
                    url=f"{self.base_url}/series/{occurrence.series_id}",
                    server_name=names[guild_id],
                )
            )
        return entries

    async def signed_game(self, game_id: str, token: str) -> GameView:
        """The game a signed link names, readable; NotFound for a wrong token or a game that is gone."""
        gid = parse_game_id(game_id)
        if not self.valid(str(gid), token):
            raise NotFound(GAME_NOT_FOUND)
        # Trusted look-up across guilds: the token proves the link came from us for this game.
        guild_id = await self.games.queries._guild_of(gid)
        game = await self.games.queries.snapshot(gid, guild_id=guild_id)
        if game.post_at is not None:  # not announced yet: a link shared early tells nobody of it
            raise NotFound(GAME_NOT_FOUND)
        return await self.readable(game)


def calendar_response(game: GameView, *, page_url: str) -> Response[str]:
    return Response(
        render_calendar(game, url=page_url),
        media_type=CALENDAR_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{calendar_filename(game)}"'},
    )


Token = Annotated[
    str, PathParameter(description="The link's signature (from the announcement).", max_length=64)
]
FeedToken = Annotated[
    str, PathParameter(description="The feed link's secret (from the settings page).", max_length=64)
]
GameIdParam = Annotated[str, PathParameter(description="The game's id (uuid).")]


class CalendarController(Controller):
    """The signed calendar links: no login, since they are clicked from Discord."""

    path = "/calendar"
    tags = ["games"]

    @get(
        "/{game_id:str}/{token:str}",
        summary="A game as a calendar file, by signed link",
        description="The link comes from the game's announcement; no login needed.",
        media_type=CALENDAR_MEDIA_TYPE,
    )
    async def signed_calendar(
        self, game_id: GameIdParam, token: Token, calendars: NamedDependency[Calendars]
    ) -> Response[str]:
        game = await calendars.signed_game(game_id, token)
        return calendar_response(game, page_url=f"{calendars.base_url}/games/{game.id}")

    @get(
        "/{game_id:str}/{token:str}/google",
        summary="A game in Google Calendar, by signed link",
        description="Redirects to Google Calendar's form for the game, with places and names readable.",
        status_code=302,
    )
    async def signed_google(
        self, game_id: GameIdParam, token: Token, calendars: NamedDependency[Calendars]
    ) -> Redirect:
        game = await calendars.signed_game(game_id, token)
        return Redirect(
            google_calendar_url(game, url=f"{calendars.base_url}/games/{game.id}"), status_code=302
        )


@get(
    "/feeds/{token:str}/games.ics",
    tags=["games"],
    summary="A person's games as a calendar subscription, by secret link",
    description="The link is on the person's settings page; no login needed. Reset there, the old link "
    "answers 404.",
    media_type=CALENDAR_MEDIA_TYPE,
)
async def calendar_feed(
    token: FeedToken, request: Request[Any, Any, Any], calendars: NamedDependency[Calendars]
) -> Response[str]:
    """A person's feed, with an ETag of its text: a calendar app that has this copy gets a 304. (No
    Last-Modified: a game leaving the feed changes it without changing any game's time stamp.)"""
    entries = await calendars.feed(token)
    body = render_feed(entries, name=FEED_NAME)
    etag = f'"{hashlib.sha256(body.encode()).hexdigest()[:32]}"'
    headers = {
        "ETag": etag,
        "Cache-Control": f"private, max-age={FEED_MAX_AGE_SECONDS}",
        "Content-Disposition": 'inline; filename="gamesched.ics"',
        "X-Robots-Tag": "noindex",
    }
    if etag in request.headers.get("if-none-match", ""):
        return Response("", status_code=304, headers=headers, media_type=CALENDAR_MEDIA_TYPE)
    return Response(body, media_type=CALENDAR_MEDIA_TYPE, headers=headers)
