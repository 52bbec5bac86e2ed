"""One gateway websocket: frame compression (zlib-stream / zstd-stream) and an ordered writer."""

from __future__ import annotations

import asyncio
import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog
from litestar import WebSocket
from litestar.exceptions import WebSocketDisconnect

log = structlog.get_logger(__name__)

Encode = Callable[[str], "str | bytes"]


def make_encoder(compress: str | None) -> Encode:
    """Frame encoder for `?compress=`: plain text, zlib-stream or zstd-stream (one shared stream per socket)."""
    if compress == "zlib-stream":
        deflate = zlib.compressobj()
        return lambda text: deflate.compress(text.encode()) + deflate.flush(zlib.Z_SYNC_FLUSH)
    if compress == "zstd-stream":
        return _zstd_encoder()
    return lambda text: text


def _zstd_encoder() -> Encode:
    # discord.py asks for zstd-stream only when it can decode it: with `zstandard` or Python 3.14's
    # `compression.zstd`, so the same process has one of them. Each frame ends a zstd block.
    try:
        import zstandard
    except ImportError:
        from compression import zstd

        compressor = zstd.ZstdCompressor()
        return lambda text: compressor.compress(text.encode(), mode=zstd.ZstdCompressor.FLUSH_BLOCK)
    stream = zstandard.ZstdCompressor().compressobj()
    return lambda text: stream.compress(text.encode()) + stream.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK)


@dataclass(frozen=True)
class _Close:
    code: int


class Connection:
    """One websocket; a writer task sends queued frames in order."""

    def __init__(self, socket: WebSocket[Any, Any, Any], compress: str | None) -> None:
        self.socket = socket
        self.compress = compress
        self.encode = make_encoder(compress)
        self.queue: asyncio.Queue[str | _Close] = asyncio.Queue()
        self.closed = False
        #: When the client last heartbeated (the gateway's clock); set at HELLO.
        self.last_heartbeat = 0.0

    def send(self, payload: dict[str, Any] | str) -> None:
        """Queue a frame."""
        if not self.closed:
            self.queue.put_nowait(payload if isinstance(payload, str) else json.dumps(payload))

    def close(self, code: int) -> None:
        """Queue a close; nothing queued after it is sent."""
        if not self.closed:
            self.closed = True
            self.queue.put_nowait(_Close(code))

    async def write_loop(self) -> None:
        """Send frames until the close frame or until the peer is gone."""
        try:
            while True:
                item = await self.queue.get()
                if isinstance(item, _Close):
                    await self.socket.close(code=item.code)
                    return
                frame = self.encode(item)
                if isinstance(frame, bytes):
                    await self.socket.send_bytes(frame)
                else:
                    await self.socket.send_text(frame)
        except (WebSocketDisconnect, OSError, RuntimeError) as exc:
            # The client went away mid-send; the reader sees the disconnect and detaches the session.
            self.closed = True
            log.debug("gateway_write_failed", error=str(exc))


async def receive_text(socket: WebSocket[Any, Any, Any]) -> str:
    """The next text (or binary, decoded) frame; raises WebSocketDisconnect when the peer is gone."""
    event = await socket.receive()
    if event["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(detail="client closed", code=event.get("code", 1000))
    text = event.get("text")
    if isinstance(text, str):
        return text
    raw = event.get("bytes")
    return raw.decode() if isinstance(raw, bytes) else ""
