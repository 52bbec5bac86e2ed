"""A game's thumbnail and banner: set from an upload, or removed (host or manager).

The upload is checked and downscaled by the images module before the game is locked; the image is stored in
the same transaction that points the game at it, and one the game lets go of is swept later if nothing else
uses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog

from gamesched.games import events
from gamesched.games.schemas import GameView
from gamesched.games.use_case import GameUseCase
from gamesched.images import ImageKind, ImageStore, PreparedImage

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class StoredName:
    """An image already stored, by name (a cloned game keeps its source's pictures without a re-upload)."""

    name: str


class GameImages(GameUseCase):
    def __init__(self, *, store: ImageStore, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.store = store

    async def check(self, data: bytes, kind: ImageKind) -> PreparedImage:
        """Check an upload before the game it is for exists (the create form); ImageRejected if refused."""
        return await self.store.prepare(data, kind)

    async def set(
        self, game_id: str, user_id: int, kind: ImageKind, data: bytes | PreparedImage | StoredName | None
    ) -> GameView:
        """Show the image in ``data`` (an upload, one ``check`` prepared, or one already stored — a cloned
        game's) as the game's ``kind``; None removes it. ImageRejected (413/415) for a file that is not an
        image we take; a stored name that is gone is dropped silently (the clone simply has no image)."""
        gid, access = await self._enter(game_id, user_id)
        doing = f"change this game's {kind.value}"
        await self._authorize_manage(gid, access, doing)
        prepared = await self.store.prepare(data, kind) if isinstance(data, bytes) else data
        column = f"{kind.value}_image"
        async with self.db.uow(guild_id=access.guild_id) as uow:
            game, participants = await self._load(uow.session, gid, lock=True)
            self._require_manager(game, access, doing)
            self._require_status(game, "scheduled", "in_progress")
            previous = getattr(game, column)
            if isinstance(prepared, StoredName):
                name = await self.store.reuse(uow.session, prepared.name)
            else:
                name = None if prepared is None else await self.store.keep(uow.session, prepared)
            if name != previous:
                setattr(game, column, name)
                self._touch(game, bump_version=True)
                if previous is not None:
                    await self.store.let_go(uow.session)
                uow.publish(
                    events.GameUpdated(
                        **self._event_base(game),
                        by_user_id=user_id,
                        changed=(column,),
                        message_id=game.message_id,
                    )
                )
        log.info("game_image_set", game_id=str(gid), kind=kind.value, image=name)
        return await self._render(game, participants, viewer=access)
