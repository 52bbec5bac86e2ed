"""JSON routes of game templates: every member lists the ones they may use; bot managers manage them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Response, delete, get, patch, post, put
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Body, JSONBody, PathParameter

from gamesched.core.errors import Invalid, NotFound
from gamesched.guilds.models import GameTemplate
from gamesched.guilds.schemas import TemplateBody, TemplateOrder, TemplatePatch, changes_of, template_json
from gamesched.guilds.service import GuildService
from gamesched.http import BAD_REQUEST, INVALID, ErrorBody
from gamesched.images import MAX_BYTES, ImageKind, ImageStore, require_multipart
from gamesched.web import Viewer, id_in_path

GuildId = Annotated[int, id_in_path("Discord guild id")]
TemplateId = Annotated[str, PathParameter(description="The template's id (uuid).", max_length=36)]
ImageKindName = Annotated[str, PathParameter(description="`thumbnail` or `banner`.", max_length=16)]

NOT_FOUND = ResponseSpec(ErrorBody, description="No such server or template, or a server you are not in.")
FORBIDDEN = ResponseSpec(ErrorBody, description="Only bot managers manage templates.")
READ = {400: BAD_REQUEST, 404: NOT_FOUND, 422: INVALID}
CHANGE = {**READ, 403: FORBIDDEN}
DEFAULT_KEPT = ResponseSpec(
    ErrorBody, description="The default template cannot be deleted; make another one the default first."
)


class TemplateController(Controller):
    path = "/api/v1/guilds/{guild_id:int}/templates"
    tags = ["templates"]

    @get(
        "/",
        summary="The server's templates you may use (all of them for bot managers), default first",
        responses=READ,
    )
    async def list_templates(
        self, guild_id: GuildId, viewer: NamedDependency[Viewer], guilds: NamedDependency[GuildService]
    ) -> list[dict[str, Any]]:
        access = await guilds.access(guild_id, viewer.user_id)
        return [_json(guilds, t) for t in await guilds.templates.visible(access)]

    @post("/", status_code=201, summary="Add a template (bot managers)", responses=CHANGE)
    async def create_template(
        self,
        guild_id: GuildId,
        data: JSONBody[TemplateBody],
        viewer: NamedDependency[Viewer],
        guilds: NamedDependency[GuildService],
    ) -> dict[str, Any]:
        access = await guilds.access(guild_id, viewer.user_id)
        return _json(guilds, await guilds.templates.create(access, changes_of(data)))

    @put(
        "/order", status_code=200, summary="Put the templates in this order (bot managers)", responses=CHANGE
    )
    async def reorder_templates(
        self,
        guild_id: GuildId,
        data: JSONBody[TemplateOrder],
        viewer: NamedDependency[Viewer],
        guilds: NamedDependency[GuildService],
    ) -> list[dict[str, Any]]:
        access = await guilds.access(guild_id, viewer.user_id)
        return [_json(guilds, t) for t in await guilds.templates.reorder(access, data.template_ids)]

    @get("/{template_id:str}", summary="One template", responses=READ)
    async def get_template(
        self,
        guild_id: GuildId,
        template_id: TemplateId,
        viewer: NamedDependency[Viewer],
        guilds: NamedDependency[GuildService],
    ) -> dict[str, Any]:
        access = await guilds.access(guild_id, viewer.user_id)
        return _json(guilds, await guilds.templates.get(access, template_id))

    @patch("/{template_id:str}", summary="Change a template (bot managers)", responses=CHANGE)
    async def update_template(
        self,
        guild_id: GuildId,
        template_id: TemplateId,
        data: JSONBody[TemplatePatch],
        viewer: NamedDependency[Viewer],
        guilds: NamedDependency[GuildService],
    ) -> dict[str, Any]:
        access = await guilds.access(guild_id, viewer.user_id)
        return _json(guilds, await guilds.templates.update(access, template_id, changes_of(data)))

    @post(
        "/{template_id:str}/default",
        status_code=200,
        summary="Make this the default template (bot managers)",
        responses=CHANGE,
    )
    async def set_default_template(
        self,
        guild_id: GuildId,
        template_id: TemplateId,
        viewer: NamedDependency[Viewer],
        guilds: NamedDependency[GuildService],
    ) -> dict[str, Any]:
        access = await guilds.access(guild_id, viewer.user_id)
        return _json(guilds, await guilds.templates.set_default(access, template_id))

    @delete(
        "/{template_id:str}",
        status_code=204,
        summary="Delete a template (bot managers; not the default one)",
        responses={**CHANGE, 409: DEFAULT_KEPT},
    )
    async def delete_template(
        self,
        guild_id: GuildId,
        template_id: TemplateId,
        viewer: NamedDependency[Viewer],
        guilds: NamedDependency[GuildService],
    ) -> Response[None]:
        access = await guilds.access(guild_id, viewer.user_id)
        await guilds.templates.delete(access, template_id)
        return Response(None, status_code=204)


@dataclass
class TemplateImageUpload:
    """A multipart form with one file: a PNG, JPEG, GIF or WebP image of at most 5 MB."""

    file: UploadFile | None = None


IMAGE_REJECTED = ResponseSpec(
    ErrorBody,
    description="413: the file is larger than 5 MB. 415: it is not a PNG, JPEG, GIF or WebP image (told by "
    "its content, not its name) or it is damaged, or the body is not multipart/form-data.",
)
IMAGE_CHANGE = {**CHANGE, 413: IMAGE_REJECTED, 415: IMAGE_REJECTED}


class TemplateImageController(Controller):
    """The thumbnail and banner a game made from the template starts with (bot managers)."""

    path = "/api/v1/guilds/{guild_id:int}/templates/{template_id:str}"
    tags = ["templates"]
    before_request = require_multipart  # type: ignore[assignment]  # Litestar calls it with the request

    @put(
        "/{kind:str}",
        summary="Set the template's thumbnail or banner (bot managers)",
        description="`kind`: `thumbnail` or `banner`. Upload `file` as multipart/form-data: PNG, JPEG, GIF or "
        "WebP (told by the content), at most 5 MB, downscaled to fit. Games made from the template afterwards "
        "start with it (the host may replace or remove it); games made before keep theirs.",
        responses=IMAGE_CHANGE,
    )
    async def set_template_image(
        self,
        guild_id: GuildId,
        template_id: TemplateId,
        kind: ImageKindName,
        data: Annotated[TemplateImageUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
        viewer: NamedDependency[Viewer],
        guilds: NamedDependency[GuildService],
        images: NamedDependency[ImageStore],
    ) -> dict[str, Any]:
        image_kind = _kind(kind)
        access = await guilds.access(guild_id, viewer.user_id)
        guilds.templates.require_manager(access)  # a member who manages nothing: 403, whatever they ask for
        if data.file is None:
            raise Invalid(f"Send the {kind} as the multipart/form-data field `file`.", field="file")
        await guilds.templates.get(access, template_id)  # no such template: 404 before the file is read
        prepared = await images.prepare(await data.file.read(MAX_BYTES + 1), image_kind)
        template = await guilds.templates.set_image(access, template_id, image_kind, prepared, images)
        return _json(guilds, template)

    @delete(
        "/{kind:str}",
        status_code=200,
        summary="Remove the template's thumbnail or banner (bot managers)",
        responses=CHANGE,
    )
    async def remove_template_image(
        self,
        guild_id: GuildId,
        template_id: TemplateId,
        kind: ImageKindName,
        viewer: NamedDependency[Viewer],
        guilds: NamedDependency[GuildService],
        images: NamedDependency[ImageStore],
    ) -> dict[str, Any]:
        access = await guilds.access(guild_id, viewer.user_id)
        template = await guilds.templates.set_image(access, template_id, _kind(kind), None, images)
        return _json(guilds, template)


def _kind(name: str) -> ImageKind:
    try:
        return ImageKind(name)
    except ValueError:
        raise NotFound("A template has a thumbnail and a banner, nothing else.") from None


def _json(guilds: GuildService, template: GameTemplate) -> dict[str, Any]:
    channel = guilds.channel_name(template.guild_id, template.channel_id) if template.channel_id else None
    archive = (
        guilds.channel_name(template.guild_id, template.archive_channel_id)
        if template.archive_channel_id
        else None
    )
    return template_json(template, channel, archive)


template_routes = [TemplateController, TemplateImageController]
