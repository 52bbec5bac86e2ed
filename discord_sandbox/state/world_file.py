"""The world on disk: a JSON snapshot, written atomically, so a restarted sandbox is the Discord it was —
messages, DMs, members and the ids already handed out — and the app's stored message ids stay true."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import msgspec

from .sandbox_state import SandboxState
from .snowflake import SnowflakeGenerator

#: The file's name in a data directory (``gamesched run --sandbox`` and ``gamesched sandbox`` use it).
WORLD_FILE_NAME = "sandbox-world.json"
#: Bumped when the snapshot's shape changes incompatibly; an older file is then set aside, not misread.
FORMAT = 1


class _Snapshot(msgspec.Struct):
    format: int
    world: SandboxState


def _encode(obj: Any) -> Any:
    if isinstance(obj, SnowflakeGenerator):
        return obj.last_id
    raise NotImplementedError(type(obj))


def _decode(kind: type, obj: Any) -> Any:
    if kind is SnowflakeGenerator:
        return SnowflakeGenerator(after=int(obj))
    raise NotImplementedError(kind)


_encoder = msgspec.json.Encoder(enc_hook=_encode)
_decoder = msgspec.json.Decoder(_Snapshot, dec_hook=_decode)


class WorldFile:
    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> SandboxState | None:
        """The saved world, or None when there is none (or it cannot be read: it is then kept aside)."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            snapshot = _decoder.decode(data)
            if snapshot.format != FORMAT:
                raise ValueError(f"format {snapshot.format}, expected {FORMAT}")
        except (msgspec.DecodeError, msgspec.ValidationError, ValueError):
            self.path.replace(self.path.with_suffix(".unreadable.json"))
            return None
        state = snapshot.world
        state.ids.advance_past(max([0, *state.messages, *state.users, *state.guilds, *state.dm_channels]))
        return state

    def save(self, state: SandboxState) -> None:
        """Write the whole world to a temporary file, then rename it over the old one (never half-written)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_bytes(_encoder.encode(_Snapshot(format=FORMAT, world=state)))
        os.replace(temporary, self.path)
