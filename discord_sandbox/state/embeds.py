"""Embeds as Discord checks them: objects of the right shape, text limits, URLs, colour and timestamp."""

from __future__ import annotations

from typing import Any

from . import form
from .form import Errors, Path

MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6000
MAX_FIELDS = 25
MAX_COLOR = 0xFFFFFF
TEXT_LIMITS = {"title": 256, "description": 4096}
FIELD_LIMITS = {"name": 256, "value": 1024}
FOOTER_TEXT, AUTHOR_NAME = 2048, 256
MEDIA = ("image", "thumbnail")


def check_embeds(embeds: Any, errors: Errors) -> None:
    """Record what is wrong with a message's `embeds`."""
    if embeds is None or not form.is_list(embeds, errors, ["embeds"]):
        return
    if len(embeds) > MAX_EMBEDS:
        form.put(errors, ["embeds"], form.too_long(MAX_EMBEDS))
        return
    total = 0
    for index, embed in enumerate(embeds):
        if form.is_object(embed, errors, ["embeds", index]):
            total += _check_embed(embed, errors, ["embeds", index])
    if total > MAX_EMBED_TOTAL and "embeds" not in errors:
        form.put(
            errors,
            ["embeds"],
            form.error("MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000"),
        )


def _check_embed(embed: dict[str, Any], errors: Errors, where: Path) -> int:
    """Check one embed; return how many characters of text it counts towards the 6000."""
    total = 0
    for key, limit in TEXT_LIMITS.items():
        total += len(form.text(embed.get(key), errors, [*where, key], limit=limit))
    if embed.get("url") is not None:
        form.url(embed["url"], errors, [*where, "url"], schemes=form.LINK_SCHEMES)
    if embed.get("color") is not None:
        form.integer(embed["color"], errors, [*where, "color"], low=0, high=MAX_COLOR)
    if embed.get("timestamp") is not None:
        form.timestamp(embed["timestamp"], errors, [*where, "timestamp"])
    fields = embed.get("fields")
    if fields is not None and form.is_list(fields, errors, [*where, "fields"]):
        if len(fields) > MAX_FIELDS:
            form.put(errors, [*where, "fields"], form.too_long(MAX_FIELDS))
        for f_index, field in enumerate(fields):
            path = [*where, "fields", f_index]
            if not form.is_object(field, errors, path):
                continue
            for key, limit in FIELD_LIMITS.items():
                if field.get(key) in (None, ""):
                    form.put(errors, [*path, key], form.required())
                total += len(form.text(field.get(key), errors, [*path, key], limit=limit))
            if "inline" in field and not isinstance(field["inline"], bool | None):
                form.put(
                    errors,
                    [*path, "inline"],
                    form.error("BASE_TYPE_BOOLEAN", "Must be either true or false."),
                )
    total += _part(embed, "footer", "text", FOOTER_TEXT, errors, where)
    total += _part(embed, "author", "name", AUTHOR_NAME, errors, where)
    for key in MEDIA:
        media = embed.get(key)
        if media is not None and form.is_object(media, errors, [*where, key]):
            if not media.get("url"):
                form.put(errors, [*where, key, "url"], form.required())
            else:
                form.url(media["url"], errors, [*where, key, "url"], schemes=form.MEDIA_SCHEMES)
    return total


def _part(embed: dict[str, Any], key: str, name: str, limit: int, errors: Errors, where: Path) -> int:
    """The footer (`text`) or author (`name`): an object whose text is required; its icon is a media URL."""
    part = embed.get(key)
    if part is None or not form.is_object(part, errors, [*where, key]):
        return 0
    if part.get(name) in (None, ""):
        form.put(errors, [*where, key, name], form.required())
    found = form.text(part.get(name), errors, [*where, key, name], limit=limit)
    if part.get("icon_url") is not None:
        form.url(part["icon_url"], errors, [*where, key, "icon_url"], schemes=form.MEDIA_SCHEMES)
    if key == "author" and part.get("url") is not None:
        form.url(part["url"], errors, [*where, key, "url"], schemes=form.LINK_SCHEMES)
    return len(found)


def stored_embeds(embeds: list[Any]) -> list[dict[str, Any]]:
    """Embeds as Discord stores and returns them: `type` "rich" unless given, every field with `inline`."""
    stored = []
    for embed in embeds:
        fields = [{**f, "inline": bool(f.get("inline", False))} for f in embed.get("fields") or []]
        # The media objects are the sandbox's own (its media proxy fills in their size later).
        media = {key: dict(embed[key]) for key in MEDIA if isinstance(embed.get(key), dict)}
        stored.append({"type": "rich", **embed, **({"fields": fields} if "fields" in embed else {}), **media})
    return stored
