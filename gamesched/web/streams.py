"""Server-Sent Events for open pages: one "changed" event whenever the page's topic is published."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from litestar.response import ServerSentEvent, ServerSentEventMessage

from gamesched.core.live import LiveHub

#: A comment line this often keeps proxies from closing an idle stream (and notices gone browsers).
KEEPALIVE_SECONDS = 20.0
#: The browser reconnects after this many milliseconds when a stream ends.
RETRY_MS = 2000


class LiveStreams:
    """All open event streams; ``stop()`` ends them so a graceful shutdown is not held open by browsers."""

    def __init__(self, *, keepalive: float = KEEPALIVE_SECONDS) -> None:
        self.keepalive = keepalive
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    def response(self, hub: LiveHub, topic: str, *, event: str = "changed") -> ServerSentEvent:
        return ServerSentEvent(
            self._messages(hub, topic, event),
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    async def _messages(self, hub: LiveHub, topic: str, event: str) -> AsyncIterator[ServerSentEventMessage]:
        async with hub.subscribe(topic) as queue:
            yield ServerSentEventMessage(comment="listening", retry=RETRY_MS)
            while not self._stopping.is_set():
                signal = asyncio.ensure_future(queue.get())
                stopping = asyncio.ensure_future(self._stopping.wait())
                try:
                    done, _ = await asyncio.wait(
                        {signal, stopping}, timeout=self.keepalive, return_when=asyncio.FIRST_COMPLETED
                    )
                finally:
                    for task in (signal, stopping):
                        if not task.done():
                            task.cancel()
                            with contextlib.suppress(asyncio.CancelledError):
                                await task
                if stopping in done:
                    return
                if signal in done:
                    yield ServerSentEventMessage(event=event, data=topic)
                else:
                    yield ServerSentEventMessage(comment="keep-alive")
