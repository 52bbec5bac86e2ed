"""Discord's media proxy, in small: the images an embed points at are fetched after the message is answered.

Discord fetches an embed's ``image`` and ``thumbnail`` URLs itself, in the background, and then tells
everyone with MESSAGE_UPDATE: the media objects gain ``width``, ``height`` and ``content_type``. The
sandbox does the same, so a test can tell that the bot's image links really resolve: a fetched image gets
its real size; one that cannot be fetched (an error status, not an image, unreachable) gets ``width`` and
``height`` 0 (the viewer shows it as broken). A slow image never delays the answer to the REST call that
posted it: fetching is a task of its own.
"""

from __future__ import annotations

import asyncio
import io
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import structlog
from PIL import Image

from ..state.embeds import MEDIA
from ..state.model import Message

log = structlog.get_logger(__name__)

#: Discord's proxy gives up on big or slow images.
MAX_BYTES = 25 * 1024 * 1024
TIMEOUT_SECONDS = 10.0
#: Fetched URLs remembered (by URL, like Discord's proxy cache), so an edit does not fetch again.
REMEMBERED = 256


@dataclass(frozen=True, slots=True)
class Fetched:
    width: int
    height: int
    content_type: str | None

    def media_fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {"width": self.width, "height": self.height}
        if self.content_type:
            fields["content_type"] = self.content_type
        return fields


BROKEN = Fetched(0, 0, None)


class MediaProxy:
    def __init__(self, on_resolved: Callable[[Message], None]) -> None:
        """``on_resolved(message)``: the message's media were filled in (dispatch MESSAGE_UPDATE)."""
        self._on_resolved = on_resolved
        self._tasks: set[asyncio.Task[None]] = set()
        self._known: OrderedDict[str, Fetched] = OrderedDict()
        #: Every fetch made, in order: (url, width, height) — for tests and the log.
        self.fetches: list[tuple[str, int, int]] = []

    def resolve_later(self, message: Message) -> None:
        """Fetch the message's unresolved embed images in the background (no-op without any)."""
        if not _pending(message):
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # a world built by hand, outside any loop: nothing to fetch with
            return
        task = loop.create_task(self._resolve(message))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def settled(self) -> None:
        """Wait until every fetch started so far is done (tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _resolve(self, message: Message) -> None:
        urls = sorted({media["url"] for media in _pending(message)})
        found = dict(zip(urls, await asyncio.gather(*(self._fetch(url) for url in urls)), strict=True))
        changed = False
        for media in _pending(message):  # what the message holds now: an edit may have changed it meanwhile
            if media["url"] in found:
                media.update(found[media["url"]].media_fields())
                changed = True
        if changed and not message.deleted:
            self._on_resolved(message)

    async def _fetch(self, url: str) -> Fetched:
        if (known := self._known.get(url)) is not None:
            return known
        try:
            async with (
                httpx.AsyncClient(timeout=TIMEOUT_SECONDS, follow_redirects=True) as client,
                client.stream(
                    "GET", url, headers={"user-agent": "Mozilla/5.0 (compatible; Discordbot/2.0)"}
                ) as response,
            ):
                body = b""
                if response.status_code == 200:
                    async for chunk in response.aiter_bytes():
                        body += chunk
                        if len(body) > MAX_BYTES:
                            break
                result = (
                    _measure(body, response.headers.get("content-type"))
                    if 0 < len(body) <= MAX_BYTES
                    else BROKEN
                )
        except (httpx.HTTPError, ValueError) as error:
            log.info("sandbox_media_unreachable", url=url, error=str(error))
            result = BROKEN
        self.fetches.append((url, result.width, result.height))
        if result is BROKEN:
            return result  # tried again next time, as the link may work by then
        self._known[url] = result
        while len(self._known) > REMEMBERED:
            self._known.popitem(last=False)
        return result


def _measure(body: bytes, content_type: str | None) -> Fetched:
    try:
        with Image.open(io.BytesIO(body)) as image:
            width, height = image.size
            kind = Image.MIME.get(image.format or "", content_type)
    except Exception:  # anything Pillow cannot read is not an image Discord would show
        return BROKEN
    return Fetched(width, height, kind)


def _pending(message: Message) -> list[dict[str, Any]]:
    """The embed media objects not measured yet."""
    return [
        media
        for embed in message.embeds
        for key in MEDIA
        if isinstance(media := embed.get(key), dict) and media.get("url") and "width" not in media
    ]
