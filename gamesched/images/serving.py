"""The public image route: ``/images/<sha256>.<ext>``, cacheable forever (the name is the content)."""

from __future__ import annotations

import re
from typing import Annotated

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import PathParameter

from gamesched.core.errors import DomainError, NotFound
from gamesched.http import ErrorBody, read_multipart_forms_first
from gamesched.images.store import ImageStore

_NAME = re.compile(r"[0-9a-f]{64}\.(png|jpg|gif|webp)")
#: A name always means the same bytes, so browsers and Discord may keep a copy for a year without asking.
CACHE_CONTROL = "public, max-age=31536000, immutable"
NO_IMAGE = "There is no such image."


@get(
    "/images/{name:str}",
    summary="An image (public)",
    description=(
        "A game's thumbnail or banner, by the SHA-256 of its bytes. Public to anyone with the link, as on "
        "Discord; the hash is the only way to it. Cached for a year (`immutable`); `If-None-Match` with the "
        "`ETag` answers 304."
    ),
    tags=["images"],
    media_type="image/*",
    responses={304: ResponseSpec(None, description="Your copy is current."), 404: ResponseSpec(ErrorBody)},
)
async def serve_image(
    request: Request,
    name: Annotated[str, PathParameter(description="`<sha256>.<ext>`, as in the game's image URL.")],
    images: NamedDependency[ImageStore],
) -> Response[bytes]:
    if not _NAME.fullmatch(name):
        raise NotFound(NO_IMAGE)
    etag = f'"{name.partition(".")[0]}"'
    headers = {"Cache-Control": CACHE_CONTROL, "ETag": etag}
    wanted = request.headers.get("if-none-match", "")
    if etag in {tag.strip().removeprefix("W/") for tag in wanted.split(",")} or wanted.strip() == "*":
        image = None
    else:
        image = await images.read(name)
        if image is None:
            raise NotFound(NO_IMAGE)
    if image is None:
        return Response(b"", status_code=304, headers=headers)
    return Response(image.data, media_type=image.media_type, headers=headers)


class NotMultipart(DomainError):
    code = "not_multipart"
    status_code = 415


async def require_multipart(request: Request) -> None:
    """An upload sent any other way (JSON, a bare body) gets a sentence, not the framework's parse error.
    Runs before the body is read (a controller's ``before_request``); DELETE has no body to check."""
    if request.method != "PUT":
        return
    if request.content_type[0] != RequestEncodingType.MULTI_PART:
        raise NotMultipart(
            "Send the image as multipart/form-data with a field named `file` (a PNG, JPEG, GIF or WebP "
            "image of at most 5 MB)."
        )
    # This hook replaces the app's (the closest layer's before_request wins): read the form as it would.
    await read_multipart_forms_first(request)
