"""The image fields of the game forms (create and edit): a file for the thumbnail and the banner, and on
the edit form (and on a cloned game's form, which keeps its source's pictures) a box to remove the current
one. Checked before the game is saved, so a refused file is an error on the form like any other; applied once
the game is saved."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litestar.datastructures import UploadFile

from gamesched.games.images import StoredName
from gamesched.games.schemas import GameView
from gamesched.games.service import GameService
from gamesched.images import MAX_BYTES, ImageKind, ImageRejected, PreparedImage
from gamesched.web import FormData


@dataclass
class ImageChanges:
    """What the form asks of the game's images: new ones (checked), and the kinds to remove."""

    new: dict[ImageKind, PreparedImage | StoredName] = field(default_factory=dict)
    removed: list[ImageKind] = field(default_factory=list)

    async def apply(self, games: GameService, game_id: str, user_id: int) -> None:
        for kind, image in self.new.items():
            await games.images.set(game_id, user_id, kind, image)
        for kind in self.removed:
            if kind not in self.new:
                await games.images.set(game_id, user_id, kind, None)


async def read_images(raw: Any, form: FormData, games: GameService) -> ImageChanges:
    """The image fields of a submitted form; a refused file is recorded in ``form.errors`` under its kind."""
    changes = ImageChanges()
    for kind in ImageKind:
        upload = raw.get(kind.value)
        if isinstance(upload, UploadFile) and upload.filename:
            data = await upload.read(MAX_BYTES + 1)
            try:
                changes.new[kind] = await games.images.check(data, kind)
            except ImageRejected as error:
                form.errors[kind.value] = error.message
        if form.values.get(f"remove_{kind.value}") == "on":
            changes.removed.append(kind)
        elif kind not in changes.new and (kept := form.values.get(f"kept_{kind.value}")):
            changes.new[kind] = StoredName(kept)  # a cloned game's picture, kept unless removed
    return changes


def kept_images(game: GameView) -> dict[str, str]:
    """A cloned game's pictures as the new-game form carries them (``kept_<kind>``: the image's name)."""
    kept = {}
    for kind in ImageKind:
        url = getattr(game, f"{kind.value}_url")
        if url:
            kept[f"kept_{kind.value}"] = url.rsplit("/", 1)[-1]
    return kept
