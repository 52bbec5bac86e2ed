"""JSON routes of recurring games: thin — parse, call one ``GameService.series`` method, return its view."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import Body, JSONBody, PathParameter

from gamesched.auth import Viewer
from gamesched.games.series_schemas import (
    OccurrenceMove,
    OccurrencePick,
    SeriesCreate,
    SeriesList,
    SeriesPreview,
    SeriesPreviewView,
    SeriesUpdate,
    SeriesView,
)
from gamesched.games.service import GameService
from gamesched.http import BAD_REQUEST, INVALID, ErrorBody
from gamesched.web import id_in_query

SeriesId = Annotated[str, PathParameter(description="The series' id (uuid).")]
NOT_FOUND = ResponseSpec(
    ErrorBody, description="No such series (or occurrence), or it belongs to a server you are not in."
)
FORBIDDEN = ResponseSpec(ErrorBody, description="Only the series' host or a bot manager may do this.")
CONFLICT = ResponseSpec(
    ErrorBody, description="The occurrence or series does not allow this now (past, stale)."
)
SERIES_EXAMPLE = {
    "guild_id": "123456789012345678",
    "channel_id": "123456789012345679",
    "title": "Tuesday board games",
    "scheduled_at": "2030-01-08T19:00:00+01:00",
    "time_zone": "Europe/Berlin",
    "rrule": "FREQ=WEEKLY;BYDAY=TU",
    "lead_minutes": 4320,
    "carry_roster": True,
}


class SeriesController(Controller):
    path = "/api/v1/series"
    tags = ["series"]

    @post(
        "/",
        status_code=201,
        summary="Start a recurring game",
        description=(
            "The game's fields as for `POST /api/v1/games` (`scheduled_at` is the first start), plus an RFC "
            "5545 `rrule` repeated at the same local time in `time_zone` (default: your zone, else UTC) — "
            "19:00 stays 19:00 across daylight-saving changes. Each game is made and announced "
            "`lead_minutes` before it starts (null: when the previous one is over); `carry_roster` lets the "
            "confirmed players join the next game directly. The answer lists the next occurrences."
        ),
        responses={400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND, 422: INVALID},
    )
    async def create_series(
        self,
        data: Annotated[
            SeriesCreate,
            SeriesList,
            Body(examples=[Example(summary="Every Tuesday, 19:00 Berlin", value=SERIES_EXAMPLE)]),
        ],
        viewer: NamedDependency[Viewer],
        games: NamedDependency[GameService],
    ) -> SeriesView:
        return await games.series.create(viewer.user_id, data)

    @get(
        "/",
        summary="A server's recurring games",
        description="The active series of the server (members only), newest first, each with its next start.",
        responses={400: BAD_REQUEST, 404: NOT_FOUND, 422: INVALID},
    )
    async def list_series(
        self,
        viewer: NamedDependency[Viewer],
        games: NamedDependency[GameService],
        guild_id: Annotated[int, id_in_query("Discord guild id")],
    ) -> SeriesList:
        return await games.series.of_guild(viewer.user_id, guild_id)

    @post(
        "/preview",
        status_code=200,
        summary="Preview a repeat rule",
        description="The next occurrences a rule gives from a start, in UTC; nothing is saved.",
        responses={400: BAD_REQUEST, 422: INVALID},
    )
    async def preview_series(
        self,
        data: Annotated[
            SeriesPreview,
            Body(
                examples=[
                    Example(
                        summary="Last Friday of the month",
                        value={
                            "rrule": "FREQ=MONTHLY;BYDAY=-1FR",
                            "scheduled_at": "2030-01-25T20:00:00+00:00",
                            "time_zone": "Europe/London",
                        },
                    )
                ]
            ),
        ],
        viewer: NamedDependency[Viewer],
        games: NamedDependency[GameService],
    ) -> SeriesPreviewView:
        return games.series.preview(data)

    @get(
        "/{series_id:str}",
        summary="A series with its next occurrences",
        responses={400: BAD_REQUEST, 404: NOT_FOUND},
    )
    async def get_series(
        self, series_id: SeriesId, viewer: NamedDependency[Viewer], games: NamedDependency[GameService]
    ) -> SeriesView:
        return await games.series.get(series_id, viewer.user_id)

    @patch(
        "/{series_id:str}",
        summary="Edit the whole series (host)",
        description=(
            "Only the fields sent change. Applies to the games not made yet and to the games made and still "
            "ahead that were not moved on their own: they take the new fields, and the new time of day on "
            "their date (a date the new rule no longer has is cancelled). A moved game keeps its time."
        ),
        responses={400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT, 422: INVALID},
    )
    async def edit_series(
        self,
        series_id: SeriesId,
        data: Annotated[
            SeriesUpdate,
            Body(examples=[Example(summary="Thursdays instead", value={"rrule": "FREQ=WEEKLY;BYDAY=TH"})]),
        ],
        viewer: NamedDependency[Viewer],
        games: NamedDependency[GameService],
    ) -> SeriesView:
        return await games.series.edit(series_id, viewer.user_id, data)

    @post(
        "/{series_id:str}/skip",
        status_code=200,
        summary="Skip one occurrence (host)",
        description="A game made for it already is cancelled as usual (its players are told, with `reason`).",
        responses={400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT, 422: INVALID},
    )
    async def skip_occurrence(
        self,
        series_id: SeriesId,
        data: JSONBody[OccurrencePick],
        viewer: NamedDependency[Viewer],
        games: NamedDependency[GameService],
    ) -> SeriesView:
        return await games.series.skip(series_id, viewer.user_id, data)

    @post(
        "/{series_id:str}/move",
        status_code=200,
        summary="Move one occurrence (host)",
        description="Only that game moves; the series is unchanged. An occurrence not made yet is made now.",
        responses={400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT, 422: INVALID},
    )
    async def move_occurrence(
        self,
        series_id: SeriesId,
        data: JSONBody[OccurrenceMove],
        viewer: NamedDependency[Viewer],
        games: NamedDependency[GameService],
    ) -> SeriesView:
        return await games.series.move(series_id, viewer.user_id, data)

    @post(
        "/{series_id:str}/end",
        status_code=200,
        summary="End the series (host)",
        description="No more games are made; the games made already stay.",
        responses={400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    async def end_series(
        self, series_id: SeriesId, viewer: NamedDependency[Viewer], games: NamedDependency[GameService]
    ) -> SeriesView:
        return await games.series.end(series_id, viewer.user_id)

    @delete(
        "/{series_id:str}",
        status_code=204,
        summary="Delete the series (host)",
        description="Its games still ahead are cancelled (players told); games already played stay.",
        responses={400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
    )
    async def delete_series(
        self, series_id: SeriesId, viewer: NamedDependency[Viewer], games: NamedDependency[GameService]
    ) -> None:
        await games.series.delete(series_id, viewer.user_id)


series_routes = [SeriesController]
