"""JSON routes of the games module: thin — parse, call one GameService method, return its GameView."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import Body, JSONBody, PathParameter, QueryParameter

from gamesched.auth import Viewer
from gamesched.core.errors import Invalid
from gamesched.games.calendar import CALENDAR_MEDIA_TYPE, Calendars, calendar_response
from gamesched.games.schemas import (
    GAME_CREATE_EXAMPLE,
    INVALID_MENTIONS_EXAMPLE,
    GameCancel,
    GameClone,
    GameCreate,
    GameList,
    GameStatus,
    GameUpdate,
    GameView,
    InvalidMentionsBody,
    ParticipantAdd,
    ParticipantOrder,
    ParticipantReplace,
    RewardsUpdate,
)
from gamesched.games.service import GameService
from gamesched.http import BAD_REQUEST, INVALID, ErrorBody, InvalidBody
from gamesched.images import MAX_BYTES, ImageKind, require_multipart
from gamesched.web import id_in_query

#: Deeper pages are read with ``after`` (a cursor); an offset beyond this is surely a mistake.
MAX_OFFSET = 1_000_000_000
GameId = Annotated[str, PathParameter(description="The game's id (uuid).")]
ParticipantIdParam = Annotated[
    str, PathParameter(description="The participant's id (uuid), from the game's roster.")
]

NOT_FOUND = ResponseSpec(ErrorBody, description="No such game, or it belongs to a server you are not in.")
FORBIDDEN = ResponseSpec(ErrorBody, description="Only the host or a bot manager may do this.")
CONFLICT = ResponseSpec(
    ErrorBody, description="The game's state does not allow this (cancelled, started, stale)."
)
MENTIONS = ResponseSpec(
    InvalidMentionsBody | InvalidBody,
    description=(
        "A field is not valid (`invalid`, `field` names it), or some @mentions did not match exactly one "
        "member (`invalid_mentions`, with suggestions and the echoed form)."
    ),
    generate_examples=False,
    examples=[Example(summary="An unknown @mention", value=INVALID_MENTIONS_EXAMPLE)],
)


class GameController(Controller):
    path = "/api/v1/games"
    tags = ["games"]

    @post(
        "/",
        status_code=201,
        summary="Schedule a game",
        description=(
            "Hosts (members with a host role in the channel, or bot managers) schedule a game. Settings left "
            "out are inherited from the channel, then the server; `settings_sources` says where each came "
            "from. `initial_participants` takes `@name`, `<@id>` or placeholder text."
        ),
        responses={400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND, 422: MENTIONS},
    )
    async def create_game(
        self,
        data: Annotated[
            GameCreate,
            Body(
                description="The new game.",
                examples=[Example(summary="A board-game night", value=GAME_CREATE_EXAMPLE)],
            ),
        ],
        viewer: NamedDependency[Viewer],
        games: NamedDependency[GameService],
    ) -> GameView:
        return await games.lifecycle.create(viewer.user_id, data)

    @get(
        "/",
        summary="List games",
        description=(
            "With `guild_id`: that server's games (members only). Without it: the games you host or joined, "
            "across your servers. `role` narrows to games you host or play in; `status` may repeat. Games "
            "come in start order (then id); `total` counts every match. Page with `offset`, or — cheaper "
            "for deep pages — pass the previous page's `next_cursor` as `after` (not both)."
        ),
        responses={400: BAD_REQUEST, 404: NOT_FOUND, 422: INVALID},
    )
    async def list_games(
        self,
        viewer: NamedDependency[Viewer],
        games: NamedDependency[GameService],
        guild_id: Annotated[int | None, id_in_query("Discord guild id")] = None,
        channel_id: Annotated[int | None, id_in_query("Discord channel id")] = None,
        status: Annotated[list[GameStatus] | None, QueryParameter(description="Only these statuses")] = None,
        role: Annotated[
            Literal["host", "participant"] | None,
            QueryParameter(description="Only games you host, or only games you play in"),
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 25,
        offset: Annotated[int, QueryParameter(ge=0, le=MAX_OFFSET)] = 0,
        after: Annotated[
            str | None,
            QueryParameter(
                max_length=100, description="The `next_cursor` of the previous page: the games after it."
            ),
        ] = None,
    ) -> GameList:
        return await games.queries.list(
            viewer.user_id,
            guild_id=guild_id,
            channel_id=channel_id,
            statuses=status or (),
            role=role,
            limit=limit,
            offset=offset,
            after=after,
        )

    @get("/{game_id:str}", summary="One game with its roster", responses={400: BAD_REQUEST, 404: NOT_FOUND})
    async def get_game(
        self, game_id: GameId, viewer: NamedDependency[Viewer], games: NamedDependency[GameService]
    ) -> GameView:
        return await games.queries.get(game_id, viewer.user_id)

    @patch(
        "/{game_id:str}",
        summary="Edit a game",
        description=(
            "Only the fields sent change. `null` on max_players, reminder_minutes, signup_instructions or "
            "player_role_ids inherits the value again. Lowering max players moves the last confirmed players "
            "to the waitlist; raising it promotes. Send `expected_version` to get 409 instead of overwriting "
            "someone else's change."
        ),
        responses={400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT, 422: INVALID},
    )
    async def edit_game(
        self,
        game_id: GameId,
        data: Annotated[
            GameUpdate,
            Body(
                examples=[
                    Example(summary="Move it and make room", value={"max_players": 6, "expected_version": 3})
                ]
            ),
        ],
        viewer: NamedDependency[Viewer],
        games: NamedDependency[GameService],
    ) -> GameView:
        return await games.lifecycle.edit(game_id, viewer.user_id, data)

    @delete(
        "/{game_id:str}",
        status_code=200,
        summary="Cancel a game",
        description=(
            "The game stays (status `cancelled`) with its roster, so history is kept. The body is optional: "
            "a `reason` is shown on the game and told to the players. The answer's `told` says how many "
            "people were sent a DM about it."
        ),
        responses={400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT, 422: INVALID},
    )
    async def cancel_game(
        self,
        game_id: GameId,
        viewer: NamedDependency[Viewer],
        games: NamedDependency[GameService],
        data: Annotated[
            GameCancel | None,
            Body(examples=[Example(summary="With a reason", value={"reason": "The host is ill."})]),
        ] = None,
    ) -> GameView:
        reason = "" if data is None else data.reason
        return await games.lifecycle.cancel(game_id, viewer.user_id, reason)

    @post(
        "/{game_id:str}/post",
        status_code=200,
        summary="Post a deferred game now (host)",
        description=(
            "Clears `post_at` and announces the game at once: the bot posts it and its players are told. A game "
            "already announced is answered as it is."
        ),
        responses={400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
    )
    async def post_game_now(
        self, game_id: GameId, viewer: NamedDependency[Viewer], games: NamedDependency[GameService]
    ) -> GameView:
        return await games.lifecycle.post_now(game_id, viewer.user_id)

    @post(
        "/{game_id:str}/clone",
        status_code=201,
        summary="Clone a game to a new time",
        description=(
            "A new game with this one's fields and settings, hosted by you, at `scheduled_at` or — left out — "
            "the next free slot (same weekday and local time in the host's zone, a week on). `confirmed` and "
            "`waitlist` carry those lists over: `no`, `yes`, or `deadline` — each member is DMed to confirm "
            "by `confirm_by` and holds their place pending until then; those who did not confirm are dropped "
            "at the deadline and the waitlist moves up. Carrying players needs the host or a bot manager."
        ),
        responses={400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND, 422: MENTIONS},
    )
    async def clone_game(
        self,
        game_id: GameId,
        data: Annotated[
            GameClone,
            Body(
                examples=[
                    Example(
                        summary="Next week, players confirm by Friday",
                        value={
                            "confirmed": "deadline",
                            "waitlist": "yes",
                            "confirm_by": "2030-01-10T18:00:00+00:00",
                        },
                    )
                ]
            ),
        ],
        viewer: NamedDependency[Viewer],
        games: NamedDependency[GameService],
    ) -> GameView:
        return await games.clones.clone(game_id, viewer.user_id, data)

    @post(
        "/{game_id:str}/confirm",
        status_code=200,
        summary="Confirm a carried-over place",
        description=(
            "For a player a clone carried over with a deadline: keep the place (`confirm_by` on your "
            "participant entry becomes null). To decline, leave the game."
        ),
        responses={400: BAD_REQUEST, 404: NOT_FOUND, 409: CONFLICT},
    )
    async def confirm_place(
        self, game_id: GameId, viewer: NamedDependency[Viewer], games: NamedDependency[GameService]
    ) -> GameView:
        await games.confirmations.confirm(game_id, viewer.user_id)
        return await games.queries.get(game_id, viewer.user_id)

    @put(
        "/{game_id:str}/rewards",
        summary="Set the rewards (host)",
        description=(
            "Also once the game is over. Shown to players as a spoiler when the game has completed. On a "
            "completed game, `archive_now` archives it at once; so does saving rewards once its archive "
            "delay has passed."
        ),
        responses={400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT, 422: INVALID},
    )
    async def set_rewards(
        self,
        game_id: GameId,
        data: JSONBody[RewardsUpdate],
        viewer: NamedDependency[Viewer],
        games: NamedDependency[GameService],
    ) -> GameView:
        return await games.lifecycle.set_rewards(game_id, viewer.user_id, data)

    @post(
        "/{game_id:str}/join",
        status_code=200,
        summary="Join a game",
        description=(
            "Takes a seat, or a place on the waitlist when the game is full (never an error). Joining again "
            "just reports your place: see `viewer_status` and `viewer_position`."
        ),
        responses={400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
    )
    async def join_game(
        self, game_id: GameId, viewer: NamedDependency[Viewer], games: NamedDependency[GameService]
    ) -> GameView:
        return await games.signups.join(game_id, viewer.user_id)

    @post(
        "/{game_id:str}/leave",
        status_code=200,
        summary="Leave a game",
        description="Frees your seat; the first waitlisted player takes it.",
        responses={400: BAD_REQUEST, 404: NOT_FOUND, 409: CONFLICT},
    )
    async def leave_game(
        self, game_id: GameId, viewer: NamedDependency[Viewer], games: NamedDependency[GameService]
    ) -> GameView:
        return await games.signups.leave(game_id, viewer.user_id)

    @post(
        "/{game_id:str}/participants",
        status_code=201,
        summary="Add a participant (host)",
        description="A member (`mention`: @name or <@id>) or a `placeholder`, after the host's other picks.",
        responses={400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT, 422: MENTIONS},
    )
    async def add_participant(
        self,
        game_id: GameId,
        data: Annotated[
            ParticipantAdd,
            Body(
                examples=[
                    Example(summary="A member", value={"mention": "@carol"}),
                    Example(summary="A placeholder", value={"placeholder": "Guest of Bob"}),
                ]
            ),
        ],
        viewer: NamedDependency[Viewer],
        games: NamedDependency[GameService],
    ) -> GameView:
        return await games.signups.add_participant(game_id, viewer.user_id, data)

    @put(
        "/{game_id:str}/participants/order",
        summary="Reorder the roster (host)",
        description="The listed participants become host-picked, in this order, ahead of everyone else.",
        responses={400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT, 422: INVALID},
    )
    async def reorder_participants(
        self,
        game_id: GameId,
        data: JSONBody[ParticipantOrder],
        viewer: NamedDependency[Viewer],
        games: NamedDependency[GameService],
    ) -> GameView:
        return await games.signups.reorder(game_id, viewer.user_id, data)

    @patch(
        "/{game_id:str}/participants/{participant_id:str}",
        summary="Replace a placeholder with a member (host)",
        responses={400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT, 422: MENTIONS},
    )
    async def replace_participant(
        self,
        game_id: GameId,
        participant_id: ParticipantIdParam,
        data: Annotated[
            ParticipantReplace, Body(examples=[Example(summary="A member", value={"mention": "@dave"})])
        ],
        viewer: NamedDependency[Viewer],
        games: NamedDependency[GameService],
    ) -> GameView:
        return await games.signups.replace_placeholder(game_id, viewer.user_id, participant_id, data)

    @delete(
        "/{game_id:str}/participants/{participant_id:str}",
        status_code=200,
        summary="Remove a participant (host)",
        description="The first waitlisted player takes the freed seat.",
        responses={400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
    )
    async def remove_participant(
        self,
        game_id: GameId,
        participant_id: ParticipantIdParam,
        viewer: NamedDependency[Viewer],
        games: NamedDependency[GameService],
    ) -> GameView:
        return await games.signups.remove_participant(game_id, viewer.user_id, participant_id)

    @get(
        "/{game_id:str}/calendar.ics",
        summary="The game as a calendar file",
        description="An RFC 5545 event (times in UTC) with one alarm per reminder.",
        media_type=CALENDAR_MEDIA_TYPE,
        responses={400: BAD_REQUEST, 404: NOT_FOUND},
    )
    async def game_calendar(
        self,
        request: Request,
        game_id: GameId,
        viewer: NamedDependency[Viewer],
        games: NamedDependency[GameService],
        calendars: NamedDependency[Calendars],
    ) -> Response[str]:
        game = await calendars.readable(await games.queries.get(game_id, viewer.user_id))
        return calendar_response(game, page_url=f"{str(request.base_url).rstrip('/')}/games/{game.id}")


@dataclass
class ImageUpload:
    """A multipart form with one file: a PNG, JPEG, GIF or WebP image of at most 5 MB."""

    file: UploadFile | None = None


IMAGE_REJECTED = ResponseSpec(
    ErrorBody,
    description="413: the file is larger than 5 MB. 415: it is not a PNG, JPEG, GIF or WebP image (told by "
    "its content, not its name) or it is damaged, or the body is not multipart/form-data.",
)
_IMAGE_DESCRIPTION = (
    "Upload `file` as multipart/form-data: PNG, JPEG, GIF or WebP (told by the content), at most 5 MB. A "
    "larger picture is downscaled to fit {box}x{box} pixels. The game's `{field}` is then the image's public "
    "URL path (the SHA-256 of its bytes): anyone with the link can see it, as on Discord."
)


class GameImageController(Controller):
    """The game's thumbnail (the embed's small picture) and banner (its large image)."""

    path = "/api/v1/games/{game_id:str}"
    tags = ["games"]
    before_request = require_multipart  # type: ignore[assignment]  # Litestar calls it with the request

    @put(
        "/thumbnail",
        summary="Set the game's thumbnail (host)",
        description=_IMAGE_DESCRIPTION.format(box=ImageKind.THUMBNAIL.box, field="thumbnail_url"),
        responses={
            400: BAD_REQUEST,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
            413: IMAGE_REJECTED,
            415: IMAGE_REJECTED,
            422: INVALID,
        },
    )
    async def set_thumbnail(
        self,
        game_id: GameId,
        data: Annotated[ImageUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
        viewer: NamedDependency[Viewer],
        games: NamedDependency[GameService],
    ) -> GameView:
        return await _set_image(games, game_id, viewer, ImageKind.THUMBNAIL, data)

    @delete(
        "/thumbnail",
        status_code=200,
        summary="Remove the game's thumbnail (host)",
        responses={400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
    )
    async def remove_thumbnail(
        self, game_id: GameId, viewer: NamedDependency[Viewer], games: NamedDependency[GameService]
    ) -> GameView:
        return await games.images.set(game_id, viewer.user_id, ImageKind.THUMBNAIL, None)

    @put(
        "/banner",
        summary="Set the game's banner (host)",
        description=_IMAGE_DESCRIPTION.format(box=ImageKind.BANNER.box, field="banner_url"),
        responses={
            400: BAD_REQUEST,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
            413: IMAGE_REJECTED,
            415: IMAGE_REJECTED,
            422: INVALID,
        },
    )
    async def set_banner(
        self,
        game_id: GameId,
        data: Annotated[ImageUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
        viewer: NamedDependency[Viewer],
        games: NamedDependency[GameService],
    ) -> GameView:
        return await _set_image(games, game_id, viewer, ImageKind.BANNER, data)

    @delete(
        "/banner",
        status_code=200,
        summary="Remove the game's banner (host)",
        responses={400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
    )
    async def remove_banner(
        self, game_id: GameId, viewer: NamedDependency[Viewer], games: NamedDependency[GameService]
    ) -> GameView:
        return await games.images.set(game_id, viewer.user_id, ImageKind.BANNER, None)


async def _set_image(
    games: GameService, game_id: str, viewer: Viewer, kind: ImageKind, upload: ImageUpload
) -> GameView:
    if upload.file is None:
        raise Invalid(f"Send the {kind.value} as the multipart/form-data field `file`.", field="file")
    # One byte past the limit is enough to refuse with the limit's sentence, without reading the rest.
    data = await upload.file.read(MAX_BYTES + 1)
    return await games.images.set(game_id, viewer.user_id, kind, data)


game_routes = [GameController, GameImageController]
